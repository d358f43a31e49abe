"""Your own Python functions as tools, several MCP servers at once, every kind of tool content,
progress, and a status that says what is connected. Real servers throughout: the Agent's own model
client reads a scripted model from a loopback HTTP server, tools are real MCP servers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import mcp_types as types
import pandas as pd
import pytest
from mcp.server.mcpserver import Context, MCPServer

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.agent.events import ToolCallAwaitingApproval, ToolCallProgress
from stripe_nb_agent.agent.turn import Turn, TurnOptions
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.llm.models import ModelRegistry
from stripe_nb_agent.tables import result_table
from stripe_nb_agent.tools import ToolClient
from stripe_nb_agent.tools.hub import ToolHub
from stripe_nb_agent.ui.live import live_bundle
from stripe_nb_agent.ui.result import TurnOutput
from stripe_nb_agent.ui.state import ReplyState
from tests.agent.wire import ScriptedWire, call, say, scripted_client
from tests.tools.helpers import free_port, loopback

pytestmark = pytest.mark.anyio

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture
def agent_on(request: pytest.FixtureRequest) -> Iterator[Any]:
    """An Agent whose model is a scripted wire behind a real loopback HTTP server."""
    made: list[Agent] = []

    def make(wire: ScriptedWire, **options: Any) -> Agent:
        stack = loopback(wire)
        url = stack.__enter__()
        request.addfinalizer(lambda: stack.__exit__(None, None, None))
        registry = ModelRegistry(defaults=False)
        registry.register_model("scripted", base_url=url, model="scripted")
        agent = Agent(
            resolve_settings(mode="sandbox", environ={}), registry=registry, model="scripted", **options
        )
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.close()


def refunds_per_week(weeks: int = 4) -> pd.DataFrame:
    """Refunded amount per week, newest first."""
    return pd.DataFrame(
        {"week": [f"2026-W{26 - i}" for i in range(weeks)], "refunded": [1.5 * i for i in range(weeks)]}
    )


def test_a_python_function_is_a_tool_end_to_end_through_the_agent(agent_on: Any) -> None:
    wire = ScriptedWire([call("refunds_per_week", {"weeks": 3}), say("Three weeks of refunds.")])
    agent: Agent = agent_on(wire)
    assert agent.add_tool(refunds_per_week, kind="read") == "refunds_per_week"
    result = agent.ask("refunds per week for 3 weeks")
    assert result.stop_reason == "complete"
    record = result.tool_calls[0]
    assert (record.name, record.kind) == ("refunds_per_week", "read")
    assert record.result is not None
    assert record.result.ok, record.result.error
    # The user gets a table, the model compact JSON of the same rows.
    frame = result_table(record.result)
    assert frame is not None
    assert list(frame["week"]) == ["2026-W26", "2026-W25", "2026-W24"]
    told = json.loads(wire.told(2)[-1]["content"])
    assert told[2] == {"week": "2026-W24", "refunded": 3.0}
    # Stripe's tools and the function were offered together, the function with its schema.
    offered = {t["function"]["name"]: t["function"] for t in wire.bodies[0]["tools"]}
    assert "list_customers" in offered
    assert offered["refunds_per_week"]["description"] == "Refunded amount per week, newest first."
    assert offered["refunds_per_week"]["parameters"]["properties"]["weeks"]["type"] == "integer"


def test_a_write_function_waits_for_approval_and_a_decline_never_runs_it(agent_on: Any) -> None:
    ran: list[str] = []

    async def tag_customer(customer: str, tag: str) -> dict[str, str]:
        """Tag a customer in our CRM."""
        ran.append(customer)
        return {"customer": customer, "tag": tag}

    tag = call("tag_customer", {"customer": "cus_1", "tag": "vip"})
    wire = ScriptedWire([tag, say("Declined, so nothing was tagged."), tag, say("Done.")])
    agent: Agent = agent_on(wire, policy="confirm")
    agent.add_tool(tag_customer)  # kind defaults to write
    running = agent.start("tag cus_1 as vip")
    for event in running.events():
        if isinstance(event, ToolCallAwaitingApproval):
            assert event.preview == "Tag customer"
            assert ran == []
            event.approval.decline()
    assert ran == []
    running = agent.start("tag cus_1 as vip, really")
    for event in running.events():
        if isinstance(event, ToolCallAwaitingApproval):
            event.approval.approve()
    assert ran == ["cus_1"]


def test_an_exception_inside_a_function_is_a_failed_result_not_a_crashed_turn(agent_on: Any) -> None:
    def weekly_report(week: int) -> str:
        """A report that fails."""
        raise ValueError(f"no data for week {week}")

    wire = ScriptedWire([call("weekly_report", {"week": 0}), say("That failed.")])
    agent: Agent = agent_on(wire)
    agent.add_tool(weekly_report, kind="read")
    result = agent.ask("weekly report")
    assert result.stop_reason == "complete"
    failed = result.tool_calls[0].result
    assert failed is not None
    assert (failed.ok, failed.error_kind) == (False, "server")
    assert "ValueError: no data for week 0" in (failed.error or "")
    assert "no data for week 0" in wire.told(2)[-1]["content"]


def _crm_server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("crm")

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    def list_customers() -> list[dict[str, str]]:
        """CRM contacts (not Stripe's)."""
        return [{"id": "crm_1", "name": "From the CRM"}]

    return server


def test_colliding_tool_names_are_namespaced_per_server(agent_on: Any) -> None:
    wire = ScriptedWire([call("crm_list_customers", {}), say("CRM contacts.")])
    agent: Agent = agent_on(wire)
    assert agent.connect(ToolClient.for_server(_crm_server(), label="crm"), name="crm") == "crm"
    names = {(s.server, s.name) for s in agent.tools()}
    assert ("stripe", "stripe.list_customers") in names
    assert ("crm", "crm.list_customers") in names
    result = agent.ask("list the CRM contacts")
    record = result.tool_calls[0]
    assert record.name == "crm.list_customers"
    assert record.result is not None
    assert record.result.data == [{"id": "crm_1", "name": "From the CRM"}]
    agent.disconnect("crm")
    assert "list_customers" in {s.name for s in agent.tools()}


async def test_one_server_down_leaves_the_others_usable() -> None:
    down = ToolClient.for_url(f"http://127.0.0.1:{free_port()}/mcp", label="down", connect_timeout=5)
    hub = ToolHub({"crm": ToolClient.for_server(_crm_server()), "down": down})
    with anyio.fail_after(30):
        specs = await hub.list_tools()
        result = await hub.call_tool("list_customers", {})
    assert [s.name for s in specs] == ["list_customers"]
    assert result.ok
    assert "'down' is unavailable" in (hub.catalog_warning or "")
    states = {r.name: r.state for r in hub.rows()}
    assert states["down"].startswith("unavailable: Could not reach")
    await hub.aclose()


def _media_server() -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("media")

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True), structured_output=False)
    def get_chart() -> list[Any]:
        """A chart, its data as a link and a raw blob."""
        return [
            types.TextContent(type="text", text="Revenue chart attached."),
            types.ImageContent(type="image", data=PNG, mime_type="image/png"),
            types.ResourceLink(
                type="resource_link", uri="https://example.com/revenue.csv", name="revenue.csv"
            ),
            types.EmbeddedResource(type="resource", resource=types.BlobResourceContents(
                uri="file:///exports/raw.bin", blob="AAECAw==", mime_type="application/octet-stream")),
        ]  # fmt: skip

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    async def get_export(ctx: Context) -> str:
        """A long export that reports progress."""
        for step in range(1, 4):
            await ctx.report_progress(step, 3, f"page {step}")
        return "exported"

    return server


