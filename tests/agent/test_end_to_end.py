"""The agent end to end, over the real protocols on loopback: the sandbox model server (DAT1 wire,
SSE) and the Stripe sandbox behind MCP Streamable HTTP with a bearer token."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import anyio
import pytest

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.agent.events import (
    AgentEvent,
    TextDelta,
    ToolCallAwaitingApproval,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
)
from stripe_nb_agent.agent.turn import Turn, TurnOptions
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import ToolAuthError
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.models import ModelRegistry
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.sandbox.model import SandboxModelServer
from stripe_nb_agent.sandbox.stripe import SandboxMCPHTTPServer, StripeStore
from stripe_nb_agent.tools.client import ToolClient
from tests.agent.scripted import ScriptedModel, answer, calls

pytestmark = pytest.mark.anyio

TOKEN = "sk_test_e2eSandboxToken0001"


@pytest.fixture(scope="module")
def model_server() -> Iterator[SandboxModelServer]:
    with SandboxModelServer(pace=0) as server:
        yield server


@pytest.fixture
def store() -> StripeStore:
    return StripeStore()


@pytest.fixture
def mcp_server(store: StripeStore) -> Iterator[SandboxMCPHTTPServer]:
    with SandboxMCPHTTPServer(profile="classic", store=store, token=TOKEN) as server:
        yield server


def registry_on(server: SandboxModelServer) -> ModelRegistry:
    """The default registry with its sandbox host pointed at this test's own model server."""
    registry = ModelRegistry()
    registry.add_host(replace(registry.host("sandbox"), root=server.root_url))
    return registry


@pytest.fixture
async def model(model_server: SandboxModelServer) -> AsyncIterator[ChatClient]:
    settings = resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})
    client = registry_on(model_server).client("sandbox", settings)
    async with client:
        yield client


@pytest.fixture
async def tools(mcp_server: SandboxMCPHTTPServer) -> AsyncIterator[ToolClient]:
    async with ToolClient.for_url(mcp_server.url, key=Secret(TOKEN), label="Stripe") as client:
        yield client


def turn(convo: Conversation, prompt: str, model: Any, tools: Any, **options: Any) -> Turn:
    return Turn(convo, prompt, model=model, tools=tools, options=TurnOptions(**options)).start()


async def drain(t: Turn, on: Any = None) -> list[AgentEvent]:
    events: list[AgentEvent] = []
    with anyio.fail_after(30):
        async for event in t:
            events.append(event)
            if on is not None:
                await on(event)
    return events


async def test_multi_step_chain_creates_product_price_and_link(model: ChatClient, tools: ToolClient,
                                                               store: StripeStore) -> None:  # fmt: skip
    convo = Conversation()
    t = turn(convo, "create a product Premium Plan at $20 a month and give me a payment link", model, tools)
    await drain(t)
    assert t.result is not None
    assert [c.name for c in t.result.tool_calls] == ["create_product", "create_price", "create_payment_link"]
    assert all(c.result is not None and c.result.ok for c in t.result.tool_calls)
    assert t.result.metrics.rounds == 4
    assert "https://buy.stripe.com/test_" in t.result.text
    # The store really holds what the agent created, over MCP, through the price it made.
    products = [p for p in store.list_products()["data"] if p["name"] == "Premium Plan"]
    assert len(products) == 1


async def test_history_carries_over_between_turns(model: ChatClient, tools: ToolClient) -> None:
    convo = Conversation()
    await drain(turn(convo, "list my last 2 customers", model, tools))
    second = turn(convo, "what is my balance?", model, tools)
    await drain(second)
    assert second.result is not None
    assert [c.name for c in second.result.tool_calls] == ["retrieve_balance"]
    assert sum(m["role"] == "user" for m in convo.messages) == 2


