"""When and how long to wait before trying a model request again (chat, embeddings, deployments).

A chat stream is retried only before its first byte: once any of the answer has arrived, a
retry would show the user a second, different answer glued to the first.
"""

from __future__ import annotations

import random as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anyio

__all__ = ["RetryPolicy", "Timeouts", "parse_retry_after"]


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``first_token`` runs from the request until the first token of the answer (DAT1's
    gpt-oss cold start alone takes about 12 s); ``idle`` is the longest gap allowed between reads
    once tokens flow."""

    connect: float = 10.0
    first_token: float = 120.0
    idle: float = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for 429, 5xx and connection errors.

    ``sleep`` and ``jitter`` (a number in [0, 1)) are injectable so tests neither sleep nor depend on chance.
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is raised
    with the server's figure instead.
    """

    max_attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    jitter: Callable[[], float] = field(default=_random.random)

    def is_retryable_status(self, status: int) -> bool:
        return status == 429 or status >= 500

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_backoff, self.backoff * 2.0 ** (attempt - 1))
        # "Equal jitter": at least half the ceiling, so retries never hammer back at once.
        return ceiling / 2 + self.jitter() * ceiling / 2


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; None when unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
