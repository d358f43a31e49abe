"""The offline model: a DAT1-compatible server answered by a rule-based planner (not a language model).

Names load on first use: the kernel reaches :func:`get_sandbox_model_server` (a child process
handle) without importing the server, uvicorn or the phrasebook reader it runs in that child.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stripe_nb_agent._lazy import lazy_names

if TYPE_CHECKING:
    from stripe_nb_agent.sandbox.model.pace import ENV_PACE
    from stripe_nb_agent.sandbox.model.planner import DISCLOSURE, Persona, Plan, plan_reply
    from stripe_nb_agent.sandbox.model.process import SandboxModelProcess, get_sandbox_model_server
    from stripe_nb_agent.sandbox.model.server import (
        PERSONAS,
        SandboxModelServer,
        ServerState,
        build_app,
        model_name,
    )

__all__ = [
    "DISCLOSURE",
    "ENV_PACE",
    "PERSONAS",
    "Persona",
    "Plan",
    "SandboxModelProcess",
    "SandboxModelServer",
    "ServerState",
    "build_app",
    "get_sandbox_model_server",
    "model_name",
    "plan_reply",
]

_LAZY = {
    "ENV_PACE": "stripe_nb_agent.sandbox.model.pace",
    **dict.fromkeys(("DISCLOSURE", "Persona", "Plan", "plan_reply"), "stripe_nb_agent.sandbox.model.planner"),
    **dict.fromkeys(
        ("SandboxModelProcess", "get_sandbox_model_server"), "stripe_nb_agent.sandbox.model.process"
    ),
    **dict.fromkeys(
        ("PERSONAS", "SandboxModelServer", "ServerState", "build_app", "model_name"),
        "stripe_nb_agent.sandbox.model.server",
    ),
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
