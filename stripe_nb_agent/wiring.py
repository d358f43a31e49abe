"""The composition root: settings in, endpoints out, the sandbox started only when they call for it.

This is the one module that decides between live services and the offline sandbox. It is the
built-in plugin (see :mod:`stripe_nb_agent.plugins`): the layers below ask the hooks and never
import :mod:`stripe_nb_agent.sandbox`, so the sandbox plugs in the way a user's own model server
(``register_model``) or MCP server (``Agent.connect``) does.

- Models: the sandbox model server is a host in the model registry (:func:`register_models`),
  reached over HTTP on 127.0.0.1 like any DAT1 endpoint, in a child process started when an
  Agent (or ``%load_ext``) is about to use it (:func:`prepare`). It
  brings the ``sandbox`` chat models, is the default chat model in sandbox mode, and stands in
  for DAT1's custom deployments (the reranker) there.
- Stripe: live, Stripe's MCP server with the settings' key; sandboxed, the sandbox's MCP server
  object in this process (the SDK's in-memory transport: a notebook opens no port for it, and a
  call costs microseconds instead of an HTTP round trip).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stripe_nb_agent.config import ServiceStatus
from stripe_nb_agent.hookspecs import SandboxControls, StripeOptions, StripeTools

if TYPE_CHECKING:
    from stripe_nb_agent.config import Settings
    from stripe_nb_agent.llm.model_info import ModelInfo
    from stripe_nb_agent.llm.models import ModelRegistry
    from stripe_nb_agent.redaction import Secret

__all__ = [
    "SANDBOX_HOST",
    "SANDBOX_MODEL",
    "StripeSandboxControls",
    "describe_services",
    "examples",
    "prepare",
    "register_models",
    "sandbox_clock",
    "stripe_tools",
]

SANDBOX_HOST = "sandbox"
SANDBOX_MODEL = "sandbox"


def register_models(registry: ModelRegistry) -> None:
    """The sandbox model server as a host, its two chat personas, and its place in sandbox mode."""
    from stripe_nb_agent.llm.builtin_models import DAT1_HOST
    from stripe_nb_agent.llm.model_info import Host, ModelInfo
    from stripe_nb_agent.redaction import Secret

    def root(settings: Settings) -> str:
        from stripe_nb_agent.sandbox.model.process import get_sandbox_model_server

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


def prepare(settings: Settings, model: ModelInfo) -> None:
    """A sandbox model starts its server's process now: it loads its phrasebook reader (0.5-1 s of
    CPU) on the machine's other core while the kernel imports the MCP SDK and pandas for the first
    request, instead of after them. Returns at once; the first request waits for it if need be."""
    if model.host == SANDBOX_HOST:
        from stripe_nb_agent.sandbox.model.process import get_sandbox_model_server

        get_sandbox_model_server()


class StripeSandboxControls:
    """The controls a notebook gets over the Stripe sandbox (``%stripe_agent sandbox reset``)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def clock(self) -> str:
        return _clock_note(self.store.now())

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
    return StripeTools(
        ToolClient.for_server(server, label="Stripe", policy="auto"), StripeSandboxControls(store)
    )


def sandbox_clock() -> str:
    """The sandbox's frozen "now", without starting it: its seed data is dated around it."""
    from stripe_nb_agent.sandbox.stripe.base import FIXED_NOW

    return _clock_note(FIXED_NOW)


def _clock_note(now: float) -> str:
    from datetime import UTC, datetime

    return f"sandbox clock {datetime.fromtimestamp(now, UTC):%Y-%m-%d %H:%M} UTC"


def describe_services(settings: Settings, sandbox: SandboxControls | None) -> tuple[ServiceStatus, ...]:
    """Where the model's and Stripe's calls go, with keys as hints; contacts nothing, starts nothing."""
    if settings.model_mode == "live":
        model = ServiceStatus("model (DAT1)", "live", settings.dat1_root, _hint(settings.dat1_api_key))
    else:
        model = ServiceStatus(
            "model (DAT1)", "sandbox", "local sandbox model server", "(none needed)", _stand_in_note()
        )
    if settings.stripe_mode == "live":
        note = "LIVE MODE: real money" if settings.stripe_livemode_key else "test mode"
        if settings.stripe_account:
            note += f"; acting for {settings.stripe_account}"
        stripe = ServiceStatus(
            "Stripe (MCP)", "live", settings.stripe_mcp_url, _hint(settings.stripe_secret_key), note
        )
    else:
        note = "offline, fake data"
        if settings.sandbox_db:
            note += f"; state kept in {settings.sandbox_db}"
        note += f"; {sandbox.clock() if sandbox is not None else sandbox_clock()}"
        stripe = ServiceStatus("Stripe (MCP)", "sandbox", "in-process Stripe sandbox", "(none needed)", note)
    return (model, stripe)


def _hint(secret: Secret | None) -> str:
    return secret.hint if secret else "(none)"


def _stand_in_note() -> str:
    # Whether the embedding extra is installed, without loading it: status must stay instant.
    import importlib.util

    from stripe_nb_agent.errors import ConfigError
    from stripe_nb_agent.llm.local_embeddings import installed_model_files

    try:
        installed_model_files()
        runtime = all(importlib.util.find_spec(p) is not None for p in ("onnxruntime", "tokenizers"))
    except ConfigError:
        runtime = False
    if runtime:
        return "deterministic stand-in, not a language model (reads requests with its phrasebook)"
    return (
        "deterministic stand-in, not a language model; WEAKER FALLBACK: keyword rules, as the "
        "embedding extra is missing (pip install 'stripe-nb-agent[embeddings]')"
    )


def examples() -> list[tuple[str, str, list[str]]]:
    """What the sandbox's stand-in model understands: (topic, kind of request, example phrasings)."""
    from stripe_nb_agent.sandbox.model.understand import examples_by_topic

    return [(topic, kind, list(phrasings)) for topic, kind, phrasings in examples_by_topic()]
