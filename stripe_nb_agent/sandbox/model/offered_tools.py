"""The tools a request offers, and how one Stripe operation becomes a call to them.

The planner thinks in Stripe's OpenAPI operation ids (``PostCustomers``, ``GetBalance``, ...). A
:class:`OfferedTools` turns one into a call on whatever the request offered: the classic per-resource
tools (``create_customer``), or the generic ``stripe_api_read``/``stripe_api_write`` pair. It plans
only among the tools offered: an operation with no tool is reported as missing, never invented.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Call", "Missing", "Observation", "OfferedTools", "Profile", "as_list", "looks_failed"]

Profile = Literal["classic", "generic", "none"]

Args = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One tool call the planner wants made.

    ``dropped`` names arguments the tool cannot take; ``missing`` names arguments its schema requires
    that the request does not give (such a call would fail validation, so it is never made).
    """

    name: str
    arguments: Mapping[str, Any]
    op: str = ""
    dropped: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def arguments_json(self) -> str:
        return json.dumps(dict(self.arguments), ensure_ascii=False, separators=(", ", ": "))


@dataclass(frozen=True)
class Missing:
    """An operation the offered tools cannot perform, with a sentence saying why."""

    op: str
    tool: str
    write: bool

    def explain(self, what: str) -> str:
        if self.write:
            return (
                f"I can't {what}: no tool that writes to Stripe (`{self.tool}`) is offered in this chat. "
                "The tool policy is probably read-only; switch it to 'auto' or 'confirm' to allow changes."
            )
        return f"I can't {what}: the `{self.tool}` tool is not offered in this chat."


@dataclass(frozen=True)
class Observation:
    """What came back for one call: parsed JSON when it parsed, and whether it failed."""

    call: Call
    content: str
    data: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# op id -> (classic tool, translate generic-style parameters to the classic tool's arguments)
def _same(p: Args) -> Args:
    return dict(p)


def _link(p: Args) -> Args:
    item = (p.get("line_items") or [{}])[0]
    return {"price": item.get("price"), "quantity": item.get("quantity", 1)}


def _rename(old: str, new: str) -> Callable[[Args], Args]:
    def convert(p: Args) -> Args:
        out = {k: v for k, v in p.items() if k != old}
        out[new] = p.get(old)
        return out

    return convert


def _fetch(key: str) -> Callable[[Args], Args]:
    return lambda p: {"id": p[key]}


_CLASSIC: dict[str, tuple[str, Callable[[Args], Args]]] = {
    "GetAccount": ("get_stripe_account_info", _same),
    "GetBalance": ("retrieve_balance", _same),
    "GetCustomers": ("list_customers", _same),
    "PostCustomers": ("create_customer", _same),
    "GetCustomersCustomer": ("fetch_stripe_resources", _fetch("customer")),
    "GetCustomersSearch": ("search_stripe_resources", _same),
    "GetProducts": ("list_products", _same),
    "PostProducts": ("create_product", _same),
    "GetPrices": ("list_prices", _same),
    "PostPrices": ("create_price", _same),
    "PostPaymentLinks": ("create_payment_link", _link),
    "GetInvoices": ("list_invoices", _same),
    "PostInvoices": ("create_invoice", _same),
    "PostInvoiceitems": ("create_invoice_item", _same),
    "PostInvoicesInvoiceFinalize": ("finalize_invoice", _same),
    "GetPaymentIntents": ("list_payment_intents", _same),
    "PostRefunds": ("create_refund", _same),
    "GetSubscriptions": ("list_subscriptions", _same),
    "DeleteSubscriptionsSubscriptionExposedId": (
        "cancel_subscription",
        _rename("subscription_exposed_id", "subscription"),
    ),
    "PostSubscriptionsSubscriptionExposedId": (
        "update_subscription",
        _rename("subscription_exposed_id", "subscription"),
    ),
    "GetCoupons": ("list_coupons", _same),
    "PostCoupons": ("create_coupon", _same),
    "GetDisputes": ("list_disputes", _same),
    "PostDisputesDispute": ("update_dispute", _same),
}
DOCS_TOOL = "search_stripe_documentation"
FETCH_TOOL = "fetch_stripe_resources"


