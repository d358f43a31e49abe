"""A write call in words, for the approval line and card: what will happen, to what, for how much.

    Refund €64.00 of pi_Jv60Xk… — Jane Doe, €64.00, 28 Jun

JSON arguments are exact but hard to check at a glance: amounts are in minor units, targets are
opaque ids. The preview says the operation, the amount in major units with its currency, and each
target with what the conversation already knows of it (objects seen in earlier tool results).
It never calls a tool to find out more: a preview must not cost a request, let alone a write.
Pure: no I/O, no UI.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from stripe_nb_agent.money import format_amount
from stripe_nb_agent.tools.classify import name_words
from stripe_nb_agent.tools.results import mentioned_ids

__all__ = ["describe_call", "describe_object", "known_objects", "objects_in_messages"]

Objects = Mapping[str, Mapping[str, Any]]

# Argument names that hold an amount in minor units, most specific first.
_AMOUNT_KEYS = ("amount", "unit_amount", "amount_off", "amount_due")
_VERB_WORDS = {"post": "create", "delete": "delete", "get": "retrieve"}
# Stripe's operation-id suffixes that name an action on one object ("PostInvoicesInvoiceFinalize").
_ACTIONS = {"finalize", "pay", "void", "send", "cancel", "capture", "confirm", "close", "reopen"}


def _walk(value: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        if isinstance(value.get("id"), str):
            yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def known_objects(values: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Every object with an ``id`` inside ``values`` (tool results, oldest first), by id.

    A later sighting updates an earlier one field by field, so a trimmed result (``{"id": ...}``)
    never erases what a fuller one said.
    """
    known: dict[str, dict[str, Any]] = {}
    for value in values:
        for obj in _walk(value):
            merged = known.setdefault(str(obj["id"]), {})
            merged.update({k: v for k, v in obj.items() if v is not None})
    return known


def objects_in_messages(messages: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The parsed JSON of every tool message (what earlier calls returned), oldest first."""
    found: list[Any] = []
    decoder = json.JSONDecoder()
    for message in messages:
        content = message.get("content")
        if message.get("role") != "tool" or not isinstance(content, str):
            continue
        try:
            # The leading JSON value: a result capped for the model ends in a note after it.
            found.append(decoder.raw_decode(content.lstrip())[0])
        except ValueError:
            continue  # plain text
    return found


def _short(object_id: str) -> str:
    return object_id if len(object_id) <= 14 else object_id[:9] + "…"


def _money(amount: Any, currency: Any) -> str | None:
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    if isinstance(currency, str) and currency:
        return format_amount(amount, currency)
    return f"{amount:g} (minor units, currency not given)"


def _date(created: Any) -> str | None:
    if isinstance(created, bool) or not isinstance(created, int | float):
        return None
    when = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    return f"{when.day} {when:%b %Y}"


def _person(customer: Any, known: Objects) -> str | None:
    if isinstance(customer, Mapping):
        obj: Mapping[str, Any] | None = customer
    elif isinstance(customer, str):
        obj = known.get(customer)
    else:
        obj = None
    if not obj:
        return None
    name, email = obj.get("name"), obj.get("email")
    if name and email:
        return f"{name} <{email}>"
    return str(name or email) if (name or email) else None


def describe_object(object_id: str, known: Objects) -> str:
    """``pi_Jv60Xk… — Jane Doe, €64.00, 28 Jun 2026``; just the id when nothing is known of it."""
    obj = known.get(object_id)
    if not obj:
        return f"{_short(object_id)} (not seen in this conversation)"
    facts: list[str] = []
    kind = obj.get("object")
    if kind == "customer":
        person = _person(obj, known)
    else:
        person = _person(obj.get("customer"), known)
        title = obj.get("name") or obj.get("description")
        if title and kind in ("product", "price", "coupon", "payment_link"):
            facts.append(str(title))
    if person:
        facts.append(person)
    currency = obj.get("currency")
    for key in ("amount", "amount_due", "total", "unit_amount"):
        money = _money(obj.get(key), currency)
        if money and obj.get(key) is not None:
            facts.append(money)
            break
    refunded = obj.get("amount_refunded")
    if isinstance(refunded, int) and refunded > 0:
        facts.append(f"{_money(refunded, currency)} already refunded")
    status = obj.get("status")
    if isinstance(status, str) and kind in ("invoice", "subscription", "payment_intent", "dispute"):
        facts.append(status)
    when = _date(obj.get("created"))
    if when:
        facts.append(when)
    return f"{_short(object_id)} — {', '.join(facts)}" if facts else _short(object_id)


def _operation(name: str, arguments: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any]]:
    """(verb, noun, the operation's own arguments), from a tool name or a generic operation id."""
    operation = arguments.get("stripe_api_operation_id")
    if isinstance(operation, str) and operation:
        words = name_words(operation)  # "PostInvoicesInvoiceFinalize" -> post, invoices, ...
        params = arguments.get("parameters")
        inner: Mapping[str, Any] = params if isinstance(params, Mapping) else {}
        if not words:
            return "call", operation, inner
        verb = _VERB_WORDS.get(words[0], words[0])
        noun = words[1].removesuffix("s") if len(words) > 1 else ""
        if words[-1] in _ACTIONS:
            verb = words[-1]
        elif verb == "create" and len(words) > 2:
            verb = "update"  # "PostCustomersCustomer": an existing object
        elif verb == "delete" and noun == "subscription":
            verb = "cancel"
        return verb, noun.replace("_", " "), inner
    words = name_words(re.split(r"[./]", name)[-1])
    if not words:
        return "call", name, arguments
    return words[0], " ".join(words[1:]), arguments


def _amount(args: Mapping[str, Any], currency: Any) -> str | None:
    for key in _AMOUNT_KEYS:
        if key in args:
            return _money(args[key], currency)
    percent = args.get("percent_off")
    if isinstance(percent, int | float) and not isinstance(percent, bool):
        return f"{percent:g}% off"
    return None


def describe_call(name: str, arguments: Any, known: Objects) -> str:
    """One line in words for a write call: operation, amount in major units, targets as known."""
    args: Mapping[str, Any] = arguments if isinstance(arguments, Mapping) else {}
    verb, noun, inner = _operation(name, args)
    ids = mentioned_ids(inner)
    targets = [describe_object(i, known) for i in ids]
    # A currency may come with the call or from the object it targets (a refund of a payment).
    currency = inner.get("currency")
    if not currency:
        currency = next((known[i].get("currency") for i in ids if i in known), None)
    amount = _amount(inner, currency)
    if verb == "refund" or noun == "refund":
        target = targets[0] if targets else "a payment that was not named"
        if amount is None:
            paid = next((known[i] for i in ids if i in known), None)
            left = None
            if paid is not None:
                total = paid.get("amount_received", paid.get("amount"))
                if isinstance(total, int):
                    left = _money(total - int(paid.get("amount_refunded") or 0), paid.get("currency"))
            amount = f"the full {left}" if left else "the full amount"
        return f"Refund {amount} of {target}"
    head = f"{verb.capitalize()} {noun}".strip()
    title = inner.get("name") or inner.get("description") or inner.get("email")
    parts = [head]
    if isinstance(title, str) and title:
        parts.append(repr(title))
        email = inner.get("email")
        if isinstance(email, str) and email and email != title:
            parts.append(f"<{email}>")
    if amount:
        parts.append(amount)
    line = " ".join(parts)
    if targets:
        line += (" for " if verb == "create" else " ") + "; ".join(targets)
    return line
