from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.quarters import ISTANBUL, MAX_YEAR, MIN_YEAR, Quarter, QuarterError
from tracker.texts import describe

FAST = settings(max_examples=200, deadline=None)

quarters = st.builds(Quarter, st.integers(MIN_YEAR, MAX_YEAR), st.integers(1, 4))
# Quarters with a neighbour on both sides, for next/previous properties.
inner_quarters = st.builds(Quarter, st.integers(MIN_YEAR + 1, MAX_YEAR - 1), st.integers(1, 4))

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}

SPELLINGS: list[Callable[[Quarter], str]] = [
    str,
    lambda q: q.label,
    lambda q: q.label.upper(),
    lambda q: f"{q.year}q{q.q}",
    lambda q: f"{q.year} Q{q.q}",
    lambda q: f"{q.year}-Q{q.q}",
    lambda q: f"Q{q.q} {q.year}",
    lambda q: f"q{q.q}-{q.year}",
    lambda q: f"{q.year}-Ç{q.q}",
    lambda q: f"{q.year} ç{q.q}",
    lambda q: f"{q.year}Ç{q.q}",
    lambda q: f"{q.year}-C{q.q}",
    lambda q: f"{q.year}c{q.q}",
    lambda q: f"{q.year}/{q.q}",
    lambda q: f"{q.year}-{q.q}",
    lambda q: f"{q.year}.{q.q}",
    lambda q: f"{q.q}. çeyrek {q.year}",
    lambda q: f"{q.q}.çeyrek {q.year}",
    lambda q: f"{q.q}. Çeyrek {q.year}",
    lambda q: f"{q.q}. ÇEYREK {q.year}",
    lambda q: f"{q.q}. ceyrek {q.year}",
    lambda q: f"{q.year} {q.q}. çeyrek",
    lambda q: f"{ROMAN[q.q]}. çeyrek {q.year}",
    lambda q: f"{ROMAN[q.q].lower()}. çeyrek {q.year}",
    lambda q: f"{q.year} {ROMAN[q.q]}. Çeyrek",
    lambda q: f"  {q.year}   Q  {q.q}\t",
    lambda q: f"\n{q.q}.   çeyrek   {q.year} ",
]


# ------------------------------------------------------------------------------ construction


def test_fields_and_repr() -> None:
    q = Quarter(2014, 2)
    assert (q.year, q.q) == (2014, 2)
    assert repr(q) == "Quarter(year=2014, q=2)"


@pytest.mark.parametrize(
    ("year", "q"), [(2014, 0), (2014, 5), (2014, -1), (1899, 1), (3000, 1), (14, 2)]
)
def test_constructor_rejects_out_of_range(year: int, q: int) -> None:
    with pytest.raises(QuarterError) as info:
        Quarter(year, q)
    assert "geçerli bir çeyrek değil" in describe(info.value)


@pytest.mark.parametrize(("year", "q"), [("2014", 2), (2014, 2.0), (2014, True), (None, 1)])
def test_constructor_rejects_wrong_types(year: object, q: object) -> None:
    with pytest.raises(TypeError):
        Quarter(year, q)  # type: ignore[arg-type]


def test_hashable_and_dict_key() -> None:
    counts = {Quarter(2014, 2): 1}
    counts[Quarter.parse("2014-Ç2")] += 1
    assert counts == {Quarter(2014, 2): 2}
    assert len({Quarter(2014, 2), Quarter(2014, 2), Quarter(2014, 3)}) == 2


def test_sorting_is_chronological() -> None:
    items = [Quarter(2015, 1), Quarter(2014, 4), Quarter(2014, 1), Quarter(2014, 2)]
    assert sorted(items) == [
        Quarter(2014, 1),
        Quarter(2014, 2),
        Quarter(2014, 4),
        Quarter(2015, 1),
    ]
    assert Quarter(2014, 4) < Quarter(2015, 1)
    assert max(items) == Quarter(2015, 1)


# ----------------------------------------------------------------------------- display


