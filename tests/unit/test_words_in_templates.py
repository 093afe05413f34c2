"""Every word a person reads lives in templates/: no Turkish in the product's Python strings.

The string constants of the product's packages (docstrings and other bare string statements
aside; comments are not strings) may not hold a Turkish letter. What may is listed below with
the reason: words the code recognises in what people type or in plan files, names the data
holds, a format the parser must read back. A sentence belongs in a template (texts/*.j2,
rendered with tracker.texts.say), a domain error carries a code and is worded by
tracker.texts.describe.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Everything that ships; local_bot_api answers in Telegram's English, and is held to it too.
PACKAGES = ("tracker", "bot", "kume", "local_bot_api", "web")
TURKISH = frozenset("çğıİöşüÇĞÖŞÜ")

# (file, literal) that may stay, grouped by why.
ALLOWED: set[tuple[str, str]] = {
    # The fold function's table of Turkish letters and the ASCII letters they match.
    *{("tracker/turkish.py", letter) for letter in "ıİçğöşü"},
    # Words the parsers recognise in what people type: "yüzde 60", a unit's spelling.
    ("tracker/numbers.py", r"^\s*y[uü]zde\s*"),
    ("tracker/numbers.py", "kişi"),  # the canonical spelling of a unit, matched to plan units
    # The quarter's display form "2014 2. Çeyrek" is also an input form: Quarter.parse reads it
    # back and files carry it, so it stays beside the parser (in a template, the value type
    # would depend on the template engine, whose filters use quarters: a cycle).
    ("tracker/quarters.py", ". Çeyrek"),
    # The report worker's warm-up chart: Turkish letters so matplotlib loads their glyphs before
    # the first /rapor; nobody sees it.
    ("tracker/reports/plots.py", "Çğüşöı"),
    ("tracker/reports/plots.py", "Çeyrek"),
    # The plan file's format: yes/no cells that tracker/planfile/validate.py reads back.
    ("tracker/planfile/export.py", "hayır"),
    # Organisation short names of the bundled plan: the simulator's personas belong to them.
    ("bot/simulator/personas.py", "KY Organik Gıda"),
    ("bot/simulator/personas.py", "İZKA"),
    ("bot/simulator/personas.py", "Kümelenme Komitesi"),
    ("bot/simulator/personas.py", "Ekolojik Tarım Organizasyonu Derneği"),
    # Other helpers' files during issue 9 (their owners move or keep these):
    # the letters a plan code may hold, quarter and yes/no spellings a plan file may use...
    ("tracker/planfile/validate.py", "0-9A-Za-zÇĞİÖŞÜçğıöşüÂÎÛâîû"),
    (
        "tracker/planfile/validate.py",
        r"^(\d{4}\s*[QqÇçCc]\s*[1-4])\s*-\s*"
        r"(\d{4}\s*[QqÇçCc]\s*[1-4])$",
    ),
    ("tracker/planfile/validate.py", "doğru"),
    ("tracker/planfile/validate.py", "hayır"),
    ("tracker/planfile/validate.py", "yanlış"),
    # ...but a word passed to a template (what="öncelik"), which should be a key it words.
    ("tracker/planfile/validate.py", "öncelik"),
    # /rapor's words that look like a quarter (recognition).
    (
        "tracker/reports/filters.py",
        r"(\d{4}\s?[-/.]?\s?[qç]\s?\d+|[qç]\s?\d+\s?[-/.]?\s?\d{4}|\d{4}[-/.]\d+)",
    ),
    ("tracker/reports/filters.py", "ç"),
    # The name a photo sent as evidence is shown by: a word to move to a template.
    ("bot/handlers/dialogs.py", "fotoğraf.jpg"),
}
# Whole files whose words another helper is moving to templates during issue 9, and the plan
# file's layout (its Turkish sheet and column names are the format itself: import matches them).
ALLOWED_FILES: dict[str, str] = {
    "tracker/planfile/layout.py": "the plan file's sheet and column names",
}


def _python_files() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _turkish_literals(path: Path) -> Iterator[tuple[int, str]]:
    """String constants with a Turkish letter, outside docstrings and bare string statements."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    unused = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in unused
            and TURKISH & set(node.value)
        ):
            yield node.lineno, node.value


def _found() -> dict[str, list[tuple[int, str]]]:
    return {
        path.relative_to(ROOT).as_posix(): literals
        for path in _python_files()
        if (literals := list(_turkish_literals(path)))
    }


def test_no_turkish_words_in_product_code():
    stray = [
        f"{name}:{line}: {text!r}"
        for name, literals in _found().items()
        if name not in ALLOWED_FILES
        for line, text in literals
        if (name, text) not in ALLOWED
    ]
    assert stray == [], "move these words into templates/ (or allow them here, saying why)"


def test_the_allowances_are_all_still_needed():
    found = _found()
    unused = sorted(
        f"{name}: {text!r}"
        for name, text in ALLOWED
        if text not in {literal for _line, literal in found.get(name, [])}
    )
    unused += sorted(name for name in ALLOWED_FILES if name not in found)
    assert unused == [], "these allowances are no longer needed: remove them"


def test_the_check_sees_a_sentence_and_not_a_docstring(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Bu modül."""\n\ndef f():\n    """Açıklama."""\n    "Yorum gibi."\n'
        '    return f"“{1}” geçerli değil"\n',
        encoding="utf-8",
    )
    assert list(_turkish_literals(sample)) == [(6, "” geçerli değil")]
