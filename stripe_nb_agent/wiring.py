"""The composition root: settings in, endpoints out, the sandbox started only when they call for it.

This is the one module that decides between live services and the offline sandbox. It is the
built-in plugin (see :mod:`stripe_nb_agent.plugins`): the layers below ask the hooks and never
import :mod:`stripe_nb_agent.sandbox`, so the sandbox plugs in the way a user's own model server
(``register_model``) or MCP server (``Agent.connect``) does.

- Models: the sandbox model server is a host in the model registry, reached over HTTP on
  127.0.0.1 like any OpenAI-compatible or DAT1 endpoint, started on the first request.
- Stripe: live, Stripe's MCP server with the settings' key; sandboxed, the sandbox's MCP server
  object in this process (the SDK's in-memory transport: a notebook opens no port for it, and a
  call costs microseconds instead of an HTTP round trip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stripe_nb_agent.plugins import StripeOptions, StripeTools

if TYPE_CHECKING:
    from stripe_nb_agent.config import Settings

__all__ = ["SandboxStore", "sandbox_clock", "stripe_tools"]


class SandboxStore:
    """The controls a notebook gets over the Stripe sandbox (``%stripe_agent sandbox reset``)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def now(self) -> float:
        return float(self.store.now())

    def close(self) -> None:
        self.store.close()


def stripe_tools(settings: Settings, options: StripeOptions) -> StripeTools:
    """Stripe's MCP server with the settings' key, or the sandbox's (seeded, or kept in ``options.db``)."""
    from stripe_nb_agent.tools.client import ToolClient

    # Each turn enforces its own policy (it may differ per request), so the client runs what the
    # turn lets through.
    if settings.stripe_mode == "live":
        client = ToolClient.for_url(
            settings.stripe_mcp_url,
            key=settings.stripe_secret_key,
            account=settings.stripe_account,
            label="Stripe",
            policy="auto",
        )
        return StripeTools(client)

    from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server

    store = StripeStore(path=options.db)
    server = build_stripe_sandbox_server(options.profile, store=store)
    return StripeTools(ToolClient.for_server(server, label="Stripe", policy="auto"), SandboxStore(store))


def sandbox_clock() -> float:
    """The sandbox's frozen "now", without starting it: its seed data is dated around it."""
    from stripe_nb_agent.sandbox.stripe.base import FIXED_NOW

    return float(FIXED_NOW)
