"""What a sandbox MCP tool is, and how its input is validated (shared by both profiles)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stripe_nb_agent.sandbox.stripe.store import StripeStore
from stripe_nb_agent.tools.validate import schema_problems

__all__ = ["CallInfo", "InputValidationError", "SandboxTool", "validate_input"]


@dataclass(frozen=True)
class CallInfo:
    """Per-call facts from the transport (the ``Stripe-Account`` header, when HTTP carried one)."""

    stripe_account: str | None = None


class InputValidationError(Exception):
    """Arguments broke the advertised schema; the server answers ``isError`` with this text."""


Handler = Callable[[StripeStore, dict[str, Any], CallInfo], Any]


@dataclass(frozen=True)
class SandboxTool:
    name: str
    description: str
    input_schema: Mapping[str, Any]
    annotations: Mapping[str, Any]
    handler: Handler
    # classic's failure text, e.g. "Failed to create refund"
    failure: str = ""
    title: str | None = field(default=None)


def validate_input(schema: Mapping[str, Any], arguments: Mapping[str, Any], where: str = "") -> None:
    """Raise :class:`InputValidationError` with every problem, each naming its field."""
    problems = schema_problems(schema, dict(arguments))
    if problems:
        parts = []
        for path, message in problems:
            joined = ".".join(str(p) for p in path)
            location = f"{where}{'.' if where and joined else ''}{joined}" or where or "arguments"
            parts.append(f"{location}: {message}")
        raise InputValidationError("; ".join(parts))
