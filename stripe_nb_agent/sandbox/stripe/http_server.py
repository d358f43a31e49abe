"""Serve the sandbox over Streamable HTTP on loopback, with bearer-token checking like mcp.stripe.com.

Full MCP sessions (initialize, then calls with ``Mcp-Session-Id``) and, beside them, session-less
bare JSON-RPC: a POST of ``tools/list`` or ``tools/call`` with no initialize and no session id gets
a plain JSON answer, as mcp.stripe.com serves clients that post JSON-RPC per call (the hackathon's
backend did, with ``Accept: */*``, and read the answer with ``response.json()``).

with SandboxMCPHTTPServer(profile="classic") as srv:
    srv.url          # http://127.0.0.1:PORT/mcp
    srv.token        # random for this server unless one was given
    srv.drop_sessions()   # every client must re-initialize (tests "session lost -> reconnect")

The token is never a fixed default: any local process could call a server whose token is public.
One chosen by the user comes from :data:`ENV_TOKEN` or a file (:func:`chosen_token`), never from a
command line, which other users of the machine can read in ``ps``.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import os
import secrets
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.redaction import register_secret
from stripe_nb_agent.sandbox.stripe.server import build_stripe_sandbox_server
from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["ENV_TOKEN", "SandboxMCPHTTPServer", "chosen_token", "is_loopback", "new_token"]

ENV_TOKEN = "STRIPE_NB_AGENT_SANDBOX_TOKEN"
_METADATA_PATH = "/.well-known/oauth-protected-resource"


def new_token() -> str:
    """A fresh random token, shaped like a Stripe test key: clients that check the shape take it,
    and redaction masks it like any other key."""
    return "sk_test_sandbox" + secrets.token_hex(16)


def chosen_token(
    token_file: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The token the user chose: the first line of ``token_file``, else :data:`ENV_TOKEN`; else None."""
    if token_file is not None:
        path = Path(token_file).expanduser()
        try:
            token = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            raise SandboxError(f"Cannot read the token file {path}: {reason}. Check the path.") from None
        if not token or len(token.split()) != 1:
            raise SandboxError(f"The token file {path} must hold one token on one line, and nothing else.")
        return token
    token = (os.environ if environ is None else environ).get(ENV_TOKEN, "").strip()
    return token or None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _BearerGate:
    """401 + ``WWW-Authenticate: Bearer resource_metadata=...`` unless the exact token is presented."""

    def __init__(self, app: ASGIApp, bare: ASGIApp, token: str, owner: SandboxMCPHTTPServer) -> None:
        self.app, self.bare, self.token, self.owner = app, bare, token, owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.owner._loop = asyncio.get_running_loop()
            async with self.owner._bare_server.session_manager.run():
                await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        base = self.owner.base_url
        if scope["path"] == _METADATA_PATH:
            body = {
                "resource": f"{base}/mcp",
                "authorization_servers": [],
                "bearer_methods_supported": ["header"],
                "resource_name": "Stripe sandbox (offline)",
            }
            await _respond(send, 200, body, [])
            return
        if not self._authorized(scope):
            challenge = f'Bearer resource_metadata="{base}{_METADATA_PATH}"'
            body = {
                "error": "invalid_token",
                "error_description": "Send Authorization: Bearer <the sandbox's secret key>.",
            }
            await _respond(send, 401, body, [(b"www-authenticate", challenge.encode())])
            return
        if scope["method"] == "POST" and not any(name == b"mcp-session-id" for name, _ in scope["headers"]):
            raw = await _read_body(receive)
            replay = _replaying(raw, receive)
            await (self.bare if _session_less(raw) else self.app)(scope, replay, send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                scheme, _, presented = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip(), self.token)
        return False


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to the app, then the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _session_less(body: bytes) -> bool:
    """A JSON-RPC call other than initialize, sent without a session: answered statelessly, as JSON."""
    try:
        payload = json.loads(body)
    except ValueError:
        return False
    messages = payload if isinstance(payload, list) else [payload]
    return bool(messages) and all(
        isinstance(m, dict) and m.get("method") not in (None, "initialize") for m in messages
    )


async def _respond(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class SandboxMCPHTTPServer:
    """The sandbox MCP server on 127.0.0.1, run by uvicorn in a background thread.

    Every request must carry ``Authorization: Bearer <token>``; without ``token`` the server makes
    a random one (read it from ``token``). A host other than loopback needs a ``token`` given:
    a server on the network should not answer to a token nobody chose to share.
    ``port=0`` picks a free port; read it from ``url``.
    """

    def __init__(
        self,
        *,
        profile: str = "classic",
        store: StripeStore | None = None,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        json_response: bool = False,
    ) -> None:
        if token is None and not is_loopback(host):
            raise SandboxError(
                f"Refusing to serve the Stripe sandbox on {host} without a token you chose: set "
                f"{ENV_TOKEN} or use --token-file (token= in Python), or serve on 127.0.0.1."
            )
        if token is not None and not token.strip():
            raise SandboxError("The sandbox token is empty: choose one, or leave it out for a random one.")
        self.profile = profile
        self.store = store if store is not None else StripeStore()
        self.token = token.strip() if token is not None else new_token()
        register_secret(self.token)
        self.host = host
        self._port = port
        self._server = build_stripe_sandbox_server(profile, self.store)
        inner = self._server.streamable_http_app(host=host, json_response=json_response)
        # A second server over the same store answers session-less calls: one app per session manager.
        self._bare_server = build_stripe_sandbox_server(profile, self.store)
        bare = self._bare_server.streamable_http_app(host=host, json_response=True, stateless_http=True)
        self._app = _BearerGate(inner, bare, self.token, self)
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def url(self) -> str:
        """The MCP endpoint, e.g. ``http://127.0.0.1:54321/mcp``."""
        return f"{self.base_url}/mcp"

    def start(self, timeout: float = 15.0) -> SandboxMCPHTTPServer:
        if self._thread is not None:
            return self
        config = uvicorn.Config(
            self._app, host=self.host, port=self._port, log_level="warning", lifespan="on", ws="none"
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._uvicorn.run, name="stripe-sandbox-mcp", daemon=True)
        self._thread.start()
        started = threading.Event()

        def wait() -> None:
            while self._thread is not None and self._thread.is_alive() and not self._uvicorn.started:  # type: ignore[union-attr]
                started.wait(0.01)

        waiter = threading.Thread(target=wait)
        waiter.start()
        waiter.join(timeout)
        if not self._uvicorn.started:
            self.stop()
            raise SandboxError(
                f"The sandbox MCP server did not start on {self.host}:{self._port} within {timeout:g}s. "
                "Check the port is free (pass port=0 to pick one) and see the log above."
            )
        sockets = self._uvicorn.servers[0].sockets
        self._port = int(sockets[0].getsockname()[1])
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._uvicorn = None

    def drop_sessions(self, timeout: float = 5.0) -> int:
        """End every MCP session now (clients get 404 and must initialize again); returns how many."""
        loop = self._loop
        if loop is None or self._thread is None:
            return 0
        manager = self._server.session_manager

        async def drop() -> int:
            # The SDK has no public "end all sessions"; its own discard path is what a DELETE uses.
            sessions = list(manager._server_instances.items())
            for session_id, transport in sessions:
                await manager._discard_session(session_id, transport)
            return len(sessions)

        return asyncio.run_coroutine_threadsafe(drop(), loop).result(timeout)

    def __enter__(self) -> SandboxMCPHTTPServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
