"""Our tool client against the raw MCP SDK ``ClientSession``, on the loopback sandbox.

    .venv/bin/python benchmarks/bench_mcp_session.py [--calls 100] [--rounds 5]

(a) ``ToolClient.call_tool`` (name mapping, policy, schema validation, result parsing) and
(b) the SDK's own ``ClientSession.call_tool`` with nothing around it, each making the same
``--calls`` read calls over one kept session, alternating rounds; prints the best of each and the
ratio (a)/(b) (target <= 1.2). Then connect-per-call against one kept session, and overlapping
calls. The machine is shared and noisy: the ratios are what to read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import anyio
import httpx2
import mcp
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.sandbox.stripe import SandboxMCPHTTPServer, StripeStore
from stripe_nb_agent.tools.client import ToolClient

TOKEN = "sk_test_bench"
TOOL = "list_customers"
ARGS = {"limit": 3}


def _http() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


async def raw_sdk(url: str, calls: int) -> float:
    async with (
        _http() as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        await session.list_tools()
        started = time.perf_counter()
        for _ in range(calls):
            result = await session.call_tool(TOOL, ARGS)
            assert not result.is_error
        return time.perf_counter() - started


async def ours(url: str, calls: int) -> float:
    async with ToolClient.for_url(url, key=Secret(TOKEN)) as client:
        await client.list_tools()
        started = time.perf_counter()
        for _ in range(calls):
            result = await client.call_tool(TOOL, ARGS)
            assert result.ok, result.error
        return time.perf_counter() - started


async def connect_per_call(url: str, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        async with _http() as http, mcp.Client(streamable_http_client(url, http_client=http)) as client:
            await client.call_tool(TOOL, ARGS)
    return time.perf_counter() - started


async def parallel(url: str, n: int = 5) -> float:
    async with ToolClient.for_url(url, key=Secret(TOKEN)) as client:
        await client.list_tools()
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(client.call_tool, "retrieve_balance", {})
        return time.perf_counter() - started


async def run(calls: int, rounds: int) -> dict[str, float]:
    store = StripeStore()
    with SandboxMCPHTTPServer(store=store, token=TOKEN) as srv:
        await raw_sdk(srv.url, 10)  # warm-up: imports, first connection, validator compile
        await ours(srv.url, 10)
        raw_times, our_times = [], []
        for _ in range(rounds):
            raw_times.append(await raw_sdk(srv.url, calls))
            our_times.append(await ours(srv.url, calls))
        raw, our = min(raw_times), min(our_times)
        print(f"{calls} read calls ({TOOL}), one kept session, best of {rounds}:")
        print(f"  raw SDK ClientSession: {raw:6.3f} s ({raw / calls * 1000:5.2f} ms/call)")
        print(f"  our ToolClient:        {our:6.3f} s ({our / calls * 1000:5.2f} ms/call)")
        print(f"  -> ours / raw SDK = {our / raw:.2f}x (target <= 1.2)")
        fresh = await connect_per_call(srv.url, calls // 2)
        per_fresh = fresh / (calls // 2)
        print(f"connect per call: {per_fresh * 1000:5.1f} ms/call, {per_fresh / (raw / calls):.1f}x kept")
        store.delay = 0.2
        wall = await parallel(srv.url)
        print(f"5 concurrent calls at 200 ms server delay: {wall:.3f} s vs 1.000 s one after another")
        return {"ours_s": our, "raw_s": raw, "ratio": our / raw}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    return anyio.run(run, args.calls, args.rounds)


if __name__ == "__main__":
    main()
