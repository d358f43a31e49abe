"""List workflows with their qualifiers honoured, or said aloud.

Filters the offered tool takes (customer, status where the tool has it, limit) are passed to it.
What it can't do (a status on classic invoices or on payments, amount bounds, "by total spend") is
done on the fetched results, and the answer says so; a time phrase no tool here filters by is
named as ignored. "How many" answers with a count (up to :data:`CAP`), "are there any" leads with
yes or no, and customer ids in a table get their names (one round of fetches).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stripe_nb_agent.money import Money, format_amount
from stripe_nb_agent.sandbox.model.answer import table
from stripe_nb_agent.sandbox.model.flow import Context, Report, Workflow, ask, need, one, step
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.offered_tools import FETCH_TOOL, Call, Missing, Observation, as_list
from stripe_nb_agent.sandbox.model.reads import one_customer, product_step

__all__ = [
    "CAP",
    "list_customers",
    "list_disputes",
    "list_invoices",
    "list_payments",
    "list_prices",
    "list_report",
    "list_subscriptions",
    "simple_list",
]

# The most objects one list call fetches (Stripe's page limit): counts and local filters stop here.
CAP = 100
Found = Generator[list[Call], list[Observation], list[dict[str, Any]]]


@dataclass(frozen=True)
class Keep:
    """A filter done on fetched results, with how the answer says it."""

    said: str
    by: str
    test: Callable[[dict[str, Any]], bool]


_FAILED = ("requires_payment_method", "canceled")
_OPEN_DISPUTES = ("needs_response", "warning_needs_response", "under_review", "warning_under_review")


def _status_keep(status: str) -> Keep:
    if status == "failed":
        return Keep(
            "failed", "status", lambda o: bool(o.get("last_payment_error")) or o.get("status") in _FAILED
        )
    if status == "open_dispute":
        return Keep("open", "status", lambda o: o.get("status") in _OPEN_DISPUTES)
    return Keep(status.replace("_", " "), "status", lambda o: o.get("status") == status)


def _amount_keep(bound: Money, above: bool) -> Keep:
    def test(obj: dict[str, Any]) -> bool:
        amount = obj.get("amount", obj.get("amount_due"))
        if not isinstance(amount, int) or str(obj.get("currency", "")).lower() != bound.currency:
            return False
        return amount > bound.amount if above else amount < bound.amount

    return Keep(f"{'over' if above else 'under'} {bound}", "amount", test)


def keeps_for(intent: Intent, *, status_on_server: bool) -> list[Keep]:
    keeps = []
    if intent.status and not status_on_server:
        keeps.append(_status_keep(intent.status))
    if intent.above:
        keeps.append(_amount_keep(intent.above, above=True))
    if intent.below:
        keeps.append(_amount_keep(intent.below, above=False))
    return keeps


def list_report(
    ctx: Context,
    op: str,
    params: dict[str, Any],
    noun: str,
    what: str,
    intent: Intent | None = None,
    keeps: tuple[Keep, ...] | list[Keep] = (),
    *,
    lead: Callable[[list[dict[str, Any]]], str | None] | None = None,
) -> Workflow:
    shown = int(params.get("limit") or 10)
    counting = bool(intent and intent.count)
    if keeps or counting:
        params = {**params, "limit": CAP}
    obs = yield from step(ctx, op, params, what)
    items = as_list(obs.data)
    fetched = len(items)
    for keep in keeps:
        items = [i for i in items if keep.test(i)]
    label = " ".join([*(k.said for k in keeps if not k.said.startswith(("over", "under"))), noun])
    label += "".join(f" {k.said}" for k in keeps if k.said.startswith(("over", "under")))
    notes = []
    if keeps:
        by = " or ".join(dict.fromkeys(k.by for k in keeps))
        scope = f"your {fetched} newest {noun}" if fetched >= CAP else f"all {fetched} of your {noun}"
        older = " Older ones were not checked." if fetched >= CAP else ""
        notes.append(
            f"The `{obs.call.name}` tool can't filter by {by}, so I fetched {scope} "
            f"and kept the {label}.{older}"
        )
    if intent and intent.when:
        notes.append(
            f"I did not filter by date ({intent.when!r}): the tools here are asked for the newest first, "
            "without a date range. Check the dates in the table."
        )
    summary = _summary(items, label, fetched, intent, counting)
    extra = lead(items) if lead and items else None
    if extra:
        summary = f"{summary[:-1]}; {extra}{summary[-1]}"
    rest = items[:shown]
    rest = yield from with_customer_names(ctx, rest)
    details = tuple(table(rest))
    if len(items) > len(rest):
        details += (f"(showing the first {len(rest)} of {len(items)})",)
    return Report(summary, details if items else (), notes=tuple(notes))


def _summary(
    items: list[dict[str, Any]], label: str, fetched: int, intent: Intent | None, counting: bool
) -> str:
    n = len(items)
    one_label = label.replace(label.split()[-1], label.split()[-1].rstrip("s")) if n == 1 else label
    at_least = "at least " if fetched >= CAP else ""
    if intent and intent.question:
        if not items:
            return f"No — I found no {label}."
        return f"Yes — {at_least}{n} {one_label}:"
    if counting:
        return f"You have {at_least}{n} {one_label}."
    if not items:
        return f"No {label} found."
    return f"{n} {one_label}:"


def with_customer_names(ctx: Context, items: list[dict[str, Any]]) -> Found:
    """The items with ``customer_name`` beside each customer id, fetched in one round when needed."""
    ids = list(dict.fromkeys(str(i["customer"]) for i in items if isinstance(i.get("customer"), str)))
    names = {c: ctx.objects[c]["name"] for c in ids if ctx.objects.get(c, {}).get("name")}
    wanted = [c for c in ids if c not in names][:10]
    calls: list[Call] = []
    for customer in wanted:
        found = ctx.box.tool(FETCH_TOOL, {"id": customer})
        if isinstance(found, Missing):
            found = ctx.box.op("GetCustomersCustomer", {"customer": customer})
        if isinstance(found, Missing) or found.missing:
            return items  # no way to read names here: ids it is
        calls.append(found)
    if calls:
        for obs in (yield calls):
            data = one(obs) if obs.ok else {}
            if data.get("name"):
                names[str(data.get("id") or obs.call.arguments.get("id"))] = str(data["name"])
    return [{**i, "customer_name": names[i["customer"]]} if i.get("customer") in names else i for i in items]


def simple_list(op: str, noun: str, what: str) -> Callable[[Context, Intent], Workflow]:
    def run(ctx: Context, intent: Intent) -> Workflow:
        params = {"limit": intent.limit or 10}
        return (
            yield from list_report(
                ctx, op, params, noun, what, intent, keeps_for(intent, status_on_server=False)
            )
        )

    return run


def list_disputes(ctx: Context, intent: Intent) -> Workflow:
    keeps = keeps_for(intent, status_on_server=False)
    params = {"limit": intent.limit or 10}
    return (
        yield from list_report(
            ctx, "GetDisputes", params, "disputes", "list disputes", intent, keeps, lead=_needs_response
        )
    )


def _needs_response(items: list[dict[str, Any]]) -> str | None:
    due = sorted(
        d["evidence_details"]["due_by"]
        for d in items
        if d.get("status") in ("needs_response", "warning_needs_response")
        and isinstance((d.get("evidence_details") or {}).get("due_by"), int)
    )
    if not due:
        return None
    first = datetime.fromtimestamp(due[0], UTC).strftime("%Y-%m-%d")
    return f"{len(due)} need{'s' if len(due) == 1 else ''} a response, the first by {first}"


def list_customers(ctx: Context, intent: Intent) -> Workflow:
    if intent.order == "spend":
        return (yield from _top_spenders(ctx, intent))
    limit = CAP if intent.count else intent.limit or 10
    obs = yield from step(ctx, "GetCustomers", {"limit": limit}, "list your customers")
    items = as_list(obs.data)
    if not items:
        return Report("No customers found.")
    summary = None
    if intent.count:
        at_least = "at least " if len(items) >= CAP else ""
        summary = f"You have {at_least}{len(items)} customer{'s' if len(items) != 1 else ''}."
        items = items[: intent.limit or 5]
    # Classic list_customers trims to ids: fetch details, in one round, when the tool is offered.
    if all(set(i) <= {"id"} for i in items) and ctx.box.has(FETCH_TOOL):
        fetches = [need(ctx.box.tool(FETCH_TOOL, {"id": i["id"]}), "fetch customers") for i in items[:10]]
        fetched = yield fetches
        items = [one(o) if o.ok else {"id": o.call.arguments.get("id")} for o in fetched]
    if summary:
        return Report(summary + " The newest:", tuple(table(items)))
    noun = "customers" if len(items) != 1 else "customer"
    return Report(f"{len(items)} {noun}:", tuple(table(items)))


def _top_spenders(ctx: Context, intent: Intent) -> Workflow:
    obs = yield from step(ctx, "GetPaymentIntents", {"limit": CAP}, "add up what your customers spent")
    listed = as_list(obs.data)
    paid = [p for p in listed if p.get("status") == "succeeded" and isinstance(p.get("customer"), str)]
    if not paid:
        return Report("No successful payments with a customer, so there is no spend to rank.")
    currencies: dict[str, int] = {}
    for p in paid:
        currencies[str(p.get("currency"))] = currencies.get(str(p.get("currency")), 0) + 1
    currency = max(sorted(currencies), key=lambda c: currencies[c])
    totals: dict[str, int] = {}
    for p in paid:
        if p.get("currency") == currency:
            totals[p["customer"]] = totals.get(p["customer"], 0) + int(
                p.get("amount_received") or p["amount"]
            )
    top = sorted(totals, key=lambda c: (-totals[c], c))[: intent.limit or 5]
    rows = yield from with_customer_names(ctx, [{"customer": c} for c in top])
    lines = ["| customer | spent |", "|---|---|"]
    for row in rows:
        who = (
            f"{row['customer_name']} (`{row['customer']}`)"
            if row.get("customer_name")
            else f"`{row['customer']}`"
        )
        lines.append(f"| {who} | {format_amount(totals[row['customer']], currency)} |")
    others = sorted(c.upper() for c in currencies if c != currency)
    notes = [
        f"No tool here ranks customers by spend, so I added up your {len(listed)} newest payments "
        f"myself (succeeded ones, in {currency.upper()}); older payments are not counted."
    ]
    if others:
        notes.append(f"Payments in {', '.join(others)} are left out of the ranking.")
    return Report(f"Top {len(rows)} customers by spend:", tuple(lines), notes=tuple(notes))


def list_prices(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.product or intent.ref:
        params["product"] = (yield from product_step(ctx, intent.product or intent.ref))["id"]
    return (yield from list_report(ctx, "GetPrices", params, "prices", "list prices", intent))


def list_invoices(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.customer:
        params["customer"] = yield from _customer_id(ctx, intent, "list invoices")
    on_server = ctx.box.takes("GetInvoices", "status")
    if intent.status and on_server:
        params["status"] = intent.status
    keeps = keeps_for(intent, status_on_server=on_server)
    noun = f"{intent.status} invoices" if intent.status and on_server else "invoices"
    return (yield from list_report(ctx, "GetInvoices", params, noun, "list invoices", intent, keeps))


def list_payments(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10}
    if intent.customer:
        params["customer"] = yield from _customer_id(ctx, intent, "list payments")
    keeps = keeps_for(intent, status_on_server=False)
    return (
        yield from list_report(
            ctx, "GetPaymentIntents", params, "payments", "list your payments", intent, keeps
        )
    )


def list_subscriptions(ctx: Context, intent: Intent) -> Workflow:
    params: dict[str, Any] = {"limit": intent.limit or 10, "status": intent.status}
    if intent.customer:
        params["customer"] = yield from _customer_id(ctx, intent, "list subscriptions")
    noun = f"{intent.status.replace('_', ' ')} subscriptions" if intent.status else "subscriptions"
    keeps = keeps_for(intent, status_on_server=True)
    return (
        yield from list_report(ctx, "GetSubscriptions", params, noun, "list subscriptions", intent, keeps)
    )


def _customer_id(ctx: Context, intent: Intent, what: str) -> Generator[list[Call], list[Observation], str]:
    who = intent.customer or ""
    if who == "it":
        recent = ctx.recent("cus_")
        if recent is None:
            raise ask("Which customer? Give me a name, an email or an id (cus_…).")
        return recent
    return str((yield from one_customer(ctx, who, what))["id"])
