"""The in-process Bot API adapter: Telegram's answers and errors, without a socket."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken

from local_bot_api import InProcessRequest, LocalBotApi


@pytest.fixture
async def api_bot():
    api = LocalBotApi()
    bot = Bot(api.token, request=InProcessRequest(api), get_updates_request=InProcessRequest(api))
    await bot.initialize()
    try:
        yield api, bot
    finally:
        await bot.shutdown()


async def test_calls_reach_the_method_implementations_and_are_logged(api_bot):
    api, bot = api_bot
    assert bot.username == "kume_bot"
    user = api.user(42, "Ayşe")
    sent = await bot.send_message(42, "<b>kalın</b> &amp; düz", parse_mode="HTML")
    assert sent.text == "kalın & düz" and sent.entities[0].type == "bold"
    assert user.last["raw_text"] == "<b>kalın</b> &amp; düz"
    assert [name for _, name, _ in api.calls] == ["getMe", "sendMessage"]


async def test_telegram_errors_come_back_as_telegram_exceptions(api_bot):
    api, bot = api_bot
    api.user(42)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(42, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(43, "kimse yok")
    api.fail_next("sendMessage", status=400, description="Bad Request: injected")
    with pytest.raises(BadRequest, match="(?i)injected"):
        await bot.send_message(42, "merhaba")
    await bot.send_message(42, "merhaba")  # the fault was used up


async def test_a_wrong_token_is_unauthorized():
    api = LocalBotApi()
    bot = Bot("999:WRONG", request=InProcessRequest(api.state))
    with pytest.raises(InvalidToken):
        await bot.get_me()


async def test_uploads_and_downloads_work_in_memory(api_bot):
    api, bot = api_bot
    user = api.user(42)
    sent = await bot.send_document(42, b"%PDF-1.4 rapor", filename="rapor.pdf")
    assert user.last["document"]["file_name"] == "rapor.pdf"
    incoming = await user.send_document("kanit.txt", b"kanit verisi")
    file = await bot.get_file(incoming["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"kanit verisi"
    assert sent.document.file_size == len(b"%PDF-1.4 rapor")
