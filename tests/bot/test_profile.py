"""What the application sets up on Telegram at start-up (post_init), and how it sends."""

from __future__ import annotations

from tests.bot.conftest import texts_of
from tracker import texts
from tracker.models import Role

PROFILE = "texts/bot_profile.j2"


def calls(harness, method: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for _, name, _ in harness.api.calls if name == method)


async def test_the_description_and_short_description_come_from_the_templates(harness):
    bot = harness.app.bot
    description = (await bot.get_my_description()).description
    short = (await bot.get_my_short_description()).short_description
    assert description == texts.say(PROFILE, "description")
    assert short == texts.say(PROFILE, "short_description")
    assert "davet bağlantısına" in description and "İzmir Kalkınma Ajansı" in short
    # Telegram's limits, so that a longer wording fails here rather than at start-up.
    assert len(description) <= 512 and len(short) <= 120


async def test_a_restart_leaves_an_unchanged_profile_alone(harness):
    """Telegram limits how often a profile may change: it is set only when it differs."""
    assert (calls(harness, "setMyDescription"), calls(harness, "setMyShortDescription")) == (1, 1)
    await harness.restart()
    await harness.restart()
    assert (calls(harness, "setMyDescription"), calls(harness, "setMyShortDescription")) == (1, 1)


async def test_a_refused_profile_does_not_stop_the_start(harness, caplog):
    harness.api.state.bot_texts.clear()
    harness.api.fail_next("setMyDescription", status=400, description="Bad Request: refused")
    with caplog.at_level("WARNING", logger="bot.app"):
        await harness.restart()
    assert "could not set the bot's description" in caplog.text
    # The rest of the start-up went on: the short description is set, the bot answers.
    assert (await harness.app.bot.get_my_short_description()).short_description
    user = await harness.register(5101, "EBSO", Role.REPORTER)
    assert "/durum" in texts_of(await harness.send(user, "/yardim"))[-1]


async def test_replies_are_html_without_link_previews(harness):
    """The builder's Defaults: no handler spells out parse_mode or the link preview."""
    user = await harness.register(5102, "EBSO", Role.REPORTER)
    await harness.send(user, "/yardim")
    sends = [params for _, name, params in harness.api.calls if name == "sendMessage"]
    assert sends
    for params in sends:
        assert params["parse_mode"] == "HTML"
        assert params["link_preview_options"] == {"is_disabled": True}
