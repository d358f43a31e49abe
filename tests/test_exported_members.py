"""The public API is pinned: adding or removing a name is a deliberate change (as httpx does)."""

from __future__ import annotations

import pytest

import stripe_nb_agent
from stripe_nb_agent._lazy import HEAVY_MODULES
from tests.fresh_python import fresh_python

EXPECTED = {
    "Agent",
    "Conversation",
    "CustomDeployment",
    "RunningTurn",
    "Settings",
    "Status",
    "StripeNbAgentError",
    "TurnMetrics",
    "TurnResult",
    "__version__",
    "chat",
    "cosine_similarity",
    "cosine_top_k",
    "default_embedding_model",
    "embed",
    "get_agent",
    "load_ipython_extension",
    "models",
    "redact",
    "register_embedding_model",
    "register_local_model",
    "register_model",
    "rerank",
    "resolve_settings",
    "semantic_search",
    "set_agent",
    "status",
    "stop_local_servers",
    "tool",
    "unload_ipython_extension",
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(stripe_nb_agent.__all__) == EXPECTED
    for name in EXPECTED:
        assert hasattr(stripe_nb_agent, name), name


def test_importing_the_package_loads_none_of_the_heavy_stacks() -> None:
    code = f"import sys, stripe_nb_agent; print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules))"
    assert fresh_python(code) == ""


def test_public_names_are_imported_on_first_use() -> None:
    code = (
        "import sys, stripe_nb_agent; m = 'stripe_nb_agent.agent.agent'; before = m in sys.modules; "
        "stripe_nb_agent.Agent; print(before, m in sys.modules, 'mcp' in sys.modules)"
    )
    # Agent's module loads on first use; even then the MCP SDK waits for the first tool client.
    assert fresh_python(code) == "False True False"
    assert "Agent" in dir(stripe_nb_agent)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        stripe_nb_agent.no_such_name  # noqa: B018


def test_importing_reads_no_settings_and_starts_nothing() -> None:
    code = (
        "import threading, stripe_nb_agent; "
        "print(sorted(t.name for t in threading.enumerate() if t.name != 'MainThread'))"
    )
    env = {"STRIPE_NB_AGENT_MODE": "not-a-mode", "PATH": ""}
    # A bad mode would raise if settings were read at import; no server or loop thread starts.
    assert fresh_python(code, env=env) == "[]"
