"""The Stripe API operations the ``generic`` profile exposes, by their OpenAPI operation ids.

Each operation carries its own JSON schema for ``parameters`` (path parameters included, under
Stripe's names: customer, invoice, intent, subscription_exposed_id, dispute).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["OPERATIONS", "Operation"]

Params = dict[str, Any]
_S = {"type": "string"}
_I = {"type": "integer"}
_META = {"type": "object", "additionalProperties": {"type": "string"}}
_PAGE = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "starting_after": {"type": "string", "description": "Cursor: the last id of the previous page."},
}


@dataclass(frozen=True)
class Operation:
    id: str
    method: Literal["GET", "POST", "DELETE"]
    path: str
    resource: str
    summary: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    run: Callable[[StripeStore, Params], Any]

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


def _page(p: Params) -> Params:
    return {"limit": p.get("limit"), "starting_after": p.get("starting_after")}


def _pick(p: Params, *names: str) -> Params:
    return {n: p[n] for n in names if n in p}


def _op(
    id: str,
    method: Literal["GET", "POST", "DELETE"],
    path: str,
    resource: str,
    summary: str,
    run: Callable[[StripeStore, Params], Any],
    properties: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    paged: bool = False,
) -> Operation:
    props = dict(properties or {})
    if paged:
        props.update(_PAGE)
    return Operation(id, method, path, resource, summary, props, required, run)


_EVIDENCE = {
    "type": "object",
    "properties": {
        k: {"type": "string", "maxLength": 20000}
        for k in ("cancellation_policy_disclosure", "duplicate_charge_explanation", "uncategorized_text")
    },
    "additionalProperties": False,
}

_LIST: list[Operation] = [
    _op("GetAccount", "GET", "/v1/account", "account", "Retrieve the account.", lambda s, p: dict(s.account)),
    _op(
        "GetBalance",
        "GET",
        "/v1/balance",
        "balance",
        "Retrieve the balance (available and pending funds).",
        lambda s, p: s.retrieve_balance(),
    ),
    _op(
        "GetBalanceTransactions",
        "GET",
        "/v1/balance_transactions",
        "balance_transactions",
        "List balance transactions (charges, refunds, fees, dispute withdrawals).",
        lambda s, p: s.list_balance_transactions(type=p.get("type"), **_page(p)),
        {"type": {"type": "string", "enum": ["charge", "refund", "adjustment"]}},
        paged=True,
    ),
    _op(
        "GetCustomers",
        "GET",
        "/v1/customers",
        "customers",
        "List customers, optionally by email.",
        lambda s, p: s.list_customers(email=p.get("email"), **_page(p)),
        {"email": _S},
        paged=True,
    ),
    _op(
        "PostCustomers",
        "POST",
        "/v1/customers",
        "customers",
        "Create a customer.",
        lambda s, p: s.create_customer(
            p["name"], p.get("email"), metadata=p.get("metadata"), description=p.get("description")
        ),
        {"name": _S, "email": {"type": "string", "format": "email"}, "description": _S, "metadata": _META},
        ("name",),
    ),
    _op(
        "GetCustomersCustomer",
        "GET",
        "/v1/customers/{customer}",
        "customers",
        "Retrieve a customer.",
        lambda s, p: s.retrieve("customer", p["customer"], "customer"),
        {"customer": _S},
        ("customer",),
    ),
    _op(
        "PostCustomersCustomer",
        "POST",
        "/v1/customers/{customer}",
        "customers",
        "Update a customer's name, email, description or metadata.",
        lambda s, p: s.update_customer(p["customer"], **_pick(p, "name", "email", "description", "metadata")),
        {
            "customer": _S,
            "name": _S,
            "email": {"type": "string", "format": "email"},
            "description": _S,
            "metadata": _META,
        },
        ("customer",),
    ),
    _op(
        "DeleteCustomersCustomer",
        "DELETE",
        "/v1/customers/{customer}",
        "customers",
        "Delete a customer permanently.",
        lambda s, p: s.delete_customer(p["customer"]),
        {"customer": _S},
        ("customer",),
    ),
    _op(
        "GetCustomersSearch",
        "GET",
        "/v1/customers/search",
        "customers",
        'Search customers with Stripe search syntax, e.g. email:"ada@example.com" or name~"ada".',
        lambda s, p: s.search("customers", p["query"], limit=p.get("limit")),
        {"query": _S, "limit": _PAGE["limit"]},
        ("query",),
    ),
    _op(
        "GetProducts",
        "GET",
        "/v1/products",
        "products",
        "List products.",
        lambda s, p: s.list_products(active=p.get("active"), **_page(p)),
        {"active": {"type": "boolean"}},
        paged=True,
    ),
    _op(
        "PostProducts",
        "POST",
        "/v1/products",
        "products",
        "Create a product.",
        lambda s, p: s.create_product(p["name"], p.get("description"), metadata=p.get("metadata")),
        {"name": _S, "description": _S, "metadata": _META},
        ("name",),
    ),
    _op(
        "GetPrices",
        "GET",
        "/v1/prices",
        "prices",
        "List prices, optionally of one product.",
        lambda s, p: s.list_prices(product=p.get("product"), **_page(p)),
        {"product": _S},
        paged=True,
    ),
    _op(
        "PostPrices",
        "POST",
        "/v1/prices",
        "prices",
        "Create a price (one-time, or recurring with recurring.interval) for a product.",
        lambda s, p: s.create_price(
            p["product"],
            p["unit_amount"],
            p["currency"],
            recurring=p.get("recurring"),
            nickname=p.get("nickname"),
        ),
        {
            "product": _S,
            "unit_amount": {"type": "integer", "minimum": 0},
            "currency": _S,
            "nickname": _S,
            "recurring": {
                "type": "object",
                "properties": {
                    "interval": {"type": "string", "enum": ["day", "week", "month", "year"]},
                    "interval_count": {"type": "integer", "minimum": 1},
                },
                "required": ["interval"],
                "additionalProperties": False,
            },
        },
        ("product", "unit_amount", "currency"),
    ),
    _op(
        "GetPaymentLinks",
        "GET",
        "/v1/payment_links",
        "payment_links",
        "List payment links.",
        lambda s, p: s.list_payment_links(**_page(p)),
        paged=True,
    ),
    _op(
        "PostPaymentLinks",
        "POST",
        "/v1/payment_links",
        "payment_links",
        "Create a payment link (a shareable checkout URL) for prices and quantities.",
        lambda s, p: s.create_payment_link(p["line_items"]),
        {
            "line_items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"price": _S, "quantity": {"type": "integer", "minimum": 1}},
                    "required": ["price", "quantity"],
                    "additionalProperties": False,
                },
            }
        },
        ("line_items",),
    ),
    _op(
        "GetInvoices",
        "GET",
        "/v1/invoices",
        "invoices",
        "List invoices, by customer or status.",
        lambda s, p: s.list_invoices(customer=p.get("customer"), status=p.get("status"), **_page(p)),
        {
            "customer": _S,
            "status": {"type": "string", "enum": ["draft", "open", "paid", "uncollectible", "void"]},
        },
        paged=True,
    ),
    _op(
        "PostInvoices",
        "POST",
        "/v1/invoices",
        "invoices",
        "Create a draft invoice for a customer.",
        lambda s, p: s.create_invoice(
            p["customer"],
            days_until_due=p.get("days_until_due"),
            collection_method=p.get("collection_method"),
            description=p.get("description"),
            metadata=p.get("metadata"),
        ),
        {
            "customer": _S,
            "days_until_due": {"type": "integer", "minimum": 0},
            "description": _S,
            "collection_method": {"type": "string", "enum": ["charge_automatically", "send_invoice"]},
            "metadata": _META,
        },
        ("customer",),
    ),
    _op(
        "PostInvoiceitems",
        "POST",
        "/v1/invoiceitems",
        "invoiceitems",
        "Create an invoice item from a one-time price or an amount and currency, "
        "optionally on a draft invoice.",
        lambda s, p: s.create_invoice_item(
            p["customer"], **_pick(p, "price", "amount", "currency", "invoice", "quantity", "description")
        ),
        {
            "customer": _S,
            "price": _S,
            "amount": _I,
            "currency": _S,
            "invoice": _S,
            "quantity": {"type": "integer", "minimum": 1},
            "description": _S,
        },
        ("customer",),
    ),
    _op(
        "PostInvoicesInvoiceFinalize",
        "POST",
        "/v1/invoices/{invoice}/finalize",
        "invoices",
        "Finalize a draft invoice: totals its items, numbers it, opens its hosted page.",
        lambda s, p: s.finalize_invoice(p["invoice"]),
        {"invoice": _S},
        ("invoice",),
    ),
    _op(
        "GetPaymentIntents",
        "GET",
        "/v1/payment_intents",
        "payment_intents",
        "List payment intents, optionally of one customer.",
        lambda s, p: s.list_payment_intents(customer=p.get("customer"), **_page(p)),
        {"customer": _S},
        paged=True,
    ),
    _op(
        "GetPaymentIntentsIntent",
        "GET",
        "/v1/payment_intents/{intent}",
        "payment_intents",
        "Retrieve a payment intent.",
        lambda s, p: s.retrieve("payment_intent", p["intent"], "intent"),
        {"intent": _S},
        ("intent",),
    ),
    _op(
        "PostPaymentIntents",
        "POST",
        "/v1/payment_intents",
        "payment_intents",
        "Create a payment intent; confirm with payment_method pm_card_visa to charge it at once.",
        lambda s, p: s.create_payment_intent(
            p["amount"],
            p["currency"],
            **_pick(p, "customer", "description", "metadata", "payment_method", "confirm"),
        ),
        {
            "amount": {"type": "integer", "minimum": 1},
            "currency": _S,
            "customer": _S,
            "description": _S,
            "metadata": _META,
            "payment_method": _S,
            "confirm": {"type": "boolean"},
        },
        ("amount", "currency"),
    ),
    _op(
        "GetCharges",
        "GET",
        "/v1/charges",
        "charges",
        "List charges.",
        lambda s, p: s.list_charges(
            customer=p.get("customer"), payment_intent=p.get("payment_intent"), **_page(p)
        ),
        {"customer": _S, "payment_intent": _S},
        paged=True,
    ),
    _op(
        "GetRefunds",
        "GET",
        "/v1/refunds",
        "refunds",
        "List refunds.",
        lambda s, p: s.list_refunds(
            charge=p.get("charge"), payment_intent=p.get("payment_intent"), **_page(p)
        ),
        {"charge": _S, "payment_intent": _S},
        paged=True,
    ),
    _op(
        "PostRefunds",
        "POST",
        "/v1/refunds",
        "refunds",
        "Refund a payment intent or charge, in full or partly (amount in the smallest currency unit).",
        lambda s, p: s.create_refund(**_pick(p, "payment_intent", "charge", "amount", "reason")),
        {
            "payment_intent": _S,
            "charge": _S,
            "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string", "enum": ["duplicate", "fraudulent", "requested_by_customer"]},
        },
    ),
    _op(
        "GetSubscriptions",
        "GET",
        "/v1/subscriptions",
        "subscriptions",
        "List subscriptions by customer, price or status (canceled ones only when asked for).",
        lambda s, p: s.list_subscriptions(
            customer=p.get("customer"), price=p.get("price"), status=p.get("status"), **_page(p)
        ),
        {
            "customer": _S,
            "price": _S,
            "status": {
                "type": "string",
                "enum": [
                    "active",
                    "past_due",
                    "unpaid",
                    "canceled",
                    "incomplete",
                    "incomplete_expired",
                    "trialing",
                    "all",
                ],
            },
        },
        paged=True,
    ),
    _op(
        "PostSubscriptions",
        "POST",
        "/v1/subscriptions",
        "subscriptions",
        "Subscribe a customer to recurring prices.",
        lambda s, p: s.create_subscription(
            p["customer"],
            p["items"],
            trial_period_days=p.get("trial_period_days"),
            metadata=p.get("metadata"),
        ),
        {
            "customer": _S,
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"price": _S, "quantity": {"type": "integer", "minimum": 1}},
                    "required": ["price"],
                    "additionalProperties": False,
                },
            },
            "trial_period_days": {"type": "integer", "minimum": 1},
            "metadata": _META,
        },
        ("customer", "items"),
    ),
    _op(
        "PostSubscriptionsSubscriptionExposedId",
        "POST",
        "/v1/subscriptions/{subscription_exposed_id}",
        "subscriptions",
        "Update a subscription's items, cancel_at_period_end or metadata.",
        lambda s, p: s.update_subscription(
            p["subscription_exposed_id"],
            **_pick(p, "items", "cancel_at_period_end", "metadata", "proration_behavior"),
        ),
        {
            "subscription_exposed_id": _S,
            "cancel_at_period_end": {"type": "boolean"},
            "metadata": _META,
            "proration_behavior": {"type": "string", "enum": ["create_prorations", "none", "always_invoice"]},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": _S,
                        "price": _S,
                        "quantity": {"type": "integer", "minimum": 1},
                        "deleted": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
            },
        },
        ("subscription_exposed_id",),
    ),
    _op(
        "DeleteSubscriptionsSubscriptionExposedId",
        "DELETE",
        "/v1/subscriptions/{subscription_exposed_id}",
        "subscriptions",
        "Cancel a subscription immediately.",
        lambda s, p: s.cancel_subscription(p["subscription_exposed_id"]),
        {"subscription_exposed_id": _S},
        ("subscription_exposed_id",),
    ),
    _op(
        "GetCoupons",
        "GET",
        "/v1/coupons",
        "coupons",
        "List coupons.",
        lambda s, p: s.list_coupons(**_page(p)),
        paged=True,
    ),
    _op(
        "PostCoupons",
        "POST",
        "/v1/coupons",
        "coupons",
        "Create a coupon: percent_off, or amount_off with currency; duration once, repeating or forever.",
        lambda s, p: s.create_coupon(
            **_pick(
                p, "id", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_months"
            )
        ),
        {
            "id": _S,
            "name": _S,
            "percent_off": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "amount_off": {"type": "integer", "minimum": 1},
            "currency": _S,
            "duration": {"type": "string", "enum": ["once", "repeating", "forever"], "default": "once"},
            "duration_in_months": {"type": "integer", "minimum": 1},
        },
    ),
    _op(
        "GetDisputes",
        "GET",
        "/v1/disputes",
        "disputes",
        "List disputes (chargebacks).",
        lambda s, p: s.list_disputes(
            charge=p.get("charge"), payment_intent=p.get("payment_intent"), **_page(p)
        ),
        {"charge": _S, "payment_intent": _S},
        paged=True,
    ),
    _op(
        "PostDisputesDispute",
        "POST",
        "/v1/disputes/{dispute}",
        "disputes",
        "Add evidence to a dispute; submit=true sends it to the bank.",
        lambda s, p: s.update_dispute(
            p["dispute"], evidence=p.get("evidence"), submit=p.get("submit"), metadata=p.get("metadata")
        ),
        {"dispute": _S, "evidence": _EVIDENCE, "submit": {"type": "boolean"}, "metadata": _META},
        ("dispute",),
    ),
]

OPERATIONS: dict[str, Operation] = {op.id: op for op in _LIST}
