"""The seam between the layers and what they are wired to: hooks that plugins, found by name, answer.

``agent/``, ``llm/`` and ``tools/`` never import the sandbox. When they need to know what the
settings point at (which models exist and where, which Stripe tool server to talk to) they call
the hooks below, and plugins answer. The built-in plugin is :mod:`stripe_nb_agent.wiring`, the
composition root that turns settings into endpoints and starts the sandbox when it is needed. It is
loaded by name, exactly as an installed plugin is (a distribution lists its module under the
``stripe_nb_agent`` entry-point group). This is simonw/llm's shape: its own OpenAI models come in
through the same ``register_models`` hook as any plugin's, so the core has no special case.

A plugin is a module defining any of the hooks in :mod:`stripe_nb_agent.hookspecs`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stripe_nb_agent.config import ServiceStatus, Settings
    from stripe_nb_agent.hookspecs import SandboxControls, StripeOptions, StripeTools

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "describe_services",
    "loaded_plugins",
    "register_models",
    "sandbox_clock",
    "stripe_tools",
]

#: Loaded first, by name, through the same path as installed plugins.
DEFAULT_PLUGINS: tuple[str, ...] = ("stripe_nb_agent.wiring",)
#: Where installed distributions list their plugin modules (``[project.entry-points."stripe_nb_agent"]``).
ENTRY_POINT_GROUP = "stripe_nb_agent"

_lock = threading.Lock()
_plugins: tuple[ModuleType, ...] | None = None


def loaded_plugins() -> tuple[ModuleType, ...]:
    """The plugin modules, built-in first, each imported once per process."""
    global _plugins
    with _lock:
        if _plugins is None:
            names = list(DEFAULT_PLUGINS)
            names += [name for name in _entry_point_modules() if name not in names]
            _plugins = tuple(importlib.import_module(name) for name in names)
        return _plugins


def _entry_point_modules() -> list[str]:
    from importlib.metadata import entry_points

    return [entry.module for entry in entry_points(group=ENTRY_POINT_GROUP)]


def _hooks(name: str) -> list[Callable[..., Any]]:
    return [hook for plugin in loaded_plugins() if callable(hook := getattr(plugin, name, None))]


def register_models(registry: object) -> None:
    # Typed ``object``: the registry calls this hook, so naming its class here would be a circle.
    for hook in _hooks("register_models"):
        hook(registry)


def stripe_tools(settings: Settings, options: StripeOptions) -> StripeTools:
    for hook in _hooks("stripe_tools"):
        answer = hook(settings, options)
        if answer is not None:
            return answer  # type: ignore[no-any-return]  # the hook's documented contract
    raise RuntimeError(f"No plugin provides Stripe's tools (looked in {', '.join(DEFAULT_PLUGINS)}).")


def describe_services(settings: Settings, sandbox: SandboxControls | None) -> tuple[ServiceStatus, ...]:
    for hook in _hooks("describe_services"):
        rows = hook(settings, sandbox)
        if rows is not None:
            return tuple(rows)
    return ()


def sandbox_clock() -> str | None:
    for hook in _hooks("sandbox_clock"):
        note = hook()
        if note is not None:
            return str(note)
    return None
