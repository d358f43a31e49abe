"""One kept MCP session vs connect-per-call, and overlapping calls, against the loopback sandbox.

    .venv/bin/python benchmarks/bench_mcp_session.py

Prints ratios (the machine is shared and noisy; absolute times are only indicative).
"""

from __future__ import annotations

import time

import anyio
import httpx2
import mcp
from mcp.client.streamable_http import streamable_http_client

from stripe_nb_agent.sandbox.stripe import SandboxMCPHTTPServer, StripeStore

TOKEN = "sk_test_bench"
CALLS = 50


def _http() -> httpx2.AsyncClient:
    return httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


async def kept_session(url: str) -> float:
    async with _http() as http, mcp.Client(streamable_http_client(url, http_client=http)) as client:
        started = time.perf_counter()
        for _ in range(CALLS):
            await client.call_tool("retrieve_balance", {})
        return time.perf_counter() - started


async def connect_per_call(url: str) -> float:
    started = time.perf_counter()
    for _ in range(CALLS):
        async with _http() as http, mcp.Client(streamable_http_client(url, http_client=http)) as client:
            await client.call_tool("retrieve_balance", {})
    return time.perf_counter() - started


async def parallel(url: str, n: int = 5) -> float:
    async with _http() as http, mcp.Client(streamable_http_client(url, http_client=http)) as client:
        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for _ in range(n):
                tg.start_soon(client.call_tool, "retrieve_balance", {})
        return time.perf_counter() - started


async def main() -> None:
    store = StripeStore()
    with SandboxMCPHTTPServer(store=store, token=TOKEN) as srv:
        await kept_session(srv.url)  # warm-up
        kept = await kept_session(srv.url)
        fresh = await connect_per_call(srv.url)
        for label, total in (("one kept session:     ", kept), ("connect+init per call:", fresh)):
            print(f"{CALLS} calls, {label} {total:6.3f} s ({total / CALLS * 1000:5.1f} ms/call)")
        print(f"  -> connect-per-call is {fresh / kept:.1f}x slower than one kept session")
        store.delay = 0.2
        wall = await parallel(srv.url)
        print(
            f"5 concurrent calls at 200 ms server delay: {wall:.3f} s vs 1.000 s sequential "
            f"({1.0 / wall:.1f}x faster)"
        )


if __name__ == "__main__":
    anyio.run(main)
