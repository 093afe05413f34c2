"""Drawing /rapor's workbook and charts in a worker process, off the bot's.

matplotlib, pandas and openpyxl take ~100 MiB and most of a second to load, and drawing takes a
core for a while. In the bot's process that memory stays taken for good and, under the GIL,
the bot answers slowly while it draws. So `kume run` starts one worker process (spawn: a fresh
interpreter, nothing of the bot's inherited) and has it load them at once, so the first /rapor
is as quick as the next ones; the bot builds the report (its queries) and hands the worker
plain data, the worker hands back bytes. With no worker (tests, the simulator, a worker that
failed to start or died) the drawing runs in a thread of the bot's process, as before.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

logger = logging.getLogger(__name__)

A = TypeVar("A")
R = TypeVar("R")
_pool: ProcessPoolExecutor | None = None
_warm: Future[None] | None = None
# In-process drawing is CPU-bound (2 cores): two reports asked at once are drawn in turn.
_drawing = threading.Lock()


def warm_up() -> None:
    """In the worker: load the drawing libraries and draw once (fonts, caches)."""
    import openpyxl  # noqa: F401  (pandas loads it on the first workbook)

    from tracker.reports import plots, workbook  # noqa: F401

    plots.warm_up()


def start() -> None:
    """Start the worker and have it warm up (returns at once; `kume run` calls it)."""
    global _pool, _warm
    if _pool is not None:
        return
    try:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        _warm = _pool.submit(warm_up)
    except (OSError, RuntimeError) as exc:
        logger.warning("no worker process for /rapor, drawing in the bot's own: %s", exc)
        _pool = None


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
