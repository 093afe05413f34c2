"""From the configuration to a ready Simulation: database, clock, settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.logs import quiet_http_logs
from bot.settings import BotSettings
from bot.simulator.personas import PERSONAS, Persona
from bot.simulator.session import Simulation, choose_start
from kume.config import Config
from tracker.audience import follow
from tracker.clock import Clock
from tracker.db import create_db_engine, safe_url, session_scope
from tracker.models import Cluster, Organisation, Person, Role
from tracker.people import person_by_telegram
from tracker.setup import prepare_database

logger = logging.getLogger(__name__)


@dataclass
class Prepared:
    engine: Engine
    clock: Clock
    settings: BotSettings
    reason: str  # why this date: "option", "config", "today" or "default"
    url: str  # the database URL, password masked

    def simulation(self) -> Simulation:
        return Simulation(self.engine, self.clock, self.settings)


def prepare(
    config: Config, date: datetime | None = None, engine: Engine | None = None
) -> Prepared:
    """Prepare the configured database (schema and bundled plan) and choose the date."""
    quiet_http_logs()
    engine = engine or create_db_engine(config.database.url)
    prepare_database(engine)
    start, reason = choose_start(engine, option=date, configured=config.clock.start)
    seed_members(engine, Clock(start).now(), config.members.notice_version)
    return Prepared(
        engine=engine,
        clock=Clock(start),
        # The simulated clock jumps: due work runs when the date is set (`:tarih`), not on a
        # timer, so a transcript is the same every time.
        settings=replace(BotSettings.from_config(config), tick_seconds=0),
        reason=reason,
        url=safe_url(config.database.url),
    )


def seed_members(engine: Engine, now: datetime, notice_version: str,
                 personas: tuple[Persona, ...] = PERSONAS) -> None:
    """The member personas as members who accepted the information notice and follow their
    cluster: what a member is after joining by a cluster's link, so that a scenario can
    start with a notice to them (examples/duyuru.txt). Joining itself (the consent
    dialog) is a scenario of its own: a persona already in the database is left as it is."""
    with session_scope(engine) as session:
        for persona in personas:
            if persona.role != Role.MEMBER or persona.cluster is None:
                continue
            if person_by_telegram(session, persona.user_id) is not None:
                continue
            cluster = session.exec(select(Cluster).where(Cluster.code == persona.cluster)).first()
            organisation = session.exec(
                select(Organisation).where(Organisation.short == persona.organisation)).first()
            if cluster is None or cluster.id is None:
                continue
            person = Person(telegram_user_id=persona.user_id, display_name=persona.person,
                            organisation_id=organisation.id if organisation else None,
                            role=Role.MEMBER, cluster_id=cluster.id, consent_at=now,
                            consent_version=notice_version, created_at=now)
            session.add(person)
            session.flush()
            assert person.id is not None
            follow(session, person.id, cluster.id, now)