def test_str_and_label() -> None:
    q = Quarter(2014, 2)
    assert str(q) == "2014Q2"
    assert f"{q}" == "2014Q2"
    assert q.label == "2014 2. Çeyrek"


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    "text",
    [
        "2014Q2",
        "2014q2",
        "2014 Q2",
        "2014-Q2",
        "2014 - Q2",
        "2014–Q2",  # en dash from autocorrect
        "Q2 2014",
        "q2 2014",
        "Q2-2014",
        "Q2/2014",
        "2014-Ç2",
        "2014-ç2",
        "2014 Ç2",
        "2014Ç2",
        "2014-C2",
        "2014-c2",
        "2014/2",
        "2014-2",
        "2014.2",
        "2014 / 2",
        "2. çeyrek 2014",
        "2.çeyrek 2014",
        "2 çeyrek 2014",
        "2. Çeyrek 2014",
        "2. ÇEYREK 2014",
        "2. ceyrek 2014",
        "2. CEYREK 2014",
        "2014 2. çeyrek",
        "2014 2. Çeyrek",
        "2014, 2. çeyrek",
        "II. çeyrek 2014",
        "ii. çeyrek 2014",
        "ıı. çeyrek 2014",  # Turkish keyboard lowercases I to dotless ı
        "2014 II. Çeyrek",
        "  2014Q2  ",
        "\t2. \u00a0çeyrek\n2014 ",
    ],
)
def test_parse_accepts(text: str) -> None:
    assert Quarter.parse(text) == Quarter(2014, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I. çeyrek 2020", Quarter(2020, 1)),
        ("İ. çeyrek 2020", Quarter(2020, 1)),
        ("III. çeyrek 2020", Quarter(2020, 3)),
        ("IV. çeyrek 2020", Quarter(2020, 4)),
        ("ıv. ÇEYREK 2020", Quarter(2020, 4)),
        ("1900Q1", Quarter(1900, 1)),
        ("2999Q4", Quarter(2999, 4)),
    ],
)
def test_parse_other_quarters(text: str, expected: Quarter) -> None:
    assert Quarter.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("2014Q5", "1 ile 4 arasında"),
        ("2014Q0", "1 ile 4 arasında"),
        ("2014-13", "1 ile 4 arasında"),
        ("V. çeyrek 2014", "1 ile 4 arasında"),
        ("5. çeyrek 2014", "1 ile 4 arasında"),
        ("14Q2", "dört haneli"),
        ("02014Q2", "dört haneli"),
        ("1899Q4", "1900–2999"),
        ("3000Q1", "1900–2999"),
        ("2014", "Yalnızca yıl"),
        (" 2014 ", "Yalnızca yıl"),
    ],
)
def test_parse_rejects_with_specific_hint(text: str, hint: str) -> None:
    with pytest.raises(QuarterError) as info:
        Quarter.parse(text)
    message = describe(info.value)
    assert f"“{text.strip()}” geçerli bir çeyrek değil." in message
    assert hint in message
    assert "Örnek: 2014Q2" in message


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "Q2",
        "2014 2",
        "20142",
        "Q22014",
        "20142. çeyrek",
        "2014Q2x",
        "2014QQ2",
        "2014 Q 2 Q",
        "çeyrek 2014",
        "2014 çeyrek",
        "2014-Q-2-2015",
        "٢٠١٤Q2",  # non-ASCII digits are not what users mean here
        "2014Ş2",
    ],
)
def test_parse_rejects_garbage(text: str) -> None:
    with pytest.raises(QuarterError) as info:
        Quarter.parse(text)
    assert "geçerli bir çeyrek değil" in describe(info.value)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_parse_rejects_empty(text: str) -> None:
    with pytest.raises(QuarterError) as info:
        Quarter.parse(text)
    assert describe(info.value).startswith("Çeyrek boş olamaz.")


def test_parse_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        Quarter.parse(20142)  # type: ignore[arg-type]


def test_error_message_example_from_brief() -> None:
    with pytest.raises(QuarterError) as info:
        Quarter.parse("2014Q5")
    message = describe(info.value)
    assert message.startswith("“2014Q5” geçerli bir çeyrek değil.")
    assert message.endswith("Örnek: 2014Q2, 2014-Ç2 veya “2. çeyrek 2014”.")


