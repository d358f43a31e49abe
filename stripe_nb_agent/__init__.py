"""stripe-nb-agent: work with Stripe through an AI agent from inside Jupyter.

%load_ext stripe_nb_agent        the %%stripe_agent magic
stripe_nb_agent.chat()           the chat widget
stripe_nb_agent.status()         where calls go (sandbox or live), keys shown as hints only
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stripe_nb_agent.config import Settings, Status, redact, resolve_settings
from stripe_nb_agent.errors import StripeNbAgentError

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from stripe_nb_agent.ui.chat import ChatWidget

__version__ = "0.1.0"

__all__ = [
    "Settings",
    "Status",
    "StripeNbAgentError",
    "__version__",
    "chat",
    "load_ipython_extension",
    "redact",
    "resolve_settings",
    "unload_ipython_extension",
]


# The notebook surface is imported on first use: importing the package must not pull in IPython
# or ipywidgets (scripts and the layers below the surface never need them).
def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext stripe_nb_agent``: registers ``%%stripe_agent`` and reads ``.env``."""
    from stripe_nb_agent.ui.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    from stripe_nb_agent.ui.magics import unload_ipython_extension as unload

    unload(ipython)


def chat(**options: Any) -> ChatWidget:
    """A chat widget on the same Agent (and by default the same conversation) as the magic."""
    from stripe_nb_agent.ui.chat import ChatWidget

    return ChatWidget(**options)
