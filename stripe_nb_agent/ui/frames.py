"""The agent's state as DataFrames, one builder per table.

The magic's subcommands and the package's functions (``stripe_nb_agent.models()``) show these, so a
table looks the same wherever it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.tools.types import ToolSpec

__all__ = ["history_frame", "metrics_frame", "models_frame", "tools_frame"]

MODEL_COLUMNS = ["model", "kind", "default", "current", "usable", "why not", "surface", "aliases"]
MODEL_COLUMNS += ["endpoint", "description"]
HISTORY_COLUMNS = ["prompt", "answer", "model", "tool calls", "stop"]
METRIC_COLUMNS = ["turn", "model", "rounds", "tool_calls", "ttft_s", "tokens_per_s", "tool_time_s"]
METRIC_COLUMNS += ["total_s", "stop"]


def models_frame(agent: Agent) -> pd.DataFrame:
    """Every model the agent's registry knows: usable now (and why not), which one is in use."""
    return pd.DataFrame(
        [
            {
                "model": row.name,
                "kind": row.kind,
                "default": row.default,
                "current": row.name == agent.model,
                "usable": row.usable,
                "why not": row.why_not,
                "surface": row.surface,
                "aliases": ", ".join(row.aliases),
                "endpoint": row.endpoint,
                "description": row.description,
            }
            for row in agent.models()
        ],
        columns=MODEL_COLUMNS,
    )


def tools_frame(specs: Iterable[ToolSpec]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "server": s.server,
                "tool": s.name,
                "kind": s.kind,
                "parameters": ", ".join(s.parameters),
                "description": " ".join(s.description.split())[:160],
            }
            for s in specs
        ]
    )


def history_frame(conversation: Conversation) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "prompt": t.prompt,
                "answer": t.text if len(t.text) <= 200 else t.text[:199] + "…",
                "model": t.model,
                "tool calls": ", ".join(t.tool_calls),
                "stop": t.stop_reason,
            }
            for t in conversation.turns
        ],
        columns=HISTORY_COLUMNS,
    )


def metrics_frame(conversation: Conversation) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "turn": n,
                "model": t.model,
                "rounds": t.rounds,
                "tool_calls": len(t.tool_calls),
                "ttft_s": t.time_to_first_token,
                "tokens_per_s": t.tokens_per_second,
                "tool_time_s": t.tool_time_s,
                "total_s": t.total_s,
                "stop": t.stop_reason,
            }
            for n, t in enumerate(conversation.turns, start=1)
        ],
        columns=METRIC_COLUMNS,
    ).set_index("turn")
