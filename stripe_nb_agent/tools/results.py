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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import mcp_types as types

from stripe_nb_agent.tools.types import Attachment, ToolKind, ToolResult

__all__ = ["failure", "mentioned_ids", "outcome_unknown", "parse_call_result", "parse_text", "unwrap"]

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


def _decoded_size(b64: str) -> int:
    """Bytes a base64 payload decodes to, without decoding it."""
    text = b64.strip()
    return max(len(text) * 3 // 4 - text[-2:].count("="), 0) if text else 0


def _attachment(block: Any) -> Attachment | None:
    """The non-text blocks every MCP server may send, kept for the surfaces to show."""
    import mcp_types as types

    if isinstance(block, types.ImageContent | types.AudioContent):
        kind: Literal["image", "audio"] = "image" if isinstance(block, types.ImageContent) else "audio"
        return Attachment(kind, block.mime_type, data=block.data, size=_decoded_size(block.data))
    if isinstance(block, types.ResourceLink):
        return Attachment("resource_link", block.mime_type, str(block.uri), block.title or block.name,
                          size=block.size)  # fmt: skip
    if isinstance(block, types.EmbeddedResource) and isinstance(block.resource, types.BlobResourceContents):
        blob = block.resource
        return Attachment(
            "resource", blob.mime_type, str(blob.uri), data=blob.blob, size=_decoded_size(blob.blob)
        )
    return None


def _text_of(content: Sequence[Any]) -> tuple[str, list[Attachment]]:
    # Imported here: failure() and outcome_unknown() serve the agent without the MCP types (~0.4 s).
    import mcp_types as types

    texts: list[str] = []
    attachments: list[Attachment] = []
    for block in content:
        if isinstance(block, types.TextContent):
            texts.append(block.text)
        elif isinstance(block, types.EmbeddedResource) and isinstance(
            block.resource, types.TextResourceContents
        ):
            texts.append(block.resource.text)
        elif (attachment := _attachment(block)) is not None:
            attachments.append(attachment)
    return "\n".join(texts), attachments


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
    text, attachments = _text_of(result.content)
    if result.structured_content is not None:
        data: Any = unwrap(result.structured_content)
    elif text:
        data = unwrap(parse_text(text))
    else:
        data = None
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
        attachments=tuple(attachments),
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


# Stripe object ids by prefix (customers, payment intents, charges, refunds, invoices, ...).
_STRIPE_ID = re.compile(
    r"^(?:acct|ba|card|ch|cn|cs|cus|dp|evt|file|ii|il|in|pi|pl|plink|pm|po|price|prod|promo|py|qt|re|"
    r"seti|si|sli|src|sub|sub_sched|tr|txn|txr)_[A-Za-z0-9]{3,}$"
)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def mentioned_ids(arguments: Any) -> list[str]:
    """The Stripe object ids in a call's arguments (nested ones too), in order, each once."""
    return list(dict.fromkeys(s for s in _strings(arguments) if _STRIPE_ID.match(s)))


def outcome_unknown(
    tool: str, arguments: Any, why: str, *, kind: ToolKind = "write", latency_s: float = 0.0
) -> ToolResult:
    """A write that was sent and whose answer never came: it may or may not have happened.

    Never "failed" or "rejected": those invite a retry, and a retried refund is a second refund.
    The message names what the call targeted, so the user knows what to check.
    """
    ids = mentioned_ids(arguments)
    if ids:
        target = f" It targeted {', '.join(ids)}."
    else:
        shown = json.dumps(arguments, ensure_ascii=False, default=str)
        target = f" It was called with {shown[:200]}{'…' if len(shown) > 200 else ''}."
    error = (
        f"{tool} was sent, but its outcome is UNKNOWN ({why}): it may or may not have happened.{target} "
        "Check before retrying (list or retrieve the objects it would change): a retried write can "
        "happen twice."
    )
    return failure(tool, "outcome_unknown", error, kind=kind, sent=True, latency_s=latency_s)
