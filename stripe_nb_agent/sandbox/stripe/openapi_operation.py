"""One Stripe API operation of the ``generic`` profile, and the builders the catalogue is written with.

An operation is its OpenAPI id, method, path, a JSON schema for its ``parameters`` (path parameters
included, under Stripe's names) and the store call that runs it. Most of Stripe's surface comes in
two repeated shapes, each built by one helper: a paged list with optional equality filters
(:func:`listing`), and an action on one object named in the path (:func:`on_object`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = [
    "INTEGER",
    "METADATA",
    "PAGE",
    "STRING",
    "Method",
    "Operation",
    "listing",
    "on_object",
    "op",
    "pick",
]

Params = dict[str, Any]
Method = Literal["GET", "POST", "DELETE"]
Run = Callable[[StripeStore, Params], Any]

STRING = {"type": "string"}
INTEGER = {"type": "integer"}
METADATA = {"type": "object", "additionalProperties": {"type": "string"}}
PAGE = {
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "starting_after": {"type": "string", "description": "Cursor: the last id of the previous page."},
}


@dataclass(frozen=True)
class Operation:
    id: str
    method: Method
    path: str
    resource: str
    summary: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    run: Run

    @property
    def schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


def pick(p: Params, *names: str) -> Params:
    """The named parameters that were given (absent ones stay absent, so store defaults apply)."""
    return {n: p[n] for n in names if n in p}


def op(
    id: str,
    method: Method,
    path: str,
    resource: str,
    summary: str,
    run: Run,
    properties: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    paged: bool = False,
) -> Operation:
    props = dict(properties or {})
    if paged:
        props.update(PAGE)
    return Operation(id, method, path, resource, summary, props, required, run)


def listing(
    id: str,
    resource: str,
    summary: str,
    lister: Callable[..., Any],
    filters: dict[str, Any] | None = None,
) -> Operation:
    """``GET /v1/{resource}``: ``lister(store, **filters, limit=, starting_after=)``, paged."""
    names = tuple(filters or {})

    def run(store: StripeStore, p: Params) -> Any:
        return lister(
            store,
            **{n: p.get(n) for n in names},
            limit=p.get("limit"),
            starting_after=p.get("starting_after"),
        )

    return op(id, "GET", f"/v1/{resource}", resource, summary, run, filters, paged=True)


def on_object(
    id: str, method: Method, path: str, resource: str, summary: str, action: Callable[[StripeStore, str], Any]
) -> Operation:
    """An operation whose only parameter is the object id in its path (``/v1/invoices/{invoice}/...``)."""
    param = path[path.rindex("{") + 1 : path.rindex("}")]
    return op(
        id, method, path, resource, summary, lambda s, p: action(s, p[param]), {param: STRING}, (param,)
    )
