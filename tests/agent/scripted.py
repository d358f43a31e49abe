"""Real implementations of the agent's two seams, for tests that script what the model says.

ScriptedModel plays back one list of stream events per round (optionally pausing on an event so
a test can cancel mid-stream); MemoryTools is a tool client whose tools are async functions.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stripe_nb_agent.llm.types import (
    ChatResponse,
    Completed,
    Message,
    ReasoningDelta,
    StreamEvent,
    StreamMetrics,
    TextDelta,
    ToolCall,
)
from stripe_nb_agent.tools.types import OpenAITool, ToolKind, ToolResult, ToolSpec


def answer(text: str, *, reasoning: str = "", tokens: int = 5) -> list[StreamEvent]:
    events: list[StreamEvent] = []
    if reasoning:
        events.append(ReasoningDelta(reasoning))
    events += [TextDelta(piece) for piece in text.split("|")]
    response = ChatResponse(
        text=text.replace("|", ""),
        reasoning=reasoning,
        finish_reason="stop",
        metrics=StreamMetrics(time_to_first_token=0.01, total_time=0.11, completion_tokens=tokens),
    )
    return [*events, Completed(response)]


def calls(*specs: tuple[str, Any], reasoning: str = "", text: str = "") -> list[StreamEvent]:
    tool_calls = tuple(
        ToolCall(f"call_{i}", name, args if isinstance(args, str) else json.dumps(args))
        for i, (name, args) in enumerate(specs)
    )
    events: list[StreamEvent] = [ReasoningDelta(reasoning)] if reasoning else []
    if text:
        events.append(TextDelta(text))
    response = ChatResponse(
        text=text,
        reasoning=reasoning,
        tool_calls=tool_calls,
        finish_reason="tool_calls",
        metrics=StreamMetrics(time_to_first_token=0.01, total_time=0.06, completion_tokens=3),
    )
    return [*events, Completed(response)]


@dataclass
class ScriptedModel:
    rounds: list[list[StreamEvent]]
    pause_before: dict[int, asyncio.Event] = field(default_factory=dict)
    seen: list[list[Message]] = field(default_factory=list)
    seen_tools: list[list[str] | None] = field(default_factory=list)

    async def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[OpenAITool] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[StreamEvent]:
        index = len(self.seen)
        self.seen.append([dict(m) for m in messages])  # type: ignore[misc]
        self.seen_tools.append([t["function"]["name"] for t in tools] if tools else None)
        script = self.rounds[min(index, len(self.rounds) - 1)]
        for position, event in enumerate(script):
            gate = self.pause_before.get(position) if index == len(self.seen) - 1 else None
            if gate is not None:
                await gate.wait()
            yield event


ToolFn = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass
class MemoryTools:
    tools: dict[str, tuple[ToolKind, ToolFn]]
    calls: list[tuple[str, Any]] = field(default_factory=list)
    catalog_warning: str | None = None

    async def list_tools(self, *, refresh: bool = False) -> Sequence[ToolSpec]:
        return [
            ToolSpec(name, f"{name} tool", {"type": "object", "properties": {}}, kind)
            for name, (kind, _) in self.tools.items()
        ]

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | str, *, on_progress: Any = None
    ) -> ToolResult:
        self.calls.append((name, arguments))
        kind, fn = self.tools[name]
        started = time.monotonic()
        if not isinstance(arguments, dict):
            return ToolResult(name, ok=False, error="arguments are not a JSON object", sent=False,
                              error_kind="validation", kind=kind)  # fmt: skip
        data = await fn(arguments)
        return ToolResult(name, ok=True, data=data, latency_s=time.monotonic() - started, kind=kind)
