"""The one timing helper the micro-benchmarks share: seconds per call, best of several rounds."""

from __future__ import annotations

import time
from collections.abc import Callable


def best(fn: Callable[[], object], n: int = 20, rounds: int = 5) -> float:
    """Seconds per call of ``fn`` over ``n`` calls, the best of ``rounds`` (the least disturbed)."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        times.append((time.perf_counter() - started) / n)
    return min(times)
