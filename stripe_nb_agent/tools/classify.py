"""Read or write: which tools may change state.

The class decides whether a call may be retried, whether it needs approval under the "confirm"
policy and whether it is offered at all under "read-only". Annotations win when the server sends
them; otherwise the name decides, and anything not obviously a read counts as a write (a wrongly
guarded read costs a click, a wrongly trusted write can cost money).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stripe_nb_agent.tools.types import ToolKind

__all__ = ["READ_NAMES", "READ_PREFIXES", "classify"]

READ_PREFIXES: tuple[str, ...] = ("list_", "retrieve_", "search_", "get_", "fetch_", "read_", "describe_")
# Tools of Stripe's generic profile whose names don't follow the prefixes.
READ_NAMES: frozenset[str] = frozenset(
    {"stripe_api_read", "stripe_api_search", "stripe_api_details", "stripe_analytics"}
)


def classify(name: str, annotations: Mapping[str, Any] | None = None) -> ToolKind:
    """``"read"`` or ``"write"`` for one tool, from its MCP annotations or else its name."""
    hints = annotations or {}
    if hints.get("destructiveHint") is True:
        return "write"
    read_only = hints.get("readOnlyHint")
    if read_only is True:
        return "read"
    if read_only is False:
        return "write"
    bare = name.rsplit(".", 1)[-1].rsplit("/", 1)[-1].lower()
    if bare in READ_NAMES or bare.startswith(READ_PREFIXES):
        return "read"
    return "write"
