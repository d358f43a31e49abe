"""The package's background event loop: submit from sync code, cancel on interrupt."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stripe_nb_agent._loop import BackgroundLoop, get_loop


def test_runs_coroutines_on_its_own_thread() -> None:
    loop = BackgroundLoop()
    try:

        async def where() -> str:
            return threading.current_thread().name

        assert loop.run(where()) == "stripe-nb-agent-loop"
        assert loop.run(where()) != threading.current_thread().name
    finally:
        loop.shutdown()
    assert not loop.running


def test_run_from_the_loop_thread_is_refused_instead_of_deadlocking() -> None:
    loop = BackgroundLoop()
    try:

        async def inner() -> None:
            async def noop() -> None:
                return None

            loop.run(noop())

        with pytest.raises(RuntimeError, match="deadlock"):
            loop.run(inner())
    finally:
        loop.shutdown()


def test_timeout_cancels_the_coroutine() -> None:
    loop = BackgroundLoop()
    cancelled = threading.Event()
    try:

        async def forever() -> None:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.set()
                raise

        with pytest.raises(TimeoutError):
            loop.run(forever(), timeout=0.05)
        assert cancelled.wait(5)
    finally:
        loop.shutdown()


def test_shared_loop_is_a_singleton_and_survives_many_submits() -> None:
    first = get_loop()
    assert get_loop() is first

    async def add(a: int, b: int) -> int:
        await asyncio.sleep(0)
        return a + b

    futures = [first.submit(add(i, i)) for i in range(50)]
    assert [f.result(5) for f in futures] == [2 * i for i in range(50)]


def test_submit_after_shutdown_says_so() -> None:
    loop = BackgroundLoop()
    loop.shutdown()

    async def noop() -> None:
        return None

    with pytest.raises(RuntimeError, match="shut down"):
        loop.submit(noop())
