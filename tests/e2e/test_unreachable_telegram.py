"""When the Bot API cannot be reached or refuses the token: `kume run` says so in one Turkish line
per attempt and waits until it can connect; `kume run-due` writes the rows, leaves them pending
and says what to check. Never a traceback, never the token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.render import message
from local_bot_api import LocalBotApi, parse_html
from tests.e2e.conftest import DEFAULT_NOW
from tests.e2e.test_outbox import add_people, rows
from tests.e2e.test_webhook import free_port
from tracker.models import NotificationStatus, Role

TOKEN = "7654321:AAHunreachable-T0ken_x9"
PROCESS_TIMEOUT = 60.0
UNREACHABLE = "Telegram Bot API'ye ulaşılamadı (http://127.0.0.1:{port}/bot: "
WHAT_TO_CHECK = "Ağ bağlantısını, [telegram] base_url ayarını ve jetonu denetleyin."
REFUSED = (
    "Telegram Bot API jetonu kabul etmedi (http://127.0.0.1:{port}/bot). [telegram] token "
    "ayarını (KUME_TELEGRAM_TOKEN) ve [telegram] base_url adresini denetleyin."
)


def environment(engine: Engine, port: int, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
    environ.update(
        KUME_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        KUME_TELEGRAM_TOKEN=TOKEN,
        KUME_TELEGRAM_BASE_URL=f"http://127.0.0.1:{port}/bot",
        KUME_CLOCK_START=DEFAULT_NOW.isoformat(),
        PYTHONUNBUFFERED="1",
    )
    environ.update(extra)
    return environ


class Running:
    """`kume run` in a child process; what it prints is collected line by line as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self.changed.set()
        self.changed.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, text: str) -> str:
        async def found() -> str:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                assert self.proc.returncode is None, f"kume run ended:\n{self.output}"
                self.changed.clear()
                await self.changed.wait()

        return await asyncio.wait_for(found(), PROCESS_TIMEOUT)

    async def stop(self) -> str:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.proc.wait(), PROCESS_TIMEOUT)
        await self._reader
        return self.output


@pytest.fixture
async def kume_run(engine: Engine, tmp_path: Path) -> AsyncIterator:
    started: list[Running] = []

    async def start(port: int, **extra: str) -> Running:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "kume", "run", cwd=tmp_path,
            env=environment(engine, port, **extra),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        started.append(Running(proc))
        return started[-1]

    try:
        yield start
    finally:
        for running in started:
            if running.proc.returncode is None:
                running.proc.kill()
                await running.proc.wait()


async def test_run_waits_for_the_bot_api_then_answers(kume_run) -> None:
    port = free_port()  # nothing listens there yet
    bot = await kume_run(port)
    first = await bot.wait_for_line("ulaşılamadı")
    assert UNREACHABLE.format(port=port) in first and WHAT_TO_CHECK in first
    assert first.endswith("1 sn sonra yeniden denenecek (1. deneme).")

    api = LocalBotApi(token=TOKEN)
    await api.start(port=port)
    try:
        user = api.user(8201, first_name="Ayşe")
        await user.send("/start")
        reply = await user.next_message(timeout=PROCESS_TIMEOUT)
        assert reply["text"] == parse_html(message("unregistered"))[0].strip()
    finally:
        output = await bot.stop()
        await api.stop()
    assert "Traceback" not in output and TOKEN not in output, output
    attempts = [line for line in output.splitlines() if "ulaşılamadı" in line]
    assert attempts and all(WHAT_TO_CHECK in line for line in attempts), output


