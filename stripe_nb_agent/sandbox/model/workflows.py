"""One workflow per kind of request: the tool calls it makes, round by round, and its report.

A workflow is a generator: it yields the calls of one round, receives their observations and
finally returns a :class:`Report`. The planner is stateless: every request replays the workflow
over the tool results already in the conversation, so the next round (or the answer) follows from
the messages alone. A failed call ends the workflow with a report of the failure, never a retry.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stripe_nb_agent.sandbox.model.answer import coupon_terms, describe, table
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.money import format_money
from stripe_nb_agent.sandbox.model.toolbox import (
    DOCS_TOOL,
    FETCH_TOOL,
    Call,
    Missing,
    Observation,
    Toolbox,
    as_list,
)

__all__ = ["Context", "Report", "Workflow", "workflow_for"]


@dataclass(frozen=True)
class Report:
    """What a workflow found or did: a summary line, detail lines, caveats."""

    summary: str
    details: tuple[str, ...] = ()
    failed: bool = False
    notes: tuple[str, ...] = ()


Workflow = Generator[list[Call], list[Observation], Report]
Step = Generator[list[Call], list[Observation], Observation]


@dataclass(frozen=True)
class Context:
    """What a workflow may use besides its request: the tools, and ids from earlier turns."""

    box: Toolbox
    memory: tuple[str, ...] = ()
    objects: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def recent(self, *prefixes: str) -> str | None:
        """The last object id mentioned in earlier turns with one of these prefixes."""
        return next((i for i in reversed(self.memory) if i.startswith(prefixes)), None)


class Stop(Exception):
    """Ends a workflow early with a report (a missing tool, a failed call, a missing id)."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary)
        self.report = report


def _stop(summary: str, *details: str) -> Stop:
    return Stop(Report(summary, tuple(details), failed=True))


def _need(found: Call | Missing, what: str) -> Call:
    if isinstance(found, Missing):
        raise _stop(found.explain(what))
    return found


def _check(obs: Observation, what: str) -> Observation:
    if obs.ok:
        return obs
    error = obs.error or "the call failed"
    if "(declined)" in error:
        raise _stop(f"The call to `{obs.call.name}` was declined, so I did not {what}. Nothing was changed.")
    if "(cancelled)" in error or "(policy)" in error:
        raise _stop(f"The call to `{obs.call.name}` was not made ({error}), so I did not {what}.")
    raise _stop(f"I tried to {what}, but `{obs.call.name}` failed: {error}")


def step(ctx: Context, op: str, params: dict[str, Any], what: str) -> Step:
    """One call of one operation, checked."""
    (obs,) = yield [_need(ctx.box.op(op, params), what)]
    return _check(obs, what)


def _notes(*observations: Observation) -> tuple[str, ...]:
    notes = []
    for obs in observations:
        if "recurring" in obs.call.dropped:
            notes.append(
                f"The `{obs.call.name}` tool offered here takes no recurring interval, so this is a one-time "
                "price; the generic `stripe_api_write` tool (PostPrices) can make recurring ones."
            )
        elif obs.call.dropped:
            notes.append(f"`{obs.call.name}` could not take: {', '.join(obs.call.dropped)}.")
    return tuple(notes)


def _one(obs: Observation) -> dict[str, Any]:
    """The object of a result; the first one of a list or list envelope."""
    items = as_list(obs.data)
    if items:
        return items[0]
    return obs.data if isinstance(obs.data, dict) and obs.data.get("object") != "list" else {}


# --- simple reads ---------------------------------------------------------------------------


def balance(ctx: Context, intent: Intent) -> Workflow:
    obs = yield from step(ctx, "GetBalance", {}, "read your balance")
    data = _one(obs)

    def sums(key: str) -> str:
        parts = [format_money(b.get("amount", 0), b.get("currency", "usd")) for b in data.get(key) or []]
        return ", ".join(parts) or "nothing"

    return Report(f"Your balance: **{sums('available')}** available, {sums('pending')} pending.")


