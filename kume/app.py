"""What every `kume` command shares: the App (configuration and database, made on first use),
printing through templates, help texts, and the instant a command runs for.

Nothing here loads the database layer, Telegram or pydantic when imported: `kume --help` only
needs click and the templates, and each command loads what it uses when it runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from kume import redaction
from tracker import texts
from tracker.clock import Clock
from tracker.quarters import ISTANBUL

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from kume.config import Config

logger = logging.getLogger(__name__)

HELP = "cli/help.j2"


class App:
    """What every command needs, created on first use so `--help` needs no database."""

    def __init__(self, config_path: str | None, verbose: bool = False):
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None
        self._engine: Engine | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from kume.config import load_config, secret_values  # deferred: loads pydantic

            self._config = load_config(self.config_path)
            # Before anything can log: from here on no secret of the configuration is written.
            redaction.protect(secret_values(self._config))
            # Commands print their own results; the log speaks up only for problems unless
            # asked (-v) or for the long-running bot, which logs at the configured level.
            logging.basicConfig(
                level=self._config.logging.level if self.verbose else logging.WARNING,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from tracker.db import create_db_engine, safe_url  # deferred: loads SQLAlchemy

            self._engine = create_db_engine(self.config.database.url)
            logger.info("database: %s", safe_url(self.config.database.url))
        return self._engine

    @property
    def ready_engine(self) -> Engine:
        """The engine of a database that `kume db upgrade` has prepared."""
        from tracker.schema import require_current_schema  # deferred: loads SQLAlchemy

        require_current_schema(self.engine)
        return self.engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction on the prepared database: committed when the block ends normally."""
        from tracker.db import session_scope  # deferred: loads SQLAlchemy

        with session_scope(self.ready_engine) as session:
            yield session

    def now(self) -> datetime:
        """The configured clock's present (real time, or time running from `[clock] start`)."""
        return Clock(self.config.clock.start).now()


pass_app = click.make_pass_decorator(App)


def echo(template: str, **params: Any) -> None:
    click.echo(texts.render(template, **params))


def say_error(message: str) -> None:
    """One error line on stderr, secrets masked."""
    click.echo(redaction.clean(texts.render("cli/error.j2", message=message)), err=True)


def write_to_stdout(data: bytes) -> None:
    """`--out -`: a file's bytes as they are, for a pipe."""
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def help_text(name: str) -> str:
    """A help text of the command line (templates/cli/help.j2), e.g. help_text("plan_show")."""
    return texts.say(HELP, name)


def instant_or_now(text: str | None, app: App) -> datetime:
    """The instant a `--now` option names (ISO 8601; Istanbul time when it gives no zone), or
    the configured clock's present when the option was left out."""
    if text is None:
        return app.now()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(texts.say(HELP, "not_an_instant", text=text)) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ISTANBUL)


def confirmed(question: str) -> bool:
    """A yes/no question asked in Turkish ("e"/"evet"; "y"/"yes" as well): click.confirm
    knows only y/n and answers "invalid input" in English. No answer (end of input, Ctrl+C)
    is a no."""
    try:
        answer = click.prompt(f"{question} {texts.say(HELP, 'yes_no')}", default="",
                              show_default=False)
    except click.Abort:
        click.echo()
        return False
    return answer.strip().casefold() in texts.say(HELP, "yes_words").split(",")
