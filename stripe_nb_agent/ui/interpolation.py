"""``{name}`` interpolation of the ``%%stripe_agent`` cell body, by our own rules (names only).

IPython's own expansion would evaluate ``{expressions}``; this one only looks names up.
"""

from __future__ import annotations

import re
from typing import Any

from stripe_nb_agent.errors import UsageError

__all__ = ["interpolate"]

# A {name} or {name.attr} placeholder; {{ and }} are literal braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}")


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    """Replace ``{name}`` (and ``{name.attr}``) with values from ``namespace``.

    ``{{`` and ``}}`` give literal braces; JSON (``{"a": 1}``) and anything else that is not a
    name in braces stays as written. A ``{name}`` that names no variable (or an attribute it
    lacks) is a :class:`UsageError` before anything is sent: a request like "refund {amount}" must
    never reach the model with the placeholder still in it.
    """
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        head, *attrs = match.group(1).split(".")
        if head not in namespace:
            missing.append(token)
            return token
        value = namespace[head]
        for attr in attrs:
            try:
                value = getattr(value, attr)
            except Exception:
                missing.append(token)
                return token
        try:
            return str(value)
        except Exception:
            missing.append(token)
            return token

    result = _PLACEHOLDER.sub(substitute, text)
    if missing:
        shown = ", ".join(dict.fromkeys(missing))
        first = missing[0][1:-1]
        raise UsageError(
            f"The request uses {shown}, but no such variable exists in this notebook, so nothing was "
            f"sent. Define it in a cell above (e.g. {first.split('.')[0]} = ...), write "
            f"{{{{{first}}}}} for literal braces, or add --no-interpolate to send every brace as written."
        )
    return result