def account(ctx: Context, intent: Intent) -> Workflow:
    found = ctx.box.tool("get_stripe_account_info", {})
    if isinstance(found, Missing):
        found = _need(ctx.box.op("GetAccount"), "read your account details")
    (obs,) = yield [found]
    data = _one(_check(obs, "read your account details"))
    name = data.get("display_name") or (data.get("settings") or {}).get("dashboard", {}).get("display_name")
    name = name or (data.get("business_profile") or {}).get("name") or data.get("email") or "your account"
    bits = [f"`{data.get('id', '?')}`"]
    bits += [f"{k}: {data[k]}" for k in ("country", "default_currency") if data.get(k)]
    return Report(f"Account **{name}** ({', '.join(bits)}).")


def docs(ctx: Context, intent: Intent) -> Workflow:
    question = intent.query or "Stripe"
    (obs,) = yield [_need(ctx.box.tool(DOCS_TOOL, {"question": question}), "search the Stripe docs")]
    _check(obs, "search the Stripe documentation")
    text = obs.data if isinstance(obs.data, str) else obs.content
    items = as_list(obs.data)
    if items:
        lines = [f"- [{i.get('title', 'doc')}]({i.get('url', '')})" for i in items[:5]]
        return Report(f"From the Stripe docs on *{question}*:", tuple(lines))
    text = " ".join(text.split())
    excerpt = text if len(text) <= 600 else text[:600].rsplit(" ", 1)[0] + " …"
    return Report(f"From the Stripe docs on *{question}*:", (f"> {excerpt}",))


def _list(ctx: Context, op: str, params: dict[str, Any], noun: str, what: str) -> Workflow:
    obs = yield from step(ctx, op, params, what)
    items = as_list(obs.data)
    if not items:
        return Report(f"No {noun} found.")
    return Report(f"{len(items)} {noun if len(items) != 1 else noun.rstrip('s')}:", tuple(table(items)))


def list_customers(ctx: Context, intent: Intent) -> Workflow:
    obs = yield from step(ctx, "GetCustomers", {"limit": intent.limit or 10}, "list your customers")
    items = as_list(obs.data)
    if not items:
        return Report("No customers found.")
    # Classic list_customers trims to ids: fetch details, in one round, when the tool is offered.
    if all(set(i) <= {"id"} for i in items) and ctx.box.has(FETCH_TOOL):
        fetches = [_need(ctx.box.tool(FETCH_TOOL, {"id": i["id"]}), "fetch customers") for i in items[:10]]
        fetched = yield fetches
        items = [_one(o) if o.ok else {"id": o.call.arguments.get("id")} for o in fetched]
    noun = "customers" if len(items) != 1 else "customer"
    return Report(f"{len(items)} {noun}:", tuple(table(items)))


def find_customer_step(ctx: Context, who: str) -> Step:
    """Find one customer by id, email or name; stops with a clear message when there is none."""
    what = f"find the customer {who}"
    if who.startswith("cus_"):
        found = ctx.box.tool(FETCH_TOOL, {"id": who})
        if isinstance(found, Missing):
            found = _need(ctx.box.op("GetCustomersCustomer", {"customer": who}), what)
        (obs,) = yield [found]
        return _check(obs, what)
    if "@" in who:
        obs = yield from step(ctx, "GetCustomers", {"email": who, "limit": 1}, what)
    else:
        query = f'customers:name:"{who}"'
        found = ctx.box.tool("search_stripe_resources", {"query": query})
        if isinstance(found, Missing):
            found = _need(ctx.box.op("GetCustomersSearch", {"query": f"name:'{who}'"}), what)
        (obs,) = yield [found]
        _check(obs, what)
    if not as_list(obs.data) and not (isinstance(obs.data, dict) and obs.data.get("id")):
        raise _stop(f"I found no customer {who}. Create one first, e.g. *create a customer Ada with {who}*.")
    return obs


def find_customer(ctx: Context, intent: Intent) -> Workflow:
    who = intent.email or intent.name or ""
    obs = yield from find_customer_step(ctx, who)
    items = as_list(obs.data) or [_one(obs)]
    return Report(
        f"Found {describe(items[0])}." if len(items) == 1 else f"{len(items)} customers match:",
        () if len(items) == 1 else tuple(table(items)),
    )


