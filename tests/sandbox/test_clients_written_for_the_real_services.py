"""A client written for DAT1 and mcp.stripe.com works against the sandbox with only its URLs changed.

It does exactly what the hackathon's backend did: one POST per call with only ``Authorization`` and
``Content-Type`` (the HTTP library adds ``Accept: */*``), bare JSON-RPC with no ``initialize``,
non-streamed chat on DAT1's collection names, and ``response.json()`` on every answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from stripe_nb_agent.sandbox.model.server import SANDBOX_HEADER, SandboxModelServer
from stripe_nb_agent.sandbox.stripe import SandboxMCPHTTPServer, StripeStore

TOKEN = "sk_test_sandbox_bare"


@pytest.fixture(scope="module")
def model() -> Iterator[SandboxModelServer]:
    with SandboxModelServer(pace=0) as running:
        yield running


def post(url: str, body: dict[str, Any]) -> Any:
    """The backend's whole HTTP layer: a POST with two headers, then .json()."""
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    response = httpx2.post(url, content=json.dumps(body).encode(), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def rpc(url: str, n: int, method: str, params: dict[str, Any] | None = None) -> Any:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": n, "method": method}
    if params is not None:
        body["params"] = params
    answer = post(url, body)
    assert answer["id"] == n
    return answer["result"]


@pytest.mark.parametrize("profile", ["classic", "generic"])
def test_bare_json_rpc_lists_and_calls_tools_without_a_session(profile: str) -> None:
    store = StripeStore()
    with SandboxMCPHTTPServer(profile=profile, store=store, token=TOKEN) as mcp_server:
        tools = rpc(mcp_server.url, 1, "tools/list")["tools"]
        names = {t["name"] for t in tools}
        name, arguments = (
            ("list_customers", {"limit": 2})
            if profile == "classic"
            else ("stripe_api_read", {"stripe_api_operation_id": "GetCustomers", "parameters": {"limit": 2}})
        )
        assert name in names
        result = rpc(mcp_server.url, 2, "tools/call", {"name": name, "arguments": arguments})
    assert result["isError"] is False
    listed = json.loads(result["content"][0]["text"])
    newest = store.list_customers(limit=1)["data"][0]["id"]
    assert newest in json.dumps(listed)


def test_a_bare_call_without_the_token_is_refused_like_mcp_stripe_com() -> None:
    with SandboxMCPHTTPServer(profile="classic", token=TOKEN) as mcp_server:
        response = httpx2.post(
            mcp_server.url,
            content=b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}',
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
    assert response.status_code == 401


@pytest.mark.parametrize("collection", ["gpt-120-oss", "gemma-3-12b"])
def test_dat1_collection_names_are_answered_by_the_labelled_stand_in(
    model: SandboxModelServer, collection: str
) -> None:
    before = int(time.time())
    body = {"messages": [{"role": "user", "content": "hello"}], "stream": False}
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    response = httpx2.post(
        f"{model.root_url}/collection/{collection}/invoke-chat",
        content=json.dumps(body).encode(),
        headers=headers,
        timeout=30,
    )
    reply = response.json()
    assert reply["model"].endswith(f"(stand-in for {collection})")
    assert "sandbox" in reply["system_fingerprint"]
    assert response.headers["X-Stripe-Nb-Agent-Sandbox"] == SANDBOX_HEADER["X-Stripe-Nb-Agent-Sandbox"]
    assert "not a language model" in reply["choices"][0]["message"]["content"]
    assert reply["created"] >= before


def test_the_openai_route_takes_a_dat1_model_name(model: SandboxModelServer) -> None:
    reply = post(
        f"{model.root_url}/collection/open-ai/chat/completions",
        {"model": "gpt-120-oss", "messages": [{"role": "user", "content": "what's my balance?"}]},
    )
    assert reply["model"] == "stripe-nb-agent-sandbox/sandbox (stand-in for gpt-120-oss)"
    assert "stand-in, not a language model" in reply["choices"][0]["message"]["reasoning_content"]


@pytest.mark.parametrize("profile", ["classic", "generic"])
def test_a_backend_written_for_dat1_and_stripe_answers_a_request_end_to_end(
    model: SandboxModelServer, profile: str
) -> None:
    with SandboxMCPHTTPServer(profile=profile, token=TOKEN) as mcp_server:
        listed = rpc(mcp_server.url, 1, "tools/list")["tools"]
        tools = [
            {
                "type": "function",
                "function": {
                    "name": t["name"],
                    "description": t["description"],
                    "parameters": t["inputSchema"],
                },
            }
            for t in listed
        ]
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": "show my balance and my last 3 customers"}
        ]
        calls = 0
        for _ in range(6):
            reply = post(
                f"{model.root_url}/collection/gpt-120-oss/invoke-chat",
                {"messages": messages, "tools": tools, "stream": False, "max_tokens": 5000},
            )
            message = reply["choices"][0]["message"]
            if not message.get("tool_calls"):
                break
            messages.append(message)
            for call in message["tool_calls"]:
                calls += 1
                params = {
                    "name": call["function"]["name"],
                    "arguments": json.loads(call["function"]["arguments"]),
                }
                result = rpc(mcp_server.url, 100 + calls, "tools/call", params)
                messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": result["content"][0]["text"]}
                )
        else:
            raise AssertionError("the stand-in never answered")
    assert calls >= 2
    assert "Your balance:" in message["content"]
    assert "3 customers:" in message["content"]


