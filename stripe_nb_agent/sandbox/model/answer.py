"""Stripe objects -> compact Markdown: names, ids, amounts in major units, small tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stripe_nb_agent.sandbox.model.money import format_money

__all__ = ["amount_of", "describe", "table"]


def amount_of(obj: dict[str, Any], key: str = "amount") -> str:
    value = obj.get(key)
    if not isinstance(value, int | float):
        return "?"
    interval = None
    recurring = obj.get("recurring")
    if isinstance(recurring, dict):
        interval = recurring.get("interval")
    return format_money(value, str(obj.get("currency") or "usd"), interval if key == "unit_amount" else None)


def describe(obj: Any) -> str:
    """One line for one Stripe object, whatever its type."""
    if not isinstance(obj, dict):
        return f"`{obj}`"
    kind = obj.get("object")
    oid = f"`{obj.get('id', '?')}`"
    if kind == "customer" or str(obj.get("id", "")).startswith("cus_"):
        bits = [b for b in (obj.get("name"), obj.get("email")) if b]
        return f"**{bits[0]}** ({', '.join([oid, *bits[1:]])})" if bits else f"customer {oid}"
    if kind == "product":
        return f"**{obj.get('name', '?')}** ({oid})"
    if kind == "price":
        return f"{amount_of(obj, 'unit_amount')} ({oid}, product `{obj.get('product', '?')}`)"
    if kind == "payment_link":
        return f"{obj.get('url', '?')} ({oid})"
    if kind == "invoice":
        due = amount_of(obj, "amount_due")
        url = obj.get("hosted_invoice_url")
        tail = f", {url}" if url else ""
        return f"invoice {oid}: {obj.get('status', '?')}, {due} due{tail}"
    if kind == "payment_intent":
        return f"{amount_of(obj)} payment {oid} ({obj.get('status', '?')})"
    if kind == "refund":
        return f"refund {oid} of {amount_of(obj)} ({obj.get('status', '?')})"
    if kind == "subscription":
        return f"subscription {oid} ({obj.get('status', '?')}, customer `{obj.get('customer', '?')}`)"
    if kind == "coupon":
        return f"coupon {oid}: {coupon_terms(obj)}"
    if kind == "dispute":
        return f"dispute {oid}: {amount_of(obj)}, {obj.get('reason', '?')}, {obj.get('status', '?')}"
    return oid


def coupon_terms(obj: dict[str, Any]) -> str:
    off = f"{obj['percent_off']:g}% off" if obj.get("percent_off") else f"{amount_of(obj, 'amount_off')} off"
    duration = obj.get("duration", "once")
    if duration == "repeating":
        return f"{off} for {obj.get('duration_in_months', '?')} months"
    return f"{off}, {duration}"


_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "customer": (("name", "name"), ("email", "email"), ("id", "id")),
    "product": (("name", "name"), ("id", "id"), ("active", "active")),
    "price": (("amount", "unit_amount"), ("product", "product"), ("id", "id")),
    "invoice": (("id", "id"), ("status", "status"), ("due", "amount_due"), ("customer", "customer")),
    "payment_intent": (("id", "id"), ("amount", "amount"), ("status", "status"), ("customer", "customer")),
    "subscription": (("id", "id"), ("status", "status"), ("customer", "customer")),
    "coupon": (("id", "id"), ("terms", "-"), ("name", "name")),
    "dispute": (("id", "id"), ("amount", "amount"), ("reason", "reason"), ("status", "status")),
    "payment_link": (("id", "id"), ("url", "url")),
}


def table(items: Sequence[dict[str, Any]]) -> list[str]:
    """A small Markdown table (or a bullet when there is one item)."""
    if not items:
        return []
    if len(items) == 1:
        return [f"- {describe(items[0])}"]
    kind = str(items[0].get("object") or "")
    columns = _COLUMNS.get(kind, (("id", "id"),))
    head = "| " + " | ".join(c for c, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    rows = [head, rule]
    for item in items:
        cells = [_cell(item, key) for _, key in columns]
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _cell(item: dict[str, Any], key: str) -> str:
    if key == "-":
        return coupon_terms(item)
    if key in ("unit_amount", "amount", "amount_due"):
        return amount_of(item, key)
    value = item.get(key)
    if value is None or value == "":
        return "—"
    text = str(value).replace("|", "\\|")
    return f"`{text}`" if key in ("id", "customer", "product") else text
