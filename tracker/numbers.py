"""Parsing and formatting of figures as Turkish users type them on phones.

Turkish writes ``1.234.567,89`` (dot thousands, comma decimal), but phone keyboards often
only offer a dot, so ``12.5`` also shows up meaning twelve and a half. The rules below pick
the reading that is unambiguous and refuse the rest, because silently storing a figure off
by a factor of 1000 in an action-plan report is far worse than asking the user again.

Rules for the numeric part (after sign, ``%``, currency and unit words are peeled off):

* Only digits: an integer (``450``).
* One comma, no dot: always a Turkish decimal (``12,5`` → 12.5, ``1,234`` → 1.234).
* Dots only: a dot is a thousands separator when every group after it has exactly three
  digits and the first group has 1–3 digits not starting with ``0`` (``1.234`` → 1234,
  ``1.234.567`` → 1234567). A *single* dot that does not fit that shape is an English
  decimal typed on a phone (``12.5``, ``12.50``, ``1234.5``, ``0.125``). Several dots that
  do not fit are rejected (``1.23.4``, ``12..5``).
* Dots and one comma: Turkish ``1.234.567,89``; the dot groups must be valid thousands.
* Commas and one final dot: English ``1,234,567.89``; accepted only when every comma group
  has exactly three digits, since no Turkish reading exists for that shape.
* Several commas without a dot (``1,234,567`` or ``1,2,3``) are rejected: a single comma is
  a decimal in Turkish, so guessing "English thousands" here would be inconsistent.
* Spaces (also no-break / narrow no-break) are thousands separators only: ``1 234 567`` and
  ``1 234,5``; they cannot be mixed with dots.
* No leading or trailing separator (``,5``, ``12.``), no exponents, ``nan`` or ``inf``.

Pure domain code: no Telegram and no database imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from babel.numbers import format_decimal

from tracker.errors import CodedError
from tracker.turkish import fold

__all__ = [
    "NumberFormatError",
    "ParsedFigure",
    "format_tr_number",
    "is_only_a_figure",
    "parse_tr_figure",
    "parse_tr_number",
]

# Far beyond any real figure; keeps Decimal arithmetic exact without tuning precision.
_MAX_DIGITS = 30

_MULTIPLIERS: dict[str, int] = {"bin": 3, "milyon": 6, "milyar": 9}
# Folded spelling -> canonical unit reported back to callers.
_UNITS: dict[str, str] = {"tl": "TL", "₺": "TL", "adet": "adet", "kisi": "kişi"}

_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})
_MINUSES = str.maketrans({"−": "-", "–": "-"})

_LEADING_TOKEN = re.compile(r"\s*([-+%₺])")
_CORE = re.compile(r"[0-9][0-9., ]*[0-9]|[0-9]", re.ASCII)
_TRAILING_TOKEN = re.compile(r"\s*(%|₺|[^\W\d_]+|\S)")

_INT = r"[0-9]+"
_GROUPED_DOT = r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+"
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_INT), "int"),
    (re.compile(rf"{_INT},[0-9]+"), "tr_decimal"),
    (re.compile(_GROUPED_DOT), "dot_thousands"),
    (re.compile(rf"{_INT}\.[0-9]+"), "en_decimal"),
    (re.compile(rf"{_GROUPED_DOT},[0-9]+"), "tr_full"),
    (re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3})+\.[0-9]+"), "en_full"),
    (re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{3})+(?:,[0-9]+)?"), "space_thousands"),
]


class NumberFormatError(CodedError, ValueError):
    """A figure that could not be read; ``tracker.texts.describe()`` says why, in Turkish.

    ``hint`` names what was wrong (a macro of texts/numbers.j2); ``word`` is the unit word
    that was not understood. The input is kept verbatim: whoever shows it escapes it.
    """

    template = "texts/numbers.j2"

    def __init__(self, text: str, hint: str | None = None, word: str | None = None) -> None:
        # Raw parts in ``args`` so the exception pickles and re-raises faithfully.
        super().__init__(text, hint, word)
        self.text = text
        self.hint = hint
        shown = text.strip()
        self.code = (hint or "unreadable") if shown else "empty"
        self.params = {"text": shown}
        if word is not None:
            self.params["word"] = word


@dataclass(frozen=True)
class ParsedFigure:
    """Result of :func:`parse_tr_figure`.

    ``value`` already includes the multiplier (``2,5 milyon`` → 2500000). A percent sign is
    only recorded, never applied: ``%12,5`` has ``value == 12.5``.
    """

    value: Decimal
    had_percent: bool = False
    multiplier_word: str | None = None
    unit: str | None = None


def _numeric_value(core: str, original: str) -> Decimal:
    shape = next((name for pattern, name in _SHAPES if pattern.fullmatch(core)), None)
    if shape is None:
        raise NumberFormatError(original, _shape_hint(core))
    if shape in ("int", "dot_thousands"):
        canonical = core.replace(".", "")
    elif shape in ("tr_decimal", "tr_full", "space_thousands"):
        canonical = core.replace(".", "").replace(" ", "").replace(",", ".")
    else:  # en_decimal, en_full
        canonical = core.replace(",", "")
    if sum(ch.isdigit() for ch in canonical) > _MAX_DIGITS:
        raise NumberFormatError(original, "too_long")
    return Decimal(canonical)


def _shape_hint(core: str) -> str | None:
    if core.count(",") > 1 and "." not in core:
        return "several_commas"
    if ".." in core or ",," in core or ".," in core or ",." in core:
        return "adjacent_separators"
    if " " in core and "." in core:
        return "spaces_and_dots"
    if "." in core:
        return "dot_groups"
    if " " in core:
        return "space_groups"
    return None


def parse_tr_figure(text: str) -> ParsedFigure:
    """Parse a figure typed by a Turkish user; see the module docstring for the rules.

    Besides the number itself this accepts one sign (``-``/``+``/``−``), one percent sign
    before or after the number, one multiplier word (``bin``, ``milyon``, ``milyar``) and
    one unit (``TL``, ``₺``, ``adet``, ``kişi``), case-insensitively. A percent sign cannot
    be combined with a multiplier or a unit.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_tr_figure expects str, got {type(text).__name__}")
    original = text
    # U+0307 is the combining dot left behind when "İ" was lowercased by non-Turkish code.
    s = text.translate(_SPACES).translate(_MINUSES).replace("\u0307", "").strip()
    if not s:
        raise NumberFormatError(original)

    sign = ""
    had_percent = False
    unit: str | None = None
    pos = 0
    while match := _LEADING_TOKEN.match(s, pos):
        token = match[1]
        if token in "-+":
            if sign:
                raise NumberFormatError(original, "one_sign")
            sign = token
        elif token == "%":
            if had_percent:
                raise NumberFormatError(original)
            had_percent = True
        else:  # ₺
            if unit:
                raise NumberFormatError(original)
            unit = "TL"
        pos = match.end()

    pos = len(s) - len(s[pos:].lstrip())
    core_match = _CORE.match(s, pos)
    if core_match is None:
        hint = None
        if s[pos : pos + 1] in (".", ",") and s[pos + 1 : pos + 2].isdigit():
            hint = "leading_separator"
        raise NumberFormatError(original, hint)
    # Trailing spaces belong to the separator between number and words, not to the number.
    core = core_match[0].rstrip()
    pos = core_match.start() + len(core)

    multiplier_word: str | None = None
    unit_in_front = unit is not None  # "₺2,5 milyon" is fine; only "2,5 TL milyon" is not
    for match in _TRAILING_TOKEN.finditer(s, pos):
        typed = match[1]
        # Words match however they are cased or accented ("MİLYON", "kisi"); a symbol as it is.
        token = fold(typed) if typed.isalpha() else typed
        # Order matters: "2,5 milyon TL" is fine, "2,5 TL milyon" or "5% TL" are not.
        if token in _MULTIPLIERS and multiplier_word is None and (unit is None or unit_in_front):
            if had_percent:
                raise NumberFormatError(original, "percent_and_multiplier")
            multiplier_word = token
        elif token in _UNITS and unit is None:
            if had_percent:
                raise NumberFormatError(original, "percent_and_unit")
            unit = _UNITS[token]
        elif token == "%" and not had_percent and unit is None and multiplier_word is None:
            had_percent = True
        else:
            hint = _trailing_hint(token)
            raise NumberFormatError(original, hint, typed if hint == "unknown_unit" else None)

    if had_percent and unit is not None:
        raise NumberFormatError(original, "percent_and_unit")

    value = _numeric_value(core, original)
    with localcontext() as ctx:
        ctx.prec = 2 * _MAX_DIGITS
        if multiplier_word is not None:
            value = value.scaleb(_MULTIPLIERS[multiplier_word])
            # scaleb yields "1.2E+6"; users and JSON expect plain 1200000.
            if value == value.to_integral_value():
                value = value.quantize(Decimal(1))
        if sign == "-":
            value = -value
    if value.is_zero():
        value = abs(value)  # no "-0" in reports
    return ParsedFigure(value, had_percent, multiplier_word, unit)


