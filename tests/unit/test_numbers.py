from __future__ import annotations

import pickle
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.numbers import (
    NumberFormatError,
    ParsedFigure,
    format_tr_number,
    is_only_a_figure,
    parse_tr_figure,
    parse_tr_number,
)
from tracker.texts import describe

FAST = settings(max_examples=200, deadline=None)

D = Decimal

# ------------------------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # plain integers and Turkish thousands
        ("0", D(0)),
        ("7", D(7)),
        ("450", D(450)),
        ("007", D(7)),
        ("1.234", D(1234)),
        ("1.234.567", D(1234567)),
        ("12.345.678.901", D(12345678901)),
        # Turkish decimals
        ("12,5", D("12.5")),
        ("1,234", D("1.234")),  # a comma is always a decimal in Turkish
        ("0,5", D("0.5")),
        ("1.234,56", D("1234.56")),
        ("1.234.567,891", D("1234567.891")),
        # English decimals typed on a phone: a single dot that cannot be thousands
        ("12.5", D("12.5")),
        ("12.50", D("12.50")),
        ("1234.5", D("1234.5")),
        ("1234.567", D("1234.567")),  # first group too long to be thousands
        ("0.125", D("0.125")),  # a leading 0 group is never thousands
        ("3.14159", D("3.14159")),
        # English full format, only when unambiguous
        ("1,234.56", D("1234.56")),
        ("1,234,567.5", D("1234567.5")),
        ("12,345.678", D("12345.678")),
        # space thousands (regular, no-break, narrow no-break, thin)
        ("1 234 567", D(1234567)),
        ("1\u00a0234\u00a0567", D(1234567)),
        ("1\u202f234\u202f567", D(1234567)),
        ("1\u2009234", D(1234)),
        ("1 234,5", D("1234.5")),
        # signs
        ("-3,5", D("-3.5")),
        ("−3,5", D("-3.5")),  # U+2212 minus sign
        ("- 3,5", D("-3.5")),
        ("+4", D(4)),
        ("-1.234,5", D("-1234.5")),
        ("-0", D(0)),
        # whitespace
        ("  12,5  ", D("12.5")),
        ("\t12,5\n", D("12.5")),
        # percent (stripped, value not divided)
        ("%12,5", D("12.5")),
        ("12,5%", D("12.5")),
        ("% 12,5", D("12.5")),
        ("12,5 %", D("12.5")),
        ("-%5", D(-5)),
        ("%-5", D(-5)),
        # multipliers
        ("1,2 milyon", D(1200000)),
        ("3 milyar", D(3000000000)),
        ("2,5 bin", D(2500)),
        ("450 bin", D(450000)),
        ("1.234 bin", D(1234000)),
        ("1,2345 bin", D("1234.5")),
        ("1,5 Milyon", D(1500000)),
        ("1,5 MİLYON", D(1500000)),
        ("1,5 MILYON", D(1500000)),
        ("1,5 mi\u0307lyon", D(1500000)),  # "MİLYON".lower() from non-Turkish-aware code
        ("2 BİN", D(2000)),
        ("2,5bin", D(2500)),
        ("-1,5 milyar", D(-1500000000)),
        # units
        ("12 TL", D(12)),
        ("12 tl", D(12)),
        ("12TL", D(12)),
        ("₺12", D(12)),
        ("12₺", D(12)),
        ("12 ₺", D(12)),
        ("5 adet", D(5)),
        ("5 ADET", D(5)),
        ("30 kişi", D(30)),
        ("30 KİŞİ", D(30)),
        ("30 kisi", D(30)),
        ("2,5 milyon TL", D(2500000)),
        ("₺2,5 milyon", D(2500000)),
        ("1.250.000,50 TL", D("1250000.50")),
    ],
)
def test_parse_accepts(text: str, expected: Decimal) -> None:
    value = parse_tr_number(text)
    assert value == expected
    assert isinstance(value, Decimal)


def test_multiplied_values_are_plain_integers_not_exponents() -> None:
    assert str(parse_tr_number("1,2 milyon")) == "1200000"
    assert str(parse_tr_number("3 milyar")) == "3000000000"


