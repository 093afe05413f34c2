"""Building and drawing /rapor in a worker process, off the bot's.

matplotlib, pandas and openpyxl take ~100 MiB and most of a second to load, a report at 10× is
100,000 rows, and drawing takes a core for a while. In the bot's process that memory stays
taken for good and, under the GIL, the bot answers slowly meanwhile. So `kume run` starts one
worker process (spawn: a fresh interpreter, nothing of the bot's inherited) and has it load
them and connect to the database at once, so the first /rapor is as quick as the next ones.
The bot checks the person and parses the words; the worker gets a small ReportJob, runs the
report's queries and draws it, and hands back text and bytes. With no worker (tests, the
simulator, a worker that failed to start or died) the bot builds and draws in a thread of its
own process, as before.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from tracker import texts

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

    from tracker.calendar import CalendarSettings
    from tracker.reports import Report, ReportFilters

logger = logging.getLogger(__name__)

CAPTIONS = "messages/report.j2"
A = TypeVar("A")
R = TypeVar("R")
_pool: ProcessPoolExecutor | None = None
_warm: Future[None] | None = None
# In-process drawing is CPU-bound (2 cores): two reports asked at once are drawn in turn.
_drawing = threading.Lock()


@dataclass
class Rendered:
    summary: str
    workbook: bytes
    file_name: str
    caption: str
    charts: list[tuple[bytes, str, str]]  # png, file name, caption


def render_report(report: Report) -> Rendered:
    """What /rapor sends, as bytes and text: in the worker (this module is all it imports of
    the bot), else in a thread of the bot's process."""
    from tracker import reports

    summary = reports.summary_text(report)
    workbook = reports.workbook_bytes(report)
    drawn = reports.charts(report)
    scope, stem = report.title, report.stem
    return Rendered(
        summary=summary,
        workbook=workbook,
        file_name=f"kume-rapor-{stem}.xlsx",
        caption=texts.say(CAPTIONS, "workbook_caption", scope=scope, charts=len(drawn)),
        charts=[
            (
                chart.png,
                f"kume-{chart.name}-{stem}.png",
                texts.say(CAPTIONS, "chart_caption", title=chart.title, scope=scope),
            )
            for chart in drawn
        ],
    )


@dataclass(frozen=True)
class ReportJob:
    """What the worker needs to build and draw a report: small and picklable (the report
    itself, 100,000 rows at 10×, is built where it is drawn, so the bot never holds it)."""

    database_url: str
    filters: ReportFilters
    now: datetime
    settings: CalendarSettings


_engines: dict[str, Engine] = {}


def build_and_render(job: ReportJob) -> Rendered:
    """The report's queries and its files, in the worker (one engine per database, kept)."""
    from tracker import reports
    from tracker.db import create_db_engine, session_scope

    engine = _engines.get(job.database_url)
    if engine is None:
        engine = _engines[job.database_url] = create_db_engine(job.database_url)
    with session_scope(engine) as session:
        report = reports.build_report(session, job.filters, now=job.now, settings=job.settings)
    return render_report(report)


def warm_up(database_url: str | None = None) -> None:
    """In the worker: load the drawing libraries and draw once (fonts, caches), compile the
    report's templates; connect to the database the reports will read."""
    import xlsxwriter  # noqa: F401  (the workbook)

    from tracker import texts
    from tracker.reports import TEMPLATES, plots, workbook  # noqa: F401

    plots.warm_up()
    texts.preload_macros(TEMPLATES)
    if database_url is not None:
        from tracker.db import create_db_engine

        engine = _engines[database_url] = create_db_engine(database_url)
        with engine.connect():
            pass


def _follow_parent() -> None:
    """In the worker, first: end it when the bot's process ends, however it ends (kill -9
    leaves no one to shut the pool down, and the worker would wait for work forever)."""
    import os
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def start(database_url: str | None = None) -> None:
    """Start the worker and have it warm up (returns at once; `kume run` calls it)."""
    global _pool, _warm
    if _pool is not None:
        return
    import tracker.reports  # noqa: F401  (here: the queries /rapor builds with, no drawing)

    try:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_follow_parent)
        _warm = _pool.submit(warm_up, database_url)
    except (OSError, RuntimeError) as exc:
        logger.warning("no worker process for /rapor, drawing in the bot's own: %s", exc)
        _pool = None


def running() -> bool:
    return _pool is not None


def stop() -> None:
    global _pool, _warm
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool, _warm = None, None


async def run(work: Callable[[A], R], argument: A) -> R:
    """`work(argument)` in the worker if there is one, else in a thread here. `work` must be
    a module-level function, its argument and result picklable."""
    pool = _pool
    if pool is not None:
        try:
            return await asyncio.wrap_future(pool.submit(work, argument))
        except BrokenProcessPool:
            logger.warning("the /rapor worker died; drawing in the bot's own process")
            stop()

    def in_process() -> R:
        with _drawing:
            return work(argument)

    return await asyncio.to_thread(in_process)
