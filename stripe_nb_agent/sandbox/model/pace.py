"""How fast the sandbox model server streams: the pace per chunk, and the caps that keep it short.

A pace of 0 sends the reply as fast as it is made. Kept apart from the server so the kernel can
check a pace (``STRIPE_NB_AGENT_SANDBOX_PACE``) without importing the server it runs elsewhere.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from stripe_nb_agent.errors import UsageError

__all__ = [
    "DEFAULT_PACE",
    "ENV_PACE",
    "MAX_PACED_REPLY_S",
    "MAX_PACED_UNSEEN_S",
    "chunk_delay",
    "pacing_caps",
    "resolve_pace",
    "valid_pace",
]

ENV_PACE = "STRIPE_NB_AGENT_SANDBOX_PACE"
DEFAULT_PACE = 0.015

# However long a reply, pacing never makes its answer take longer than this to stream: a paced demo
# should look like typing, not keep a 1,700-token answer on screen for half a minute.
MAX_PACED_REPLY_S = 3.0
# The rest of a reply (thinking, tool-call arguments, the closing chunks) is not read as it streams:
# the magic shows "… thinking", the widget folds the thinking away, a tool card appears whole. Paced
# like the answer, it was most of a walkthrough's waiting (ex2_mcp's 42 model rounds slept 51 s,
# 21 s with this cap, 16 of them typing answers); within it the thinking marker still flickers.
MAX_PACED_UNSEEN_S = 0.1


def chunk_delay(pace: float, chunks: int, cap: float = MAX_PACED_REPLY_S) -> float:
    """The wait before each of ``chunks`` chunks: ``pace``, shortened so they all fit in ``cap``."""
    if pace <= 0 or chunks <= 0:
        return 0.0
    return min(pace, cap / chunks)


def pacing_caps(chunks: Sequence[dict[str, Any]]) -> list[tuple[int, float]]:
    """For each chunk of a streamed reply, the cap its pacing shares and how many chunks share it:
    the answer's text :data:`MAX_PACED_REPLY_S`, every other chunk :data:`MAX_PACED_UNSEEN_S`."""
    answer = [any(choice["delta"].get("content") for choice in chunk["choices"]) for chunk in chunks]
    shown = sum(answer)
    return [
        (shown, MAX_PACED_REPLY_S) if is_answer else (len(chunks) - shown, MAX_PACED_UNSEEN_S)
        for is_answer in answer
    ]


def resolve_pace(pace: float | None) -> float:
    if pace is not None:
        return valid_pace(pace)
    raw = os.environ.get(ENV_PACE, "").strip()
    if not raw:
        return DEFAULT_PACE
    try:
        return valid_pace(float(raw))
    except ValueError:
        raise UsageError(
            f"{ENV_PACE}={raw!r} is not a number of seconds per chunk: "
            "set it to e.g. 0.015, or 0 for no pacing."
        ) from None


def valid_pace(pace: float) -> float:
    if not pace >= 0:
        raise UsageError(f"Pace must be >= 0 seconds per chunk, got {pace!r}: use e.g. 0.015, or 0 for none.")
    return float(pace)
