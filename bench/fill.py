"""A database with the whole history of the bundled plan, as the agency would have it in 2019.

The bundled plan, 2013Q1-2018Q4 (24 quarters), 60 organisations (the bundled 42 plus
generated ones, members of the groups so that they own actions), 12 clusters with their
management bodies, a contact person per organisation, an answer from every responsible
organisation for every active action in every quarter (some corrected once: two versions),
every level-1 indicator figure of every cluster in every quarter, and the outbox the
scheduler wrote meanwhile (prompts, escalations), marked sent.

`scale` N multiplies the organisations and the clusters (so the answers and the figures):
N = 10 is 600 organisations, 120 clusters, about 107,000 status updates and 66,500 figures.
Generated organisations and clusters are marked as such in their `note`; they are not İZKA
data. Everything is deterministic (a fixed seed); scale 1 is the same database at every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from tracker.calendar import CalendarSettings, schedule
from tracker.db import session_scope
from tracker.models import (
    Cluster,
    DueEvent,
    Indicator,
    IndicatorType,
    IndicatorValue,
    Notification,
    NotificationStatus,
    Organisation,
    OrganisationMember,
    OrgKind,
    Person,
    Plan,
    Role,
    Status,
    StatusUpdate,
)
from tracker.notifications.due import duties, run_due
from tracker.quarters import ISTANBUL, Quarter
from tracker.setup import prepare_database
from tracker.turkish import fold

FIRST, LAST = Quarter(2013, 1), Quarter(2018, 4)
ORGANISATIONS = 60
CLUSTERS = 12
SECOND_VERSION_SHARE = 0.12
GENERATED = "bench: üretilmiş örnek veri, İZKA verisi değildir"
TELEGRAM_IDS = 700_000  # the agency contact is TELEGRAM_IDS + 1 (see AGENCY_USER)
AGENCY_USER = TELEGRAM_IDS + 1
ADMIN_USER = TELEGRAM_IDS - 1  # below the contacts, however many there are
# When the benchmark asks for its reports: the plan has ended, 2018Q4 is being reported.
REPORT_NOW = datetime(2019, 1, 10, 10, 0, tzinfo=ISTANBUL)

# Generated clusters (code, name), added after the six bundled ones.
EXTRA_CLUSTERS = [
    ("mobilya", "İzmir Mobilya Kümesi"),
    ("tekstil-hazir-giyim", "İzmir Tekstil ve Hazır Giyim Kümesi"),
    ("saglik-turizmi", "İzmir Sağlık Turizmi Kümesi"),
    ("lojistik", "İzmir Lojistik Kümesi"),
    ("yenilenebilir-enerji", "İzmir Yenilenebilir Enerji Kümesi"),
    ("biyomedikal", "İzmir Biyomedikal Kümesi"),
]

NARRATIVES = [
    "Küme üyeleriyle çeyrek toplantısı yapıldı; {n} firma katıldı.",
    "{n} firmaya birebir ziyaret gerçekleştirildi, ihtiyaç analizi güncellendi.",
    "Eğitim programı kapsamında {n} katılımcıyla iki gün süren atölye düzenlendi.",
    "Ortak proje başvurusu hazırlandı; {n} paydaşla görüşme yapıldı.",
    "Uluslararası fuara {n} firmayla ortak stant açıldı.",
    "Çalışma grubu {n} kez toplandı, eylem takvimi güncellendi.",
    "Üniversite-sanayi işbirliği kapsamında {n} ortak çalışma başlatıldı.",
    "Tanıtım etkinliği düzenlendi; {n} kişiye ulaşıldı.",
]
BLOCKERS = [
    "Bütçe onayı gecikti.",
    "Paydaş kurumlarla takvim uyumu sağlanamadı.",
    "Personel değişikliği nedeniyle çalışmalar yavaşladı.",
    "İhale süreci uzadı.",
]


@dataclass
class FillResult:
    url: str
    counts: dict[str, int]
    agency_user: int = AGENCY_USER
    now: datetime = REPORT_NOW


def fill(engine: Engine, settings: CalendarSettings | None = None, seed: int = 2013,
         scale: int = 1) -> FillResult:
    """Fill an empty (or unprepared) database; returns the row counts."""
    settings = settings or CalendarSettings()
    state = _State(random.Random(seed))
    with _unsynced(engine):
        return _fill(engine, settings, state, scale)


@contextmanager
def _unsynced(engine: Engine) -> Iterator[None]:
    """SQLite without fsync while filling: the scheduler commits every outbox row on its own
    (tens of thousands at --scale 10), and a benchmark database need not survive a power cut.
    Connections opened meanwhile are closed afterwards, so the timed runs use the usual ones."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def unsynced(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    engine.dispose()
    sa.event.listen(engine, "connect", unsynced)
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", unsynced)
        engine.dispose()


