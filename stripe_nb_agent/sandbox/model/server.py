"""The sandbox model server: DAT1's wire format, answered by the rule-based planner.

Routes under ``/api/v1``: ``collection/{name}/invoke-chat`` (DAT1's chat), the OpenAI-compatible
``collection/open-ai/chat/completions``, ``inference/{name}/invoke-stream`` (SSE with ``event:``
lines), ``health`` and a plain-text page at ``/``. Besides the personas' own names it answers to
DAT1's collection names (``gpt-120-oss``, ``gemma-3-12b``), so a client written for DAT1 works with
only its URL changed. Every reply says it comes from a stand-in, not a language model: in the
model name, the fingerprint, a header and the first reasoning words.

A pace of 0 sends the reply as fast as it is made: many SSE events land in one network read (and
one event can still be split across reads), which breaks SSE readers that parse one event per read.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.model.chunks import Reply, UsageMode, completion, stream_chunks
from stripe_nb_agent.sandbox.model.pace import chunk_delay, pacing_caps, resolve_pace, valid_pace
from stripe_nb_agent.sandbox.model.planner import Persona, plan_reply

__all__ = [
    "DAT1_NAMES",
    "PERSONAS",
    "SANDBOX_HEADER",
    "SandboxModelServer",
    "ServerState",
    "build_app",
    "model_name",
    "sandbox_extra_routes",
]

PERSONAS: tuple[Persona, ...] = ("sandbox", "sandbox-brief")
# DAT1's collection names -> the persona that stands in for each (gpt-oss reasons; gemma does not).
DAT1_NAMES: dict[str, Persona] = {"gpt-120-oss": "sandbox", "gemma-3-12b": "sandbox-brief"}
SANDBOX_HEADER = {"X-Stripe-Nb-Agent-Sandbox": "rule-based stand-in, not a language model"}
ROOT = "/api/v1"

_PAGE = """stripe-nb-agent sandbox model server

This is an OFFLINE stand-in for DAT1's hosted models. It is NOT a language model: a deterministic,
rule-based planner reads your request, plans Stripe tool calls among the tools offered, and streams
its reply in the shape llama.cpp sends (DAT1's gpt-120-oss wire format).

Collections (personas): sandbox (reasoning + answer), sandbox-brief (no reasoning, terser, faster).
DAT1's names work too, answered by the same stand-in: gpt-120-oss (as sandbox), gemma-3-12b (as
sandbox-brief). A pace of 0 sends many SSE events per network read: read the stream with a real
incremental SSE decoder, not one event per read.

  POST /api/v1/collection/{sandbox|sandbox-brief|gpt-120-oss|gemma-3-12b}/invoke-chat
  POST /api/v1/collection/open-ai/chat/completions      (model: any of the names above)
  POST /api/v1/inference/{sandbox|sandbox-brief}/invoke-stream
  GET  /api/v1/health
