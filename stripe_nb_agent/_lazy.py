"""Public names imported on first use (PEP 562), for packages whose modules are costly to import.

    __getattr__, __dir__ = lazy_names(__name__, {"Agent": "stripe_nb_agent.agent.agent"}, __all__)

A name's module is imported the first time the name is read, and the value is then stored in the
package, so later reads cost nothing.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["HEAVY_MODULES", "lazy_names"]

# What ``import stripe_nb_agent`` must not load: each costs a tenth of a second or more, and a
# script that never builds an Agent or a notebook surface never needs it. The import test asserts
# this set and the cold-start benchmark reports it, both from here.
HEAVY_MODULES = (
    "mcp",
    "numpy",
    "pandas",
    "jsonschema",
    "starlette",
    "uvicorn",
    "onnxruntime",
    "IPython",
    "ipywidgets",
)


def lazy_names(
    package: str, modules: Mapping[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``modules`` from its module."""
    exported = tuple(public)

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exported})

    return __getattr__, __dir__
