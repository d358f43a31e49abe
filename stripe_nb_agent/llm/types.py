"""Shapes shared by the model clients and their consumers.

OpenAI chat messages are ``TypedDict`` (they are JSON on the wire); what the stream yields are
small frozen dataclasses, one per kind of thing that arrives (the consumer draws them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "AssistantMessage",
    "ChatResponse",
    "Completed",
    "FunctionCall",
    "Message",
    "ReasoningDelta",
    "StreamEvent",
    "StreamMetrics",
    "SystemMessage",
    "TextDelta",
    "Timings",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallPayload",
    "ToolMessage",
    "Usage",
    "UserMessage",
]


# --- OpenAI-compatible request messages ------------------------------------------------------


class FunctionCall(TypedDict):
    name: str
    arguments: str


class ToolCallPayload(TypedDict):
    id: str
    type: Literal["function"]
    function: FunctionCall


class SystemMessage(TypedDict):
    role: Literal["system"]
    content: str


class UserMessage(TypedDict):
    role: Literal["user"]
    content: str


class AssistantMessage(TypedDict):
    role: Literal["assistant"]
    content: str | None
    tool_calls: NotRequired[list[ToolCallPayload]]
    # gpt-oss on llama.cpp wants its reasoning back during a tool exchange.
    reasoning_content: NotRequired[str]


class ToolMessage(TypedDict):
    role: Literal["tool"]
    tool_call_id: str
    content: str
    name: NotRequired[str]


Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage


# --- What a stream yields --------------------------------------------------------------------


@dataclass(frozen=True)
class TextDelta:
    """A piece of the visible answer."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning (``reasoning_content`` or ``reasoning``)."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of a tool call as it arrives; ``index`` ties fragments together."""

    index: int
    id: str | None
    name: str | None
    arguments: str


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call, assembled from its fragments. ``arguments`` is the raw JSON string.

    ``problem`` says why the call could not be read as sent (a fragment with an unparseable
    index, a ``function`` that is not an object); such a call is never run.
    """

    id: str
    name: str
    arguments: str
    problem: str | None = None

    def to_payload(self) -> ToolCallPayload:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True)
class Timings:
    """llama.cpp's server-side timings."""

    prompt_n: int | None = None
    prompt_ms: float | None = None
    prompt_per_second: float | None = None
    predicted_n: int | None = None
    predicted_ms: float | None = None
    predicted_per_second: float | None = None


@dataclass(frozen=True)
class StreamMetrics:
    """Client-side measurements of one request (seconds), with server timings when sent."""

    time_to_first_byte: float | None = None
    time_to_first_token: float | None = None
    total_time: float = 0.0
    completion_tokens: int = 0
    # "usage" when the server reported token counts, "counted" when we counted deltas.
    token_source: Literal["usage", "counted"] = "counted"
    tokens_per_second: float | None = None
    server_timings: Timings | None = None
    malformed_chunks: int = 0
    attempts: int = 1


@dataclass(frozen=True)
class ChatResponse:
    """Everything one streamed request produced."""

    text: str = ""
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    finish_reason: str | None = None
    usage: Usage | None = None
    timings: Timings | None = None
    model: str = ""
    metrics: StreamMetrics = field(default_factory=StreamMetrics)

    @property
    def wants_tools(self) -> bool:
        """A tool turn is decided by tool calls, not by whether text arrived."""
        return bool(self.tool_calls)

    def to_message(self) -> AssistantMessage:
        msg: AssistantMessage = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            msg["tool_calls"] = [c.to_payload() for c in self.tool_calls]
            if self.reasoning:
                msg["reasoning_content"] = self.reasoning
        return msg


@dataclass(frozen=True)
class Completed:
    """The last event of every successful stream."""

    response: ChatResponse


StreamEvent = TextDelta | ReasoningDelta | ToolCallDelta | Completed


def json_object(value: Any) -> dict[str, Any] | None:
    """``value`` if it is a JSON object, else None (for defensive reads of chunks)."""
    return value if isinstance(value, dict) else None
