"""A table of phrasings per request: the same request in many words reads the same."""

from __future__ import annotations

import pytest

from stripe_nb_agent.sandbox.model.intents import parse_intents
from stripe_nb_agent.sandbox.model.understand import reader as phrasebook_reader

PHRASINGS: list[tuple[str, str, dict[str, object]]] = [
    # customers
    (
        "create a customer named Ada Lovelace with email ada@example.com",
        "create_customer",
        {"name": "Ada Lovelace", "email": "ada@example.com"},
    ),
    (
        "add customer Grace Hopper (grace@navy.mil)",
        "create_customer",
        {"name": "Grace Hopper", "email": "grace@navy.mil"},
    ),
    ("new customer: Alan Turing, alan@example.org", "create_customer", {"name": "Alan Turing"}),
    ("please register a client called 'Bob Ltd'", "create_customer", {"name": "Bob Ltd"}),
    ("create a customer for ada@example.com", "create_customer", {"email": "ada@example.com"}),
    ("find the customer ada@example.com", "find_customer", {"email": "ada@example.com"}),
    ("look up ada@example.com", "find_customer", {"email": "ada@example.com"}),
    ("who is the customer with email ada@example.com?", "find_customer", {"email": "ada@example.com"}),
    ("search for a customer named Ada", "find_customer", {"name": "Ada"}),
    ("list my customers", "list_customers", {}),
    ("show me my last 3 customers", "list_customers", {"limit": 3}),
    ("who are my five newest clients", "list_customers", {"limit": 5}),
    ("10 most recent customers", "list_customers", {"limit": 10}),
    # balance and account
    ("what's my balance?", "balance", {}),
    ("show my balance", "balance", {}),
    ("how much money do I have", "balance", {}),
    ("account info", "account", {}),
    ("show my account details", "account", {}),
    # products and prices
    ("create a product Premium Plan", "create_product", {"name": "Premium Plan"}),
    ("add a product called 'Gold Tier' for €9.99", "create_product", {"name": "Gold Tier"}),
    ("I want to sell a T-shirt for $25", "create_product", {"name": "T-shirt"}),
    ("make a new product named Starter at 20 dollars a month", "create_product", {"name": "Starter"}),
    ("list products", "list_products", {}),
    ("what products do I have?", "list_products", {}),
    ("show my catalog", "list_products", {}),
    ("add a $10 price to prod_123", "create_price", {"product": "prod_123"}),
    ("create a price of £5 per week for the Starter", "create_price", {"product": "Starter"}),
    ("list prices", "list_prices", {}),
    ("show the prices of Premium Plan", "list_prices", {"product": "Premium Plan"}),
    ("list its prices", "list_prices", {"ref": "it"}),
    # payment links
    ("create a payment link for price_123", "create_payment_link", {"price": "price_123"}),
    ("give me a checkout link for the Premium Plan", "create_payment_link", {"product": "Premium Plan"}),
    (
        "make a payment link for prod_9 with quantity 2",
        "create_payment_link",
        {"product": "prod_9", "quantity": 2},
    ),
    # invoices
    ("create an invoice for ada@example.com", "create_invoice", {"customer": "ada@example.com"}),
    ("bill ada@example.com for the Premium Plan", "create_invoice", {"product": "Premium Plan"}),
    ("invoice cus_123 for $50", "create_invoice", {"customer": "cus_123"}),
    ("list invoices", "list_invoices", {}),
    ("show my unpaid invoices", "list_invoices", {"status": "open"}),
    ("draft invoices", "create_invoice", {}),
    ("list paid invoices", "list_invoices", {"status": "paid"}),
    ("finalize in_123", "finalize_invoice", {"ref": "in_123"}),
    ("finalise the invoice", "finalize_invoice", {"ref": "it"}),
    # refunds
    ("refund pi_123", "refund", {"ref": "pi_123"}),
    ("refund $5 of pi_123", "refund", {"ref": "pi_123"}),
    ("please issue a full refund for ch_42", "refund", {"ref": "ch_42", "money": None}),
    ("refund the last payment", "refund", {"latest": True}),
    ("now refund it", "refund", {"ref": "it"}),
    # payments
    ("show my recent payments", "list_payments", {}),
    ("list the last 3 charges", "list_payments", {"limit": 3}),
    ("what were my latest sales", "list_payments", {}),
    # subscriptions
    ("list subscriptions", "list_subscriptions", {"status": None}),
    ("show active subscriptions", "list_subscriptions", {"status": "active"}),
    ("which subscriptions are past due?", "list_subscriptions", {"status": "past_due"}),
    ("list canceled subscriptions", "list_subscriptions", {"status": "canceled"}),
    ("show cancelled subscriptions", "list_subscriptions", {"status": "canceled"}),
    ("who is in trial? list trialing subscriptions", "list_subscriptions", {"status": "trialing"}),
    ("cancel subscription sub_123", "cancel_subscription", {"ref": "sub_123"}),
    ("stop sub_9", "cancel_subscription", {"ref": "sub_9"}),
    ("cancel it", None, {}),
    ("move sub_1 to price_2", "update_subscription", {"ref": "sub_1", "price": "price_2"}),
    ("update subscription sub_1 to 3 seats", "update_subscription", {"quantity": 3}),
    # coupons
    (
        "create a 20% off coupon for 3 months",
        "create_coupon",
        {"percent_off": 20.0, "duration": "repeating", "duration_in_months": 3},
    ),
    ("make a coupon for $10 off once", "create_coupon", {"duration": "once"}),
    ("new discount: 15 percent off forever", "create_coupon", {"percent_off": 15.0, "duration": "forever"}),
    ("list coupons", "list_coupons", {}),
    # disputes
    ("show disputes", "list_disputes", {}),
    ("any chargebacks?", "list_disputes", {}),
    ("submit evidence for dp_1: the customer received the goods", "update_dispute", {"ref": "dp_1"}),
    # documentation, chat
    ("how do I handle failed payments?", "docs", {}),
    ("docs on webhooks", "docs", {}),
    ("hello", "greet", {}),
    ("what can you do?", "help", {}),
]


