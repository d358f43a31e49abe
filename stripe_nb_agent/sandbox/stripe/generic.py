"""The ``generic`` profile: Stripe's 2026 remote surface (search, details, read, write, docs, account)."""

from __future__ import annotations

import re
from typing import Any

from stripe_nb_agent.sandbox.stripe.classic import account_info, documentation_answer, read_tool
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.generic_operations import OPERATIONS, Operation
from stripe_nb_agent.sandbox.stripe.sandbox_tool import (
    CallInfo,
    InputValidationError,
    SandboxTool,
    validate_input,
)
from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["GENERIC_TOOLS"]

Args = dict[str, Any]
_OP_ID = {"type": "string", "description": "A Stripe OpenAPI operation id, e.g. GetCustomers or PostRefunds."}
_PARAMS = {
    "type": "object",
    "description": "The operation's parameters (path parameters included), as stripe_api_details lists them.",
}
_WORD = re.compile(r"[a-z]+")
_SYNONYMS = {
    "list": "get",
    "show": "get",
    "find": "get",
    "fetch": "get",
    "retrieve": "get",
    "create": "post",
    "make": "post",
    "add": "post",
    "update": "post",
    "cancel": "delete",
    "remove": "delete",
    "refund": "refunds",
    "customer": "customers",
    "invoice": "invoices",
    "subscription": "subscriptions",
    "price": "prices",
    "product": "products",
    "coupon": "coupons",
    "dispute": "disputes",
    "charge": "charges",
    "payment": "payment_intents",
    "link": "payment_links",
}


def _operation(args: Args) -> Operation:
    op = OPERATIONS.get(args["stripe_api_operation_id"])
    if op is None:
        raise StripeAPIError(
            f"Unknown operation {args['stripe_api_operation_id']!r}; "
            "find operation ids with stripe_api_search.",
            param="stripe_api_operation_id",
        )
    return op


def _describe(op: Operation) -> dict[str, Any]:
    return {
        "stripe_api_operation_id": op.id,
        "method": op.method,
        "path": op.path,
        "resource": op.resource,
        "summary": op.summary,
    }


def api_search(store: StripeStore, args: Args, info: CallInfo) -> dict[str, Any]:
    words = set(_WORD.findall(str(args["intent"]).lower()))
    words |= {_SYNONYMS[w] for w in words if w in _SYNONYMS}
    resource = args.get("resource")
    scored = []
    for n, op in enumerate(OPERATIONS.values()):
        if resource and op.resource != resource.lower().replace(" ", "_"):
            continue
        text = set(_WORD.findall(f"{op.summary} {op.resource} {op.method}".lower())) | {op.resource}
        score = (
            len(words & text) + (2 if op.resource in words else 0) + (1 if op.method.lower() in words else 0)
        )
        if score or resource:
            scored.append((-score, n, op))
    found = [_describe(op) for _, _, op in sorted(scored)[: int(args.get("limit", 5))]]
    return {"operations": found, "hint": "Call stripe_api_details with an operation id for its parameters."}


def api_details(store: StripeStore, args: Args, info: CallInfo) -> dict[str, Any]:
    op = _operation(args)
    return {
        **_describe(op),
        "parameters": op.schema,
        "tool": "stripe_api_read" if op.method == "GET" else "stripe_api_write",
    }


def _run(store: StripeStore, args: Args, *, write: bool) -> Any:
    op = _operation(args)
    if write and op.method == "GET":
        raise StripeAPIError(
            f"{op.id} is a read operation; call it with stripe_api_read.", param="stripe_api_operation_id"
        )
    if not write and op.method != "GET":
        raise StripeAPIError(
            f"{op.id} changes data ({op.method}); call it with stripe_api_write.",
            param="stripe_api_operation_id",
        )
    params = dict(args.get("parameters") or {})
    validate_input(op.schema, params, where="parameters")
    if op.method == "DELETE" and args.get("human_confirmation") is not True:
        raise StripeAPIError(
            f"{op.id} cannot be undone: ask the user, then call again with human_confirmation: true.",
            param="human_confirmation",
        )
    return op.run(store, params)


GENERIC_TOOLS: tuple[SandboxTool, ...] = (
    read_tool(
        "stripe_api_search",
        "Search Stripe API operations",
        "Find Stripe API operations for an intent, e.g. 'refund a payment' or 'list customers'.",
        api_search,
        {
            "intent": {"type": "string", "minLength": 1},
            "resource": {"type": "string", "description": "Narrow to one resource, e.g. customers."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        },
        ("intent",),
    ),
    read_tool(
        "stripe_api_details",
        "Stripe API operation details",
        "The parameters (a JSON schema) of one Stripe API operation.",
        api_details,
        {"stripe_api_operation_id": _OP_ID},
        ("stripe_api_operation_id",),
    ),
    read_tool(
        "stripe_api_read",
        "Read from the Stripe API",
        "Call a read-only (GET) Stripe API operation. Lists come back as list envelopes.",
        lambda s, a, i: _run(s, a, write=False),
        {"stripe_api_operation_id": _OP_ID, "parameters": _PARAMS},
        ("stripe_api_operation_id",),
        open_world=True,
    ),
    SandboxTool(
        name="stripe_api_write",
        description="Call a Stripe API operation that changes data (POST or DELETE). DELETE operations need "
        "human_confirmation: true, given only after the user agreed.",
        input_schema={
            "type": "object",
            "properties": {
                "stripe_api_operation_id": _OP_ID,
                "parameters": _PARAMS,
                "human_confirmation": {"type": "boolean", "description": "The user approved this change."},
            },
            "required": ["stripe_api_operation_id"],
            "additionalProperties": False,
        },
        annotations={
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": False,
            "openWorldHint": True,
            "title": "Write to the Stripe API",
        },
        handler=lambda s, a, i: _run(s, a, write=True),
        title="Write to the Stripe API",
    ),
    read_tool(
        "search_stripe_documentation",
        "Search documentation",
        "Search the sandbox's documentation notes (not Stripe's docs).",
        documentation_answer,
        {
            "question": {"type": "string", "minLength": 1},
            "language": {
                "type": "string",
                "enum": ["dotnet", "go", "java", "node", "php", "ruby", "python", "curl"],
            },
        },
        ("question",),
    ),
    read_tool(
        "get_stripe_account_info",
        "Get account info",
        "Information about the Stripe account these tools act on (the sandbox account).",
        account_info,
    ),
)

__all__ += ["InputValidationError"]
