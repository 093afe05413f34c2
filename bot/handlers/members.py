"""A cluster member's side: consent to the information notice, /abone, /dur, /verilerim, /sil.

Thin: the rules live in tracker.members; every press is checked there again (a forged cluster
id, an old consent button, a deleted person).
"""

from __future__ import annotations

import html
import json

from markupsafe import Markup
from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.context import KumeContext, in_session
from bot.handlers.common import for_person, menu_for, refusal, sender
from bot.handlers.dialogs import dialog_context, show
from bot.render import message
from bot.replies import Attachment, Outcome, deliver
from tracker import members, texts
from tracker.dialogs.registry import engine
from tracker.errors import DomainError
from tracker.models import Cluster, Person, Rsvp
from tracker.rows import table_of

ACCEPT, DECLINE = "kabul", "red"
BUTTONS = "texts/buttons.j2"


def _button(label: str, command: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.command(command))


def consent_notice(cluster: Cluster, token: str, version: str) -> Outcome:
    """The information notice; its buttons carry the invite's token, so nothing is stored
    until the person accepts."""
    markup = InlineKeyboardMarkup([[
        _button(texts.say(BUTTONS, "consent_accept"), f"uyelik {ACCEPT} {token}"),
        _button(texts.say(BUTTONS, "consent_decline"), f"uyelik {DECLINE} {token}"),
    ]])
    return Outcome().add(
        message("consent", name="notice", cluster=cluster, version=version), markup)


def _argument(arg: str | None) -> list[str]:
    return (arg or "").split()


async def membership(
    update: Update, context: KumeContext, arg: str | None
) -> None:
    """The notice's buttons: accept (the member is stored and asked for their firm) or
    decline (nothing is stored)."""
    who = sender(update)
    if who is None:
        return
    svc = context.services
    words = _argument(arg)

    def work(session: Session) -> Outcome:
        if len(words) != 2 or words[0] not in (ACCEPT, DECLINE):
            if update.callback_query is None:  # typed: it is not a command people use
                return Outcome().add(message("unknown_command", command="/uyelik"))
            return Outcome(notice=message("stale_button"), alert=True)
        if words[0] == DECLINE:
            return Outcome().add(message("consent", name="declined"))
        try:
            joined = members.accept(
                session,
                token=words[1],
                telegram_user_id=who.telegram_user_id,
                display_name=who.display_name,
                notice_version=svc.settings.notice_version,
                now=svc.clock.now(),
            )
        except DomainError as error:
            return refusal(error)
        outcome = Outcome(commands=menu_for(session, joined.person))
        outcome.add(message("consent", name="welcome", person=joined.person,
                            cluster=joined.cluster))
        if joined.new:  # asked once; /verilerim shows it, /sil removes it
            ctx = dialog_context(context, joined.person)
            show(outcome, engine("firm").start(session, ctx, None))
        return outcome

    await deliver(update, context, await in_session(context, work))


def _subscriptions(session: Session, person: Person, changed: str | None = None) -> Outcome:
    subs = members.subscriptions(session, person)
    rows = [
        [_button(texts.say(BUTTONS, "follow", name=cluster.name, following=following),
                 f"abone k {cluster.id}")]
        for cluster, following in subs.clusters
    ]
    rows.append([_button(texts.say(BUTTONS, "bulletins", on=subs.bulletins), "abone b")])
    if not subs.stopped and any(following for _, following in subs.clusters):
        rows.append([_button(texts.say(BUTTONS, "stop_all"), "dur")])
    # `changed` is a rendered message already (escaped HTML): shown as it is in the message,
    # as plain text on the pressed button.
    text = message("members", name="subscriptions", subs=subs,
                   changed=Markup(changed) if changed else None)
    notice = html.unescape(changed) if changed else None
    return Outcome(notice=notice).add(text, InlineKeyboardMarkup(rows))


async def abone(update: Update, context: KumeContext, arg: str | None) -> None:
    """/abone: the clusters with a follow button each, and bulletins; `k <id>` and `b` are
    what those buttons carry."""
    now = context.services.clock.now()
    words = _argument(arg)

    def act(session: Session, person: Person) -> Outcome:
        if not words:
            return _subscriptions(session, person)
        if words[0] == "k" and len(words) == 2 and words[1].isdigit():
            following = members.toggle_follow(session, person, int(words[1]), now)
            cluster = session.get(Cluster, int(words[1]))
            changed = message("members", name="followed", following=following, cluster=cluster)
            return _subscriptions(session, person, changed)
        if words == ["b"]:
            on = members.toggle_bulletins(session, person)
            return _subscriptions(session, person, message("members", name="bulletins", on=on))
        raise DomainError("member_usage")

    await for_person(update, context, act, "abone")


async def dur(update: Update, context: KumeContext, arg: str | None) -> None:
    now = context.services.clock.now()

    def act(session: Session, person: Person) -> Outcome:
        followed = members.stop(session, person, now)
        return Outcome().add(message("members", name="stopped", followed=followed))

    await for_person(update, context, act, "dur")


async def verilerim(
    update: Update, context: KumeContext, arg: str | None
) -> None:
    def act(session: Session, person: Person) -> Outcome:
        data = members.stored_about(session, person)
        subs = members.subscriptions(session, person)
        clusters = [cluster.name for cluster, following in subs.clusters if following]
        rsvps = len(data.get(table_of(Rsvp).name, []))
        outcome = Outcome().add(
            message("members", name="data", person=person, clusters=clusters, rsvps=rsvps))
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
        outcome.files.append(Attachment(body, "kume-verilerim.json"))
        return outcome

    await for_person(update, context, act, "verilerim")


async def sil(update: Update, context: KumeContext, arg: str | None) -> None:
    """/sil asks first; its "Evet" button (`sil evet`) deletes, "Vazgeç" keeps everything."""
    now = context.services.clock.now()
    words = _argument(arg)

    def act(session: Session, person: Person) -> Outcome:
        if not words:
            markup = InlineKeyboardMarkup([[
                _button(texts.say(BUTTONS, "delete_yes"), "sil evet"),
                _button(texts.say(BUTTONS, "delete_no"), "sil hayir"),
            ]])
            return Outcome().add(message("members", name="delete_confirm"), markup)
        if words == ["evet"]:
            members.forget(session, person, now)
            return Outcome(commands=["yardim"]).add(message("members", name="deleted"))
        if words == ["hayir"]:
            return Outcome().add(message("members", name="delete_kept"))
        raise DomainError("member_usage")

    await for_person(update, context, act, "sil")
