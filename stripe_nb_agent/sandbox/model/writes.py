"""Workflows that change Stripe data: customers, products, prices, links, invoices, refunds, ..."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from stripe_nb_agent.money import format_amount, plain_amount
from stripe_nb_agent.sandbox.model.answer import describe
from stripe_nb_agent.sandbox.model.flow import (
    Context,
    Report,
    Step,
    Workflow,
    ask,
    call_notes,
    check,
    need,
    one,
    step,
    stop,
)
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.offered_tools import FETCH_TOOL, Call, Missing, Observation, as_list
from stripe_nb_agent.sandbox.model.reads import one_customer, product_step

__all__ = [
    "cancel_subscription",
    "coupon_example",
    "create_coupon",
    "create_customer",
    "create_invoice",
    "create_payment_link",
    "create_price",
    "create_product",
    "finalize_invoice",
    "update_dispute",
    "update_subscription",
]


def create_customer(ctx: Context, intent: Intent) -> Workflow:
    name = intent.name
    notes: tuple[str, ...] = ()
    if not name and intent.email:
        name = intent.email.split("@")[0].replace(".", " ").title()
        notes = (f"No name was given, so I used {name!r} from the email address.",)
    if not name:
        raise stop(
            "What should the customer be called? e.g. *create a customer Ada Lovelace, ada@example.com*."
        )
    obs = yield from step(ctx, "PostCustomers", {"name": name, "email": intent.email}, "create the customer")
    data = one(obs)
    shown = {"name": name, "email": intent.email, **data}
    return Report(f"Created customer {describe({**shown, 'object': 'customer'})}.", notes=notes)


def create_product(ctx: Context, intent: Intent) -> Workflow:
    if not intent.name:
        raise stop('What is the product called? e.g. *create a product "Premium Plan" at $20/month*.')
    obs = yield from step(ctx, "PostProducts", {"name": intent.name}, "create the product")
    product = {"object": "product", "name": intent.name, **one(obs)}
    lines = [f"Created product {describe(product)}."]
    notes: tuple[str, ...] = ()
    if intent.money is not None:
        price_obs = yield from _create_price(ctx, product["id"], intent)
        price = one(price_obs)
        notes = call_notes(price_obs)
        lines.append(f"Price {describe({'object': 'price', **price})}.")
        if intent.with_link:
            lines.append((yield from _link(ctx, price["id"], 1)))
    elif intent.with_link:
        lines.append("A payment link needs a price: tell me the amount, e.g. *at $20/month*.")
    return Report(lines[0], tuple(f"- {line}" for line in lines[1:]), notes=notes)


def _create_price(ctx: Context, product: str, intent: Intent) -> Step:
    money = intent.money
    assert money is not None
    params: dict[str, Any] = {"product": product, "unit_amount": money.amount, "currency": money.currency}
    if money.interval:
        params["recurring"] = {"interval": money.interval}
    return (yield from step(ctx, "PostPrices", params, f"create the {money} price"))


def _link(ctx: Context, price: str, quantity: int) -> Generator[list[Call], list[Observation], str]:
    params = {"line_items": [{"price": price, "quantity": quantity}]}
    obs = yield from step(ctx, "PostPaymentLinks", params, "create the payment link")
    return f"Payment link: {describe({'object': 'payment_link', **one(obs)})}"


def create_price(ctx: Context, intent: Intent) -> Workflow:
    if intent.money is None:
        raise stop("How much? e.g. *add a $20/month price to Premium Plan*.")
    product = yield from product_step(ctx, intent.product or intent.ref)
    obs = yield from _create_price(ctx, product["id"], intent)
    lines = [f"Created price {describe({'object': 'price', **one(obs)})}."]
    return Report(lines[0], notes=call_notes(obs))


def create_payment_link(ctx: Context, intent: Intent) -> Workflow:
    price = intent.price
    if price is None and intent.product is None and intent.ref == "it":
        price = ctx.recent("price_")
    if price is None:
        product = yield from product_step(ctx, intent.product or intent.ref)
        obs = yield from step(ctx, "GetPrices", {"product": product["id"], "limit": 10}, "find its price")
        prices = as_list(obs.data)
        if not prices:
            raise stop(f"Product `{product['id']}` has no price yet: add one, e.g. *add a $20 price to it*.")
        price = str(prices[0]["id"])
    line = yield from _link(ctx, price, intent.quantity or 1)
    return Report(line + ".")


def create_invoice(ctx: Context, intent: Intent) -> Workflow:
    if intent.unclear:
        raise ask(f"How much should the invoice be for? I could not read an amount in {intent.unclear!r}.")
    if intent.customer is None:
        raise ask("Who is the invoice for? Name the customer, e.g. *invoice ada@example.com for $50*.")
    # Every write this needs must be possible before the first one: never leave a stray draft.
    if intent.money is not None and not ctx.box.takes("PostInvoiceitems", "amount", "currency"):
        found = ctx.box.op("PostInvoiceitems")
        tool = found.tool if isinstance(found, Missing) else found.name
        raise ask(
            f"The `{tool}` tool offered here only adds an existing price to an invoice, not a free "
            f"amount such as {intent.money}, so I created nothing. Create a product with that price "
            "first (e.g. *create a product Consulting at $150*), then *invoice <customer> for Consulting*."
        )
    need(ctx.box.op("PostInvoices", {"customer": "cus_"}), "create the invoice")
    if intent.with_finalize:
        need(ctx.box.op("PostInvoicesInvoiceFinalize", {"invoice": "in_"}), "finalize the invoice")
    if intent.customer == "it":
        recent = ctx.recent("cus_")
        if recent is None:
            raise ask("Which customer is the invoice for? Give me a name, an email or an id (cus_…).")
        customer: dict[str, Any] = {"id": recent, **ctx.objects.get(recent, {})}
    else:
        customer = yield from one_customer(ctx, intent.customer, "create an invoice")
    product_ref = intent.product if intent.price is None and intent.money is None else None
    price: dict[str, Any] | None = (
        {"id": intent.price, **ctx.objects.get(intent.price, {})} if intent.price else None
    )
    if product_ref:
        product = yield from product_step(ctx, product_ref)
        obs = yield from step(
            ctx, "GetPrices", {"product": product["id"], "limit": 10}, "find the product's price"
        )
        price = _invoiceable_price(ctx, product_ref, as_list(obs.data))
    if not price and intent.money is None:
        raise ask(
            "What should the invoice charge? Name a product or an amount, e.g. "
            f"*invoice {customer.get('email') or customer['id']} for the Premium Plan*."
        )
    days = {"days_until_due": 30, "collection_method": "send_invoice"}
    inv_obs = yield from step(ctx, "PostInvoices", {"customer": customer["id"], **days}, "create the invoice")
    invoice = one(inv_obs)
    lines, notes = [], []
    # What the invoice will total, from what we add; trimmed finalize results do not carry it.
    total: dict[str, Any] = {}
    item_params: dict[str, Any] = {"customer": customer["id"], "invoice": invoice["id"]}
    if price and not price.get("recurring"):
        item_params["price"] = price["id"]
        added = f"price {describe({'object': 'price', **price})}"
        if isinstance(price.get("unit_amount"), int):
            total = {"amount_due": price["unit_amount"], "currency": price.get("currency")}
    else:
        money = intent.money
        quantity = intent.quantity or 1
        amount = (money.amount * quantity) if money else price["unit_amount"] if price else 0
        currency = money.currency if money else str((price or {}).get("currency"))
        item_params.update(amount=amount, currency=currency)
        if money and (quantity > 1 or intent.product):
            each = f"{quantity} × {money}" if quantity > 1 else str(money)
            item_params["description"] = f"{intent.product or 'item'} ({each})"
        if price:
            item_params["description"] = f"{product_ref or price['id']} (one-off charge of its price)"
            notes.append(
                f"{product_ref or price['id']} only has a recurring price "
                f"({describe({'object': 'price', **price})}), so I invoiced its amount once. "
                "To bill it every period, start a subscription instead."
            )
        added = format_amount(amount, currency)
        total = {"amount_due": amount, "currency": currency}
    yield from step(ctx, "PostInvoiceitems", item_params, "add the item to the invoice")
    lines.append(f"- Added {added} to it.")
    if intent.with_finalize:
        fin = yield from step(ctx, "PostInvoicesInvoiceFinalize", {"invoice": invoice["id"]}, "finalize it")
        invoice = {**invoice, **total, **one(fin)}
        invoice = yield from _with_amount_due(ctx, invoice)
        lines.append(f"- Finalized: {describe({'object': 'invoice', **invoice})}.")
    return Report(
        f"Created invoice `{invoice['id']}` for {describe({'object': 'customer', **customer})}.",
        tuple(lines),
        notes=tuple(notes),
    )


def _invoiceable_price(ctx: Context, product: str, prices: list[dict[str, Any]]) -> dict[str, Any]:
    """The product's first one-time price; else a recurring one whose amount can be invoiced as such."""
    if not prices:
        raise stop(
            f"{product!r} has no price to invoice: add one first, e.g. *add a $20 price to {product}*."
        )
    one_time = [p for p in prices if not p.get("recurring")]
    if one_time:
        return one_time[0]
    recurring = prices[0]
    if not ctx.box.takes("PostInvoiceitems", "amount", "currency"):
        found = ctx.box.op("PostInvoiceitems")
        if isinstance(found, Missing):
            raise stop(found.explain("add an item to the invoice"))
        tool = found.name
        raise stop(
            f"{product!r} only has recurring prices ({describe({'object': 'price', **recurring})}), and "
            f"`{tool}` here takes only a one-time price. Add one first, e.g. *add a $20 price to {product}*, "
            "or start a subscription for the recurring price."
        )
    return recurring