async def test_parallel_calls_overlap_on_the_server(
    model: ChatClient, tools: ToolClient, store: StripeStore
) -> None:
    store.delay = 0.2
    convo = Conversation()
    scripted = ScriptedModel(
        [calls(*[("retrieve_balance", {})] * 5), answer("Five balances.")],
    )
    t = turn(convo, "five balances at once", scripted, tools)
    await drain(t)
    assert t.result is not None
    assert len(t.result.tool_calls) == 5
    # Five 200 ms calls ran concurrently over one session: the round took far less than 1 s.
    assert t.result.metrics.tool_time_s < 0.8


async def test_confirm_policy_decline_then_approve(
    model: ChatClient, tools: ToolClient, store: StripeStore
) -> None:
    before = {c["id"] for c in store.list_customers(limit=100)["data"]}

    async def decline(event: AgentEvent) -> None:
        if isinstance(event, ToolCallAwaitingApproval):
            event.approval.decline()

    convo = Conversation()
    t = turn(convo, "create a customer named Grace Hopper", model, tools, policy="confirm")
    await drain(t, decline)
    assert {c["id"] for c in store.list_customers(limit=100)["data"]} == before
    assert t.result is not None
    assert "declined" in t.result.text.lower()

    async def approve(event: AgentEvent) -> None:
        if isinstance(event, ToolCallAwaitingApproval):
            event.approval.approve()

    t = turn(convo, "create a customer named Grace Hopper", model, tools, policy="confirm")
    await drain(t, approve)
    names = [c.get("name") for c in store.list_customers(limit=100)["data"]]
    assert "Grace Hopper" in names


async def test_read_only_hides_write_tools_and_the_model_says_so(model: ChatClient, tools: ToolClient,
                                                                 store: StripeStore) -> None:  # fmt: skip
    before = len(store.list_customers(limit=100)["data"])
    t = turn(Conversation(), "create a customer named Ada Lovelace", model, tools, policy="read-only")
    await drain(t)
    assert t.result is not None
    assert t.result.tool_calls == ()
    assert "read-only" in t.result.text
    assert len(store.list_customers(limit=100)["data"]) == before


async def test_bad_arguments_are_reported_to_the_model_not_sent(
    tools: ToolClient, store: StripeStore
) -> None:
    scripted = ScriptedModel([calls(("create_refund", {"amount": "lots"})), answer("The call was invalid.")])
    t = turn(Conversation(), "refund", scripted, tools)
    events = await drain(t)
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert not finished.result.ok
    assert finished.result.error_kind == "validation"
    assert not finished.result.sent
    assert "payment_intent" in (finished.result.error or "")
    assert "payment_intent" in scripted.seen[1][-1]["content"]


async def test_max_rounds_ends_the_turn_over_real_tools(tools: ToolClient) -> None:
    scripted = ScriptedModel([calls(("retrieve_balance", {}))])
    t = turn(Conversation(), "loop", scripted, tools, max_rounds=2)
    await drain(t)
    assert t.result is not None
    assert t.result.stop_reason == "max_rounds"
    assert len(t.result.tool_calls) == 2


async def test_cancel_mid_stream_with_a_paced_model(
    model_server: SandboxModelServer, tools: ToolClient
) -> None:
    settings = resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})
    model_server.pace = 0.05
    try:
        async with registry_on(model_server).client("sandbox", settings) as slow:
            t = turn(Conversation(), "hello, what can you do?", slow, None, use_tools=False)

            async def stop_on_text(event: AgentEvent) -> None:
                if isinstance(event, TextDelta):
                    t.cancel()

            await drain(t, stop_on_text)
    finally:
        model_server.pace = 0
    assert t.result is not None
    assert t.result.stop_reason == "cancelled"
    assert t.conversation.messages[-1]["content"].endswith("[stopped by the user]")


async def test_cancel_mid_tool_reports_the_sent_write(tools: ToolClient, store: StripeStore) -> None:
    store.delay = 2.0
    scripted = ScriptedModel([calls(("create_customer", {"name": "Slow Write"}))])
    t = turn(Conversation(), "create", scripted, tools)

    async def stop_when_running(event: AgentEvent) -> None:
        if isinstance(event, ToolCallStarted):
            await asyncio.sleep(0.3)
            t.cancel()

    await drain(t, stop_when_running)
    assert t.result is not None
    assert t.result.stop_reason == "cancelled"
    record = t.result.tool_calls[0].result
    assert record is not None
    assert record.sent
    assert "UNKNOWN" in (record.error or "")
    assert t.conversation.messages[-2]["role"] == "tool"
    store.delay = 0