def _fill(engine: Engine, settings: CalendarSettings, state: _State, scale: int) -> FillResult:
    prepare_database(engine)
    with session_scope(engine) as session:
        _organisations(session, ORGANISATIONS * scale, CLUSTERS * scale)
        _people(session)
    for quarter in Quarter.range(FIRST, LAST):
        plan = schedule(quarter, settings)
        with session_scope(engine) as session:
            run_due(session, plan.opens, settings)  # the quarter's prompts
            _status_updates(session, state, quarter, plan.opens)
            _figures(session, state, quarter, plan.opens)
        with session_scope(engine) as session:
            for moment in (*plan.reminders, plan.escalation):  # nothing open: escalation only
                run_due(session, moment, settings)
    with session_scope(engine) as session:
        _mark_sent(session)
        counts = row_counts(session)
    return FillResult(str(engine.url), counts)


def row_counts(session: Session) -> dict[str, int]:
    models = (Organisation, Cluster, Person, StatusUpdate, IndicatorValue, Notification,
              DueEvent)
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in models
    }


class _NewOrg(NamedTuple):
    short: str
    name: str
    kind: OrgKind
    cluster_id: int | None
    group_id: int  # the group it joins, so that it owes that group's actions


def _organisations(session: Session, organisations: int, clusters: int) -> None:
    """Generated clusters (each with its management body in "Küme Yönetimleri") and generated
    universities (in "Üniversiteler") up to the counts, inserted in bulk."""
    groups = {o.short: o.id or 0 for o in session.exec(
        select(Organisation).where(Organisation.kind == OrgKind.GROUP))}
    managements, universities = groups["Küme Yönetimleri"], groups["Üniversiteler"]
    position = session.exec(select(func.max(Organisation.position))).one() or 0
    cluster_position = session.exec(select(func.max(Cluster.position))).one() or 0
    existing = session.exec(select(func.count()).select_from(Cluster)).one()
    new_clusters = _cluster_names(max(0, clusters - existing))
    if new_clusters:
        session.execute(sa.insert(Cluster), [
            {"code": code, "name": name, "position": cluster_position + number}
            for number, (code, name) in enumerate(new_clusters, start=1)])
    cluster_ids = dict(session.execute(sa.select(Cluster.code, Cluster.id)).all())
    new = [_NewOrg("KY " + name.removeprefix("İzmir ").removesuffix(" Kümesi"),
                   f"{name} Yönetimi", OrgKind.CLUSTER_MANAGEMENT, cluster_ids[code],
                   managements)
           for code, name in new_clusters]
    count = session.exec(select(func.count()).select_from(Organisation)).one() + len(new)
    new += [_NewOrg(f"Örnek Kurum {number:02d}", f"Örnek Araştırma Kurumu {number:02d}",
                    OrgKind.UNIVERSITY, None, universities)
            for number in range(1, organisations - count + 1)]
    if not new:
        return
    session.execute(sa.insert(Organisation), [
        {"short": o.short, "short_key": fold(o.short), "name": o.name, "kind": o.kind.value,
         "note": GENERATED, "cluster_id": o.cluster_id, "position": position + number}
        for number, o in enumerate(new, start=1)])
    ids = dict(session.execute(sa.select(Organisation.short, Organisation.id).where(
        col(Organisation.short).in_([o.short for o in new]))).all())
    last = dict(session.execute(
        sa.select(OrganisationMember.group_id, func.max(OrganisationMember.position))
        .group_by(col(OrganisationMember.group_id))).all())
    members = []
    for o in new:  # in position order: members keep the order they were added in
        last[o.group_id] = (last.get(o.group_id) or 0) + 1
        members.append({"group_id": o.group_id, "member_id": ids[o.short],
                        "position": last[o.group_id]})
    session.execute(sa.insert(OrganisationMember), members)


