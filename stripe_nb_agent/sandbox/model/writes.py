"""Workflows that change Stripe data: customers, products, prices, links, invoices, refunds, ..."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from stripe_nb_agent.sandbox.model.answer import coupon_terms, describe
from stripe_nb_agent.sandbox.model.flow import (
    Context,
    Report,
    Step,
    Workflow,
    call_notes,
    check,
    need,
    one,
    step,
    stop,
)
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.reads import find_customer_step, product_step
from stripe_nb_agent.sandbox.model.toolbox import FETCH_TOOL, Call, Missing, Observation, as_list

__all__ = [
    "cancel_subscription",
    "create_coupon",
    "create_customer",
    "create_invoice",
    "create_payment_link",
    "create_price",
    "create_product",
    "finalize_invoice",
    "refund",
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
    link = one(obs)
    return f"Payment link: {link.get('url', '?')} (`{link.get('id', '?')}`)"


def create_price(ctx: Context, intent: Intent) -> Workflow:
    if intent.money is None:
        raise stop("How much? e.g. *add a $20/month price to Premium Plan*.")
    product = yield from product_step(ctx, intent.product or intent.ref)
    obs = yield from _create_price(ctx, product["id"], intent)
    lines = [f"Created price {describe({'object': 'price', **one(obs)})}."]
    return Report(lines[0], notes=call_notes(obs))


def create_payment_link(ctx: Context, intent: Intent) -> Workflow:
    price = intent.price
    if price is None and intent.product is None:
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
    who = intent.customer or ctx.recent("cus_")
    if who is None:
        raise stop("Who is the invoice for? e.g. *invoice ada@example.com for the Premium Plan*.")
    customer_step = find_customer_step(ctx, who)
    # Independent look-ups share a round: the customer and the product's prices.
    cust_calls = next(customer_step)
    product_ref = intent.product if intent.price is None and intent.money is None else None
    product_calls: list[Call] = []
    if product_ref and not product_ref.startswith("prod_"):
        product_calls = [need(ctx.box.op("GetProducts", {"limit": 100}), f"find the product {product_ref!r}")]
    results = yield [*cust_calls, *product_calls]
    customer_obs = _drive(customer_step, results[: len(cust_calls)])
    customer_obs = yield from _finish(customer_step, customer_obs)
    customer = one(customer_obs)
    price = intent.price
    if product_ref:
        if product_calls:
            products = as_list(check(results[len(cust_calls)], "find the product").data)
            match = [p for p in products if str(p.get("name", "")).lower() == product_ref.lower()]
            if not match:
                raise stop(f"I found no product named {product_ref!r}. Create it first.")
            product_id = str(match[0]["id"])
        else:
            product_id = product_ref
        obs = yield from step(
            ctx, "GetPrices", {"product": product_id, "limit": 10}, "find the product's price"
        )
        prices = as_list(obs.data)
        if not prices:
            raise stop(f"Product `{product_id}` has no price to invoice: add one first.")
        price = str(prices[0]["id"])
    days = {"days_until_due": 30, "collection_method": "send_invoice"}
    inv_obs = yield from step(ctx, "PostInvoices", {"customer": customer["id"], **days}, "create the invoice")
    invoice = one(inv_obs)
    lines = []
    if price or intent.money:
        item_params: dict[str, Any] = {"customer": customer["id"], "invoice": invoice["id"]}
        if price:
            item_params["price"] = price
        elif intent.money:
            item_params.update(amount=intent.money.amount, currency=intent.money.currency)
        yield from step(ctx, "PostInvoiceitems", item_params, "add the item to the invoice")
        lines.append(f"- Added {'price `' + price + '`' if price else str(intent.money)} to it.")
    if intent.with_finalize:
        fin = yield from step(ctx, "PostInvoicesInvoiceFinalize", {"invoice": invoice["id"]}, "finalize it")
        invoice = {**invoice, **one(fin)}
        lines.append(f"- Finalized: {describe({'object': 'invoice', **invoice})}.")
    return Report(
        f"Created invoice `{invoice['id']}` for {describe({'object': 'customer', **customer})}.", tuple(lines)
    )


def _drive(gen: Step, results: list[Observation]) -> Observation | list[Call]:
    try:
        return gen.send(results)
    except StopIteration as done:
        value: Observation = done.value
        return value


def _finish(gen: Step, state: Observation | list[Call]) -> Step:
    while isinstance(state, list):
        state = _drive(gen, (yield state))
    return state


def finalize_invoice(ctx: Context, intent: Intent) -> Workflow:
    invoice = intent.ref if intent.ref and intent.ref != "it" else ctx.recent("in_")
    if invoice is None:
        raise stop("Which invoice? Give me its id (in_…).")
    obs = yield from step(ctx, "PostInvoicesInvoiceFinalize", {"invoice": invoice}, f"finalize {invoice}")
    return Report(f"Finalized {describe({'object': 'invoice', 'id': invoice, **one(obs)})}.")


def refund(ctx: Context, intent: Intent) -> Workflow:
    target = intent.ref if intent.ref and intent.ref != "it" else None
    if target is None and not intent.latest:
        target = ctx.recent("pi_", "ch_")
    if target is None:
        obs = yield from step(ctx, "GetPaymentIntents", {"limit": 5}, "find your last payment")
        payments = as_list(obs.data)
        paid = [p for p in payments if p.get("status") == "succeeded"] or payments
        if not paid:
            raise stop("There is no payment to refund.")
        target = str(paid[0]["id"])
    params: dict[str, Any] = {"charge" if target.startswith("ch_") else "payment_intent": target}
    if intent.money is not None:
        params["amount"] = intent.money.amount
    what = f"refund {intent.money} of {target}" if intent.money else f"refund {target}"
    obs = yield from step(ctx, "PostRefunds", params, what)
    return Report(f"Refunded: {describe({'object': 'refund', **one(obs)})} for payment `{target}`.")


def _subscription_id(ctx: Context, intent: Intent) -> str:
    sub = intent.ref if intent.ref and intent.ref != "it" else ctx.recent("sub_")
    if sub is None:
        raise stop("Which subscription? Give me its id (sub_…), e.g. *cancel sub_123*.")
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
        raise stop("How big a discount? e.g. *create a 20% off coupon for 3 months*.")
    if intent.percent_off is not None:
        terms: dict[str, Any] = {"percent_off": intent.percent_off}
        label = f"{intent.percent_off:g}% off"
    else:
        assert intent.money is not None
        terms = {"amount_off": intent.money.amount, "currency": intent.money.currency}
        label = f"{intent.money} off"
    params = {
        "name": intent.name or label,
        **terms,
        "duration": intent.duration or "once",
        "duration_in_months": intent.duration_in_months,
    }
    obs = yield from step(ctx, "PostCoupons", params, f"create the {label} coupon")
    coupon = {"object": "coupon", **params, **one(obs)}
    return Report(f"Created coupon `{coupon.get('id', '?')}`: {coupon_terms(coupon)}.", notes=call_notes(obs))


def update_dispute(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"dispute": intent.ref}
    if intent.text:
        params["evidence"] = {"uncategorized_text": intent.text}
    obs = yield from step(ctx, "PostDisputesDispute", params, f"update {intent.ref}")
    return Report(f"Updated {describe({'object': 'dispute', **one(obs)})}.")