"""


def model_name(persona: Persona, standing_in_for: str | None = None) -> str:
    name = f"stripe-nb-agent-sandbox/{persona}"
    return f"{name} (stand-in for {standing_in_for})" if standing_in_for else name


def _persona(name: str) -> tuple[Persona, str | None] | None:
    """The persona answering ``name`` and the DAT1 name it stands in for, or None when unknown."""
    name = name.removeprefix("stripe-nb-agent-sandbox/").removeprefix("dat1/")
    if name in PERSONAS:
        return name, None
    if name in DAT1_NAMES:
        return DAT1_NAMES[name], name
    return None


class ServerState:
    """What a running app reads on every chunk: the pace can change while a reply streams."""

    def __init__(self, pace: float | None = None, max_rounds: int | None = None) -> None:
        self.pace = resolve_pace(pace)
        self.max_rounds = max_rounds
        self.disconnects = 0
        # Set when a client leaves mid-stream (tests and demos wait on it from other threads).
        self.disconnected = threading.Event()

    def pace_for(self, persona: Persona) -> float:
        # The brief persona is the "faster model" of the switching demo.
        return self.pace / 2 if persona == "sandbox-brief" else self.pace


def _error(status: int, message: str, kind: str, **extra: Any) -> JSONResponse:
    body = {"error": {"code": status, "message": message, "type": kind, **extra}}
    return JSONResponse(body, status_code=status, headers=SANDBOX_HEADER)


def _unknown(what: str, name: str) -> JSONResponse:
    names = [*PERSONAS, *DAT1_NAMES]
    return _error(
        404,
        f"{what} {name!r} not found in the sandbox. Available: {', '.join(names)}.",
        "not_found_error",
        available=names,
    )


async def _body(request: Request) -> dict[str, Any] | JSONResponse:
    try:
        body = json.loads(await request.body())
    except ValueError as exc:
        return _error(
            400,
            f"The request body is not valid JSON ({exc}); send a JSON chat body.",
            "invalid_request_error",
        )
    if not isinstance(body, dict):
        return _error(400, "The request body must be a JSON object with 'messages'.", "invalid_request_error")
    messages = body.get("messages")
    if (
        not isinstance(messages, list)
        or not messages
        or not all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    ):
        return _error(
            400,
            "'messages' must be a non-empty list of objects, each with a 'role'.",
            "invalid_request_error",
        )
    if body.get("tools") is not None and not isinstance(body["tools"], list):
        return _error(400, "'tools' must be a list of OpenAI function tools.", "invalid_request_error")
    return body


def build_app(state: ServerState | None = None, *, extra_routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The ASGI app. ``extra_routes`` are mounted under the same ``/api/v1`` root (paths relative)."""
    state = state or ServerState()

    async def answer(
        request: Request,
        persona: Persona,
        *,
        sse_events: bool,
        usage_mode: UsageMode,
        standing_in_for: str | None = None,
    ) -> Response:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        kwargs = {"max_rounds": state.max_rounds} if state.max_rounds else {}
        # Reading a request embeds it (and loads the model on first use): off the event loop.
        plan = await anyio.to_thread.run_sync(
            lambda: plan_reply(body["messages"], body.get("tools"), persona=persona, **kwargs)
        )
        request_key = {k: body.get(k) for k in ("messages", "tools", "tool_choice")}
        reply = Reply.for_request(plan, model_name(persona, standing_in_for), request_key)
        if not body.get("stream", False):
            return JSONResponse(completion(reply, pace=state.pace_for(persona)), headers=SANDBOX_HEADER)
        return StreamingResponse(
            _stream(reply, persona, sse_events, usage_mode),
            media_type="text/event-stream",
            headers={**SANDBOX_HEADER, "Cache-Control": "no-cache"},
        )

    async def _stream(
        reply: Reply, persona: Persona, sse_events: bool, usage_mode: UsageMode
    ) -> AsyncIterator[bytes]:
        prefix = b"event: message\n" if sse_events else b""
        try:
            chunks = list(stream_chunks(reply, usage_mode=usage_mode, pace=state.pace_for(persona)))
            for chunk, (sharing, cap) in zip(chunks, pacing_caps(chunks), strict=True):
                delay = chunk_delay(state.pace_for(persona), sharing, cap)
                if delay:
                    await anyio.sleep(delay)
                data = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
                yield prefix + b"data: " + data.encode() + b"\n\n"
            yield prefix + b"data: [DONE]\n\n"
        except (anyio.get_cancelled_exc_class(), GeneratorExit):
            # The client went away mid-stream: normal for a Stop button, not an error.
            state.disconnects += 1
            state.disconnected.set()
            raise

    async def invoke_chat(request: Request) -> Response:
        collection = request.path_params["collection"]
        found = _persona(collection)
        if found is None:
            return _unknown("Collection", collection)
        persona, dat1 = found
        return await answer(request, persona, sse_events=False, usage_mode="final", standing_in_for=dat1)

    async def openai_chat(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, JSONResponse):
            return body
        model = str(body.get("model") or "sandbox")
        found = _persona(model)
        if found is None:
            return _unknown("Model", model)
        persona, dat1 = found
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        usage: UsageMode = "final" if include else "last"
        return await answer(request, persona, sse_events=False, usage_mode=usage, standing_in_for=dat1)

    async def invoke_stream(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PERSONAS:
            return _unknown("Deployment", name)
        return await answer(request, name, sse_events=True, usage_mode="final")

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "sandbox": True,
                "kind": "rule-based stand-in, not a language model",
                "personas": list(PERSONAS),
                "dat1_names": DAT1_NAMES,
                "pace": state.pace,
            },
            headers=SANDBOX_HEADER,
        )

    async def page(request: Request) -> Response:
        return PlainTextResponse(_PAGE, headers=SANDBOX_HEADER)

    routes: list[BaseRoute] = [
        Route(f"{ROOT}/collection/open-ai/chat/completions", openai_chat, methods=["POST"]),
        Route(f"{ROOT}/collection/{{collection}}/invoke-chat", invoke_chat, methods=["POST"]),
        Route(f"{ROOT}/inference/{{name}}/invoke-stream", invoke_stream, methods=["POST"]),
        Route(f"{ROOT}/health", health, methods=["GET"]),
        Route(ROOT, page, methods=["GET"]),
        Route("/", page, methods=["GET"]),
    ]
    for route in extra_routes:
        routes.append(_under_root(route))
    app = Starlette(routes=routes)
    app.state.sandbox = state
    return app


