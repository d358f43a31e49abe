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

from stripe_nb_agent.errors import ConfigError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from stripe_nb_agent.config import ServiceStatus, Settings
    from stripe_nb_agent.hookspecs import SandboxControls, StripeOptions, StripeTools
    from stripe_nb_agent.llm.model_info import ModelInfo

__all__ = [
    "DEFAULT_PLUGINS",
    "ENTRY_POINT_GROUP",
    "describe_services",
    "examples",
    "loaded_plugins",
    "prepare",
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
            modules = [importlib.import_module(name) for name in DEFAULT_PLUGINS]
            for entry in _entry_points():
                if entry.module not in DEFAULT_PLUGINS:
                    modules.append(_load(entry))
            _plugins = tuple(modules)
        return _plugins


def _entry_points() -> list[EntryPoint]:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


def _load(entry: EntryPoint) -> ModuleType:
    try:
        return importlib.import_module(entry.module)
    except Exception as exc:
        dist = entry.dist.name if entry.dist is not None else "an installed distribution"
        raise ConfigError(
            f"The stripe_nb_agent plugin {entry.name!r} from {dist} failed to load "
            f"({type(exc).__name__}: {exc}). Upgrade or uninstall it (pip uninstall {dist})."
        ) from exc


def _hooks(name: str, *, installed_first: bool = False) -> list[Callable[..., Any]]:
    """The plugins' functions called ``name``. Hooks that add (register_models) run built-in first,
    so a plugin can replace what the built-in one added; hooks that answer (the first answer wins)
    ask installed plugins first, so one can take over, and fall back on the built-in one."""
    plugins = loaded_plugins()
    ordered = (
        [*plugins[len(DEFAULT_PLUGINS) :], *plugins[: len(DEFAULT_PLUGINS)]] if installed_first else plugins
    )
    return [hook for plugin in ordered if callable(hook := getattr(plugin, name, None))]


def register_models(registry: object) -> None:
    # Typed ``object``: the registry calls this hook, so naming its class here would be a circle.
    for hook in _hooks("register_models"):
        hook(registry)


def prepare(settings: Settings, model: ModelInfo) -> None:
    for hook in _hooks("prepare"):
        hook(settings, model)


def stripe_tools(settings: Settings, options: StripeOptions) -> StripeTools:
    for hook in _hooks("stripe_tools", installed_first=True):
        answer = hook(settings, options)
        if answer is not None:
            return answer  # type: ignore[no-any-return]  # the hook's documented contract
    raise ConfigError(
        "No stripe_nb_agent plugin provides Stripe's tools: reinstall stripe-nb-agent (its built-in "
        f"plugin {DEFAULT_PLUGINS[0]} answers for live Stripe and the sandbox)."
    )


def describe_services(settings: Settings, sandbox: SandboxControls | None) -> tuple[ServiceStatus, ...]:
    for hook in _hooks("describe_services", installed_first=True):
        rows = hook(settings, sandbox)
        if rows is not None:
            return tuple(rows)
    return ()


def sandbox_clock() -> str | None:
    for hook in _hooks("sandbox_clock", installed_first=True):
        note = hook()
        if note is not None:
            return str(note)
    return None


def examples() -> list[tuple[str, str, list[str]]]:
    for hook in _hooks("examples", installed_first=True):
        rows = hook()
        if rows is not None:
            return list(rows)
    return []