def _cluster_names(count: int) -> list[tuple[str, str]]:
    """(code, name) of `count` generated clusters: EXTRA_CLUSTERS first, then numbered ones."""
    numbered = ((f"ornek-kume-{n:03d}", f"İzmir Örnek {n:03d} Kümesi")
                for n in range(1, count - len(EXTRA_CLUSTERS) + 1))
    return [*EXTRA_CLUSTERS, *numbered][:count]


def _people(session: Session) -> None:
    orgs = session.exec(select(Organisation).where(Organisation.kind != OrgKind.GROUP)
                        .order_by(col(Organisation.position), col(Organisation.id))).all()
    agency = next(o for o in orgs if o.kind == OrgKind.AGENCY)
    # The agency contact first, so that its Telegram id is AGENCY_USER.
    ordered = [agency] + [o for o in orgs if o.id != agency.id]
    for number, org in enumerate(ordered, start=1):
        role = {OrgKind.AGENCY: Role.AGENCY, OrgKind.COMMITTEE: Role.SECRETARY}.get(
            org.kind, Role.REPORTER)
        session.add(Person(telegram_user_id=TELEGRAM_IDS + number,
                           display_name=f"{org.short} sorumlusu", organisation_id=org.id,
                           role=role, cluster_id=org.cluster_id))
    session.add(Person(telegram_user_id=ADMIN_USER, display_name="Yönetici",
                       organisation_id=agency.id, role=Role.ADMIN))
    session.flush()


def _trajectory(rng: random.Random) -> tuple[int, int, float, float]:
    """(first active quarter index, progress per quarter, delay risk, cancel risk)."""
    start = rng.choice((0, 0, 1, 2, 4, 6, 8))
    speed = rng.choice((3, 4, 5, 6, 8, 10, 12))
    return start, speed, rng.uniform(0, 0.04), rng.choice((0.0, 0.0, 0.0, 0.003))


@dataclass
class _State:
    """What carries over from one quarter to the next, per (action, organisation) and per
    (cluster, indicator)."""

    rng: random.Random
    trajectories: dict[tuple[int, int], tuple[int, int, float, float]] = field(
        default_factory=dict)
    progress: dict[tuple[int, int], tuple[Status, int]] = field(default_factory=dict)
    figures: dict[tuple[int, int], Decimal] = field(default_factory=dict)


def _status_updates(session: Session, state: _State, quarter: Quarter,
                    opens: datetime) -> None:
    rng = state.rng
    people = {p.organisation_id: p.id for p in session.exec(
        select(Person).where(Person.role != Role.ADMIN))}
    index = quarter - FIRST
    rows = []
    for org_id, duty in sorted(duties(session, quarter).items()):
        for action in duty.actions:
            key = (action.id or 0, org_id)
            start, speed, delay_risk, cancel_risk = state.trajectories.setdefault(
                key, _trajectory(rng))
            previous_status, previous = state.progress.get(key, (Status.NOT_STARTED, 0))
            if previous_status in (Status.COMPLETED, Status.CANCELLED):
                status, progress = previous_status, previous
            elif index < start:
                status, progress = Status.NOT_STARTED, 0
            elif rng.random() < cancel_risk:
                status, progress = Status.CANCELLED, previous
            elif rng.random() < delay_risk:
                status, progress = Status.DELAYED, previous
            else:
                progress = min(100, previous + speed + rng.randint(-2, 3))
                status = Status.COMPLETED if progress >= 100 else Status.IN_PROGRESS
            state.progress[key] = (status, progress)
            when = opens + timedelta(days=rng.randint(0, 14), minutes=rng.randint(0, 480))
            narrative = "" if status == Status.NOT_STARTED else rng.choice(NARRATIVES).format(
                n=rng.randint(3, 60))
            base = {
                "action_id": action.id, "organisation_id": org_id, "quarter": str(quarter),
                "status": str(status), "progress": progress, "narrative": narrative,
                "blockers": rng.choice(BLOCKERS) if status == Status.DELAYED else None,
                "evidence_link": (f"https://example.org/kanit/{quarter}/{action.code}/{org_id}"
                                  if rng.random() < 0.3 else None),
                "evidence_file_id": None, "evidence_file_name": None,
                "person_id": people.get(org_id), "source_key": None,
            }
            rows.append({**base, "version": 1, "created_at": when})
            if rng.random() < SECOND_VERSION_SHARE:
                fixed = min(100, progress + 5) if status == Status.IN_PROGRESS else progress
                rows.append({**base, "version": 2, "progress": fixed,
                             "created_at": when + timedelta(days=rng.randint(1, 5))})
    if rows:
        session.execute(sa.insert(StatusUpdate), rows)


