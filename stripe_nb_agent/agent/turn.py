"""One turn of the chat-and-tools loop, as a stream of typed events.

    stream the model ──► tool calls? ──no──► final answer
          ▲                  │yes
          └── tool messages ◄┴─ run the round's calls concurrently (approval first under "confirm")

The turn's body runs in its own task and pushes events into a queue the consumer iterates, so a
cancel (a Stop click, a kernel interrupt) is an ordinary ``task.cancel()`` whose handler repairs the
conversation and still delivers a final :class:`TurnFinished`. Whatever happens, the conversation
stays one the model can be sent again: every assistant tool call gets a tool message, and a write
that was already sent is reported as such, never forgotten.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from stripe_nb_agent.agent.conversation import Conversation, TurnRecord
from stripe_nb_agent.agent.events import (
    AgentEvent,
    Approval,
    Notice,
    RoundFinished,
    StopReason,
    ToolCallAwaitingApproval,
    ToolCallFinished,
    ToolCallProgress,
    ToolCallRecord,
    ToolCallStarted,
    TurnFinished,
    TurnMetrics,
    TurnResult,
    TurnStarted,
)
from stripe_nb_agent.agent.preview import describe_call, known_objects, objects_in_messages
from stripe_nb_agent.errors import AgentError, StreamInterruptedError, StripeNbAgentError, UsageError
from stripe_nb_agent.llm.types import (
    AssistantMessage,
    ChatResponse,
    Completed,
    Message,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from stripe_nb_agent.tools.policy import ToolMenu, call_kind, policy_refusal
from stripe_nb_agent.tools.results import failure, outcome_unknown
from stripe_nb_agent.tools.types import (
    DEFAULT_MAX_RESULT_CHARS,
    POLICIES,
    OpenAITool,
    Policy,
    ToolClientProtocol,
    ToolKind,
    ToolResult,
    ToolSpec,
)

__all__ = ["ChatModel", "Turn", "TurnOptions"]

DEFAULT_MAX_ROUNDS = 10
# Rounds in a row whose every tool call was unreadable before the turn gives up: a model (or a
# broken server) that keeps sending them would otherwise cost max_rounds paid requests.
MAX_MALFORMED_ROUNDS = 2
# What a tool name may look like; anything else (empty, spaces, control characters) is unreadable.
_CALLABLE_NAME = re.compile(r"^[A-Za-z0-9_.\-/:]{1,128}$")


class ChatModel(Protocol):
    """What a turn needs from a model client (llm.client.ChatClient satisfies it)."""

    def stream(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[OpenAITool] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[StreamEvent]: ...


@dataclass(frozen=True)
class TurnOptions:
    model_name: str = ""
    policy: Policy = "auto"
    use_tools: bool = True
    max_rounds: int = DEFAULT_MAX_ROUNDS
    temperature: float | None = None
    max_tokens: int | None = None
    # How much of one tool result the model reads (None: all of it); the table keeps everything.
    max_result_chars: int | None = DEFAULT_MAX_RESULT_CHARS

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise UsageError(f"Unknown policy {self.policy!r}: use one of {', '.join(POLICIES)}.")
        if self.max_rounds < 1:
            raise UsageError(f"max_rounds must be at least 1 (got {self.max_rounds}).")
        if self.max_result_chars is not None and self.max_result_chars < 1000:
            raise UsageError(
                f"max_result_chars must be at least 1000, or None for no cap (got {self.max_result_chars})."
            )


_CallState = Literal["pending", "awaiting", "running", "done"]


@dataclass
class _Call:
    call: ToolCall
    # The tool the menu dispatched the call to; None when it was refused before any server.
    spec: ToolSpec | None
    arguments: Any
    state: _CallState = "pending"
    result: ToolResult | None = None
    # When the tool itself ran (start, end): a human's approval wait is not tool time.
    ran: tuple[float, float] | None = None

    @property
    def kind(self) -> ToolKind:
        # A call that names no known tool counts as a write: nothing about it is trusted.
        return call_kind(self.spec, self.arguments) if self.spec else "write"

    @property
    def name(self) -> str:
        """The tool's own (MCP) name when known, for the user; the model's spelling otherwise."""
        if self.spec is not None:
            return self.spec.name
        # A refusal names the tool when the menu knew it (one the policy hid).
        return self.result.tool if self.result is not None and self.result.tool else self.call.name


@dataclass
class _Stats:
    started: float
    rounds: int = 0
    ttft: float | None = None
    completion_tokens: int = 0
    generation_s: float = 0.0
    tool_time_s: float = 0.0
    tool_latencies: list[tuple[str, float]] = field(default_factory=list)


_DONE = object()


class Turn:
    """A running turn: iterate it for events; :meth:`cancel` from any thread stops it cleanly.

    Build it with :meth:`start` inside the event loop that will run it.
    """

    def __init__(
        self,
        conversation: Conversation,
        prompt: str,
        *,
        model: ChatModel,
        tools: ToolClientProtocol | None,
        options: TurnOptions,
        turn_id: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not prompt.strip():
            raise UsageError("The request is empty: write what you want the agent to do.")
        self.conversation = conversation
        self.prompt = prompt
        self.options = options
        self.turn_id = turn_id
        self._model = model
        self._tools = tools
        self._clock = clock
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._approvals: dict[str, Approval] = {}
        self.result: TurnResult | None = None
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._records: list[ToolCallRecord] = []
        self._messages_before = 0
        self._round_text: list[str] = []

    # --- control --------------------------------------------------------------------------

    def start(self) -> Turn:
        """Claim the conversation and start the body task on the running loop."""
        self.conversation.acquire()
        try:
            self._loop = asyncio.get_running_loop()
            self._task = self._loop.create_task(self._body(), name=f"stripe-nb-agent-turn-{self.turn_id}")
        except BaseException:
            self.conversation.release()
            raise
        return self

    def cancel(self) -> None:
        """Stop the turn (thread-safe). Held approvals are declined; the turn still finishes."""
        for approval in list(self._approvals.values()):
            approval.decline()
        loop, task = self._loop, self._task
        if loop is None or task is None or task.done():
            return
        if loop.is_closed():
            return
        loop.call_soon_threadsafe(task.cancel)

    @property
    def pending_approvals(self) -> list[Approval]:
        return [a for a in self._approvals.values() if a.decision is None]

    @property
    def done(self) -> bool:
        return self.result is not None

    async def wait(self) -> TurnResult:
        """Drain the events and return the result."""
        async for _ in self:
            pass
        assert self.result is not None
        return self.result

    def __aiter__(self) -> AsyncIterator[AgentEvent]:
        return self._events()

    async def _events(self) -> AsyncIterator[AgentEvent]:
        if self._task is None:
            self.start()
        while True:
            item = await self._queue.get()
            if item is _DONE:
                return
            yield item  # type: ignore[misc]  # only AgentEvents and _DONE are ever queued

    def _emit(self, event: AgentEvent) -> None:
        self._queue.put_nowait(event)

    # --- the body -------------------------------------------------------------------------

    async def _body(self) -> None:
        stats = _Stats(started=self._clock())
        convo = self.conversation
        self._messages_before = len(convo.messages)
        user: UserMessage = {"role": "user", "content": self.prompt}
        convo.messages.append(user)
        stop: StopReason = "complete"
        error: str | None = None
        pending: list[_Call] = []
        try:
            self._emit(TurnStarted(self.turn_id, self.options.model_name, self.options.policy))
            menu = await self._catalogue()
            offered = list(menu.tools) if menu is not None and menu.tools else None
            malformed_rounds = 0
            while True:
                if stats.rounds >= self.options.max_rounds:
                    stop = "max_rounds"
                    self._finish_text(
                        f"\n\nI stopped after {self.options.max_rounds} rounds of tool calls without "
                        "reaching a final answer. Ask again more specifically, or raise the limit "
                        "(--max-rounds N)."
                    )
                    break
                stats.rounds += 1
                response = await self._stream_round(offered, stats)
                convo.messages.append(response.to_message())
                if not response.wants_tools:
                    break
                pending = [self._prepare(call, menu) for call in response.tool_calls]
                await self._run_round(pending, menu, stats)
                unreadable = all(item.result is not None and item.result.error_kind == "malformed"
                                 for item in pending)  # fmt: skip
                pending = []
                self._emit(RoundFinished(stats.rounds, len(response.tool_calls)))
                malformed_rounds = malformed_rounds + 1 if unreadable else 0
                if malformed_rounds >= MAX_MALFORMED_ROUNDS:
                    raise AgentError(
                        f"The model sent tool calls that could not be read in {malformed_rounds} rounds "
                        "in a row, so the turn was ended rather than paying for more requests; nothing "
                        "was run. Ask again (perhaps more simply), or switch model with "
                        "%stripe_agent use MODEL."
                    )
        except asyncio.CancelledError:
            stop = "cancelled"
            self._repair(pending, cancelled=True, round_no=stats.rounds)
            self._after_cancel()
        except StripeNbAgentError as exc:
            stop, error = "error", exc.message
            self._repair(pending, cancelled=False, round_no=stats.rounds)
            self._after_error(exc)
        except Exception as exc:  # a bug or a foreign error: the turn ends, the conversation stays sane
            stop, error = "error", f"{type(exc).__name__}: {exc}"
            self._repair(pending, cancelled=False, round_no=stats.rounds)
            self._after_error(exc)
        finally:
            self._finalise(stats, stop, error)

    async def _catalogue(self) -> ToolMenu | None:
        if self._tools is None or not self.options.use_tools:
            return None
        specs = await self._tools.list_tools()
        warning = getattr(self._tools, "catalog_warning", None)
        if isinstance(warning, str) and warning:
            self._emit(Notice("warning", warning))
        return ToolMenu.build(specs, self.options.policy)

    async def _stream_round(self, offered: list[OpenAITool] | None, stats: _Stats) -> ChatResponse:
        response: ChatResponse | None = None
        round_text: list[str] = []
        round_reasoning = False
        self._round_text = round_text
        # Unset options are left out, so the client's defaults hold (gpt-oss needs its generous
        # max_tokens: reasoning counts against it).
        options: dict[str, Any] = {"tools": offered, "temperature": self.options.temperature}
        if self.options.max_tokens is not None:
            options["max_tokens"] = self.options.max_tokens
        async for event in self._model.stream(self.conversation.model_messages(), **options):
            if isinstance(event, TextDelta | ReasoningDelta) and stats.ttft is None:
                stats.ttft = self._clock() - stats.started
            if isinstance(event, TextDelta):
                self._text.append(event.text)
                round_text.append(event.text)
                self._emit(event)
            elif isinstance(event, ReasoningDelta):
                if self._reasoning and not round_reasoning:
                    # Each round thinks afresh: keep the rounds' reasoning apart for the reader.
                    event = ReasoningDelta("\n\n" + event.text)
                round_reasoning = True
                self._reasoning.append(event.text)
                self._emit(event)
            elif isinstance(event, Completed):
                response = event.response
        if response is None:
            raise StreamInterruptedError(
                "The model's stream ended without a final chunk. Try again; if it keeps happening, "
                "check the endpoint.",
                partial_text="".join(round_text),
            )
        metrics = response.metrics
        stats.completion_tokens += metrics.completion_tokens
        # Generation time excludes the wait for the first token (prompt processing, cold starts).
        stats.generation_s += max(metrics.total_time - (metrics.time_to_first_token or 0.0), 0.0)
        if response.tool_calls and round_text:
            # Text that came with tool calls belongs to the answer, separated from what follows.
            self._text.append("\n\n")
        return response

    def _prepare(self, call: ToolCall, menu: ToolMenu | None) -> _Call:
        """Read one call and find its tool; a call that may not run gets its refusal as result."""
        arguments: Any
        try:
            arguments = json.loads(call.arguments) if call.arguments.strip() else {}
        except json.JSONDecodeError:
            arguments = call.arguments  # the tool client explains the JSON error to the model
        problem = call.problem
        if problem is None and not _CALLABLE_NAME.match(call.name):
            problem = (
                "it has no tool name" if not call.name.strip() else f"its name {call.name!r} is not valid"
            )
        if problem is not None:
            offered = ", ".join(menu.names) if menu is not None and menu.names else "none"
            refused = failure(
                call.name,
                "malformed",
                f"This tool call could not be read ({problem}), so it was not run. Call one of the "
                f"offered tools by its exact name, with a JSON object of arguments. Offered: {offered}.",
                kind="write",
            )
            return _Call(call=call, spec=None, arguments=arguments, result=refused)
        if menu is None:
            refused = failure(call.name, "unknown_tool", "No tools are offered in this turn.", kind="write")
            return _Call(call=call, spec=None, arguments=arguments, result=refused)
        target = menu.dispatch(call.name)
        if isinstance(target, ToolResult):
            return _Call(call=call, spec=None, arguments=arguments, result=target)
        # The call's own arguments may make it a write the policy forbids (see call_kind).
        refusal = policy_refusal(target, menu.policy, arguments)
        return _Call(call=call, spec=target, arguments=arguments, result=refusal)

    async def _run_round(self, calls: list[_Call], menu: ToolMenu | None, stats: _Stats) -> None:
        for item in calls:
            self._emit(ToolCallStarted(item.call.id, item.name, item.arguments, item.kind, stats.rounds))
        # Results go back in call order (the tool messages below); events arrive as calls finish.
        # _run_call never raises except on cancellation, which gather passes on to every call.
        await asyncio.gather(*(self._run_call(item, menu) for item in calls))
        stats.tool_time_s += _covered([item.ran for item in calls if item.ran is not None])
        for item in calls:
            assert item.result is not None
            stats.tool_latencies.append((item.name, item.result.latency_s))
            self._append_tool_message(item)
            self._records.append(
                ToolCallRecord(item.call.id, item.name, item.arguments, item.kind, item.result, stats.rounds)
            )

    async def _run_call(self, item: _Call, menu: ToolMenu | None) -> None:
        spec = item.spec
        held = spec is not None and menu is not None and menu.verdict(spec, item.arguments) == "approve"
        if item.result is None and spec is not None and held:
            approval = Approval(item.call.id, spec.name, item.arguments, self._preview(spec, item.arguments))
            self._approvals[item.call.id] = approval
            item.state = "awaiting"
            self._emit(ToolCallAwaitingApproval(item.call.id, spec.name, item.arguments, item.kind, approval))
            decision = await approval.wait()
            if decision == "decline":
                item.result = failure(
                    spec.name,
                    "declined",
                    f"The user declined this {spec.name} call; it was not run. Do not retry it unless the "
                    "user asks again.",
                    kind="write",
                )
        if item.result is None:
            assert spec is not None, "a call without a tool always carries its refusal"
            item.state = "running"
            started = self._clock()
            item.result = await self._call(item, spec)
            item.ran = (started, self._clock())
        item.state = "done"
        self._emit(ToolCallFinished(item.call.id, item.name, item.arguments, item.result))

    def _preview(self, spec: ToolSpec, arguments: Any) -> str:
        # What the conversation has seen: earlier turns' tool messages, then this turn's full
        # results (a tool message may hold a result cut short for the model).
        seen = objects_in_messages(self.conversation.messages)
        seen += [r.result.data for r in self._records if r.result is not None and r.result.ok]
        return describe_call(spec.name, arguments, known_objects(seen))

    async def _call(self, item: _Call, spec: ToolSpec) -> ToolResult:
        assert self._tools is not None
        started = self._clock()

        def progress(value: float, total: float | None, message: str | None) -> None:
            self._emit(ToolCallProgress(item.call.id, spec.name, value, total, message))

        try:
            return await self._tools.call_tool(spec.name, item.arguments, on_progress=progress)
        except StripeNbAgentError as exc:
            reason = exc.message
        except Exception as exc:  # the tool client's own bug must not kill the turn either
            reason = f"{type(exc).__name__}: {exc}"
        latency = self._clock() - started
        if item.kind == "write":
            # The client raised instead of answering: whether the request left, we can't tell.
            return outcome_unknown(
                spec.name, item.arguments, f"the tool call failed ({reason})", latency_s=latency
            )
        return failure(
            spec.name, "transport", f"The tool call failed: {reason}. It was a read: nothing changed.",
            kind="read", sent=True, latency_s=latency,
        )  # fmt: skip

    def _append_tool_message(self, item: _Call) -> None:
        assert item.result is not None
        message: ToolMessage = {
            "role": "tool",
            "tool_call_id": item.call.id,
            "name": item.call.name,
            "content": item.result.for_model(self.options.max_result_chars),
        }
        self.conversation.messages.append(message)

    # --- repair after errors and cancellation ----------------------------------------------

    def _repair(self, pending: list[_Call], *, cancelled: bool, round_no: int) -> None:
        """Give every tool call of the interrupted round its tool message and record."""
        for item in pending:
            if item.result is None or item.state != "done":
                item.result = self._interrupted_result(item, cancelled=cancelled)
                self._emit(ToolCallFinished(item.call.id, item.name, item.arguments, item.result))
            self._append_tool_message(item)
            self._records.append(
                ToolCallRecord(item.call.id, item.name, item.arguments, item.kind, item.result, round_no)
            )

    def _interrupted_result(self, item: _Call, *, cancelled: bool) -> ToolResult:
        why = "the turn was stopped" if cancelled else "the turn failed"
        if item.state == "running" and item.kind == "write":
            return outcome_unknown(item.name, item.arguments, f"{why} while this write was in flight")
        sent = item.state == "running"
        return failure(
            item.name,
            "cancelled",
            f"Not completed: {why} before this call finished"
            + (" (it was a read; nothing changed)." if sent else " (it was never sent)."),
            kind=item.kind,
            sent=sent,
        )

    def _after_cancel(self) -> None:
        convo = self.conversation
        partial = "".join(self._round_text)
        last = convo.messages[-1]
        if last["role"] == "user" and not partial:
            # Stopped before anything came back: the turn never happened, as far as the model knows.
            convo.messages.pop()
        elif last["role"] != "assistant" or "tool_calls" in last:
            stopped: AssistantMessage = {
                "role": "assistant",
                "content": (partial + " " if partial else "") + "[stopped by the user]",
            }
            convo.messages.append(stopped)

    def _after_error(self, exc: BaseException) -> None:
        convo = self.conversation
        if len(convo.messages) == self._messages_before + 1:
            # Nothing happened beyond our user message: take it back, the turn can simply be retried.
            convo.messages.pop()
            return
        partial = getattr(exc, "partial_text", "") or ""
        note: AssistantMessage = {
            "role": "assistant",
            "content": (partial + "\n\n" if partial else "") + "[this turn failed before its final answer]",
        }
        if convo.messages[-1]["role"] != "assistant" or "tool_calls" in convo.messages[-1]:
            convo.messages.append(note)

    def _finish_text(self, text: str) -> None:
        self._text.append(text)
        self._emit(TextDelta(text))
        message: AssistantMessage = {"role": "assistant", "content": text.strip()}
        self.conversation.messages.append(message)

    def _finalise(self, stats: _Stats, stop: StopReason, error: str | None) -> None:
        convo = self.conversation
        if stop == "complete":
            # Reasoning went back to the model only during the tool exchange; the answer closes it.
            for message in convo.messages[self._messages_before :]:
                if message["role"] == "assistant" and "reasoning_content" in message:
                    del message["reasoning_content"]
        total = self._clock() - stats.started
        tokens_per_s = stats.completion_tokens / stats.generation_s if stats.generation_s > 0 else None
        metrics = TurnMetrics(
            model=self.options.model_name,
            rounds=stats.rounds,
            time_to_first_token=stats.ttft,
            tokens_per_second=tokens_per_s,
            completion_tokens=stats.completion_tokens,
            tool_time_s=stats.tool_time_s,
            tool_latencies=tuple(stats.tool_latencies),
            total_s=total,
        )
        result = TurnResult(
            prompt=self.prompt,
            text="".join(self._text).strip(),
            reasoning="".join(self._reasoning),
            tool_calls=tuple(self._records),
            metrics=metrics,
            stop_reason=stop,
            error=error,
        )
        self.result = result
        convo.turns.append(
            TurnRecord(
                prompt=self.prompt,
                text=result.text,
                model=self.options.model_name,
                stop_reason=stop,
                rounds=stats.rounds,
                tool_calls=tuple(r.name for r in self._records),
                time_to_first_token=stats.ttft,
                tokens_per_second=tokens_per_s,
                tool_time_s=stats.tool_time_s,
                total_s=total,
                error=error,
            )
        )
        convo.release()
        if error:
            self._emit(Notice("error", error))
        self._emit(TurnFinished(result))
        self._queue.put_nowait(_DONE)


def _covered(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one of ``spans`` ran (concurrent calls overlap)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total
