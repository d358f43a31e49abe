"""Check a call before it is sent, and say exactly how to fix it.

The model reads these messages and retries, so each names the place that is wrong (a JSON
position, a schema path) and what was expected. Validation runs against the server's own input
schema (``$ref``s and all), so a call that passes here is one the server would accept.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema_rs

__all__ = [
    "ArgumentsError",
    "close_matches",
    "parse_arguments",
    "schema_problems",
    "schema_violations",
    "unknown_tool_message",
]

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
    problems = schema_problems(schema, arguments)
    messages = [f"at {'/'.join(str(p) for p in path) or '(top level)'}: {text}" for path, text in problems]
    if len(messages) > MAX_VIOLATIONS:
        messages = [*messages[:MAX_VIOLATIONS], f"... and {len(messages) - MAX_VIOLATIONS} more"]
    return messages


def schema_problems(schema: Mapping[str, Any], instance: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """``(path, message)`` for each way ``instance`` breaks ``schema``, sorted by path.

    Empty when it fits, and when the schema itself is invalid or breaks the validator.
    """
    if not isinstance(schema, Mapping) or not schema:
        return []
    # A session passes the same schema object call after call: found by identity, it skips even
    # the JSON key (which costs 20x the validation itself).
    known = _by_identity.get(id(schema))
    if known is not None and known[0] is schema:
        validator = known[1]
    else:
        try:
            key = json.dumps(schema, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError):
            return []
        validator = _compiled(key)
        if len(_by_identity) >= _IDENTITY_SLOTS:
            _by_identity.clear()
        _by_identity[id(schema)] = (schema, validator)  # holding the schema keeps its id unique
    if validator is None:
        return []
    try:
        errors = list(validator.iter_errors(instance))
    except Exception:  # a hostile schema can break the validator in many ways; the server decides
        return []
    found = [(tuple(e.instance_path), _describe(e, schema)) for e in errors]
    return sorted(found, key=lambda pair: ([str(p) for p in pair[0]], pair[1]))


_IDENTITY_SLOTS = 256
_by_identity: dict[int, tuple[Mapping[str, Any], jsonschema_rs.Validator | None]] = {}


# Compiling is ~10x the cost of validating, and a session sends the same few schemas over and over;
# keyed by the schema's JSON so an equal schema from a new listing finds the same validator.
@functools.lru_cache(maxsize=256)
def _compiled(schema_json: str) -> jsonschema_rs.Validator | None:
    # jsonschema-rs imports in ~0.05 s; jsonschema's format plugins take 1.5 s or more
    # (benchmarks/bench_validation.py), so the first tool call no longer pays that.
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for(json.loads(schema_json), validate_formats=True)
    except Exception:  # not a valid schema (or one the library cannot compile): the server decides
        return None


def _describe(error: jsonschema_rs.ValidationError, schema: Mapping[str, Any]) -> str:
    import jsonschema_rs

    kind = error.kind
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.Enum):
        return f"{json.dumps(error.instance)} is not one of {json.dumps(kind.options)}"
    message = error.message
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.AdditionalProperties):
        where = _subschema(schema, error.schema_path[:-1])
        allowed = sorted(where.get("properties") or {}) if isinstance(where, Mapping) else []
        if allowed:
            message += f"; allowed parameters: {', '.join(allowed)}"
    return message


def _subschema(schema: Mapping[str, Any], path: Iterable[str | int]) -> Any:
    """The part of ``schema`` at ``path``, following local ``$ref``s; None when it cannot be found."""
    node: Any = schema
    for step in path:
        if step == "$ref" and isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            node = _subschema(
                schema,
                [p.replace("~1", "/").replace("~0", "~") for p in node["$ref"].lstrip("#").split("/") if p],
            )
            continue
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node


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
