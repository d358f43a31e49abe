"""The chat client over httpx2.MockTransport: wire shape per surface and every error path."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx2
import pytest

from stripe_nb_agent.errors import (
    ModelAuthError,
    ModelConnectError,
    ModelHTTPError,
    ModelStreamError,
    ModelTimeoutError,
    StreamInterruptedError,
    StripeNbAgentError,
)
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.retry import RetryPolicy, Timeouts
from stripe_nb_agent.llm.types import Completed, ReasoningDelta, StreamEvent, TextDelta, ToolCall
from stripe_nb_agent.redaction import Secret
from tests.llm.streams import TOOL_TURN, TOOL_TURN_ARGUMENTS, chunk, sse

pytestmark = pytest.mark.anyio

KEY = "dat1-test-key-7f3a9c2e51d04b8a"
ROOT = "https://api.dat1.test/api/v1"
MESSAGES: list[Any] = [{"role": "user", "content": "List my customers"}]
TEXT_BODY = sse(chunk({"content": "Hello"}), chunk({"content": " there"}), chunk({}, finish="stop"))
SSE_HEADERS = {"content-type": "text/event-stream"}


class NoSleep:
    """Records the delays the client asked for instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Parts(httpx2.AsyncByteStream):
    """A response body sent as given reads; then it either ends, hangs forever, or breaks."""

    def __init__(self, *parts: bytes, then: str = "end") -> None:
        self.parts = parts
        self.then = then

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part
        if self.then == "hang":
            await anyio.Event().wait()  # never set: only a timeout gets us out
        if self.then == "break":
            raise httpx2.ReadError("connection reset by peer")


def dat1_endpoint(**kw: Any) -> Endpoint:
    return Endpoint.dat1_collection(ROOT, "gpt-120-oss", key=Secret(KEY), label="dat1/gpt-120-oss", **kw)


def client_for(
    handler: Callable[[httpx2.Request], Any], *, endpoint: Endpoint | None = None, **kw: Any
) -> tuple[ChatClient, NoSleep]:
    sleep = NoSleep()
    retry = RetryPolicy(sleep=sleep, jitter=lambda: 0.5)
    client = ChatClient(
        endpoint or dat1_endpoint(), transport=httpx2.MockTransport(handler), retry=retry, **kw
    )
    return client, sleep


async def collect(client: ChatClient, **kw: Any) -> list[StreamEvent]:
    with anyio.fail_after(10):
        return [event async for event in client.stream(MESSAGES, **kw)]


def sse_response(body: bytes | httpx2.AsyncByteStream, status: int = 200) -> httpx2.Response:
    if isinstance(body, bytes):
        return httpx2.Response(status, headers=SSE_HEADERS, content=body)
    return httpx2.Response(status, headers=SSE_HEADERS, stream=body)


def assert_no_key(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), *map(str, exc.args), str(getattr(exc, "body", ""))]
    assert not any(KEY in t for t in texts), texts


# --- the wire, per surface ---------------------------------------------------------------------


async def test_dat1_collection_request_has_api_key_header_and_no_model_field() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return sse_response(TEXT_BODY)

    client, _ = client_for(handler)
    async with client:
        response = await client.complete(MESSAGES, tools=[{"type": "function"}], temperature=0.2)
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == f"{ROOT}/collection/gpt-120-oss/invoke-chat"
    assert request.headers["x-api-key"] == KEY
    assert "authorization" not in request.headers
    assert json.loads(request.content) == {
        "messages": MESSAGES,
        "tools": [{"type": "function"}],
        "temperature": 0.2,
        "max_tokens": 5000,
        "stream": True,
    }
    assert response.text == "Hello there"


