"""The offline Stripe sandbox: a stateful store of Stripe-shaped objects behind a real MCP server.

    from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server
    server = build_stripe_sandbox_server("classic", StripeStore())

Nothing here talks to Stripe; the data is seeded and fake, the clock fixed (2026-06-30T12:00:00Z).
"""

from __future__ import annotations

from stripe_nb_agent.sandbox.stripe.base import FIXED_NOW, ListEnvelope, Snapshot, StripeObject
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.http_server import ENV_TOKEN, SandboxMCPHTTPServer, chosen_token
from stripe_nb_agent.sandbox.stripe.server import PROFILES, Profile, build_stripe_sandbox_server
from stripe_nb_agent.sandbox.stripe.store import DEFAULT_SEED, StripeStore

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
