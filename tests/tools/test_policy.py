"""Policies decide what the model is offered and which calls wait for a human."""

from __future__ import annotations

import pytest

from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.policy import (
    ToolMenu,
    call_kind,
    check_policy,
    default_policy,
    needs_approval,
    offered_tools,
    policy_refusal,
    verdict,
)
from stripe_nb_agent.tools.types import ToolResult, ToolSpec

READ = ToolSpec("list_customers", "List.", {"type": "object"}, "read")
WRITE = ToolSpec("create_refund", "Refund.", {"type": "object"}, "write")
DOTTED = ToolSpec("billing.create-refund", "Refund.", {"type": "object"}, "write")


@pytest.mark.parametrize(
    ("policy", "read", "write"),
    [("auto", "run", "run"), ("confirm", "run", "approve"), ("read-only", "run", "refuse")],
)
def test_one_verdict_per_policy_and_kind(policy: str, read: str, write: str) -> None:
    assert verdict(READ, policy) == read  # type: ignore[arg-type]
    assert verdict(WRITE, policy) == write  # type: ignore[arg-type]


@pytest.mark.parametrize("policy", ["auto", "confirm", "read-only"])
def test_a_menu_dispatches_only_names_it_offered(policy: str) -> None:
    menu = ToolMenu.build([READ, WRITE, DOTTED], policy)  # type: ignore[arg-type]
    offered = [t["function"]["name"] for t in menu.tools]
    assert offered == list(menu.names)
    assert menu.dispatch("list_customers") is READ
    # The MCP spelling of a sanitised name was never offered: refused, whatever the policy.
    refused = menu.dispatch("billing.create-refund")
    assert isinstance(refused, ToolResult)
    assert (refused.error_kind, refused.sent) == ("unknown_tool", False)
    invented = menu.dispatch("refund_all")
    assert isinstance(invented, ToolResult)
    assert invented.error_kind == "unknown_tool"
    if policy == "read-only":
        assert offered == ["list_customers"]
        for hidden in ("create_refund", "billing_create-refund"):
            refusal = menu.dispatch(hidden)
            assert isinstance(refusal, ToolResult)
            assert (refusal.error_kind, refusal.sent) == ("policy", False)
    else:
        assert offered == ["list_customers", "create_refund", "billing_create-refund"]
        assert menu.dispatch("billing_create-refund") is DOTTED
        assert menu.verdict(DOTTED) == ("approve" if policy == "confirm" else "run")


def test_sanitised_names_do_not_depend_on_what_the_policy_hides() -> None:
    a = ToolSpec("a.b", "", {}, "write")
    b = ToolSpec("a/b", "", {}, "read")
    auto = ToolMenu.build([a, b], "auto")
    read_only = ToolMenu.build([a, b], "read-only")
    assert auto.dispatch("a_b_2") is b
    assert read_only.dispatch("a_b_2") is b


def test_confirm_needs_approval_for_writes_only() -> None:
    assert needs_approval(WRITE, "confirm")
    assert not needs_approval(READ, "confirm")
    assert not needs_approval(WRITE, "auto")
    assert not needs_approval(WRITE, "read-only")


def test_read_only_offers_only_reads_and_refuses_writes() -> None:
    assert offered_tools([READ, WRITE], "read-only") == [READ]
    assert offered_tools([READ, WRITE], "confirm") == [READ, WRITE]
    refusal = policy_refusal(WRITE, "read-only")
    assert refusal is not None
    assert (refusal.ok, refusal.error_kind, refusal.sent, refusal.kind) == (False, "policy", False, "write")
    assert "read-only" in (refusal.error or "")
    assert policy_refusal(READ, "read-only") is None
    assert policy_refusal(WRITE, "auto") is None


def test_live_stripe_defaults_to_confirm_and_the_sandbox_to_auto() -> None:
    live = resolve_settings(stripe_secret_key="sk_test_abcdefghijkl1234", environ={})
    sandbox = resolve_settings(environ={})
    assert default_policy(live) == "confirm"
    assert default_policy(sandbox) == "auto"


def test_unknown_policies_are_usage_errors() -> None:
    assert check_policy("read-only") == "read-only"
    with pytest.raises(UsageError, match="auto, confirm, read-only"):
        check_policy("yolo")


GENERIC_READ = ToolSpec("stripe_api_read", "Read.", {"type": "object"}, "read")


@pytest.mark.parametrize(
    ("arguments", "kind"),
    [
        ({"stripe_api_operation_id": "GetCustomers"}, "read"),
        ({"stripe_api_operation_id": "PostRefunds", "parameters": {"payment_intent": "pi_1"}}, "write"),
        ({"stripe_api_operation_id": "DeleteCustomersCustomer"}, "write"),
        ({}, "read"),
        ("not an object", "read"),
    ],
)
def test_a_read_tool_carrying_a_write_operation_is_a_write_call(arguments: object, kind: str) -> None:
    assert call_kind(GENERIC_READ, arguments) == kind
    refusal = policy_refusal(GENERIC_READ, "read-only", arguments)
    assert (refusal is not None) == (kind == "write")
    assert verdict(GENERIC_READ, "confirm", arguments) == ("approve" if kind == "write" else "run")
    if refusal is not None:
        assert "stripe_api_read with" in (refusal.error or "")
