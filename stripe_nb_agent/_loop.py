"""The one background event loop the notebook surface runs async work on.

Jupyter's kernel already runs an asyncio loop on its shell thread, so a cell cannot
``asyncio.run()`` our coroutines, and patching the loop to re-enter (nest_asyncio) hangs anyio-based
clients such as the MCP SDK. Instead the package owns one daemon thread with its own loop: a cell
or a widget click submits a coroutine and gets a ``concurrent.futures.Future``. The kernel's shell
thread stays free, so a Stop click (a comm message) is processed while a reply streams.

Long-lived async resources (the MCP session, HTTP connection pools) are created on this loop and
only ever used from it; whatever must be closed with it registers with :meth:`BackgroundLoop.at_shutdown`.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["BackgroundLoop", "current_background_loop", "get_loop", "run_sync"]

T = TypeVar("T")

# Which BackgroundLoop owns the running thread: set once on each loop's own thread.
_owner = threading.local()


class BackgroundLoop:
    """An asyncio loop running forever on a daemon thread."""

    def __init__(self, name: str = "stripe-nb-agent-loop") -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        _owner.loop = self
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._loop.is_closed()

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def at_shutdown(self, close: Callable[[], Awaitable[None]]) -> None:
        """Await ``close()`` on this loop when it shuts down, after its tasks are cancelled."""
        self._closers.append(close)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; returns at once with a thread-safe future."""
        if not self.running:
            coro.close()
            raise RuntimeError("the stripe-nb-agent background loop has been shut down")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for it from a synchronous caller.

        A ``KeyboardInterrupt`` (the kernel's interrupt) cancels the coroutine and waits briefly
        for its cleanup, so cancellation leaves state consistent before the interrupt propagates.
        """
        if self.in_loop_thread():
            coro.close()
            raise RuntimeError("BackgroundLoop.run() called from the loop's own thread would deadlock")
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except KeyboardInterrupt:
            future.cancel()
            # Give the coroutine's cancellation handlers a moment to record what happened.
            concurrent.futures.wait([future], timeout=5)
            raise
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def shutdown(self, timeout: float = 5.0) -> None:
        if not self.running:
            return

        async def _cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            closers, self._closers = self._closers, []
            for close in closers:
                # One resource failing to close must not keep the others (or the loop) open.
                with contextlib.suppress(Exception):
                    await close()
            await self._loop.shutdown_asyncgens()

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(_cancel_all(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()


_instance: BackgroundLoop | None = None
_lock = threading.Lock()


def get_loop() -> BackgroundLoop:
    """The package's shared background loop, started on first use."""
    global _instance
    with _lock:
        if _instance is None or not _instance.running:
            _instance = BackgroundLoop()
            atexit.register(_instance.shutdown)
        return _instance


def current_background_loop() -> BackgroundLoop | None:
    """The BackgroundLoop whose thread is running this code, or None (a caller's own loop or thread)."""
    loop: BackgroundLoop | None = getattr(_owner, "loop", None)
    return loop if loop is not None and loop.running else None


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, also inside a running event loop.

    Jupyter runs cells on a thread whose asyncio loop is already running, where ``anyio.run``
    cannot start; the coroutine runs on the package's background loop instead (no loop re-entry,
    no nest_asyncio), and a kernel interrupt cancels it.
    """
    return get_loop().run(coro)
