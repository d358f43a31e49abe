"""Reads and writes: annotations first, the name second, and unknown means write."""

from __future__ import annotations

import pytest

from stripe_nb_agent.tools.classify import classify


@pytest.mark.parametrize(
    ("name", "annotations", "kind"),
    [
        ("create_customer", {"readOnlyHint": True}, "read"),
        ("list_customers", {"readOnlyHint": False}, "write"),
        ("list_customers", {"readOnlyHint": True, "destructiveHint": True}, "write"),
        ("cancel_subscription", {"destructiveHint": True}, "write"),
        ("list_customers", None, "read"),
        ("retrieve_balance", {}, "read"),
        ("search_stripe_resources", {}, "read"),
        ("get_stripe_account_info", {}, "read"),
        ("fetch_stripe_resources", {}, "read"),
        ("stripe_api_read", {}, "read"),
        ("stripe_api_search", {}, "read"),
        ("stripe_api_write", {}, "write"),
        ("create_refund", {}, "write"),
        ("do_something", {}, "write"),
    ],
)
def test_classify(name: str, annotations: dict[str, bool] | None, kind: str) -> None:
    assert classify(name, annotations) == kind
