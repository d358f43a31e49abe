"""The offline Stripe sandbox: a stateful store of Stripe-shaped objects behind a real MCP server.

    from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server
    server = build_stripe_sandbox_server("classic", StripeStore())

Nothing here talks to Stripe; the data is seeded and fake, the clock fixed (2026-06-30T12:00:00Z).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stripe_nb_agent._lazy import lazy_names
from stripe_nb_agent.sandbox.stripe.base import FIXED_NOW, ListEnvelope, Snapshot, StripeObject
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.server import PROFILES, Profile, build_stripe_sandbox_server
from stripe_nb_agent.sandbox.stripe.store import DEFAULT_SEED, StripeStore

if TYPE_CHECKING:
    from stripe_nb_agent.sandbox.stripe.http_server import ENV_TOKEN, SandboxMCPHTTPServer, chosen_token

__all__ = [
    "DEFAULT_SEED",
    "ENV_TOKEN",
    "FIXED_NOW",
    "PROFILES",
    "ListEnvelope",
    "Profile",
    "SandboxMCPHTTPServer",
    "Snapshot",
    "StripeAPIError",
    "StripeObject",
    "StripeStore",
    "build_stripe_sandbox_server",
    "chosen_token",
]

# The HTTP server is imported on first use: a notebook reaches the sandbox in process (the MCP
# SDK's in-memory transport) and never needs it.
_LAZY = {
    "ENV_TOKEN": "stripe_nb_agent.sandbox.stripe.http_server",
    "SandboxMCPHTTPServer": "stripe_nb_agent.sandbox.stripe.http_server",
    "chosen_token": "stripe_nb_agent.sandbox.stripe.http_server",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)