async def test_images_links_and_blobs_reach_the_user_and_are_mentioned_to_the_model() -> None:
    wire = ScriptedWire([call("get_chart", {}), say("Here is the chart.")])
    async with ToolClient.for_server(_media_server()) as tools, scripted_client(wire) as model:
        turn = Turn(Conversation(), "chart", model=model, tools=tools, options=TurnOptions()).start()
        with anyio.fail_after(30):
            result = await turn.wait()
    record = result.tool_calls[0].result
    assert record is not None
    assert [a.type for a in record.attachments] == ["image", "resource_link", "resource"]
    told = wire.told(2)[-1]["content"]
    assert "Revenue chart attached." in told
    assert "https://example.com/revenue.csv" in told
    assert PNG not in told
    html = TurnOutput(result).to_html()
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert 'href="https://example.com/revenue.csv"' in html
    assert "file:///exports/raw.bin" in html
    text = TurnOutput(result).to_text()
    assert "image (image/png, 70 bytes)" in text
    assert "link: revenue.csv <https://example.com/revenue.csv>" in text


async def test_progress_reaches_the_events_and_the_live_line() -> None:
    wire = ScriptedWire([call("get_export", {}), say("Exported.")])
    state = ReplyState()
    lines: list[str] = []
    progress: list[ToolCallProgress] = []
    async with ToolClient.for_server(_media_server()) as tools, scripted_client(wire) as model:
        turn = Turn(Conversation(), "export", model=model, tools=tools, options=TurnOptions()).start()
        with anyio.fail_after(30):
            async for event in turn:
                state.apply(event)
                if isinstance(event, ToolCallProgress):
                    progress.append(event)
                    lines.append(str(live_bundle(state)["text/plain"]))
    assert [(p.progress, p.total, p.message) for p in progress] == [
        (1, 3, "page 1"),
        (2, 3, "page 2"),
        (3, 3, "page 3"),
    ]
    assert "… calling get_export (2/3: page 2)" in lines[1]


def test_status_describes_each_connected_server(agent_on: Any) -> None:
    agent: Agent = agent_on(ScriptedWire([say("hi")]))
    agent.add_tool(refunds_per_week, kind="read")
    agent.connect(ToolClient.for_server(_crm_server(), label="crm", trusted=True), name="crm")
    status = agent.status()
    rows = {t.name: t for t in status.tools}
    assert set(rows) == {"stripe", "python", "crm"}
    assert (rows["crm"].transport, rows["crm"].trusted, rows["crm"].tools) == ("in-process", True, 1)
    assert rows["python"].trusted
    text = str(status)
    assert "tool server" in text
    assert "crm" in text
    assert "not a language model" in text  # the model service is still described


def test_a_status_for_other_tools_does_not_claim_the_stripe_sandbox() -> None:
    agent = Agent(
        resolve_settings(mode="sandbox", environ={}), tools=ToolClient.for_server(_crm_server(), label="crm")
    )
    try:
        status = agent.status()
    finally:
        agent.close()
    assert "in-process Stripe sandbox" not in str(status)
    assert [t.name for t in status.tools] == ["crm"]


def test_python_tools_leave_the_kernels_logging_as_it_was() -> None:
    import logging

    from stripe_nb_agent.tools.functions import FunctionTools

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    FunctionTools().add(refunds_per_week, kind="read")
    assert (root.level, list(root.handlers)) == before
