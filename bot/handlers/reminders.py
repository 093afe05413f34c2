"""Answers to reminders: snooze, "not our action", and the agency reopening a quarter."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.context import KumeContext
from bot.handlers.common import for_person
from bot.render import message, prompt_markup
from bot.replies import Outcome
from tracker import texts
from tracker.dialogs.base import Choice, Prompt
from tracker.locks import reopen
from tracker.notifications.due import duties, snooze
from tracker.notifications.reassign import report_not_ours
from tracker.quarters import Quarter, QuarterError
from tracker.status_updates import action_ref, named_action


def _quarter(words: list[str]) -> tuple[Quarter | None, str | None]:
    """The quarter the first word names; else None and why (None too: nothing was typed)."""
    if not words:
        return None, None
    try:
        return Quarter.parse(words[0]), None
    except QuarterError as exc:
        return None, texts.describe(exc)


def _usage(command: str, now: datetime, error: str | None) -> Outcome:
    # The example is the quarter being reported on now: the one a person most likely means.
    example = Quarter.of(now).previous()
    return Outcome().add(message("reminder_usage", command=command, example=example, error=error))


async def _run(
    update: Update, context: KumeContext, command: str, args: list[str], act
) -> None:  # type: ignore[no-untyped-def]
    await for_person(update, context, lambda session, person: act(session, person, args), command)


async def ertele(
    update: Update, context: KumeContext, args: list[str] | None = None
) -> None:
    svc = context.services

    def act(session, person, words):  # type: ignore[no-untyped-def]
        quarter, error = _quarter(words)
        if quarter is None:
            return _usage("ertele", svc.clock.now(), error)
        when = snooze(session, person, quarter, svc.clock.now(), svc.settings.calendar)
        return Outcome().add(message("snoozed", when=when))

    await _run(
        update, context, "ertele", args if args is not None else list(context.args or []), act
    )


async def degil(
    update: Update, context: KumeContext, args: list[str] | None = None
) -> None:
    svc = context.services

    def act(session, person, words):  # type: ignore[no-untyped-def]
        quarter, error = _quarter(words)
        if quarter is None:
            return _usage("degil", svc.clock.now(), error)
        duty = duties(session, quarter).get(person.organisation_id)
        actions = duty.actions if duty else []
        if len(words) < 2:
            choices = [
                [
                    Choice(
                        f"/degil {quarter} {action_ref(a)}",
                        texts.say("texts/buttons.j2", "not_ours_action", code=a.code),
                    )
                ]
                for a in actions
            ]
            prompt = Prompt(
                "messages/not_ours.j2", {"quarter": quarter, "actions": actions}, choices
            )
            return Outcome().add(
                message("not_ours", quarter=quarter, actions=actions),
                prompt_markup(prompt, None, 0),
            )
        action = named_action(session, actions, words[1], quarter)
        report_not_ours(session, person=person, action=action, quarter=quarter,
                        now=svc.clock.now())
        return Outcome().add(message("not_ours_sent", action=action, quarter=quarter))

    await _run(
        update, context, "degil", args if args is not None else list(context.args or []), act
    )


async def kilit(update: Update, context: KumeContext) -> None:
    svc = context.services

    def act(session, person, words):  # type: ignore[no-untyped-def]
        days = 7
        if words and words[-1].isdigit() and len(words) >= 3:
            days = int(words.pop())
        if len(words) < 2:
            return Outcome().add(message("reopen_usage"))
        organisation, quarter = " ".join(words[:-1]), words[-1]
        org, parsed, until = reopen(
            session,
            organisation=organisation,
            quarter=quarter,
            days=days,
            by=person,
            now=svc.clock.now(),
            settings=svc.settings.calendar,
        )
        return Outcome().add(message("reopened", organisation=org, quarter=parsed, until=until))

    await _run(update, context, "kilit", list(context.args or []), act)


__all__ = ["degil", "ertele", "kilit"]
