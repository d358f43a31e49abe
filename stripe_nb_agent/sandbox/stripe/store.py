"""The sandbox's one stateful store of Stripe-shaped objects.

    store = StripeStore()                      # seeded, fixed clock 2026-06-30T12:00:00Z
    store.create_refund(payment_intent="pi_...", amount=500)
    store.reset()                              # back to the seed state
    StripeStore(path="workshop.sqlite")        # survives a kernel restart

Everything is deterministic: the same seed gives the same ids, amounts and timestamps.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stripe_nb_agent.sandbox.stripe.base import FIXED_NOW, KINDS, StripeObject
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.objects import StripeObjects
from stripe_nb_agent.sandbox.stripe.seed import populate

if TYPE_CHECKING:
    from stripe_nb_agent.sandbox.stripe.persistence import StoreFile

__all__ = ["DEFAULT_SEED", "StripeStore"]

DEFAULT_SEED = 20260630
_SEARCHABLE = {
    "customers": "customer",
    "products": "product",
    "prices": "price",
    "invoices": "invoice",
    "payment_intents": "payment_intent",
    "charges": "charge",
    "subscriptions": "subscription",
}
# Fields whose exact-match clauses (email:"a@b.co") are answered from an index, not a scan.
_INDEXED = frozenset({"email", "name", "status", "customer", "currency", "product"})
# One clause of Stripe's search syntax: field:"value", field~"value", metadata['k']:"v", field>123.
_CLAUSE = re.compile(
    r"""(?P<field>metadata\[['"][^'"]+['"]\]|[a-z_]+)\s*(?P<op>:|~|>=|<=|>|<)\s*(?P<value>"[^"]*"|'[^']*'|[^\s]+)"""
)