def _trailing_hint(token: str) -> str | None:
    """Why the (folded) word after the number is wrong."""
    if token in _MULTIPLIERS or token in _UNITS or token == "%":
        return "unit_order"
    if token.isalpha():
        return "unknown_unit"
    return None


# "yüzde 60" is how "%60" is said; only free-text answers need to recognise it.
_PERCENT_WORD = re.compile(r"^\s*y[uü]zde\s*", re.IGNORECASE)


def is_only_a_figure(text: str) -> bool:
    """Whether `text` is a figure and nothing else: "60", "%60", "60%", "yüzde 60", "2,5 milyon".

    For free-text answers: a figure alone there was most likely meant for another question.
    """
    try:
        parse_tr_figure(_PERCENT_WORD.sub("%", text, count=1))
    except NumberFormatError:
        return False
    return True


def parse_tr_number(text: str) -> Decimal:
    """Like :func:`parse_tr_figure` but return only the value."""
    return parse_tr_figure(text).value


def format_tr_number(value: Decimal | int | float, decimals: int | None = None) -> str:
    """Format ``value`` the Turkish way (``1.234.567``, ``12,5``) with Babel.

    With ``decimals=None`` every significant fractional digit is kept (trailing zeros are
    dropped), so :func:`parse_tr_number` reads the result back exactly. With an integer,
    exactly that many fractional digits are shown, rounding half up as people expect in
    reports (Babel alone would round half to even).
    """
    if isinstance(value, bool):
        raise TypeError("format_tr_number does not accept bool")
    if isinstance(value, float):
        # repr() gives the shortest decimal that round-trips, i.e. what the user "sees".
        value = Decimal(repr(value))
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"format_tr_number expects Decimal, int or float, got {type(value)}")
    if not value.is_finite():
        raise ValueError(f"cannot format non-finite number {value}")
    if decimals is not None and decimals < 0:
        raise ValueError("decimals must be >= 0")

    with localcontext() as ctx:
        ctx.prec = max(ctx.prec, len(value.as_tuple().digits) + 20)
        try:
            if decimals is None:
                pattern = "#,##0.###"
            else:
                value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
                pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        except InvalidOperation as exc:  # pragma: no cover - only for absurd precision
            raise ValueError(f"cannot format {value} with {decimals} decimals") from exc
        if value.is_zero():
            value = abs(value)
        return format_decimal(
            value, format=pattern, locale="tr_TR", decimal_quantization=decimals is not None
        )
