"""Hand-written chunk streams shared by the llm tests (what gpt-oss on llama.cpp sends)."""

from __future__ import annotations

import json
from typing import Any


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"object": "chat.completion.chunk", "model": "gpt-oss-120b", "choices": choices, **extra}


def tool_fragment(
    index: int, *, id: str | None = None, name: str | None = None, args: str = ""
) -> dict[str, Any]:
    fragment: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id is not None:
        fragment["id"] = id
        fragment["type"] = "function"
    if name is not None:
        fragment["function"]["name"] = name
    return fragment


def sse(*chunks: dict[str, Any] | str, done: bool = True) -> bytes:
    """Chunks as an SSE body; a str is sent verbatim as the data (for malformed lines)."""
    out = [f"data: {c if isinstance(c, str) else json.dumps(c)}\n\n" for c in chunks]
    if done:
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


USAGE = {"prompt_tokens": 50, "completion_tokens": 9, "total_tokens": 59}
TIMINGS = {
    "prompt_n": 50,
    "prompt_ms": 120.5,
    "prompt_per_second": 414.9,
    "predicted_n": 9,
    "predicted_ms": 300.0,
    "predicted_per_second": 30.0,
}

# gpt-oss deciding to call a tool: reasoning, a few words, then fragmented arguments.
TOOL_TURN = [
    chunk({"role": "assistant", "content": None}),
    chunk({"reasoning_content": "The user wants "}),
    chunk({"reasoning_content": "their customers."}),
    chunk({"content": "Let me look — €"}),
    chunk({"tool_calls": [tool_fragment(0, id="call_abc", name="list_customers", args="")]}),
    chunk({"tool_calls": [tool_fragment(0, args='{"lim')]}),
    chunk({"tool_calls": [tool_fragment(0, args='it": 3, "email": "jö')]}),
    chunk({"tool_calls": [tool_fragment(0, args='@example.com"}')]}),
    chunk({}, finish="tool_calls"),
    chunk(None, usage=USAGE, timings=TIMINGS),
]
TOOL_TURN_ARGUMENTS = '{"limit": 3, "email": "jö@example.com"}'


async def asgi_body(receive: Any) -> bytes:
    """The whole request body an ASGI app receives, however many messages it arrives in."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body
