"""bot/fit.py: every text kume sends fits Telegram, as valid HTML, and nothing is lost.

Each part is checked with the local Bot API's own parser (local_bot_api/formatting.py), which
refuses what Telegram refuses: an unclosed tag, a split entity.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.fit import MAX_NOTICE, fit_message, fit_notice, size
from local_bot_api.formatting import parse_html, utf16_len


def styled(html: str) -> list[tuple[str, frozenset[str]]]:
    """Every visible character but spaces and line breaks, with the entities around it: what
    a reader sees, wherever the text was broken."""
    plain, entities = parse_html(html)
    units: list[tuple[str, set[str]]] = []
    for char in plain:  # offsets are in UTF-16 units: a character outside the BMP takes two
        units.extend([(char, set())] * (size(char)))
    for entity in entities:
        for index in range(entity["offset"], entity["offset"] + entity["length"]):
            units[index] = (units[index][0], units[index][1] | {entity["type"]})
    result = []
    previous = -1
    for index, (char, types) in enumerate(units):
        if index != previous + 1 and size(char) == 2:
            continue  # the second unit of a wide character
        previous = index
        if not char.isspace():
            result.append((char, frozenset(types)))
    return result


def check(text: str, limit: int) -> list[str]:
    parts = fit_message(text, limit)
    for part in parts:
        plain = parse_html(part)[0]
        assert utf16_len(plain) <= limit, part
        assert plain.strip(), f"an empty part: {part!r}"
    assert [c for part in parts for c in styled(part)] == styled(text)
    return parts


def test_a_message_that_fits_is_sent_as_it_is():
    assert fit_message("kısa\n\nözet") == ["kısa\n\nözet"]
    text = "<b>x</b>" + "&lt;" * 4095  # 4,096 once parsed, as Telegram counts
    assert fit_message(text) == [text]


def test_a_long_summary_is_split_between_lines():
    text = "\n".join(f"<b>E{i}</b> " + "x" * 60 for i in range(300))
    parts = check(text, 4096)
    assert len(parts) > 1
    assert "\n".join(parts) == text


def test_a_single_line_longer_than_a_message_is_split_at_spaces_not_cut():
    """split_message used to keep the first 4,096 characters of such a line and drop the rest."""
    title = " ".join(f"sözcük{i}" for i in range(1500))  # one line of about 13,000 characters
    text = f"<b>E1.2.3</b> · 2014 1. Çeyrek\n<i>{title}</i>\nBu çeyrekte eylemin durumu nedir?"
    parts = check(text, 4096)
    assert len(parts) == 4
    # Broken between words, and the italic closed at each break and opened again.
    assert parts[1].startswith("<i>sözcük") and parts[1].endswith("</i>")
    assert all(re.search(r"sözcük\d+</i>$", part) for part in parts[:3])
    assert parts[-1].endswith("</i>\nBu çeyrekte eylemin durumu nedir?")


def test_a_line_without_spaces_is_broken_between_characters_never_inside_an_entity():
    text = "<a href=\"https://ornek.org/?a=1&amp;b=2\">" + "&amp;&lt;ş" * 2000 + "</a>"
    parts = check(text, 4096)
    assert len(parts) == 2
    assert all(p.startswith('<a href="https://ornek.org/?a=1&amp;b=2">') for p in parts)


def test_wide_characters_count_as_telegram_counts_them():
    parts = check("😀" * 3000, 4096)  # 6,000 UTF-16 units
    assert [len(p) for p in parts] == [2048, 952]


def test_a_notice_fits_the_200_characters_of_a_button_answer():
    assert fit_notice("kısa") == "kısa"
    assert fit_notice(None) is None
    long = fit_notice("E" * 500)
    assert long is not None and len(long) == MAX_NOTICE and long.endswith("…")


_WORDS = st.sampled_from(["kume", "İzmir", "&amp;", "&lt;b&gt;", "😀", "  ", "ğüşiöç", "x" * 30])
_PIECES = st.one_of(
    _WORDS,
    st.just("\n"),
    _WORDS.map(lambda w: f"<b>{w}</b>"),
    st.lists(_WORDS, min_size=1, max_size=6).map(lambda ws: "<i>" + " ".join(ws) + "</i>"),
    st.lists(_WORDS, min_size=1, max_size=4).map(
        lambda ws: '<a href="https://x.org/?a&amp;b">' + "<b>" + "\n".join(ws) + "</b></a>"
    ),
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, min_size=1, max_size=40), limit=st.integers(20, 200))
def test_any_text_kume_could_write_fits_as_valid_html_and_loses_nothing(pieces, limit):
    text = "".join(pieces)
    if not parse_html(text)[0].strip():
        return
    check(text, limit)
