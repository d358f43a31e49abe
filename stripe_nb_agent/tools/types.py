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
    "DEFAULT_MAX_RESULT_CHARS",
    "Attachment",
    "OpenAIFunction",
    "OpenAITool",
    "Policy",
    "ProgressCallback",
    "ToolClientProtocol",
    "ToolKind",
    "ToolResult",
    "ToolSpec",
    "capped_for_model",
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


# What one tool result may put in front of the model, in characters (~5k tokens): a 10,000-row
# list would otherwise go to the model in full, and again with every later request.
DEFAULT_MAX_RESULT_CHARS = 20_000


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

    def for_model(self, max_chars: int | None = DEFAULT_MAX_RESULT_CHARS) -> str:
        """The tool message content the model reads, at most ``max_chars`` characters.

        A longer result is cut (whole rows where it is a list) with a note saying what was cut
        and that the full result is in the table; ``None`` sends everything. Attachments (images,
        links, blobs) follow as one-line mentions: the model can't read them, the user sees them.
        """
        if not self.ok:
            content = json.dumps({"error": self.error or "the tool call failed", "kind": self.error_kind})
        elif isinstance(self.data, str):
            content = self.data
        elif self.data is None and self.attachments:
            content = ""
        else:
            content = json.dumps(self.data, ensure_ascii=False, default=str)
        if max_chars is not None and len(content) > max_chars:
            content = capped_for_model(self.data if self.ok else None, content, max_chars)
        if self.ok and self.attachments:
            mentions = "\n".join(a.mention() for a in self.attachments)
            content = (
                f"{content}\n\nAlso returned (shown to the user, not readable here):\n{mentions}".strip()
            )
        return content


def capped_for_model(data: Any, content: str, max_chars: int) -> str:
    """``content`` (the JSON or text of ``data``) cut to about ``max_chars``, with a note.

    A list, or an object holding one under ``data`` (Stripe's list envelope), keeps as many whole
    rows as fit, so what the model reads stays valid JSON; anything else is cut as text.
    """
    rows, envelope = _rows(data)
    budget = max(0, max_chars - 400)  # room for the note and the envelope's other fields
    if rows is not None:
        kept, used = 0, 0
        for row in rows:
            used += len(json.dumps(row, ensure_ascii=False, default=str)) + 2
            if used > budget:
                break
            kept += 1
        note = (
            f"Cut to fit the model's context: {kept} of {len(rows)} rows shown ({len(content):,} "
            "characters in full). The full result is in the table shown to the user; ask with "
            "filters or a smaller limit to see other rows."
        )
        if envelope is None:
            shaped: Any = {"data": rows[:kept], "note": note}
        else:
            shaped = {**envelope, "data": rows[:kept], "note": note}
        text = json.dumps(shaped, ensure_ascii=False, default=str)
        if len(text) <= max_chars:
            return text
    note = (
        f"[Cut to fit the model's context: the first {budget:,} of {len(content):,} characters are shown. "
        "The full result is in the table shown to the user.]"
    )
    return content[:budget] + "\n" + note


def _rows(data: Any) -> tuple[list[Any] | None, dict[str, Any] | None]:
    if isinstance(data, list):
        return data, None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        return data["data"], data
    return None, None


@runtime_checkable
class ToolClientProtocol(Protocol):
    """What the agent needs from a tool client (the MCP client, or anything else)."""

    async def list_tools(self, *, refresh: bool = False) -> Sequence[ToolSpec]: ...

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | str, *, on_progress: ProgressCallback | None = None
    ) -> ToolResult: ...