@dataclass(frozen=True)
class OfferedTools:
    """The tools of one request, by name, with their JSON schemas."""

    schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_request(cls, tools: Sequence[Any] | None) -> OfferedTools:
        schemas: dict[str, Mapping[str, Any]] = {}
        for tool in tools or ():
            fn = tool.get("function") if isinstance(tool, dict) else None
            if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                params = fn.get("parameters")
                schemas[fn["name"]] = params if isinstance(params, dict) else {}
        return cls(schemas)

    @property
    def profile(self) -> Profile:
        if "stripe_api_read" in self.schemas or "stripe_api_write" in self.schemas:
            return "generic"
        return "classic" if self.schemas else "none"

    def has(self, name: str) -> bool:
        return name in self.schemas

    def op(self, op: str, params: Args | None = None) -> Call | Missing:
        """A call performing Stripe operation ``op`` with generic-style ``params``."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        write = not op.startswith("Get")
        if self.profile == "generic":
            tool = "stripe_api_write" if write else "stripe_api_read"
            if not self.has(tool):
                return Missing(op, tool, write)
            args: Args = {"stripe_api_operation_id": op}
            if params:
                args["parameters"] = params
            return Call(tool, args, op)
        tool, convert = _CLASSIC[op]
        if not self.has(tool):
            return Missing(op, tool, write)
        return self._fit(tool, convert(params), op)

    def takes(self, op: str, *params: str) -> bool:
        """Whether the tool for ``op`` is offered and accepts these (generic-style) parameters."""
        found = self.op(op, dict.fromkeys(params, ""))
        if isinstance(found, Missing):
            return False
        # The generic tools pass any operation's parameters through; classic ones may drop them.
        return not found.dropped

    def tool(self, name: str, arguments: Args) -> Call | Missing:
        """A call on a named tool (documentation search, fetch), when offered."""
        if not self.has(name):
            return Missing(name, name, write=False)
        return self._fit(name, {k: v for k, v in arguments.items() if v is not None}, name)

    def _fit(self, tool: str, args: Args, op: str) -> Call:
        schema = self.schemas[tool]
        required = schema.get("required")
        props = schema.get("properties")
        # Classic schemas forbid extra properties: drop what the tool cannot take, and say so.
        if isinstance(props, dict) and schema.get("additionalProperties") is False:
            kept = {k: v for k, v in args.items() if k in props}
            dropped = tuple(k for k in args if k not in props)
        else:
            kept, dropped = args, ()
        missing = tuple(str(r) for r in required if r not in kept) if isinstance(required, list) else ()
        return Call(tool, kept, op, dropped, missing)


def as_list(data: Any) -> list[dict[str, Any]]:
    """Objects of a result: a bare array (classic), a list envelope or search result (generic)."""
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if isinstance(data, list):
        return [item for item in data if isinstance(item, dict)]
    return []


_FAILURE_PREFIXES = ("failed to", "stripe api error", "input validation error", "error:", "error executing")


def looks_failed(content: str) -> tuple[Any, str | None]:
    """Parse a tool message: (data, None) when it succeeded, (data, reason) when it failed.

    Failures come in many shapes: our agent's ``{"error": ..., "kind": ...}``, Stripe's
    ``{"error": {"message": ...}}``, a classic JSON string literal such as "Failed to create refund",
    or an MCP error text ("Stripe API error: ...", "Input validation error: ...").
    """
    try:
        data: Any = json.loads(content)
    except (ValueError, TypeError):
        data = content
    if isinstance(data, dict) and "error" in data and "id" not in data:
        err = data["error"]
        if isinstance(err, dict):
            message = str(err.get("message") or err.get("code") or "the call failed")
        else:
            message = str(err)
        kind = data.get("kind")
        if kind in ("declined", "cancelled", "policy"):
            message = f"{message} ({kind})"
        return data, message
    if isinstance(data, str) and data.strip().lower().startswith(_FAILURE_PREFIXES):
        return data, data.strip()
    return data, None
