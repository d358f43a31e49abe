"""The first half of ``%load_ext stripe_nb_agent``: settings, and the default model's server started.

Kept apart from :mod:`.magics` so it runs before the magic's own imports (IPython's magics, pandas,
the agent): a sandbox model server's process then loads on the machine's other core while they do.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from stripe_nb_agent import plugins
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import StripeNbAgentError

if TYPE_CHECKING:
    from stripe_nb_agent.config import Settings

__all__ = ["fail", "start"]


def fail(message: str) -> None:
    """How the magic reports a problem it cannot turn into a reply: one line on stderr."""
    print(f"stripe_agent: {message}", file=sys.stderr)


def start() -> Settings | None:
    """Settings with ``.env``, and what the default chat model needs started without waiting
    (:func:`stripe_nb_agent.plugins.prepare`); None after reporting why the settings are unusable."""
    from stripe_nb_agent.llm.models import default_registry

    try:
        settings = resolve_settings(dotenv=True)
        registry = default_registry()
        plugins.prepare(settings, registry.resolve(registry.default_name(settings)))
    except StripeNbAgentError as exc:
        fail(exc.message)
        return None
    return settings
