"""A scripted model on the real wire: the real ChatClient, fed SSE bytes through httpx2's transport seam.

Each POST answers the next round of the script as ``chat.completion.chunk`` events (llama.cpp's
shape), and every request body is kept, so a test can read exactly what the model was told.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2

from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from tests.llm.streams import asgi_body, chunk, sse, tool_fragment

Round = list[dict[str, Any] | str]


def say(text: str) -> Round:
    """A round that answers in text."""
    return [chunk({"role": "assistant", "content": None}), chunk({"content": text}), chunk({}, finish="stop")]


def call(name: str, arguments: dict[str, Any] | str, *, call_id: str = "call_1") -> Round:
    """A round that calls one tool, its arguments split across two fragments as gpt-oss sends them."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    half = len(raw) // 2
    return [
        chunk({"reasoning_content": "I will call a tool."}),
        chunk({"tool_calls": [tool_fragment(0, id=call_id, name=name, args=raw[:half])]}),
        chunk({"tool_calls": [tool_fragment(0, args=raw[half:])]}),
        chunk({}, finish="tool_calls"),
    ]


def raw(*chunks: dict[str, Any] | str) -> Round:
    """A round of hand-written chunks (malformed ones included)."""
    return list(chunks)


@dataclass
class ScriptedWire(httpx2.AsyncBaseTransport):
    """Answers round N of ``rounds`` to the Nth request (the last round repeats)."""

    rounds: list[Round]
    bodies: list[dict[str, Any]] = field(default_factory=list)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(await request.aread()))
        script = self.rounds[min(len(self.bodies) - 1, len(self.rounds) - 1)]
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=sse(*script))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """The same script as an ASGI app, for a real loopback server (an Agent's own model client)."""
        if scope["type"] != "http":
            return
        self.bodies.append(json.loads(await asgi_body(receive)))
        script = self.rounds[min(len(self.bodies) - 1, len(self.rounds) - 1)]
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})  # fmt: skip
        await send({"type": "http.response.body", "body": sse(*script)})

    def told(self, round_no: int) -> list[dict[str, Any]]:
        """The messages sent with request ``round_no`` (1-based)."""
        messages: list[dict[str, Any]] = self.bodies[round_no - 1]["messages"]
        return messages

    def offered(self, round_no: int) -> list[str]:
        """The tool names offered with request ``round_no``."""
        return [t["function"]["name"] for t in self.bodies[round_no - 1].get("tools") or []]


def scripted_client(wire: ScriptedWire) -> ChatClient:
    """The real DAT1 collection client over ``wire``."""
    endpoint = Endpoint.dat1_collection("http://dat1.invalid/api/v1", "gpt-120-oss", key=None)
    return ChatClient(endpoint, transport=wire)
