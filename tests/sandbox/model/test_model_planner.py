"""The planner over whole conversations: chains, both tool profiles, failures, memory."""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import classic_tools, generic_tools, run, user

from stripe_nb_agent.sandbox.model.planner import DISCLOSURE, plan_reply

PRODUCT = {"id": "prod_P1", "object": "product", "name": "Premium Plan"}
PRICE = {
    "id": "price_R1",
    "object": "price",
    "product": "prod_P1",
    "unit_amount": 2000,
    "currency": "usd",
    "recurring": {"interval": "month"},
}
LINK = {"id": "plink_L1", "url": "https://buy.stripe.com/test_L1"}
INVOICE = {"id": "in_I1", "object": "invoice", "status": "draft", "amount_due": 0, "currency": "usd"}


def classic(name: str, args: dict[str, Any]) -> Any:
    return {
        "create_product": PRODUCT,
        "create_price": {**PRICE, "recurring": None},
        "create_payment_link": LINK,
        "list_customers": [{"id": "cus_A1"}],
        "search_stripe_resources": [{"id": "cus_A1", "object": "customer", "email": "ada@example.com"}],
        "list_products": [PRODUCT],
        # Classic create_price makes one-time prices; invoice items need one.
        "list_prices": [{**PRICE, "recurring": None}],
        "create_invoice": INVOICE,
        "create_invoice_item": {"id": "ii_1", "object": "invoiceitem"},
        # Classic finalize_invoice trims the invoice to id, url, customer and status.
        "finalize_invoice": {"id": "in_I1", "url": None, "customer": "cus_A1", "status": "open"},
        "retrieve_balance": {
            "object": "balance",
            "available": [{"amount": 12345, "currency": "usd"}],
            "pending": [{"amount": 500, "currency": "usd"}],
        },
        "fetch_stripe_resources": {
            "id": args.get("id"),
            "object": "customer",
            "name": "Ada",
            "email": "a@x.io",
        },
    }[name]


def generic(name: str, args: dict[str, Any]) -> Any:
    op = args["stripe_api_operation_id"]
    envelope = {"object": "list", "has_more": False, "url": "/v1/x"}
    return {
        "PostProducts": PRODUCT,
        "PostPrices": PRICE,
        "PostPaymentLinks": {**LINK, "object": "payment_link"},
        "GetCustomers": {**envelope, "data": [{"id": "cus_A1", "object": "customer", "name": "Ada"}]},
        "GetCustomersSearch": {
            **envelope,
            "data": [{"id": "cus_A1", "object": "customer", "name": "Ada", "email": "ada@example.com"}],
        },
        "GetProducts": {**envelope, "data": [PRODUCT]},
        "GetPrices": {**envelope, "data": [PRICE]},
        "PostInvoices": INVOICE,
        "PostInvoiceitems": {"id": "ii_1"},
        "PostInvoicesInvoiceFinalize": {**INVOICE, "status": "open", "amount_due": 2000},
    }[op]


def test_product_price_and_link_chain_over_three_rounds_with_classic_tools() -> None:
    plan, rounds, _ = run(
        "create a product Premium Plan at $20 a month and give me a payment link", classic_tools(), classic
    )
    assert rounds == [
        [("create_product", {"name": "Premium Plan"})],
        [("create_price", {"product": "prod_P1", "unit_amount": 2000, "currency": "usd"})],
        [("create_payment_link", {"price": "price_R1", "quantity": 1})],
    ]
    assert "https://buy.stripe.com/test_L1" in plan.content
    assert "prod_P1" in plan.content
    # Classic create_price has no recurring option: the answer says so instead of pretending.
    assert "one-time price" in plan.content


def test_product_price_and_link_chain_with_generic_tools_uses_operation_ids() -> None:
    plan, rounds, _ = run(
        "create a product Premium Plan at $20 a month and give me a payment link", generic_tools(), generic
    )
    ops = [[(n, a["stripe_api_operation_id"]) for n, a in r] for r in rounds]
    assert ops == [
        [("stripe_api_write", "PostProducts")],
        [("stripe_api_write", "PostPrices")],
        [("stripe_api_write", "PostPaymentLinks")],
    ]
    assert rounds[1][0][1]["parameters"]["recurring"] == {"interval": "month"}
    assert "$20.00/month" in plan.content


@pytest.mark.parametrize(("tools", "respond"), [(classic_tools(), classic), (generic_tools(), generic)])
def test_invoice_chain_finds_customer_and_price_then_creates_adds_and_finalizes(
    tools: Any, respond: Any
) -> None:
    plan, rounds, _ = run(
        "create an invoice for ada@example.com for the Premium Plan and finalize it", tools, respond
    )
    flat = [a.get("stripe_api_operation_id", n) for r in rounds for n, a in r]
    assert flat[2:] in (
        ["list_prices", "create_invoice", "create_invoice_item", "finalize_invoice"],
        ["GetPrices", "PostInvoices", "PostInvoiceitems", "PostInvoicesInvoiceFinalize"],
    )
    assert "in_I1" in plan.content
    assert "open, $20.00 due" in plan.content


