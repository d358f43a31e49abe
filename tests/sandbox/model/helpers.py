"""Tool sets of both Stripe profiles, and a loop that feeds realistic tool results back."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stripe_nb_agent.sandbox.model.planner import Plan, plan_reply

REFERENCE = Path("/work/shared/reference/stripe-mcp-tools.json")
_EXTRA_CLASSIC = {
    "get_stripe_account_info": {"type": "object", "properties": {}},
    "search_stripe_resources": {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    },
    "fetch_stripe_resources": {
        "type": "object",
        "properties": {"id": {"type": "string"}},
        "required": ["id"],
    },
}
_GENERIC = {
    "stripe_api_search": {"type": "object", "properties": {"intent": {"type": "string"}}},
    "stripe_api_details": {"type": "object", "properties": {"stripe_api_operation_id": {"type": "string"}}},
    "stripe_api_read": {
        "type": "object",
        "properties": {"stripe_api_operation_id": {"type": "string"}, "parameters": {"type": "object"}},
    },
    "stripe_api_write": {
        "type": "object",
        "properties": {
            "stripe_api_operation_id": {"type": "string"},
            "parameters": {"type": "object"},
            "human_confirmation": {"type": "boolean"},
        },
    },
    "search_stripe_documentation": {"type": "object", "properties": {"question": {"type": "string"}}},
    "get_stripe_account_info": {"type": "object", "properties": {}},
}

Responder = Callable[[str, dict[str, Any]], Any]


def _tool(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": name, "parameters": schema}}


def classic_tools(*, read_only: bool = False) -> list[dict[str, Any]]:
    tools = json.loads(REFERENCE.read_text())["tools"]
    out = [
        _tool(t["name"], t["inputSchema"])
        for t in tools
        if not read_only or t["annotations"].get("readOnlyHint")
    ]
    return out + [_tool(n, s) for n, s in _EXTRA_CLASSIC.items()]


def generic_tools(*, read_only: bool = False) -> list[dict[str, Any]]:
    return [_tool(n, s) for n, s in _GENERIC.items() if not (read_only and n == "stripe_api_write")]


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def run(
    text: str,
    tools: list[dict[str, Any]],
    respond: Responder,
    *,
    history: list[dict[str, Any]] | None = None,
    persona: str = "sandbox",
    max_rounds: int = 8,
) -> tuple[Plan, list[list[tuple[str, dict[str, Any]]]], list[dict[str, Any]]]:
    """Drive the planner like an agent: rounds of calls answered by ``respond``, until an answer."""
    messages = [*(history or []), user(text)]
    rounds: list[list[tuple[str, dict[str, Any]]]] = []
    for n in range(20):
        plan = plan_reply(messages, tools, persona=persona, max_rounds=max_rounds)  # type: ignore[arg-type]
        if not plan.tool_calls:
            messages.append({"role": "assistant", "content": plan.content})
            return plan, rounds, messages
        calls = [(c.name, dict(c.arguments)) for c in plan.tool_calls]
        rounds.append(calls)
        ids = [f"call_{n}_{i}" for i in range(len(calls))]
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": i, "type": "function", "function": {"name": c.name, "arguments": c.arguments_json}}
                    for i, c in zip(ids, plan.tool_calls, strict=True)
                ],
            }
        )
        for call_id, (name, args) in zip(ids, calls, strict=True):
            result = respond(name, args)
            content = result if isinstance(result, str) else json.dumps(result)
            messages.append({"role": "tool", "tool_call_id": call_id, "content": content})
    raise AssertionError("the planner never answered")
