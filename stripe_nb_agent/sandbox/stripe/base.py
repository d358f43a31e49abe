"""The store's machinery: lock, sandbox clock, deterministic ids, collections and pagination.

Operations live in :mod:`.store`; this module knows nothing about business rules.
"""

from __future__ import annotations

import bisect
import pickle
import random
import string
import threading
import time
from collections.abc import Callable
from typing import Any, NotRequired, TypedDict, TypeVar, cast

from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError

__all__ = [
    "FIXED_NOW",
    "KINDS",
    "ListEnvelope",
    "Snapshot",
    "StoreBase",
    "StripeObject",
    "copied",
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
assert len(_ALPHABET) == 62  # _new_id draws 6 bits per character
# The top byte of a 32-bit output -> the character its top 6 bits choose, or NUL (redrawn) for 62, 63.
_TOP_BITS = bytes.maketrans(
    bytes(range(256)), bytes(ord(_ALPHABET[b >> 2]) if b >> 2 < 62 else 0 for b in range(256))
)
DEFAULT_LIMIT = 10
MAX_LIMIT = 100

_T = TypeVar("_T")


def copied(value: _T) -> _T:
    """A deep copy of Stripe-shaped data (dicts, lists, scalars), shared parts still shared.

    The store hands out copies so that no caller can change it by accident. Pickle's round trip
    makes the same copy of builtin containers as ``copy.deepcopy`` at a seventh of the cost: the
    copies were a third of building the seed data, and every list and retrieve makes one.
    """
    return cast(_T, pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))


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
    next_position: NotRequired[int]


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
        # Per kind, (created, position, id) in ascending order, kept sorted on every insert and
        # delete, so a page is a slice from the end: O(page), not a sort of the whole collection.
        self._order: dict[str, list[tuple[int, int, str]]] = {kind: [] for kind in KINDS}
        self._keys: dict[str, tuple[int, int, str]] = {}
        self._next_position = 0
        # Ids written or deleted since persistence last took them (see _take_dirty), and where
        # each deleted one was (kind, position), for the file's row to go too.
        self._dirty: set[str] = set()
        self._removed: dict[str, tuple[str, int]] = {}
        # Exact-match search indexes, (kind, field) -> lowercased value -> ids; built on first
        # use and brought up to date from _stale (the ids changed since) before each lookup.
        self._indexes: dict[tuple[str, str], dict[str, set[str]]] = {}
        self._indexed: dict[str, list[tuple[tuple[str, str], str]]] = {}
        self._stale: set[str] = set()
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
        # Each character is random.choice(_ALPHABET) made exactly as Random.choice makes it:
        # getrandbits(6), redrawn while >= 62. getrandbits(6) is the top 6 bits of one 32-bit
        # output of the generator, and getrandbits(32 * n) is n outputs, least significant first:
        # one call per batch draws the same characters and leaves the same state as one call per
        # character, for the same ids from the same seed at half the cost (ids are most of
        # building the seed data).
        while True:
            drawn = ""
            while len(drawn) < length:
                need = length - len(drawn)
                words = self._rng.getrandbits(32 * need).to_bytes(4 * need, "little")
                drawn += words[3::4].translate(_TOP_BITS).replace(b"\0", b"").decode("ascii")
            new = prefix + drawn
            # Never hand out an id in use (a store file reopened after a crash replays the RNG).
            if new not in self._by_id:
                return new

    def random_token(self, length: int = 24) -> str:
        return self._new_id("", length)

    # -- collections -----------------------------------------------------------------------

    def _insert(self, kind: str, obj: StripeObject, position: int | None = None) -> StripeObject:
        object_id = obj["id"]
        old = self._keys.get(object_id)
        if old is not None:
            self._unindex(kind, object_id)
        if position is None:
            position = old[1] if old is not None else self._next_position
        self._next_position = max(self._next_position, position + 1)
        key = (int(obj.get("created", 0)), position, object_id)
        bisect.insort(self._order[kind], key)
        self._keys[object_id] = key
        self._objects[kind][object_id] = obj
        self._by_id[object_id] = (kind, obj)
        self._dirty.add(object_id)
        self._stale.add(object_id)
        return obj

    def _remove(self, kind: str, object_id: str) -> None:
        key = self._keys.get(object_id)
        if key is not None:
            self._removed.setdefault(object_id, (kind, key[1]))
        self._unindex(kind, object_id)
        self._objects[kind].pop(object_id, None)
        self._by_id.pop(object_id, None)
        self._dirty.add(object_id)
        self._stale.add(object_id)

    def _unindex(self, kind: str, object_id: str) -> None:
        key = self._keys.pop(object_id, None)
        if key is None:
            return
        order = self._order[kind]
        at = bisect.bisect_left(order, key)
        if at < len(order) and order[at] == key:
            del order[at]

    def _touch(self, object_id: str) -> None:
        """Mark an object changed in place, so persistence writes it with the change."""
        self._dirty.add(object_id)
        self._stale.add(object_id)

    def _get(self, kind: str, object_id: object, param: str) -> StripeObject:
        """An object for a change to act on (marked changed: persistence writes it)."""
        found = self._peek(kind, object_id, param)
        self._dirty.add(found["id"])
        self._stale.add(found["id"])
        return found

    def _peek(self, kind: str, object_id: object, param: str) -> StripeObject:
        if not isinstance(object_id, str) or not object_id:
            raise StripeAPIError.parameter_missing(param)
        found = self._objects[kind].get(object_id)
        if found is None:
            raise StripeAPIError.missing(KINDS[kind][1], object_id, param)
        return found

    def retrieve(self, kind: str, object_id: str, param: str = "id") -> StripeObject:
        """A deep copy of one object (callers can never mutate the store by accident)."""
        with self._lock:
            return copied(self._peek(kind, object_id, param))

    def fetch(self, object_id: str) -> StripeObject:
        """Any object by id, whatever its type (``fetch_stripe_resources``)."""
        with self._lock:
            if object_id == self.account.get("id"):
                return copied(self.account)
            found = self._by_id.get(object_id)
            if found is None:
                raise StripeAPIError(f"No such object: '{object_id}'", code="resource_missing", param="id")
            return copied(found[1])

    def _page(
        self,
        kind: str,
        *,
        limit: object = None,
        starting_after: object = None,
        where: Callable[[StripeObject], bool] | None = None,
        url: str | None = None,
        among: set[str] | None = None,
    ) -> ListEnvelope:
        """Newest first, Stripe's cursor pagination (``limit`` 1..100, default 10)."""
        size = _limit(limit)
        with self._lock:
            order = self._order[kind]
            if among is not None:  # candidates from an index: rank just those
                order = sorted(self._keys[i] for i in among if i in self._objects[kind])
            end = len(order)
            if starting_after is not None:
                if not isinstance(starting_after, str):
                    raise StripeAPIError("Invalid string: starting_after", param="starting_after")
                key = self._keys.get(starting_after)
                if key is None or starting_after not in self._objects[kind]:
                    raise StripeAPIError.missing(KINDS[kind][1], starting_after, "starting_after")
                end = bisect.bisect_left(order, key)
            objects = self._objects[kind]
            page: list[StripeObject] = []
            if where is None:
                page = [objects[order[i][2]] for i in range(end - 1, max(0, end - size) - 1, -1)]
                has_more = end > size
            else:
                # Newest first, stopping at one match past the page (that one only says has_more).
                for i in range(end - 1, -1, -1):
                    obj = objects[order[i][2]]
                    if where(obj):
                        page.append(obj)
                        if len(page) > size:
                            break
                has_more = len(page) > size
                page = page[:size]
            return {
                "object": "list",
                "data": copied(page),
                "has_more": has_more,
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

    def _matching_ids(self, kind: str, field: str, value: str) -> set[str]:
        """Ids of ``kind`` whose ``field`` equals ``value`` (case-insensitive), from the index."""
        with self._lock:
            index = self._indexes.get((kind, field))
            if index is None:
                index = self._indexes[(kind, field)] = {}
                for object_id, obj in self._objects[kind].items():
                    self._index_one(kind, field, index, object_id, obj)
            if self._stale:
                for object_id in self._stale:
                    for entry, old in self._indexed.pop(object_id, []):
                        self._indexes[entry].get(old, set()).discard(object_id)
                    found = self._by_id.get(object_id)
                    if found is not None:
                        for (k, f), idx in self._indexes.items():
                            if k == found[0]:
                                self._index_one(k, f, idx, object_id, found[1])
                self._stale.clear()
            return set(index.get(value.lower(), ()))

    def _index_one(
        self, kind: str, field: str, index: dict[str, set[str]], object_id: str, obj: StripeObject
    ) -> None:
        actual = obj.get(field)
        if actual is None:
            return
        value = str(actual).lower()
        index.setdefault(value, set()).add(object_id)
        self._indexed.setdefault(object_id, []).append(((kind, field), value))

    def _clear(self) -> None:
        """No objects at all (and no index entries for them); the caller holds the lock."""
        self._objects = {kind: {} for kind in KINDS}
        self._order = {kind: [] for kind in KINDS}
        self._by_id = {}
        self._keys = {}
        self._next_position = 0
        self._indexes = {}
        self._indexed = {}
        self._stale = set()
        self._removed = {}

    def _take_dirty(self) -> tuple[list[tuple[str, StripeObject, int]], list[tuple[str, str, int]]]:
        """What changed since the last call: ``(kind, object, position)`` rows to write and
        ``(kind, id, position)`` rows to delete."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            removed, self._removed = self._removed, {}
            rows, deleted = [], []
            for object_id in dirty:
                found = self._by_id.get(object_id)
                was = removed.get(object_id)
                position = self._keys[object_id][1] if found is not None else None
                if was is not None and was[1] != position:
                    deleted.append((was[0], object_id, was[1]))
                if found is not None and position is not None:
                    rows.append((found[0], found[1], position))
            return rows, deleted

    def state(self) -> dict[str, Any]:
        """The snapshot without its objects (clock, id generator, account)."""
        with self._lock:
            rng = self._rng.getstate()
            return {
                "now": self._now,
                "frozen_clock": self._frozen_clock,
                "rng_state": [rng[0], list(rng[1]), rng[2]],
                "account": copied(self.account),
                "seed": self._seed,
                "next_position": self._next_position,
            }

    def snapshot(self) -> Snapshot:
        """Everything, objects in creation order (what a new store file starts with)."""
        with self._lock:
            objects = {
                kind: [objs[key[2]] for key in sorted(self._order[kind], key=lambda k: k[1])]
                for kind, objs in self._objects.items()
            }
            return cast(Snapshot, {**self.state(), "objects": copied(objects)})

    def positions(self) -> list[int]:
        """Each object's position, in :meth:`snapshot` order."""
        with self._lock:
            return [key[1] for kind in self._objects for key in sorted(self._order[kind], key=lambda k: k[1])]

    def restore(self, snap: Snapshot, positions: list[int] | None = None) -> None:
        with self._lock:
            self._now = int(snap["now"])
            self._frozen_clock = bool(snap["frozen_clock"])
            version, internal, gauss = snap["rng_state"]
            self._rng.setstate((version, tuple(internal), gauss))
            self._clear()
            at = iter(positions) if positions is not None else None
            for kind, objs in snap["objects"].items():
                if kind not in self._objects:
                    continue
                for obj in objs:
                    self._insert(kind, copied(obj), next(at) if at is not None else None)
            self.account = copied(snap["account"])
            self._next_position = max(self._next_position, int(snap.get("next_position", 0)))


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
