"""Workflows that only read: balance, account, docs, lists, and the look-ups writes build on."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from stripe_nb_agent.money import format_amount
from stripe_nb_agent.sandbox.model.answer import describe, table
from stripe_nb_agent.sandbox.model.flow import Context, Report, Workflow, ask, check, need, one, step, stop
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.offered_tools import (
    DOCS_TOOL,
    FETCH_TOOL,
    Call,
    Missing,
    Observation,
    as_list,
)

__all__ = [
    "account",
    "balance",
    "customer_matches",
    "docs",
    "find_customer",
    "one_customer",
    "product_step",
]


def balance(ctx: Context, intent: Intent) -> Workflow:
    obs = yield from step(ctx, "GetBalance", {}, "read your balance")
    data = one(obs)

    def sums(key: str) -> str:
        parts = [format_amount(b.get("amount", 0), b.get("currency", "usd")) for b in data.get(key) or []]
        return ", ".join(parts) or "nothing"

    return Report(f"Your balance: **{sums('available')}** available, {sums('pending')} pending.")


def account(ctx: Context, intent: Intent) -> Workflow:
    found = ctx.box.tool("get_stripe_account_info", {})
    if isinstance(found, Missing):
        found = need(ctx.box.op("GetAccount"), "read your account details")
    (obs,) = yield [found]
    data = one(check(obs, "read your account details"))
    name = data.get("display_name") or (data.get("settings") or {}).get("dashboard", {}).get("display_name")
    name = name or (data.get("business_profile") or {}).get("name") or data.get("email") or "your account"
    # Classic get_stripe_account_info names the id ``account_id``; the Account object names it ``id``.
    account_id = data.get("id") or data.get("account_id")
    bits = [f"`{account_id}`"] if account_id else []
    bits += [f"{k}: {data[k]}" for k in ("country", "default_currency") if data.get(k)]
    return Report(f"Account **{name}**" + (f" ({', '.join(bits)})." if bits else "."))


def docs(ctx: Context, intent: Intent) -> Workflow:
    question = intent.query or "Stripe"
    (obs,) = yield [need(ctx.box.tool(DOCS_TOOL, {"question": question}), "search the Stripe docs")]
    check(obs, "search the Stripe documentation")
    text = obs.data if isinstance(obs.data, str) else obs.content
    items = as_list(obs.data)
    if items:
        lines = [f"- [{i.get('title', 'doc')}]({i.get('url', '')})" for i in items[:5]]
        return Report(f"From the Stripe docs on *{question}*:", tuple(lines))
    text = " ".join(text.split())
    excerpt = text if len(text) <= 600 else text[:600].rsplit(" ", 1)[0] + " …"
    return Report(f"From the Stripe docs on *{question}*:", (f"> {excerpt}",))


def customer_matches(
    ctx: Context, who: str
) -> Generator[list[Call], list[Observation], list[dict[str, Any]]]:
    """Customers matching an id, or an email or name exactly (case-insensitive): a look-up, never a guess."""
    what = f"look up the customer {who}"
    if who.startswith("cus_"):
        found = ctx.box.tool(FETCH_TOOL, {"id": who})
        if isinstance(found, Missing):
            found = need(ctx.box.op("GetCustomersCustomer", {"customer": who}), what)
        (obs,) = yield [found]
        return [one(check(obs, what))]
    field = "email" if "@" in who else "name"
    query = f'{field}:"{who}"'
    found = ctx.box.tool("search_stripe_resources", {"query": f"customers:{query}"})
    if isinstance(found, Missing):
        found = ctx.box.op("GetCustomersSearch", {"query": query})
    if isinstance(found, Missing) and field == "email":
        found = ctx.box.op("GetCustomers", {"email": who, "limit": 10})
    if isinstance(found, Missing):
        # Never a guess from a list of ids: ask for something the offered tools can look up.
        raise ask(
            f"The tools offered here can't look customers up by name, so I can't tell who {who!r} is. "
            "Give me the customer's email or id (cus_…) instead."
        )
    (obs,) = yield [need(found, what)]
    check(obs, what)
    wanted = who.strip().casefold()
    return [c for c in as_list(obs.data) if str(c.get(field) or "").strip().casefold() == wanted]


def one_customer(
    ctx: Context, who: str, purpose: str
) -> Generator[list[Call], list[Observation], dict[str, Any]]:
    """Exactly one customer for ``who``; none or several stop the workflow with a question."""
    matches = yield from customer_matches(ctx, who)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        create = f"*create a customer {who}*" if "@" not in who else f"*create a customer Name with {who}*"
        raise ask(
            f"I found no customer {who!r}, so I did not {purpose}. Should I create one? Say e.g. {create}."
        )
    raise ask(
        f"{len(matches)} customers match {who!r}, so I did not {purpose}: which one? Name it by email or id.",
        *table(matches),
    )


def find_customer(ctx: Context, intent: Intent) -> Workflow:
    who = intent.email or intent.name or ""
    items = yield from customer_matches(ctx, who)
    if not items:
        raise ask(f"I found no customer {who!r}. Should I create one? Say e.g. *create a customer {who}*.")
    return Report(
        f"Found {describe(items[0])}." if len(items) == 1 else f"{len(items)} customers match {who!r}:",
        () if len(items) == 1 else tuple(table(items)),
    )


def product_step(ctx: Context, ref: str | None) -> Generator[list[Call], list[Observation], dict[str, Any]]:
    """A product by id, by name (looked up with list_products), or the last one mentioned."""
    if ref is None:
        raise ask("Which product? Give me its name or id (prod_…).")
    if ref == "it":
        found = ctx.recent("prod_")
        if found is None:
            raise ask("Which product? Give me its name or id (prod_…).")
        return {"id": found, **ctx.objects.get(found, {})}
    if ref.startswith("prod_"):
        return {"id": ref, **ctx.objects.get(ref, {})}
    obs = yield from step(ctx, "GetProducts", {"limit": 100}, f"find the product {ref!r}")
    wanted = ref.lower().strip()
    for item in as_list(obs.data):
        if str(item.get("name", "")).lower().strip() in (wanted, wanted.removeprefix("the ")):
            return item
    raise stop(
        f"I found no product named {ref!r}. Create it first, e.g. *create a product {ref} at $20/month*."
    )
