"""Which tools the model is offered, and which calls wait for a human.

* ``"auto"``: every tool is offered and runs.
* ``"confirm"``: every tool is offered; a write waits for an explicit approval. The agent does
  the waiting (it owns the conversation); this module only answers :func:`needs_approval`.
* ``"read-only"``: write tools are not offered, and a write call that arrives anyway (a model that
  remembers an earlier turn's tools) is refused as a result the model reads.
"""

from __future__ import annotations

from collections.abc import Sequence

from stripe_nb_agent.config import Settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.results import failure
from stripe_nb_agent.tools.types import POLICIES, Policy, ToolResult, ToolSpec

__all__ = ["check_policy", "default_policy", "needs_approval", "offered_tools", "policy_refusal"]


def check_policy(value: str) -> Policy:
    """``value`` as a :data:`Policy`, or a :class:`UsageError` naming the choices."""
    for policy in POLICIES:
        if value == policy:
            return policy
    raise UsageError(f"Unknown tool policy {value!r}: use one of {', '.join(POLICIES)}.")


def default_policy(settings: Settings) -> Policy:
    """``"confirm"`` against live Stripe (real objects, maybe real money), ``"auto"`` in the sandbox."""
    return "confirm" if settings.stripe_mode == "live" else "auto"


def needs_approval(spec: ToolSpec, policy: Policy) -> bool:
    """Whether a call of ``spec`` must wait for a human yes before it is sent."""
    return policy == "confirm" and spec.kind == "write"


def offered_tools(specs: Sequence[ToolSpec], policy: Policy) -> list[ToolSpec]:
    """The tools the model may see under ``policy``."""
    if policy == "read-only":
        return [s for s in specs if s.kind == "read"]
    return list(specs)


def policy_refusal(spec: ToolSpec, policy: Policy) -> ToolResult | None:
    """The refusal for a call ``policy`` forbids, or None when it may run."""
    if policy == "read-only" and spec.kind == "write":
        return failure(
            spec.name,
            "policy",
            f"{spec.name} changes data and the tool policy is read-only, so it was not called. "
            "Answer with read tools only, or tell the user that this needs the 'confirm' or 'auto' policy.",
            kind="write",
            sent=False,
        )
    return None
