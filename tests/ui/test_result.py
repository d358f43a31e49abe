"""A turn's ``text/markdown`` output keeps the model's formatting and nothing that could run."""

from __future__ import annotations

from html import escape
from typing import Any

import pytest
from markdown_it import MarkdownIt

from stripe_nb_agent.agent.events import ToolCallRecord, TurnMetrics, TurnResult
from stripe_nb_agent.tools.types import ToolResult
from stripe_nb_agent.ui.result import TurnOutput
from tests.ui.support import HOSTILE, unsanitised_elements


def output(text: str, *, formatting: str = "") -> TurnOutput:
    """A failed turn with one failed tool call, every string of it ``text``."""
    record = ToolCallRecord(
        call_id="call_1",
        name=text,
        arguments={"q": text},
        kind="read",
        result=ToolResult(tool=text, ok=False, error=text, latency_s=0.01),
        round=1,
    )
    result = TurnResult(
        prompt=text,
        text=formatting + text,
        reasoning=text,
        tool_calls=(record,),
        metrics=TurnMetrics(model=text, rounds=1, total_s=1.0),
        stop_reason="error",
        error=text,
    )
    return TurnOutput(result, show_reasoning=True)


# What Markdown itself makes, with no attribute: the model's formatting, which the output keeps.
FORMATTING = {"p", "em", "strong", "del", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "br"}
FORMATTING |= {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}


@pytest.mark.parametrize("payload", HOSTILE)
def test_markdown_output_keeps_no_tag_link_or_image_from_the_model_or_a_tool(payload: str) -> None:
    for tag, attributes in unsanitised_elements(output(payload).to_markdown()):
        assert tag in FORMATTING
        for name, value in attributes:  # a fence's language, a table cell's alignment: nothing else
            assert (tag, name) in {("code", "class"), ("th", "style"), ("td", "style")}
            assert str(value).startswith(("language-", "text-align:"))


def test_markdown_output_keeps_the_models_own_formatting() -> None:
    elements = [
        tag for tag, _ in unsanitised_elements(output("x", formatting="**Total** 3\n\n").to_markdown())
    ]
    assert "strong" in elements


def test_a_backtick_in_a_tool_name_does_not_break_out_of_its_code_span() -> None:
    name = "list`` <b>x</b> `customers"
    markdown = output(name).to_markdown()
    line = next(line for line in markdown.splitlines() if line.startswith("- "))
    assert [tag for tag, _ in unsanitised_elements(line)] == ["ul", "li", "code"]
    rendered = MarkdownIt("commonmark", {"html": True}).renderInline(line[2:])
    assert rendered == f"<code>✗ {escape(name)} 10 ms: {escape(name)}</code>"


def _record(call_id: str, name: str, data: Any, round_no: int) -> ToolCallRecord:
    return ToolCallRecord(call_id, name, {}, "read", ToolResult(name, ok=True, data=data), round_no)


def test_objects_fetched_one_by_one_become_one_table_beside_the_ids_that_listed_them() -> None:
    ada = {"id": "cus_Ada000001", "object": "customer", "name": "Ada Lovelace", "email": "ada@example.com"}
    grace = {
        "id": "cus_Grace0001",
        "object": "customer",
        "name": "Grace Hopper",
        "email": "grace@example.com",
    }
    calls = (
        _record("c1", "list_customers", [{"id": ada["id"]}, {"id": grace["id"]}], 1),
        _record("c2", "fetch_stripe_resources", ada, 2),
        _record("c3", "fetch_stripe_resources", grace, 2),
        _record("c4", "retrieve_balance", {"object": "balance", "available": []}, 3),
    )
    out = TurnOutput(TurnResult(prompt="top customers", text="Two customers.", tool_calls=calls))
    first = out.tables[0]
    assert list(first["id"]) == [ada["id"], grace["id"]]
    assert list(first["name"]) == ["Ada Lovelace", "Grace Hopper"]
    # One table for the list and its fetches, not a list of ids plus one table per customer.
    assert sum("name" in t.columns for t in out.tables) == 1
    html = out.to_html()
    assert html.count("Grace Hopper") == 1


def test_fetches_without_a_list_before_them_are_still_merged_into_one_table() -> None:
    a = {"id": "pi_A00000001", "object": "payment_intent", "amount": 100, "currency": "usd"}
    b = {"id": "pi_B00000001", "object": "payment_intent", "amount": 200, "currency": "usd"}
    calls = (_record("c1", "fetch_stripe_resources", a, 1), _record("c2", "fetch_stripe_resources", b, 1))
    out = TurnOutput(TurnResult(prompt="two payments", text="Two.", tool_calls=calls))
    assert len(out.tables) == 1
    assert list(out.tables[0]["id"]) == [a["id"], b["id"]]