# --- writes -------------------------------------------------------------------------------


def create_customer(ctx: Context, intent: Intent) -> Workflow:
    name = intent.name
    notes: tuple[str, ...] = ()
    if not name and intent.email:
        name = intent.email.split("@")[0].replace(".", " ").title()
        notes = (f"No name was given, so I used {name!r} from the email address.",)
    if not name:
        raise _stop(
            "What should the customer be called? e.g. *create a customer Ada Lovelace, ada@example.com*."
        )
    obs = yield from step(ctx, "PostCustomers", {"name": name, "email": intent.email}, "create the customer")
    data = _one(obs)
    shown = {"name": name, "email": intent.email, **data}
    return Report(f"Created customer {describe({**shown, 'object': 'customer'})}.", notes=notes)


def create_product(ctx: Context, intent: Intent) -> Workflow:
    if not intent.name:
        raise _stop('What is the product called? e.g. *create a product "Premium Plan" at $20/month*.')
    obs = yield from step(ctx, "PostProducts", {"name": intent.name}, "create the product")
    product = {"object": "product", "name": intent.name, **_one(obs)}
    lines = [f"Created product {describe(product)}."]
    notes: tuple[str, ...] = ()
    if intent.money is not None:
        price_obs = yield from _create_price(ctx, product["id"], intent)
        price = _one(price_obs)
        notes = _notes(price_obs)
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
    link = _one(obs)
    return f"Payment link: {link.get('url', '?')} (`{link.get('id', '?')}`)"


def _product_id(ctx: Context, ref: str | None) -> Generator[list[Call], list[Observation], dict[str, Any]]:
    """A product by id, by name (looked up with list_products), or the last one mentioned."""
    if ref is None or ref == "it":
        found = ctx.recent("prod_")
        if found is None:
            raise _stop("Which product? Give me its name or id (prod_…).")
        return {"id": found, **ctx.objects.get(found, {})}
    if ref.startswith("prod_"):
        return {"id": ref, **ctx.objects.get(ref, {})}
    obs = yield from step(ctx, "GetProducts", {"limit": 100}, f"find the product {ref!r}")
    wanted = ref.lower().strip()
    for item in as_list(obs.data):
        if str(item.get("name", "")).lower().strip() in (wanted, wanted.removeprefix("the ")):
            return item
    raise _stop(
        f"I found no product named {ref!r}. Create it first, e.g. *create a product {ref} at $20/month*."
    )


def create_price(ctx: Context, intent: Intent) -> Workflow:
    if intent.money is None:
        raise _stop("How much? e.g. *add a $20/month price to Premium Plan*.")
    product = yield from _product_id(ctx, intent.product or intent.ref)
    obs = yield from _create_price(ctx, product["id"], intent)
    lines = [f"Created price {describe({'object': 'price', **_one(obs)})}."]
    return Report(lines[0], notes=_notes(obs))


