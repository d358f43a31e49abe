"""The composition root: settings decide between Stripe's MCP server and the sandbox, nothing else does."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from stripe_nb_agent import plugins, wiring
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import ConfigError
from stripe_nb_agent.hookspecs import StripeOptions
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools.client import ToolClient
from stripe_nb_agent.tools.targets import HttpTarget, InProcessTarget
from tests.fresh_python import fresh_python

KEY = "sk_test_" + "w" * 24


def test_live_settings_point_at_stripes_mcp_server_with_the_key() -> None:
    live = resolve_settings(stripe_secret_key=KEY, stripe_account="acct_9", environ={})
    stripe = plugins.stripe_tools(live, StripeOptions())
    assert isinstance(stripe.client, ToolClient)
    assert isinstance(stripe.client.target, HttpTarget)
    assert stripe.client.target.url == "https://mcp.stripe.com"
    assert stripe.client.target.key == Secret(KEY)
    assert stripe.client.target.account == "acct_9"
    # Turns enforce the policy; the client runs what a turn lets through.
    assert stripe.client.policy == "auto"
    assert stripe.sandbox is None
    assert KEY not in repr(stripe.client.target)


def test_without_keys_the_sandbox_is_started_in_process_with_its_store() -> None:
    stripe = plugins.stripe_tools(resolve_settings(environ={}), StripeOptions())
    try:
        assert isinstance(stripe.client, ToolClient)
        assert isinstance(stripe.client.target, InProcessTarget)
        assert stripe.client.label == "Stripe"
        assert stripe.sandbox is not None
        assert stripe.sandbox.clock() == plugins.sandbox_clock() == "sandbox clock 2026-06-30 12:00 UTC"
        assert "customer" in stripe.sandbox.store.kinds()
    finally:
        if stripe.sandbox is not None:
            stripe.sandbox.close()


def test_the_built_in_wiring_is_loaded_by_name_like_any_plugin() -> None:
    assert plugins.DEFAULT_PLUGINS[0] == "stripe_nb_agent.wiring"
    assert plugins.loaded_plugins()[0] is wiring


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real installed distribution (a dist-info folder on sys.path) listing a plugin module."""
    dist = tmp_path / "acme_stripe_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-stripe-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\nacme = acme_stripe_plugin\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(plugins, "_plugins", None)  # the per-process cache: look again
    yield tmp_path / "acme_stripe_plugin.py"
    sys.modules.pop("acme_stripe_plugin", None)
    plugins._plugins = None


def test_an_installed_plugin_answers_before_the_built_in_one(installed_plugin: Path) -> None:
    installed_plugin.write_text(
        "def sandbox_clock():\n    return 'acme clock'\n\n"
        "def stripe_tools(settings, options):\n    return None\n"
    )
    assert plugins.sandbox_clock() == "acme clock"
    # Returning None leaves the answer to the built-in plugin.
    stripe = plugins.stripe_tools(resolve_settings(stripe_secret_key=KEY, environ={}), StripeOptions())
    assert isinstance(stripe.client, ToolClient)


def test_a_broken_plugin_is_named_with_the_fix(installed_plugin: Path) -> None:
    installed_plugin.write_text("raise ImportError('needs acme-core')\n")
    with pytest.raises(ConfigError, match=r"'acme' from acme-stripe-plugin failed to load .*pip uninstall"):
        plugins.loaded_plugins()


def test_a_sandbox_reply_leaves_the_model_servers_weight_out_of_this_process() -> None:
    # The model server and its onnxruntime reader run in their own process (started when the Agent
    # is made); this one only talks HTTP to it (uvicorn is here anyway: the MCP SDK imports it).
    # In a fresh interpreter, as in a kernel.
    script = (
        "import sys\n"
        "from stripe_nb_agent import Agent\n"
        "agent = Agent(model='sandbox')\n"
        "result = agent.ask('list 3 customers')\n"
        "assert result.stop_reason == 'complete', result\n"
        "heavy = ('onnxruntime', 'tokenizers', 'stripe_nb_agent.sandbox.model.server')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "agent.close()\n"
    )
    env = {
        **os.environ,
        "STRIPE_NB_AGENT_MODE": "sandbox",
        "STRIPE_NB_AGENT_SANDBOX_PACE": "0",
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    assert fresh_python(script, env=env, timeout=180) == ""
