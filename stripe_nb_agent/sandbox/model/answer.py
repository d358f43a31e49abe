"""Stripe objects -> compact Markdown: names, ids, amounts in major units, small tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stripe_nb_agent.money import format_amount

__all__ = ["amount_of", "describe", "table"]


def amount_of(obj: dict[str, Any], key: str = "amount") -> str | None:
    """``obj[key]`` as "$20.00" ("/month" for a recurring unit amount), or None when it is not there."""
    value = obj.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    interval = None
    recurring = obj.get("recurring")
    if isinstance(recurring, dict):
        interval = recurring.get("interval")
    return format_amount(value, str(obj.get("currency") or "usd"), interval if key == "unit_amount" else None)


def _joined(*parts: str | None, sep: str = ", ") -> str:
    # Tool results are often trimmed (classic tools return a few fields): leave out what is not
    # there rather than printing a placeholder.
    return sep.join(p for p in parts if p)


def _id(obj: dict[str, Any]) -> str | None:
    return f"`{obj['id']}`" if obj.get("id") else None


def _field(obj: dict[str, Any], key: str, template: str = "{}") -> str | None:
    value = obj.get(key)
    return template.format(value) if value not in (None, "") else None


def describe(obj: Any) -> str:
    """One line for one Stripe object, whatever its type; fields the result lacks are left out."""
    if not isinstance(obj, dict):
        return f"`{obj}`"
    kind = obj.get("object")
    oid = _id(obj)
    if kind == "customer" or str(obj.get("id", "")).startswith("cus_"):
        bits = [b for b in (obj.get("name"), obj.get("email")) if b]
        if bits:
            return f"**{bits[0]}** ({_joined(oid, *bits[1:])})"
        return _joined("customer", oid, sep=" ")
    if kind == "product":
        name = _field(obj, "name", "**{}**")
        return _joined(name, f"({oid})" if oid and name else oid, sep=" ") or "a product"
    if kind == "price":
        inner = _joined(oid, _field(obj, "product", "product `{}`"))
        return _joined(amount_of(obj, "unit_amount") or "price", f"({inner})" if inner else None, sep=" ")
    if kind == "payment_link":
        url = obj.get("url")
        return f"{url} ({oid})" if url and oid else str(url or oid or "a payment link")
    if kind == "invoice":
        due = amount_of(obj, "amount_due")
        head = _joined("invoice", oid, sep=" ")
        tail = _joined(
            _field(obj, "status"),
            f"{due} due" if due else None,
            _field(obj, "hosted_invoice_url") or _field(obj, "url"),
        )
        return f"{head}: {tail}" if tail else head
    if kind == "payment_intent":
        state = _field(obj, "status", "({})")
        return _joined(amount_of(obj), "payment", oid, state, sep=" ")
    if kind == "refund":
        refunded = amount_of(obj)
        return _joined(
            "refund", oid, f"of {refunded}" if refunded else None, _field(obj, "status", "({})"), sep=" "
        )
    if kind == "subscription":
        inner = _joined(_field(obj, "status"), _field(obj, "customer", "customer `{}`"))
        return _joined("subscription", oid, f"({inner})" if inner else None, sep=" ")
    if kind == "coupon":
        return f"{_joined('coupon', oid, sep=' ')}: {coupon_terms(obj)}"
    if kind == "dispute":
        tail = _joined(amount_of(obj), _field(obj, "reason"), _field(obj, "status"))
        head = _joined("dispute", oid, sep=" ")
        return f"{head}: {tail}" if tail else head
    return oid or "an object"


def coupon_terms(obj: dict[str, Any]) -> str:
    if obj.get("percent_off"):
        off: str | None = f"{obj['percent_off']:g}% off"
    else:
        amount = amount_of(obj, "amount_off")
        off = f"{amount} off" if amount else None
    duration = obj.get("duration") or "once"
    months = obj.get("duration_in_months")
    if duration == "repeating":
        length = f"for {months:g} months" if isinstance(months, int | float) else "for several months"
        return _joined(off, length, sep=" ")
    return _joined(off, duration)


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
        return amount_of(item, key) or "—"
    value = item.get(key)
    if value is None or value == "":
        return "—"
    if key == "customer" and item.get("customer_name"):
        return f"{str(item['customer_name']).replace('|', '/')} (`{value}`)"
    text = str(value).replace("|", "\\|")
    return f"`{text}`" if key in ("id", "customer", "product") else text
