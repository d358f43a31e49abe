"""The tool client against real in-process MCP servers: sessions, catalogue, calls, timeouts."""

from __future__ import annotations

from typing import Any

import anyio
import mcp_types as types
import pytest
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError

from stripe_nb_agent.tools import ToolClient, ToolMenu, ToolResult
from tests.tools.helpers import MethodCounter, shop_server

pytestmark = pytest.mark.anyio


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def paged_server(pages: int, *, loop_cursor: bool = False, fail: list[bool] | None = None) -> Server[Any]:
    """A low-level server listing one tool per page; ``fail[0]`` makes tools/list error out."""
    calls = {"list": 0}

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        calls["list"] += 1
        if fail and fail[0]:
            raise MCPError(code=-32603, message="catalogue backend down")
        page = int(params.cursor) if params and params.cursor else 0
        nxt = None if page + 1 >= pages else ("0" if loop_cursor else str(page + 1))
        tool = types.Tool(name=f"list_things_{page}", input_schema={"type": "object"})
        return types.ListToolsResult(tools=[tool], next_cursor=nxt)

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        await ctx.session.send_tool_list_changed()
        return types.CallToolResult(content=[types.TextContent(type="text", text='{"ok": true}')])

    server: Server[Any] = Server("paged", on_list_tools=list_tools, on_call_tool=call_tool)
    server.calls = calls  # type: ignore[attr-defined]
    return server


async def test_one_session_serves_many_calls_from_different_tasks() -> None:
    counter = MethodCounter()
    async with ToolClient.for_server(shop_server(counter)) as client:
        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for i in range(10):
                    tg.start_soon(client.call_tool, "create_customer", {"name": f"c{i}"})
            result = await client.call_tool("list_customers", {"limit": 100})
    assert result.ok
    assert len(result.data) == 10
    assert counter.counts["initialize"] == 1
    assert counter.counts["tools/call"] == 11
    assert counter.counts["tools/list"] == 1
    assert client.sessions_opened == 1


async def test_the_session_is_opened_lazily_and_closing_twice_is_safe() -> None:
    counter = MethodCounter()
    client = ToolClient.for_server(shop_server(counter))
    assert not client.connected
    assert counter.counts["initialize"] == 0
    with anyio.fail_after(10):
        await client.list_tools()
    assert client.connected
    assert client.server_info is not None
    assert client.server_info.name == "shop"
    await client.aclose()
    await client.aclose()
    assert not client.connected


async def test_a_session_opened_in_one_task_is_used_and_closed_from_others() -> None:
    client = ToolClient.for_server(shop_server())
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.connect)  # opened in a task that then ends
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "create_customer", {"name": "a"})
        assert (await client.call_tool("list_customers", {})).data == [{"id": "cus_1", "name": "a"}]
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.aclose)


async def test_a_menu_offers_sanitised_names_and_dispatches_them_to_the_mcp_tool() -> None:
    server: MCPServer[Any] = MCPServer("dots")

    @server.tool(name="billing.list-invoices")
    def list_invoices() -> list[str]:
        return ["in_1"]

    async with ToolClient.for_server(server) as client:
        menu = await client.menu()
        assert menu.tools[0]["function"]["name"] == "billing_list-invoices"
        spec = menu.dispatch("billing_list-invoices")
        assert not isinstance(spec, ToolResult)
        with anyio.fail_after(10):
            result = await client.call_tool(spec.name, "")
            by_sanitised_name = await client.call_tool("billing_list-invoices", {})
    assert result.ok
    assert result.data == ["in_1"]
    assert result.tool == "billing.list-invoices"
    # The client itself takes MCP names only: the menu is the one way back from a model's name.
    assert by_sanitised_name.error_kind == "unknown_tool"


async def test_per_call_problems_are_results_that_never_reach_the_server() -> None:
    counter = MethodCounter()
    async with ToolClient.for_server(shop_server(counter)) as client:
        with anyio.fail_after(10):
            unknown = await client.call_tool("list_customer", {})
            bad_json = await client.call_tool("create_customer", '{"name": ')
            bad_args = await client.call_tool("create_customer", {"name": 5})
    assert (unknown.error_kind, unknown.sent) == ("unknown_tool", False)
    assert "Did you mean list_customers" in (unknown.error or "")
    assert (bad_json.error_kind, bad_json.sent, bad_json.kind) == ("validation", False, "write")
    assert "not valid JSON" in (bad_json.error or "")
    assert bad_args.error_kind == "validation"
    assert 'at name: 5 is not of type "string"' in (bad_args.error or "")
    assert counter.counts["tools/call"] == 0


async def test_read_only_policy_refuses_writes_and_hides_them() -> None:
    counter = MethodCounter()
    async with ToolClient.for_server(shop_server(counter), policy="read-only") as client:
        with anyio.fail_after(10):
            offered = (await client.menu()).names
            refused = await client.call_tool("create_customer", {"name": "x"})
    assert offered == ("list_customers",)
    assert (refused.error_kind, refused.sent) == ("policy", False)
    assert counter.counts["tools/call"] == 0


async def test_a_slow_tool_times_out_as_a_result_and_the_session_survives() -> None:
    server: MCPServer[Any] = MCPServer("slow")
    release = anyio.Event()

    @server.tool(annotations={"readOnlyHint": True})
    async def get_report() -> str:
        await release.wait()
        return "done"

    @server.tool(annotations={"readOnlyHint": True})
    def get_ping() -> str:
        return "pong"

    async with ToolClient.for_server(server, call_timeout=0.2) as client:
        with anyio.fail_after(10):
            await client.list_tools()
            slow = await client.call_tool("get_report", {})
            fast = await client.call_tool("get_ping", {})
        release.set()
    assert (slow.ok, slow.error_kind, slow.sent) == (False, "timeout", True)
    assert "no answer within 0.2 s" in (slow.error or "")
    assert fast.ok
    assert fast.data == "pong"
    assert client.sessions_opened == 1


