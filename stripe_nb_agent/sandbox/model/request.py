"""One request as the stand-in understood it: its kind and the slots read from the words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stripe_nb_agent.money import Money

__all__ = ["Intent", "Kind"]

Kind = Literal[
    "greet",
    "help",
    "account",
    "balance",
    "docs",
    "create_customer",
    "find_customer",
    "list_customers",
    "create_product",
    "list_products",
    "create_price",
    "list_prices",
    "create_payment_link",
    "create_invoice",
    "list_invoices",
    "finalize_invoice",
    "refund",
    "list_payments",
    "list_subscriptions",
    "cancel_subscription",
    "update_subscription",
    "create_coupon",
    "list_coupons",
    "list_disputes",
    "update_dispute",
]


@dataclass(frozen=True)
class Intent:
    """One request. Only the fields its kind uses are set."""

    kind: Kind
    name: str | None = None
    email: str | None = None
    limit: int | None = None
    money: Money | None = None
    status: str | None = None
    # An object id the user gave ("pi_123"), or "it" for "the last one we talked about".
    ref: str | None = None
    # A product or price named in words ("the Premium Plan") or by id.
    product: str | None = None
    price: str | None = None
    customer: str | None = None
    percent_off: float | None = None
    duration: str | None = None
    duration_in_months: int | None = None
    query: str | None = None
    quantity: int | None = None
    text: str | None = None
    # When the best readings of the request were close and one writes: the kinds, best first.
    unsure: tuple[str, ...] = ()
    # Qualifiers of a list: "how many" (answer with a count), "are there any" (lead with yes or no),
    # amount bounds, an order ("by total spend"), and a time phrase the tools can't filter by.
    count: bool = False
    question: bool = False
    above: Money | None = None
    below: Money | None = None
    order: str | None = None
    when: str | None = None
    # An amount phrase that could not be read ("{amount}", "ten bucks"): the workflow asks.
    unclear: str | None = None
    # Follow-on steps folded into this request.
    with_link: bool = False
    with_finalize: bool = False
    latest: bool = False