READERS = {"rules": None, "phrasebook": phrasebook_reader()}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize(("text", "kind", "fields"), PHRASINGS, ids=[p[0][:40] for p in PHRASINGS])
def test_each_phrasing_reads_as_its_request(
    text: str, kind: str | None, fields: dict[str, object], reader: str
) -> None:
    found = READERS[reader]
    intents = parse_intents(text, found.readings if found else "rules")
    if kind is None:
        if found is not None:
            return  # the phrasebook reads "cancel it" as pointing at one subscription in context
        # "cancel it" with no subscription named is too vague: it is not a subscription request.
        assert all(i.kind != "cancel_subscription" for i in intents)
        return
    assert [i.kind for i in intents] == [kind]
    for field, value in fields.items():
        assert getattr(intents[0], field) == value, field


def test_two_independent_requests_in_one_message_are_both_read() -> None:
    assert [i.kind for i in parse_intents("show my balance and my last 3 customers")] == [
        "balance",
        "list_customers",
    ]


def test_a_payment_link_after_a_product_is_a_step_of_that_product() -> None:
    (intent,) = parse_intents("create a product Premium Plan at $20 a month and give me a payment link")
    assert (intent.kind, intent.name, str(intent.money), intent.with_link) == (
        "create_product",
        "Premium Plan",
        "$20.00/month",
        True,
    )


def test_finalize_after_an_invoice_is_a_step_of_that_invoice() -> None:
    (intent,) = parse_intents("create an invoice for ada@example.com for the Premium Plan and finalize it")
    assert (intent.kind, intent.customer, intent.product, intent.with_finalize) == (
        "create_invoice",
        "ada@example.com",
        "Premium Plan",
        True,
    )


def test_a_name_containing_and_stays_one_name() -> None:
    (intent,) = parse_intents("create a customer named Ben and Jerry with email bj@example.com")
    assert intent.kind == "create_customer"
    assert intent.email == "bj@example.com"


def test_nonsense_reads_as_nothing() -> None:
    assert parse_intents("blorp the zinger") == []
