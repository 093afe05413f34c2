"""What the public portal (`kume web`, `kume archive build`) shows, read from the database.

Only what may be public: sent bulletins as they went out, published events, and the plan's
progress as the bodies reported it (status, progress and quarter; never a narrative, a person or
a file). The web face (web/) renders these; the rules of what is public live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_date
from sqlmodel import Session, col, select

from tracker.formatting import LOCALE
from tracker.models import (
    Action,
    Bulletin,
    BulletinStatus,
    Event,
    EventStatus,
    Organisation,
    Plan,
    Status,
    StatusUpdate,
    Subscriber,
)
from tracker.plans import plan_tree
from tracker.quarters import Quarter
from tracker.rows import select_columns
from tracker.unsubscribe import UNSUBSCRIBE_PATH

# "2014Q1" (a quarter) or "2014-03" (a month): Bulletin.period. Anything else is not a page.
PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))$")
PAST_EVENTS_SHOWN = 50


def period_label(period: str) -> str:
    """"2014Q1" → "2014 1. Çeyrek", "2014-03" → "Mart 2014" (Babel's Turkish month)."""
    found = PERIOD.match(period)
    if found is None:
        return period
    year, quarter, month = found.groups()
    if quarter:
        return Quarter(int(year), int(quarter)).label
    return format_date(date(int(year), int(month), 1), format="LLLL y", locale=LOCALE)


# -- bulletins ---------------------------------------------------------------------------------


def sent_bulletins(session: Session) -> list[Bulletin]:
    """Every bulletin that went out, newest first."""
    return list(session.exec(
        select(Bulletin).where(Bulletin.status == BulletinStatus.SENT)
        .order_by(col(Bulletin.sent_at).desc(), col(Bulletin.id).desc())))


def sent_bulletin(session: Session, period: str) -> Bulletin | None:
    """The sent bulletin of a period; None for an unknown, unsent or malformed period."""
    if PERIOD.match(period) is None:
        return None
    return session.exec(select(Bulletin).where(
        Bulletin.period == period, Bulletin.status == BulletinStatus.SENT)).first()


_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.IGNORECASE | re.DOTALL)
# The frozen mail holds a mark where each recipient's own unsubscribe link went; on a public
# page it would be a dead link, and a real one would be someone's. The paragraph that carries
# it goes (else the link alone).
_LINK_PATH = re.escape(UNSUBSCRIBE_PATH.split("{", 1)[0])
_UNSUBSCRIBE_PARAGRAPH = re.compile(
    r"<p\b[^>]*>(?:(?!</p>).)*?" + _LINK_PATH + r".*?</p>", re.IGNORECASE | re.DOTALL)
_UNSUBSCRIBE_LINK = re.compile(
    r"<a\b[^>]*" + _LINK_PATH + r"[^>]*>.*?</a>", re.IGNORECASE | re.DOTALL)
_UNSUBSCRIBE_LINE = re.compile(r"^.*" + _LINK_PATH + r".*$", re.MULTILINE)


def bulletin_body(bulletin: Bulletin) -> str:
    """The inside of the frozen e-mail HTML's <body>, to show within the site's own page (the
    e-mail's head, meant for mail clients, is left out), without the unsubscribe link. The
    HTML is kume's own, escaped when the bulletin was composed, and is shown as it went out."""
    html = bulletin.frozen_html or ""
    found = _BODY.search(html)
    body = found.group(1) if found else html
    return _UNSUBSCRIBE_LINK.sub("", _UNSUBSCRIBE_PARAGRAPH.sub("", body))


