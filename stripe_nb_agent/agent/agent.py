"""The Agent: what a notebook keeps for the kernel's life.

It owns the resolved settings, the model clients (one per model name, kept alive), the tool clients
(Stripe's, from the settings through the plugin hooks, and any connected server, each one MCP
session kept across cells) and named conversations. It never imports the sandbox: what the settings
point at comes from :mod:`stripe_nb_agent.plugins`. Everything async runs on the package's
background loop; the synchronous methods here are what cells and widgets call.

    agent = Agent()                      # sandbox with no keys, live with them
    turn = agent.ask("list my last 5 customers")
    turn.result.text, turn.result.tool_calls
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from stripe_nb_agent import plugins
from stripe_nb_agent._loop import BackgroundLoop, get_loop
from stripe_nb_agent.agent.conversation import DEFAULT_SYSTEM_PROMPT, Conversation
from stripe_nb_agent.agent.events import AgentEvent, Approval, TurnResult
from stripe_nb_agent.agent.turn import ChatModel, Turn, TurnOptions
from stripe_nb_agent.config import Settings, Status, ToolServerStatus, resolve_settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.hookspecs import SandboxControls, StripeOptions
from stripe_nb_agent.llm.model_info import ModelRow
from stripe_nb_agent.llm.model_table import model_table
from stripe_nb_agent.llm.models import ModelRegistry, default_registry
from stripe_nb_agent.tools.hub import ToolHub
from stripe_nb_agent.tools.types import (
    DEFAULT_MAX_RESULT_CHARS,
    POLICIES,
    Policy,
    ToolClientProtocol,
    ToolKind,
    ToolSpec,
)

if TYPE_CHECKING:
    from stripe_nb_agent.tools.functions import FunctionTools

__all__ = ["Agent", "RunningTurn"]

_END = object()


class RunningTurn:
    """A turn seen from synchronous code (a cell): iterate :meth:`events`, resumable across cells.

    Events are pumped from the background loop into a thread-safe queue whether or not anyone is
    reading, so a turn held for approval in one cell can be resumed by ``%stripe_agent approve`` in
    the next and its remaining events read there.
    """

    def __init__(self, turn: Turn, loop: BackgroundLoop) -> None:
        self.turn = turn
        self._loop = loop
        self._queue: queue.Queue[object] = queue.Queue()
        self._finished = False
        self._future: concurrent.futures.Future[None] = loop.submit(self._pump())

    async def _pump(self) -> None:
        try:
            async for event in self.turn:
                self._queue.put(event)
        finally:
            self._queue.put(_END)

    @property
    def result(self) -> TurnResult | None:
        return self.turn.result

    @property
    def finished(self) -> bool:
        return self._finished

    def events(self, *, poll: float = 0.1, deadline: float | None = None) -> Iterator[AgentEvent]:
        """Yield events as they arrive; a KeyboardInterrupt cancels the turn, then drains it.

        ``deadline`` (a ``time.monotonic()`` value) raises TimeoutError if the turn is still
        running then; the turn goes on, and a later call resumes where this one stopped.
        """
        while not self._finished:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("The turn is still running: wait again, or cancel() it.")
            try:
                item = self._queue.get(timeout=poll)
            except queue.Empty:
                failure = self._future.exception() if self._future.done() else None
                if failure is not None:
                    raise failure from None
                continue
            except KeyboardInterrupt:
                self.cancel()
                raise
            if item is _END:
                self._finished = True
                return
            yield item  # type: ignore[misc]  # the pump only queues AgentEvents and _END

    def wait(self, timeout: float | None = None) -> TurnResult:
        """Drain the remaining events and return the result (TimeoutError after ``timeout`` s)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in self.events(deadline=deadline):
            pass
        assert self.turn.result is not None
        return self.turn.result

    @property
    def pending_approvals(self) -> list[Approval]:
        return self.turn.pending_approvals

    def cancel(self) -> None:
        self.turn.cancel()


