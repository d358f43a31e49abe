"""The hooks a plugin may define, and the values they trade (see :mod:`stripe_nb_agent.plugins`).

A plugin is a module; each hook is an optional module-level function of that name. Hooks that
answer (all but ``register_models`` and ``prepare``) ask installed plugins first and the built-in
one last, so an installed plugin can take over by answering, or leave it by returning ``None``.

``register_models(registry)``
    Add models, aliases and hosts to a :class:`~stripe_nb_agent.llm.models.ModelRegistry`.
    Called for every registry built with its defaults, built-in plugin first.
``prepare(settings, model)``
    Start, without waiting, what a chat with ``model`` (a
    :class:`~stripe_nb_agent.llm.model_info.ModelInfo`) under these settings will need first, so it
    gets ready while the kernel imports the rest. Called when an Agent is made and at
    ``%load_ext`` (for the default model); every plugin's, built-in first.
``stripe_tools(settings, options)``
    The Stripe tool server for these settings as a :class:`StripeTools`, or ``None`` to leave it
    to the next plugin. Called once per Agent, on its first tool use.
``describe_services(settings, sandbox)``
    Where the model's and Stripe's calls go, as :class:`~stripe_nb_agent.config.ServiceStatus`
    rows (keys as hints only), or ``None``; ``sandbox`` is the running sandbox's controls, if any.
``sandbox_clock()``
    The Stripe sandbox's "now" in words, without starting it (for status lines).
``examples()``
    What the offline stand-in model understands, as ``(topic, kind of request, [phrasings])``
    rows (``%stripe_agent examples``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from stripe_nb_agent.tools.types import ToolClientProtocol

__all__ = ["SandboxControls", "StripeOptions", "StripeTools"]


class SandboxControls(Protocol):
    """What a notebook may do to a sandboxed Stripe: look at its store, reset it, close its file."""

    @property
    def store(self) -> Any: ...

    def clock(self) -> str:
        """The sandbox's "now" in words ("sandbox clock 2026-06-30 12:00 UTC")."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StripeOptions:
    """How an Agent wants its Stripe sandbox, should the settings call for one."""

    profile: str = "classic"
    db: str | None = None


@dataclass(frozen=True)
class StripeTools:
    """Stripe's tool server as an Agent sees it: a tool client, plus controls when it is a sandbox."""

    client: ToolClientProtocol
    sandbox: SandboxControls | None = None
