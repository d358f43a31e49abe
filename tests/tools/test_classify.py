"""Reads and writes, fail-safe: a write name or a write hint makes a write, no signal makes a write,
and an untrusted readOnlyHint downgrades nothing."""

from __future__ import annotations

import pytest

from stripe_nb_agent.tools.classify import classify, name_words
from tests.tools.helpers import reference_tools


@pytest.mark.parametrize(
    ("name", "annotations", "kind"),
    [
        # A lying readOnlyHint can't downgrade a write-named tool.
        ("create_customer", {"readOnlyHint": True}, "write"),
        ("create_payout", {"readOnlyHint": True}, "write"),
        ("billing.create-refund", {"readOnlyHint": True}, "write"),
        # A write hint upgrades a read-named tool.
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
        ("stripe_api_details", {}, "read"),
        ("stripe.list_customers", {}, "read"),
        ("getTinyImage", {}, "read"),
        ("get_refund", {}, "read"),
        ("list_refunds", {}, "read"),
        ("stripe_api_write", {}, "write"),
        ("create_refund", {}, "write"),
        ("refund_payment", {}, "write"),
        ("payments/refund", {}, "write"),
        ("payout_now", {}, "write"),
        ("finalize_invoice", {}, "write"),
        ("voidInvoice", {}, "write"),
        ("pay_invoice", {}, "write"),
        ("capture_payment_intent", {}, "write"),
        ("detach_payment_method", {}, "write"),
        ("send_invoice", {}, "write"),
        # A tool that says nothing is a write; an untrusted readOnlyHint alone is not a signal.
        ("do_something", {}, "write"),
        ("echo", {"readOnlyHint": True}, "write"),
    ],
)
def test_classify_without_trust(name: str, annotations: dict[str, bool] | None, kind: str) -> None:
    assert classify(name, annotations) == kind


@pytest.mark.parametrize(
    ("name", "annotations", "kind"),
    [
        ("echo", {"readOnlyHint": True}, "read"),
        ("create_customer", {"readOnlyHint": True}, "read"),
        ("list_customers", {"readOnlyHint": False}, "write"),
        ("echo", {"readOnlyHint": True, "destructiveHint": True}, "write"),
        # A trusted server that sends no hint is classified by name like any other.
        ("create_customer", {"title": "Create"}, "write"),
        ("list_customers", {}, "read"),
        ("echo", {}, "write"),
    ],
)
def test_a_trusted_servers_annotations_decide(name: str, annotations: dict[str, bool], kind: str) -> None:
    assert classify(name, annotations, trusted=True) == kind


def test_every_reference_stripe_tool_is_classified_as_its_annotations_say() -> None:
    for tool in reference_tools():
        annotated = "read" if tool["annotations"]["readOnlyHint"] else "write"
        assert classify(tool["name"], tool["annotations"]) == annotated, tool["name"]
        # ... and by name alone, for servers that send no annotations.
        assert classify(tool["name"]) == annotated, tool["name"]


def test_name_words_split_separators_and_camel_case() -> None:
    assert name_words("billing.create-refund") == ["billing", "create", "refund"]
    assert name_words("getTinyImage") == ["get", "tiny", "image"]
    assert name_words("payments/refund_v2") == ["payments", "refund", "v2"]
