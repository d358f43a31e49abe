"""The one Agent a kernel shares between the magic, the chat widget and the package's functions.

Created lazily on first use, so ``%load_ext`` stays instant and a notebook that never sends a
request never starts the sandbox servers. The magic, ``chat()`` and ``stripe_nb_agent.get_agent()``
all go through :func:`get_agent`, which is what lets a notebook mix them on one conversation.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import UsageError

__all__ = ["configure", "get_agent", "set_agent"]

_agent: Agent | None = None
# The options the shared agent was created with, defaults included (empty for one set_agent()
# installed: then nothing but its model, policy and settings can be compared).
_created_with: dict[str, Any] = {}
_options: dict[str, Any] = {}
_lock = threading.Lock()
_DEFAULTS = {
    name: p.default for name, p in inspect.signature(Agent).parameters.items() if p.default is not p.empty
}
_REPLACE = (
    "`stripe_nb_agent.set_agent(None).close()`, then `stripe_nb_agent.get_agent(...)` again, starts over "
    "with the new options (the old agent's conversations are lost)"
)


def configure(**options: Any) -> None:
    """Default :class:`Agent` options for when the shared one is created (``%load_ext`` passes the
    settings it resolved with ``.env``)."""
    with _lock:
        _options.clear()
        _options.update(options)


def get_agent(**options: Any) -> Agent:
    """The kernel's shared Agent, created on the first call with ``options`` (see :class:`Agent`;
    settings from arguments, the environment, then ``.env``).

    Once it exists, ``options`` must agree with it: the same values are fine (a cell can run again),
    a different one is a :class:`UsageError`, never silently ignored. ``model`` and ``policy`` are
    compared with what the agent uses now (an alias of its model is the same model; ``None`` means
    "any"). To change the model, call ``get_agent().use(name)`` (the history is kept); to change
    anything else, replace the agent: ``set_agent(None).close()``, then ``get_agent(**options)``.
    """
    global _agent, _created_with
    unknown = sorted(set(options) - set(_DEFAULTS) - {"settings"})
    if unknown:
        raise UsageError(
            f"get_agent() has no option {', '.join(map(repr, unknown))}: it takes Agent's "
            f"({', '.join(sorted(_DEFAULTS))})."
        )
    with _lock:
        if _agent is None:
            created = {**_options, **options}
            if "settings" not in created:
                created["settings"] = resolve_settings(dotenv=True)
            _agent = Agent(**created)
            _created_with = {**_DEFAULTS, **created}
        else:
            _refuse_conflicts(_agent, options)
        return _agent


def _refuse_conflicts(agent: Agent, options: dict[str, Any]) -> None:
    differences = []
    for key, value in options.items():
        if key == "model":
            if value is not None and agent.registry.resolve(value).name != agent.model:
                differences.append(f"model={value!r} (it uses {agent.model!r})")
        elif key == "policy":
            if value is not None and value != agent.policy:
                differences.append(f"policy={value!r} (its default is {agent.policy!r})")
        elif key == "settings":
            if value != agent.settings:
                differences.append("settings= (it was made with other settings)")
        elif key == "registry":
            if value is not agent.registry:
                differences.append("registry= (it has another registry)")
        elif key not in _created_with or _created_with[key] != value:
            differences.append(f"{key}= (it was made with another, or installed by set_agent())")
    if not differences:
        return
    fixes = [_REPLACE]
    if any(d.startswith("model=") for d in differences):
        use = f"stripe_nb_agent.get_agent().use({options['model']!r})"
        fixes.insert(0, f"`{use}` switches its model, keeping the history")
    raise UsageError(
        f"The kernel's shared agent already exists, and get_agent() can't apply {'; '.join(differences)}: "
        f"get_agent() applies options only when it creates the agent. {'; or '.join(fixes)}."
    )


def set_agent(agent: Agent | None) -> Agent | None:
    """Install ``agent`` as the kernel's shared one (``None`` forgets it); returns the previous one.

    The previous agent is returned open: close it (``set_agent(None).close()``) once nothing uses
    it, which also releases a sandbox state file (``STRIPE_NB_AGENT_SANDBOX_DB``) for the next one.
    """
    global _agent, _created_with
    with _lock:
        previous, _agent = _agent, agent
        _created_with = {}
        return previous
