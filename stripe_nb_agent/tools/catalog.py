"""The tool catalogue: MCP tools -> :class:`ToolSpec`, cached with a TTL, stale on error.

A catalogue that cannot refresh keeps serving the last good list (a flaky network must not take
the tools away mid-conversation) and says so in :attr:`Catalog.warning`, which the surfaces show.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import anyio
import mcp_types as types

from stripe_nb_agent.errors import ToolError
from stripe_nb_agent.tools.classify import classify
from stripe_nb_agent.tools.convert import fallback_description
from stripe_nb_agent.tools.types import ToolKind, ToolSpec

__all__ = ["DEFAULT_TTL_S", "Catalog", "CatalogRow", "catalog_rows", "spec_from_mcp"]

DEFAULT_TTL_S = 3600.0

Clock = Callable[[], float]


def spec_from_mcp(tool: types.Tool, *, label: str = "Stripe", trusted: bool = False) -> ToolSpec:
    """One MCP tool as a :class:`ToolSpec`; a missing description gets a fallback.

    ``trusted``: the server's annotations decide read/write (see :mod:`.classify`).
    """
    annotations: dict[str, Any] = (
        tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
    )
    kind = classify(tool.name, annotations, trusted=trusted)
    schema = tool.input_schema if isinstance(tool.input_schema, dict) else {}
    return ToolSpec(
        name=tool.name,
        description=(tool.description or "").strip() or fallback_description(tool.name, kind, label),
        input_schema=schema,
        kind=kind,
        annotations=annotations,
        title=tool.title or annotations.get("title"),
    )


class CatalogRow(TypedDict):
    """One tool as a table row; ``parameters`` and ``required`` are comma-separated names."""

    name: str
    kind: ToolKind
    parameters: str
    required: str
    description: str


def catalog_rows(specs: Sequence[ToolSpec]) -> list[CatalogRow]:
    """One row per tool, ready for ``pandas.DataFrame(rows)`` or a plain HTML table."""
    return [
        {
            "name": s.name,
            "kind": s.kind,
            "parameters": ", ".join(s.parameters),
            "required": ", ".join(s.required),
            "description": s.description,
        }
        for s in specs
    ]


@dataclass
class _Snapshot:
    specs: tuple[ToolSpec, ...]
    fetched_at: float


@dataclass
class Catalog:
    """Caches what ``fetch`` returns for ``ttl_s`` seconds of ``clock``."""

    fetch: Callable[[], Awaitable[Sequence[ToolSpec]]]
    ttl_s: float = DEFAULT_TTL_S
    clock: Clock = time.monotonic
    warning: str | None = None
    _snapshot: _Snapshot | None = field(default=None, init=False)
    _stale: bool = field(default=False, init=False)
    _lock: anyio.Lock = field(default_factory=anyio.Lock, init=False)

    def invalidate(self) -> None:
        """Refetch on next use (the server said ``notifications/tools/list_changed``)."""
        self._stale = True

    @property
    def cached(self) -> tuple[ToolSpec, ...] | None:
        return self._snapshot.specs if self._snapshot else None

    def _fresh(self) -> bool:
        snap = self._snapshot
        return snap is not None and not self._stale and self.clock() - snap.fetched_at < self.ttl_s

    async def get(self, *, refresh: bool = False) -> tuple[ToolSpec, ...]:
        """The tools, fetched when missing, expired, invalidated or ``refresh`` is set.

        Raises the fetch's :class:`ToolError` only when there is no earlier list to fall back on.
        """
        if not refresh and self._fresh():
            assert self._snapshot is not None
            return self._snapshot.specs
        async with self._lock:
            # Another caller may have refreshed while this one waited for the lock.
            if not refresh and self._fresh():
                assert self._snapshot is not None
                return self._snapshot.specs
            self._stale = False
            try:
                specs = tuple(await self.fetch())
            except ToolError as exc:
                if self._snapshot is None:
                    raise
                age = self.clock() - self._snapshot.fetched_at
                self.warning = (
                    f"Could not refresh the tool list ({exc}); still using the list fetched "
                    f"{_age(age)} ago. It refreshes again on the next use; call list_tools(refresh=True) "
                    "to retry now."
                )
                # Retry on the next use rather than after a whole TTL.
                self._stale = True
                return self._snapshot.specs
            self._snapshot = _Snapshot(specs, self.clock())
            self.warning = None
            return specs


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
