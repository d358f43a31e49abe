"""MCP tool schemas -> OpenAI function tools.

The WHOLE input schema survives (enums, nested objects, array items, bounds, formats, defaults,
descriptions): the model can only respect constraints it is shown. What changes is only what
OpenAI-compatible servers are known to reject: ``$ref``/``$defs`` (inlined, cycle-safe), a missing
or non-object top-level ``type``, junk where a schema belongs, and tool names outside
``^[A-Za-z0-9_-]{1,64}$`` (sanitised; :class:`ToolNames` is the two-way map, which
:class:`~stripe_nb_agent.tools.policy.ToolMenu` holds for the offer and its calls).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stripe_nb_agent.tools.types import OpenAITool, ToolKind, ToolSpec

__all__ = [
    "MAX_INLINE_DEPTH",
    "ToolNames",
    "fallback_description",
    "openai_tool",
    "sanitize_name",
    "to_openai_parameters",
]

MAX_INLINE_DEPTH = 32
_NAME_OK = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NAME_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
# Keys whose values are maps of name -> schema.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
# Keys whose values are one schema.
_SCHEMA_ONE = (
    "items",
    "additionalProperties",
    "additionalItems",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
)
# Keys whose values are lists of schemas.
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_DROP_AT_TOP = ("$schema", "$id", "$defs", "definitions")


def fallback_description(name: str, kind: ToolKind, label: str = "Stripe") -> str:
    """What a tool without a description is called: ``Stripe tool create_customer (write)``."""
    return f"{label} tool {name} ({kind})"


def to_openai_parameters(schema: Any) -> dict[str, Any]:
    """An MCP ``inputSchema`` as an OpenAI ``parameters`` object, never raising.

    Local ``$ref``s (``#/$defs/x``, ``#/definitions/x``, any JSON pointer into the document) are
    inlined; a reference back into itself becomes a permissive schema with a note, so recursive
    shapes stay finite. Unresolvable references become ``{}`` with a note.
    """
    if not isinstance(schema, Mapping):
        return {"type": "object", "properties": {}}
    root = copy.deepcopy(dict(schema))
    inlined = _inline(root, root, (), 0)
    out = inlined if isinstance(inlined, dict) else {}
    for key in _DROP_AT_TOP:
        out.pop(key, None)
    top_type = out.get("type")
    if top_type != "object":
        # OpenAI requires an object at the top; a list type that allows objects is narrowed.
        out["type"] = "object"
    if not isinstance(out.get("properties"), dict):
        out["properties"] = {}
    required = out.get("required")
    if required is not None:
        kept = [r for r in required if isinstance(r, str)] if isinstance(required, list) else []
        # Some servers reject required names that aren't declared properties.
        kept = [r for r in dict.fromkeys(kept) if r in out["properties"]]
        if kept:
            out["required"] = kept
        else:
            out.pop("required")
    return out


def _resolve_pointer(root: Mapping[str, Any], ref: str) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _inline(node: Any, root: Mapping[str, Any], stack: tuple[str, ...], depth: int) -> Any:
    """Copy ``node`` with refs inlined; ``stack`` holds the refs being expanded (cycle guard)."""
    if node is True:
        return {}
    if node is False:
        return {"not": {}}
    if not isinstance(node, Mapping):
        # Junk where a schema belongs: the permissive schema is the honest reading.
        return {}
    if depth > MAX_INLINE_DEPTH:
        return {"description": "(nested too deeply to show; any value)"}
    ref = node.get("$ref")
    if isinstance(ref, str):
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        name = ref.rsplit("/", 1)[-1]
        if ref in stack:
            target = _resolve_pointer(root, ref)
            stub: dict[str, Any] = {"description": f"(recursive: the same shape as {name})"}
            if isinstance(target, Mapping) and isinstance(target.get("type"), str):
                stub["type"] = target["type"]
            return _merge(stub, _inline(siblings, root, stack, depth + 1)) if siblings else stub
        target = _resolve_pointer(root, ref)
        resolved: Any = (
            {"description": f"(unresolved reference {ref}; any value)"}
            if target is None
            else _inline(target, root, (*stack, ref), depth + 1)
        )
        return _merge(resolved, _inline(siblings, root, stack, depth + 1)) if siblings else resolved
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS:
            if key in ("$defs", "definitions"):
                continue  # inlined where used; dropped at the top
            out[key] = (
                {str(k): _inline(v, root, stack, depth + 1) for k, v in value.items()}
                if isinstance(value, Mapping)
                else {}
            )
        elif key in _SCHEMA_LISTS or (key == "items" and isinstance(value, list)):
            # A list-valued "items" is the pre-2020 tuple form.
            out[key] = [_inline(v, root, stack, depth + 1) for v in value] if isinstance(value, list) else []
        elif key in _SCHEMA_ONE:
            out[key] = value if isinstance(value, bool) else _inline(value, root, stack, depth + 1)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge(base: Any, extra: Any) -> dict[str, Any]:
    """A ``$ref`` with sibling keywords: the siblings (descriptions, defaults) win."""
    merged = dict(base) if isinstance(base, Mapping) else {}
    if isinstance(extra, Mapping):
        merged.update(extra)
    return merged


def sanitize_name(name: str) -> str:
    """A tool name OpenAI accepts; valid names are returned unchanged."""
    if _NAME_OK.match(name):
        return name
    cleaned = _NAME_BAD_CHARS.sub("_", name).strip("_") or "tool"
    if len(cleaned) > 64:
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        cleaned = f"{cleaned[:55]}_{digest}"
    return cleaned


@dataclass(frozen=True)
class ToolNames:
    """The two-way map between MCP tool names and the names the model sees."""

    to_openai: Mapping[str, str]
    to_mcp: Mapping[str, str]

    @classmethod
    def build(cls, names: Iterable[str]) -> ToolNames:
        to_openai: dict[str, str] = {}
        to_mcp: dict[str, str] = {}
        for name in names:
            candidate = sanitize_name(name)
            n = 2
            while candidate in to_mcp and to_mcp[candidate] != name:
                # Two names that sanitise alike ("a.b" and "a/b") must stay distinct.
                suffix = f"_{n}"
                candidate = f"{sanitize_name(name)[: 64 - len(suffix)]}{suffix}"
                n += 1
            to_openai[name] = candidate
            to_mcp[candidate] = name
        return cls(to_openai, to_mcp)


def openai_tool(spec: ToolSpec, *, name: str | None = None, label: str = "Stripe") -> OpenAITool:
    """One :class:`ToolSpec` as an OpenAI function tool."""
    description = spec.description.strip() or fallback_description(spec.name, spec.kind, label)
    return {
        "type": "function",
        "function": {
            "name": name or sanitize_name(spec.name),
            "description": description,
            "parameters": to_openai_parameters(spec.input_schema),
        },
    }
