"""Policies decide what the model is offered and which calls wait for a human."""

from __future__ import annotations

import pytest

from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.policy import (
    check_policy,
    default_policy,
    needs_approval,
    offered_tools,
    policy_refusal,
)
from stripe_nb_agent.tools.types import ToolSpec

READ = ToolSpec("list_customers", "List.", {"type": "object"}, "read")
WRITE = ToolSpec("create_refund", "Refund.", {"type": "object"}, "write")


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
