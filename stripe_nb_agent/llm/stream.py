"""Assemble OpenAI ``chat.completion.chunk`` objects into the typed events of :mod:`.types`.

The assembler is pure apart from an injectable clock, so every shape a server may send is tested
without a network: llama.cpp's ``timings`` wherever they land, ``reasoning_content`` or
``reasoning``, tool calls fragmented by index, ``{"error": ...}`` inside the stream, and the
non-streaming ``chat.completion`` shape from servers that ignore ``stream: true``. A malformed
chunk is skipped and counted, never fatal: one bad line must not cost the user the whole answer.
"""

from __future__ import annotations

import json
import json.scanner
import time
from collections.abc import Callable
from typing import Any

from stripe_nb_agent.errors import ModelStreamError
from stripe_nb_agent.llm.sse import ServerSentEvent
from stripe_nb_agent.llm.types import (
    ChatResponse,
    ReasoningDelta,
    StreamEvent,
    StreamMetrics,
    TextDelta,
    Timings,
    ToolCall,
    ToolCallDelta,
    Usage,
)

__all__ = ["Clock", "StreamAssembler"]

Clock = Callable[[], float]
"""Monotonic seconds; ``time.monotonic`` in production, a fake in tests."""

# typeshed types the scanner's context as the scanner itself; a JSONDecoder is what it takes.
_scan_once: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)
_TIMING_FIELDS = ("prompt_n", "prompt_ms", "prompt_per_second", "predicted_n", "predicted_ms")


class _ToolCallBuilder:
    __slots__ = ("arguments", "id", "name", "problem")

    def __init__(self, call_id: str, name: str, problem: str | None = None) -> None:
        self.id = call_id
        self.name = name
        self.arguments: list[str] = []
        self.problem = problem

    def call(self) -> ToolCall:
        return ToolCall(id=self.id, name=self.name, arguments="".join(self.arguments), problem=self.problem)


