"""The one policy engine: for a policy and a tool, is it offered, does a call wait for a human, or
is it refused? Nothing else in the package answers these questions.

* ``"auto"``: every tool is offered and runs.
* ``"confirm"``: every tool is offered; a write waits for an explicit approval (the turn does the
  waiting, because it owns the conversation; :func:`verdict` says ``"approve"``).
* ``"read-only"``: write tools are not offered, and a write call that arrives anyway (a model that
  remembers an earlier turn's tools, or invents a name) is refused before it reaches any server.

Which tools are writes is :mod:`.classify`'s fail-safe answer, made once per tool in the catalogue.

A round's tools are a :class:`ToolMenu`: the one mapping between the names the model sees (MCP
names sanitised for OpenAI-compatible servers) and the MCP tools behind them. The same object
builds the offer and dispatches the calls, so a call can only reach a tool that was offered, under
the policy it was offered with, whatever spelling its name needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stripe_nb_agent.config import Settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.convert import ToolNames, openai_tool
from stripe_nb_agent.tools.results import failure
from stripe_nb_agent.tools.types import POLICIES, OpenAITool, Policy, ToolKind, ToolResult, ToolSpec
from stripe_nb_agent.tools.validate import unknown_tool_message

__all__ = [
    "ToolMenu",
    "Verdict",
    "call_kind",
    "check_policy",
    "default_policy",
    "needs_approval",
    "offered_tools",
    "policy_refusal",
    "verdict",
]

Verdict = Literal["run", "approve", "refuse"]


def check_policy(value: str) -> Policy:
    """``value`` as a :data:`Policy`, or a :class:`UsageError` naming the choices."""
    for policy in POLICIES:
        if value == policy:
            return policy
    raise UsageError(f"Unknown tool policy {value!r}: use one of {', '.join(POLICIES)}.")


def default_policy(settings: Settings) -> Policy:
    """``"confirm"`` against live Stripe (real objects, maybe real money), ``"auto"`` in the sandbox."""
    return "confirm" if settings.stripe_mode == "live" else "auto"


def call_kind(spec: ToolSpec, arguments: Any = None) -> ToolKind:
    """Read or write for one call: the tool's kind, unless the call itself says write.

    A generic read tool that takes an operation id (Stripe's ``stripe_api_read``) would carry a
    write operation as readily as a read: a call naming one that is not a ``Get…`` is a write,
    whatever the tool's kind (the server should refuse it too; this doesn't rely on that).
    """
    if spec.kind == "write":
        return "write"
    operation = arguments.get("stripe_api_operation_id") if isinstance(arguments, Mapping) else None
    if isinstance(operation, str) and operation and not operation.startswith("Get"):
        return "write"
    return "read"


def verdict(spec: ToolSpec, policy: Policy, arguments: Any = None) -> Verdict:
    """What ``policy`` does with a call of ``spec`` (with ``arguments``, when known): run it, hold it
    for approval, or refuse it."""
    if call_kind(spec, arguments) == "write":
        if policy == "read-only":
            return "refuse"
        if policy == "confirm":
            return "approve"
    return "run"


def needs_approval(spec: ToolSpec, policy: Policy) -> bool:
    """Whether a call of ``spec`` must wait for a human yes before it is sent."""
    return verdict(spec, policy) == "approve"


def offered_tools(specs: Sequence[ToolSpec], policy: Policy) -> list[ToolSpec]:
    """The tools the model may see under ``policy``."""
    return [s for s in specs if verdict(s, policy) != "refuse"]


def policy_refusal(spec: ToolSpec, policy: Policy, arguments: Any = None) -> ToolResult | None:
    """The refusal (a result the model reads, never sent) for a call ``policy`` forbids, else None."""
    if verdict(spec, policy, arguments) != "refuse":
        return None
    operation = arguments.get("stripe_api_operation_id") if isinstance(arguments, Mapping) else None
    what = f"{spec.name} with {operation}" if isinstance(operation, str) and operation else spec.name
    return failure(
        spec.name,
        "policy",
        f"{what} changes data and the tool policy is {policy}, so it was not called. "
        "Answer with read tools only, or tell the user that this needs the 'confirm' or 'auto' policy.",
        kind="write",
        sent=False,
    )


@dataclass(frozen=True)
class ToolMenu:
    """The tools of one round under one policy: the offer, and the way back from a call's name.

    ``tools`` is the ``tools`` list of the chat request. :meth:`dispatch` takes the name a model
    called and answers the :class:`ToolSpec` to call (by its MCP name) only if that exact name was
    offered; anything else is a refusal that never reaches a server.
    """

    policy: Policy
    tools: tuple[OpenAITool, ...]
    # Model-facing name -> spec, for the offered tools only.
    offered: Mapping[str, ToolSpec]
    # Model-facing name -> spec, for the tools the policy hides.
    hidden: Mapping[str, ToolSpec]

    @classmethod
    def build(cls, specs: Sequence[ToolSpec], policy: Policy, *, label: str = "Stripe") -> ToolMenu:
        # Names are sanitised over the whole catalogue, so a tool keeps its model-facing name
        # whatever the policy hides (two names that sanitise alike stay apart the same way).
        names = ToolNames.build(s.name for s in specs)
        offered: dict[str, ToolSpec] = {}
        hidden: dict[str, ToolSpec] = {}
        tools: list[OpenAITool] = []
        for spec in specs:
            facing = names.to_openai[spec.name]
            if verdict(spec, policy) == "refuse":
                hidden[facing] = spec
                continue
            offered[facing] = spec
            tools.append(openai_tool(spec, name=facing, label=label))
        return cls(policy=policy, tools=tuple(tools), offered=offered, hidden=hidden)

    @property
    def names(self) -> tuple[str, ...]:
        """The model-facing names offered this round."""
        return tuple(self.offered)

    def dispatch(self, name: str) -> ToolSpec | ToolResult:
        """The tool a call named ``name`` may run, or the refusal the model reads instead."""
        spec = self.offered.get(name)
        if spec is not None:
            return spec
        hidden = self.hidden.get(name)
        if hidden is not None:
            refusal = policy_refusal(hidden, self.policy)
            assert refusal is not None  # hidden means refused
            return refusal
        return failure(name, "unknown_tool", unknown_tool_message(name, list(self.offered)), kind="write")

    def verdict(self, spec: ToolSpec, arguments: Any = None) -> Verdict:
        return verdict(spec, self.policy, arguments)
