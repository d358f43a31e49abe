"""What every workflow is made of: the report it returns, its context, and one checked call.

A workflow is a generator: it yields the calls of one round, receives their observations and
finally returns a :class:`Report`. A failed call ends it with a report of the failure (:class:`Stop`),
never a retry.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from stripe_nb_agent.sandbox.model.offered_tools import Call, Missing, Observation, OfferedTools, as_list

__all__ = [
    "Context",
    "Report",
    "Step",
    "Stop",
    "Workflow",
    "ask",
    "call_notes",
    "check",
    "need",
    "one",
    "step",
    "stop",
]


@dataclass(frozen=True)
class Report:
    """What a workflow found or did: a summary line, detail lines, caveats."""

    summary: str
    details: tuple[str, ...] = ()
    failed: bool = False
    notes: tuple[str, ...] = ()
    # A question back to the user instead of a guess: nothing was written.
    asked: bool = False


Workflow = Generator[list[Call], list[Observation], Report]
Step = Generator[list[Call], list[Observation], Observation]


@dataclass(frozen=True)
class Context:
    """What a workflow may use besides its request: the tools, and ids from earlier turns."""

    box: OfferedTools
    # Object ids mentioned in each earlier exchange (a user message and what followed), oldest first.
    memory: tuple[tuple[str, ...], ...] = ()
    objects: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def recent(self, *prefixes: str) -> str | None:
        """The one object "it" points at: the only id with a prefix in the latest exchange that
        mentions any; None when that exchange mentions several (a list), so the workflow asks.

        Only for a request that points back at one object ("it", "that customer"): a write never
        falls back to whatever id happens to be last in the conversation.
        """
        for exchange in reversed(self.memory):
            # Prefixes in order of preference: a payment's charge is mentioned with the payment.
            for prefix in prefixes:
                found = dict.fromkeys(i for i in exchange if i.startswith(prefix))
                if found:
                    return next(iter(found)) if len(found) == 1 else None
        return None


class Stop(Exception):
    """Ends a workflow early with a report (a missing tool, a failed call, a missing id)."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary)
        self.report = report


def stop(summary: str, *details: str) -> Stop:
    """A :class:`Stop` carrying a failed report, for ``raise stop(...)``."""
    return Stop(Report(summary, tuple(details), failed=True))


def ask(question: str, *details: str) -> Stop:
    """A :class:`Stop` that asks the user instead of guessing (a target or an amount not resolved)."""
    return Stop(Report(question, tuple(details), asked=True))


def need(found: Call | Missing, what: str) -> Call:
    """The call, if it can be made: an unoffered tool or a required argument we lack stops the workflow."""
    if isinstance(found, Missing):
        raise stop(found.explain(what))
    if found.missing:
        # The call would only fail the tool's input validation: say so instead of making it.
        raise stop(
            f"I can't {what}: the `{found.name}` tool offered here requires "
            f"{', '.join(f'`{m}`' for m in found.missing)}, which this request does not give. "
            "Rephrase the request to include it, or connect tools that can do this."
        )
    return found


def check(obs: Observation, what: str) -> Observation:
    if obs.ok:
        return obs
    error = obs.error or "the call failed"
    if "(declined)" in error:
        raise stop(f"The call to `{obs.call.name}` was declined, so I did not {what}. Nothing was changed.")
    if "(cancelled)" in error or "(policy)" in error:
        raise stop(f"The call to `{obs.call.name}` was not made ({error}), so I did not {what}.")
    raise stop(f"I tried to {what}, but `{obs.call.name}` failed: {error}")


def step(ctx: Context, op: str, params: dict[str, Any], what: str) -> Step:
    """One call of one operation, checked."""
    (obs,) = yield [need(ctx.box.op(op, params), what)]
    return check(obs, what)


def call_notes(*observations: Observation) -> tuple[str, ...]:
    notes = []
    for obs in observations:
        if "recurring" in obs.call.dropped:
            # Name only tools this chat offers: the generic tools are mentioned as absent.
            notes.append(
                f"The `{obs.call.name}` tool offered here takes no recurring interval, so this is a one-time "
                "price, not a subscription price. Stripe's newer generic MCP tools can create recurring "
                "prices, but they are not offered in this chat."
            )
        elif obs.call.dropped:
            notes.append(f"`{obs.call.name}` could not take: {', '.join(obs.call.dropped)}.")
    return tuple(notes)


def one(obs: Observation) -> dict[str, Any]:
    """The object of a result; the first one of a list or list envelope."""
    items = as_list(obs.data)
    if items:
        return items[0]
    return obs.data if isinstance(obs.data, dict) and obs.data.get("object") != "list" else {}
