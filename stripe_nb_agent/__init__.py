"""stripe-nb-agent: work with Stripe through an AI agent from inside Jupyter.

    %load_ext stripe_nb_agent        the %%stripe_agent magic
    stripe_nb_agent.chat()           the chat widget (same agent and conversation as the magic)
    stripe_nb_agent.status()         where calls go (sandbox or live); keys shown as hints only
    stripe_nb_agent.Agent().ask(...) the Python API underneath

With no keys everything runs on the offline sandbox: a rule-based stand-in model (not a language
model) behind DAT1's wire format, and a Stripe sandbox behind a real MCP server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from stripe_nb_agent._lazy import lazy_names
from stripe_nb_agent.redaction import install_log_redaction

if TYPE_CHECKING:
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    from stripe_nb_agent.agent.agent import Agent, RunningTurn
    from stripe_nb_agent.agent.conversation import Conversation
    from stripe_nb_agent.agent.events import TurnMetrics, TurnResult
    from stripe_nb_agent.config import Settings, Status, resolve_settings
    from stripe_nb_agent.errors import StripeNbAgentError
    from stripe_nb_agent.llm.custom import CustomDeployment, rerank
    from stripe_nb_agent.llm.embeddings import default_embedding_model, embed, register_embedding_model
    from stripe_nb_agent.llm.local_server import stop_local_servers
    from stripe_nb_agent.llm.models import register_local_model, register_model
    from stripe_nb_agent.redaction import redact
    from stripe_nb_agent.search import cosine_similarity, cosine_top_k, semantic_search
    from stripe_nb_agent.ui.chat import ChatWidget

__version__ = "0.1.0"

# When the package loads: no key may reach a log handler, even with DEBUG logging turned on.
install_log_redaction()

__all__ = [
    "Agent",
    "Conversation",
    "CustomDeployment",
    "RunningTurn",
    "Settings",
    "Status",
    "StripeNbAgentError",
    "TurnMetrics",
    "TurnResult",
    "__version__",
    "chat",
    "cosine_similarity",
    "cosine_top_k",
    "default_embedding_model",
    "embed",
    "get_agent",
    "load_ipython_extension",
    "models",
    "redact",
    "register_embedding_model",
    "register_local_model",
    "register_model",
    "rerank",
    "resolve_settings",
    "semantic_search",
    "set_agent",
    "status",
    "stop_local_servers",
    "tool",
    "unload_ipython_extension",
]

# Each public name and the module it lives in, imported on first use (PEP 562): ``import
# stripe_nb_agent`` stays ~0.1 s and pulls in neither the MCP SDK (0.6 s), numpy nor the
# notebook stack; a script that never builds an Agent never pays for one.
_LAZY = {
    "Agent": "stripe_nb_agent.agent.agent",
    "RunningTurn": "stripe_nb_agent.agent.agent",
    "Conversation": "stripe_nb_agent.agent.conversation",
    "TurnMetrics": "stripe_nb_agent.agent.events",
    "TurnResult": "stripe_nb_agent.agent.events",
    "Settings": "stripe_nb_agent.config",
    "Status": "stripe_nb_agent.config",
    "redact": "stripe_nb_agent.redaction",
    "resolve_settings": "stripe_nb_agent.config",
    "StripeNbAgentError": "stripe_nb_agent.errors",
    "CustomDeployment": "stripe_nb_agent.llm.custom",
    "rerank": "stripe_nb_agent.llm.custom",
    "default_embedding_model": "stripe_nb_agent.llm.embeddings",
    "embed": "stripe_nb_agent.llm.embeddings",
    "register_embedding_model": "stripe_nb_agent.llm.embeddings",
    "stop_local_servers": "stripe_nb_agent.llm.local_server",
    "register_local_model": "stripe_nb_agent.llm.models",
    "register_model": "stripe_nb_agent.llm.models",
    "cosine_similarity": "stripe_nb_agent.search",
    "cosine_top_k": "stripe_nb_agent.search",
    "semantic_search": "stripe_nb_agent.search",
}

__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)


# The notebook surface is imported on first use: importing the package must not pull in IPython,
# ipywidgets or pandas (scripts and the layers below the surface never need them).
def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext stripe_nb_agent``: reads ``.env``, starts the default model's sandbox server if it
    has one (without waiting), and registers ``%%stripe_agent`` meanwhile."""
    from stripe_nb_agent.ui.extension import start

    settings = start()
    if settings is not None:
        from stripe_nb_agent.ui.magics import register_magics

        register_magics(ipython, settings)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    from stripe_nb_agent.ui.magics import unload_ipython_extension as unload

    unload(ipython)


def get_agent(**options: Any) -> Agent:
    """The kernel's shared :class:`Agent`, the one the magic and ``chat()`` use.

    The first call creates it with ``options`` (those of :class:`Agent`). Later calls return it, and
    raise :class:`StripeNbAgentError` (a ``UsageError``) if ``options`` disagree with it rather than
    ignore them: switch the model with ``get_agent().use(name)``, or replace the agent with
    ``set_agent(None).close()`` and call ``get_agent(**options)`` again.
    """
    from stripe_nb_agent.ui.kernel_agent import get_agent as shared

    return shared(**options)


def set_agent(agent: Agent | None) -> Agent | None:
    """Install ``agent`` as the kernel's shared one (``None`` forgets it); returns the previous one,
    still open (``set_agent(None).close()`` replaces the shared agent: the next ``get_agent()``
    creates a new one)."""
    from stripe_nb_agent.ui.kernel_agent import set_agent as install

    return install(agent)


def chat(**options: Any) -> ChatWidget:
    """A chat widget on the same Agent (and by default the same conversation) as the magic."""
    from stripe_nb_agent.ui.chat import ChatWidget

    return ChatWidget(**options)


def tool(
    fn: Callable[..., Any] | None = None, *, kind: Literal["read", "write"] = "write", name: str | None = None
) -> Any:
    """Offer a Python function to the kernel's shared agent (the magic's and ``chat()``'s) as a tool.

        @stripe_nb_agent.tool(kind="read")
        def refunds_per_week(weeks: int = 4) -> pd.DataFrame:
            "Refunded amount per ISO week, newest first."

    ``kind`` defaults to ``"write"`` (fail-safe: such a tool waits for approval under ``confirm``).
    The function is returned unchanged; see :meth:`Agent.add_tool`.
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        get_agent().add_tool(function, kind=kind, name=name)
        return function

    return register(fn) if fn is not None else register


def status() -> Status:
    """Per service: sandbox or live, the endpoint, and the key as a redacted hint."""
    return get_agent().status()


def models() -> pd.DataFrame:
    """The shared agent's models as a table (the one ``%stripe_agent models`` shows): which is
    current, usable now and why not, surface, aliases, endpoint."""
    from stripe_nb_agent.ui.frames import models_frame

    return models_frame(get_agent())
