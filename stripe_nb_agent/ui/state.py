"""What a reply looks like so far, folded from the agent's events (shared by the magic and the widget).

The agent streams typed events; both surfaces need the same running picture of a turn (the text so
far, each tool call and its status, the held approvals, the final result) and then draw it their
own way. :meth:`ReplyState.apply` folds one event in and says what kind of change it was, so the
caller can decide between a throttled redraw (text) and an immediate one (anything structural).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from stripe_nb_agent.agent.events import (
    AgentEvent,
    Approval,
    Notice,
    ReasoningDelta,
    RoundFinished,
    TextDelta,
    ToolCallAwaitingApproval,
    ToolCallFinished,
    ToolCallProgress,
    ToolCallStarted,
    TurnResult,
    TurnStarted,
)
from stripe_nb_agent.tools.types import ToolKind, ToolResult
from stripe_nb_agent.ui.render import ToolCallStatus, progress_text, tool_status

__all__ = ["Change", "ReplyState", "ToolCallView"]

Change = Literal["text", "reasoning", "structure", "finished", "none"]


@dataclass
class ToolCallView:
    """One tool call as the surfaces draw it."""

    call_id: str
    name: str
    arguments: Any
    kind: ToolKind = "read"
    round: int = 1
    status: ToolCallStatus = "running"
    result: ToolResult | None = None
    approval: Approval | None = None
    # What a held write will do, in words (kept after the decision, for the record).
    preview: str = ""
    # The last progress a running tool reported, in words ("3/10: fetching pages").
    progress: str = ""

    @property
    def latency_s(self) -> float | None:
        return self.result.latency_s if self.result is not None else None


@dataclass
class ReplyState:
    """The running picture of one turn."""

    prompt: str = ""
    model: str = ""
    policy: str = ""
    text: str = ""
    reasoning: str = ""
    calls: dict[str, ToolCallView] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    result: TurnResult | None = None
    round: int = 0

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def awaiting(self) -> list[ToolCallView]:
        """Calls held for approval right now, in call order."""
        return [c for c in self.calls.values() if c.status == "awaiting_approval"]

    @property
    def running(self) -> list[ToolCallView]:
        return [c for c in self.calls.values() if c.status == "running"]

    @property
    def held(self) -> bool:
        """True when the turn can only go on after the user decides: every call of the current round
        is either awaiting approval or finished, and at least one is awaiting (deterministic: it does
        not depend on how far the model got in the meantime)."""
        return bool(self.awaiting) and not self.running

    def apply(self, event: AgentEvent) -> Change:
        """Fold one event in; returns what kind of redraw it calls for."""
        if isinstance(event, TextDelta):
            self.text += event.text
            return "text"
        if isinstance(event, ReasoningDelta):
            self.reasoning += event.text
            return "reasoning"
        if isinstance(event, TurnStarted):
            self.model, self.policy = event.model, event.policy
            return "structure"
        if isinstance(event, ToolCallStarted):
            self.round = event.round
            self.calls[event.call_id] = ToolCallView(
                event.call_id, event.name, event.arguments, event.kind, event.round
            )
            return "structure"
        if isinstance(event, ToolCallAwaitingApproval):
            view = self._call(event.call_id, event.name, event.arguments, event.kind)
            view.status, view.approval, view.preview = "awaiting_approval", event.approval, event.preview
            return "structure"
        if isinstance(event, ToolCallFinished):
            view = self._call(event.call_id, event.name, event.arguments, event.result.kind)
            view.result = event.result
            view.status = tool_status(event.result)
            return "structure"
        if isinstance(event, ToolCallProgress):
            running = self.calls.get(event.call_id)
            if running is None or running.result is not None:
                return "none"  # progress after the end, or for a call never started: nothing to show
            running.progress = progress_text(event.progress, event.total, event.message)
            return "structure"
        if isinstance(event, Notice):
            self.notices.append(event)
            return "structure"
        if isinstance(event, RoundFinished):
            return "none"
        # What is left of the union is TurnFinished.
        self.result = event.result
        # The result is the authority: it includes text the agent added after the stream
        # (a max-rounds note) and is stripped the way the conversation keeps it.
        self.text = event.result.text
        self.reasoning = event.result.reasoning or self.reasoning
        return "finished"

    def _call(self, call_id: str, name: str, arguments: Any, kind: ToolKind) -> ToolCallView:
        view = self.calls.get(call_id)
        if view is None:
            view = ToolCallView(call_id, name, arguments, kind, self.round)
            self.calls[call_id] = view
        return view