def list_prices(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.product or intent.ref:
        params["product"] = (yield from _product_id(ctx, intent.product or intent.ref))["id"]
    return (yield from _list(ctx, "GetPrices", params, "prices", "list prices"))


def create_payment_link(ctx: Context, intent: Intent) -> Workflow:
    price = intent.price
    if price is None and intent.product is None:
        price = ctx.recent("price_")
    if price is None:
        product = yield from _product_id(ctx, intent.product or intent.ref)
        obs = yield from step(ctx, "GetPrices", {"product": product["id"], "limit": 10}, "find its price")
        prices = as_list(obs.data)
        if not prices:
            raise _stop(f"Product `{product['id']}` has no price yet: add one, e.g. *add a $20 price to it*.")
        price = str(prices[0]["id"])
    line = yield from _link(ctx, price, intent.quantity or 1)
    return Report(line + ".")


def create_invoice(ctx: Context, intent: Intent) -> Workflow:
    who = intent.customer or ctx.recent("cus_")
    if who is None:
        raise _stop("Who is the invoice for? e.g. *invoice ada@example.com for the Premium Plan*.")
    customer_step = find_customer_step(ctx, who)
    # Independent look-ups share a round: the customer and the product's prices.
    cust_calls = next(customer_step)
    product_ref = intent.product if intent.price is None and intent.money is None else None
    product_calls: list[Call] = []
    if product_ref and not product_ref.startswith("prod_"):
        product_calls = [
            _need(ctx.box.op("GetProducts", {"limit": 100}), f"find the product {product_ref!r}")
        ]
    results = yield [*cust_calls, *product_calls]
    customer_obs = _drive(customer_step, results[: len(cust_calls)])
    customer_obs = yield from _finish(customer_step, customer_obs)
    customer = _one(customer_obs)
    price = intent.price
    if product_ref:
        if product_calls:
            products = as_list(_check(results[len(cust_calls)], "find the product").data)
            match = [p for p in products if str(p.get("name", "")).lower() == product_ref.lower()]
            if not match:
                raise _stop(f"I found no product named {product_ref!r}. Create it first.")
            product_id = str(match[0]["id"])
        else:
            product_id = product_ref
        obs = yield from step(
            ctx, "GetPrices", {"product": product_id, "limit": 10}, "find the product's price"
        )
        prices = as_list(obs.data)
        if not prices:
            raise _stop(f"Product `{product_id}` has no price to invoice: add one first.")
        price = str(prices[0]["id"])
    days = {"days_until_due": 30, "collection_method": "send_invoice"}
    inv_obs = yield from step(ctx, "PostInvoices", {"customer": customer["id"], **days}, "create the invoice")
    invoice = _one(inv_obs)
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
        invoice = {**invoice, **_one(fin)}
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
        raise _stop("Which invoice? Give me its id (in_…).")
    obs = yield from step(ctx, "PostInvoicesInvoiceFinalize", {"invoice": invoice}, f"finalize {invoice}")
    return Report(f"Finalized {describe({'object': 'invoice', 'id': invoice, **_one(obs)})}.")


def list_invoices(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.customer:
        params["customer"] = _one((yield from find_customer_step(ctx, intent.customer)))["id"]
    if intent.status and ctx.box.profile == "generic":
        params["status"] = intent.status
    report = yield from _list(ctx, "GetInvoices", params, "invoices", "list invoices")
    return report


def refund(ctx: Context, intent: Intent) -> Workflow:
    target = intent.ref if intent.ref and intent.ref != "it" else None
    if target is None and not intent.latest:
        target = ctx.recent("pi_", "ch_")
    if target is None:
        obs = yield from step(ctx, "GetPaymentIntents", {"limit": 5}, "find your last payment")
        payments = as_list(obs.data)
        paid = [p for p in payments if p.get("status") == "succeeded"] or payments
        if not paid:
            raise _stop("There is no payment to refund.")
        target = str(paid[0]["id"])
    params: dict[str, Any] = {"charge" if target.startswith("ch_") else "payment_intent": target}
    if intent.money is not None:
        params["amount"] = intent.money.amount
    what = f"refund {intent.money} of {target}" if intent.money else f"refund {target}"
    obs = yield from step(ctx, "PostRefunds", params, what)
    return Report(f"Refunded: {describe({'object': 'refund', **_one(obs)})} for payment `{target}`.")


def list_payments(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.customer:
        params["customer"] = _one((yield from find_customer_step(ctx, intent.customer)))["id"]
    return (yield from _list(ctx, "GetPaymentIntents", params, "payments", "list your payments"))


def list_subscriptions(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10, "status": intent.status}
    if intent.customer:
        params["customer"] = _one((yield from find_customer_step(ctx, intent.customer)))["id"]
    noun = f"{intent.status.replace('_', ' ')} subscriptions" if intent.status else "subscriptions"
    return (yield from _list(ctx, "GetSubscriptions", params, noun, "list subscriptions"))


def _subscription_id(ctx: Context, intent: Intent) -> str:
    sub = intent.ref if intent.ref and intent.ref != "it" else ctx.recent("sub_")
    if sub is None:
        raise _stop("Which subscription? Give me its id (sub_…), e.g. *cancel sub_123*.")
    return sub


def cancel_subscription(ctx: Context, intent: Intent) -> Workflow:
    sub = _subscription_id(ctx, intent)
    op = "DeleteSubscriptionsSubscriptionExposedId"
    obs = yield from step(ctx, op, {"subscription_exposed_id": sub}, f"cancel {sub}")
    return Report(f"Cancelled {describe({'object': 'subscription', 'id': sub, **_one(obs)})}.")


def update_subscription(ctx: Context, intent: Intent) -> Workflow:
    sub = _subscription_id(ctx, intent)
    if intent.price is None and intent.quantity is None:
        raise _stop("What should change? e.g. *move sub_123 to price_456* or *set sub_123 to 3 seats*.")
    found = ctx.box.tool(FETCH_TOOL, {"id": sub})
    if isinstance(found, Missing):
        found = _need(ctx.box.op("GetSubscriptions", {"limit": 100}), f"read {sub}")
    (obs,) = yield [found]
    _check(obs, f"read {sub}")
    current = next((s for s in as_list(obs.data) if s.get("id") == sub), None) or _one(obs)
    items = as_list(current.get("items") or {})
    item: dict[str, Any] = {"id": items[0]["id"]} if items else {}
    if intent.price:
        item["price"] = intent.price
    if intent.quantity:
        item["quantity"] = intent.quantity
    op = "PostSubscriptionsSubscriptionExposedId"
    upd = yield from step(ctx, op, {"subscription_exposed_id": sub, "items": [item]}, f"update {sub}")
    return Report(f"Updated {describe({'object': 'subscription', 'id': sub, **_one(upd)})}.")


def create_coupon(ctx: Context, intent: Intent) -> Workflow:
    if intent.percent_off is None and intent.money is None:
        raise _stop("How big a discount? e.g. *create a 20% off coupon for 3 months*.")
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
    coupon = {"object": "coupon", **params, **_one(obs)}
    return Report(f"Created coupon `{coupon.get('id', '?')}`: {coupon_terms(coupon)}.", notes=_notes(obs))


def update_dispute(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"dispute": intent.ref}
    if intent.text:
        params["evidence"] = {"uncategorized_text": intent.text}
    obs = yield from step(ctx, "PostDisputesDispute", params, f"update {intent.ref}")
    return Report(f"Updated {describe({'object': 'dispute', **_one(obs)})}.")


def _simple(op: str, noun: str, what: str) -> Callable[[Context, Intent], Workflow]:
    def run(ctx: Context, intent: Intent) -> Workflow:
        return (yield from _list(ctx, op, {"limit": intent.limit or 10}, noun, what))

    return run


_WORKFLOWS: dict[str, Callable[[Context, Intent], Workflow]] = {
    "balance": balance,
    "account": account,
    "docs": docs,
    "list_customers": list_customers,
    "find_customer": find_customer,
    "create_customer": create_customer,
    "create_product": create_product,
    "list_products": _simple("GetProducts", "products", "list your products"),
    "create_price": create_price,
    "list_prices": list_prices,
    "create_payment_link": create_payment_link,
    "create_invoice": create_invoice,
    "list_invoices": list_invoices,
    "finalize_invoice": finalize_invoice,
    "refund": refund,
    "list_payments": list_payments,
    "list_subscriptions": list_subscriptions,
    "cancel_subscription": cancel_subscription,
    "update_subscription": update_subscription,
    "create_coupon": create_coupon,
    "list_coupons": _simple("GetCoupons", "coupons", "list coupons"),
    "list_disputes": _simple("GetDisputes", "disputes", "list disputes"),
    "update_dispute": update_dispute,
}


def workflow_for(ctx: Context, intent: Intent) -> Workflow | None:
    """The workflow of a tool-using request, or None for chat (greetings, help)."""
    make = _WORKFLOWS.get(intent.kind)
    return make(ctx, intent) if make else None