class StripeStore(StripeObjects):
    """The sandbox's objects, seeded, searchable, optionally kept in a file; thread- and task-safe.

    ``path`` keeps the state in a SQLite file (loaded if it exists, each change written as it
    happens; one store per file at a time, :meth:`close` releases it);
    ``delay`` adds that many seconds to every MCP tool call, to show concurrency.
    """

    def __init__(
        self,
        *,
        seed: int = DEFAULT_SEED,
        now: int = FIXED_NOW,
        frozen_clock: bool = True,
        path: str | Path | None = None,
        delay: float = 0.0,
        seed_data: bool = True,
    ) -> None:
        super().__init__(seed=seed, now=now, frozen_clock=frozen_clock)
        self._initial_now = now
        self._seed_data = seed_data
        self.path = Path(path) if path is not None else None
        self._file: StoreFile | None = None
        self._writes = 0
        if self.path is not None:
            from stripe_nb_agent.sandbox.stripe.persistence import StoreFile

            self._file = StoreFile.open(self.path)
            try:
                stored = self._file.load()
                if stored is not None:
                    self.restore(*stored)
                else:
                    self._build_seed()
                    self._file.write_all(self.snapshot(), self.positions())
                self._dirty.clear()
            except BaseException:
                self._file.close()
                raise
            self.on_change(self._save)
        else:
            self._build_seed()
        self.delay = delay

    def _save(self) -> None:
        """Write what the last change touched (not the whole store); see :mod:`.persistence`."""
        assert self._file is not None
        with self._lock:
            rows, deleted = self._take_dirty()
            self._writes += 1
            # The id generator's state is 5 KB of JSON: written every 1,024 changes and on close (at
            # 256 it was a fifth of a write's cost, and the store file's write 5x the memory one);
            # after a crash, _new_id skips the ids a replayed generator would hand out again.
            state = self.state() if self._writes % 1024 == 0 else None
            self._file.write(rows, deleted, state=state)

    def close(self) -> None:
        """Write the final state and release the store file (another kernel may then open it)."""
        if self._file is None:
            return
        with self._lock:
            rows, deleted = self._take_dirty()
            self._file.write(rows, deleted, state=self.state())
            self._file.close()
            self._file = None
            self._listeners = [listener for listener in self._listeners if listener != self._save]

    def __enter__(self) -> StripeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build_seed(self) -> None:
        import random

        with self._lock:
            self._rng = random.Random(self._seed)
            self._now = self._initial_now
            self.account = {
                "id": "acct_1SandboxNbAgent",
                "object": "account",
                "business_profile": {
                    "name": "Northwind Coffee Roasters (sandbox)",
                    "url": "https://example.com",
                },
                "business_type": "company",
                "charges_enabled": True,
                "country": "US",
                "created": self._initial_now - 400 * 86_400,
                "default_currency": "usd",
                "details_submitted": True,
                "email": "owner@northwind.example",
                "livemode": False,
                "payouts_enabled": True,
                "settings": {
                    "dashboard": {"display_name": "Northwind Coffee (sandbox)", "timezone": "Etc/UTC"}
                },
                "type": "standard",
            }
            if self._seed_data:
                listeners, self._listeners = self._listeners, []
                try:
                    populate(self)
                finally:
                    self._listeners = listeners

    def reset(self) -> None:
        """Back to the seed state (and, with a ``path``, write that state to the file)."""
        with self._lock:
            self._clear()
            self._build_seed()
            self._dirty.clear()
            if self._file is not None:
                self._file.write_all(self.snapshot(), self.positions())
        self._changed()

    # -- search ---------------------------------------------------------------------------------

    def search(self, resource: str, query: str, *, limit: object = None) -> dict[str, Any]:
        """Stripe's search syntax: ``email:"a@b.co"``, ``name~"ada"``, ``metadata['k']:"v"``, AND/OR."""
        kind = _SEARCHABLE.get(resource)
        if kind is None:
            raise StripeAPIError(
                f"Unsupported search resource: {resource}. Use one of {', '.join(_SEARCHABLE)}.",
                param="query",
            )
        alternatives = [_parse(part, query) for part in re.split(r"\s+OR\s+", query.strip())]

        def match(obj: StripeObject) -> bool:
            return any(all(_clause_matches(obj, *c) for c in clauses) for clauses in alternatives)

        page = self._page(
            kind,
            where=match,
            limit=limit,
            url=f"/v1/{resource}/search",
            among=self._candidates(kind, alternatives),
        )
        return {
            "object": "search_result",
            "data": page["data"],
            "has_more": page["has_more"],
            "next_page": None,
            "url": page["url"],
        }

    def _candidates(self, kind: str, alternatives: list[list[tuple[str, str, str]]]) -> set[str] | None:
        """The ids an index says can match (each OR-part has an exact clause on an indexed field),
        or None when some part needs a scan."""
        found: set[str] = set()
        for clauses in alternatives:
            exact = next(((f, v) for f, op, v in clauses if op == ":" and f in _INDEXED), None)
            if exact is None:
                return None
            found |= self._matching_ids(kind, *exact)
        return found

    def search_any(self, query: str, *, limit: object = None) -> dict[str, Any]:
        """``customers:email:"x"`` (resource-prefixed, as ``search_stripe_resources`` takes it)."""
        resource, sep, rest = query.partition(":")
        if not sep or resource not in _SEARCHABLE:
            raise StripeAPIError(
                'Search queries start with a resource, e.g. customers:email:"ada@example.com"; '
                f"got {query!r}.",
                param="query",
            )
        return self.search(resource, rest, limit=limit)

    def kinds(self) -> tuple[str, ...]:
        return tuple(KINDS)


def _parse(part: str, query: str) -> list[tuple[str, str, str]]:
    clauses = []
    for chunk in re.split(r"\s+AND\s+", part.strip()):
        m = _CLAUSE.fullmatch(chunk.strip())
        if m is None:
            raise StripeAPIError(
                f'Invalid search query: {query!r}. Write clauses like email:"ada@example.com" or name~"ada".',
                code="parameter_invalid_string",
                param="query",
            )
        value = m["value"]
        if value[:1] in "\"'":
            value = value[1:-1]
        clauses.append((m["field"], m["op"], value))
    return clauses


def _clause_matches(obj: StripeObject, field: str, op: str, value: str) -> bool:
    if field.startswith("metadata["):
        actual: Any = obj.get("metadata", {}).get(field[10:-2])
    else:
        actual = obj.get(field)
    if op in (">", "<", ">=", "<="):
        try:
            number = float(value)
        except ValueError:
            return False
        if not isinstance(actual, (int, float)):
            return False
        return {">": actual > number, "<": actual < number, ">=": actual >= number, "<=": actual <= number}[
            op
        ]
    if actual is None:
        return False
    text = str(actual).lower()
    return value.lower() in text if op == "~" else text == value.lower()