def test_error_is_value_error_and_keeps_input_verbatim() -> None:
    with pytest.raises(ValueError) as info:
        Quarter.parse("<b>2014Q9</b>")
    assert isinstance(info.value, QuarterError)
    assert info.value.text == "<b>2014Q9</b>"
    assert "<b>2014Q9</b>" in describe(info.value)  # escaping is the caller's job


def test_error_pickles() -> None:
    with pytest.raises(QuarterError) as info:
        Quarter.parse("2014Q9")
    clone = pickle.loads(pickle.dumps(info.value))
    assert describe(clone) == describe(info.value)


@FAST
@given(quarters, st.sampled_from(SPELLINGS))
def test_every_spelling_round_trips(q: Quarter, spell: Callable[[Quarter], str]) -> None:
    assert Quarter.parse(spell(q)) == q


@FAST
@given(quarters)
def test_str_and_label_round_trip(q: Quarter) -> None:
    assert Quarter.parse(str(q)) == q
    assert Quarter.parse(q.label) == q


# -------------------------------------------------------------------------- arithmetic


def test_next_previous_across_year() -> None:
    assert Quarter(2014, 4).next() == Quarter(2015, 1)
    assert Quarter(2015, 1).previous() == Quarter(2014, 4)
    assert Quarter(2014, 2).next() == Quarter(2014, 3)


def test_shift_and_difference() -> None:
    q = Quarter(2014, 2)
    assert q + 3 == Quarter(2015, 1)
    assert 3 + q == Quarter(2015, 1)
    assert q - 2 == Quarter(2013, 4)
    assert q + 0 == q
    assert q + -1 == Quarter(2014, 1)
    assert Quarter(2016, 1) - q == 7
    assert q - Quarter(2016, 1) == -7
    assert q - q == 0


def test_arithmetic_rejects_other_types() -> None:
    q = Quarter(2014, 2)
    with pytest.raises(TypeError):
        q + 1.0  # type: ignore[operator]  # noqa: B018
    with pytest.raises(TypeError):
        q + True  # type: ignore[operator]  # noqa: B018
    with pytest.raises(TypeError):
        q - "1"  # type: ignore[operator]  # noqa: B018


def test_arithmetic_out_of_range() -> None:
    with pytest.raises(QuarterError):
        Quarter(2999, 4).next()
    with pytest.raises(QuarterError):
        Quarter(1900, 1).previous()


@FAST
@given(inner_quarters)
def test_next_and_previous_are_inverse(q: Quarter) -> None:
    assert q.next().previous() == q
    assert q.previous().next() == q
    assert q.previous() < q < q.next()
    assert q.next() - q == 1


@FAST
@given(quarters, st.integers(-400, 400))
def test_shift_then_difference(q: Quarter, n: int) -> None:
    try:
        shifted = q + n
    except QuarterError:
        return  # shifted outside 1900..2999
    assert shifted - q == n
    assert shifted - n == q
    assert (shifted > q) == (n > 0)


@FAST
@given(quarters, quarters)
def test_range_length_and_bounds(a: Quarter, b: Quarter) -> None:
    start, end = min(a, b), max(a, b)
    if end - start > 60:
        end = start + 60  # keep lists small; length property is what matters
    span = Quarter.range(start, end)
    assert len(span) == end - start + 1
    assert span[0] == start
    assert span[-1] == end
    assert span == sorted(span)
    assert all(y - x == 1 for x, y in zip(span, span[1:], strict=False))


