"""Check a call before it is sent, and say exactly how to fix it.

The model reads these messages and retries, so each names the place that is wrong (a JSON
position, a schema path) and what was expected. Validation runs against the server's own input
schema (``$ref``s and all), so a call that passes here is one the server would accept.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema.exceptions

__all__ = ["ArgumentsError", "close_matches", "parse_arguments", "schema_violations", "unknown_tool_message"]

MAX_VIOLATIONS = 10


@dataclass(frozen=True)
class ArgumentsError:
    """Arguments that could not be read as a JSON object; ``message`` is for the model."""

    message: str


def parse_arguments(raw: Mapping[str, Any] | str | None) -> dict[str, Any] | ArgumentsError:
    """The call's arguments as a dict; a string is parsed as JSON (empty means no arguments)."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    text = raw.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        start = max(0, exc.pos - 20)
        near = text[start : exc.pos + 20]
        return ArgumentsError(
            f"arguments are not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            f"(character {exc.pos}), near {near!r}. Send one JSON object with double-quoted keys, "
            'e.g. {"name": "Jenny"}.'
        )
    if value is None:
        return {}
    if not isinstance(value, dict):
        return ArgumentsError(
            f"arguments must be a JSON object, got a JSON {_json_type(value)}: wrap the values in an "
            'object keyed by parameter name, e.g. {"limit": 10}.'
        )
    return value


def schema_violations(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> list[str]:
    """Each way ``arguments`` break ``schema``, with its path; empty when they fit.

    A schema that is itself invalid is not held against the call: the server decides then.
    """
    if not isinstance(schema, Mapping) or not schema:
        return []
    # Imported on first use: jsonschema's format plugins take a second or more to import.
    import jsonschema.exceptions
    import jsonschema.validators

    try:
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(dict(schema))
        validator = cls(dict(schema), format_checker=cls.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(dict(arguments)), key=lambda e: (list(e.path), e.message))
    except jsonschema.exceptions.SchemaError:
        return []
    except Exception:  # a hostile schema can break the validator in many ways; the server decides
        return []
    messages = [_describe(e) for e in errors[:MAX_VIOLATIONS]]
    if len(errors) > MAX_VIOLATIONS:
        messages.append(f"... and {len(errors) - MAX_VIOLATIONS} more")
    return messages


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.schema, Mapping):
        allowed = sorted(error.schema.get("properties") or {})
        if allowed:
            message += f"; allowed parameters: {', '.join(allowed)}"
    elif error.validator == "enum":
        message = f"{error.instance!r} is not one of {error.validator_value!r}"
    return f"at {where}: {message}"


def close_matches(name: str, names: Iterable[str], n: int = 3) -> list[str]:
    """Tool names that look like ``name`` (typos, other prefixes, other case)."""
    pool = list(dict.fromkeys(names))
    lowered = {p.lower(): p for p in pool}
    found = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    found_names = [lowered[f] for f in found]
    # A bare noun ("customers") should find list_customers even when difflib's ratio is low.
    key = name.lower().strip("_")
    extra = [p for p in pool if key and key in p.lower() and p not in found_names]
    return (found_names + extra)[:n]


def unknown_tool_message(name: str, names: Iterable[str]) -> str:
    pool = list(names)
    matches = close_matches(name, pool)
    if matches:
        hint = f"Did you mean {', '.join(matches)}?"
    elif pool:
        hint = f"Available tools: {', '.join(sorted(pool))}."
    else:
        hint = "The server offers no tools right now."
    return f"There is no tool named {name!r}. {hint} Call one of the listed tools by its exact name."


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return type(value).__name__
