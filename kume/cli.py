"""The `kume` command line: the root group, its commands (kume/commands/, one module per
group) and what a person sees when a command fails.

`kume --help` must stay quick: this module and the command modules import click, kume.app and
the templates only; each command loads the database, Telegram or pandas code it uses when it
runs (tests/unit/test_cli_imports.py keeps it so).
"""

from __future__ import annotations

import io
import logging
import sys

import click

from kume import redaction
from kume.app import App, help_text, say_error
from kume.commands import (
    broadcast,
    bulletin,
    database,
    export,
    invite,
    mail,
    orgs,
    outbox,
    plan,
    report,
    run,
)
from kume.commands import web as web_commands
from kume.errors import ConfigError
from tracker import texts
from tracker.errors import DomainError

logger = logging.getLogger(__name__)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=help_text("kume"))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help=help_text("kume_config"),
)
@click.option("-v", "--verbose", is_flag=True, help=help_text("kume_verbose"))
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    ctx.obj = App(config_path, verbose)


for command in (
    database.db,
    plan.plan,
    orgs.orgs,
    export.export_group,
    invite.invite,
    run.run,
    run.simulate,
    outbox.run_due_command,
    outbox.outbox_command,
    report.report_command,
    broadcast.broadcast_command,
    web_commands.web_command,
    web_commands.archive,
    bulletin.bulletin,
    mail.mail_group,
    mail.subscribers_group,
):
    cli.add_command(command)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except BrokenPipeError:
        # `kume plan export --out - | head`: the reader left; that is not an error.
        sys.stderr.close()
        sys.exit(0)
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        sys.stderr.write(redaction.clean(shown.getvalue()))
        sys.exit(exc.exit_code)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            # A bug: its traceback is needed to fix it, and goes out through logging, which
            # masks the secrets (kume.redaction) as in every other log line.
            logger.critical(texts.say("cli/failures.j2", "unexpected"), exc_info=True)
            sys.exit(1)
        say_error(refusal)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)


def _refusal(exc: Exception) -> str | None:
    """Why a command could not do what was asked, when that is not a bug: a configuration
    problem, a domain rule, or a plan file with problems (None for anything else)."""
    if isinstance(exc, ConfigError):
        return str(exc)
    if isinstance(exc, DomainError):
        return texts.describe(exc)
    # Only a command that loaded tracker.planfile can raise its error: looking it up where it
    # is loaded, rather than importing it, keeps SQLAlchemy out of every other failure.
    planfile = sys.modules.get("tracker.planfile")
    if planfile is not None and isinstance(exc, planfile.PlanImportError):
        return str(exc)
    return None
