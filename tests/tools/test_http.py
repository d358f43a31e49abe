"""Streamable HTTP: real loopback servers (uvicorn) and an injected network edge."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest

from stripe_nb_agent.errors import ToolAuthError, ToolConnectError
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools import ToolClient
from tests.tools.helpers import BearerGate, MethodCounter, free_port, loopback, shop_server

pytestmark = pytest.mark.anyio

KEY = "sk_test_51Habcdefghijklmnopqrstuva1b2"


class Served:
    def __init__(self, url: str, gate: BearerGate, counter: MethodCounter) -> None:
        self.url, self.gate, self.counter = url, gate, counter


@pytest.fixture
def served() -> Iterator[Served]:
    counter = MethodCounter()
    gate = BearerGate(shop_server(counter).streamable_http_app(), token=KEY)
    with loopback(gate) as base:
        yield Served(f"{base}/mcp", gate, counter)


class BreakAfterSending(httpx2.AsyncBaseTransport):
    """A real HTTP transport whose connection drops after the server got a chosen tools/call."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.break_tool: str | None = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body: dict[str, Any] = {}
        if request.method == "POST":
            body = json.loads(await request.aread())
        response = await self.inner.handle_async_request(request)
        params = body.get("params") or {}
        if body.get("method") == "tools/call" and params.get("name") == self.break_tool:
            self.break_tool = None
            await response.aclose()
            raise httpx2.ReadError("connection reset by peer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_key_and_account_headers_reach_the_server(served: Served) -> None:
    async with ToolClient.for_url(served.url, key=Secret(KEY), account="acct_123") as client:
        with anyio.fail_after(20):
            result = await client.call_tool("create_customer", {"name": "Jenny"})
    assert result.ok
    assert result.data == {"id": "cus_1", "name": "Jenny"}
    posts = [h for h in served.gate.headers_seen if h.get("content-type") == "application/json"]
    assert posts
    assert all(h["authorization"] == f"Bearer {KEY}" and h["stripe-account"] == "acct_123" for h in posts)
    assert served.counter.counts["initialize"] == 1


async def test_a_rejected_key_raises_tool_auth_error_with_the_key_redacted(served: Served) -> None:
    wrong = "sk_test_51Hwrongwrongwrongwrongwrong9z9z"
    async with ToolClient.for_url(served.url, key=Secret(wrong)) as client:
        with anyio.fail_after(20), pytest.raises(ToolAuthError) as caught:
            await client.list_tools()
    message = str(caught.value)
    assert "Stripe rejected the key sk_test_…9z9z" in message
    assert "test-mode secret key or a restricted key" in message
    assert "STRIPE_SECRET_KEY" in message
    assert wrong not in message


async def test_an_unreachable_host_raises_tool_connect_error_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/mcp"
    async with ToolClient.for_url(url, key=Secret(KEY)) as client:
        with anyio.fail_after(20), pytest.raises(ToolConnectError) as caught:
            await client.call_tool("list_customers", {})
    assert url in str(caught.value)
    assert "check the URL" in str(caught.value)


async def test_a_dropped_session_reconnects_once_transparently(served: Served) -> None:
    async with ToolClient.for_url(served.url, key=Secret(KEY)) as client:
        with anyio.fail_after(20):
            assert (await client.call_tool("create_customer", {"name": "a"})).ok
            served.gate.drop_sessions()
            # The server answers 404 for the old session id: it ran nothing, so even a write goes again.
            again = await client.call_tool("create_customer", {"name": "b"})
            listed = await client.call_tool("list_customers", {})
    assert again.ok
    assert again.data["id"] == "cus_2"
    assert [c["name"] for c in listed.data] == ["a", "b"]
    assert served.counter.counts["initialize"] == 2
    assert client.sessions_opened == 2


async def test_a_write_cut_off_after_sending_is_not_retried(served: Served) -> None:
    transport = BreakAfterSending()
    async with ToolClient.for_url(served.url, key=Secret(KEY), transport=transport) as client:
        with anyio.fail_after(20):
            await client.list_tools()
            transport.break_tool = "create_customer"
            cut = await client.call_tool("create_customer", {"name": "once"})
            listed = await client.call_tool("list_customers", {})
    assert (cut.ok, cut.error_kind, cut.sent) == (False, "outcome_unknown", True)
    assert "outcome is UNKNOWN" in (cut.error or "")
    assert "rejected" not in (cut.error or "")
    assert served.counter.counts["tools/call"] == 2  # the write once, then the list
    assert [c["name"] for c in listed.data] == ["once"]


async def test_a_read_cut_off_after_sending_is_retried_once(served: Served) -> None:
    transport = BreakAfterSending()
    async with ToolClient.for_url(served.url, key=Secret(KEY), transport=transport) as client:
        with anyio.fail_after(20):
            await client.list_tools()
            transport.break_tool = "list_customers"
            result = await client.call_tool("list_customers", {})
    assert result.ok
    assert result.data == []
    assert served.counter.counts["tools/call"] == 2


async def test_json_answers_through_an_injected_mock_transport() -> None:
    seen: list[str] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.method == "DELETE":
            return httpx2.Response(204)
        message = json.loads(request.content)
        seen.append(message["method"])
        if "id" not in message:
            return httpx2.Response(202)
        params = message.get("params") or {}
        results: dict[str, Any] = {
            "initialize": {
                "protocolVersion": params.get("protocolVersion"),
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "mock-stripe", "version": "1"},
            },
            "tools/list": {"tools": [{"name": "list_customers", "inputSchema": {"type": "object"}}]},
            "tools/call": {"content": [{"type": "text", "text": '[{"id": "cus_9"}]'}]},
        }
        body = {"jsonrpc": "2.0", "id": message["id"], "result": results[message["method"]]}
        return httpx2.Response(200, json=body, headers={"mcp-session-id": "s1"})

    client = ToolClient.for_url(
        "https://mcp.stripe.com", key=Secret(KEY), transport=httpx2.MockTransport(handle)
    )
    async with client:
        with anyio.fail_after(20):
            result = await client.call_tool("list_customers", {})
    assert result.ok
    assert result.data == [{"id": "cus_9"}]
    assert seen[:2] == ["initialize", "notifications/initialized"]  # mode="legacy": no server/discover probe
    assert client.label == "Stripe"