def test_negative_zero_is_normalised() -> None:
    assert not parse_tr_number("-0").is_signed()
    assert not parse_tr_number("-0,0").is_signed()


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        ("12,5", ParsedFigure(D("12.5"))),
        ("%12,5", ParsedFigure(D("12.5"), had_percent=True)),
        ("12,5%", ParsedFigure(D("12.5"), had_percent=True)),
        ("-% 3", ParsedFigure(D(-3), had_percent=True)),
        ("1,2 milyon", ParsedFigure(D(1200000), multiplier_word="milyon")),
        ("2 MİLYAR", ParsedFigure(D(2000000000), multiplier_word="milyar")),
        ("450 Bin", ParsedFigure(D(450000), multiplier_word="bin")),
        ("12 TL", ParsedFigure(D(12), unit="TL")),
        ("₺12", ParsedFigure(D(12), unit="TL")),
        ("5 ADET", ParsedFigure(D(5), unit="adet")),
        ("5 kisi", ParsedFigure(D(5), unit="kişi")),
        ("2,5 milyon TL", ParsedFigure(D(2500000), multiplier_word="milyon", unit="TL")),
    ],
)
def test_parse_figure_details(text: str, figure: ParsedFigure) -> None:
    assert parse_tr_figure(text) == figure


# ------------------------------------------------------------------------------ rejected


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "1,2,3",
        "1,234,567",  # English thousands without a decimal: a lone comma is Turkish decimal
        "12..5",
        "1.23.4",
        "1.234.5",
        "1.2345.678",
        "1.234,5.6",
        "1,23.5",  # comma group is not 3 digits, so not English either
        "0.123,5",
        "--5",
        "-+5",
        "5-",
        "5 -",
        "1e5",
        "1E5",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "12,",
        "12.",
        ",5",
        ".5",
        "-,5",
        "1 23",
        "12 5",
        "1 234.5",  # space thousands cannot be mixed with dots
        "1 234 56",
        "%",
        "-",
        "TL",
        "milyon",
        "%%5",
        "5%%",
        "%5%",
        "5 % 5",
        "5 TL TL",
        "₺5 TL",
        "5 milyon milyar",
        "5 bin bin",
        "5 TL milyon",  # multiplier must come before the unit
        "5 milyon TL adet",  # more than two words
        "%5 TL",
        "₺%5",
        "%2 bin",
        "2 bin%",
        "5 kg",
        "5 dolar",
        "beş",
        "5 5 5",
        "12,5abc",
        "0x10",
        "1_000",
        "١٢",  # Arabic-Indic digits
        "12;5",
        "(5)",
        "9" * 31,
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number(text)
    message = describe(info.value)
    assert "sayı olarak okunamadı" in message
    assert "Örnek: 1.234.567, 12,5" in message


