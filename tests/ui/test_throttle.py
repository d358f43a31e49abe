"""The throttle: many pokes, few flushes, and the last change never left behind."""

from __future__ import annotations

import itertools
import threading

import pytest

from stripe_nb_agent.ui.throttle import Throttle


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pokes_inside_an_interval_coalesce_into_one_flush() -> None:
    clock, drawn = FakeClock(), []
    t = Throttle(lambda: drawn.append(clock.now), interval=0.05, trailing=False, clock=clock)
    for i in range(200):  # 200 tokens over one second
        clock.now = i * 0.005
        t.poke()
    assert 18 <= len(drawn) <= 20
    assert all(b - a >= 0.05 - 1e-9 for a, b in itertools.pairwise(drawn))


def test_a_flush_that_sent_several_updates_waits_that_many_intervals() -> None:
    clock, drawn = FakeClock(), []

    def flush() -> int:
        drawn.append(clock.now)
        return 3  # three widgets redrawn: the budget counts each

    t = Throttle(flush, interval=0.05, trailing=False, clock=clock)
    for i in range(200):
        clock.now = i * 0.005
        t.poke()
    assert all(b - a >= 0.15 - 1e-9 for a, b in itertools.pairwise(drawn))
    assert 3 * len(drawn) <= 20 + 3


def test_a_flush_that_sent_nothing_leaves_the_budget_untouched() -> None:
    clock, drawn = FakeClock(), []

    def flush() -> int:
        drawn.append(clock.now)
        return 0

    t = Throttle(flush, interval=1.0, trailing=False, clock=clock)
    t.poke()
    t.poke()
    assert drawn == [0.0, 0.0]


def test_close_flushes_the_pending_change_once() -> None:
    clock, drawn = FakeClock(), []
    t = Throttle(lambda: drawn.append(clock.now), interval=1.0, trailing=False, clock=clock)
    t.poke()
    t.poke()
    assert drawn == [0.0]
    assert t.dirty
    t.close()
    t.close()
    t.poke()
    assert drawn == [0.0, 0.0]
    assert not t.dirty


def test_flush_draws_at_once_whatever_the_interval() -> None:
    drawn: list[int] = []
    t = Throttle(lambda: drawn.append(1), interval=10.0, trailing=False)
    t.poke()
    t.flush()
    t.flush_if_dirty()
    assert drawn == [1, 1]


def test_trailing_timer_draws_the_last_change_without_another_poke() -> None:
    done = threading.Event()
    drawn: list[int] = []

    def flush() -> None:
        drawn.append(1)
        if len(drawn) == 2:
            done.set()

    t = Throttle(flush, interval=0.02)
    t.poke()  # drawn at once
    t.poke()  # inside the interval: left to the timer
    assert done.wait(5), "the trailing flush never came"
    assert not t.dirty
    t.close()


def test_negative_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval"):
        Throttle(lambda: None, interval=-1)
