"""The store's machinery: lock, sandbox clock, deterministic ids, collections and pagination.

Operations live in :mod:`.store`; this module knows nothing about business rules.
"""

from __future__ import annotations

import copy
import random
import string
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, NotRequired, TypedDict

from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError

__all__ = [
    "FIXED_NOW",
    "KINDS",
    "ListEnvelope",
    "Snapshot",
    "StoreBase",
    "StripeObject",
]

# 2026-06-30T12:00:00Z: the sandbox's fixed "now", so every output is reproducible.
FIXED_NOW = 1_782_820_800

StripeObject = dict[str, Any]

# Collection name -> (id prefix, Stripe's name for it in "No such ..." errors, list url).
KINDS: dict[str, tuple[str, str, str]] = {
    "customer": ("cus_", "customer", "/v1/customers"),
    "product": ("prod_", "product", "/v1/products"),
    "price": ("price_", "price", "/v1/prices"),
    "payment_link": ("plink_", "payment_link", "/v1/payment_links"),
    "invoice": ("in_", "invoice", "/v1/invoices"),
    "invoiceitem": ("ii_", "invoiceitem", "/v1/invoiceitems"),
    "payment_intent": ("pi_", "payment_intent", "/v1/payment_intents"),
    "charge": ("ch_", "charge", "/v1/charges"),
    "refund": ("re_", "refund", "/v1/refunds"),
    "subscription": ("sub_", "subscription", "/v1/subscriptions"),
    "subscription_item": ("si_", "subscription_item", "/v1/subscription_items"),
    "coupon": ("", "coupon", "/v1/coupons"),
    "dispute": ("dp_", "dispute", "/v1/disputes"),
    "balance_transaction": ("txn_", "balance_transaction", "/v1/balance_transactions"),
}
_ALPHABET = string.ascii_letters + string.digits
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class ListEnvelope(TypedDict):
    object: str
    data: list[StripeObject]
    has_more: bool
    url: str


class Snapshot(TypedDict):
    """Everything needed to rebuild a store exactly (what persistence writes)."""

    now: int
    frozen_clock: bool
    rng_state: list[Any]
    objects: dict[str, list[StripeObject]]
    account: StripeObject
    seed: NotRequired[int]


class StoreBase:
    """Collections of Stripe objects kept in creation order, behind one re-entrant lock.

    Reads and writes take the lock, so a mutation (a refund touching a charge, a balance
    transaction and a payment intent) is atomic for every other caller, thread or task.
    """

    def __init__(self, *, seed: int, now: int, frozen_clock: bool) -> None:
        self._lock = threading.RLock()
        self._seed = seed
        self._now = now
        self._frozen_clock = frozen_clock
        self._rng = random.Random(seed)
        self._objects: dict[str, dict[str, StripeObject]] = {kind: {} for kind in KINDS}
        self._by_id: dict[str, tuple[str, StripeObject]] = {}
        self.account: StripeObject = {}
        self.delay = 0.0
        self._listeners: list[Callable[[], None]] = []

    # -- clock and ids ---------------------------------------------------------------------

    def now(self) -> int:
        """The sandbox clock (unix seconds); fixed by default, moving one second per new object."""
        if not self._frozen_clock:
            return max(int(time.time()), self._now)
        return self._now

    def _tick(self) -> int:
        """Stamp for a new object: with the fixed clock, every creation advances it one second."""
        stamp = self.now()
        self._now = stamp + 1
        return stamp

    def _new_id(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(self._rng.choice(_ALPHABET) for _ in range(length))

    def random_token(self, length: int = 24) -> str:
        return self._new_id("", length)

    # -- collections -----------------------------------------------------------------------

    def _insert(self, kind: str, obj: StripeObject) -> StripeObject:
        self._objects[kind][obj["id"]] = obj
        self._by_id[obj["id"]] = (kind, obj)
        return obj

    def _get(self, kind: str, object_id: object, param: str) -> StripeObject:
        if not isinstance(object_id, str) or not object_id:
            raise StripeAPIError.parameter_missing(param)
        found = self._objects[kind].get(object_id)
        if found is None:
            raise StripeAPIError.missing(KINDS[kind][1], object_id, param)
        return found

    def retrieve(self, kind: str, object_id: str, param: str = "id") -> StripeObject:
        """A deep copy of one object (callers can never mutate the store by accident)."""
        with self._lock:
            return copy.deepcopy(self._get(kind, object_id, param))

    def fetch(self, object_id: str) -> StripeObject:
        """Any object by id, whatever its type (``fetch_stripe_resources``)."""
        with self._lock:
            if object_id == self.account.get("id"):
                return copy.deepcopy(self.account)
            found = self._by_id.get(object_id)
            if found is None:
                raise StripeAPIError(f"No such object: '{object_id}'", code="resource_missing", param="id")
            return copy.deepcopy(found[1])

    def _page(
        self,
        kind: str,
        *,
        limit: object = None,
        starting_after: object = None,
        where: Callable[[StripeObject], bool] | None = None,
        url: str | None = None,
    ) -> ListEnvelope:
        """Newest first, Stripe's cursor pagination (``limit`` 1..100, default 10)."""
        size = _limit(limit)
        with self._lock:
            # Newest first; among equal timestamps the later-created object comes first.
            ranked = sorted(
                enumerate(self._objects[kind].values()),
                key=lambda pair: (int(pair[1].get("created", 0)), pair[0]),
                reverse=True,
            )
            items: Iterable[StripeObject] = [obj for _, obj in ranked]
            if where is not None:
                items = [obj for obj in items if where(obj)]
            ordered = list(items)
            start = 0
            if starting_after is not None:
                if not isinstance(starting_after, str):
                    raise StripeAPIError("Invalid string: starting_after", param="starting_after")
                ids = [obj["id"] for obj in ordered]
                if starting_after not in ids:
                    raise StripeAPIError.missing(KINDS[kind][1], starting_after, "starting_after")
                start = ids.index(starting_after) + 1
            page = ordered[start : start + size]
            return {
                "object": "list",
                "data": copy.deepcopy(page),
                "has_more": start + size < len(ordered),
                "url": url or KINDS[kind][2],
            }

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._objects[kind])

    # -- change notification and snapshots -----------------------------------------------

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed mutation (persistence hooks in here)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    def snapshot(self) -> Snapshot:
        with self._lock:
            state = self._rng.getstate()
            return {
                "now": self._now,
                "frozen_clock": self._frozen_clock,
                "rng_state": [state[0], list(state[1]), state[2]],
                "objects": {kind: copy.deepcopy(list(objs.values())) for kind, objs in self._objects.items()},
                "account": copy.deepcopy(self.account),
                "seed": self._seed,
            }

    def restore(self, snap: Snapshot) -> None:
        with self._lock:
            self._now = int(snap["now"])
            self._frozen_clock = bool(snap["frozen_clock"])
            version, internal, gauss = snap["rng_state"]
            self._rng.setstate((version, tuple(internal), gauss))
            self._objects = {kind: {} for kind in KINDS}
            self._by_id = {}
            for kind, objs in snap["objects"].items():
                if kind not in self._objects:
                    continue
                for obj in objs:
                    self._insert(kind, copy.deepcopy(obj))
            self.account = copy.deepcopy(snap["account"])


def _limit(value: object) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeAPIError("Invalid integer: limit", code="parameter_invalid_integer", param="limit")
    if not 1 <= value <= MAX_LIMIT:
        raise StripeAPIError(
            f"This value must be between 1 and {MAX_LIMIT}, inclusive (got {value}).",
            code="parameter_invalid_integer",
            param="limit",
        )
    return value
