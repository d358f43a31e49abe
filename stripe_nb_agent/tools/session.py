"""One live MCP session, owned by a dedicated task and shared by every caller.

The SDK's ``Client`` is an async context manager whose task group must be entered and exited in
the same task, so a session opened inside one notebook cell's task could not be used (or closed)
from the next. A :class:`Session` therefore runs ``async with Client(...)`` in a task of its own
(the *runner*) that lives until :meth:`Session.aclose`; callers hand it requests and wait for the
answers, which worker tasks in the runner's task group run (a worker stays for the next request, so
calls made one after another cost a hand-over, not a new task each). A caller that is cancelled
cancels only its own request (the SDK tells the server with ``notifications/cancelled``); the
session stays usable.

The runner is an asyncio task because a session outlives every caller's task group. The package
runs on asyncio (the kernel and :mod:`stripe_nb_agent._loop` are asyncio), so this costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.session import IncomingMessage
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from stripe_nb_agent.errors import ToolAuthError, ToolConnectError, ToolError
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools.targets import HttpTarget, InProcessTarget, StdioTarget, Target, describe

__all__ = ["Session", "SessionExpired", "SessionLost", "auth_error", "is_session_expired", "leaf_exception"]

T = TypeVar("T")
NotificationHandler = Callable[[IncomingMessage], Awaitable[None]]

CLIENT_NAME = "stripe-nb-agent"
CLOSE_GRACE_S = 5.0
# More than one request's worth of responses (an initialize retry, a redirect), far from unbounded.
_KEPT_STATUSES = 64
# Workers kept waiting for the next request once a burst of overlapping calls is over.
MAX_IDLE_WORKERS = 4
# Exceptions that prove a request never left this machine.
_NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, FileNotFoundError, ConnectionRefusedError)


class SessionLost(Exception):
    """The session died under a request. ``reached``: may the request have reached the server?"""

    def __init__(self, cause: BaseException | None, *, reached: bool) -> None:
        super().__init__(f"the MCP session ended: {_describe_exc(cause)}")
        self.cause = cause
        self.reached = reached


class SessionExpired(SessionLost):
    """The server answered 404 for our ``Mcp-Session-Id``: it forgot the session and ran nothing."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__(cause, reached=False)


_EXPIRED_MESSAGES = ("Session terminated", "Session not found")


def is_session_expired(exc: BaseException, statuses: Sequence[int] = ()) -> bool:
    """Whether ``exc`` (with the HTTP statuses seen meanwhile) says the server forgot our session."""
    return isinstance(exc, MCPError) and (exc.error.message in _EXPIRED_MESSAGES or 404 in statuses)


