"""The stand-in calls a tool the request names (the user's own, say) with arguments read per its schema."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.sandbox.model.named_tools import plan_named_tool
from stripe_nb_agent.sandbox.model.offered_tools import OfferedTools

SCHEMA = {
    "type": "object",
    "properties": {
        "weeks": {"type": "integer"},
        "currency": {"type": "string"},
        "include_refunds": {"type": "boolean"},
    },
    "required": ["weeks"],
}
ECHO = {"type": "object", "properties": {"text": {"type": "string"}}}
BOX = OfferedTools(
    {"revenue_per_week": SCHEMA, "echo": ECHO, "list_customers": {"type": "object", "properties": {}}}
)


@pytest.mark.parametrize(
    ("text", "arguments"),
    [
        ("run revenue_per_week with weeks 6", {"weeks": 6}),
        ("revenue_per_week weeks=6 currency=eur", {"weeks": 6, "currency": "eur"}),
        (
            "use revenue_per_week for the last 6 weeks, include refunds: yes",
            {"weeks": 6, "include_refunds": True},
        ),
        ('call revenue_per_week with weeks: 2 and currency "usd"', {"weeks": 2, "currency": "usd"}),
        ("run echo with text hello", {"text": "hello"}),
    ],
)
def test_arguments_are_read_per_the_schema(text: str, arguments: dict[str, Any]) -> None:
    reply = plan_named_tool(text, BOX, [])
    assert reply is not None
    (call,) = reply.calls
    assert dict(call.arguments) == arguments


def test_a_missing_required_argument_is_asked_for_and_nothing_runs() -> None:
    reply = plan_named_tool("run revenue_per_week please", BOX, [])
    assert reply is not None
    assert reply.calls == ()
    assert "weeks (integer)" in reply.content
    assert "Nothing was run" in reply.content


def test_a_plain_word_needs_a_verb_and_ordinary_requests_are_left_to_the_phrasebook() -> None:
    assert plan_named_tool("echo the last payment", BOX, []) is None
    assert plan_named_tool("list my customers", BOX, []) is None


def revenue_per_week(weeks: int = 4) -> pd.DataFrame:
    """Revenue per ISO week, newest first."""
    return pd.DataFrame(
        {"week": [f"2026-W{26 - i}" for i in range(weeks)], "revenue": [100.0 * i for i in range(weeks)]}
    )


def test_the_stand_in_runs_a_registered_python_tool_end_to_end() -> None:
    agent = Agent(resolve_settings(mode="sandbox", environ={}), model="sandbox")
    try:
        agent.add_tool(revenue_per_week, kind="read")
        result = agent.ask("run revenue_per_week with weeks 3")
    finally:
        agent.close()
    assert [c.name for c in result.tool_calls] == ["revenue_per_week"]
    assert result.tool_calls[0].arguments == {"weeks": 3}
    assert "`revenue_per_week` returned 3 rows" in result.text
    assert "2026-W24" in result.text
