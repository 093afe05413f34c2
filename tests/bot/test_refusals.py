"""A request that cannot be done is answered in Turkish, worded where the bot replies."""

from __future__ import annotations

from tests.bot.conftest import texts_of
from tracker.models import Role


async def test_a_wrong_quarter_to_reopen_is_explained_with_the_quarter_s_own_words(harness):
    agency = await harness.register(1001, "İZKA", Role.AGENCY)
    replies = await harness.send(agency, "/kilit EBSO 2014Q9")
    assert texts_of(replies) == [
        "⛔ “2014Q9” geçerli bir çeyrek değil. Çeyrek 1 ile 4 arasında olmalı. "
        "Örnek: 2014Q2, 2014-Ç2 veya “2. çeyrek 2014”."
    ]
