"""The streaming chat client: one class for DAT1's collection API, DAT1 custom deployments and
any OpenAI-compatible server (llama-server, Ollama, vLLM, OpenAI).

Bytes go through :class:`~.sse.SSEDecoder` and :class:`~.stream.StreamAssembler`; the request is
opened by :func:`~.http.send_with_retry` (retries before the first byte, the error tree), and this
module adds the first-token and idle timeouts of the stream itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, NoReturn, Self

import anyio
import httpx2

from stripe_nb_agent.errors import ModelHTTPError, ModelTimeoutError, StreamInterruptedError
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.errors_http import HTTPAdvice
from stripe_nb_agent.llm.http import Target, send_with_retry, shared_client
from stripe_nb_agent.llm.retry import RetryPolicy, Timeouts
from stripe_nb_agent.llm.sse import SSEDecoder
from stripe_nb_agent.llm.stream import Clock, StreamAssembler
from stripe_nb_agent.llm.types import ChatResponse, Completed, Message, StreamEvent

__all__ = ["DEFAULT_MAX_TOKENS", "ChatClient"]

# gpt-oss spends part of max_tokens on reasoning; a small budget ends turns mid-thought.
DEFAULT_MAX_TOKENS = 5000
# Seconds a finished stream may take to end its body before its connection is dropped instead.
_DRAIN_LIMIT = 1.0
_ADVICE = HTTPAdvice(
    not_found="Check the endpoint URL ({url}) and the model or collection name.",
    refused="The request was refused: check the messages, tools and parameters you sent.",
    server_failed="The server failed: try again later, or pick another model.",
    no_key_env="No key was sent: register the model with key_env='NAME_OF_YOUR_KEY_VARIABLE'.",
    offline="The 'sandbox' model runs offline without any key.",
)


class ChatClient:
    """Streams chat completions from one :class:`Endpoint`.

    >>> async with ChatClient(Endpoint.openai("http://127.0.0.1:8080/v1", "local")) as client:
    ...     async for event in client.stream([{"role": "user", "content": "Hi"}]):
    ...         ...

    Without ``http`` the client shares the package loop's connection pool for the endpoint's origin
    (see :mod:`.http`). Pass ``http`` to share a client of your own (it is not closed by
    :meth:`aclose`), or ``transport`` for an ``httpx2.MockTransport``/``ASGITransport``.
    ``clock`` feeds the metrics only.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 (frozen value)
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
        clock: Clock = time.monotonic,
    ) -> None:
        if http is not None and transport is not None:
            raise TypeError("Pass either http= or transport=, not both.")
        self.endpoint = endpoint
        self.timeouts = timeouts
        self.retry = retry
        self._clock = clock
        # No read timeout at the httpx level: first-token and idle limits are enforced per read
        # below, where a timeout can say which phase it hit.
        self._httpx_timeout = httpx2.Timeout(
            connect=timeouts.connect, read=None, write=timeouts.connect, pool=timeouts.connect
        )
        self._target = Target(
            endpoint.name, endpoint.url, endpoint.auth, _ADVICE, longer_timeout="raise Timeouts({phase}=...)"
        )
        # Without http= the client is made on first use: the package loop's shared one for this
        # origin when running there, else (or with transport=) one of our own, closed by aclose().
        self._transport = transport
        self._given = http is not None
        self._owns_http = False
        self._http = http

    def __repr__(self) -> str:
        return f"ChatClient({self.endpoint.surface}: {self.endpoint.url})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http and self._http is not None:
            await self._http.aclose()

    async def complete(
        self,
        messages: Sequence[Message] | Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
        extra_body: Mapping[str, Any] | None = None,
    ) -> ChatResponse:
        """Stream to the end and return the assembled response."""
        events = self.stream(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        async for event in events:
            if isinstance(event, Completed):
                return event.response
        raise AssertionError("unreachable: stream() always ends with Completed or raises")

    async def stream(
        self,
        messages: Sequence[Message] | Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None = None,
        tool_choice: str | Mapping[str, Any] | None = None,
        temperature: float | None = None,
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
        extra_body: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Yield ``TextDelta``/``ReasoningDelta``/``ToolCallDelta`` as they arrive, then ``Completed``.

        Raises a :class:`~stripe_nb_agent.errors.ModelError` subclass; errors after the first
        token carry the partial text. Close the iterator (``aclose()``) if you stop early.
        """
        body = self.endpoint.body(
            messages,
            tools=tools,
            tool_choice=tool_choice,
            temperature=temperature,
            max_tokens=max_tokens,
            extra_body=extra_body,
        )
        assembler = StreamAssembler(clock=self._clock)
        response, attempts = await self._open(body)
        try:
            if _is_json(response):
                # A server that ignored stream=true: the whole answer at once, as the same events.
                for event in await self._read_json(response, assembler):
                    yield event
            else:
                # The SSE read loop lives inline: a nested async generator would add a hop per token.
                decoder = SSEDecoder()
                reads = response.aiter_bytes()
                first_token_deadline = anyio.current_time() + self.timeouts.first_token
                idle = self.timeouts.idle
                feed_sse = assembler.feed_sse
                while not assembler.done:
                    if assembler.has_tokens:
                        phase, limit = "idle", idle
                    else:
                        phase, limit = "first_token", first_token_deadline - anyio.current_time()
                    try:
                        # asyncio's own timeout, not anyio.fail_after: this runs once per network
                        # read, and anyio's cancel scope costs ~15 us a read, a tenth of a fast
                        # stream's time (bench_stream: 1.07-1.27x plain httpx2 with it, 1.03-1.05x
                        # without). The package runs its async work on an asyncio loop.
                        async with asyncio.timeout(limit):
                            data = await reads.__anext__()
                    except StopAsyncIteration:
                        for sse in decoder.flush():
                            for event in feed_sse(sse):
                                yield event
                        break
                    except TimeoutError:
                        self._timed_out(phase, assembler)
                    except httpx2.HTTPError as exc:
                        self._interrupted(assembler, f"the connection broke ({type(exc).__name__})", exc)
                    assembler.byte_received()
                    for sse in decoder.feed(data):
                        for event in feed_sse(sse):
                            yield event
                else:  # ended on [DONE], not at the body's end
                    await _drain(reads)
            if not assembler.complete:
                self._interrupted(assembler, "the server closed the stream before saying it was done")
            yield Completed(assembler.response(attempts=attempts))
        finally:
            await response.aclose()

    # --- reading --------------------------------------------------------------------------------

    async def _read_json(self, response: httpx2.Response, assembler: StreamAssembler) -> list[StreamEvent]:
        try:
            with anyio.fail_after(self.timeouts.first_token):
                raw = await response.aread()
        except TimeoutError:
            self._timed_out("first_token", assembler)
        except httpx2.HTTPError as exc:
            self._interrupted(assembler, f"the connection broke ({type(exc).__name__})", exc)
        assembler.byte_received()
        try:
            payload = json.loads(raw)
        except ValueError:
            raise ModelHTTPError(
                f"{self.endpoint.name} answered HTTP {response.status_code} with a JSON content type "
                "but a body that is not JSON. Check that the endpoint URL points at a chat API "
                f"({self.endpoint.url}).",
                status_code=response.status_code,
                body=raw[:2000].decode("utf-8", "replace"),
            ) from None
        events = assembler.feed_chunk(payload)
        assembler.done = True  # a whole chat.completion is complete by definition
        return events

    # --- opening, with retries ------------------------------------------------------------------

    async def _open(self, body: dict[str, Any]) -> tuple[httpx2.Response, int]:
        http = self._client()
        request = http.build_request(
            "POST", self.endpoint.url, json=body, headers=self.endpoint.headers(), timeout=self._httpx_timeout
        )
        return await send_with_retry(
            http,
            request,
            self._target,
            retry=self.retry,
            stream=True,
            answer_within=self.timeouts.first_token,
        )

    def _client(self) -> httpx2.AsyncClient:
        if self._http is not None and (self._owns_http or self._given or not self._http.is_closed):
            return self._http
        if self._transport is None and (shared := shared_client(self.endpoint.url)) is not None:
            # Not ours to close; fetched again should its loop have closed it.
            self._http = shared
            return shared
        self._owns_http = True
        self._http = httpx2.AsyncClient(transport=self._transport)
        return self._http

    # --- error messages -------------------------------------------------------------------------

    def _timed_out(self, phase: str, assembler: StreamAssembler) -> NoReturn:
        if phase == "idle":
            message = (
                f"{self.endpoint.name} stopped sending for {self.timeouts.idle:g} s mid-answer "
                "(idle timeout). The partial answer is on the exception (.partial_text); try again, "
                "or raise Timeouts(idle=...)."
            )
        else:
            message = (
                f"{self.endpoint.name} sent no token within {self.timeouts.first_token:g} s "
                "(first-token timeout). The model may be cold-starting or overloaded: try again, or "
                "raise Timeouts(first_token=...)."
            )
        raise ModelTimeoutError(message, phase=phase, partial_text=assembler.partial_text) from None

    def _interrupted(
        self, assembler: StreamAssembler, why: str, cause: BaseException | None = None
    ) -> NoReturn:
        error = StreamInterruptedError(
            f"The answer from {self.endpoint.name} was cut off: {why}. What arrived is on the "
            "exception (.partial_text); run the request again for a complete answer.",
            partial_text=assembler.partial_text,
            partial_reasoning=assembler.partial_reasoning,
        )
        raise error from cause


async def _drain(reads: AsyncIterator[bytes]) -> None:
    """Read what follows ``[DONE]`` (usually only the body's end): an unfinished body is closed
    with its connection, a finished one goes back to the pool for the next request."""
    with anyio.move_on_after(_DRAIN_LIMIT), contextlib.suppress(httpx2.HTTPError):
        async for _ in reads:
            pass


def _is_json(response: httpx2.Response) -> bool:
    content_type = response.headers.get("content-type", "")
    return "json" in content_type and "ndjson" not in content_type
