"""The package's background event loop: submit from sync code, cancel on interrupt."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stripe_nb_agent._loop import BackgroundLoop, current_background_loop, get_loop, run_sync


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


def test_at_shutdown_closers_run_on_the_loop_after_its_tasks_are_cancelled() -> None:
    loop = BackgroundLoop()
    events: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("task cancelled")
            raise

    async def close() -> None:
        events.append(f"closed on {threading.current_thread().name}")

    async def broken() -> None:
        raise OSError("a failing closer does not stop the others")

    loop.at_shutdown(broken)
    loop.at_shutdown(close)
    loop.submit(forever())
    loop.shutdown()
    assert events == ["task cancelled", "closed on stripe-nb-agent-loop"]


def test_code_knows_when_it_runs_on_a_background_loop() -> None:
    loop = BackgroundLoop()
    try:

        async def owner() -> BackgroundLoop | None:
            return current_background_loop()

        assert loop.run(owner()) is loop
        assert current_background_loop() is None
        assert asyncio.run(owner()) is None
    finally:
        loop.shutdown()


def test_run_sync_runs_on_the_shared_loop_even_inside_a_running_loop() -> None:
    async def inner() -> str:
        return threading.current_thread().name

    async def outer() -> str:
        return run_sync(inner())  # a notebook cell: the caller's loop is running

    assert asyncio.run(outer()) == "stripe-nb-agent-loop"
