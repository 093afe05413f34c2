"""End-to-end tests of the local Bot API stand-in with a real python-telegram-bot client.

Everything goes over HTTP on 127.0.0.1: these tests prove that PTB's own request encoding
(form-encoded / multipart, JSON-encoded nested values) and error mapping work against
``LocalBotApi``, so bot tests built on it exercise the same code paths as production.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import html
from collections.abc import AsyncIterator

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from local_bot_api import LocalBotApi, TelegramLimits

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082"
)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as client:
        yield client


def yes_no() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Evet", callback_data="yes"),
                InlineKeyboardButton("Hayır", callback_data="no"),
            ]
        ]
    )


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    name = html.escape(update.effective_user.first_name)
    args = " ".join(context.args)
    await update.message.reply_html(f"Merhaba <b>{name}</b> {args}", reply_markup=yes_no())


async def on_two(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text("first")
    await asyncio.sleep(0.05)  # a pause shorter than the quiet window must not split replies
    await update.message.reply_text("second")


async def on_choice(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"got {query.data}")
    await query.edit_message_text(f"Seçim: {query.data}")


def build_app(api: LocalBotApi) -> Application:
    app = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .job_queue(None)
        .build()
    )
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("two", on_two))
    app.add_handler(CallbackQueryHandler(on_choice, pattern="^(yes|no)$"))
    return app


@contextlib.asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Run the application the way production does (long polling), then stop it cleanly."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


# -- basics ------------------------------------------------------------------------------------


async def test_get_me_over_http(api: LocalBotApi, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "kume_bot", True)
    assert api.base_url == f"http://127.0.0.1:{api.port}/bot"
    assert api.calls[0][1] == "getMe"


async def test_wrong_token_and_unknown_method(api: LocalBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=api.base_url):
            pass
    with pytest.raises(EndPointNotFound):  # the server answered 404 "Not Found"
        await bot.do_api_request("noSuchMethod")


# -- a real Application ------------------------------------------------------------------------


async def test_command_reply_button_press_and_edit(api: LocalBotApi) -> None:
    user = api.user(42, "Ayşe")
    async with polling(build_app(api)):
        await user.send("/start plan")
        [reply] = await user.replies()
        assert reply["text"] == "Merhaba Ayşe plan"
        assert reply["entities"] == [{"type": "bold", "offset": 8, "length": 4}]
        assert reply["raw_text"] == "Merhaba <b>Ayşe</b> plan"

        await user.press(reply, "Evet")
        edited = await user.reply()
        assert edited["text"] == "Seçim: yes"
        assert "reply_markup" not in edited  # editing without markup drops the keyboard
        assert (await user.wait_answer())["text"] == "got yes"
        assert user.last["message_id"] == reply["message_id"]
        assert len(user.messages) == 1
    assert api.pending_updates == []  # the shutdown getUpdates confirmed everything


async def test_replies_waits_for_settle_and_no_reply_detects_silence(api: LocalBotApi) -> None:
    user = api.user(43)
    async with polling(build_app(api)):
        await user.send("/two")
        assert [m["text"] for m in await user.replies()] == ["first", "second"]

        await user.press_raw(user.last["message_id"], "forged:999")  # no handler matches
        await user.assert_no_reply(within=0.2)

        await user.send("/two")
        with pytest.raises(AssertionError, match="expected no reply"):
            await user.assert_no_reply(within=0.2)


async def test_press_unknown_button_lists_available(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(44)
    sent = await bot.send_message(44, "?", reply_markup=yes_no())
    with pytest.raises(AssertionError, match="'Evet'->'yes'"):
        await user.press(sent.message_id, "Belki")


# -- files -------------------------------------------------------------------------------------


async def test_document_upload_get_file_and_download(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(50)
    payload = bytes(range(256)) * 10
    message = await bot.send_document(
        50, document=payload, filename="plan.xlsx", caption="<b>Plan</b>", parse_mode="HTML"
    )
    assert message.document.file_name == "plan.xlsx"
    assert message.document.file_size == len(payload)
    assert message.caption == "Plan"
    assert user.last["document"]["file_id"] == message.document.file_id

    file = await bot.get_file(message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == payload

    again = await bot.send_document(50, document=message.document.file_id)  # re-send by id
    assert again.document.file_unique_id == message.document.file_unique_id


async def test_user_files_can_be_downloaded_by_the_bot(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(51)
    await user.send_document("veri.csv", b"a;b\n1;2\n", caption="rapor")
    await user.send_photo(PNG_1X1)
    updates = await bot.get_updates()
    document = updates[0].message.document
    assert (document.file_name, document.mime_type) == ("veri.csv", "text/csv")
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a;b\n1;2\n"
    photo = updates[1].message.photo[-1]
    assert (photo.width, photo.height) == (1, 1)
    sent = await bot.send_photo(51, photo=photo.file_id)
    assert sent.photo[-1].file_id == photo.file_id


# -- Telegram's validation ---------------------------------------------------------------------
# PTB strips the "Bad Request: " prefix and re-capitalises the description: match with (?i).


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a < b", "Unclosed start tag"),
        ("R&D", "Can't find end of the entity"),
        ("line<br>break", 'Unsupported start tag "br"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
    ],
)
async def test_invalid_html_is_a_bad_request(
    api: LocalBotApi, bot: Bot, text: str, reason: str
) -> None:
    api.user(60)
    with pytest.raises(BadRequest, match="(?i)can't parse entities") as caught:
        await bot.send_message(60, text, parse_mode="HTML")
    assert reason.lower() in caught.value.message.lower()


async def test_message_validation_errors(api: LocalBotApi, bot: Bot) -> None:
    api.user(61)
    allowed = '<a href="https://x.org/?a=1&amp;b=2">l</a> <tg-spoiler>s</tg-spoiler> &lt;ok&gt;'
    assert (await bot.send_message(61, allowed, parse_mode="HTML")).text == "l s <ok>"
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(61, "  ")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(61, "x" * 4097)
    assert len((await bot.send_message(61, "x" * 4096)).text) == 4096
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="ş" * 33)]])
        await bot.send_message(61, "hi", reply_markup=markup)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "who?")


async def test_edit_to_identical_content_is_not_modified(api: LocalBotApi, bot: Bot) -> None:
    api.user(62)
    sent = await bot.send_message(62, "<b>same</b>", parse_mode="HTML", reply_markup=yes_no())
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>same</b>", 62, sent.message_id, parse_mode="HTML", reply_markup=yes_no()
        )
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_reply_markup(62, sent.message_id, reply_markup=yes_no())
    edited = await bot.edit_message_reply_markup(62, sent.message_id, reply_markup=None)
    assert edited.reply_markup is None
    assert await bot.delete_message(62, sent.message_id)
    assert api.user(62).last["deleted"] is True
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("new", 62, sent.message_id)


async def test_reply_keyboard_is_chat_state(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(63)
    await bot.send_message(63, "seç", reply_markup=ReplyKeyboardMarkup([["Bugün", "Yarın"]]))
    assert user.keyboard == [["Bugün", "Yarın"]]
    await user.tap("Yarın")
    assert user.sent[-1]["text"] == "Yarın"
    await bot.send_message(63, "tamam", reply_markup=ReplyKeyboardRemove())
    assert user.keyboard is None


# -- faults ------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
# PTB 22 warns that retry_after becomes a timedelta in its next major version; both are fine.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_flood_fault_raises_retry_after(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(70)
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(70, "hi")
    # PTB 22.2+ deprecates the int form in favour of timedelta (opt-in via PTB_TIMEDELTA).
    assert caught.value.retry_after in (7, dt.timedelta(seconds=7))
    assert user.messages == []  # a failed call has no side effect
    await bot.send_message(70, "hi")  # the fault was one-shot
    assert [name for _, name, _ in api.calls].count("sendMessage") == 2


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_with_limits_on_the_31st_message_in_a_second_gets_429_with_retry_after() -> None:
    async with (LocalBotApi(limits=TelegramLimits()) as api,
                Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot):
        for chat in range(31):
            api.user(100 + chat)
        sent = await asyncio.gather(*(bot.send_message(100 + chat, "duyuru")
                                      for chat in range(30)))
        assert len(sent) == 30
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(130, "duyuru")
        assert caught.value.retry_after in (1, dt.timedelta(seconds=1))
        assert api.users[130].messages == []
        assert api.too_many_requests == 1
        assert api.refused == [("sendMessage", "Too Many Requests: retry after 1")]


async def test_the_round_trip_delays_every_answer_but_the_message_lands_on_arrival() -> None:
    async with (LocalBotApi(round_trip=0.3) as api,
                Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as bot):
        user = api.user(90)
        await bot.get_me()  # the connection is open: what follows is the round trip alone
        started = asyncio.get_running_loop().time()
        call = asyncio.create_task(bot.send_message(90, "merhaba"))
        [arrived] = await user.wait_for(timeout=2)
        assert arrived["text"] == "merhaba" and not call.done()
        await call
        assert asyncio.get_running_loop().time() - started >= 0.3


async def test_blocked_user_raises_forbidden_until_they_write_again(
    api: LocalBotApi, bot: Bot
) -> None:
    user = api.user(71)
    api.block(71)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(71, "hi")
    await user.send("/start")
    assert (await bot.send_message(71, "welcome back")).text == "welcome back"


async def test_delay_provokes_client_timeout_but_the_call_still_lands(
    api: LocalBotApi, bot: Bot
) -> None:
    user = api.user(72)
    api.delay_next("sendMessage", 0.4)
    with pytest.raises(TimedOut):
        await bot.send_message(72, "slow", read_timeout=0.1)
    [late] = await user.wait_for(timeout=2)
    assert late["text"] == "slow"  # the response was lost, the message was not


# -- polling -----------------------------------------------------------------------------------


async def test_long_poll_returns_when_an_update_arrives(api: LocalBotApi, bot: Bot) -> None:
    user = api.user(80)
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    await user.send("hello")
    [update] = await poll
    assert loop.time() - started < 1
    assert update.message.text == "hello"
    assert await bot.get_updates(offset=update.update_id + 1) == ()
    assert api.pending_updates == []


async def test_newer_poll_terminates_older_one_with_conflict(api: LocalBotApi, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    async with Bot(api.token, base_url=api.base_url) as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="(?i)terminated by other getupdates"):
        await older


async def test_stop_releases_pending_long_poll_quickly() -> None:
    server = await LocalBotApi().start()
    client = Bot(server.token, base_url=server.base_url)
    await client.initialize()
    poll = asyncio.create_task(client.get_updates(timeout=30, read_timeout=35))
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.stop()
    assert loop.time() - started < 1.5
    with contextlib.suppress(Exception):
        await poll
    await client.shutdown()


# -- commands ----------------------------------------------------------------------------------


async def test_commands_resolve_by_scope_and_language(api: LocalBotApi, bot: Bot) -> None:
    vip = api.user(90, language_code="tr")
    english = api.user(91, language_code="en")
    turkish = api.user(92, language_code="tr")
    await bot.set_my_commands([BotCommand("start", "Başla")])
    await bot.set_my_commands(
        [BotCommand("help", "Help")], scope=BotCommandScopeAllPrivateChats(), language_code="en"
    )
    await bot.set_my_commands([BotCommand("admin", "Yönetim")], scope=BotCommandScopeChat(90))

    assert [c["command"] for c in vip.commands] == ["admin"]
    assert [c["command"] for c in english.commands] == ["help"]
    assert [c["command"] for c in turkish.commands] == ["start"]
    stored = await bot.get_my_commands(scope=BotCommandScopeChat(90))
    assert [c.command for c in stored] == ["admin"]

    await bot.delete_my_commands(scope=BotCommandScopeChat(90))
    assert [c["command"] for c in vip.commands] == ["start"]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])


async def test_descriptions_by_language_and_their_limits(api: LocalBotApi, bot: Bot) -> None:
    assert (await bot.get_my_description()).description == ""
    await bot.set_my_description("Eylem planı asistanı")
    await bot.set_my_description("Action plan assistant", language_code="en")
    await bot.set_my_short_description("Kısa")
    assert (await bot.get_my_description()).description == "Eylem planı asistanı"
    assert (await bot.get_my_description(language_code="en")).description == (
        "Action plan assistant")
    # A language without its own falls back to the default one.
    assert (await bot.get_my_short_description(language_code="de")).short_description == "Kısa"

    await bot.set_my_description("x" * 512)
    with pytest.raises(BadRequest):
        await bot.set_my_description("x" * 513)
    with pytest.raises(BadRequest):
        await bot.set_my_short_description("x" * 121)
    assert (await bot.get_my_short_description()).short_description == "Kısa"


async def test_groups_and_channels(api: LocalBotApi, bot: Bot) -> None:
    """A group the bot is added to, a channel where it must be an administrator, the
    updates Telegram sends for both, and getChatMember."""
    owner = api.user(42, "Ayşe")
    group = api.group(-1001, "Küme grubu")
    group.join(owner, "creator")
    with pytest.raises(Forbidden, match="not a member of the group chat"):
        await bot.send_message(-1001, "önce")
    await group.add_bot(owner)
    await group.post("/bagla organik", by=owner)
    channel = api.group(-1002, "Küme kanalı", kind="channel", username="kumekanal")
    await channel.add_bot(owner)
    with pytest.raises(BadRequest, match="(?i)need administrator rights"):
        await bot.send_message("@kumekanal", "henüz değil")
    await channel.add_bot(owner, admin=True)
    await channel.post("/bagla organik")

    updates = await bot.get_updates(timeout=0)
    added, typed, _, promoted, posted = updates
    assert added.my_chat_member.new_chat_member.status == "member"
    assert added.my_chat_member.from_user.id == 42
    assert typed.message.chat.type == "supergroup" and typed.message.from_user.id == 42
    assert typed.message.text == "/bagla organik"
    assert promoted.my_chat_member.new_chat_member.status == "administrator"
    assert posted.channel_post.sender_chat.id == -1002 and posted.channel_post.from_user is None

    await bot.send_message(-1001, "<b>Duyuru</b>", parse_mode="HTML")
    assert group.last["text"] == "Duyuru"
    sent = await bot.send_message("@kumekanal", "Kanal duyurusu")
    assert sent.chat.id == -1002 and channel.last["text"] == "Kanal duyurusu"
    me = await bot.get_chat_member(-1002, bot.id)
    assert me.status == "administrator" and me.can_post_messages
    assert (await bot.get_chat_member(-1001, 42)).status == "creator"
    assert (await bot.get_chat_member(-1001, 7)).status == "left"
    chat = await bot.get_chat("@kumekanal")
    assert chat.type == "channel" and chat.title == "Küme kanalı"
    await group.remove_bot(owner)
    with pytest.raises(Forbidden):
        await bot.send_message(-1001, "sonra")