class StreamAssembler:
    """Feed it decoded chunks in order; read typed events back; call :meth:`response` at the end.

    ``started_at`` is when the request began (metrics count from there, retries included); it
    defaults to the assembler's creation.
    """

    def __init__(self, *, clock: Clock = time.monotonic, started_at: float | None = None) -> None:
        self._clock = clock
        self._start = clock() if started_at is None else started_at
        self._first_byte: float | None = None
        self._first_token: float | None = None
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, _ToolCallBuilder] = {}
        # Fragments that can't be placed in a call (an index like "x"): each is a flagged call of
        # its own, so the turn tells the model instead of running, or silently dropping, it.
        self._unplaceable: list[_ToolCallBuilder] = []
        self._finish_reason: str | None = None
        self._usage: Usage | None = None
        self._timings: Timings | None = None
        self._model = ""
        self._counted = 0
        self._malformed = 0
        self.done = False
        """True once ``data: [DONE]`` arrived."""

    # --- state the client reads ---------------------------------------------------------------

    @property
    def finish_reason(self) -> str | None:
        return self._finish_reason

    @property
    def complete(self) -> bool:
        """The server said it was finished: ``[DONE]`` or a finish reason (some omit ``[DONE]``)."""
        return self.done or self._finish_reason is not None

    @property
    def partial_text(self) -> str:
        return "".join(self._text)

    @property
    def partial_reasoning(self) -> str:
        return "".join(self._reasoning)

    @property
    def has_tokens(self) -> bool:
        """A token (text, reasoning or a tool-call fragment) has arrived."""
        return self._first_token is not None

    @property
    def malformed_chunks(self) -> int:
        return self._malformed

    def byte_received(self) -> None:
        """Record the first body byte (call on every read; only the first one counts)."""
        if self._first_byte is None:
            self._first_byte = self._clock()

    # --- input --------------------------------------------------------------------------------

    def feed_sse(self, event: ServerSentEvent) -> list[StreamEvent]:
        """One decoded SSE event: ``[DONE]``, an ``error`` event, or a JSON chunk."""
        if self.done:
            return []
        data = event.data
        if data == "[DONE]":
            self.done = True
            return []
        if event.event == "error":
            payload = self._loads(data)
            self._raise_stream_error(payload if payload is not None else data)
        if not data:
            return []  # llama.cpp-style servers may send empty keep-alive events
        chunk = self._loads(data)
        if chunk is None:
            self._malformed += 1
            return []
        return self.feed_chunk(chunk)

    def feed_chunk(self, chunk: Any) -> list[StreamEvent]:
        """One ``chat.completion.chunk`` (or a whole ``chat.completion``) as parsed JSON."""
        if type(chunk) is not dict:
            self._malformed += 1
            return []
        if "error" in chunk and chunk["error"] is not None:
            self._raise_stream_error(chunk)
        choices = chunk.get("choices")
        if type(choices) is not list:
            self._malformed += 1
            return []
        # Any chunk may carry usage/timings: the last choice chunk, a ``choices: []`` chunk, or
        # every chunk, depending on the llama.cpp version. Keep the last seen.
        usage = chunk.get("usage")
        if usage is not None:
            self._read_usage(usage)
        timings = chunk.get("timings")
        if timings is not None:
            self._read_timings(timings)
        if not self._model:
            model = chunk.get("model")
            if model and type(model) is str:
                self._model = model
        if not choices:
            return []
        choice = choices[0]
        if type(choice) is not dict:
            self._malformed += 1
            return []
        delta = choice.get("delta")
        if delta is None:
            delta = choice.get("message")  # a non-streaming chat.completion
        if type(delta) is not dict:
            self._malformed += 1
            return []
        events = self._read_delta(delta)
        reason = choice.get("finish_reason")
        if reason:
            self._finish_reason = str(reason)
        return events

    # --- output -------------------------------------------------------------------------------

    def response(self, *, attempts: int = 1) -> ChatResponse:
        """The assembled response, with metrics measured up to now."""
        now = self._clock()
        total = now - self._start
        if self._usage is not None and self._usage.completion_tokens > 0:
            tokens, source = self._usage.completion_tokens, "usage"
        else:
            tokens, source = self._counted, "counted"
        tps: float | None = None
        if self._first_token is not None and tokens:
            # Generation speed: tokens over the time from the first token to the end.
            span = now - self._first_token
            tps = tokens / span if span > 0 else None
        metrics = StreamMetrics(
            time_to_first_byte=None if self._first_byte is None else self._first_byte - self._start,
            time_to_first_token=None if self._first_token is None else self._first_token - self._start,
            total_time=total,
            completion_tokens=tokens,
            token_source="usage" if source == "usage" else "counted",
            tokens_per_second=tps,
            server_timings=self._timings,
            malformed_chunks=self._malformed,
            attempts=attempts,
        )
        calls = tuple(b.call() for _, b in sorted(self._calls.items())) + tuple(
            b.call() for b in self._unplaceable
        )
        return ChatResponse(
            text="".join(self._text),
            reasoning="".join(self._reasoning),
            tool_calls=calls,
            finish_reason=self._finish_reason,
            usage=self._usage,
            timings=self._timings,
            model=self._model,
            metrics=metrics,
        )

    # --- internals ----------------------------------------------------------------------------

    @staticmethod
    def _loads(data: str) -> Any:
        # The C scanner directly: json.loads adds a regex and two calls per chunk, a fifth of
        # the client's time on a fast stream. Anything unusual falls back to json.loads.
        try:
            value, end = _scan_once(data, 0)
        except (StopIteration, ValueError):
            value, end = None, -1
        if end != len(data):
            try:
                return json.loads(data)
            except ValueError:
                return None
        return value

    def _read_delta(self, delta: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        # Some servers send both names for the same text; never show it twice.
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and type(reasoning) is str:
            self._reasoning.append(reasoning)
            events.append(ReasoningDelta(reasoning))
        content = delta.get("content")
        if content and type(content) is str:
            self._text.append(content)
            events.append(TextDelta(content))
        tool_calls = delta.get("tool_calls")
        if tool_calls:
            if type(tool_calls) is list:
                for position, fragment in enumerate(tool_calls):
                    event = self._read_tool_fragment(position, fragment)
                    if event is not None:
                        events.append(event)
            else:
                self._malformed += 1
        if events:
            self._counted += 1
            if self._first_token is None:
                self._first_token = self._clock()
        return events

    def _read_tool_fragment(self, position: int, fragment: Any) -> ToolCallDelta | None:
        if type(fragment) is not dict:
            self._malformed += 1
            return None
        call_id = fragment.get("id") if type(fragment.get("id")) is str else None
        index = fragment.get("index")
        if index is None:
            index = position  # non-streaming messages and some servers omit it
        elif type(index) is str and index.isdigit():
            index = int(index)
        elif type(index) is not int:
            self._malformed += 1
            number = len(self._unplaceable) + 1
            self._unplaceable.append(
                _ToolCallBuilder(
                    call_id or f"call_unreadable_{number}",
                    "",
                    f"its index was {json.dumps(index)[:40]}, not a number, so its parts could not be joined",
                )
            )
            return None
        function = fragment.get("function")
        if function is None:
            function = {}
        elif type(function) is not dict:
            self._malformed += 1
            builder = self._calls.get(index)
            problem = f"its function field was {json.dumps(function)[:40]}, not an object"
            if builder is None:
                self._calls[index] = _ToolCallBuilder(call_id or f"call_{index}", "", problem)
            else:
                builder.problem = problem
            return None
        name = function.get("name") if type(function.get("name")) is str else None
        arguments = function.get("arguments")
        if arguments is None:
            arguments = ""
        elif type(arguments) is not str:
            arguments = json.dumps(arguments)  # a server that sent an object, not a JSON string
        builder = self._calls.get(index)
        if builder is None:
            builder = self._calls[index] = _ToolCallBuilder(call_id or f"call_{index}", name or "")
            builder.arguments.append(arguments)
            return ToolCallDelta(index=index, id=builder.id, name=builder.name or None, arguments=arguments)
        if name and not builder.name:
            builder.name = name
        if call_id and builder.id == f"call_{index}":
            builder.id = call_id
        builder.arguments.append(arguments)
        return ToolCallDelta(index=index, id=call_id, name=name, arguments=arguments)

    def _read_usage(self, usage: Any) -> None:
        if type(usage) is not dict:
            return
        self._usage = Usage(
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
            total_tokens=_int(usage.get("total_tokens")),
        )

    def _read_timings(self, timings: Any) -> None:
        if type(timings) is not dict or not any(k in timings for k in _TIMING_FIELDS):
            return
        self._timings = Timings(
            prompt_n=_opt_int(timings.get("prompt_n")),
            prompt_ms=_opt_float(timings.get("prompt_ms")),
            prompt_per_second=_opt_float(timings.get("prompt_per_second")),
            predicted_n=_opt_int(timings.get("predicted_n")),
            predicted_ms=_opt_float(timings.get("predicted_ms")),
            predicted_per_second=_opt_float(timings.get("predicted_per_second")),
        )

    def _raise_stream_error(self, payload: Any) -> None:
        raise ModelStreamError(
            f"The model server reported an error mid-stream: {_error_message(payload)}. "
            "The partial answer is kept on the exception (.partial_text); retry the request, "
            "and if it keeps failing shorten the conversation or lower max_tokens.",
            partial_text=self.partial_text,
            payload=payload,
        )


def _error_message(payload: Any) -> str:
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or json.dumps(error)[:300]
        code = error.get("code") or error.get("type")
        return f"{message} ({code})" if code else str(message)
    return str(error)[:300]


def _int(value: Any) -> int:
    return value if type(value) is int else 0


def _opt_int(value: Any) -> int | None:
    return value if type(value) is int else None


def _opt_float(value: Any) -> float | None:
    if type(value) is float or type(value) is int:
        return float(value)
    return None
