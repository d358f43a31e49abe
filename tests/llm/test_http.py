"""The one HTTP edge: chat, embeddings and deployments retry alike, fail alike and share a pool."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import httpx2
import pytest

from stripe_nb_agent._loop import BackgroundLoop
from stripe_nb_agent.errors import ModelAuthError, ModelConnectError, ModelHTTPError, ModelTimeoutError
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.custom import CustomDeployment, arerank
from stripe_nb_agent.llm.embeddings import Dat1Embedder, OpenAIEmbedder, aembed
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.http import JSON_ADVICE, Auth, Target, origin, post_json, shared_client
from stripe_nb_agent.llm.retry import RetryPolicy
from stripe_nb_agent.redaction import Secret
from tests.llm.loopback import serve
from tests.llm.streams import asgi_body, chunk, sse

pytestmark = pytest.mark.anyio

ROOT = "https://models.test/api/v1"
KEY = "http-edge-key-1234567890"
Handler = Callable[[httpx2.Request], httpx2.Response]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def policy(sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps, jitter=lambda: 0.5)


def chat_ok() -> httpx2.Response:
    body = sse(chunk({"content": "hi"}, finish="stop"))
    return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body)


async def call_chat(handler: Handler, sleeps: Sleeps) -> None:
    endpoint = Endpoint.dat1_collection(ROOT, "m", key=Secret(KEY))
    transport = httpx2.MockTransport(lambda r: chat_ok() if (a := handler(r)).status_code == 200 else a)
    async with ChatClient(endpoint, transport=transport, retry=policy(sleeps)) as client:
        await client.complete([{"role": "user", "content": "hi"}])


async def call_json(handler: Handler, sleeps: Sleeps) -> None:
    transport = httpx2.MockTransport(handler)
    deployment = CustomDeployment("reranker", root=ROOT, key=KEY, transport=transport, retry=policy(sleeps))
    await deployment.invoke({"pairs": [["q", "p"]]})


CALLERS = [pytest.param(call_chat, id="chat"), pytest.param(call_json, id="json")]


def script(*answers: httpx2.Response | Exception) -> tuple[Handler, list[httpx2.Request]]:
    queue = list(answers)
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


@pytest.mark.parametrize("call", CALLERS)
async def test_chat_and_json_calls_retry_on_one_schedule(call: Any) -> None:
    handler, seen = script(
        httpx2.Response(503, text="busy"),
        httpx2.Response(429, headers={"retry-after": "2"}),
        httpx2.Response(200, json={"scores": [0.5]}),
    )
    sleeps = Sleeps()
    await call(handler, sleeps)
    assert len(seen) == 3
    assert sleeps.delays == [0.375, 2.0]  # backoff with jitter 0.5, then the server's Retry-After


@pytest.mark.parametrize("call", CALLERS)
async def test_a_retry_after_beyond_the_maximum_is_raised_at_once_saying_how_long(call: Any) -> None:
    handler, seen = script(
        httpx2.Response(503, headers={"retry-after": "3600"}, json={"detail": "maintenance"})
    )
    sleeps = Sleeps()
    with pytest.raises(
        ModelHTTPError, match=r"asks to wait 3600 s before retrying: maintenance\. Wait"
    ) as caught:
        await call(handler, sleeps)
    assert caught.value.status_code == 503
    assert len(seen) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("call", CALLERS)
async def test_auth_failures_name_the_key_variable_and_never_show_the_key(call: Any) -> None:
    handler, seen = script(httpx2.Response(401, json={"error": {"message": "bad key"}}))
    with pytest.raises(ModelAuthError, match="HTTP 401: bad key") as caught:
        await call(handler, Sleeps())
    assert "DAT1_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert len(seen) == 1


@pytest.mark.parametrize("call", CALLERS)
@pytest.mark.parametrize(
    ("failure", "error", "phase"),
    [
        (httpx2.ConnectTimeout("slow"), ModelTimeoutError, "connect"),
        (httpx2.ReadTimeout("slow"), ModelTimeoutError, "read"),
        (httpx2.ConnectError("refused"), ModelConnectError, None),
    ],
)
async def test_transport_failures_map_to_one_error_each_after_every_attempt(
    call: Any, failure: Exception, error: type[Exception], phase: str | None
) -> None:
    handler, seen = script(failure)
    sleeps = Sleeps()
    with pytest.raises(error, match="3 attempts") as caught:
        await call(handler, sleeps)
    assert getattr(caught.value, "phase", None) == phase
    assert len(seen) == 3
    assert sleeps.delays == [0.375, 0.75]


async def test_post_json_sends_the_auth_header_its_target_says() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"ok": True})

    target = Target("embedder", f"{ROOT}/embeddings", Auth(Secret(KEY), "bearer", "MY_KEY"), JSON_ADVICE)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        assert await post_json(http, target, {"input": ["a"]}) == {"ok": True}
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert seen[0].headers["accept"] == "application/json"


def test_a_pool_is_per_origin() -> None:
    assert origin("https://api.dat1.co/api/v1/collection/x/invoke") == "https://api.dat1.co:443"
    assert origin("http://127.0.0.1:8000/v1/embeddings") == "http://127.0.0.1:8000"


async def test_off_the_package_loop_there_is_no_shared_client() -> None:
    assert shared_client(ROOT) is None


def test_a_plain_http_pool_loads_no_certificates_and_an_https_pool_verifies_with_them() -> None:
    async def pools() -> list[Any]:
        clients = [shared_client("http://127.0.0.1:8000/v1"), shared_client(ROOT)]
        return [client._transport._pool._ssl_context for client in clients if client is not None]  # type: ignore[attr-defined]

    loop = BackgroundLoop()
    try:
        plain, tls = loop.run(pools())
    finally:
        loop.shutdown()
    assert plain.cert_store_stats()["x509_ca"] == 0  # trusts nothing: never used, nothing to load
    assert plain.verify_mode == ssl.CERT_REQUIRED
    assert plain.check_hostname
    assert tls.cert_store_stats()["x509_ca"] > 0  # the system's CA certificates, as before


# --- one connection for chat, embeddings and the reranker, closed with the loop -------------------


class ModelServer:
    """A raw ASGI app answering chat, embeddings and the reranker; records each request's client port."""

    def __init__(self) -> None:
        self.ports: list[int] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.ports.append(scope["client"][1])
        body = json.loads(await asgi_body(receive))
        kind = b"application/json"
        if scope["path"].endswith("/chat/completions"):
            payload, kind = sse(chunk({"content": "hi"}, finish="stop")), b"text/event-stream"
        elif scope["path"].endswith("/embeddings"):
            payload = json.dumps(
                {"data": [{"index": i, "embedding": [1.0, 0.0]} for i in range(len(body["input"]))]}
            )
        else:
            payload = json.dumps({"scores": [0.5] * len(body["pairs"])})
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
        await send(
            {
                "type": "http.response.body",
                "body": payload if isinstance(payload, bytes) else payload.encode(),
            }
        )


