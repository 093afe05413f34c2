"""Secrets in every command's output: the real `kume` entry point, run with `-v` at DEBUG level,
with a known bot token, a webhook secret and (on PostgreSQL) a database password, must not
print or log any of them, whether it works or fails.

Each command that talks to Telegram talks to the local Bot API (local_bot_api) over HTTP, so
the token travels in every request URL the libraries might log.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.engine import Engine

from bot.render import message
from local_bot_api import LocalBotApi, parse_html
from tests.e2e.conftest import DEFAULT_NOW
from tests.e2e.test_outbox import add_people
from tracker.models import Role

TOKEN = "7654321:AAHkn0wn-T0ken_SeCrEt-Value_x1"
WEBHOOK_SECRET = "WebhookSecret-9f8e7d6c5b"
DB_PASSWORD = "S3cretPw-kume"
PROCESS_TIMEOUT = 60.0


def forms(secret: str) -> list[str]:
    """The secret as it may be written: as is, URL-quoted, and the token's secret half."""
    found = {secret, quote(secret), quote(secret, safe="")}
    if ":" in secret:
        found.add(secret.split(":", 1)[1])
    return sorted(found)


def assert_no_secret(output: str, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in output, f"{form!r} appears in the output:\n{output}"


@dataclass
class Kume:
    """The `kume` entry point in a child process, configured through KUME_* variables only."""

    api: LocalBotApi
    database_url: str
    workdir: Path
    secrets: tuple[str, ...]

    def environment(self, **extra: str) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
        environ.update(
            KUME_DATABASE_URL=self.database_url,
            KUME_TELEGRAM_TOKEN=TOKEN,
            KUME_TELEGRAM_BASE_URL=self.api.base_url,
            KUME_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
            KUME_LOGGING_LEVEL="DEBUG",
            KUME_CLOCK_START=DEFAULT_NOW.isoformat(),
            PYTHONUNBUFFERED="1",
        )
        environ.update(extra)
        return environ

    async def start(self, *args: str, **extra: str) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kume", "-v", *args,
            cwd=self.workdir, env=self.environment(**extra),  # no stray config.toml
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)

    async def run(self, *args: str, **extra: str) -> tuple[int, str]:
        """Run to the end; the exit status and everything printed, stdout then stderr."""
        proc = await self.start(*args, **extra)
        out, err = await asyncio.wait_for(proc.communicate(), PROCESS_TIMEOUT)
        assert proc.returncode is not None
        return proc.returncode, out.decode() + err.decode()

    async def stop(self, proc: asyncio.subprocess.Process) -> str:
        """SIGTERM a running `kume run`; everything it printed."""
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), PROCESS_TIMEOUT)
        return out.decode() + err.decode()


@pytest.fixture
async def kume(engine: Engine, tmp_path: Path) -> AsyncIterator[Kume]:
    api = LocalBotApi(token=TOKEN)
    await api.start()
    url = engine.url
    secrets: tuple[str, ...] = (TOKEN, WEBHOOK_SECRET)
    if url.get_backend_name() == "postgresql":  # trust auth: the password is carried, unused
        url = url.set(password=DB_PASSWORD)
        secrets += (DB_PASSWORD,)
    workdir = tmp_path / "kume-process"
    workdir.mkdir()
    try:
        yield Kume(api, url.render_as_string(hide_password=False), workdir, secrets)
    finally:
        await api.stop()


async def wait_until(predicate, proc: asyncio.subprocess.Process, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROCESS_TIMEOUT
    while not predicate():
        assert proc.returncode is None, f"kume stopped before {what}"
        assert loop.time() < deadline, f"no {what} in time"
        await asyncio.sleep(0.05)


async def test_no_command_prints_a_secret(kume: Kume, engine: Engine) -> None:
    add_people(engine, kume.api, {8101: ("EBSO", Role.REPORTER)})
    outputs: dict[str, str] = {}

    status, outputs["db upgrade"] = await kume.run("db", "upgrade")
    assert status == 0, outputs["db upgrade"]

    # run-due sends the quarterly prompt through the Bot API.
    status, outputs["run-due"] = await kume.run("run-due", "--now", "2014-04-01T10:00")
    assert status == 0 and "Gönderilen: 1 ·" in outputs["run-due"], outputs["run-due"]
    assert len(kume.api.calls_to("sendMessage")) == 1

    script = kume.workdir / "script.txt"
    script.write_text("/yardim\n", encoding="utf-8")
    listed, reported, simulated = await asyncio.gather(
        kume.run("outbox"),
        kume.run("report", "--out", str(kume.workdir / "rapor")),
        kume.run("simulate", "--script", str(script)))
    for command, (status, output) in {"outbox": listed, "report": reported,
                                      "simulate": simulated}.items():
        assert status == 0, output
        outputs[command] = output
    assert "sent" in outputs["outbox"]

    # The bot by long polling answers a stranger's /start, then is stopped.
    proc = await kume.start("run")
    user = kume.api.user(8102, first_name="Yabancı")
    await wait_until(lambda: kume.api.calls_to("getUpdates"), proc, "getUpdates")
    await user.send("/start")
    reply = await user.next_message(timeout=PROCESS_TIMEOUT)
    assert reply["text"] == parse_html(message("unregistered"))[0].strip()
    outputs["run"] = await kume.stop(proc)

    # The bot in webhook mode registers its webhook (with the secret), then is stopped.
    proc = await kume.start(
        "run", KUME_TELEGRAM_MODE="webhook",
        KUME_TELEGRAM_WEBHOOK_URL="http://127.0.0.1:9/telegram",
        KUME_TELEGRAM_WEBHOOK_PORT="0")
    await wait_until(lambda: kume.api.calls_to("setWebhook"), proc, "setWebhook")
    assert kume.api.calls_to("setWebhook")[-1]["secret_token"] == WEBHOOK_SECRET
    outputs["run webhook"] = await kume.stop(proc)

    for command, output in outputs.items():
        print(f"--- kume -v {command}\n{output}")  # shown by pytest when the test failed
    for command in ("run-due", "run", "run webhook"):
        assert "DEBUG telegram" in outputs[command], command  # PTB's own logs were on
    for output in outputs.values():
        assert_no_secret(output, *kume.secrets)
