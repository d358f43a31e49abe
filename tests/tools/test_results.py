"""Every shape a server answers with folds into one ToolResult."""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types

from stripe_nb_agent.tools.results import parse_call_result


def _text(*texts: str, is_error: bool = False, structured: Any = None) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=t) for t in texts],
        is_error=is_error,
        structured_content=structured,
    )


def test_text_json_object_is_parsed() -> None:
    result = parse_call_result("create_customer", _text('{"id": "cus_1"}'), latency_s=0.25, kind="write")
    assert result.ok
    assert result.data == {"id": "cus_1"}
    assert result.text == '{"id": "cus_1"}'
    assert (result.latency_s, result.kind, result.sent, result.error_kind) == (0.25, "write", True, None)


def test_bare_arrays_are_data() -> None:
    assert parse_call_result("list_customers", _text('[{"id": "cus_1"}]')).data == [{"id": "cus_1"}]


def test_structured_content_wins_and_result_wrappers_are_unwrapped() -> None:
    result = parse_call_result("t", _text("[...]", structured={"result": [1, 2]}))
    assert result.data == [1, 2]
    assert parse_call_result("t", _text('{"result": {"id": "x"}}')).data == {"id": "x"}
    # A real object with a "result" key among others is not a wrapper.
    assert parse_call_result("t", _text('{"result": 1, "more": 2}')).data == {"result": 1, "more": 2}


def test_stripe_failed_to_literals_are_errors() -> None:
    result = parse_call_result("list_customers", _text('"Failed to list customers"'))
    assert not result.ok
    assert result.error_kind == "server"
    assert result.error is not None
    assert result.error.startswith("Failed to list customers (the server gave no reason")
    assert result.sent


def test_the_hint_for_a_bare_failure_names_reachability_and_the_key_before_the_ids() -> None:
    error = parse_call_result("list_customers", _text('"Failed to list customers"')).error
    assert error is not None
    assert "check that Stripe can be reached" in error
    assert "the key is valid and may use this API" in error
    assert error.index("can be reached") < error.index("the ids and amounts")


def test_is_error_results_are_errors_with_their_text() -> None:
    result = parse_call_result(
        "create_price", _text("Input validation error: currency required", is_error=True)
    )
    assert not result.ok
    assert result.error == "Input validation error: currency required"
    assert json.loads(result.for_model()) == {"error": result.error, "kind": "server"}


def test_generic_profile_api_errors_are_errors_even_without_is_error() -> None:
    result = parse_call_result("stripe_api_read", _text("Stripe API error: No such customer: 'cus_x'"))
    assert not result.ok
    assert result.error == "Stripe API error: No such customer: 'cus_x'"


def test_stripe_error_envelopes_are_errors() -> None:
    body = {"error": {"type": "invalid_request_error", "message": "No such price: 'price_x'"}}
    result = parse_call_result("create_payment_link", _text(json.dumps(body)))
    assert not result.ok
    assert result.error == "Stripe API error: No such price: 'price_x'"


def test_non_json_text_is_kept_as_text() -> None:
    result = parse_call_result("search_docs", _text("Use the Refunds API to ..."))
    assert result.ok
    assert result.data == "Use the Refunds API to ..."
    assert result.for_model() == "Use the Refunds API to ..."
    assert parse_call_result("t", _text("12 apples")).data == "12 apples"


def test_several_text_blocks_are_joined() -> None:
    result = parse_call_result("t", _text("first", "second"))
    assert result.text == "first\nsecond"


def test_images_links_and_blobs_stay_on_the_result_and_the_model_is_told_of_them() -> None:
    result = parse_call_result(
        "report",
        types.CallToolResult(
            content=[
                types.TextContent(type="text", text='{"total": 5}'),
                types.ImageContent(type="image", data="aGVsbG8=", mime_type="image/png"),
                types.ResourceLink(type="resource_link", uri="https://example.com/r/1", name="r1",
                                   mime_type="text/csv"),
                types.EmbeddedResource(
                    type="resource",
                    resource=types.BlobResourceContents(uri="file:///tmp/x.bin", blob="AAEC",
                                                        mime_type="application/octet-stream"),
                ),
            ]
        ),
    )  # fmt: skip
    assert result.ok
    assert result.data == {"total": 5}
    image, link, blob = result.attachments
    assert (image.type, image.mime_type, image.size, image.data) == ("image", "image/png", 5, "aGVsbG8=")
    assert (link.type, link.uri, link.name) == ("resource_link", "https://example.com/r/1", "r1")
    assert (blob.type, blob.uri, blob.size) == ("resource", "file:///tmp/x.bin", 3)
    told = result.for_model()
    assert told.startswith('{"total": 5}')
    assert "[image, image/png, 5 bytes]" in told
    assert "https://example.com/r/1" in told
    assert "file:///tmp/x.bin" in told
    assert "aGVsbG8=" not in told  # the model gets a mention, never the payload


def test_a_result_of_only_an_image_is_ok_and_mentions_it() -> None:
    only_image = parse_call_result(
        "chart",
        types.CallToolResult(content=[types.ImageContent(type="image", data="aGk=", mime_type="image/png")]),
    )
    assert only_image.ok
    assert only_image.data is None
    assert only_image.for_model() == (
        "Also returned (shown to the user, not readable here):\n[image, image/png, 2 bytes]"
    )


def test_embedded_text_resources_are_read() -> None:
    block = types.EmbeddedResource(
        type="resource", resource=types.TextResourceContents(uri="stripe://x", text='{"id": "cus_9"}')
    )
    assert parse_call_result("t", types.CallToolResult(content=[block])).data == {"id": "cus_9"}


def test_empty_results_are_ok_and_empty() -> None:
    result = parse_call_result("t", types.CallToolResult(content=[]))
    assert result.ok
    assert (result.data, result.text) == (None, "")
