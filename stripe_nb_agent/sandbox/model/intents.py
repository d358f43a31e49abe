"""What a user asked for: a message cut into clauses, each read as one request.

A message is cut into clauses ("show my balance and my last 3 customers" -> two requests); a clause
that means nothing on its own is glued back to the one before it, and follow-ups such as "and give
me a payment link" or "and finalize it" become steps of the request they follow. Each clause's kind
comes from the phrasebook reader (:mod:`.understand`), its slots from rules (:mod:`.slots`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal, Protocol

from stripe_nb_agent.sandbox.model.request import Intent, Kind
from stripe_nb_agent.sandbox.model.slots import by_rules, qualified, read_slots

__all__ = ["CLOSE", "WRITE_SURE", "Intent", "Kind", "Read", "parse_clause", "parse_intents", "read_slots"]


class Reading(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def writes(self) -> bool: ...


# A clause -> its readings, best first; empty when it reads as nothing the stand-in knows.
Read = Callable[[str], Sequence[Reading]]
# A rival reading this close to the best one (as a share of its probability) makes the request unclear.
CLOSE = 0.35
_QUESTION_FORM = re.compile(
    r"\s*(?:how much|how many|what|which|who|did|does|is|are|was|were|when|why)\b", re.I
)
# A write is done only when its reading is at least this probable.
WRITE_SURE = 0.5
_SPLIT = re.compile(
    r"\s*(?:,?\s*\band then\b|,?\s*\bthen\b|,?\s*\band also\b|,?\s*\band\b|;|\.\s+|\?\s+)\s*", re.I
)
# Words that make a clause a request of its own rather than the rest of the previous one.
_STANDALONE = re.compile(
    r"\b(create|add|make|new|list|show|find|get|give|send|refund|cancel|stop|finali[sz]e|update|change|"
    r"move|search|look|bill|invoice|charge|sell|how|what|who|customers?|products?|prices?|invoices?|"
    r"payments?|balance|subscriptions?|coupons?|disputes?|links?|account|docs?|my|all)\b",
    re.I,
)


def parse_intents(text: str, read: Read | Literal["rules"] | None = None) -> list[Intent]:
    """Every request in ``text``, in order; an empty list when nothing was understood.

    ``read`` tells the kind of each clause, best reading first. By default it is the phrasebook
    reader (:mod:`.understand`) when the embedding extra is installed; with ``"rules"``, or
    without the extra, the keyword rules of :func:`parse_clause` decide, a weaker fallback.
    """
    if read is None:
        from stripe_nb_agent.sandbox.model.understand import reader

        loaded = reader()
        read = loaded.readings if loaded else "rules"
    chosen = read

    def parse_clause(clause: str) -> Intent | None:
        if chosen != "rules":
            return _by_reading(clause, chosen)
        intent = by_rules(clause)
        return qualified(intent, clause.strip()) if intent and intent.kind.startswith("list_") else intent

    clauses = [c for c in _SPLIT.split(text.strip()) if c and c.strip()]
    found: list[tuple[Intent, str]] = []  # each request with the text it was read from
    pending = ""
    for piece in clauses:
        clause = f"{pending} and {piece}" if pending else piece
        intent = parse_clause(clause)
        if intent is None or (found and not pending and not _STANDALONE.search(clause)):
            # A fragment such as the rest of a name with "and" in it: glue it back and re-read.
            if found and not pending:
                previous, source = found[-1]
                merged = parse_clause(f"{source} and {clause}")
                if merged is not None and merged.kind == previous.kind and merged != previous:
                    merged = replace(
                        merged,
                        with_link=merged.with_link or previous.with_link,
                        with_finalize=merged.with_finalize or previous.with_finalize,
                    )
                    found[-1] = (merged, f"{source} and {clause}")
                    continue
            if intent is None:
                pending = clause
                continue
        pending = ""
        if found and _adds_nothing(found[-1][0], intent):
            continue  # the same request said twice ("reverse ch_8 and return the funds")
        if found and _folds_into(found[-1][0], intent):
            found[-1] = (_fold(found[-1][0], intent), found[-1][1])
            continue
        found.append((intent, clause))
    return [intent for intent, _ in found]


def _adds_nothing(first: Intent, then: Intent) -> bool:
    """``then`` is ``first`` again: the same kind, and every slot it fills, ``first`` fills alike."""
    if then.kind != first.kind:
        return False
    ignored = ("unsure", "question", "count", "when", "latest")
    return all(
        value in (None, False, ()) or getattr(first, name) == value
        for name, value in vars(then).items()
        if name not in ignored
    )


def _folds_into(first: Intent, then: Intent) -> bool:
    if then.kind == "create_payment_link" and then.ref is None and then.price is None:
        return first.kind in ("create_product", "create_price")
    if then.kind == "finalize_invoice" and then.ref in (None, "it"):
        return first.kind == "create_invoice"
    return False


def _fold(first: Intent, then: Intent) -> Intent:
    if then.kind == "create_payment_link":
        return replace(first, with_link=True)
    return replace(first, with_finalize=True)


def _by_reading(clause: str, read: Read) -> Intent | None:
    readings = read(clause)
    if not readings:
        return None
    best = readings[0]
    intent = read_slots(best.kind, clause)
    if intent is None:
        return None
    # A write read with little confidence, or close readings that disagree on writing: the planner
    # asks instead of picking one.
    if best.writes and _QUESTION_FORM.match(clause):
        # A question read as a write ("how much did I bill Ada?"): ask rather than write.
        read_instead = next((r.kind for r in readings[1:] if not r.writes), None)
        return replace(intent, unsure=(best.kind, read_instead) if read_instead else (best.kind,))
    if best.writes and best.score < WRITE_SURE:
        rivals = [r.kind for r in readings[1:3] if r.score >= best.score * CLOSE / 2]
        return replace(intent, unsure=(best.kind, *rivals))
    rivals = [r.kind for r in readings[1:3] if r.score >= best.score * CLOSE and r.writes != best.writes]
    return replace(intent, unsure=(best.kind, *rivals)) if rivals else intent


def parse_clause(clause: str) -> Intent | None:
    """One request in one clause by the keyword rules alone (the fallback reader), or None."""
    return by_rules(clause)