async def test_chat_embeddings_and_reranker_share_one_connection_closed_with_the_loop() -> None:
    app = ModelServer()
    loop = BackgroundLoop()
    try:
        async with serve(app) as root:
            chat = ChatClient(Endpoint.openai(f"{root}/v1", "m"))
            embedder = OpenAIEmbedder(f"{root}/v1", "m", batch_size=1)

            async def work() -> httpx2.AsyncClient | None:
                await chat.complete([{"role": "user", "content": "hi"}])
                await aembed(["a", "b"], embedder)  # two batches, two requests
                await arerank("q", ["p"], deployment="reranker", root=f"{root}/v1", key=None)
                await chat.complete([{"role": "user", "content": "again"}])
                return shared_client(root)

            client = await anyio.to_thread.run_sync(loop.run, work())
            assert len(app.ports) == 5
            assert len(set(app.ports)) == 1  # one TCP connection served every call
            assert client is not None
            assert not client.is_closed
            await anyio.to_thread.run_sync(loop.shutdown)
            assert client.is_closed
    finally:
        loop.shutdown()


async def test_an_injected_client_or_transport_is_used_instead_of_the_shared_one() -> None:
    seen: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return httpx2.Response(200, json={"embeddings": [[1.0]]})

    loop = BackgroundLoop()
    try:
        embedder = Dat1Embedder(ROOT, key=KEY, transport=httpx2.MockTransport(handler))

        await anyio.to_thread.run_sync(loop.run, embedder.embed(["a"]))
        assert seen == [f"{ROOT}/collection/qwen3-embedding/invoke"]
    finally:
        loop.shutdown()
