"""/bagla and /ayir: a cluster's Telegram group or channel, where its notices are posted too.

In a group the admin types `/bagla <küme>` there: Telegram says who wrote it, and only a
registered admin may. A channel post says only which channel it came from (never who wrote
it), so in a channel the command is refused with the way that works: from a private chat,
`/bagla <küme> <@kanal veya -100…>`, after checking with getChatMember that the bot is an
administrator of that channel (else it could not post there). `/ayir` unlinks (in the group,
or privately naming the chat). When the bot is removed from a linked chat, the link goes.
The rules live in tracker.cluster_chats; this module only talks to Telegram.
"""

from __future__ import annotations

import logging

from sqlmodel import Session
from telegram import Chat, ChatFullInfo, ChatMember, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.context import KumeContext, in_session
from bot.handlers.common import refusal, registered, sender, unregistered
from bot.render import message
from bot.replies import Outcome, deliver
from tracker.access import require
from tracker.cluster_chats import all_clusters, cluster_by_code, link, unlink
from tracker.errors import DomainError
from tracker.models import Person, Role
from tracker.people import ensure_admin, person_by_telegram

logger = logging.getLogger(__name__)

T = "cluster_chat"
POSTING = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


def _admin(session: Session, context: KumeContext, update: Update,
           command: str) -> Person:
    """The registered admin who wrote; DomainError (Forbidden) for anyone else."""
    who = sender(update)
    assert who is not None
    person = registered(session, who)
    if person is None and who.telegram_user_id in context.services.settings.admins:
        person = ensure_admin(session, telegram_user_id=who.telegram_user_id,
                              display_name=who.display_name)
    return require(person, command)


def _title(chat: Chat | ChatFullInfo) -> str:
    return chat.title or chat.username or str(chat.id)


async def bagla(update: Update, context: KumeContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.channel_post is not None:  # nobody is named: refused, with the way that works
        await _post(context, chat.id, message(T, name="channel_private"))
        return
    if sender(update) is None:
        return
    words = list(context.args or [])
    if chat.type == ChatType.PRIVATE:
        await _link_from_private(update, context, words)
        return
    now = context.services.clock.now()

    def work(session: Session) -> Outcome:
        try:
            admin = _admin(session, context, update, "bagla")
            if len(words) != 1:
                return Outcome().add(message(T, name="usage_group"))
            cluster = cluster_by_code(session, words[0])
            link(session, cluster, chat.id, _title(chat), admin, now)
        except DomainError as error:
            return refusal(error)
        return Outcome().add(message(T, name="linked", cluster=cluster, title=_title(chat)))

    await deliver(update, context, await in_session(context, work))


async def _link_from_private(update: Update, context: KumeContext,
                             words: list[str]) -> None:
    """`/bagla <küme> <@kanal|-100…>` in a private chat: a channel (or group) by name."""
    who = sender(update)
    assert who is not None

    def check(session: Session) -> Outcome | None:
        if registered(session, who) is None and (
                who.telegram_user_id not in context.services.settings.admins):
            return unregistered()
        try:
            _admin(session, context, update, "bagla")
            if len(words) != 2:
                return Outcome().add(message(T, name="usage_private"))
            cluster_by_code(session, words[0])
        except DomainError as error:
            return refusal(error)
        return None

    refused = await in_session(context, check)
    if refused is not None:
        await deliver(update, context, refused)
        return
    target = _chat_ref(words[1])
    try:
        found = await context.bot.get_chat(target)
        member = await context.bot.get_chat_member(found.id, context.bot.id)
    except TelegramError as exc:
        logger.info("/bagla: %s could not be looked up: %s", words[1], exc)
        await deliver(update, context, Outcome().add(
            message(T, name="chat_not_found", target=words[1])))
        return
    if member.status not in POSTING:
        await deliver(update, context, Outcome().add(
            message(T, name="bot_not_admin", title=_title(found))))
        return
    now = context.services.clock.now()

    def work(session: Session) -> Outcome:
        try:
            admin = _admin(session, context, update, "bagla")
            cluster = cluster_by_code(session, words[0])
            link(session, cluster, found.id, _title(found), admin, now)
        except DomainError as error:
            return refusal(error)
        return Outcome().add(message(T, name="linked", cluster=cluster, title=_title(found),
                                     chat_id=found.id))

    await deliver(update, context, await in_session(context, work))


async def ayir(update: Update, context: KumeContext) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    if update.channel_post is not None:
        await _post(context, chat.id, message(T, name="channel_private"))
        return
    if sender(update) is None:
        return
    words = list(context.args or [])
    who = sender(update)
    assert who is not None

    def work(session: Session) -> Outcome:
        if chat.type == ChatType.PRIVATE and registered(session, who) is None and (
                who.telegram_user_id not in context.services.settings.admins):
            return unregistered()
        try:
            _admin(session, context, update, "ayir")
            # Privately, the chat's numeric id (what /bagla answered with, and kume lists).
            target = chat.id if chat.type != ChatType.PRIVATE else (
                _numeric(words[0]) if len(words) == 1 else None)
            if target is None:
                return Outcome().add(message(T, name="usage_unlink"))
            cluster = unlink(session, target)
        except DomainError as error:
            return refusal(error)
        return Outcome().add(message(T, name="unlinked", cluster=cluster))

    await deliver(update, context, await in_session(context, work))


async def on_my_chat_member(update: Update, context: KumeContext) -> None:
    """The bot was removed from a group or channel: a linked one is unlinked. Added to a
    group by a registered admin: it says how to link it (to anyone else it says nothing)."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    chat_id = change.chat.id
    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        cluster = await in_session(context, lambda session: unlink(session, chat_id))
        if cluster is not None:
            logger.info("removed from chat %s: its link to cluster %s is gone", chat_id,
                        cluster.code)
        return
    if change.old_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED):
        return  # promoted or restricted: nothing to say
    adder = change.from_user.id

    def hint(session: Session) -> str | None:
        person = person_by_telegram(session, adder)
        if person is None or not person.active or person.role != Role.ADMIN:
            return None
        codes = [c.code for c in all_clusters(session)]
        return message(T, name="added", codes=codes, channel=change.chat.type == ChatType.CHANNEL)

    text = await in_session(context, hint)
    if text is not None:
        await _post(context, chat_id, text)


def _chat_ref(text: str) -> int | str:
    """A chat as the Bot API takes it: "@name" or a numeric id."""
    numeric = _numeric(text)
    return numeric if numeric is not None else text if text.startswith("@") else "@" + text


def _numeric(text: str) -> int | None:
    stripped = text.strip()
    return int(stripped) if stripped.lstrip("-").isdigit() else None


async def _post(context: KumeContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)
    except TelegramError:  # a channel that does not let the bot post: nothing more to say
        logger.info("could not answer in chat %s", chat_id)
