"""One MCP ``CallToolResult`` -> one :class:`ToolResult`.

Servers disagree on how to say "it worked" and "it failed". Stripe's per-resource tools answer
one text block of JSON (sometimes a bare array), report API failures as a JSON *string literal*
such as ``"Failed to list customers"`` with ``isError`` unset, and schema violations with
``isError: true``; the generic tools answer ``Stripe API error: ...`` texts; SDK-built servers add
``structuredContent`` and wrap non-object values as ``{"result": ...}``. All of them land here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import mcp_types as types

from stripe_nb_agent.tools.types import ToolKind, ToolResult

__all__ = ["failure", "parse_call_result", "parse_text", "unwrap"]

_FAILED = re.compile(r"^\s*Failed to\b", re.IGNORECASE)
_API_ERROR = re.compile(
    r"^\s*(Stripe API error|Error executing tool|Input validation error)\b", re.IGNORECASE
)


def unwrap(value: Any) -> Any:
    """``{"result": x}`` -> ``x``: the SDK's wrapper for tools that return a non-object."""
    if isinstance(value, dict) and len(value) == 1 and "result" in value:
        return value["result"]
    return value


def parse_text(text: str) -> Any:
    """The JSON value in ``text`` when it holds one, else the text itself."""
    stripped = text.strip()
    if not stripped or stripped[0] not in '{["-0123456789tfn':
        return text
    try:
        return json.loads(stripped)
    except ValueError:
        return text


def _text_of(content: Sequence[Any]) -> tuple[str, list[str]]:
    texts: list[str] = []
    skipped: list[str] = []
    for block in content:
        if isinstance(block, types.TextContent):
            texts.append(block.text)
        elif isinstance(block, types.EmbeddedResource) and isinstance(
            block.resource, types.TextResourceContents
        ):
            texts.append(block.resource.text)
        else:
            # Images, audio, links, blobs: nothing the model or a table can read as data.
            skipped.append(str(getattr(block, "type", type(block).__name__)))
    return "\n".join(texts), skipped


def _stripe_error_message(data: Any) -> str | None:
    """The message of a Stripe error envelope ``{"error": {"message": ...}}``, if ``data`` is one."""
    if isinstance(data, dict) and set(data) <= {"error"} and isinstance(data.get("error"), dict):
        message = data["error"].get("message")
        return str(message) if message else json.dumps(data["error"])
    return None


def parse_call_result(
    tool: str, result: types.CallToolResult, *, latency_s: float = 0.0, kind: ToolKind = "read"
) -> ToolResult:
    """Fold one MCP call result into ok/error, parsed data, the raw text and the latency."""
    text, skipped = _text_of(result.content)
    if result.structured_content is not None:
        data: Any = unwrap(result.structured_content)
    elif text:
        data = unwrap(parse_text(text))
    else:
        data = None
    if not text and skipped:
        text = f"(the tool answered only non-text content: {', '.join(skipped)})"
    if not text and data is not None:
        text = json.dumps(data, ensure_ascii=False, default=str)

    error: str | None = None
    if result.is_error:
        error = _error_text(text or "the tool reported an error without a message")
    elif isinstance(data, str) and (_FAILED.match(data) or _API_ERROR.match(data)):
        error = _error_text(data)
    elif (message := _stripe_error_message(data)) is not None:
        error = _error_text(f"Stripe API error: {message}")
    return ToolResult(
        tool=tool,
        ok=error is None,
        data=data,
        text=text,
        error=error,
        latency_s=latency_s,
        kind=kind,
        sent=True,
        error_kind=None if error is None else "server",
    )


def _error_text(raw: str) -> str:
    message = raw.strip().strip('"')
    if _FAILED.match(message) and len(message) < 80:
        # Stripe's bare "Failed to ..." literals carry no reason, and Stripe's toolkit says the
        # same when the API cannot be reached or refuses the key as when an id is wrong.
        message += (
            " (the server gave no reason: check that Stripe can be reached from the server and that "
            "the key is valid and may use this API, then the ids and amounts in the call and that "
            "the objects exist in this Stripe account)"
        )
    return message


def failure(
    tool: str,
    error_kind: str,
    error: str,
    *,
    kind: ToolKind = "read",
    sent: bool = False,
    latency_s: float = 0.0,
) -> ToolResult:
    """A failed call that never produced a server answer (validation, policy, timeout, ...)."""
    return ToolResult(
        tool=tool,
        ok=False,
        error=error,
        text=error,
        latency_s=latency_s,
        kind=kind,
        sent=sent,
        error_kind=error_kind,
    )