async def test_cancelling_a_call_leaves_the_session_usable() -> None:
    server: MCPServer[Any] = MCPServer("cancel")
    started = anyio.Event()

    @server.tool(annotations={"readOnlyHint": True})
    async def get_forever() -> str:
        started.set()
        await anyio.sleep_forever()
        return "never"

    @server.tool(annotations={"readOnlyHint": True})
    def get_ping() -> str:
        return "pong"

    async with ToolClient.for_server(server) as client:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(client.call_tool, "get_forever", {})
                await started.wait()
                tg.cancel_scope.cancel()
            after = await client.call_tool("get_ping", {})
    assert after.ok
    assert after.data == "pong"
    assert client.sessions_opened == 1


async def test_catalogue_is_cached_for_its_ttl_and_refreshes_on_demand() -> None:
    counter = MethodCounter()
    clock = FakeClock()
    async with ToolClient.for_server(shop_server(counter), catalog_ttl=60, clock=clock) as client:
        with anyio.fail_after(10):
            await client.list_tools()
            await client.call_tool("list_customers", {})
            clock.now += 59
            await client.list_tools()
            assert counter.counts["tools/list"] == 1
            clock.now += 2
            await client.list_tools()
            assert counter.counts["tools/list"] == 2
            await client.list_tools(refresh=True)
            assert counter.counts["tools/list"] == 3


async def test_catalogue_follows_cursors_across_pages() -> None:
    async with ToolClient.for_server(paged_server(5)) as client:
        with anyio.fail_after(10):
            names = [s.name for s in await client.list_tools()]
    assert names == [f"list_things_{i}" for i in range(5)]
    assert client.catalog_warning is None


async def test_catalogue_stops_at_the_page_cap_and_on_repeated_cursors() -> None:
    async with ToolClient.for_server(paged_server(500), max_pages=4) as client:
        with anyio.fail_after(10):
            assert len(await client.list_tools()) == 4
    assert "more than 4 pages" in (client.catalog_warning or "")
    async with ToolClient.for_server(paged_server(3, loop_cursor=True)) as client:
        with anyio.fail_after(10):
            assert [s.name for s in await client.list_tools()] == ["list_things_0"]
    assert "repeated a tools/list cursor" in (client.catalog_warning or "")


async def test_a_failed_refresh_keeps_the_last_good_list_with_a_warning() -> None:
    fail = [False]
    clock = FakeClock()
    async with ToolClient.for_server(paged_server(2, fail=fail), clock=clock, catalog_ttl=60) as client:
        with anyio.fail_after(10):
            first = await client.list_tools()
            fail[0] = True
            clock.now += 120
            stale = await client.list_tools(refresh=True)
            assert stale == first
            assert client.catalog_warning is not None
            assert "catalogue backend down" in client.catalog_warning
            assert "still using the list fetched 2 min ago" in client.catalog_warning
            fail[0] = False
            await client.list_tools()  # a failed refresh retries on the next use
            assert client.catalog_warning is None


async def test_a_catalogue_that_never_loaded_raises_tool_connect_error() -> None:
    from stripe_nb_agent.errors import ToolConnectError

    async with ToolClient.for_server(paged_server(1, fail=[True])) as client:
        with anyio.fail_after(10), pytest.raises(ToolConnectError, match="failed to list its tools"):
            await client.list_tools()


async def test_list_changed_notifications_invalidate_the_catalogue() -> None:
    server = paged_server(1)
    async with ToolClient.for_server(server) as client:
        with anyio.fail_after(10):
            await client.list_tools()
            await client.call_tool("list_things_0", {})  # the server announces list_changed
            await client.list_tools()
    assert server.calls["list"] == 2  # type: ignore[attr-defined]


async def test_the_stripe_sandbox_server_works_end_to_end() -> None:
    from stripe_nb_agent.sandbox.stripe.server import build_stripe_sandbox_server

    async with ToolClient.for_server(build_stripe_sandbox_server("classic"), label="Stripe") as client:
        with anyio.fail_after(20):
            specs = await client.list_tools()
            created = await client.call_tool("create_customer", {"name": "Jenny Rosen", "email": "j@x.com"})
            listed = await client.call_tool("list_customers", {"limit": 100})
    assert len(specs) >= 22
    tools = ToolMenu.build(specs, "auto").tools
    assert len({t["function"]["name"] for t in tools}) == len(specs)
    assert created.ok, created.error
    assert created.data["id"].startswith("cus_")
    assert listed.ok
    assert created.data["id"] in [c["id"] for c in listed.data]


async def test_annotations_decide_only_for_a_server_marked_trusted() -> None:
    server: MCPServer[Any] = MCPServer("hints")

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    def echo(text: str) -> str:
        """Say it back."""
        return text

    @server.tool(annotations=types.ToolAnnotations(readOnlyHint=True))
    def create_payout(amount: int) -> dict[str, Any]:
        """A write that claims to be read-only."""
        return {"id": "po_1", "amount": amount}

    with anyio.fail_after(10):
        async with ToolClient.for_server(server) as untrusted:
            kinds = {s.name: s.kind for s in await untrusted.list_tools()}
        async with ToolClient.for_server(server, trusted=True) as trusted:
            trusted_kinds = {s.name: s.kind for s in await trusted.list_tools()}
    assert kinds == {"echo": "write", "create_payout": "write"}
    assert trusted_kinds == {"echo": "read", "create_payout": "read"}
