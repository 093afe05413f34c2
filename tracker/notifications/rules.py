"""When each kind of notification may go out.

The quarterly prompts, reminders and escalations go to people at work: working days, outside
quiet hours. A broadcast to members may go any day, but not at night. A broadcast's progress
and report answer what a person has just done, so they go at once. A new kind of row names
its rule here; a kind not named follows the working-day rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col

from tracker.calendar import (
    CalendarSettings,
    in_quiet_hours,
    may_send_at,
    next_send_window,
)
from tracker.models import Notification
from tracker.quarters import ISTANBUL


class SendRule(StrEnum):
    WORKING_HOURS = "working_hours"  # working days, outside quiet hours
    WAKING_HOURS = "waking_hours"  # any day, outside quiet hours
    ANY_TIME = "any_time"


BROADCAST = "broadcast"
BROADCAST_PROGRESS = "broadcast_progress"
BROADCAST_REPORT = "broadcast_report"
# Events (tracker.events): members are told any day (the working-day rule does not apply),
# never in quiet hours.
EVENT_NOTICE = "event_notice"  # the announcement, one per member of the audience
EVENT_CHANGE = "event_change"  # time or place changed: once per revision
EVENT_CANCEL = "event_cancel"
EVENT_PROMOTED = "event_promoted"  # off the waiting list
EVENT_APPROVAL = "event_approval"  # [events] approval: the preview to an agency person
EVENT_DECISION = "event_decision"  # approved or rejected: the secretary hears it
# An event's day-before reminder and day-after question: any day, not at night.
EVENT_REMINDER = "event_reminder"
EVENT_SATISFACTION = "event_satisfaction"
# Bulletins (tracker.bulletins): any day, not at night; a test to oneself at once.
BULLETIN = "bulletin"
BULLETIN_TEST = "bulletin_test"

RULES: dict[str, SendRule] = {
    BROADCAST: SendRule.WAKING_HOURS,
    BROADCAST_PROGRESS: SendRule.ANY_TIME,
    BROADCAST_REPORT: SendRule.ANY_TIME,
    EVENT_NOTICE: SendRule.WAKING_HOURS,
    EVENT_CHANGE: SendRule.WAKING_HOURS,
    EVENT_CANCEL: SendRule.WAKING_HOURS,
    EVENT_PROMOTED: SendRule.WAKING_HOURS,
    EVENT_APPROVAL: SendRule.WAKING_HOURS,
    EVENT_DECISION: SendRule.WAKING_HOURS,
    EVENT_REMINDER: SendRule.WAKING_HOURS,
    EVENT_SATISFACTION: SendRule.WAKING_HOURS,
    BULLETIN: SendRule.WAKING_HOURS,
    BULLETIN_TEST: SendRule.ANY_TIME,
}
DEFAULT_RULE = SendRule.WORKING_HOURS


def rule_for(kind: str) -> SendRule:
    return RULES.get(kind, DEFAULT_RULE)


def allows(rule: SendRule, moment: datetime, calendar: CalendarSettings) -> bool:
    if rule == SendRule.ANY_TIME:
        return True
    if rule == SendRule.WAKING_HOURS:
        return not in_quiet_hours(moment, calendar)
    return may_send_at(moment, calendar)


def opens_at(rule: SendRule, moment: datetime, calendar: CalendarSettings) -> datetime:
    """The first instant at or after `moment` when the rule lets a row go."""
    if rule == SendRule.WORKING_HOURS:
        return next_send_window(moment, calendar)
    local = moment.astimezone(ISTANBUL)
    if allows(rule, local, calendar):
        return local
    end = datetime.combine(local.date(), calendar.quiet_end, tzinfo=ISTANBUL)
    return end if end > local else end + timedelta(days=1)


def sendable_now(moment: datetime, calendar: CalendarSettings) -> ColumnElement[bool]:
    """A filter on Notification.kind: the kinds whose rule lets them go at `moment`."""
    allowed = {rule for rule in SendRule if allows(rule, moment, calendar)}
    named = [kind for kind, rule in RULES.items() if rule in allowed]
    clauses: list[ColumnElement[bool]] = []
    if named:
        clauses.append(col(Notification.kind).in_(named))
    if DEFAULT_RULE in allowed:
        clauses.append(col(Notification.kind).not_in(list(RULES)))
    return sa.or_(*clauses) if clauses else sa.false()
