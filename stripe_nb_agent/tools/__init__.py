"""The MCP tool client: connections, the tool catalogue, schema conversion, validation, policy.

Nothing here imports IPython, ipywidgets or pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stripe_nb_agent._lazy import lazy_names

if TYPE_CHECKING:
    from stripe_nb_agent.tools.catalog import CatalogRow, catalog_rows
    from stripe_nb_agent.tools.classify import classify
    from stripe_nb_agent.tools.client import DEFAULT_CALL_TIMEOUT_S, ToolClient
    from stripe_nb_agent.tools.convert import ToolNames, openai_tool, sanitize_name, to_openai_parameters
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

# Each public name and its module, imported on first use (PEP 562): the value types and the
# policy are needed wherever a turn runs, but the MCP SDK behind the client takes a second to
# import, so it loads when a client is first made, not when a neighbouring module is imported.
_LAZY = {
    "CatalogRow": "stripe_nb_agent.tools.catalog",
    "DEFAULT_CALL_TIMEOUT_S": "stripe_nb_agent.tools.client",
    "HttpTarget": "stripe_nb_agent.tools.targets",
    "InProcessTarget": "stripe_nb_agent.tools.targets",
    "OpenAITool": "stripe_nb_agent.tools.types",
    "POLICIES": "stripe_nb_agent.tools.types",
    "Policy": "stripe_nb_agent.tools.types",
    "StdioTarget": "stripe_nb_agent.tools.targets",
    "Target": "stripe_nb_agent.tools.targets",
    "ToolClient": "stripe_nb_agent.tools.client",
    "ToolClientProtocol": "stripe_nb_agent.tools.types",
    "ToolKind": "stripe_nb_agent.tools.types",
    "ToolMenu": "stripe_nb_agent.tools.policy",
    "ToolNames": "stripe_nb_agent.tools.convert",
    "ToolResult": "stripe_nb_agent.tools.types",
    "ToolSpec": "stripe_nb_agent.tools.types",
    "catalog_rows": "stripe_nb_agent.tools.catalog",
    "classify": "stripe_nb_agent.tools.classify",
    "default_policy": "stripe_nb_agent.tools.policy",
    "needs_approval": "stripe_nb_agent.tools.policy",
    "offered_tools": "stripe_nb_agent.tools.policy",
    "openai_tool": "stripe_nb_agent.tools.convert",
    "parse_call_result": "stripe_nb_agent.tools.results",
    "policy_refusal": "stripe_nb_agent.tools.policy",
    "sanitize_name": "stripe_nb_agent.tools.convert",
    "to_openai_parameters": "stripe_nb_agent.tools.convert",
    "verdict": "stripe_nb_agent.tools.policy",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
