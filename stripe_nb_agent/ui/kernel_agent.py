"""The one Agent a kernel shares between the magic and the chat widget.

Created lazily on first use, so ``%load_ext`` stays instant and a notebook that never sends a
request never starts the sandbox servers. The magic and ``chat()`` both go through
:func:`get_agent`, which is what lets a notebook mix them on one conversation.
"""

from __future__ import annotations

import threading
from typing import Any

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import resolve_settings

__all__ = ["configure", "get_agent", "set_agent"]

_agent: Agent | None = None
_options: dict[str, Any] = {}
_lock = threading.Lock()


def configure(**options: Any) -> None:
    """Default :class:`Agent` options for when the shared one is created (``%load_ext`` passes the
    settings it resolved with ``.env``)."""
    with _lock:
        _options.clear()
        _options.update(options)


def get_agent(**options: Any) -> Agent:
    """The kernel's shared Agent (settings from arguments, the environment, then ``.env``).

    ``options`` are passed to :class:`Agent` when it is created; once it exists they are ignored
    (use :func:`set_agent` to replace it).
    """
    global _agent
    with _lock:
        if _agent is None:
            options = {**_options, **options}
            if "settings" not in options:
                options["settings"] = resolve_settings(dotenv=True)
            _agent = Agent(**options)
        return _agent


def set_agent(agent: Agent | None) -> Agent | None:
    """Install ``agent`` as the shared one (``None`` forgets it); returns the previous one."""
    global _agent
    with _lock:
        previous, _agent = _agent, agent
        return previous