@pytest.mark.parametrize("text", ["", "   ", "\u00a0"])
def test_parse_rejects_empty(text: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number(text)
    assert describe(info.value).startswith("Sayı boş olamaz.")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("1,2,3", "tek bir virgül"),
        ("1,234,567", "tek bir virgül"),
        ("12..5", "yan yana"),
        ("1.23.4", "tam üç rakam"),
        ("1 23", "üçer rakam"),
        ("1 234.5", "yalnızca birini"),
        (",5", "Başına 0 yazın"),
        ("--5", "bir işaret"),
        ("5 kg", "“kg” tanınan bir birim değil"),
        ("5 Şişe", "“Şişe” tanınan bir birim değil"),  # quoted as typed, not folded
        ("1e5", "“e” tanınan bir birim değil"),
        ("5 TL TL", "en fazla bir kez"),
        ("%5 TL", "Yüzde ile birlikte birim"),
        ("%2 bin", "Yüzde ile birlikte bin/milyon"),
        ("9" * 31, "çok uzun"),
    ],
)
def test_parse_rejection_hints(text: str, hint: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number(text)
    assert hint in describe(info.value)


def test_error_message_contains_input_verbatim() -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number("  <b>abc</b> ")
    message = describe(info.value)
    assert message.startswith("“<b>abc</b>” sayı olarak okunamadı.")  # caller escapes
    assert info.value.text == "  <b>abc</b> "
    assert isinstance(info.value, ValueError)


def test_error_message_shortens_long_input() -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number("x" * 500)
    assert "x" * 39 + "…" in describe(info.value)
    assert "x" * 41 not in describe(info.value)


def test_error_pickles() -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_tr_number("1,2,3")
    clone = pickle.loads(pickle.dumps(info.value))
    assert describe(clone) == describe(info.value)


def test_parse_rejects_non_str() -> None:
    with pytest.raises(TypeError):
        parse_tr_number(12)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (D(1234567), None, "1.234.567"),
        (1234567, None, "1.234.567"),
        (D("12.5"), None, "12,5"),
        (12.5, None, "12,5"),
        (0.1, None, "0,1"),
        (D("12.50"), None, "12,5"),
        (D("1234.567891"), None, "1.234,567891"),
        (D("0.000001"), None, "0,000001"),
        (D("-3.5"), None, "-3,5"),
        (D("1.2E+6"), None, "1.200.000"),
        (D("-0.0"), None, "0"),
        (0, None, "0"),
        (D(999), None, "999"),
        (D(1000), None, "1.000"),
        (D("12.345"), 2, "12,35"),  # half up, not Babel's half even
        (D("12.355"), 2, "12,36"),
        (D("12.5"), 0, "13"),
        (D("-12.5"), 0, "-13"),
        (D("1234.5"), 2, "1.234,50"),
        (7, 1, "7,0"),
        (D("-0.001"), 2, "0,00"),
    ],
)
def test_format(value: Decimal | int | float, decimals: int | None, expected: str) -> None:
    assert format_tr_number(value, decimals) == expected


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), float("nan"), float("-inf")])
def test_format_rejects_non_finite(value: Decimal | float) -> None:
    with pytest.raises(ValueError):
        format_tr_number(value)


def test_format_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        format_tr_number(D(1), -1)
    with pytest.raises(TypeError):
        format_tr_number(True)
    with pytest.raises(TypeError):
        format_tr_number("12")  # type: ignore[arg-type]


decimals_6 = st.decimals(
    min_value=D("-1e12"),
    max_value=D("1e12"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)


@FAST
@given(decimals_6)
def test_format_parse_round_trip(value: Decimal) -> None:
    assert parse_tr_number(format_tr_number(value)) == value


@FAST
@given(st.integers(-(10**15), 10**15))
def test_format_parse_round_trip_integers(value: int) -> None:
    text = format_tr_number(value)
    assert "," not in text
    assert parse_tr_number(text) == value


@FAST
@given(decimals_6, st.integers(0, 6))
def test_format_with_decimals_round_trips_to_rounded_value(value: Decimal, places: int) -> None:
    text = format_tr_number(value, places)
    fraction = text.rpartition(",")[2] if places else ""
    assert len(fraction) == places
    expected = value.quantize(D(1).scaleb(-places), rounding=ROUND_HALF_UP)
    assert parse_tr_number(text) == expected


@FAST
@given(
    decimals_6,
    st.sampled_from(["", "%", " %"]),
    st.sampled_from(["", " ", "  "]),
)
def test_decorations_do_not_change_value(value: Decimal, percent: str, pad: str) -> None:
    text = format_tr_number(value)
    assert parse_tr_number(f"{pad}{text}{percent}{pad}") == value


@FAST
@given(st.integers(0, 10**9), st.sampled_from([("bin", 3), ("milyon", 6), ("milyar", 9)]))
def test_multiplier_words(value: int, word_and_power: tuple[str, int]) -> None:
    word, power = word_and_power
    assert parse_tr_number(f"{format_tr_number(value)} {word}") == value * 10**power
    assert parse_tr_number(f"{value} {word.upper()}") == value * 10**power


@pytest.mark.parametrize(
    ("text", "only"),
    [
        ("60", True),
        ("%60", True),
        ("60%", True),
        ("yüzde 60", True),
        ("YÜZDE 60", True),
        ("yuzde60", True),
        ("2,5 milyon TL", True),
        ("%60 tamamlandı", False),
        ("yüzde kırk", False),
        ("2 çalıştay yapıldı", False),
        ("yüzde", False),
        ("", False),
    ],
)
def test_is_only_a_figure(text: str, only: bool) -> None:
    assert is_only_a_figure(text) is only
