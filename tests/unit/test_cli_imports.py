"""`kume --help` stays quick: nothing heavy is loaded before click has parsed the arguments,
and every command is still there. (Checked by what is imported, not by a timing.)"""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from kume.cli import cli
from kume.commands.outbox import NOTIFICATION_STATUSES
from kume.commands.plan import PLAN_FORMATS

HEAVY = {"sqlalchemy", "sqlmodel", "alembic", "telegram", "pandas", "openpyxl", "matplotlib",
         "pydantic", "holidays",
         "starlette", "uvicorn", "feedgen"}  # the portal's (kume web, kume archive)

# `kume --help` run as the entry point does, then every top-level package it loaded.
PROGRAM = """
import sys
sys.argv = ["kume", "--help"]
from kume.cli import main
main()
print("loaded:", " ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""

COMMANDS = {
    "archive": ["build"],
    "bulletin": ["list", "preview", "send"],
    "db": ["upgrade"],
    "export": ["updates"],
    "invite": None,
    "mail": ["send"],
    "orgs": ["list"],
    "outbox": None,
    "broadcast": None,
    "plan": ["export", "import", "show"],
    "report": None,
    "run": None,
    "run-due": None,
    "simulate": None,
    "web": None,
    "subscribers": ["export", "import", "list", "remove"],
}


@pytest.fixture(scope="module")
def help_output(tmp_path_factory) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True,
        cwd=tmp_path_factory.mktemp("help"))
    return done.stdout


def test_kume_help_loads_no_database_telegram_or_report_library(help_output):
    loaded = help_output.splitlines()[-1].removeprefix("loaded:").split()
    assert "click" in loaded  # the premise: this is the list of what `kume --help` loaded
    assert sorted(HEAVY.intersection(loaded)) == []


def test_kume_help_lists_every_command(help_output):
    commands = help_output.split("Commands:\n", 1)[1].splitlines()[:-1]
    listed = [line.split()[0] for line in commands if line.startswith("  ")]
    assert listed == sorted(COMMANDS)


@pytest.mark.parametrize("group", [name for name, subs in COMMANDS.items() if subs])
def test_every_group_lists_its_commands(group):
    shown = CliRunner().invoke(cli, [group, "--help"]).output
    listed = [line.split()[0] for line in shown.split("Commands:\n", 1)[1].splitlines()]
    assert listed == COMMANDS[group]


def test_the_cli_offers_the_choices_the_tracker_knows():
    """The CLI names them itself so that `--help` needs no database code."""
    from tracker.models import NotificationStatus
    from tracker.planfile import FORMATS

    assert PLAN_FORMATS == FORMATS
    assert tuple(status.value for status in NotificationStatus) == NOTIFICATION_STATUSES