def _with_amount_due(
    ctx: Context, invoice: dict[str, Any]
) -> Generator[list[Call], list[Observation], dict[str, Any]]:
    """The invoice with its amount due: as known, or fetched when the result was trimmed and we can."""
    if "amount_due" in invoice:
        return invoice
    found = ctx.box.tool(FETCH_TOOL, {"id": invoice["id"]})
    if isinstance(found, Missing) or found.missing:
        return invoice
    (obs,) = yield [found]
    return {**invoice, **one(obs)} if obs.ok else invoice


def finalize_invoice(ctx: Context, intent: Intent) -> Workflow:
    invoice = intent.ref if intent.ref != "it" else ctx.recent("in_")
    if invoice is None:
        raise ask("Which invoice? Give me its id (in_…).")
    obs = yield from step(ctx, "PostInvoicesInvoiceFinalize", {"invoice": invoice}, f"finalize {invoice}")
    done = yield from _with_amount_due(ctx, {"object": "invoice", "id": invoice, **one(obs)})
    return Report(f"Finalized {describe(done)}.")


def _subscription_id(ctx: Context, intent: Intent) -> str:
    sub = intent.ref if intent.ref != "it" else ctx.recent("sub_")
    if sub is None:
        raise ask("Which subscription? Give me its id (sub_…), e.g. *cancel sub_123*.")
    return sub


