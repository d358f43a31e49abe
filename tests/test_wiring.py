"""The composition root: settings decide between Stripe's MCP server and the sandbox, nothing else does."""

from __future__ import annotations

from stripe_nb_agent import plugins, wiring
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.hookspecs import StripeOptions
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools.client import ToolClient
from stripe_nb_agent.tools.targets import HttpTarget, InProcessTarget

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
