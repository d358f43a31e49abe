"""Shapes shared by the tool client, the agent and the surfaces.

A failed tool call is a :class:`ToolResult` with ``ok=False`` that the model reads; it is never an
exception that kills the turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict, runtime_checkable

__all__ = [
    "Attachment",
    "OpenAIFunction",
    "OpenAITool",
    "Policy",
    "ProgressCallback",
    "ToolClientProtocol",
    "ToolKind",
    "ToolResult",
    "ToolSpec",
]

ToolKind = Literal["read", "write"]
# progress, total (None when unknown), message (None when the server sent none).
ProgressCallback = Callable[[float, float | None, str | None], None]
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
    # The server it came from (its client's name), when an agent has several.
    server: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        props = self.input_schema.get("properties")
        return tuple(props) if isinstance(props, dict) else ()

    @property
    def required(self) -> tuple[str, ...]:
        req = self.input_schema.get("required")
        return tuple(r for r in req if isinstance(r, str)) if isinstance(req, list) else ()


@dataclass(frozen=True)
class Attachment:
    """Non-text content of a tool result: an image, audio, a resource link or an embedded resource.

    ``data`` is the base64 payload of an image, audio or blob (None for links and text resources);
    ``size`` counts its decoded bytes. It stays on the result for the surfaces to show; the model
    reads a one-line mention of it (:meth:`mention`).
    """

    type: Literal["image", "audio", "resource_link", "resource"]
    mime_type: str | None = None
    uri: str | None = None
    name: str | None = None
    data: str | None = None
    size: int | None = None

    def mention(self) -> str:
        parts = [self.type.replace("_", " ")]
        if self.mime_type:
            parts.append(self.mime_type)
        if self.size is not None:
            parts.append(f"{self.size:,} bytes")
        if self.name:
            parts.append(repr(self.name))
        if self.uri:
            parts.append(self.uri)
        return "[" + ", ".join(parts) + "]"


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
    attachments: tuple[Attachment, ...] = ()

    def for_model(self) -> str:
        """The tool message content the model reads (attachments as one-line mentions)."""
        if not self.ok:
            return json.dumps({"error": self.error or "the tool call failed", "kind": self.error_kind})
        if isinstance(self.data, str):
            text = self.data
        elif self.data is None and self.attachments:
            text = ""
        else:
            text = json.dumps(self.data, ensure_ascii=False, default=str)
        if self.attachments:
            mentions = "\n".join(a.mention() for a in self.attachments)
            text = f"{text}\n\nAlso returned (shown to the user, not readable here):\n{mentions}".strip()
        return text


@runtime_checkable
class ToolClientProtocol(Protocol):
    """What the agent needs from a tool client (the MCP client, or anything else)."""

    async def list_tools(self, *, refresh: bool = False) -> Sequence[ToolSpec]: ...

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | str, *, on_progress: ProgressCallback | None = None
    ) -> ToolResult: ...