def summary(bulletin: Bulletin, limit: int = 240) -> str:
    """The first lines of the plain-text version, for the archive's index."""
    text = " ".join(_UNSUBSCRIBE_LINE.sub("", bulletin.frozen_text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- events ------------------------------------------------------------------------------------


def upcoming_events(session: Session, now: datetime) -> list[Event]:
    return list(session.exec(
        select(Event).where(Event.status == EventStatus.PUBLISHED, col(Event.starts_at) > now)
        .order_by(col(Event.starts_at), col(Event.id))))


def past_events(session: Session, now: datetime, limit: int = PAST_EVENTS_SHOWN) -> list[Event]:
    return list(session.exec(
        select(Event).where(Event.status == EventStatus.PUBLISHED, col(Event.starts_at) <= now)
        .order_by(col(Event.starts_at).desc(), col(Event.id).desc()).limit(limit)))


def public_event(session: Session, event_id: int) -> Event | None:
    """An event whose calendar file is public: published, or cancelled after it was (its file
    tells a calendar that imported it to drop it). Pending and rejected ones stay private."""
    event = session.get(Event, event_id)
    if event is None or event.status not in (EventStatus.PUBLISHED, EventStatus.CANCELLED):
        return None
    return event


# -- plan progress -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A body's latest report on an action: no narrative, no person."""

    organisation: str  # the body's short name
    status: Status
    progress: int
    quarter: Quarter


@dataclass
class ProgressAction:
    code: str
    title: str
    reports: list[Reported] = field(default_factory=list)


@dataclass
class ProgressGoal:
    code: str
    title: str
    actions: list[ProgressAction] = field(default_factory=list)


@dataclass
class ProgressPriority:
    code: str
    title: str
    goals: list[ProgressGoal] = field(default_factory=list)


@dataclass
class PlanProgress:
    code: str
    title: str
    priorities: list[ProgressPriority]


def latest_reports(session: Session) -> dict[str, list[Reported]]:
    """Each action's latest report per body (latest quarter, then latest version), by action
    code within its plan as "<plan id>:<code>"; in the bodies' name order."""
    rows = session.exec(select_columns(
        col(Action.plan_id), col(Action.code), col(StatusUpdate.organisation_id),
        col(StatusUpdate.quarter), col(StatusUpdate.version), col(StatusUpdate.status),
        col(StatusUpdate.progress),
    ).join(Action, col(Action.id) == col(StatusUpdate.action_id)))
    newest: dict[tuple[str, int], tuple[Quarter, int, str, int]] = {}
    for plan_id, code, org_id, quarter_text, version, status, progress in rows:
        key = (f"{plan_id}:{code}", org_id)
        candidate = (Quarter.parse(quarter_text), version, status, progress)
        if key not in newest or candidate[:2] > newest[key][:2]:
            newest[key] = candidate
    shorts = dict(session.exec(select(Organisation.id, Organisation.short)).all())
    found: dict[str, list[Reported]] = {}
    for (action_key, org_id), (quarter, _, status, progress) in sorted(
        newest.items(), key=lambda item: (item[0][0], shorts.get(item[0][1], ""))
    ):
        found.setdefault(action_key, []).append(
            Reported(shorts.get(org_id, ""), Status(status), progress, quarter))
    return found


def plan_progress(session: Session) -> list[PlanProgress]:
    """Every plan: priorities → goals → actions, each with its bodies' latest reports."""
    reports = latest_reports(session)
    shown = []
    for plan in session.exec(select(Plan).order_by(col(Plan.id))):
        tree = plan_tree(session, plan)
        priorities = [
            ProgressPriority(p.code, p.title, [
                ProgressGoal(g.code, g.title, [
                    ProgressAction(a.code, a.title, reports.get(f"{plan.id}:{a.code}", []))
                    for a in g.actions
                ]) for g in p.goals
            ]) for p in tree.priorities
        ]
        shown.append(PlanProgress(plan.code, plan.title, priorities))
    return shown


# -- unsubscribing -----------------------------------------------------------------------------


def find_subscriber(session: Session, subscriber_id: int) -> Subscriber | None:
    return session.get(Subscriber, subscriber_id)


def masked_address(email: str) -> str:
    """"ayse.yilmaz@example.com" → "a***@example.com": enough for the person to recognise
    their address on the confirmation page, little for anyone else who sees the screen."""
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"
