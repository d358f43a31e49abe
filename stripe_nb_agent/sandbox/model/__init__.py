"""The offline model: a DAT1-compatible server answered by a rule-based planner (not a language model)."""

from __future__ import annotations

from stripe_nb_agent.sandbox.model.planner import DISCLOSURE, Persona, Plan, plan_reply
from stripe_nb_agent.sandbox.model.server import (
    ENV_PACE,
    PERSONAS,
    SandboxModelServer,
    ServerState,
    build_app,
    get_sandbox_model_server,
    model_name,
)

__all__ = [
    "DISCLOSURE",
    "ENV_PACE",
    "PERSONAS",
    "Persona",
    "Plan",
    "SandboxModelServer",
    "ServerState",
    "build_app",
    "format_amount",
    "get_sandbox_model_server",
    "model_name",
    "plan_reply",
]
