"""Real MCP servers for the tool-client tests: in-process, and over loopback HTTP (uvicorn)."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer

REFERENCE_TOOLS = Path("/work/shared/reference/stripe-mcp-tools.json")


def reference_tools() -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = json.loads(REFERENCE_TOOLS.read_text())["tools"]
    return tools


class MethodCounter:
    """A server middleware that counts every inbound method (initialize, tools/call, ...)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    async def __call__(
        self, ctx: ServerRequestContext[Any], call_next: Callable[[ServerRequestContext[Any]], Awaitable[Any]]
    ) -> Any:
        self.counts[ctx.method] += 1
        return await call_next(ctx)


def shop_server(counter: MethodCounter | None = None) -> MCPServer[Any]:
    """A small stateful server: a read tool, a write tool, a slow tool."""
    server: MCPServer[Any] = MCPServer("shop", middleware=[counter] if counter else None)
    customers: list[dict[str, Any]] = []

    @server.tool(annotations={"readOnlyHint": True})
    def list_customers(limit: int = 10) -> list[dict[str, Any]]:
        """List customers."""
        return customers[:limit]

    @server.tool(annotations={"readOnlyHint": False, "destructiveHint": False})
    def create_customer(name: str) -> dict[str, Any]:
        """Create a customer."""
        customer = {"id": f"cus_{len(customers) + 1}", "name": name}
        customers.append(customer)
        return customer

    return server


class BearerGate:
    """ASGI middleware: 401 without the right bearer token; can forget every session (like a restart)."""

    def __init__(self, app: Any, token: str | None) -> None:
        self.app = app
        self.token = token
        self.session_ids: set[str] = set()
        self.forgotten: set[str] = set()
        self.headers_seen: list[dict[str, str]] = []

    def drop_sessions(self) -> None:
        self.forgotten |= self.session_ids

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.headers_seen.append(headers)
        if self.token is not None and headers.get("authorization") != f"Bearer {self.token}":
            await _respond(send, 401, {"error": "invalid_token"}, [(b"www-authenticate", b"Bearer")])
            return
        sid = headers.get("mcp-session-id")
        if sid in self.forgotten:
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Session not found"}}
            await _respond(send, 404, body)
            return

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                for k, v in message.get("headers", []):
                    if k.decode().lower() == "mcp-session-id":
                        self.session_ids.add(v.decode())
            await send(message)

        await self.app(scope, receive, capture)


async def _respond(send: Any, status: int, body: Any, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    raw = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": raw})


@contextmanager
def loopback(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 in a thread; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # The socket is listening already, so clients queue in its backlog until uvicorn accepts.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
