"""The composition root: settings in, endpoints out, the sandbox started only when they call for it.

This is the one module that decides between live services and the offline sandbox. It is the
built-in plugin (see :mod:`stripe_nb_agent.plugins`): the layers below ask the hooks and never
import :mod:`stripe_nb_agent.sandbox`, so the sandbox plugs in the way a user's own model server
(``register_model``) or MCP server (``Agent.connect``) does.

- Models: the sandbox model server is a host in the model registry (:func:`register_models`),
  reached over HTTP on 127.0.0.1 like any DAT1 endpoint and started on the first request. It
  brings the ``sandbox`` chat models, is the default chat model in sandbox mode, and stands in
  for DAT1's custom deployments (the reranker) there.
- Stripe: live, Stripe's MCP server with the settings' key; sandboxed, the sandbox's MCP server
  object in this process (the SDK's in-memory transport: a notebook opens no port for it, and a
  call costs microseconds instead of an HTTP round trip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stripe_nb_agent.plugins import StripeOptions, StripeTools

if TYPE_CHECKING:
    from stripe_nb_agent.config import Settings
    from stripe_nb_agent.llm.models import ModelRegistry

__all__ = [
    "SANDBOX_HOST",
    "SANDBOX_MODEL",
    "SandboxStore",
    "register_models",
    "sandbox_clock",
    "stripe_tools",
]

SANDBOX_HOST = "sandbox"
SANDBOX_MODEL = "sandbox"


def register_models(registry: ModelRegistry) -> None:
    """The sandbox model server as a host, its two chat personas, and its place in sandbox mode."""
    from stripe_nb_agent.config import Secret
    from stripe_nb_agent.llm.models import DAT1_HOST, Host, ModelInfo

    def root(settings: Settings) -> str:
        from stripe_nb_agent.sandbox.model import get_sandbox_model_server

        return get_sandbox_model_server().root_url

    registry.add_host(
        Host(
            SANDBOX_HOST,
            root=root,
            # It mirrors DAT1 and accepts any key: a fixed, non-secret one keeps one code path.
            key=Secret("sandbox"),
            label="local sandbox server",
            stands_in_for=DAT1_HOST,
        )
    )
    for name, description in (
        (SANDBOX_MODEL, "offline rule-based stand-in (not a language model)"),
        ("sandbox-brief", "offline rule-based stand-in, terse persona (not a language model)"),
    ):
        registry.add(ModelInfo(name, "dat1-collection", SANDBOX_HOST, name, description))
    registry.set_default(SANDBOX_MODEL, mode="sandbox")


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
