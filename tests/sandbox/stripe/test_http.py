"""The loopback Streamable HTTP server: bearer checks, Stripe-Account, dropped sessions, concurrency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import mcp
import pytest
from mcp.client.streamable_http import streamable_http_client

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.stripe import ENV_TOKEN, SandboxMCPHTTPServer, StripeStore, chosen_token
from tests.fresh_python import fresh_python
from tests.sandbox.mcp_wire import HEADERS, INIT

TOKEN = "sk_test_sandbox_http"


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxMCPHTTPServer]:
    with SandboxMCPHTTPServer(profile="classic", store=StripeStore(), token=TOKEN) as srv:
        yield srv


def _client(srv: SandboxMCPHTTPServer, **headers: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}", **headers}, timeout=10)


def test_url_is_loopback_mcp(server: SandboxMCPHTTPServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}/mcp"
    assert server.port > 0


@pytest.mark.parametrize("auth", [None, "Bearer sk_test_wrong", "Basic abc", f"Bearer {TOKEN}x"])
def test_missing_or_wrong_token_gets_401_with_resource_metadata(
    server: SandboxMCPHTTPServer, auth: str | None
) -> None:
    headers = dict(HEADERS)
    if auth:
        headers["Authorization"] = auth
    response = httpx2.post(server.url, json=INIT, headers=headers, timeout=10)
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer resource_metadata=")
    metadata = httpx2.get(challenge.split("=", 1)[1].strip('"'), timeout=10)
    assert metadata.json()["resource"] == server.url


def test_right_token_initializes(server: SandboxMCPHTTPServer) -> None:
    response = httpx2.post(
        server.url, json=INIT, headers={**HEADERS, "Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers.get("mcp-session-id")


def test_without_a_given_token_each_server_makes_a_random_one_and_the_old_public_default_is_refused() -> None:
    with SandboxMCPHTTPServer() as first, SandboxMCPHTTPServer() as second:
        assert first.token != second.token
        assert first.token.startswith("sk_test_sandbox")
        assert len(first.token) >= 40
        for token, status in [("sk_test_sandbox", 401), (second.token, 401), (first.token, 200)]:
            headers = {**HEADERS, "Authorization": f"Bearer {token}"}
            assert httpx2.post(first.url, json=INIT, headers=headers, timeout=10).status_code == status


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_a_non_loopback_host_without_a_chosen_token_is_refused(host: str) -> None:
    with pytest.raises(
        SandboxError, match=f"Refusing to serve the Stripe sandbox on {host} without a token you chose"
    ):
        SandboxMCPHTTPServer(host=host)
    assert SandboxMCPHTTPServer(host=host, token=TOKEN).token == TOKEN  # chosen: allowed (not started)


def test_a_chosen_token_comes_from_a_file_else_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text("sk_test_fromTheFile123\n")
    assert chosen_token(file, environ={ENV_TOKEN: "sk_test_fromTheEnv456"}) == "sk_test_fromTheFile123"
    assert chosen_token(None, environ={ENV_TOKEN: " sk_test_fromTheEnv456 "}) == "sk_test_fromTheEnv456"
    assert chosen_token(None, environ={}) is None
    file.write_text("two words\n")
    with pytest.raises(SandboxError, match="must hold one token on one line"):
        chosen_token(file, environ={})
    with pytest.raises(SandboxError, match=r"Cannot read the token file .*missing: No such file"):
        chosen_token(tmp_path / "missing", environ={})


@pytest.mark.anyio
async def test_tools_work_with_the_right_token_and_echo_stripe_account(server: SandboxMCPHTTPServer) -> None:
    with anyio.fail_after(20):
        async with (
            _client(server, **{"Stripe-Account": "acct_connected123"}) as http,
            mcp.Client(streamable_http_client(server.url, http_client=http)) as client,
        ):
            tools = await client.list_tools()
            assert len(tools.tools) == 25
            result = await client.call_tool("get_stripe_account_info", {})
    info = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert info["account_id"] == "acct_connected123"
    assert info["acting_as_connected_account"] is True


@pytest.mark.anyio
async def test_dropped_sessions_answer_404_until_the_client_reconnects(server: SandboxMCPHTTPServer) -> None:
    with anyio.fail_after(20):
        async with (
            _client(server) as http,
            mcp.Client(streamable_http_client(server.url, http_client=http), mode="legacy") as client,
        ):
            await client.call_tool("retrieve_balance", {})
            assert server.drop_sessions() >= 1
            with pytest.raises(Exception, match=r"Session not found|404|terminated"):
                await client.call_tool("retrieve_balance", {})
        async with (
            _client(server) as http,
            mcp.Client(streamable_http_client(server.url, http_client=http), mode="legacy") as again,
        ):
            result = await again.call_tool("retrieve_balance", {})
            assert not result.is_error


@pytest.mark.anyio
async def test_delayed_calls_overlap_on_one_session() -> None:
    store = StripeStore(delay=0.2)
    with SandboxMCPHTTPServer(store=store, token=TOKEN) as srv:
        with anyio.fail_after(30):
            async with (
                _client(srv) as http,
                mcp.Client(streamable_http_client(srv.url, http_client=http)) as client,
            ):
                started = anyio.current_time()
                async with anyio.create_task_group() as tg:
                    for _ in range(5):
                        tg.start_soon(client.call_tool, "retrieve_balance", {})
                elapsed = anyio.current_time() - started
    # Five 200 ms calls in sequence would take at least 1 s; overlapping ones cannot.
    assert elapsed < 1.0


def test_the_sandbox_package_imports_its_http_server_on_first_use() -> None:
    code = (
        "import sys, stripe_nb_agent.sandbox.stripe as s; m = 'stripe_nb_agent.sandbox.stripe.http_server'; "
        "before = m in sys.modules; s.SandboxMCPHTTPServer; print(before, m in sys.modules)"
    )
    assert fresh_python(code) == "False True"