def leaf_exception(exc: BaseException) -> BaseException:
    """The most telling exception inside (nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        leaves = [leaf_exception(e) for e in exc.exceptions]
        for leaf in leaves:
            if isinstance(leaf, (httpx2.HTTPError, OSError, MCPError, ToolError)):
                return leaf
        for leaf in leaves:
            if not isinstance(leaf, (asyncio.CancelledError, anyio.get_cancelled_exc_class())):
                return leaf
        return leaves[0] if leaves else exc
    return exc


def _describe_exc(exc: BaseException | None) -> str:
    if exc is None:
        return "the session was closed"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Job(Generic[T]):
    """One request handed to the runner; ``done`` is set once it is settled."""

    __slots__ = ("abandoned_by_caller", "done", "error", "finished", "fn", "scope", "value")

    def __init__(self, fn: Callable[[Client], Awaitable[T]]) -> None:
        self.fn = fn
        self.done = asyncio.Event()
        self.scope = anyio.CancelScope()
        self.value: T | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.abandoned_by_caller = False

    async def run(self, client: Client, pending: set[_Job[Any]]) -> None:
        try:
            with self.scope:
                self.value = await self.fn(client)
                self.finished = True
        except Exception as exc:
            self.error = exc
        finally:
            # A job cancelled by the runner's teardown is settled by the runner, once it knows why.
            if self.finished or self.error is not None or self.abandoned_by_caller:
                pending.discard(self)
                self.done.set()


@dataclass
class Session:
    """A session runner for one :class:`~stripe_nb_agent.tools.targets.Target`."""

    target: Target
    on_notification: NotificationHandler | None = None
    connect_timeout_s: float = 30.0
    # The last HTTP statuses (the SDK folds every HTTP error into one JSON-RPC error: the status
    # tells a 401 apart), bounded: a session kept for a whole workshop makes thousands of calls.
    http_statuses: deque[int] = field(default_factory=lambda: deque(maxlen=_KEPT_STATUSES), init=False)
    _responses: int = field(default=0, init=False)
    _auth_rejected: bool = field(default=False, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _ready: anyio.Event = field(default_factory=anyio.Event, init=False)
    _stop: anyio.Event = field(default_factory=anyio.Event, init=False)
    _tg: anyio.abc.TaskGroup | None = field(default=None, init=False)
    _client: Client | None = field(default=None, init=False)
    _error: BaseException | None = field(default=None, init=False)
    _pending: set[_Job[Any]] = field(default_factory=set, init=False)
    _idle: list[asyncio.Future[_Job[Any]]] = field(default_factory=list, init=False)
    _alive: bool = field(default=False, init=False)
    server_info: types.Implementation | None = field(default=None, init=False)

    @property
    def alive(self) -> bool:
        return self._alive

    @property
    def auth_rejected(self) -> bool:
        return self._auth_rejected

    def _statuses_since(self, mark: int) -> list[int]:
        """The statuses of the responses after the ``mark``-th (as many as are kept)."""
        count = min(self._responses - mark, len(self.http_statuses))
        return list(self.http_statuses)[-count:] if count > 0 else []

    async def start(self) -> None:
        """Open the session; raises :class:`ToolAuthError` or :class:`ToolConnectError`."""
        if self._task is not None:
            raise RuntimeError("a Session is started once; make a new one to reconnect")
        self._task = asyncio.get_running_loop().create_task(self._run(), name="stripe-nb-agent-mcp-session")
        try:
            with anyio.fail_after(self.connect_timeout_s):
                await self._ready.wait()
        except TimeoutError:
            await self.aclose()
            raise ToolConnectError(
                f"The MCP server at {describe(self.target)} did not finish the MCP handshake within "
                f"{self.connect_timeout_s:g} s: check that it is running and reachable, "
                "or raise connect_timeout."
            ) from None
        except BaseException:
            await self.aclose()
            raise
        if not self._alive:
            raise self._start_error()

    async def request(self, fn: Callable[[Client], Awaitable[T]]) -> T:
        """Run ``fn(client)`` inside the session. Raises :class:`SessionLost` if the session dies."""
        if not self._alive or self._tg is None or self._client is None:
            raise SessionLost(self._error, reached=False)
        job: _Job[T] = _Job(fn)
        mark = self._responses
        self._pending.add(job)
        self._dispatch(job, self._tg, self._client)
        try:
            await job.done.wait()
        except BaseException:
            # Our caller was cancelled (a Stop click, a timeout): cancel this request only, and
            # let the SDK finish telling the server before we give the task back.
            job.abandoned_by_caller = True
            job.scope.cancel()
            with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_GRACE_S):
                await job.done.wait()
            raise
        if job.finished:
            return job.value  # type: ignore[return-value]
        if job.error is not None:
            seen = self._statuses_since(mark)
            if any(s in (401, 403) for s in seen):
                raise _auth_error(self.target) from None
            if is_session_expired(job.error, seen):
                raise SessionExpired(job.error) from None
            raise job.error
        cause = self._error
        raise SessionLost(cause, reached=not isinstance(cause, _NOT_SENT))

    async def aclose(self) -> None:
        """End the session (and the child process, for stdio). Safe to call twice."""
        self._stop.set()
        task = self._task
        if task is None or task.done():
            return
        with anyio.CancelScope(shield=True):
            with anyio.move_on_after(CLOSE_GRACE_S):
                await asyncio.wait({task})
            if not task.done():
                task.cancel()
                with anyio.move_on_after(CLOSE_GRACE_S):
                    await asyncio.wait({task})

    # ------------------------------------------------------------------------------------------

    def _dispatch(self, job: _Job[Any], tg: anyio.abc.TaskGroup, client: Client) -> None:
        """Hand ``job`` to an idle worker, or start one: spawning a task group task costs ~50 us,
        several times a hand-over, and a session makes one request after another."""
        while self._idle:
            waiter = self._idle.pop()
            if not waiter.done():
                waiter.set_result(job)
                return
        tg.start_soon(self._work, job, client)

    async def _work(self, job: _Job[Any], client: Client) -> None:
        # Workers live in the runner's task group, so a session that dies cancels the requests
        # under way before the SDK tears the transport down (and they end as SessionLost).
        loop = asyncio.get_running_loop()
        while True:
            await job.run(client, self._pending)
            # A worker whose request was cancelled retires rather than carry the cancellation on.
            if job.scope.cancel_called or len(self._idle) >= MAX_IDLE_WORKERS:
                return
            waiter: asyncio.Future[_Job[Any]] = loop.create_future()
            self._idle.append(waiter)
            job = await waiter

    async def _run(self) -> None:
        try:
            async with contextlib.AsyncExitStack() as stack:
                client = await stack.enter_async_context(self._client_for(stack))
                async with anyio.create_task_group() as tg:
                    self._client, self._tg, self._alive = client, tg, True
                    self.server_info = client.server_info
                    self._ready.set()
                    await self._stop.wait()
                    tg.cancel_scope.cancel()
        except BaseException as exc:
            self._error = leaf_exception(exc)
            if isinstance(exc, asyncio.CancelledError | anyio.get_cancelled_exc_class()) and not isinstance(
                exc, BaseExceptionGroup
            ):
                self._error = None
        finally:
            self._alive = False
            self._tg = None
            self._idle.clear()
            for job in list(self._pending):
                job.done.set()
            self._pending.clear()
            self._ready.set()

    def _client_for(self, stack: contextlib.AsyncExitStack) -> Client:
        target = self.target
        common: dict[str, Any] = {
            "mode": target.mode,
            "message_handler": self.on_notification,
            # The catalogue caches with its own TTL and list_changed handling.
            "cache": None,
        }
        if isinstance(target, InProcessTarget):
            return Client(target.server, **common)
        if isinstance(target, StdioTarget):
            env = {k: v.reveal() if isinstance(v, Secret) else v for k, v in target.env.items()}
            params = StdioServerParameters(
                command=target.command, args=list(target.args), env=env or None, cwd=target.cwd
            )
            return Client(params, **common)
        http = self._http_client(target)
        stack.push_async_callback(http.aclose)
        return Client(streamable_http_client(target.url, http_client=http), **common)

    def _http_client(self, target: HttpTarget) -> httpx2.AsyncClient:
        headers = dict(target.headers)
        if target.key is not None:
            headers["Authorization"] = f"Bearer {target.key.reveal()}"
        if target.account:
            headers["Stripe-Account"] = target.account

        async def record(response: httpx2.Response) -> None:
            self.http_statuses.append(response.status_code)
            self._responses += 1
            if response.status_code in (401, 403):
                self._auth_rejected = True

        return httpx2.AsyncClient(
            headers=headers,
            transport=target.transport,
            timeout=httpx2.Timeout(target.http_timeout_s, read=max(300.0, target.http_timeout_s)),
            event_hooks={"response": [record]},
        )

    def _start_error(self) -> ToolError:
        where = describe(self.target)
        exc = self._error
        if self.auth_rejected:
            return _auth_error(self.target)
        if isinstance(self.target, StdioTarget) and isinstance(exc, FileNotFoundError | PermissionError):
            return ToolConnectError(
                f"Could not start the MCP server command {self.target.command!r} ({exc}): install it "
                "(npx comes with Node.js), or pass the full path of the executable."
            )
        if isinstance(exc, httpx2.ConnectError | httpx2.ConnectTimeout | OSError):
            return ToolConnectError(
                f"Could not reach the MCP server at {where} ({_describe_exc(exc)}): check the URL, your "
                "network or proxy, and that the server is running."
            )
        if isinstance(exc, MCPError):
            return ToolConnectError(
                f"The MCP server at {where} refused the handshake ({exc.error.message}): check that the "
                "URL is the server's MCP endpoint and that it speaks MCP."
            )
        if isinstance(exc, httpx2.HTTPError):
            return ToolConnectError(
                f"The connection to the MCP server at {where} failed ({_describe_exc(exc)}): check the URL "
                "and your network, then try again."
            )
        return ToolConnectError(
            f"Could not open an MCP session with {where} ({_describe_exc(exc)}): check that the server "
            "is running and speaks MCP."
        )


def _auth_error(target: Target) -> ToolAuthError:
    key = target.key if isinstance(target, HttpTarget) else None
    hint = key.hint if key else "(no key)"
    return ToolAuthError(
        f"Stripe rejected the key {hint} at {describe(target)}: use a test-mode secret key or a restricted "
        "key with the permissions the tools need; check STRIPE_SECRET_KEY."
    )


def auth_error(target: Target) -> ToolAuthError:
    """The 401/403 error for ``target`` (public for the client, which sees 401s mid-session)."""
    return _auth_error(target)
