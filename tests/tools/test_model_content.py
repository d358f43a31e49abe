"""What the model reads from one tool result is capped, and says what was cut."""

from __future__ import annotations

import json

from stripe_nb_agent.tools.types import DEFAULT_MAX_RESULT_CHARS, ToolResult


def _rows(n: int) -> list[dict[str, object]]:
    return [{"id": f"cus_{i:08d}", "object": "customer", "email": f"c{i}@example.com"} for i in range(n)]


def test_a_small_result_is_sent_as_it_is() -> None:
    result = ToolResult(tool="list_customers", ok=True, data={"object": "list", "data": _rows(3)})
    assert json.loads(result.for_model()) == {"object": "list", "data": _rows(3)}


def test_a_long_list_keeps_whole_rows_and_says_what_was_cut() -> None:
    envelope = {"object": "list", "data": _rows(10_000), "has_more": True, "url": "/v1/customers"}
    content = ToolResult(tool="list_customers", ok=True, data=envelope).for_model()
    assert len(content) <= DEFAULT_MAX_RESULT_CHARS
    sent = json.loads(content)
    assert sent["object"] == "list"
    assert sent["has_more"] is True
    kept = len(sent["data"])
    assert 0 < kept < 10_000
    assert sent["data"] == _rows(kept)
    assert f"{kept} of 10000 rows shown" in sent["note"]
    assert "full result is in the table" in sent["note"]


def test_the_cap_is_a_setting_and_none_sends_everything() -> None:
    result = ToolResult(tool="list_customers", ok=True, data=_rows(500))
    assert len(result.for_model(max_chars=2_000)) <= 2_000
    assert json.loads(result.for_model(max_chars=None)) == _rows(500)


def test_long_text_is_cut_with_a_note() -> None:
    result = ToolResult(tool="search_docs", ok=True, data="word " * 100_000)
    content = result.for_model(max_chars=5_000)
    assert len(content) <= 5_000
    assert content.startswith("word word")
    assert content.endswith("The full result is in the table shown to the user.]")
    assert "of 500,000 characters" in content