async def test_a_wrong_bearer_token_is_a_clear_auth_error(
    model: ChatClient, mcp_server: SandboxMCPHTTPServer
) -> None:
    wrong = "sk_test_wrongWrongWrong9999"
    async with ToolClient.for_url(mcp_server.url, key=Secret(wrong), label="Stripe") as bad:
        t = turn(Conversation(), "list my customers", model, bad)
        events = await drain(t)
    assert isinstance(events[-1], TurnFinished)
    assert t.result is not None
    assert t.result.stop_reason == "error"
    assert wrong not in (t.result.error or "")
    assert "sk_test_…9999" in (t.result.error or "")
    with pytest.raises(ToolAuthError):
        async with ToolClient.for_url(mcp_server.url, key=Secret(wrong)) as again:
            await again.list_tools()


async def test_stdio_sandbox_server_in_a_subprocess(model: ChatClient) -> None:
    client = ToolClient.for_command(
        sys.executable, ["-m", "stripe_nb_agent.sandbox.stripe"], key=Secret(TOKEN), label="Stripe"
    )
    async with client:
        t = turn(Conversation(), "what is my balance?", model, client)
        await drain(t)
    assert t.result is not None
    assert [c.name for c in t.result.tool_calls] == ["retrieve_balance"]
    assert t.result.tool_calls[0].result is not None
    assert t.result.tool_calls[0].result.ok


async def test_the_clients_generous_max_tokens_default_reaches_the_wire(
    model_server: SandboxModelServer,
) -> None:
    import json

    import httpx2

    bodies: list[dict[str, Any]] = []
    forward = httpx2.AsyncHTTPTransport()

    class Recording(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            bodies.append(json.loads(request.content))
            return await forward.handle_async_request(request)

        async def aclose(self) -> None:
            # Finished streams return their connection to forward's pool: close it with the client.
            await forward.aclose()

    settings = resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})
    async with registry_on(model_server).client("sandbox", settings, transport=Recording()) as client:
        await drain(turn(Conversation(), "hello", client, None, use_tools=False))
        await drain(turn(Conversation(), "hello", client, None, use_tools=False, max_tokens=64))
    assert bodies[0]["max_tokens"] == 5000
    assert bodies[1]["max_tokens"] == 64


def test_running_turn_wait_times_out_and_resumes() -> None:
    from stripe_nb_agent.agent.agent import Agent
    from stripe_nb_agent.sandbox.model import get_sandbox_model_server

    settings = resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})
    agent = Agent(settings, model="sandbox")
    shared = get_sandbox_model_server()  # the server Agent uses in sandbox mode
    before, shared.pace = shared.pace, 0.05
    try:
        running = agent.start("hello, what can you do?", use_tools=False)
        with pytest.raises(TimeoutError, match="still running"):
            running.wait(timeout=0.1)
        result = running.wait(timeout=60)
    finally:
        shared.pace = before
        agent.close()
    assert result.stop_reason == "complete"
    assert "stand-in" in result.text


def test_a_sandbox_state_file_survives_a_kernel_restart(tmp_path: Any) -> None:
    from stripe_nb_agent.agent.agent import Agent

    db = tmp_path / "workshop.sqlite3"
    env = {"STRIPE_NB_AGENT_MODE": "sandbox", "STRIPE_NB_AGENT_SANDBOX_DB": str(db)}
    first = Agent(resolve_settings(environ=env))
    try:
        first.ask("create a customer named Ada Lovelace with email ada@example.com")
    finally:
        first.close()
    # A new Agent stands for the restarted kernel: same file, same state.
    second = Agent(resolve_settings(environ=env))
    try:
        emails = [c.get("email") for c in second.sandbox_store.list_customers(limit=100)["data"]]
    finally:
        second.close()
    assert "ada@example.com" in emails
