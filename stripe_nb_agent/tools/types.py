"""Shapes shared by the tool client, the agent and the surfaces.

A failed tool call is a :class:`ToolResult` with ``ok=False`` that the model reads; it is never an
exception that kills the turn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

__all__ = [
    "OpenAIFunction",
    "OpenAITool",
    "Policy",
    "ToolClientProtocol",
    "ToolKind",
    "ToolResult",
    "ToolSpec",
]

ToolKind = Literal["read", "write"]
Policy = Literal["auto", "confirm", "read-only"]
POLICIES: tuple[Policy, ...] = ("auto", "confirm", "read-only")


class OpenAIFunction(TypedDict):
    name: str
    description: str
    parameters: dict[str, Any]


class OpenAITool(TypedDict):
    type: Literal["function"]
    function: OpenAIFunction


@dataclass(frozen=True)
class ToolSpec:
    """One tool of the catalogue, as the MCP server described it."""

    name: str
    description: str
    input_schema: dict[str, Any]
    kind: ToolKind
    annotations: dict[str, Any] = field(default_factory=dict)
    title: str | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        props = self.input_schema.get("properties")
        return tuple(props) if isinstance(props, dict) else ()

    @property
    def required(self) -> tuple[str, ...]:
        req = self.input_schema.get("required")
        return tuple(r for r in req if isinstance(r, str)) if isinstance(req, list) else ()


@dataclass(frozen=True)
class ToolResult:
    """The one value a tool call turns into.

    ``data`` is the parsed JSON when the result parsed (unwrapped from ``{"result": ...}``),
    otherwise the raw text. ``error`` says what went wrong, in words the model and the user read.
    ``sent`` tells whether the request reached the server (a write that was sent is never
    forgotten, even when the turn is cancelled).
    """

    tool: str
    ok: bool
    data: Any = None
    text: str = ""
    error: str | None = None
    latency_s: float = 0.0
    kind: ToolKind = "read"
    sent: bool = True
    # None when ok; else "server" (the server answered with an error: nothing happened, or the
    # tool said what did), "outcome_unknown" (a write was sent and no answer came: it may have
    # happened), "validation", "unknown_tool", "malformed" (the model's call could not be read),
    # "policy", "declined", "cancelled", "transport" or "timeout" (reads, or never sent).
    error_kind: str | None = None

    def for_model(self) -> str:
        """The tool message content the model reads."""
        if not self.ok:
            return json.dumps({"error": self.error or "the tool call failed", "kind": self.error_kind})
        if isinstance(self.data, str):
            return self.data
        return json.dumps(self.data, ensure_ascii=False, default=str)


class ToolClientProtocol(Protocol):
    """What the agent needs from a tool client (the MCP client, or anything else)."""

    async def list_tools(self, *, refresh: bool = False) -> Sequence[ToolSpec]: ...

    async def call_tool(self, name: str, arguments: dict[str, Any] | str) -> ToolResult: ...