async def test_webhook_mode_waits_for_the_bot_api_then_sets_its_webhook(kume_run) -> None:
    port, webhook_port = free_port(), free_port()
    webhook_url = f"http://127.0.0.1:{webhook_port}/telegram"
    bot = await kume_run(port, KUME_TELEGRAM_MODE="webhook", KUME_TELEGRAM_WEBHOOK_URL=webhook_url,
                         KUME_TELEGRAM_WEBHOOK_PORT=str(webhook_port))
    first = await bot.wait_for_line("ulaşılamadı")
    assert UNREACHABLE.format(port=port) in first and WHAT_TO_CHECK in first

    api = LocalBotApi(token=TOKEN)
    await api.start(port=port)
    try:
        state = api.state
        loop = asyncio.get_running_loop()
        await state.wait(lambda: bool(state.webhook["url"]), loop.time() + PROCESS_TIMEOUT)
        assert state.webhook["url"] == webhook_url
        await bot.wait_for_line("Application started")  # not stopped in the middle of it
    finally:
        output = await bot.stop()
        await api.stop()
    assert "Traceback" not in output and TOKEN not in output, output


async def test_run_stops_when_the_token_is_refused(kume_run) -> None:
    api = LocalBotApi(token="1111:the-real-one")
    await api.start()
    try:
        bot = await kume_run(api.port)
        await asyncio.wait_for(bot.proc.wait(), PROCESS_TIMEOUT)
        output = await bot.stop()
    finally:
        await api.stop()
    assert bot.proc.returncode == 2
    assert output.endswith("Hata: " + REFUSED.format(port=api.port)), output
    assert "Traceback" not in output and TOKEN not in output
    assert "ulaşılamadı" not in output and "yeniden denenecek" not in output  # not retried


async def run_due(engine: Engine, port: int, cwd: Path) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "kume", "run-due", "--now", "2014-04-01T10:00", cwd=cwd,
        env=environment(engine, port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), PROCESS_TIMEOUT)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_run_due_with_an_unreachable_bot_api_leaves_the_rows_pending(engine, tmp_path):
    add_people(engine, LocalBotApi(), {8301: ("EBSO", Role.REPORTER),
                                       8302: ("İZTO", Role.REPORTER)})
    port = free_port()
    status, out, err = await run_due(engine, port, tmp_path)
    assert status == 1
    assert "prompt: 2 bildirim kuyruğa eklendi" in out and "Gönderilen" not in out
    assert err == (
        "Hata: Bildirimler gönderilemedi. " + UNREACHABLE.format(port=port)
        + f"aiohttp.ClientConnectorError: Cannot connect to host 127.0.0.1:{port} ssl:default "
        f"[Connect call failed ('127.0.0.1', {port})]). " + WHAT_TO_CHECK
        + " Bildirimler kuyrukta bekliyor (kume outbox --status pending); bir sonraki kume"
        " run-due ya da çalışan bot gönderir.\n"
    )
    assert Counter(n.status for n in rows(engine)) == {NotificationStatus.PENDING: 2}
    assert all(n.attempts == 0 for n in rows(engine))

    # Once Telegram answers, the next run sends them.
    api = LocalBotApi(token=TOKEN)
    api.user(8301), api.user(8302)
    await api.start(port=port)
    try:
        status, out, err = await run_due(engine, port, tmp_path)
    finally:
        await api.stop()
    assert (status, err) == (0, "")
    assert "Gönderilen: 2 ·" in out
    assert Counter(n.status for n in rows(engine)) == {NotificationStatus.SENT: 2}


async def test_run_due_with_a_refused_token_leaves_the_rows_pending(engine, tmp_path):
    add_people(engine, LocalBotApi(), {8401: ("EBSO", Role.REPORTER)})
    api = LocalBotApi(token="1111:the-real-one")
    await api.start()
    try:
        status, out, err = await run_due(engine, api.port, tmp_path)
    finally:
        await api.stop()
    assert status == 2
    assert "prompt: 1 bildirim kuyruğa eklendi" in out
    assert err.startswith("Hata: Bildirimler gönderilemedi. " + REFUSED.format(port=api.port))
    assert "Traceback" not in err and TOKEN not in out + err
    assert Counter(n.status for n in rows(engine)) == {NotificationStatus.PENDING: 1}