def _under_root(route: BaseRoute) -> BaseRoute:
    if isinstance(route, Route) and not route.path.startswith(ROOT):
        return Route(
            ROOT + "/" + route.path.lstrip("/"), route.endpoint, methods=route.methods, name=route.name
        )
    return route


class SandboxModelServer:
    """The app on a loopback port, served by uvicorn on its own thread and event loop.

    Works from plain code and from inside a running event loop (a notebook): nothing here
    touches the caller's loop.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        pace: float | None = None,
        extra_routes: Sequence[BaseRoute] = (),
        *,
        max_rounds: int | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self.state = ServerState(pace, max_rounds)
        self.app = build_app(self.state, extra_routes=extra_routes)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def pace(self) -> float:
        return self.state.pace

    @pace.setter
    def pace(self, value: float) -> None:
        self.state.pace = valid_pace(value)

    @property
    def port(self) -> int:
        return self._port

    @property
    def root_url(self) -> str:
        if self._server is None:
            raise SandboxError("The sandbox model server is not running: call .start() first.")
        return f"http://{self.host}:{self._port}{ROOT}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self, timeout: float = 10.0) -> SandboxModelServer:
        with self._lock:
            if self._server is not None:
                return self
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((self.host, self._port))
            except OSError as exc:
                sock.close()
                raise SandboxError(
                    f"The sandbox model server could not listen on {self.host}:{self._port} ({exc}): "
                    "pass port=0 to pick a free port."
                ) from exc
            self._port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.app, log_level="warning", access_log=False, lifespan="off", log_config=None
            )
            server = uvicorn.Server(config)
            thread = threading.Thread(
                target=lambda: asyncio.run(server.serve(sockets=[sock])),
                name=f"sandbox-model-server:{self._port}",
                daemon=True,
            )
            thread.start()
            deadline = time.monotonic() + timeout
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    sock.close()
                    raise SandboxError(
                        f"The sandbox model server did not start within {timeout:g}s; "
                        "check the log above, or retry with another port."
                    )
                time.sleep(0.005)
            self._server, self._thread = server, thread
            return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():  # a stuck stream: stop waiting for it
            server.force_exit = True
            thread.join(timeout)

    def __enter__(self) -> SandboxModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.root_url if self.running else "stopped"
        return f"<SandboxModelServer {where} pace={self.pace:g}s (rule-based stand-in, not a language model)>"


def sandbox_extra_routes() -> list[BaseRoute]:
    """The embedding and reranker routes, computed with the local model (loaded on first use)."""
    from stripe_nb_agent.llm.local_embeddings import LocalEmbedder
    from stripe_nb_agent.sandbox.embedding_routes import embedding_routes

    return list(embedding_routes(LocalEmbedder))
