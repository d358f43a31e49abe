"""The MCP tool client: one session per server, a cached catalogue, validated calls.

    async with ToolClient.for_url("https://mcp.stripe.com", key=settings.stripe_secret_key) as tools:
        specs = await tools.list_tools()
        result = await tools.call_tool("list_customers", {"limit": 3})

The session opens lazily on first use and is reused for every call until :meth:`ToolClient.aclose`.
Per-call problems (bad arguments, unknown tools, tool errors, timeouts, a write cut off by a
dropped connection) come back as :class:`ToolResult`\\ s the model reads; only a server that cannot
be reached or that rejects the key raises (:class:`ToolConnectError`, :class:`ToolAuthError`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Self, TypeVar

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.server import Server
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from pydantic import ValidationError

from stripe_nb_agent.config import ENV_STRIPE_KEY
from stripe_nb_agent.errors import ToolAuthError, ToolConnectError
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools.catalog import (
    DEFAULT_TTL_S,
    Catalog,
    CatalogRow,
    Clock,
    catalog_rows,
    spec_from_mcp,
)
from stripe_nb_agent.tools.policy import ToolMenu, call_kind, check_policy, policy_refusal
from stripe_nb_agent.tools.results import failure, outcome_unknown, parse_call_result
from stripe_nb_agent.tools.session import Session, SessionLost
from stripe_nb_agent.tools.targets import (
    DEFAULT_MODE,
    HttpTarget,
    InProcessTarget,
    StdioTarget,
    Target,
    describe,
)
from stripe_nb_agent.tools.types import Policy, ProgressCallback, ToolResult, ToolSpec
from stripe_nb_agent.tools.validate import parse_arguments, schema_violations, unknown_tool_message

__all__ = ["DEFAULT_CALL_TIMEOUT_S", "DEFAULT_MAX_PAGES", "ToolClient"]

T = TypeVar("T")
DEFAULT_CALL_TIMEOUT_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 30.0
# A server whose cursors never end must not hang the catalogue.
DEFAULT_MAX_PAGES = 50


class ToolClient:
    """Talks to one MCP server; implements :class:`~stripe_nb_agent.tools.types.ToolClientProtocol`."""

    def __init__(
        self,
        target: Target,
        *,
        label: str = "MCP",
        policy: Policy = "auto",
        call_timeout: float = DEFAULT_CALL_TIMEOUT_S,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
        catalog_ttl: float = DEFAULT_TTL_S,
        clock: Clock = time.monotonic,
        max_pages: int = DEFAULT_MAX_PAGES,
        trusted: bool = False,
    ) -> None:
        self.target = target
        self.label = label
        # The agent's turns apply their own policy through a ToolMenu; this one guards callers that
        # use the client directly ("confirm" can't wait for anyone here, so it runs like "auto").
        self.policy: Policy = check_policy(policy)
        # Whether this server's annotations decide read/write (see tools/classify.py).
        self.trusted = trusted
        self.call_timeout = call_timeout
        self.connect_timeout = connect_timeout
        self.max_pages = max_pages
        self.sessions_opened = 0
        self.server_info: types.Implementation | None = None
        self._catalog = Catalog(self._fetch_specs, ttl_s=catalog_ttl, clock=clock)
        self._session: Session | None = None
        self._connect_lock = anyio.Lock()
        self._closed = False
        self._page_warning: str | None = None

    # -- factories ----------------------------------------------------------------------------

    @classmethod
    def for_url(
        cls,
        url: str,
        *,
        key: Secret | None = None,
        account: str | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        mode: str = DEFAULT_MODE,
        label: str | None = None,
        **options: Any,
    ) -> ToolClient:
        """A Streamable HTTP server: Stripe's ``https://mcp.stripe.com`` or any other URL.

        ``key`` is sent as ``Authorization: Bearer``; ``account`` as ``Stripe-Account``.
        ``transport`` replaces the network (``httpx2.MockTransport``, an ASGI app).
        """
        target = HttpTarget(
            url=url, key=key, account=account, headers=dict(headers or {}), transport=transport, mode=mode
        )
        return cls(target, label=label or ("Stripe" if "stripe" in url.lower() else "MCP"), **options)

    @classmethod
    def for_command(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, Secret | str] | None = None,
        key: Secret | None = None,
        cwd: str | None = None,
        mode: str = DEFAULT_MODE,
        label: str = "MCP",
        **options: Any,
    ) -> ToolClient:
        """A server run as a child process over stdio, e.g. ``npx -y @stripe/mcp --tools=all``.

        ``key`` goes into the child's environment as ``STRIPE_SECRET_KEY``, never its arguments.
        """
        child_env: dict[str, Secret | str] = dict(env or {})
        if key is not None:
            child_env[ENV_STRIPE_KEY] = key
        for arg in args:
            if arg.startswith(("sk_", "rk_")) or "api-key=" in arg:
                raise ToolConnectError(
                    "A key was passed on the command line, where every user of this machine can read it: "
                    f"pass key=... (sent as {ENV_STRIPE_KEY} in the child's environment) instead."
                )
        target = StdioTarget(command=command, args=tuple(args), env=child_env, cwd=cwd, mode=mode)
        return cls(target, label=label, **options)

    @classmethod
    def for_server(
        cls,
        server: Server[Any] | MCPServer[Any],
        *,
        mode: str = DEFAULT_MODE,
        label: str = "MCP",
        **options: Any,
    ) -> ToolClient:
        """A server object in this process (the sandbox, a test server)."""
        return cls(InProcessTarget(server=server, mode=mode), label=label, **options)

    # -- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the session (and stop a stdio child). Safe to call twice."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.aclose()

    async def connect(self) -> None:
        """Open the session now rather than on first use (to surface key or URL problems early)."""
        await self._live_session()

    @property
    def connected(self) -> bool:
        return self._session is not None and self._session.alive

    async def _live_session(self) -> Session:
        if self._closed:
            raise ToolConnectError(
                f"This tool client for {describe(self.target)} was closed: make a new one to reconnect."
            )
        session = self._session
        if session is not None and session.alive:
            return session
        async with self._connect_lock:
            session = self._session
            if session is not None and session.alive:
                return session
            if session is not None:
                await session.aclose()
            fresh = Session(
                self.target, on_notification=self._on_message, connect_timeout_s=self.connect_timeout
            )
            await fresh.start()
            self.sessions_opened += 1
            self._session = fresh
            self.server_info = fresh.server_info
            return fresh

    async def _drop(self, session: Session) -> None:
        """Forget a dead or expired session so the next use reconnects."""
        if self._session is session:
            self._session = None
        await session.aclose()

    async def _on_message(self, message: IncomingMessage) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self._catalog.invalidate()

    async def _with_session(self, fn: Callable[[Client], Awaitable[T]], *, safe_to_repeat: bool) -> T:
        """Run ``fn`` in the session; reconnect once if the session was lost and repeating is safe."""
        for attempt in (1, 2):
            session = await self._live_session()
            try:
                return await session.request(fn)
            except SessionLost as lost:
                await self._drop(session)
                # An expired session ran nothing, so even a write may go again; other losses
                # repeat only reads, or requests that provably never left this machine.
                if attempt == 1 and (safe_to_repeat or not lost.reached):
                    continue
                raise
            except ToolAuthError:
                await self._drop(session)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- catalogue ----------------------------------------------------------------------------

    async def _fetch_specs(self) -> list[ToolSpec]:
        max_pages = self.max_pages

        async def walk(client: Client) -> list[types.Tool]:
            tools: list[types.Tool] = []
            cursor: str | None = None
            seen: set[str] = set()
            self._page_warning = None
            for _ in range(max_pages):
                page = await client.list_tools(cursor=cursor)
                tools.extend(page.tools)
                cursor = page.next_cursor
                if not cursor:
                    return tools
                if cursor in seen:
                    self._page_warning = (
                        "The server repeated a tools/list cursor; the tool list may be incomplete."
                    )
                    return tools
                seen.add(cursor)
            self._page_warning = (
                f"The server's tool list has more than {max_pages} pages; "
                f"showing the first {len(tools)} tools."
            )
            return tools

        try:
            with anyio.fail_after(self.call_timeout):
                tools = await self._with_session(walk, safe_to_repeat=True)
        except TimeoutError:
            raise ToolConnectError(
                f"{describe(self.target)} did not list its tools within {self.call_timeout:g} s: "
                "check the server, or raise call_timeout."
            ) from None
        except SessionLost as lost:
            raise ToolConnectError(
                f"The session with {describe(self.target)} dropped while listing tools and could not be "
                f"re-established ({lost}): check that the server is running."
            ) from None
        except (MCPError, ValidationError) as exc:
            raise ToolConnectError(
                f"{describe(self.target)} failed to list its tools ({exc}): check the server's logs."
            ) from None
        seen_names: set[str] = set()
        specs: list[ToolSpec] = []
        for tool in tools:
            if tool.name in seen_names:
                continue  # a page that repeats a tool must not make two specs with one name
            seen_names.add(tool.name)
            specs.append(spec_from_mcp(tool, label=self.label, trusted=self.trusted))
        return specs

    async def list_tools(self, *, refresh: bool = False) -> tuple[ToolSpec, ...]:
        """The server's tools (cached for ``catalog_ttl`` s; ``refresh=True`` refetches now).

        If a refresh fails, the last good list is returned and :attr:`catalog_warning` says why.
        """
        return await self._catalog.get(refresh=refresh)

    @property
    def catalog_warning(self) -> str | None:
        """Why the tool list may be stale or incomplete, for the surfaces to show; None when fine."""
        return self._catalog.warning or self._page_warning

    def invalidate(self) -> None:
        """Refetch the tool list on next use (tools were added or changed on the server)."""
        self._catalog.invalidate()

    @property
    def tool_count(self) -> int | None:
        """How many tools the last listing had; None before the first listing (nothing is fetched)."""
        cached = self._catalog.cached
        return None if cached is None else len(cached)

    @property
    def transport(self) -> str:
        """``Streamable HTTP``, ``stdio`` or ``in-process``, for status tables."""
        if isinstance(self.target, HttpTarget):
            return "Streamable HTTP"
        return "stdio" if isinstance(self.target, StdioTarget) else "in-process"

    @property
    def endpoint(self) -> str:
        """Where this client connects (a URL, a command, a server name), never a key."""
        return describe(self.target)

    async def catalog_rows(self) -> list[CatalogRow]:
        """One row per tool: name, kind (read/write), parameters, required, description."""
        return catalog_rows(await self.list_tools())

    async def menu(self, policy: Policy | None = None) -> ToolMenu:
        """The tools offered under ``policy`` (default: this client's): ``menu.tools`` is a chat
        request's ``tools``; ``menu.dispatch(name)`` maps a model's call back to the tool to call."""
        return ToolMenu.build(await self.list_tools(), policy or self.policy, label=self.label)

    # -- calls --------------------------------------------------------------------------------

    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> ToolResult:
        """Validate and run one call of the tool named ``name`` (its MCP name). Never raises for
        per-call problems: they are results.

        Raises :class:`ToolAuthError`/:class:`ToolConnectError` only when the server cannot be
        reached at all (there is no call to report on).
        """
        specs = await self.list_tools()
        spec = next((s for s in specs if s.name == name), None)
        if spec is None:
            return failure(
                name, "unknown_tool", unknown_tool_message(name, [s.name for s in specs]), kind="write"
            )
        args = parse_arguments(arguments)
        if not isinstance(args, dict):
            return failure(spec.name, "validation", f"{spec.name}: {args.message}", kind=spec.kind)
        refusal = policy_refusal(spec, self.policy, args)
        if refusal is not None:
            return refusal
        violations = schema_violations(spec.input_schema, args)
        if violations:
            listed = "; ".join(violations)
            return failure(
                spec.name,
                "validation",
                f"{spec.name} was not called: the arguments do not match its schema: {listed}. "
                "Fix these and call it again.",
                kind=spec.kind,
            )
        return await self._send(spec, args, on_progress)

    async def _send(
        self, spec: ToolSpec, args: dict[str, Any], on_progress: ProgressCallback | None = None
    ) -> ToolResult:
        started = time.perf_counter()
        # Per call: a read tool carrying a write operation is never repeated either.
        write = call_kind(spec, args) == "write"

        async def report(progress: float, total: float | None, message: str | None) -> None:
            if on_progress is not None:
                on_progress(progress, total, message)

        async def call(client: Client) -> types.CallToolResult:
            # A progress callback makes the SDK send a progress token, so long tools can report.
            return await client.call_tool(
                spec.name, args, progress_callback=report if on_progress is not None else None
            )

        def lost(why: str, read_advice: str, error_kind: str, *, sent: bool = True) -> ToolResult:
            # A write that may have reached the server is never "failed": its outcome is unknown.
            latency = time.perf_counter() - started
            if write and sent:
                return outcome_unknown(spec.name, args, why, latency_s=latency)
            return failure(
                spec.name, error_kind, f"{spec.name}: {why}. {read_advice}", kind=spec.kind, sent=sent,
                latency_s=latency,
            )  # fmt: skip

        def timed_out() -> ToolResult:
            return lost(
                f"no answer within {self.call_timeout:g} s, so the call was abandoned",
                "Try again with a narrower request (a smaller limit), or tell the user.",
                "timeout",
            )

        try:
            # move_on_after rather than fail_after: half the cost, and this runs on every call.
            with anyio.move_on_after(self.call_timeout) as deadline:
                # A write is repeated only when provably never sent (see _with_session).
                result = await self._with_session(call, safe_to_repeat=not write)
            if deadline.cancelled_caught:
                return timed_out()
        except TimeoutError:
            return timed_out()
        except SessionLost as exc:
            return lost(
                f"the connection to the tool server broke during the call ({exc})",
                "Try the call again." if not exc.reached else "It was a read: nothing changed; try again.",
                "transport",
                sent=exc.reached,
            )
        except MCPError as exc:
            if _answered_by_server(exc):
                return failure(
                    spec.name,
                    "server",
                    f"The server rejected the call to {spec.name}: {exc.error.message}.",
                    kind=spec.kind,
                    sent=True,
                    latency_s=time.perf_counter() - started,
                )
            return lost(
                f"the tool server's answer never arrived ({exc.error.message})",
                "It was a read: nothing changed; try again.",
                "transport",
            )
        except ValidationError as exc:
            return lost(
                f"the server answered with a malformed MCP result ({exc.error_count()} problems)",
                "Tell the user the server's answer could not be read.",
                "server",
            )
        return parse_call_result(spec.name, result, latency_s=time.perf_counter() - started, kind=spec.kind)


# Errors the MCP client makes up itself when the server's answer never came (a dropped connection,
# a stream cut short, an HTTP error page instead of JSON-RPC, an unreadable body): the request may
# have run, so for a write these mean "unknown", never "rejected".
_SYNTHESISED_CODES = frozenset({types.CONNECTION_CLOSED, types.REQUEST_TIMEOUT})
_SYNTHESISED_MESSAGES = (
    "Connection closed",
    "SSE stream",
    "Failed to parse",
    "Server returned an error response",
    "Unexpected content type",
    "server answered a request with 202",
)


def _answered_by_server(exc: MCPError) -> bool:
    """Whether ``exc`` is a JSON-RPC error the server itself sent (so the call did not run)."""
    if exc.error.code in _SYNTHESISED_CODES:
        return False
    return not exc.error.message.startswith(_SYNTHESISED_MESSAGES)