def cancel_subscription(ctx: Context, intent: Intent) -> Workflow:
    sub = _subscription_id(ctx, intent)
    op = "DeleteSubscriptionsSubscriptionExposedId"
    obs = yield from step(ctx, op, {"subscription_exposed_id": sub}, f"cancel {sub}")
    return Report(f"Cancelled {describe({'object': 'subscription', 'id': sub, **one(obs)})}.")


def update_subscription(ctx: Context, intent: Intent) -> Workflow:
    sub = _subscription_id(ctx, intent)
    if intent.price is None and intent.quantity is None:
        raise stop("What should change? e.g. *move sub_123 to price_456* or *set sub_123 to 3 seats*.")
    found = ctx.box.tool(FETCH_TOOL, {"id": sub})
    if isinstance(found, Missing):
        found = need(ctx.box.op("GetSubscriptions", {"limit": 100}), f"read {sub}")
    (obs,) = yield [found]
    check(obs, f"read {sub}")
    current = next((s for s in as_list(obs.data) if s.get("id") == sub), None) or one(obs)
    items = as_list(current.get("items") or {})
    item: dict[str, Any] = {"id": items[0]["id"]} if items else {}
    if intent.price:
        item["price"] = intent.price
    if intent.quantity:
        item["quantity"] = intent.quantity
    op = "PostSubscriptionsSubscriptionExposedId"
    upd = yield from step(ctx, op, {"subscription_exposed_id": sub, "items": [item]}, f"update {sub}")
    return Report(f"Updated {describe({'object': 'subscription', 'id': sub, **one(upd)})}.")


def create_coupon(ctx: Context, intent: Intent) -> Workflow:
    if intent.percent_off is None and intent.money is None:
        raise stop(f"How big a discount? e.g. *{coupon_example(ctx)}*.")
    terms: dict[str, Any]
    if intent.percent_off is not None:
        terms = {"percent_off": intent.percent_off}
        label = f"{intent.percent_off:g}% off"
    else:
        assert intent.money is not None
        terms = {"amount_off": intent.money.amount, "currency": intent.money.currency}
        label = f"{plain_amount(intent.money.amount, intent.money.currency)} off"
    params = {
        "name": intent.name or label,
        **terms,
        "duration": intent.duration or "once",
        "duration_in_months": intent.duration_in_months,
    }
    call = ctx.box.op("PostCoupons", params)
    if not isinstance(call, Missing) and intent.percent_off is not None and "amount_off" in call.missing:
        # Stripe's classic create_coupon requires amount_off: a percent-only call fails validation.
        raise stop(
            f"The `{call.name}` tool offered here only creates amount-off coupons (it requires "
            f"`amount_off`), so I did not create a {label} coupon. I can make an amount-off coupon "
            f"instead, e.g. *{coupon_example(ctx, intent)}*. Stripe's newer generic MCP tools can "
            "create percent-off coupons, but they are not offered in this chat."
        )
    (obs,) = yield [need(call, f"create the {label} coupon")]
    check(obs, f"create the {label} coupon")
    coupon = {"object": "coupon", **params, **one(obs)}
    return Report(f"Created {describe(coupon)}.", notes=call_notes(obs))


def coupon_example(ctx: Context, intent: Intent | None = None) -> str:
    """A coupon request the offered coupon tool can carry out, keeping the user's duration."""
    when = " for 3 months"
    if intent is not None:
        if intent.duration == "forever":
            when = " forever"
        elif intent.duration_in_months:
            when = f" for {intent.duration_in_months} months"
        elif intent.duration != "repeating":
            when = ""
    percent = ctx.box.op("PostCoupons", {"name": "20% off", "percent_off": 20})
    if not isinstance(percent, Missing) and not percent.missing and not percent.dropped:
        return f"create a 20% off coupon{when}"
    return f"create a $5 off coupon{when}"


def update_dispute(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"dispute": intent.ref}
    if intent.text:
        params["evidence"] = {"uncategorized_text": intent.text}
    obs = yield from step(ctx, "PostDisputesDispute", params, f"update {intent.ref}")
    return Report(f"Updated {describe({'object': 'dispute', **one(obs)})}.")