def test_independent_requests_are_issued_together_and_both_summarised() -> None:
    plan, rounds, _ = run("show my balance and my last 3 customers", classic_tools(), classic)
    assert rounds[0] == [("retrieve_balance", {}), ("list_customers", {"limit": 3})]
    # list_customers returns bare ids: details are fetched in one parallel round.
    assert rounds[1] == [("fetch_stripe_resources", {"id": "cus_A1"})]
    assert "$123.45" in plan.content
    assert "Ada" in plan.content


def test_write_requests_under_read_only_tools_are_explained_not_attempted() -> None:
    for tools in (classic_tools(read_only=True), generic_tools(read_only=True)):
        plan = plan_reply([user("create a customer Ada with email ada@example.com")], tools)
        assert plan.tool_calls == ()
        assert "read-only" in plan.content


def test_only_offered_tools_are_ever_called() -> None:
    tools = [t for t in classic_tools() if t["function"]["name"] in ("list_customers", "retrieve_balance")]
    plan = plan_reply([user("show my balance and list my products")], tools)
    assert [c.name for c in plan.tool_calls] == ["retrieve_balance"]


def test_without_tools_it_chats_briefly_and_honestly() -> None:
    hello = plan_reply([user("hi")], None)
    assert "not a language model" in hello.content
    busy = plan_reply([user("refund pi_123")], [])
    assert "no Stripe tools" in busy.content
    assert busy.tool_calls == ()
    assert plan_reply([user("what can you do?")], None).content.count("- *") >= 4


def test_an_unmappable_request_says_so_and_lists_examples() -> None:
    plan = plan_reply([user("paint my house blue")], classic_tools())
    assert plan.tool_calls == ()
    assert "could not map" in plan.content
    assert "refund" in plan.content


@pytest.mark.parametrize(
    "failure",
    [
        '"Failed to create refund"',
        json.dumps({"error": "Stripe API error: No such payment_intent: 'pi_404'", "kind": "server"}),
        "Input validation error: amount must be an integer",
        json.dumps({"error": "The user declined this call.", "kind": "declined"}),
    ],
)
def test_a_failed_tool_result_is_reported_instead_of_retried(failure: str) -> None:
    plan, rounds, _ = run("refund $5 of pi_404", classic_tools(), lambda n, a: failure)
    assert len(rounds) == 1
    assert "refund" in plan.content.lower()
    assert any(word in plan.content for word in ("failed", "declined"))


def test_follow_up_refers_to_the_last_object_of_earlier_turns() -> None:
    _, _, history = run(
        "show my recent payments",
        classic_tools(),
        lambda n, a: [
            {
                "id": "pi_9",
                "object": "payment_intent",
                "amount": 900,
                "currency": "usd",
                "status": "succeeded",
            }
        ],
    )
    plan, rounds, _ = run(
        "now refund it",
        classic_tools(),
        lambda n, a: {
            "id": "re_1",
            "object": "refund",
            "amount": 900,
            "currency": "usd",
            "status": "succeeded",
        },
        history=history,
    )
    assert rounds == [[("create_refund", {"payment_intent": "pi_9"})]]
    assert "$9.00" in plan.content


def test_planning_stops_at_the_round_cap() -> None:
    plan, rounds, _ = run(
        "create a product Premium Plan at $20 a month and give me a payment link",
        classic_tools(),
        classic,
        max_rounds=2,
    )
    assert len(rounds) == 2
    assert "stopped after 2 rounds" in plan.content


def test_personas_differ_in_reasoning_and_the_full_one_discloses_itself() -> None:
    full = plan_reply([user("show my balance")], classic_tools())
    brief = plan_reply([user("show my balance")], classic_tools(), persona="sandbox-brief")
    assert full.reasoning.startswith(DISCLOSURE)
    assert brief.reasoning == ""
    assert full.tool_calls == brief.tool_calls


def test_same_conversation_gives_the_same_plan() -> None:
    messages = [user("create an invoice for ada@example.com for the Premium Plan and finalize it")]
    assert plan_reply(messages, generic_tools()) == plan_reply(messages, generic_tools())


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("thanks", "You're welcome"),
        ("thank you so much!", "You're welcome"),
        ("great, thanks a lot", "You're welcome"),
        ("bye", "Bye!"),
        ("ok cool", "Glad that helped"),
        ("hello", "Hello!"),
    ],
)
def test_small_talk_is_answered_in_kind(text: str, start: str) -> None:
    plan = plan_reply([{"role": "user", "content": text}], None)
    assert plan.content.startswith(start)
    assert plan.tool_calls == ()


def test_thanks_with_a_request_is_the_request() -> None:
    plan = plan_reply([{"role": "user", "content": "thanks, now list my last 3 customers"}], None)
    assert not plan.content.startswith("You're welcome")
