"""``--format json`` is capped like the HTML view's tables, and says so."""

from __future__ import annotations

import json

from stripe_nb_agent.agent.events import ToolCallRecord, TurnResult
from stripe_nb_agent.tools.types import ToolResult
from stripe_nb_agent.ui.render import MAX_TABLE_ROWS
from stripe_nb_agent.ui.result import TurnOutput


def _output(rows: int) -> TurnOutput:
    data = {
        "object": "list",
        "data": [{"id": f"cus_{i:06d}", "email": f"c{i}@example.com"} for i in range(rows)],
    }
    result = ToolResult(tool="list_customers", ok=True, data=data, text=json.dumps(data))
    record = ToolCallRecord("call_1", "list_customers", {}, "read", result, 1)
    return TurnOutput(TurnResult(prompt="list", text="Here they are.", tool_calls=(record,)), format="json")


def test_a_large_result_shows_as_many_rows_as_the_html_view_with_a_note() -> None:
    bundle = _output(10_000)._repr_mimebundle_()
    result = bundle["application/json"]["tool_calls"][0]["result"]
    assert len(result["data"]["data"]) == MAX_TABLE_ROWS
    assert result["text"] == ""
    assert result["note"].startswith(f"showing {MAX_TABLE_ROWS} of 10000 rows")
    assert "--out turn" in result["note"]
    assert len(bundle["text/plain"]) < 20_000


def test_a_small_result_is_shown_whole_and_the_python_value_keeps_everything() -> None:
    small = _output(3)._repr_mimebundle_()["application/json"]["tool_calls"][0]["result"]
    assert len(small["data"]["data"]) == 3
    assert "note" not in small
    assert len(_output(10_000).to_dict()["tool_calls"][0]["result"]["data"]["data"]) == 10_000
