"""Coalesce a stream of small changes into a bounded number of redraws.

A reply at 200 tokens/s would otherwise mean 200 widget messages (or display updates) a second,
each re-rendering the whole Markdown. :class:`Throttle` lets the consumer say "something changed"
as often as it likes (:meth:`Throttle.poke`) and calls ``flush`` at most once per ``interval``;
with ``trailing=True`` a change that arrives inside the interval is flushed when it ends, so the
last token is on screen within one interval even if nothing follows it. The end of a turn calls
:meth:`Throttle.flush` to draw at once.

A ``flush`` that redraws several widgets may return how many front-end updates it sent: the next
flush then waits that many intervals, so the budget holds for every widget's updates together
(text, tool cards, the status line), not only the one that changes most often.

The trailing flush runs on a timer thread, so ``flush`` and the consumer's state changes share
:attr:`Throttle.lock` (re-entrant): mutate the state under it, and the timer never draws a
half-applied event.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["DEFAULT_INTERVAL", "Throttle"]

DEFAULT_INTERVAL = 1 / 16
"""Seconds per redraw (or per front-end update, for a ``flush`` that counts them): 16 a second
leaves room under a budget of 20 for the final redraw, which is drawn at once."""


class Throttle:
    """Call ``flush`` at most once per ``interval`` however often :meth:`poke` is called."""

    def __init__(
        self,
        flush: Callable[[], int | None],
        *,
        interval: float = DEFAULT_INTERVAL,
        trailing: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval < 0:
            raise ValueError(f"interval must be >= 0 seconds, got {interval!r}")
        self._flush = flush
        self.interval = interval
        self._trailing = trailing
        self._clock = clock
        self.lock = threading.RLock()
        self._dirty = False
        self._last: float | None = None
        self._spacing = interval
        self._timer: threading.Timer | None = None
        self._closed = False
        self.flushes = 0

    @property
    def dirty(self) -> bool:
        """True when a change was poked and not yet flushed."""
        return self._dirty

    def poke(self) -> None:
        """Record a change: flush now if the interval has passed, else (maybe) at its end."""
        with self.lock:
            if self._closed:
                return
            self._dirty = True
            wait = self._wait()
            if wait <= 0:
                self._do_flush()
            elif self._trailing and self._timer is None:
                timer = threading.Timer(wait, self._on_timer)
                timer.daemon = True
                self._timer = timer
                timer.start()

    def flush(self) -> None:
        """Draw now, whatever the interval says (structural changes, the end of a turn)."""
        with self.lock:
            if not self._closed:
                self._do_flush()

    def flush_if_dirty(self) -> None:
        with self.lock:
            if self._dirty and not self._closed:
                self._do_flush()

    def close(self, *, final_flush: bool = True) -> None:
        """Stop the timer; by default draw the last pending change first."""
        with self.lock:
            if self._closed:
                return
            if final_flush and self._dirty:
                self._do_flush()
            self._cancel_timer()
            self._closed = True

    def _wait(self) -> float:
        if self._last is None:
            return 0.0
        return self._last + self._spacing - self._clock()

    def _on_timer(self) -> None:
        with self.lock:
            self._timer = None
            if self._closed or not self._dirty:
                return
            if self._wait() > 0:
                # A flush happened since the timer was set: wait for the rest of the new interval.
                self.poke()
                return
            self._do_flush()

    def _do_flush(self) -> None:
        self._cancel_timer()
        self._dirty = False
        self._last = self._clock()
        self.flushes += 1
        sent = self._flush()
        # A flush that sent nothing leaves the budget untouched; one that sent n updates uses n.
        self._spacing = self.interval * (1 if sent is None else sent)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