async def test_openai_request_has_bearer_model_and_include_usage() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return sse_response(TEXT_BODY)

    endpoint = Endpoint.openai(f"{ROOT}/collection/open-ai", "gpt-120-oss", key=Secret(KEY))
    client, _ = client_for(handler, endpoint=endpoint)
    async with client:
        await client.complete(MESSAGES, tool_choice="auto", extra_body={"reasoning_effort": "low"})
    (request,) = seen
    assert str(request.url) == f"{ROOT}/collection/open-ai/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "x-api-key" not in request.headers
    body = json.loads(request.content)
    assert body["model"] == "gpt-120-oss"
    assert body["stream_options"] == {"include_usage": True}
    assert body["reasoning_effort"] == "low"
    assert "tool_choice" not in body  # no tools, so no tool_choice: servers reject the pair


async def test_openai_without_key_sends_no_auth_and_can_skip_include_usage() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return sse_response(TEXT_BODY)

    endpoint = Endpoint.openai("http://127.0.0.1:11434/v1/", "llama3", include_usage=False)
    client, _ = client_for(handler, endpoint=endpoint)
    async with client:
        await client.complete(MESSAGES, max_tokens=None)
    (request,) = seen
    assert str(request.url) == "http://127.0.0.1:11434/v1/chat/completions"
    assert "authorization" not in request.headers
    body = json.loads(request.content)
    assert "stream_options" not in body
    assert "max_tokens" not in body


async def test_dat1_custom_deployment_streams_events_with_event_lines() -> None:
    seen: list[httpx2.Request] = []
    body = b"".join(b"event: message\n" + part + b"\n\n" for part in TEXT_BODY.split(b"\n\n") if part)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return sse_response(body)

    endpoint = Endpoint.dat1_custom(ROOT, "my-llama", key=Secret(KEY))
    client, _ = client_for(handler, endpoint=endpoint)
    async with client:
        response = await client.complete(MESSAGES)
    assert str(seen[0].url) == f"{ROOT}/inference/my-llama/invoke-stream"
    assert seen[0].headers["x-api-key"] == KEY
    assert "model" not in json.loads(seen[0].content)
    assert response.text == "Hello there"


async def test_stream_yields_deltas_then_completed_with_tool_calls() -> None:
    client, _ = client_for(lambda request: sse_response(sse(*TOOL_TURN)))
    async with client:
        events = await collect(client)
    assert isinstance(events[0], ReasoningDelta)
    assert isinstance(events[-1], Completed)
    response = events[-1].response
    assert response.tool_calls == (ToolCall("call_abc", "list_customers", TOOL_TURN_ARGUMENTS),)
    assert response.metrics.attempts == 1
    assert response.metrics.time_to_first_byte is not None


async def test_server_ignoring_stream_true_answers_json_and_still_streams_events() -> None:
    completion = {
        "object": "chat.completion",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Hi!"}}
        ],
    }
    client, _ = client_for(lambda request: httpx2.Response(200, json=completion))
    async with client:
        events = await collect(client)
    assert events[0] == TextDelta("Hi!")
    assert isinstance(events[-1], Completed)
    assert events[-1].response.finish_reason == "stop"


# --- auth and HTTP errors ----------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_key_raises_auth_error_naming_the_variable_with_a_hint(status: int) -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(status, json={"error": {"message": f"invalid api key {KEY}"}})

    client, _ = client_for(handler)
    async with client:
        with pytest.raises(ModelAuthError) as info:
            await collect(client)
    message = str(info.value)
    assert "DAT1_API_KEY" in message
    assert f"…{KEY[-4:]}" in message
    assert "sandbox" in message
    assert f"HTTP {status}" in message
    assert calls == 1  # a bad key is never retried
    assert_no_key(info.value)


async def test_other_4xx_raises_http_error_with_the_servers_message_redacted() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(400, json={"error": {"message": f"max_tokens too large (key {KEY})"}})

    client, sleep = client_for(handler)
    async with client:
        with pytest.raises(ModelHTTPError, match="max_tokens too large") as info:
            await collect(client)
    assert info.value.status_code == 400
    assert sleep.delays == []
    assert_no_key(info.value)


