"""The ``classic`` profile: Stripe's 22 per-resource MCP tools plus the remote server's three extras.

Names, input schemas and annotations come verbatim from ``classic_tools.json``; results are shaped
as Stripe's agent toolkit shapes them (trimmed ids for customers, bare arrays for lists).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from stripe_nb_agent.sandbox.stripe.docs import SANDBOX_NOTICE, search_notes
from stripe_nb_agent.sandbox.stripe.sandbox_tool import CallInfo, Handler, SandboxTool
from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["CLASSIC_TOOLS", "account_info", "documentation_answer", "read_tool"]

Args = dict[str, Any]


def _load_reference() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath("classic_tools.json").read_text(encoding="utf-8")
    return {t["name"]: t for t in json.loads(text)["tools"]}


def account_info(store: StripeStore, args: Args, info: CallInfo) -> dict[str, Any]:
    acct = store.account
    return {
        "account_id": info.stripe_account or acct["id"],
        "display_name": acct["settings"]["dashboard"]["display_name"],
        "business_name": acct["business_profile"]["name"],
        "country": acct["country"],
        "default_currency": acct["default_currency"],
        "livemode": False,
        "acting_as_connected_account": info.stripe_account is not None,
        "sandbox": True,
        "dashboard_url": f"https://dashboard.stripe.com/{info.stripe_account or acct['id']}/test",
    }


def documentation_answer(store: StripeStore, args: Args, info: CallInfo) -> dict[str, Any]:
    notes = search_notes(str(args["question"]))
    return {
        "notice": SANDBOX_NOTICE,
        "question": args["question"],
        "results": [{"title": n.title, "url": n.url, "content": n.text} for n in notes],
        "answer": (
            " ".join(n.text for n in notes[:2])
            if notes
            else "No sandbox note matches that question; try words like refund, invoice or subscription."
        ),
    }


def _ids(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": o["id"]} for o in items]


def _limit(args: Args) -> dict[str, Any]:
    return {"limit": args.get("limit")}


def _create_invoice_view(inv: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": inv["id"],
        "url": inv["hosted_invoice_url"],
        "customer": inv["customer"],
        "status": inv["status"],
    }


def _create_coupon(s: StripeStore, a: Args, i: CallInfo) -> dict[str, Any]:
    percent = a.get("percent_off")
    return s.create_coupon(
        name=a["name"],
        percent_off=percent,
        amount_off=None if percent else a["amount_off"],
        currency=a.get("currency", "USD").lower(),
        duration=a.get("duration", "once"),
        duration_in_months=a.get("duration_in_months"),
    )


_HANDLERS: dict[str, tuple[str, Handler]] = {
    "create_customer": (
        "Create a customer with a name and optional email.",
        lambda s, a, i: {"id": s.create_customer(a["name"], a.get("email"))["id"]},
    ),
    "list_customers": (
        "List customers, newest first; filter by exact email. Returns their ids.",
        lambda s, a, i: _ids(s.list_customers(email=a.get("email"), **_limit(a))["data"]),
    ),
    "create_product": ("Create a product.", lambda s, a, i: s.create_product(a["name"])),
    "list_products": ("List products, newest first.", lambda s, a, i: s.list_products(**_limit(a))["data"]),
    "create_price": (
        "Create a one-time price for a product; unit_amount is in the currency's smallest unit.",
        lambda s, a, i: s.create_price(a["product"], a["unit_amount"], a["currency"]),
    ),
    "list_prices": (
        "List prices, optionally of one product.",
        lambda s, a, i: s.list_prices(product=a.get("product"), **_limit(a))["data"],
    ),
    "create_payment_link": (
        "Create a payment link (a https://buy.stripe.com URL) selling a price.",
        lambda s, a, i: {
            k: v
            for k, v in s.create_payment_link(
                [{"price": a["price"], "quantity": a["quantity"]}], redirect_url=a.get("redirect_url")
            ).items()
            if k in ("id", "url")
        },
    ),
    "create_invoice": (
        "Create a draft invoice for a customer; days_until_due makes it a send_invoice invoice.",
        lambda s, a, i: _create_invoice_view(
            s.create_invoice(a["customer"], days_until_due=a.get("days_until_due"))
        ),
    ),
    "list_invoices": (
        "List invoices, optionally of one customer.",
        lambda s, a, i: s.list_invoices(customer=a.get("customer"), **_limit(a))["data"],
    ),
    "create_invoice_item": (
        "Add a one-time price to a draft invoice.",
        lambda s, a, i: {
            k: v
            for k, v in s.create_invoice_item(a["customer"], price=a["price"], invoice=a["invoice"]).items()
            if k in ("id", "invoice")
        },
    ),
    "finalize_invoice": (
        "Finalize a draft invoice: totals its items and gives it a hosted payment page.",
        lambda s, a, i: _create_invoice_view(s.finalize_invoice(a["invoice"])),
    ),
    "retrieve_balance": (
        "Retrieve the account balance (available and pending, by currency).",
        lambda s, a, i: s.retrieve_balance(),
    ),
    "create_refund": (
        "Refund a payment intent, in full or for an amount in the smallest currency unit.",
        lambda s, a, i: s.create_refund(payment_intent=a["payment_intent"], amount=a.get("amount")),
    ),
    "list_payment_intents": (
        "List payment intents, optionally of one customer.",
        lambda s, a, i: s.list_payment_intents(customer=a.get("customer"), **_limit(a))["data"],
    ),
    "list_subscriptions": (
        "List subscriptions; filter by customer, price or status (canceled ones only with status).",
        lambda s, a, i: s.list_subscriptions(
            customer=a.get("customer"), price=a.get("price"), status=a.get("status"), **_limit(a)
        )["data"],
    ),
    "cancel_subscription": (
        "Cancel a subscription now.",
        lambda s, a, i: s.cancel_subscription(a["subscription"]),
    ),
    "update_subscription": (
        "Change a subscription's items (price, quantity, or deleted: true).",
        lambda s, a, i: s.update_subscription(
            a["subscription"], items=a.get("items"), proration_behavior=a.get("proration_behavior")
        ),
    ),
    "search_stripe_documentation": ("Search the sandbox's documentation notes.", documentation_answer),
    "list_coupons": (
        "List coupons.",
        lambda s, a, i: [
            {k: c[k] for k in ("id", "name", "percent_off", "amount_off", "duration")}
            for c in s.list_coupons(**_limit(a))["data"]
        ],
    ),
    "create_coupon": ("Create a coupon (percent_off, or amount_off in the smallest unit).", _create_coupon),
    "update_dispute": (
        "Add evidence to a dispute and optionally submit it.",
        lambda s, a, i: s.update_dispute(a["dispute"], evidence=a.get("evidence"), submit=a.get("submit")),
    ),
    "list_disputes": (
        "List disputes, optionally of one charge or payment intent.",
        lambda s, a, i: s.list_disputes(
            charge=a.get("charge"), payment_intent=a.get("payment_intent"), **_limit(a)
        )["data"],
    ),
}

_READ_ONLY = {"readOnlyHint": True, "destructiveHint": False, "idempotentHint": True}


def read_tool(
    name: str,
    title: str,
    description: str,
    handler: Handler,
    properties: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    *,
    failure: str = "",
    open_world: bool = False,
) -> SandboxTool:
    """A read-only tool with a closed object schema; ``title`` goes on the tool and its annotations."""
    schema: dict[str, Any] = {"type": "object", "properties": properties or {}}
    if required:
        schema["required"] = list(required)
    schema["additionalProperties"] = False
    return SandboxTool(
        name=name,
        description=description,
        input_schema=schema,
        annotations={**_READ_ONLY, "openWorldHint": open_world, "title": title},
        handler=handler,
        failure=failure,
        title=title,
    )


_NON_EMPTY = {"type": "string", "minLength": 1}
_EXTRAS: list[SandboxTool] = [
    read_tool(
        "get_stripe_account_info",
        "Get account info",
        "Information about the Stripe account these tools act on (the sandbox account).",
        account_info,
        failure="Failed to retrieve account info",
    ),
    read_tool(
        "search_stripe_resources",
        "Search Stripe resources",
        'Search objects with Stripe search syntax, e.g. customers:email:"ada@example.com" or '
        'customers:name~"ada"; resources: customers, products, prices, invoices, payment_intents, charges, '
        "subscriptions.",
        lambda s, a, i: s.search_any(a["query"])["data"],
        {"query": _NON_EMPTY},
        ("query",),
        failure="Failed to search resources",
    ),
    read_tool(
        "fetch_stripe_resources",
        "Fetch Stripe resource",
        "Fetch any Stripe object by its id (cus_, pi_, ch_, in_, sub_, price_, prod_, ...).",
        lambda s, a, i: s.fetch(a["id"]),
        {"id": _NON_EMPTY},
        ("id",),
        failure="Failed to fetch resource",
    ),
]


def _build() -> tuple[SandboxTool, ...]:
    reference = _load_reference()
    tools = []
    for name, spec in reference.items():
        description, handler = _HANDLERS[name]
        verb, _, noun = name.partition("_")
        tools.append(
            SandboxTool(
                name=name,
                description=description,
                input_schema=spec["inputSchema"],
                annotations=spec["annotations"],
                handler=handler,
                failure=f"Failed to {verb} {noun.replace('_', ' ')}",
                title=spec["annotations"].get("title"),
            )
        )
    return (*tools, *_EXTRAS)


CLASSIC_TOOLS: tuple[SandboxTool, ...] = _build()