def converse(model: SandboxModelServer, mcp_url: str, texts: list[str]) -> list[tuple[str, list[str]]]:
    """Each request's answer and the tools it called, like the backend's loop, one turn after another."""
    listed = rpc(mcp_url, 1, "tools/list")["tools"]
    tools = [
        {"type": "function", "function": {"name": t["name"], "parameters": t["inputSchema"]}} for t in listed
    ]
    messages: list[dict[str, Any]] = []
    turns = []
    n = 10
    for text in texts:
        messages.append({"role": "user", "content": text})
        called: list[str] = []
        for _ in range(8):
            reply = post(
                f"{model.root_url}/collection/gpt-120-oss/invoke-chat",
                {"messages": messages, "tools": tools, "stream": False},
            )
            message = reply["choices"][0]["message"]
            messages.append(message)
            if not message.get("tool_calls"):
                break
            for call in message["tool_calls"]:
                n += 1
                arguments = json.loads(call["function"]["arguments"])
                called.append(arguments.get("stripe_api_operation_id", call["function"]["name"]))
                result = rpc(
                    mcp_url, n, "tools/call", {"name": call["function"]["name"], "arguments": arguments}
                )
                messages.append(
                    {"role": "tool", "tool_call_id": call["id"], "content": result["content"][0]["text"]}
                )
        turns.append((message["content"], called))
    return turns


WRITES = ("create_", "finalize_", "Post")


@pytest.mark.parametrize("profile", ["classic", "generic"])
def test_over_the_wire_an_ambiguous_customer_name_gets_a_question_not_a_stray_invoice(
    model: SandboxModelServer, profile: str
) -> None:
    with SandboxMCPHTTPServer(profile=profile, token=TOKEN) as mcp_server:
        *_, (answer, called) = converse(
            model,
            mcp_server.url,
            [
                "make a customer called Ada Lovelace with email ada@example.com",
                "list my last 5 payments",
                "draft an invoice for Ada Lovelace for the Premium Plan and finalize it",
            ],
        )
    assert not [c for c in called if c.startswith(WRITES)]
    assert "2 customers match 'Ada Lovelace'" in answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
def test_over_the_wire_a_refund_of_the_newest_payment_never_moves_to_another(
    model: SandboxModelServer, profile: str
) -> None:
    with SandboxMCPHTTPServer(profile=profile, token=TOKEN) as mcp_server:
        ((answer, called),) = converse(
            model, mcp_server.url, ["refund 10 dollars of the most recent payment"]
        )
    assert not [c for c in called if c.startswith(WRITES) or c == "create_refund"]
    assert "did not refund anything" in answer
