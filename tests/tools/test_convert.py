"""MCP input schemas become OpenAI function parameters without losing anything the model needs."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from stripe_nb_agent.tools.catalog import catalog_rows
from stripe_nb_agent.tools.classify import classify
from stripe_nb_agent.tools.convert import (
    ToolNames,
    openai_tool,
    sanitize_name,
    to_openai_parameters,
)
from stripe_nb_agent.tools.policy import ToolMenu
from stripe_nb_agent.tools.types import ToolSpec
from tests.tools.helpers import reference_tools

OPENAI_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
REFERENCE = reference_tools()


def _spec(tool: dict[str, Any]) -> ToolSpec:
    return ToolSpec(
        name=tool["name"],
        description=tool.get("description", ""),
        input_schema=tool["inputSchema"],
        kind=classify(tool["name"], tool.get("annotations")),
        annotations=tool.get("annotations", {}),
    )


def _walk(node: Any) -> list[Any]:
    out = [node]
    if isinstance(node, dict):
        for v in node.values():
            out += _walk(v)
    elif isinstance(node, list):
        for v in node:
            out += _walk(v)
    return out


@pytest.mark.parametrize("tool", REFERENCE, ids=[t["name"] for t in REFERENCE])
def test_every_reference_tool_keeps_its_whole_schema(tool: dict[str, Any]) -> None:
    converted = openai_tool(_spec(tool))
    params = converted["function"]["parameters"]
    # Nothing was dropped: the original schema already had no refs, so conversion is the identity.
    assert params == tool["inputSchema"] | {"properties": tool["inputSchema"].get("properties", {})}
    assert OPENAI_NAME.match(converted["function"]["name"])
    assert converted["function"]["description"]
    jsonschema.Draft202012Validator.check_schema(params)
    json.dumps(converted)  # plain JSON, ready for the request body


def test_reference_tools_without_descriptions_get_a_fallback_naming_the_class() -> None:
    tools = ToolMenu.build([_spec(t) for t in REFERENCE], "auto").tools
    by_name = {t["function"]["name"]: t["function"]["description"] for t in tools}
    assert by_name["create_customer"] == "Stripe tool create_customer (write)"
    assert by_name["list_customers"] == "Stripe tool list_customers (read)"


def test_reference_catalogue_classifies_reads_and_writes_from_annotations() -> None:
    kinds = {t["name"]: _spec(t).kind for t in REFERENCE}
    assert kinds["list_invoices"] == "read"
    assert kinds["create_refund"] == "write"
    assert kinds["finalize_invoice"] == "write"
    assert sum(k == "read" for k in kinds.values()) >= 8
    rows = catalog_rows([_spec(t) for t in REFERENCE])
    assert len(rows) == len(REFERENCE) == 22
    price = next(r for r in rows if r["name"] == "create_price")
    assert price == {
        "name": "create_price",
        "kind": "write",
        "parameters": "product, unit_amount, currency",
        "required": "product, unit_amount, currency",
        "description": "",
    }


def test_rich_keywords_survive_conversion() -> None:
    schema = {
        "type": "object",
        "properties": {
            "currency": {"type": "string", "enum": ["usd", "eur"], "default": "usd", "description": "ISO"},
            "amount": {"type": "integer", "minimum": 1, "maximum": 99999999},
            "email": {"type": "string", "format": "email"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"price": {"type": "string"}},
                    "required": ["price"],
                },
                "minItems": 1,
            },
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "required": ["amount"],
        "additionalProperties": False,
    }
    assert to_openai_parameters(schema) == schema


def test_refs_and_defs_are_inlined_and_dropped() -> None:
    schema = {
        "type": "object",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"Address": {"type": "object", "properties": {"city": {"type": "string"}}}},
        "definitions": {"Money": {"type": "integer", "minimum": 0}},
        "properties": {
            "shipping": {"$ref": "#/$defs/Address", "description": "where it goes"},
            "amount": {"$ref": "#/definitions/Money"},
        },
    }
    params = to_openai_parameters(schema)
    assert params["properties"]["shipping"] == {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "description": "where it goes",
    }
    assert params["properties"]["amount"] == {"type": "integer", "minimum": 0}
    assert not [
        n for n in _walk(params) if isinstance(n, dict) and ({"$ref", "$defs", "definitions"} & set(n))
    ]
    assert "$schema" not in params


def test_recursive_refs_stay_finite() -> None:
    schema = {
        "type": "object",
        "$defs": {"Node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}},
        "properties": {"tree": {"$ref": "#/$defs/Node"}, "self": {"$ref": "#"}},
    }
    params = to_openai_parameters(schema)
    child = params["properties"]["tree"]["properties"]["child"]
    assert child["type"] == "object"
    assert "recursive" in child["description"]
    assert "$ref" not in json.dumps(params)


def test_unresolvable_refs_become_permissive_with_a_note() -> None:
    params = to_openai_parameters(
        {
            "type": "object",
            "properties": {"x": {"$ref": "https://example.com/x.json"}, "y": {"$ref": "#/nope"}},
        }
    )
    assert "unresolved reference" in params["properties"]["x"]["description"]
    assert "unresolved reference #/nope" in params["properties"]["y"]["description"]


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({}, {"type": "object", "properties": {}}),
        (None, {"type": "object", "properties": {}}),
        ("junk", {"type": "object", "properties": {}}),
        ([1, 2], {"type": "object", "properties": {}}),
        (
            {"properties": {"a": {"type": "string"}}},
            {"type": "object", "properties": {"a": {"type": "string"}}},
        ),
        ({"type": ["object", "null"]}, {"type": "object", "properties": {}}),
        ({"type": "object", "properties": "junk"}, {"type": "object", "properties": {}}),
        (
            {"type": "object", "properties": {"a": 5, "b": True}, "required": ["a", 7, "ghost"]},
            {"type": "object", "properties": {"a": {}, "b": {}}, "required": ["a"]},
        ),
        ({"type": "object", "properties": {}, "required": "a"}, {"type": "object", "properties": {}}),
        (
            {"type": "object", "properties": {"t": {"type": "array", "items": [{"type": "string"}, 3]}}},
            {"type": "object", "properties": {"t": {"type": "array", "items": [{"type": "string"}, {}]}}},
        ),
    ],
    ids=[
        "empty",
        "none",
        "string",
        "list",
        "missing-type",
        "type-list",
        "junk-props",
        "junk-required",
        "required-not-list",
        "tuple-items",
    ],
)
def test_hostile_schemas_become_valid_objects(schema: Any, expected: dict[str, Any]) -> None:
    params = to_openai_parameters(schema)
    assert params == expected
    # Draft 7: the dialect OpenAI-compatible servers understand (tuple-form items included).
    jsonschema.Draft7Validator.check_schema(params)


def test_conversion_does_not_mutate_the_input() -> None:
    schema = {"$defs": {"A": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/A"}}}
    before = json.dumps(schema, sort_keys=True)
    to_openai_parameters(schema)
    assert json.dumps(schema, sort_keys=True) == before


def test_very_deep_schemas_are_cut_off_instead_of_recursing_forever() -> None:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(200):
        node = {"type": "object", "properties": {"n": node}}
    params = to_openai_parameters(node)
    assert "nested too deeply" in json.dumps(params)


def test_names_are_sanitised_to_the_openai_pattern_and_map_back() -> None:
    names = ToolNames.build(["stripe.create customer", "stripe/create_customer", "ok_name", "x" * 80])
    for mcp_name, openai_name in names.to_openai.items():
        assert OPENAI_NAME.match(openai_name), openai_name
        assert names.to_mcp[openai_name] == mcp_name
    assert names.to_openai["ok_name"] == "ok_name"
    assert len(set(names.to_openai.values())) == 4
    assert sanitize_name("é") == "tool"
