"""/rapor [süzgeçler]: the agency's report in the chat: a summary, the workbook, the charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session
from telegram import InputFile, Update
from telegram.constants import ChatAction

from bot import rendering
from bot.context import KumeContext, in_session
from bot.fit import send_html
from bot.handlers.common import refusal, registered, sender, unregistered
from bot.replies import Outcome, deliver
from tracker import texts
from tracker.access import require
from tracker.errors import DomainError

if TYPE_CHECKING:
    from tracker import reports

CAPTIONS = rendering.CAPTIONS
UPLOAD_TIMEOUT = 60.0  # seconds to send a file; the configured timeout is for short calls


async def rapor(update: Update, context: KumeContext) -> None:
    who = sender(update)
    chat = update.effective_chat
    if who is None or chat is None:
        return
    svc = context.services
    words = list(context.args or [])
    now = svc.clock.now()
    settings = svc.settings.calendar

    # deferred: the report's queries load on the first /rapor (the drawing never in this
    # process when a worker runs, see bot/rendering.py), so the bot and `kume run-due` start
    # quickly.
    from tracker import reports

    def check(session: Session) -> Outcome | reports.ReportFilters:
        person = registered(session, who)
        if person is None:
            return unregistered()
        try:
            require(person, "rapor")
        except DomainError as error:
            return refusal(error)
        try:
            return reports.parse_filters(words, session=session, now=now, settings=settings)
        except DomainError as error:
            if error.code == "report_usage":
                return Outcome().add(texts.say(CAPTIONS, "usage", error=texts.describe(error)))
            return refusal(error)

    checked = await in_session(context, check)
    if isinstance(checked, Outcome):
        await deliver(update, context, checked)
        return
    await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
    filters = checked
    if rendering.running():
        # Built and drawn in the worker: the bot never holds the report's rows.
        url = svc.engine.url.render_as_string(hide_password=False)
        job = rendering.ReportJob(url, filters, now, settings)
        rendered = await rendering.run(rendering.build_and_render, job)
    else:
        report = await in_session(
            context,
            lambda session: reports.build_report(session, filters, now=now, settings=settings),
            heavy=True,
        )
        rendered = await rendering.run(rendering.render_report, report)
    await send_html(context.bot, chat.id, rendered.summary)
    await context.bot.send_document(
        chat.id,
        InputFile(rendered.workbook, filename=rendered.file_name),
        caption=rendered.caption,
        write_timeout=UPLOAD_TIMEOUT,
    )
    for png, name, caption in rendered.charts:
        await context.bot.send_photo(
            chat.id,
            InputFile(png, filename=name),
            caption=caption,
            write_timeout=UPLOAD_TIMEOUT,
        )


__all__ = ["rapor"]
