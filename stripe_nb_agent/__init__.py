"""stripe-nb-agent: work with Stripe through an AI agent from inside Jupyter.

%load_ext stripe_nb_agent        the %%stripe_agent magic
stripe_nb_agent.chat()           the chat widget
stripe_nb_agent.status()         where calls go (sandbox or live), keys shown as hints only
"""

from __future__ import annotations

from stripe_nb_agent.config import Settings, Status, redact, resolve_settings
from stripe_nb_agent.errors import StripeNbAgentError

__version__ = "0.1.0"

__all__ = [
    "Settings",
    "Status",
    "StripeNbAgentError",
    "__version__",
    "redact",
    "resolve_settings",
]
