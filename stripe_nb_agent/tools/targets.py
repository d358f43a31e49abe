"""Where a tool client connects: a URL, a command, or a server object in this process.

Targets are plain values; :mod:`stripe_nb_agent.tools.session` turns one into a live MCP
``Client``. Keys stay :class:`~stripe_nb_agent.redaction.Secret` until the wire: a header built at
connect time, or the child's environment (never its command line, which ``ps`` shows to every
user of the machine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2
from mcp.server import Server
from mcp.server.mcpserver import MCPServer

from stripe_nb_agent.redaction import Secret, key_hint

__all__ = ["DEFAULT_MODE", "HttpTarget", "InProcessTarget", "StdioTarget", "Target", "describe"]

# The initialize handshake: every 2025-era server speaks it; mcp 2.x's "auto" first probes
# server/discover, which servers that predate it may answer badly.
DEFAULT_MODE = "legacy"


@dataclass(frozen=True)
class HttpTarget:
    """A Streamable HTTP endpoint (JSON or SSE answers), e.g. ``https://mcp.stripe.com``."""

    url: str
    key: Secret | None = None
    account: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # The network edge: tests pass httpx2.MockTransport or an ASGI transport here.
    transport: httpx2.AsyncBaseTransport | None = None
    http_timeout_s: float = 30.0
    mode: str = DEFAULT_MODE

    def __repr__(self) -> str:
        return f"HttpTarget(url={self.url!r}, key={key_hint(self.key.reveal()) if self.key else None!r})"


@dataclass(frozen=True)
class StdioTarget:
    """A server run as a child process speaking MCP on stdin/stdout."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, Secret | str] = field(default_factory=dict)
    cwd: str | None = None
    mode: str = DEFAULT_MODE

    def __repr__(self) -> str:
        return f"StdioTarget(command={self.command!r}, args={self.args!r}, env={sorted(self.env)!r})"


@dataclass(frozen=True)
class InProcessTarget:
    """A ``Server``/``MCPServer`` object in this process (memory streams, no network)."""

    server: Server[Any] | MCPServer[Any]
    mode: str = DEFAULT_MODE


Target = HttpTarget | StdioTarget | InProcessTarget


def describe(target: Target) -> str:
    """Where ``target`` points, for messages (never a key)."""
    if isinstance(target, HttpTarget):
        return target.url
    if isinstance(target, StdioTarget):
        return " ".join((target.command, *target.args))
    name = getattr(target.server, "name", None) or type(target.server).__name__
    return f"in-process server {name!r}"