def test_range_examples() -> None:
    assert Quarter.range(Quarter(2014, 3), Quarter(2015, 2)) == [
        Quarter(2014, 3),
        Quarter(2014, 4),
        Quarter(2015, 1),
        Quarter(2015, 2),
    ]
    assert Quarter.range(Quarter(2014, 3), Quarter(2014, 3)) == [Quarter(2014, 3)]
    assert Quarter.range(Quarter(2015, 1), Quarter(2014, 3)) == []


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("q", "first", "last"),
    [
        (Quarter(2014, 1), date(2014, 1, 1), date(2014, 3, 31)),
        (Quarter(2014, 2), date(2014, 4, 1), date(2014, 6, 30)),
        (Quarter(2014, 3), date(2014, 7, 1), date(2014, 9, 30)),
        (Quarter(2014, 4), date(2014, 10, 1), date(2014, 12, 31)),
        (Quarter(2024, 1), date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_start_and_end_dates(q: Quarter, first: date, last: date) -> None:
    assert q.start_date == first
    assert q.end_date == last


@FAST
@given(quarters)
def test_dates_cover_exactly_the_quarter(q: Quarter) -> None:
    days = (q.end_date - q.start_date).days + 1
    assert 90 <= days <= 92
    assert Quarter.of(q.start_date) == q
    assert Quarter.of(q.end_date) == q
    if q != Quarter(MIN_YEAR, 1):
        assert Quarter.of(q.start_date - timedelta(days=1)) == q.previous()
    if q != Quarter(MAX_YEAR, 4):
        assert Quarter.of(q.end_date + timedelta(days=1)) == q.next()
        assert q.end_date + timedelta(days=1) == q.next().start_date


def test_every_day_of_a_year_belongs_to_one_quarter() -> None:
    day = date(2024, 1, 1)
    seen: dict[Quarter, int] = {}
    while day.year == 2024:
        q = Quarter.of(day)
        assert q.start_date <= day <= q.end_date
        seen[q] = seen.get(q, 0) + 1
        day += timedelta(days=1)
    assert seen == {
        Quarter(2024, 1): 91,
        Quarter(2024, 2): 91,
        Quarter(2024, 3): 92,
        Quarter(2024, 4): 92,
    }


def test_start_and_end_datetimes_are_istanbul_and_end_is_exclusive() -> None:
    q = Quarter(2014, 2)
    assert q.start == datetime(2014, 4, 1, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert q.end == datetime(2014, 7, 1, tzinfo=ZoneInfo("Europe/Istanbul"))
    assert q.start.tzinfo is ISTANBUL
    assert q.end == q.next().start
    assert q.contains(q.start)
    assert not q.contains(q.end)
    assert q.contains(q.end - timedelta(microseconds=1))


def test_end_of_last_representable_quarter() -> None:
    assert Quarter(2999, 4).end == datetime(3000, 1, 1, tzinfo=ISTANBUL)


def test_of_converts_aware_datetimes_to_istanbul() -> None:
    # 22:30 UTC on 31 March is already 01:30 on 1 April in Istanbul (UTC+3).
    late_utc = datetime(2024, 3, 31, 22, 30, tzinfo=UTC)
    assert Quarter.of(late_utc) == Quarter(2024, 2)
    assert Quarter(2024, 2).contains(late_utc)
    assert not Quarter(2024, 1).contains(late_utc)
    # The same wall-clock time naive is taken as Istanbul local time.
    assert Quarter.of(datetime(2024, 3, 31, 22, 30)) == Quarter(2024, 1)
    # Far west: 2 Jan 02:00 at UTC-5 is 10:00 in Istanbul, but 31 Dec 23:00 at UTC-5 is Q1.
    new_york_ish = timezone(timedelta(hours=-5))
    assert Quarter.of(datetime(2023, 12, 31, 23, 0, tzinfo=new_york_ish)) == Quarter(2024, 1)


def test_of_handles_historic_dst_in_istanbul() -> None:
    # Before 2016 Istanbul used UTC+2 in winter; zoneinfo must be used, not a fixed offset.
    assert Quarter.of(datetime(2014, 12, 31, 21, 30, tzinfo=UTC)) == Quarter(2014, 4)
    assert Quarter.of(datetime(2014, 12, 31, 22, 30, tzinfo=UTC)) == Quarter(2015, 1)


@FAST
@given(quarters, st.integers(0, 91 * 24 * 3600 - 1))
def test_contains_agrees_with_start_and_end(q: Quarter, seconds: int) -> None:
    moment = (q.start.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(ISTANBUL)
    assert q.contains(moment) == (q.start <= moment < q.end)


def test_contains_accepts_dates() -> None:
    q = Quarter(2014, 2)
    assert q.contains(date(2014, 6, 30))
    assert not q.contains(date(2014, 7, 1))
