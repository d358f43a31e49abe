"""Requests that name an offered tool: "run revenue_per_week with weeks 6".

The phrasebook knows Stripe's operations, not the user's own tools (Python functions added with
``add_tool``, other MCP servers). So a request that names an offered tool is read literally: the
tool's exact name (or "run|call|use NAME" for a plain word), and each argument of its schema as
``<name> <value>``, ``<name>=<value>``, ``<name>: <value>`` or, for numbers, ``<value> <name>``.
A required argument the request doesn't give is asked for; nothing is guessed. Deterministic, like
everything the stand-in does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stripe_nb_agent.sandbox.model.offered_tools import Call, Observation, OfferedTools

__all__ = ["NamedReply", "plan_named_tool"]

_VERBS = r"(?:run|call|use|invoke|execute)"
_ROWS_SHOWN = 10


@dataclass(frozen=True)
class NamedReply:
    """The stand-in's next step for a named-tool request: calls to make, or words to say."""

    content: str
    why: str
    calls: tuple[Call, ...] = ()


def _named(text: str, box: OfferedTools) -> str | None:
    """The offered tool the request names, longest name first (``a_b_c`` before ``a_b``)."""
    for name in sorted(box.schemas, key=len, reverse=True):
        escaped = re.escape(name)
        token = rf"(?<![\w.-]){escaped}(?![\w-])"
        # A plain word ("echo") only counts after a verb; a snake_case or dotted name anywhere.
        if re.search(r"[_.-]", name) and re.search(token, text):
            return name
        if re.search(rf"\b{_VERBS}\s+(?:the\s+)?(?:tool\s+)?`?{escaped}`?(?![\w-])", text, re.IGNORECASE):
            return name
    return None


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(value) if re.fullmatch(r"-?\d+", value) else None
    if kind == "number":
        return float(value) if re.fullmatch(r"-?\d+(\.\d+)?", value) else None
    if kind == "boolean":
        lowered = value.lower()
        return (
            True if lowered in ("true", "yes", "on") else False if lowered in ("false", "no", "off") else None
        )
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return None
    return value


def _arguments(text: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties")
    found: dict[str, Any] = {}
    if not isinstance(props, Mapping):
        return found
    for prop, prop_schema in props.items():
        if not isinstance(prop_schema, Mapping):
            continue
        spelled = r"[\s_-]?".join(re.escape(part) for part in re.split(r"[_-]", str(prop)))
        value_pattern = r"(\"[^\"]*\"|'[^']*'|[^\s,;]+)"
        match = re.search(rf"\b{spelled}\b\s*(?:=|:|\bof\b|\bis\b)?\s*{value_pattern}", text, re.IGNORECASE)
        raw = match.group(1) if match else None
        if raw is None and prop_schema.get("type") in ("integer", "number"):
            before = re.search(rf"(-?\d+(?:\.\d+)?)\s+{spelled}\b", text, re.IGNORECASE)
            raw = before.group(1) if before else None
        if raw is None:
            continue
        raw = raw.strip("\"'").rstrip(".!?")
        value = _coerce(raw, prop_schema)
        if value is not None:
            found[str(prop)] = value
    return found


def _answer(observation: Observation) -> str:
    name = observation.call.name
    if not observation.ok:
        return f"`{name}` failed: {observation.error}. I did not retry it."
    data = observation.data
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        columns = list(dict.fromkeys(key for row in data[:_ROWS_SHOWN] for key in row))[:6]
        lines = [
            f"`{name}` returned {len(data)} row{'s' if len(data) != 1 else ''}"
            + (
                f" (the first {_ROWS_SHOWN} below; all of them are in the table):"
                if len(data) > _ROWS_SHOWN
                else ":"
            ),
            "| " + " | ".join(columns) + " |",
            "|" + "|".join("---" for _ in columns) + "|",
        ]
        for row in data[:_ROWS_SHOWN]:
            cells = [str(row.get(c, "—")).replace("|", "/") for c in columns]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)
    if isinstance(data, list) and not data:
        return f"`{name}` returned no rows."
    if isinstance(data, dict):
        shown = json.dumps(data, ensure_ascii=False, default=str)
        return f"`{name}` returned: `{shown[:400]}`"
    text = observation.content.strip() or "(nothing)"
    return f"`{name}` answered: {text[:600]}"


def plan_named_tool(text: str, box: OfferedTools, rounds: list[list[Observation]]) -> NamedReply | None:
    """The reply for a request that names an offered tool; None when it names none."""
    name = _named(text, box)
    if name is None:
        return None
    if rounds:
        observation = next((o for o in reversed(rounds[-1]) if o.call.name == name), None)
        if observation is not None:
            return NamedReply(_answer(observation), f"`{name}` answered, so I report what it returned.")
        return None
    schema = box.schemas[name]
    arguments = _arguments(text, schema)
    required = schema.get("required")
    missing = [str(r) for r in required if r not in arguments] if isinstance(required, list) else []
    if missing:
        declared = schema.get("properties")
        props: Mapping[str, Any] = declared if isinstance(declared, Mapping) else {}
        wanted = ", ".join(f"{m} ({props.get(m, {}).get('type', 'a value')})" for m in missing)
        example = " ".join(f"{m} ..." for m in missing)
        return NamedReply(
            f"To run `{name}` I need {wanted}. Say, for example: *run {name} with {example}*. "
            "Nothing was run.",
            f"The request names `{name}` but not all of its required arguments, so I ask.",
        )
    call = Call(name, arguments, name)
    return NamedReply(
        "",
        f"The request names the offered tool `{name}`; I read its arguments as {call.arguments_json}.",
        (call,),
    )
