"""kume's HTTP layer to the Bot API (bot/telegram_http.py), over real HTTP to the local Bot
API: what PTB encodes arrives as sent (text, buttons, files, long polling), and what goes
wrong becomes PTB's own errors."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.telegram_http import AiohttpRequest, redacted
from local_bot_api import LocalBotApi

USER = 70_001


@pytest.fixture
async def api():
    async with LocalBotApi() as server:
        yield server


def bot_for(api: LocalBotApi, **timeouts: float) -> Bot:
    return Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url,
               request=AiohttpRequest(**timeouts),
               get_updates_request=AiohttpRequest(pool_size=1, **timeouts))


async def test_a_message_with_buttons_arrives_as_sent(api):
    user = api.user(USER)
    async with bot_for(api) as bot:
        await bot.send_message(
            USER, "<b>Çalıştay</b> &amp; şükran: 15 firma", parse_mode="HTML",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Evet", callback_data="e")]]))
    shown = user.last
    assert shown is not None
    assert shown["text"] == "Çalıştay & şükran: 15 firma"
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "e"


async def test_a_file_goes_up_whole_and_comes_back_the_same(api):
    api.user(USER)
    content = bytes(range(256)) * 300  # binary, 75 KiB
    async with bot_for(api) as bot:
        sent = await bot.send_document(USER, content, filename="rapor-2014Q1.xlsx",
                                       caption="İlerleme raporu")
        assert sent.document is not None and sent.caption == "İlerleme raporu"
        assert sent.document.file_name == "rapor-2014Q1.xlsx"
        stored = await bot.get_file(sent.document.file_id)
        assert bytes(await stored.download_as_bytearray()) == content


async def test_long_polling_returns_what_a_person_wrote(api):
    user = api.user(USER)
    await user.send("%40")
    async with bot_for(api) as bot:
        updates = await bot.get_updates(timeout=1)
    assert [u.message.text for u in updates if u.message] == ["%40"]


async def test_the_bot_apis_refusal_is_ptbs_bad_request(api):
    api.user(USER)
    api.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    async with bot_for(api) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(USER, "merhaba")


async def test_a_slow_answer_is_timed_out(api):
    api.user(USER)
    api.delay_next("sendMessage", 2.0)
    async with bot_for(api, read_timeout=0.3) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(USER, "merhaba")


async def test_an_unreachable_server_is_a_network_error():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    bot = Bot("1:x", base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(),
              get_updates_request=AiohttpRequest(pool_size=1))
    with pytest.raises(NetworkError) as failure:
        await bot.initialize()
    assert "aiohttp.ClientConnectorError" in str(failure.value)
    await bot.shutdown()


async def test_a_shut_down_request_refuses_calls():
    request = AiohttpRequest()
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/x", "POST")


def test_the_token_is_cut_out_of_an_error_that_quotes_the_url():
    said = redacted("400, message='x', url='http://127.0.0.1:8081/bot123:AAH-x_y/sendMessage' "
                    "and http://h/file/bot123:AAH-x_y/documents/a.xlsx")
    assert "123:AAH" not in said
    assert said == ("400, message='x', url='http://127.0.0.1:8081/bot<jeton>/sendMessage' "
                    "and http://h/file/bot<jeton>/documents/a.xlsx")


async def test_a_proxy_named_in_the_environment_is_used(api, monkeypatch):
    """As under PTB's httpx: a public body's network may reach Telegram only through a proxy.
    Here the proxy is the local Bot API itself (it answers a request in proxy form), and the
    host in the bot's URL does not exist: the call succeeds only through the proxy."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{api.port}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{api.port}")
    api.user(USER)
    bot = Bot(api.token, base_url="http://telegram.kume.invalid/bot", request=AiohttpRequest(),
              get_updates_request=AiohttpRequest(pool_size=1))
    async with bot:
        sent = await bot.send_message(USER, "vekil üzerinden")
    assert sent.text == "vekil üzerinden"


async def test_no_proxy_keeps_a_host_off_the_proxy(api, monkeypatch):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        dead = free.getsockname()[1]
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead}")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1")
    api.user(USER)
    async with bot_for(api) as bot:
        sent = await bot.send_message(USER, "doğrudan")
    assert sent.text == "doğrudan"
