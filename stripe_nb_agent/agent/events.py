"""Typed events a turn yields; the magic and the widget each draw them their own way."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from stripe_nb_agent.llm.types import ReasoningDelta, TextDelta
from stripe_nb_agent.tools.types import ToolKind, ToolResult

__all__ = [
    "AgentEvent",
    "Approval",
    "Notice",
    "ReasoningDelta",
    "RoundFinished",
    "TextDelta",
    "ToolCallAwaitingApproval",
    "ToolCallFinished",
    "ToolCallProgress",
    "ToolCallRecord",
    "ToolCallStarted",
    "TurnFinished",
    "TurnMetrics",
    "TurnResult",
    "TurnStarted",
]

StopReason = Literal["complete", "max_rounds", "cancelled", "error"]
Decision = Literal["approve", "decline"]


class Approval:
    """A write call held under the confirm policy, waiting for the user.

    ``approve()``/``decline()`` may be called from any thread (a widget button, a magic line);
    the agent awaits :meth:`wait` on its own loop. ``preview`` says in words what the call will do
    (see :mod:`stripe_nb_agent.agent.preview`).
    """

    def __init__(self, call_id: str, name: str, arguments: Any, preview: str = "") -> None:
        self.call_id = call_id
        self.name = name
        self.arguments = arguments
        self.preview = preview
        self._decision: Decision | None = None
        self._lock = threading.Lock()
        self._event = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def decision(self) -> Decision | None:
        return self._decision

    def approve(self) -> None:
        self._decide("approve")

    def decline(self) -> None:
        self._decide("decline")

    def _decide(self, decision: Decision) -> None:
        with self._lock:
            if self._decision is not None:
                return
            self._decision = decision
            loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._event.set)

    async def wait(self) -> Decision:
        with self._lock:
            self._loop = asyncio.get_running_loop()
            if self._decision is not None:
                return self._decision
        await self._event.wait()
        return self._decision or "decline"


@dataclass(frozen=True)
class TurnStarted:
    turn_id: int
    model: str
    policy: str


@dataclass(frozen=True)
class ToolCallStarted:
    call_id: str
    name: str
    arguments: Any
    kind: ToolKind
    round: int


@dataclass(frozen=True)
class ToolCallAwaitingApproval:
    call_id: str
    name: str
    arguments: Any
    kind: ToolKind
    approval: Approval

    @property
    def preview(self) -> str:
        return self.approval.preview


@dataclass(frozen=True)
class ToolCallProgress:
    """A running tool reported progress (``total`` None when it doesn't know the end)."""

    call_id: str
    name: str
    progress: float
    total: float | None
    message: str | None


@dataclass(frozen=True)
class ToolCallFinished:
    call_id: str
    name: str
    arguments: Any
    result: ToolResult


@dataclass(frozen=True)
class RoundFinished:
    round: int
    tool_calls: int


@dataclass(frozen=True)
class Notice:
    """Something the user should see that is not part of the answer (a stale catalogue, a retry)."""

    level: Literal["info", "warning", "error"]
    text: str


@dataclass(frozen=True)
class ToolCallRecord:
    call_id: str
    name: str
    arguments: Any
    kind: ToolKind
    result: ToolResult | None
    round: int


@dataclass(frozen=True)
class TurnMetrics:
    model: str = ""
    rounds: int = 0
    time_to_first_token: float | None = None
    tokens_per_second: float | None = None
    completion_tokens: int = 0
    tool_time_s: float = 0.0
    tool_latencies: tuple[tuple[str, float], ...] = ()
    total_s: float = 0.0


@dataclass(frozen=True)
class TurnResult:
    prompt: str
    text: str
    reasoning: str = ""
    tool_calls: tuple[ToolCallRecord, ...] = ()
    metrics: TurnMetrics = field(default_factory=TurnMetrics)
    stop_reason: StopReason = "complete"
    error: str | None = None


@dataclass(frozen=True)
class TurnFinished:
    result: TurnResult


AgentEvent = (
    TurnStarted
    | TextDelta
    | ReasoningDelta
    | ToolCallStarted
    | ToolCallAwaitingApproval
    | ToolCallProgress
    | ToolCallFinished
    | RoundFinished
    | Notice
    | TurnFinished
)
