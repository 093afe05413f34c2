"""From the configuration to a ready Simulation: database, clock, settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.logs import quiet_http_logs
from bot.settings import BotSettings
from bot.simulator.session import Simulation, choose_start
from kume.config import Config
from tracker.clock import Clock
from tracker.db import create_db_engine, safe_url
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
    return Prepared(
        engine=engine,
        clock=Clock(start),
        # The simulated clock jumps: due work runs when the date is set (`:tarih`), not on a
        # timer, so a transcript is the same every time.
        settings=replace(BotSettings.from_config(config), tick_seconds=0),
        reason=reason,
        url=safe_url(config.database.url),
    )
