"""Bad calls are caught before they are sent, with messages that say how to fix them."""

from __future__ import annotations

from stripe_nb_agent.tools.validate import (
    ArgumentsError,
    close_matches,
    parse_arguments,
    schema_violations,
    unknown_tool_message,
)
from tests.tools.helpers import reference_tools

SCHEMAS = {t["name"]: t["inputSchema"] for t in reference_tools()}


def test_string_arguments_are_parsed_and_empty_means_none() -> None:
    assert parse_arguments('{"limit": 3}') == {"limit": 3}
    assert parse_arguments("") == {}
    assert parse_arguments("  ") == {}
    assert parse_arguments("null") == {}
    assert parse_arguments(None) == {}
    assert parse_arguments({"a": 1}) == {"a": 1}


def test_broken_json_says_where_it_broke() -> None:
    error = parse_arguments('{"name": "Jenny", "email": }')
    assert isinstance(error, ArgumentsError)
    assert "not valid JSON" in error.message
    assert "line 1 column 28" in error.message
    assert '"email": }' in error.message


def test_non_object_json_is_refused_with_an_example() -> None:
    error = parse_arguments("[1, 2]")
    assert isinstance(error, ArgumentsError)
    assert "got a JSON array" in error.message
    assert '{"limit": 10}' in error.message


def test_schema_violations_list_each_problem_with_its_path() -> None:
    problems = schema_violations(SCHEMAS["create_price"], {"product": "prod_1", "unit_amount": "12"})
    assert problems == [
        'at (top level): "currency" is a required property',
        'at unit_amount: "12" is not of type "integer"',
    ]


def test_unknown_parameters_name_the_allowed_ones() -> None:
    (problem,) = schema_violations(SCHEMAS["create_customer"], {"name": "J", "phone": "1"})
    assert "'phone' was unexpected" in problem
    assert "allowed parameters: email, name" in problem


def test_bounds_and_formats_are_checked() -> None:
    assert schema_violations(SCHEMAS["list_customers"], {"limit": 0}) == [
        "at limit: 0 is less than the minimum of 1"
    ]
    assert schema_violations(SCHEMAS["create_customer"], {"name": "J", "email": "not-an-email"}) == [
        'at email: "not-an-email" is not a "email"'
    ]
    assert schema_violations(SCHEMAS["create_customer"], {"name": "J", "email": "j@example.com"}) == []


def test_nested_paths_and_enums_are_reported() -> None:
    schema = {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {"type": "object", "properties": {"mode": {"enum": ["a", "b"]}}},
            }
        },
    }
    assert schema_violations(schema, {"items": [{"mode": "a"}, {"mode": "c"}]}) == [
        'at items/1/mode: "c" is not one of ["a", "b"]'
    ]


def test_refs_in_the_servers_schema_are_followed() -> None:
    schema = {
        "type": "object",
        "$defs": {"Amount": {"type": "integer", "minimum": 1}},
        "properties": {"amount": {"$ref": "#/$defs/Amount"}},
    }
    assert schema_violations(schema, {"amount": -5}) == ["at amount: -5 is less than the minimum of 1"]


def test_an_invalid_schema_does_not_block_the_call() -> None:
    assert schema_violations({"type": "no-such-type"}, {"a": 1}) == []
    assert schema_violations({}, {"a": 1}) == []


def test_many_violations_are_capped() -> None:
    schema = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(15)}}
    problems = schema_violations(schema, {f"p{i}": "x" for i in range(15)})
    assert len(problems) == 11
    assert problems[-1] == "... and 5 more"


def test_unknown_tools_get_close_matches() -> None:
    names = list(SCHEMAS)
    assert close_matches("list_customer", names)[0] == "list_customers"
    assert "list_customers" in close_matches("customers", names)
    message = unknown_tool_message("create_custmer", names)
    assert message.startswith("There is no tool named 'create_custmer'. Did you mean create_customer")
    assert "exact name" in message
    assert "Available tools: a, b" in unknown_tool_message("zzzzzz", ["b", "a"])
    assert "no tools" in unknown_tool_message("x", [])


def test_one_validator_is_compiled_per_schema_and_reused() -> None:
    from stripe_nb_agent.tools import validate

    schema = {"type": "object", "properties": {"reused": {"type": "integer"}}}
    before = validate._compiled.cache_info()
    for _ in range(5):
        schema_violations(dict(schema), {"reused": "x"})
    after = validate._compiled.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 4


def test_unknown_parameters_behind_a_ref_still_name_the_allowed_ones() -> None:
    schema = {
        "type": "object",
        "$defs": {"Address": {"type": "object", "properties": {"city": {}}, "additionalProperties": False}},
        "properties": {"address": {"$ref": "#/$defs/Address"}},
    }
    (problem,) = schema_violations(schema, {"address": {"town": "Paris"}})
    assert problem.startswith("at address: ")
    assert "'town' was unexpected" in problem
    assert "allowed parameters: city" in problem
