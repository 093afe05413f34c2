"""Turkish event dates: the forms a secretary types, and why a wrong one is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tracker import texts
from tracker.events.dates import EventDateError, parse_event_time
from tracker.quarters import ISTANBUL

NOW = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ISTANBUL)


@pytest.mark.parametrize(("text", "expected"), [
    ("12 Mayıs 14:00", at(2014, 5, 12, 14, 0)),
    ("12 mayıs 2014 14:00", at(2014, 5, 12, 14, 0)),
    ("12 MAYIS 2014 14.00", at(2014, 5, 12, 14, 0)),
    ("12 Mayis 14:00", at(2014, 5, 12, 14, 0)),
    ("12 Mayıs'ta 14:00", at(2014, 5, 12, 14, 0)),
    ("  3 Ağustos, 9:30 ", at(2014, 8, 3, 9, 30)),
    ("12.05.2014 14:00", at(2014, 5, 12, 14, 0)),
    ("1/6/2014 08:15", at(2014, 6, 1, 8, 15)),
    ("yarın 10:00", at(2014, 4, 11, 10, 0)),
    ("Yarın saat 10:00", at(2014, 4, 11, 10, 0)),
    ("bugün 16:30", at(2014, 4, 10, 16, 30)),
    ("BUGÜN 16:30", at(2014, 4, 10, 16, 30)),
    # Without a year, a day gone by this year is next year's.
    ("5 Ocak 10:00", at(2015, 1, 5, 10, 0)),
    ("10 Nisan 11:00", at(2014, 4, 10, 11, 0)),
])
def test_the_forms_a_secretary_types(text, expected):
    assert parse_event_time(text, NOW) == expected


@pytest.mark.parametrize(("text", "code", "words"), [
    ("", "event_date_empty", "tarihini ve saatini yazın"),
    ("12 Mayıs", "event_date_no_time", "Saati de yazın"),
    ("yarın", "event_date_no_time", "Saati de yazın"),
    ("haftaya 10:00", "event_date_form", "Bu tarih okunamadı"),
    ("12 Mayısın 14:00", "event_date_month", "“mayisin” bir ay adı değil"),
    ("31.02.2014 14:00", "event_date_invalid_day", "31.02.2014 diye bir gün yok"),
    ("30 Şubat 10:00", "event_date_invalid_day", "30.02.2014 diye bir gün yok"),
    ("12 Mayıs 25:00", "event_date_invalid_time", "25:00 geçerli bir saat değil"),
    ("12.05.2014 14:61", "event_date_invalid_time", "14:61 geçerli bir saat değil"),
    ("bugün 09:00", "event_date_past", "10 Nisan 2014 09:00 geçmişte kalıyor"),
    ("12.05.2013 14:00", "event_date_past", "12 Mayıs 2013 14:00 geçmişte kalıyor"),
    ("10 Nisan 10:00", "event_date_past", "geçmişte kalıyor (şu an 10 Nisan 2014 10:00)"),
    ("12.05.2041 14:00", "event_date_far", "iki yıldan daha ileride"),
])
def test_a_wrong_form_is_refused_with_the_reason_and_examples(text, code, words):
    with pytest.raises(EventDateError) as caught:
        parse_event_time(text, NOW)
    assert caught.value.code == code
    assert words in texts.describe(caught.value)


def test_the_explanations_show_examples():
    with pytest.raises(EventDateError) as caught:
        parse_event_time("gelecek salı", NOW)
    assert "“12 Mayıs 14:00”" in texts.describe(caught.value)
    assert "“yarın 10:00”" in texts.describe(caught.value)


def test_a_utc_now_is_read_in_istanbul():
    # 22:30 UTC on 1 June is already 2 June in İstanbul (UTC+3 in summer 2014).
    late = datetime(2014, 6, 1, 22, 30, tzinfo=UTC)
    assert parse_event_time("yarın 09:00", late) == at(2014, 6, 3, 9, 0)
