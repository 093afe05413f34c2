"""Errors carry a code and parameters; only the boundary turns them into words."""

from __future__ import annotations

from tracker.errors import DomainError
from tracker.numbers import NumberFormatError
from tracker.quarters import QuarterError
from tracker.texts import describe


def test_str_of_an_error_is_its_code_for_logs_and_describe_words_it():
    error = DomainError("invite_days", days=400)
    assert str(error) == "invite_days(days=400)"
    assert describe(error) == "Geçerlilik süresi 1 ile 365 gün arasında olmalı (verilen: 400)."


def test_a_wrapped_error_is_worded_inside_the_one_that_wraps_it():
    wrapped = DomainError("bad_quarter", problem=QuarterError("<b>2014</b>", "bare_year"))
    assert describe(wrapped) == (
        "“<b>2014</b>” geçerli bir çeyrek değil. Yalnızca yıl yazılmış; hangi çeyrek olduğunu "
        "da belirtin. Örnek: 2014Q2, 2014-Ç2 veya “2. çeyrek 2014”."
    )
    assert str(NumberFormatError("5 kg", "unknown_unit", "kg")) == (
        "unknown_unit(text='5 kg', word='kg')"
    )
