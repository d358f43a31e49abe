"""The MCP tool client: connections, the tool catalogue, schema conversion, validation, policy.

Nothing here imports IPython, ipywidgets or pandas.
"""

from __future__ import annotations

from stripe_nb_agent.tools.catalog import CatalogRow, catalog_rows
from stripe_nb_agent.tools.classify import classify
from stripe_nb_agent.tools.client import DEFAULT_CALL_TIMEOUT_S, ToolClient
from stripe_nb_agent.tools.convert import (
    ToolNames,
    openai_tool,
    sanitize_name,
    to_openai_parameters,
)
from stripe_nb_agent.tools.policy import (
    ToolMenu,
    default_policy,
    needs_approval,
    offered_tools,
    policy_refusal,
    verdict,
)
from stripe_nb_agent.tools.results import parse_call_result
from stripe_nb_agent.tools.targets import HttpTarget, InProcessTarget, StdioTarget, Target
from stripe_nb_agent.tools.types import (
    POLICIES,
    OpenAITool,
    Policy,
    ToolClientProtocol,
    ToolKind,
    ToolResult,
    ToolSpec,
)

__all__ = [
    "DEFAULT_CALL_TIMEOUT_S",
    "POLICIES",
    "CatalogRow",
    "HttpTarget",
    "InProcessTarget",
    "OpenAITool",
    "Policy",
    "StdioTarget",
    "Target",
    "ToolClient",
    "ToolClientProtocol",
    "ToolKind",
    "ToolMenu",
    "ToolNames",
    "ToolResult",
    "ToolSpec",
    "catalog_rows",
    "classify",
    "default_policy",
    "needs_approval",
    "offered_tools",
    "openai_tool",
    "parse_call_result",
    "policy_refusal",
    "sanitize_name",
    "to_openai_parameters",
    "verdict",
]