async def test_429_with_retry_after_seconds_then_success_waits_as_told() -> None:
    answers = [httpx2.Response(429, headers={"retry-after": "7"}), sse_response(TEXT_BODY)]
    client, sleep = client_for(lambda request: answers.pop(0))
    async with client:
        response = await client.complete(MESSAGES)
    assert response.text == "Hello there"
    assert sleep.delays == [7.0]
    assert response.metrics.attempts == 2


async def test_429_with_retry_after_http_date_is_honoured() -> None:
    answers = [
        httpx2.Response(429, headers={"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # in the past
        sse_response(TEXT_BODY),
    ]
    client, sleep = client_for(lambda request: answers.pop(0))
    async with client:
        await client.complete(MESSAGES)
    assert sleep.delays == [0.0]


async def test_retry_after_longer_than_the_cap_is_raised_not_waited() -> None:
    client, sleep = client_for(lambda request: httpx2.Response(429, headers={"retry-after": "3600"}))
    async with client:
        with pytest.raises(ModelHTTPError, match="3600 s") as info:
            await collect(client)
    assert info.value.status_code == 429
    assert sleep.delays == []


async def test_500_then_success_retries_with_backoff() -> None:
    answers = [httpx2.Response(500, text="boom"), sse_response(TEXT_BODY)]
    client, sleep = client_for(lambda request: answers.pop(0))
    async with client:
        response = await client.complete(MESSAGES)
    assert response.text == "Hello there"
    assert sleep.delays == [0.375]  # half the 0.5 s ceiling plus half of it times jitter 0.5


async def test_three_500s_raise_after_three_attempts_with_growing_backoff() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return httpx2.Response(503, json={"detail": "overloaded"})

    client, sleep = client_for(handler)
    async with client:
        with pytest.raises(ModelHTTPError, match="overloaded") as info:
            await collect(client)
    assert calls == 3
    assert info.value.status_code == 503
    assert "after 3 attempts" in str(info.value)
    assert sleep.delays == [0.375, 0.75]


async def test_connection_error_then_success_retries() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx2.ConnectError("connection refused")
        return sse_response(TEXT_BODY)

    client, sleep = client_for(handler)
    async with client:
        response = await client.complete(MESSAGES)
    assert response.text == "Hello there"
    assert calls == 2
    assert len(sleep.delays) == 1


async def test_connection_errors_every_time_raise_connect_error() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused")

    client, sleep = client_for(handler)
    async with client:
        with pytest.raises(ModelConnectError, match="after 3 attempts"):
            await collect(client)
    assert len(sleep.delays) == 2


async def test_connect_timeouts_raise_timeout_with_connect_phase() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectTimeout("timed out")

    client, _ = client_for(handler)
    async with client:
        with pytest.raises(ModelTimeoutError) as info:
            await collect(client)
    assert info.value.phase == "connect"


# --- broken streams ----------------------------------------------------------------------------


async def test_stream_cut_mid_way_raises_with_partial_text_and_is_not_retried() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return sse_response(
            Parts(
                sse(chunk({"reasoning_content": "hmm"}), chunk({"content": "Half"}), done=False), then="break"
            )
        )

    client, sleep = client_for(handler)
    received: list[StreamEvent] = []

    async def consume() -> None:
        with anyio.fail_after(10):
            async for event in client.stream(MESSAGES):
                received.append(event)

    async with client:
        with pytest.raises(StreamInterruptedError) as info:
            await consume()
    assert info.value.partial_text == "Half"
    assert info.value.partial_reasoning == "hmm"
    assert received == [ReasoningDelta("hmm"), TextDelta("Half")]
    assert calls == 1
    assert sleep.delays == []


async def test_stream_ending_without_done_or_finish_reason_is_interrupted() -> None:
    client, _ = client_for(lambda request: sse_response(sse(chunk({"content": "Half"}), done=False)))
    async with client:
        with pytest.raises(StreamInterruptedError, match="cut off") as info:
            await collect(client)
    assert info.value.partial_text == "Half"


async def test_stream_with_finish_reason_but_no_done_is_complete() -> None:
    client, _ = client_for(
        lambda request: sse_response(sse(chunk({"content": "ok"}, finish="stop"), done=False))
    )
    async with client:
        response = await client.complete(MESSAGES)
    assert response.text == "ok"


async def test_malformed_chunk_is_counted_not_fatal() -> None:
    body = sse(chunk({"content": "a"}), "{not json", chunk({"content": "b"}, finish="stop"))
    client, _ = client_for(lambda request: sse_response(body))
    async with client:
        response = await client.complete(MESSAGES)
    assert response.text == "ab"
    assert response.metrics.malformed_chunks == 1


async def test_in_stream_error_raises_model_stream_error_with_partial_text() -> None:
    body = sse(chunk({"content": "Par"}), {"error": {"message": "out of memory", "type": "server_error"}})
    client, _ = client_for(lambda request: sse_response(body))
    async with client:
        with pytest.raises(ModelStreamError, match="out of memory") as info:
            await collect(client)
    assert info.value.partial_text == "Par"


# --- timeouts ----------------------------------------------------------------------------------


async def test_first_token_timeout_fires_when_no_token_arrives() -> None:
    # The role chunk is a byte but not a token: the first-token clock keeps running.
    body = Parts(sse(chunk({"role": "assistant", "content": None}), done=False), then="hang")
    client, _ = client_for(lambda request: sse_response(body), timeouts=Timeouts(first_token=0.05, idle=30))
    async with client:
        with pytest.raises(ModelTimeoutError, match="first-token") as info:
            await collect(client)
    assert info.value.phase == "first_token"


async def test_first_token_timeout_covers_waiting_for_headers() -> None:
    async def handler(request: httpx2.Request) -> httpx2.Response:
        await anyio.Event().wait()
        raise AssertionError("unreachable")

    client, sleep = client_for(handler, timeouts=Timeouts(first_token=0.05))
    async with client:
        with pytest.raises(ModelTimeoutError) as info:
            await collect(client)
    assert info.value.phase == "first_token"
    assert sleep.delays == []


async def test_idle_timeout_fires_mid_answer_and_keeps_partial_text() -> None:
    body = Parts(sse(chunk({"content": "Hel"}), done=False), then="hang")
    client, _ = client_for(lambda request: sse_response(body), timeouts=Timeouts(first_token=30, idle=0.05))
    async with client:
        with pytest.raises(ModelTimeoutError, match="idle") as info:
            await collect(client)
    assert info.value.phase == "idle"
    assert info.value.partial_text == "Hel"


# --- keys never leak ---------------------------------------------------------------------------


async def test_key_never_appears_in_any_error() -> None:
    bodies: list[Callable[[httpx2.Request], httpx2.Response]] = [
        lambda r: httpx2.Response(401, text=f"bad key {KEY}"),
        lambda r: httpx2.Response(422, text=f"X-API-Key: {KEY} is malformed"),
        lambda r: httpx2.Response(500, text=f"echo {KEY}"),
        lambda r: sse_response(sse({"error": {"message": f"key {KEY} over quota"}})),
    ]
    for handler in bodies:
        client, _ = client_for(handler)
        async with client:
            with pytest.raises(StripeNbAgentError) as info:
                await collect(client)
        assert_no_key(info.value)
    assert KEY not in repr(dat1_endpoint())


async def test_shared_http_client_is_not_closed_by_the_chat_client() -> None:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda request: sse_response(TEXT_BODY)))
    async with http:
        async with ChatClient(dat1_endpoint(), http=http) as client:
            await client.complete(MESSAGES)
        assert not http.is_closed
        async with ChatClient(dat1_endpoint(), http=http) as client:
            assert (await client.complete(MESSAGES)).text == "Hello there"
