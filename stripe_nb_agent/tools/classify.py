"""Read or write: which tools may change state. Fail-safe: when in doubt, a write.

The class decides whether a call may be retried, whether it waits for approval under "confirm"
and whether it is offered at all under "read-only", so a wrong "read" can cost money while a wrong
"write" costs a click. The rules, in order:

1. A tool is a **write** if its name says so (a write verb anywhere in it: ``create``, ``cancel``,
   ``capture``, ...; or a word like ``refund`` or ``payout`` that is an action unless the name starts
   with a read verb) **or** its annotations do (``readOnlyHint: false``, ``destructiveHint: true``).
2. Otherwise it is a **read** if its name says so: it starts with a read verb (``list_``,
   ``retrieve``, ``getTinyImage``) or is one of Stripe's generic read tools.
3. Otherwise, a **write**: no signal, or only an untrusted ``readOnlyHint: true``.

The MCP specification calls annotations untrusted hints unless the server is trusted, so by
default a ``readOnlyHint`` can't downgrade anything (a server that names a tool ``create_payout``
and annotates it read-only gets a write). A server the user marks trusted (``trusted=True`` on the
tool client) has its annotations decide whenever it sends ``readOnlyHint`` or ``destructiveHint``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stripe_nb_agent.tools.types import ToolKind

__all__ = ["ACTION_NOUNS", "READ_NAMES", "READ_VERBS", "WRITE_WORDS", "classify", "name_words"]

# A name whose first word is one of these reads (when no write word is in it).
READ_VERBS: frozenset[str] = frozenset(
    """
    list retrieve search get fetch read describe find lookup show query count view inspect
    browse check explain summarize summarise
    """.split()  # noqa: SIM905
)
# Stripe's generic-profile tools whose names don't start with a read verb.
READ_NAMES: frozenset[str] = frozenset(
    {"stripe_api_read", "stripe_api_search", "stripe_api_details", "stripe_analytics"}
)
# Any of these anywhere in a name makes it a write. Plurals are not listed: "list_refunds" reads.
WRITE_WORDS: frozenset[str] = frozenset(
    """
    create update delete remove cancel finalize finalise void capture send attach detach set add
    modify edit write upsert insert put patch archive unarchive approve confirm submit reverse
    redeem apply revoke close reopen pause resume restore publish accept reject expire increment
    decrement purge clear reset terminate reschedule purchase buy subscribe unsubscribe invite
    grant assign move rename migrate execute trigger invoke enable disable activate deactivate
    verify settle withdraw topup mint burn sign generate
    """.split()  # noqa: SIM905
)
# Words that are both an object and an action ("get_refund" reads, "refund_payment" writes): a
# write unless the name starts with a read verb.
ACTION_NOUNS: frozenset[str] = frozenset(
    """
    refund charge payout transfer pay issue order book post run schedule dispute invoice release
    deposit upload import sync merge mark
    """.split()  # noqa: SIM905
)

_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    """``"billing.create-refund"`` -> ``["billing", "create", "refund"]``; camelCase split too."""
    words: list[str] = []
    for part in _SPLIT.split(name):
        words.extend(w.lower() for w in _CAMEL.split(part) if w)
    return words


def _name_kind(name: str) -> ToolKind | None:
    """What the name alone says: "write", "read", or None (no signal)."""
    words = name_words(name)
    if any(w in WRITE_WORDS for w in words):
        return "write"
    # The last dotted or slashed segment is the tool's own name ("stripe.list_customers").
    bare = re.split(r"[./]", name)[-1]
    bare_words = name_words(bare)
    reads = bare.lower() in READ_NAMES or (bool(bare_words) and bare_words[0] in READ_VERBS)
    if not reads and any(w in ACTION_NOUNS for w in words):
        return "write"
    return "read" if reads else None


def _annotation_kind(annotations: Mapping[str, Any]) -> ToolKind | None:
    if annotations.get("destructiveHint") is True or annotations.get("readOnlyHint") is False:
        return "write"
    if annotations.get("readOnlyHint") is True:
        return "read"
    return None


def classify(name: str, annotations: Mapping[str, Any] | None = None, *, trusted: bool = False) -> ToolKind:
    """``"read"`` or ``"write"`` for one tool (see the module docstring for the rules)."""
    hinted = _annotation_kind(annotations or {})
    if trusted and hinted is not None:
        return hinted
    named = _name_kind(name)
    if named == "write" or hinted == "write":
        return "write"
    return "read" if named == "read" else "write"
