"""The timer heap of minihttp.loop on a fake clock (time is a parameter).

`FakeClockLoop` replaces the loop's clock with a number that only moves when
the loop would sleep: its selector, asked to wait `timeout` seconds, advances
the clock by exactly that much and returns at once. So these tests state the
timer laws exactly, with no real waiting and no timing assertions:

- a timer fires at its deadline, never before and (on this clock) never after;
- timers fire in deadline order, and timers with equal deadlines in the order
  they were set;
- a cancelled timer never fires, and cancelled timers do not pile up.

The same clock lets debug mode's slow-callback report be tested exactly.
"""

from __future__ import annotations

import asyncio
import logging
import selectors

from hypothesis import given, settings
from hypothesis import strategies as st

from minihttp.loop import EventLoop


class ClockAdvancingSelector(selectors.DefaultSelector):
    def __init__(self, loop_clock: list[float]) -> None:
        super().__init__()
        self.loop_clock = loop_clock

    def select(self, timeout=None):
        if timeout:
            self.loop_clock[0] += timeout
        return super().select(0)


class FakeClockLoop(EventLoop):
    def __init__(self) -> None:
        self.clock = [1000.0]
        super().__init__(selector=ClockAdvancingSelector(self.clock))

    def time(self) -> float:
        return self.clock[0]


# Delays on a 1 ms grid, so equal deadlines are common and exact.
timer_plans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=50).map(lambda ms: ms / 1000), st.booleans()),
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(timer_plans)
def test_timers_fire_at_their_deadlines_in_order_and_cancelled_ones_never(plan):
    loop = FakeClockLoop()
    fired: list[tuple[int, float]] = []
    try:
        start = loop.time()
        handles = [
            loop.call_later(delay, lambda index=index: fired.append((index, loop.time())))
            for index, (delay, _) in enumerate(plan)
        ]
        for handle, (_, cancel) in zip(handles, plan, strict=True):
            if cancel:
                handle.cancel()
        loop.run_until_complete(asyncio.sleep(0.1))
    finally:
        loop.close()
    kept = [(delay, index) for index, (delay, cancel) in enumerate(plan) if not cancel]
    assert [index for index, _ in fired] == [index for _, index in sorted(kept)]
    for index, fired_at in fired:
        assert fired_at == start + plan[index][0]


def test_the_clock_only_moves_as_far_as_the_next_timer():
    loop = FakeClockLoop()
    try:
        start = loop.time()
        seen = []
        loop.call_later(0.25, lambda: seen.append(loop.time() - start))
        loop.call_later(1.5, lambda: seen.append(loop.time() - start))
        loop.run_until_complete(asyncio.sleep(2))
    finally:
        loop.close()
    assert seen == [0.25, 1.5]


def test_mass_cancellation_empties_the_heap_instead_of_keeping_dead_timers():
    loop = FakeClockLoop()
    try:
        handles = [loop.call_later(60 + index, print) for index in range(1000)]
        for handle in handles[:900]:
            handle.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        heap_size = len(loop._timers)
    finally:
        loop.close()
    # More than 100 dead timers and more than half the heap: it is rebuilt.
    assert heap_size == 100


def test_asyncio_sleep_and_timeout_follow_the_fake_clock():
    async def main():
        loop = asyncio.get_running_loop()
        start = loop.time()
        await asyncio.sleep(3600)  # an hour passes instantly
        slept = loop.time() - start
        try:
            async with asyncio.timeout(5):
                await asyncio.sleep(10)
        except TimeoutError:
            timed_out_after = loop.time() - start - slept
        return slept, timed_out_after

    with asyncio.Runner(loop_factory=FakeClockLoop) as runner:
        assert runner.run(main()) == (3600, 5)


def test_debug_mode_names_a_callback_that_held_the_loop_too_long(caplog):
    loop = FakeClockLoop()
    loop.set_debug(True)

    def blocking_callback():
        loop.clock[0] += 0.5  # as if it had blocked for half a second

    try:
        loop.call_soon(blocking_callback)
        loop.call_soon(lambda: None)  # a quick one: not reported
        with caplog.at_level(logging.WARNING, logger="minihttp.loop"):
            loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    slow = [record.getMessage() for record in caplog.records if "took" in record.getMessage()]
    assert len(slow) == 1
    assert "blocking_callback" in slow[0]
    assert "0.500 seconds" in slow[0]
    assert "run_in_executor" in slow[0]
