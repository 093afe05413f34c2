"""/rapor drawn in a worker process (bot/rendering.py): the same files as drawn in the bot's."""

from __future__ import annotations

import sys

import pytest

from bot import rendering
from tests.unit.test_reports import build, seeded  # noqa: F401  (a fixture)


@pytest.fixture
def worker():
    rendering.start()
    yield
    rendering.stop()


async def test_a_report_drawn_by_the_worker_is_the_one_drawn_in_process(seeded, worker):  # noqa: F811
    report = build(seeded)
    assert rendering._pool is not None
    drawn = await rendering.run(rendering.render_report, report)
    rendering.stop()
    # No worker: a thread of this process.
    here = await rendering.run(rendering.render_report, report)
    assert drawn.summary == here.summary and drawn.caption == here.caption
    assert drawn.workbook[:2] == b"PK" and len(drawn.charts) == len(here.charts) > 0
    assert [name for _, name, _ in drawn.charts] == [name for _, name, _ in here.charts]


async def test_the_worker_builds_and_draws_from_the_database(seeded, worker):  # noqa: F811
    from tests.unit.test_reports import NOW, SETTINGS, parse

    url = seeded.url.render_as_string(hide_password=False)
    job = rendering.ReportJob(url, parse(seeded), NOW, SETTINGS)
    drawn = await rendering.run(rendering.build_and_render, job)
    here = await rendering.run(rendering.render_report, build(seeded))
    assert drawn.summary == here.summary and drawn.file_name == here.file_name
    assert [name for _, name, _ in drawn.charts] == [name for _, name, _ in here.charts]


def test_a_warmed_up_worker_compiles_no_template_for_its_first_report(seeded, monkeypatch):  # noqa: F811
    """The worker's first /rapor does not wait for Jinja: warm_up compiled what it uses."""
    from jinja2 import Environment

    from tracker import texts

    # Template environments as a fresh worker process has them: nothing compiled yet.
    fresh = {"plain": texts.plain_env.__wrapped__(), "html": texts.html_env.__wrapped__()}
    monkeypatch.setattr(texts, "plain_env", lambda: fresh["plain"])
    monkeypatch.setattr(texts, "html_env", lambda: fresh["html"])
    rendering.warm_up()
    compiled: list[str | None] = []
    original = Environment.compile

    def compile_noted(self, source, name=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        compiled.append(name)
        return original(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", compile_noted)
    drawn = rendering.render_report(build(seeded))
    assert drawn.summary and compiled == []


def test_the_bot_process_loads_no_drawing_library_to_build_a_report():
    import subprocess

    code = ("import sys, tracker.reports, bot.handlers.report, bot.rendering; "
            "print(sorted(m for m in ('pandas', 'matplotlib', 'openpyxl') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_the_worker_ends_when_the_bot_is_killed(tmp_path):
    """kill -9 of the bot's process leaves no worker behind."""
    import os
    import signal
    import subprocess
    import time

    pid_file = tmp_path / "worker.pid"
    code = (
        "import os, signal, sys; from bot import rendering; rendering.start(); "
        "rendering._warm.result(); "
        "pid = rendering._pool.submit(os.getpid).result(); "
        f"open({str(pid_file)!r}, 'w').write(str(pid)); "
        "os.kill(os.getpid(), signal.SIGKILL)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError("the worker outlived the bot")
