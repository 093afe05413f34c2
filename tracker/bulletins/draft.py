"""A bulletin's content for a period, drawn from the database: one builder per section.

What the responsible bodies reported (completed or advanced actions, in their own words), the
events held (participants, satisfaction) and coming, the indicator figures that moved most,
member growth per cluster, and the news items the agency added. The templates in
templates/bulletins/ turn a `BulletinDraft` into the Telegram, e-mail and plain-text versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from tracker.bulletins.period import Period
from tracker.events.figures import event_figures
from tracker.member_counts import member_counts
from tracker.models import (
    Action,
    BulletinItem,
    Cluster,
    Event,
    EventStatus,
    Indicator,
    IndicatorValue,
    Organisation,
    Status,
    StatusUpdate,
)

MAX_ACTIONS = 15  # the rest are counted ("and 4 more"): a bulletin is read on a phone
MAX_HIGHLIGHTS = 5
MAX_UPCOMING = 8
UPCOMING_DAYS = 120


@dataclass(frozen=True)
class ActionNews:
    code: str
    title: str
    body: str  # the responsible body's short name
    status: str  # tracker.models.Status value
    progress: int
    previous: int | None  # the progress reported before the period, if any
    narrative: str  # the body's own words


@dataclass(frozen=True)
class HeldEvent:
    title: str
    starts_at: datetime
    place: str | None
    participants: int  # said yes
    attended: int | None
    satisfaction: Decimal | None  # 1-5
    satisfaction_answers: int | None


@dataclass(frozen=True)
class UpcomingEvent:
    title: str
    starts_at: datetime
    place: str | None
    online: bool


@dataclass(frozen=True)
class Highlight:
    code: str
    title: str
    subject: str  # the cluster's (or organisation's) name
    unit: str
    before: Decimal
    after: Decimal
    before_period: str
    after_period: str

    @property
    def change(self) -> Decimal:
        return self.after - self.before

    @property
    def relative(self) -> Decimal | None:
        """The change as a percentage of the earlier figure (None from zero)."""
        if self.before.is_zero():
            return None
        return (self.change / abs(self.before) * 100).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Growth:
    cluster: str
    before: int
    after: int
    joined: int
    left: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class NewsItem:
    id: int
    title: str
    body: str
    link: str | None
    image_file_id: str | None
    image_alt: str | None
    image_path: str | None = None

    @property
    def image_url(self) -> str | None:
        """An image the e-mail can show: only one kept at a web address (a Telegram file id
        means nothing to a mail client)."""
        path = self.image_path or ""
        return path if path.startswith(("https://", "http://")) else None


@dataclass(frozen=True)
class BulletinDraft:
    period: Period
    actions: tuple[ActionNews, ...] = ()
    more_actions: int = 0  # reported but not shown (MAX_ACTIONS)
    held: tuple[HeldEvent, ...] = ()
    upcoming: tuple[UpcomingEvent, ...] = ()
    highlights: tuple[Highlight, ...] = ()
    growth: tuple[Growth, ...] = ()
    news: tuple[NewsItem, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.actions or self.held or self.upcoming or self.highlights
                    or self.growth or self.news)


def compose(session: Session, period: Period, now: datetime,
            bulletin_id: int | None = None) -> BulletinDraft:
    """The whole draft; `now` decides which events are still to come."""
    actions, more = action_news(session, period)
    return BulletinDraft(
        period=period, actions=actions, more_actions=more, held=held_events(session, period, now),
        upcoming=upcoming_events(session, period, now),
        highlights=indicator_highlights(session, period), growth=member_growth(session, period),
        news=news_items(session, bulletin_id) if bulletin_id is not None else ())


# -- actions -------------------------------------------------------------------------------------


def action_news(session: Session, period: Period) -> tuple[tuple[ActionNews, ...], int]:
    """Actions completed, or whose progress rose, in the period: the latest version of each
    body's update for the period's quarter (for a month: written in that month)."""
    quarter = period.quarter_of
    query = select(StatusUpdate).where(col(StatusUpdate.quarter) <= str(quarter))
    rows = session.exec(query.order_by(col(StatusUpdate.quarter), col(StatusUpdate.version),
                                       col(StatusUpdate.id))).all()
    latest: dict[tuple[int, int], StatusUpdate] = {}
    before: dict[tuple[int, int], StatusUpdate] = {}
    for row in rows:
        key = (row.action_id, row.organisation_id)
        if row.quarter == str(quarter):
            latest[key] = row
        else:
            before[key] = row
    if period.is_month:
        latest = {k: r for k, r in latest.items()
                  if period.start <= r.created_at < period.end}
    news = [(row, before.get(key)) for key, row in latest.items()
            if _advanced(row, before.get(key))]
    if not news:
        return (), 0
    actions = {a.id: a for a in session.exec(select(Action).where(
        col(Action.id).in_({r.action_id for r, _ in news})))}
    bodies = {o.id: o for o in session.exec(select(Organisation).where(
        col(Organisation.id).in_({r.organisation_id for r, _ in news})))}
    items = sorted(
        (ActionNews(code=actions[r.action_id].code, title=actions[r.action_id].title,
                    body=bodies[r.organisation_id].short, status=str(r.status),
                    progress=r.progress, previous=b.progress if b is not None else None,
                    narrative=r.narrative)
         for r, b in news),
        key=lambda a: (a.status != Status.COMPLETED, -a.progress, a.code, a.body))
    return tuple(items[:MAX_ACTIONS]), max(len(items) - MAX_ACTIONS, 0)


def _advanced(row: StatusUpdate, before: StatusUpdate | None) -> bool:
    if row.status == Status.COMPLETED:
        return before is None or before.status != Status.COMPLETED
    if row.status != Status.IN_PROGRESS:
        return False
    return row.progress > (before.progress if before is not None else 0)


# -- events --------------------------------------------------------------------------------------


def held_events(session: Session, period: Period, now: datetime) -> tuple[HeldEvent, ...]:
    """Published events of the period that have begun by `now`, with their figures."""
    until = min(period.end, now)
    events = list(session.exec(select(Event).where(
        col(Event.status) == EventStatus.PUBLISHED, col(Event.starts_at) >= period.start,
        col(Event.starts_at) < until).order_by(col(Event.starts_at), col(Event.id))))
    figures = event_figures(session, [e.id for e in events if e.id is not None])
    return tuple(
        HeldEvent(title=e.title, starts_at=e.starts_at, place=e.place,
                  participants=figures[e.id].yes, attended=figures[e.id].attended,
                  satisfaction=figures[e.id].satisfaction,
                  satisfaction_answers=figures[e.id].satisfaction_answers)
        for e in events if e.id is not None)


def upcoming_events(session: Session, period: Period, now: datetime) -> tuple[UpcomingEvent, ...]:
    """Published events still to come after `now` (the bulletin's moment)."""
    since = now
    events = session.exec(select(Event).where(
        col(Event.status) == EventStatus.PUBLISHED, col(Event.starts_at) > since,
        col(Event.starts_at) < since + timedelta(days=UPCOMING_DAYS))
        .order_by(col(Event.starts_at), col(Event.id)).limit(MAX_UPCOMING))
    return tuple(UpcomingEvent(title=e.title, starts_at=e.starts_at, place=e.place,
                               online=e.online_url is not None) for e in events)


# -- indicators ----------------------------------------------------------------------------------


def indicator_highlights(session: Session, period: Period) -> tuple[Highlight, ...]:
    """The figures of the period's quarter that changed most against the latest earlier
    figure of the same indicator and subject (relative change; from zero, the absolute)."""
    quarter = str(period.quarter_of)
    rows = session.exec(select(IndicatorValue)
                        .where(col(IndicatorValue.period) <= quarter)
                        .order_by(col(IndicatorValue.period), col(IndicatorValue.version),
                                  col(IndicatorValue.id))).all()
    now_: dict[tuple[int, str], IndicatorValue] = {}
    then: dict[tuple[int, str], IndicatorValue] = {}
    for row in rows:
        key = (row.indicator_id, row.subject_key)
        (now_ if row.period == quarter else then)[key] = row
    pairs = [(now_[k], then[k]) for k in now_ if k in then and now_[k].value != then[k].value]
    if not pairs:
        return ()
    indicators = {i.id: i for i in session.exec(select(Indicator).where(
        col(Indicator.id).in_({a.indicator_id for a, _ in pairs})))}
    clusters = {c.id: c.name for c in session.exec(select(Cluster))}
    orgs = {o.id: o.short for o in session.exec(select(Organisation))}
    found = [
        Highlight(code=indicators[a.indicator_id].code, title=indicators[a.indicator_id].title,
                  subject=clusters.get(a.cluster_id, "") if a.cluster_id is not None
                  else orgs.get(a.organisation_id, ""),
                  unit=indicators[a.indicator_id].unit, before=b.value, after=a.value,
                  before_period=b.period, after_period=a.period)
        for a, b in pairs]
    found.sort(key=lambda h: (-(abs(h.relative) if h.relative is not None else Decimal(10**9)),
                              h.code, h.subject))
    return tuple(found[:MAX_HIGHLIGHTS])


# -- members -------------------------------------------------------------------------------------


def member_growth(session: Session, period: Period) -> tuple[Growth, ...]:
    """Members per cluster at the start and end of the period, for clusters with any."""
    return tuple(Growth(cluster=c.cluster_name, before=c.active_before, after=c.active,
                        joined=c.joined, left=c.left)
                 for c in member_counts(session, period.start, period.end)
                 if c.active or c.active_before or c.joined)


# -- news ----------------------------------------------------------------------------------------


def news_items(session: Session, bulletin_id: int) -> tuple[NewsItem, ...]:
    rows = session.exec(select(BulletinItem).where(col(BulletinItem.bulletin_id) == bulletin_id)
                        .order_by(col(BulletinItem.position), col(BulletinItem.id)))
    return tuple(NewsItem(id=r.id or 0, title=r.title, body=r.body, link=r.link,
                          image_file_id=r.image_file_id, image_alt=r.image_alt,
                          image_path=r.image_path) for r in rows)