class Agent:
    """Settings, models, tools and conversations for one notebook (see the module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        model: str | None = None,
        policy: Policy | None = None,
        tools: ToolClientProtocol | Sequence[ToolClientProtocol] | None = None,
        registry: ModelRegistry | None = None,
        sandbox_profile: str = "classic",
        sandbox_db: str | None = None,
        loop: BackgroundLoop | None = None,
        system_prompt: str | None = None,
    ) -> None:
        self.settings = settings if settings is not None else resolve_settings()
        # The process-wide registry by default, so register_model() is seen by the magic and widget.
        self.registry = registry if registry is not None else default_registry()
        self._loop = loop
        self._lock = threading.Lock()
        self._clients: dict[str, ChatModel] = {}
        # Every tool server the turns can call, as one catalogue. With no tools= the first member,
        # "stripe", is made from the settings on first use (live Stripe or the sandbox).
        self._hub = ToolHub()
        self._stripe_from_settings = tools is None
        for client in [tools] if isinstance(tools, ToolClientProtocol) else list(tools or ()):
            self._hub.add(client)
        self._functions: FunctionTools | None = None
        self._stripe_options = StripeOptions(
            profile=sandbox_profile, db=sandbox_db if sandbox_db is not None else self.settings.sandbox_db
        )
        self._sandbox: SandboxControls | None = None
        self._conversations: dict[str, Conversation] = {}
        self._turn_ids = 0
        self.held: RunningTurn | None = None
        info = self.registry.resolve(model or self.registry.default_name(self.settings))
        self.model = info.name
        # A model whose server starts on demand (the sandbox's) starts now, while the rest loads.
        plugins.prepare(self.settings, info)
        self.policy: Policy = policy if policy is not None else self._default_policy()
        if self.policy not in POLICIES:
            raise UsageError(f"Unknown policy {self.policy!r}: use one of {', '.join(POLICIES)}.")
        self._system_prompt = system_prompt

    # --- plumbing -------------------------------------------------------------------------

    @property
    def loop(self) -> BackgroundLoop:
        if self._loop is None:
            self._loop = get_loop()
        return self._loop

    def _default_policy(self) -> Policy:
        from stripe_nb_agent.tools.policy import default_policy

        return default_policy(self.settings)

    def _where(self) -> str:
        if self.settings.stripe_mode == "sandbox":
            return "an offline Stripe sandbox with fake data (nothing here touches a real account)"
        if self.settings.stripe_livemode_key:
            return "a live Stripe account in LIVE mode"
        return "Stripe in test mode"

    def _model_client(self, name: str) -> ChatModel:
        with self._lock:
            client = self._clients.get(name)
            if client is None:
                client = self.registry.client(name, self.settings)
                self._clients[name] = client
            return client

    @property
    def sandbox_store(self) -> Any:
        """The Stripe sandbox's store (None when Stripe is live or replaced by ``tools=``)."""
        self._tool_client()
        return self._sandbox.store if self._sandbox is not None else None

    def _tool_client(self) -> ToolHub:
        with self._lock:
            if self._stripe_from_settings:
                self._stripe_from_settings = False
                stripe = plugins.stripe_tools(self.settings, self._stripe_options)
                self._sandbox = stripe.sandbox
                self._hub.add(stripe.client, name="stripe")
            return self._hub

    # --- more tool servers, and Python functions as tools -------------------------------------

    def connect(
        self,
        server: str | ToolClientProtocol,
        *,
        name: str | None = None,
        trusted: bool = False,
        key: str | None = None,
        env: dict[str, str] | None = None,
    ) -> str:
        """Add a tool server beside Stripe's; returns the name its tools are listed under.

        ``server``: an MCP URL (``https://...``, Streamable HTTP; ``key`` is sent as a bearer
        token), a command line (run over stdio; ``env`` adds to its environment), or a tool
        client. ``trusted=True`` lets the server's annotations decide which tools are reads.
        The server is listed once now, so a wrong URL or command fails here, not mid-turn.
        """
        import shlex

        from stripe_nb_agent.redaction import Secret
        from stripe_nb_agent.tools.client import ToolClient

        client: ToolClientProtocol
        if isinstance(server, str):
            if server.startswith(("http://", "https://")):
                client = ToolClient.for_url(server, key=Secret(key) if key else None, trusted=trusted,
                                            label=name or "MCP")  # fmt: skip
            else:
                words = shlex.split(server)
                if not words:
                    raise UsageError("connect() needs an MCP URL or a command to run.")
                child_env: dict[str, Secret | str] = dict(env or {})
                secret = Secret(key) if key else None
                client = ToolClient.for_command(
                    words[0], words[1:], env=child_env, key=secret, trusted=trusted, label=name or words[0]
                )
        else:
            client = server
        self._tool_client()
        chosen = self._hub.add(client, name=name)
        try:
            self.loop.run(_list_tools(client, True))
        except BaseException:
            self._hub.remove(chosen)
            self.loop.run(_close_all([client.aclose] if hasattr(client, "aclose") else []))
            raise
        return chosen

    def disconnect(self, name: str) -> None:
        """Remove a tool server (and close its session); its tools are no longer offered."""
        client = self._tool_client().remove(name)
        if self._functions is not None and client is self._functions.client:
            self._functions = None
        if hasattr(client, "aclose"):
            self.loop.run(_close_all([client.aclose]))

    def add_tool(self, fn: Callable[..., Any], *, kind: ToolKind = "write", name: str | None = None) -> str:
        """Offer a Python function (sync or async) to the model as a tool; returns its name.

        Name, description and input schema come from the function (its name, docstring and type
        hints). ``kind`` says whether it changes anything: ``"write"`` by default, so it waits for
        approval under ``confirm`` unless you declare it a ``"read"``.
        """
        with self._lock:
            functions = self._functions
        if functions is None:
            from stripe_nb_agent.tools.functions import FunctionTools

            functions = FunctionTools()
            self._tool_client()
            self._hub.add(functions.client, name="python")
            self._functions = functions
        return functions.add(fn, kind=kind, name=name)

    def servers(self) -> list[ToolServerStatus]:
        """Each connected tool server: transport, endpoint, tool count, trusted, state."""
        return self._tool_client().rows()

    # --- conversations ----------------------------------------------------------------------

    def conversation(self, name: str = "default") -> Conversation:
        with self._lock:
            convo = self._conversations.get(name)
            if convo is None:
                prompt = self._system_prompt or DEFAULT_SYSTEM_PROMPT.format(where=self._where())
                convo = Conversation(name=name, system_prompt=prompt)
                self._conversations[name] = convo
            return convo

    @property
    def conversations(self) -> dict[str, Conversation]:
        return dict(self._conversations)

    def reset(self, name: str = "default") -> Conversation:
        """Forget a conversation's history (a held turn on it is cancelled first)."""
        if self.held is not None and self.held.turn.conversation.name == name and not self.held.finished:
            self.held.cancel()
            self.held.wait()
        with self._lock:
            self._conversations.pop(name, None)
        return self.conversation(name)

    # --- models and tools -----------------------------------------------------------------

    def use(self, model: str) -> str:
        """Switch the default model for the next turns; the history is kept."""
        info = self.registry.resolve(model)
        self.model = info.name
        return info.name

    def models(self) -> list[ModelRow]:
        return model_table(self.registry, self.settings)

    def status(self) -> Status:
        """The model and Stripe services, then every connected tool server (nothing is contacted)."""
        services = plugins.describe_services(self.settings, self._sandbox)
        if not self._stripe_from_settings and "stripe" not in self._hub.members:
            # tools= replaced the settings' Stripe client: the server rows say what is connected.
            services = tuple(s for s in services if not s.service.startswith("Stripe"))
        return Status(services, tuple(self._hub.rows()), mode_note=self.settings.mode_note)

    def sandbox_clock(self) -> str:
        """The sandbox's "now" (its data is dated around it), without starting the sandbox."""
        if self._sandbox is not None:
            return self._sandbox.clock()
        return plugins.sandbox_clock() or "sandbox clock unknown"

    def tools(self, *, refresh: bool = False) -> list[ToolSpec]:
        """Every tool of every connected server (``spec.server`` names which)."""
        client = self._tool_client()
        return list(self.loop.run(_list_tools(client, refresh)))

    # --- turns ------------------------------------------------------------------------------

    def start(
        self,
        prompt: str,
        *,
        conversation: str = "default",
        model: str | None = None,
        policy: Policy | None = None,
        use_tools: bool = True,
        max_rounds: int = 10,
        temperature: float | None = None,
        max_tokens: int | None = None,
        max_result_chars: int | None = DEFAULT_MAX_RESULT_CHARS,
    ) -> RunningTurn:
        """Start a turn on the background loop and return at once.

        ``max_result_chars`` caps what the model reads of each tool result (whole rows, with a
        note; the tables keep everything); ``None`` sends results whole.
        """
        name = self.registry.resolve(model).name if model else self.model
        options = TurnOptions(
            model_name=name,
            policy=policy or self.policy,
            use_tools=use_tools,
            max_rounds=max_rounds,
            temperature=temperature,
            max_tokens=max_tokens,
            max_result_chars=max_result_chars,
        )
        # Tools first: building them is this thread's work (the MCP SDK's import, on a first turn),
        # while a model server started on demand (the sandbox's) gets ready in its own process.
        tools = self._tool_client() if use_tools else None
        client = self._model_client(name)
        convo = self.conversation(conversation)
        self._turn_ids += 1
        turn = self.loop.run(_start_turn(convo, prompt, client, tools, options, self._turn_ids))
        running = RunningTurn(turn, self.loop)
        self.held = running
        return running

    def ask(self, prompt: str, **options: Any) -> TurnResult:
        """Run one turn to the end (write calls under "confirm" must be approved from elsewhere)."""
        return self.start(prompt, **options).wait()

    def close(self) -> None:
        """Close model and tool clients (the sandbox servers stay up for the process)."""
        clients, self._clients = list(self._clients.values()), {}
        closers: list[Callable[[], Any]] = [c.aclose for c in clients if hasattr(c, "aclose")]
        closers.append(self._hub.aclose)
        if closers:
            self.loop.run(_close_all(closers))
        # Releases the sandbox store's file, so a new Agent in this kernel can open it.
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.close()


async def _list_tools(client: ToolClientProtocol, refresh: bool) -> Sequence[ToolSpec]:
    return await client.list_tools(refresh=refresh)


async def _start_turn(
    convo: Conversation,
    prompt: str,
    client: ChatModel,
    tools: ToolClientProtocol | None,
    options: TurnOptions,
    turn_id: int,
) -> Turn:
    return Turn(convo, prompt, model=client, tools=tools, options=options, turn_id=turn_id).start()


async def _close_all(closers: list[Callable[[], Any]]) -> None:
    results = await asyncio.gather(*(c() for c in closers), return_exceptions=True)
    del results
