"""The sender's limiter on a fake clock: never more than `rate` starts in any one-second
window, however reservations, claims and starts interleave, and still close to `rate`."""

from __future__ import annotations

import asyncio
import heapq
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.pacing import ChatPacing, SendLimits, SlidingWindow


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def most_in_any_window(stamps: list[float], period: float = 1.0) -> int:
    """The largest number of stamps inside one window (t - period, t]."""
    stamps = sorted(stamps)
    best, first = 0, 0
    for last, t in enumerate(stamps):
        while stamps[first] <= t - period:
            first += 1
        best = max(best, last - first + 1)
    return best


operations = st.lists(st.tuples(
    st.sampled_from(["advance", "reserve", "start", "cancel"]),
    st.floats(min_value=0.0, max_value=0.4),
    st.integers(min_value=0, max_value=50)), max_size=400)


@settings(max_examples=300, deadline=None)
@given(rate=st.integers(min_value=1, max_value=12), ops=operations)
def test_no_window_ever_holds_more_than_rate_starts(rate, ops):
    clock = FakeClock()
    window = SlidingWindow(rate, 1.0, clock)
    open_: list = []
    stamps: list[float] = []
    for op, seconds, pick in ops:
        if op == "advance":
            clock.now += seconds
        elif op == "reserve" and window.free_in() == 0:
            open_.append(window.reserve())
        elif op in ("start", "cancel") and open_:
            reservation = open_.pop(pick % len(open_))
            if op == "start":
                reservation.start()
                stamps.append(clock.now)
            else:
                reservation.cancel()
        assert most_in_any_window(stamps) <= rate


def test_a_reservation_counts_until_it_is_started_or_cancelled():
    clock = FakeClock()
    window = SlidingWindow(2, 1.0, clock)
    first, second = window.reserve(), window.reserve()
    assert window.free_in() is None  # only an open reservation can free a place
    first.cancel()
    assert window.free_in() == 0
    third = window.reserve()
    second.start()
    clock.now += 0.25
    third.start()
    assert window.free_in() == pytest.approx(0.75)  # until the first stamp leaves
    clock.now += 0.75
    assert window.free_in() == 0


def test_pause_closes_the_window_for_everyone():
    clock = FakeClock()
    window = SlidingWindow(30, 1.0, clock)
    window.pause(3)
    assert window.free_in() == pytest.approx(3)
    window.pause(1)  # a shorter pause does not shorten the longer one
    clock.now += 3
    assert window.free_in() == 0


def test_a_pipelined_sender_keeps_close_to_the_rate_without_exceeding_it():
    """Eight workers, each: wait for a place, claim its row (1-20 ms), send (80-250 ms), on a
    simulated clock. At 30/s the limiter must let through at least 97 % of the cap."""
    rng = random.Random(7)
    clock = FakeClock()
    window = SlidingWindow(30, 1.0, clock)
    start = clock.now
    stamps: list[float] = []
    events: list[tuple[float, int, str]] = []  # (when, worker, what happens then)
    for worker in range(8):
        heapq.heappush(events, (clock.now, worker, "free"))
    open_: dict[int, object] = {}
    while len(stamps) < 3000:
        when, worker, what = heapq.heappop(events)
        clock.now = max(clock.now, when)
        if what == "free":
            wait = window.free_in()
            if wait is None:  # another worker's claim is under way
                heapq.heappush(events, (clock.now + 0.001, worker, "free"))
            elif wait > 0:
                heapq.heappush(events, (clock.now + wait, worker, "free"))
            else:
                open_[worker] = window.reserve()
                heapq.heappush(events, (clock.now + rng.uniform(0.001, 0.02), worker, "claimed"))
        elif what == "claimed":
            open_.pop(worker).start()  # type: ignore[attr-defined]
            stamps.append(clock.now)
            heapq.heappush(events, (clock.now + rng.uniform(0.08, 0.25), worker, "free"))
    assert most_in_any_window(stamps) == 30
    assert len(stamps) / (stamps[-1] - start) >= 0.97 * 30


async def test_acquire_waits_for_an_open_reservation_then_takes_its_place():
    clock = FakeClock()
    window = SlidingWindow(1, 1.0, clock)
    held = await window.acquire()
    waiting = asyncio.create_task(window.acquire())
    await asyncio.sleep(0)
    assert not waiting.done()
    held.cancel()  # the claim found nothing: the place goes to the next in line
    reservation = await asyncio.wait_for(waiting, 1)
    reservation.start()
    assert window.starts() == [clock.now]


def test_each_chat_waits_its_interval_and_a_held_chat_waits_longer():
    clock = FakeClock()
    pacing = ChatPacing(SendLimits(), clock)
    pacing.sent(42)
    pacing.sent(-1001)
    assert sorted(pacing.busy()) == [-1001, 42]
    assert pacing.next_ready_in() == pytest.approx(1.0)
    clock.now += 1.0
    assert pacing.busy() == [-1001]  # a group: 20 a minute
    pacing.hold(7, 8.0)  # a row of chat 7 waits 8 s for a retry
    clock.now += 2.2
    assert pacing.busy() == [7]
    assert pacing.next_ready_in() == pytest.approx(5.8)