def _next_figure(state: _State, indicator: Indicator, key: tuple[int, int]) -> Decimal:
    rng = state.rng
    kind = indicator.value_type
    low = indicator.min_value if indicator.min_value is not None else Decimal(0)
    high = indicator.max_value if indicator.max_value is not None else Decimal(10**9)
    previous = state.figures.get(key)
    if kind in (IndicatorType.PERCENT, IndicatorType.CHANGE_PERCENT):
        # Shares and growth rates drift a few points a quarter.
        start = Decimal(str(round(rng.uniform(8, 45), 1)))
        value = (previous if previous is not None else start) + Decimal(
            str(round(rng.uniform(-2.5, 3), 1)))
    elif kind == IndicatorType.CHANGE_COUNT:
        value = Decimal(rng.randint(2, 25))
    elif kind == IndicatorType.SCALE:
        value = Decimal(rng.randint(1, 5))
    else:
        if previous is None:
            previous = Decimal(rng.randint(100_000, 50_000_000) if kind == IndicatorType.MONEY
                               else rng.randint(3, 250))
        growth = Decimal(str(round(rng.uniform(0.97, 1.08), 3)))
        value = (previous * growth).quantize(Decimal(1))
    value = max(low, min(high, value))
    state.figures[key] = value
    return value


def _figures(session: Session, state: _State, quarter: Quarter, opens: datetime) -> None:
    rng = state.rng
    plan_ids = [p.id for p in session.exec(select(Plan))
                if Quarter.parse(p.start) <= quarter <= Quarter.parse(p.end)]
    indicators = session.exec(select(Indicator).where(
        col(Indicator.plan_id).in_(plan_ids), Indicator.level == 1)).all()
    managements = session.exec(select(Organisation).where(
        Organisation.kind == OrgKind.CLUSTER_MANAGEMENT,
        col(Organisation.cluster_id).is_not(None))).all()
    people = {p.organisation_id: p.id for p in session.exec(select(Person))}
    rows = []
    for org in managements:
        when = opens + timedelta(days=rng.randint(1, 14))
        for indicator in indicators:
            value = _next_figure(state, indicator, (org.cluster_id or 0, indicator.id or 0))
            base = {
                "indicator_id": indicator.id, "cluster_id": org.cluster_id,
                "organisation_id": org.id, "subject_key": f"c{org.cluster_id}",
                "period": str(quarter), "value": value, "note": None,
                "person_id": people.get(org.id), "source_key": None,
            }
            rows.append({**base, "version": 1, "created_at": when})
            if rng.random() < 0.05:
                rows.append({**base, "version": 2, "created_at": when + timedelta(days=2),
                             "value": _next_figure(state, indicator,
                                                   (org.cluster_id or 0, indicator.id or 0))})
    if rows:
        session.execute(sa.insert(IndicatorValue), rows)


def _mark_sent(session: Session) -> None:
    session.execute(
        sa.update(Notification)
        .values(status=NotificationStatus.SENT.value, sent_at=Notification.not_before,
                attempts=1, telegram_message_id=Notification.id)
    )
