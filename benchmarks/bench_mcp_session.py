"""Our tool client against the raw MCP SDK ``ClientSession``, on the loopback sandbox.

    .venv/bin/python benchmarks/bench_mcp_session.py [--calls 100] [--rounds 16] [--block 10]

(a) ``ToolClient.call_tool`` (catalogue lookup, policy, schema validation, the session's task hop,
the call's timeout, result parsing) and (b) the SDK's ``ClientSession.call_tool`` with nothing
around it. Both talk to the same sandbox server (a child process on 127.0.0.1), each over one
session kept open for the whole run, with the same HTTP client settings (headers, timeouts,
httpx2's default connection limits), and make the same ``--calls`` read calls a round. Within a
round the sides take turns every ``--block`` calls, so whatever else this shared machine does lands
on both alike; the figure to read is the median of the rounds' ratios a/b (target <= 1.2), with
the best round of each beside it.

Before timing, both sides make a few calls through a counting transport: each must send exactly one
``tools/call`` request per call, with the same headers, or the output says how they differ. Then
connect-per-call against one kept session, and overlapping calls.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import httpx2
import mcp
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools.client import ToolClient
from stripe_nb_agent.tools.targets import HttpTarget

TOKEN = "sk_test_bench"
TOOL = "list_customers"
ARGS = {"limit": 3}
WIRE_CALLS = 5
# Headers that differ between any two sessions, whoever makes them.
_PER_SESSION = {"mcp-session-id", "content-length"}

# n -> (wall seconds, this process's CPU seconds) for n calls.
Calls = Callable[[int], Awaitable[tuple[float, float]]]


@contextlib.contextmanager
def sandbox_server(delay: float = 0.0) -> Iterator[str]:
    """The sandbox MCP server on loopback HTTP in a child process; yields its URL.

    Not a thread of this process: there its work would queue behind the client's for the GIL, and
    the side doing more Python per call would pay twice (a real server runs elsewhere).
    """
    root = str(Path(__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "STRIPE_SECRET_KEY": TOKEN,
        "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "stripe_nb_agent.sandbox.stripe", "--http", "0", "--delay", str(delay)]
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stderr is not None
        for line in child.stderr:
            if found := re.search(r"http://\S+/mcp", line):
                # Keep reading what it says, or a full pipe would stall it mid-benchmark.
                threading.Thread(
                    target=shutil.copyfileobj, args=(child.stderr, sys.stderr), daemon=True
                ).start()
                yield found.group(0)
                return
            print(line, end="", file=sys.stderr)
        raise RuntimeError(f"the sandbox server exited ({child.wait()}) without serving")
    finally:
        child.terminate()
        child.wait(10)


def _http(transport: httpx2.AsyncBaseTransport | None = None) -> httpx2.AsyncClient:
    """The raw side's HTTP client, set up as ours is (tools/session.py: Session._http_client)."""
    timeout_s = HttpTarget(url="").http_timeout_s
    return httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=httpx2.Timeout(timeout_s, read=max(300.0, timeout_s)),
        transport=transport,
    )


class CountingTransport(httpx2.AsyncBaseTransport):
    """The default transport, counting requests by (HTTP method, JSON-RPC method) and keeping headers."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.call_headers: dict[str, str] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        method = "-"
        if request.method == "POST":
            with contextlib.suppress(ValueError, AttributeError):
                method = json.loads(request.content).get("method", "-")
        self.requests[request.method, method] += 1
        if method == "tools/call":
            self.call_headers = {
                k.lower(): v for k, v in request.headers.items() if k.lower() not in _PER_SESSION
            }
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def raw_session(
    stack: contextlib.AsyncExitStack, url: str, transport: httpx2.AsyncBaseTransport | None = None
) -> Calls:
    http = await stack.enter_async_context(_http(transport))
    read, write = await stack.enter_async_context(streamable_http_client(url, http_client=http))
    session = await stack.enter_async_context(ClientSession(read, write))
    await session.initialize()
    await session.list_tools()

    async def calls(n: int) -> float:
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            result = await session.call_tool(TOOL, ARGS)
            assert not result.is_error
        return time.perf_counter() - started, time.process_time() - cpu

    return calls


async def our_session(
    stack: contextlib.AsyncExitStack, url: str, transport: httpx2.AsyncBaseTransport | None = None
) -> Calls:
    client = await stack.enter_async_context(ToolClient.for_url(url, key=Secret(TOKEN), transport=transport))
    await client.list_tools()

    async def calls(n: int) -> float:
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            result = await client.call_tool(TOOL, ARGS)
            assert result.ok, result.error
        return time.perf_counter() - started, time.process_time() - cpu

    return calls


async def compare_wire(url: str) -> bool:
    """Whether both sides send one ``tools/call`` per call and nothing else, with the same headers."""
    seen: dict[str, CountingTransport] = {}
    sent: dict[str, Counter[tuple[str, str]]] = {}
    for side, opener in (("ours", our_session), ("raw", raw_session)):
        counting = seen[side] = CountingTransport()
        async with contextlib.AsyncExitStack() as stack:
            calls = await opener(stack, url, counting)
            counting.requests.clear()
            await calls(WIRE_CALLS)
            sent[side] = Counter(counting.requests)
    same = True
    for side, requests in sent.items():
        extra = {k: v for k, v in requests.items() if k != ("POST", "tools/call")}
        per_call = requests["POST", "tools/call"] / WIRE_CALLS
        print(
            f"  wire, {side}: {per_call:g} tools/call per call"
            + (f", and also {dict(extra)}" if extra else "")
        )
        same = same and per_call == 1 and not extra
    ours, raw = seen["ours"].call_headers, seen["raw"].call_headers
    differing = sorted(k for k in ours.keys() | raw.keys() if ours.get(k) != raw.get(k))
    if differing:
        print(f"  wire: the request headers differ in {', '.join(differing)}")
    else:
        print(f"  wire: the same request headers ({', '.join(sorted(ours))})")
    return same and not differing


async def compare_calls(url: str, calls: int, rounds: int, block: int) -> dict[str, float]:
    """Each round: ``calls`` calls a side, in blocks of ``block`` taking turns, so that whatever else
    the machine does lands on both sides alike; the round's ratio compares the two sums."""
    async with contextlib.AsyncExitStack() as stack:
        sides = {"ours": await our_session(stack, url), "raw": await raw_session(stack, url)}
        for run in sides.values():  # warm-up: first requests, validator compile, pydantic paths
            await run(20)
        times: dict[str, list[float]] = {"ours": [], "raw": []}
        cpu: dict[str, list[float]] = {"ours": [], "raw": []}
        for i in range(rounds):
            gc.collect()
            spent = {side: [0.0, 0.0] for side in sides}
            for j in range(calls // block):
                for side in ("ours", "raw") if (i + j) % 2 == 0 else ("raw", "ours"):
                    wall, used = await sides[side](block)
                    spent[side][0] += wall
                    spent[side][1] += used
            for side, (wall, used) in spent.items():
                times[side].append(wall)
                cpu[side].append(used)
    ours, raw = times["ours"], times["raw"]
    ratios = [o / r for o, r in zip(ours, raw, strict=True)]
    return {
        "ours_s": min(ours),
        "raw_s": min(raw),
        "ours_median_s": statistics.median(ours),
        "raw_median_s": statistics.median(raw),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_of_best": min(ours) / min(raw),
        "overhead_us": statistics.median((o - r) / calls for o, r in zip(ours, raw, strict=True)) * 1e6,
        # The server is another process: this is the client side's own work.
        "ours_cpu_us": statistics.median(cpu["ours"]) / calls * 1e6,
        "raw_cpu_us": statistics.median(cpu["raw"]) / calls * 1e6,
        "cpu_overhead_us": statistics.median(
            (o - r) / calls for o, r in zip(cpu["ours"], cpu["raw"], strict=True)
        )
        * 1e6,
    }


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


def _ms(seconds: float, calls: int) -> str:
    return f"{seconds * 1000:7.1f} ms ({seconds / calls * 1000:5.2f} ms/call)"


async def run(calls: int, rounds: int, block: int) -> dict[str, float]:
    with sandbox_server() as url:
        print(f"{TOOL} {json.dumps(ARGS)}, sandbox server on loopback in a child process:")
        same_wire = await compare_wire(url)
        f = await compare_calls(url, calls, rounds, block)
        fresh = await connect_per_call(url, calls // 2)
    print(f"{calls} calls a side a round over one kept session each, in turns of {block}; {rounds} rounds:")
    print(f"  raw SDK ClientSession: best {_ms(f['raw_s'], calls)}, median {_ms(f['raw_median_s'], calls)}")
    print(f"  our ToolClient:        best {_ms(f['ours_s'], calls)}, median {_ms(f['ours_median_s'], calls)}")
    print(
        f"  -> ours / raw SDK: median of the rounds' ratios {f['ratio']:.2f}x (target <= 1.2; rounds "
        f"{f['ratio_min']:.2f}x-{f['ratio_max']:.2f}x; best / best {f['ratio_of_best']:.2f}x)"
    )
    print(f"  our client's own cost (medians of the rounds): {f['overhead_us']:+.0f} us/call of wall time,")
    print(
        f"    {f['cpu_overhead_us']:+.0f} us/call of this process's CPU "
        f"(ours {f['ours_cpu_us']:.0f}, raw {f['raw_cpu_us']:.0f} us/call; the server is another process)"
    )
    if not same_wire:
        print("  NOTE: the two sides did not send the same requests (see 'wire' above)")
    per_fresh = fresh / (calls // 2)
    print(f"connect per call: {per_fresh * 1000:5.1f} ms/call, {per_fresh / (f['raw_s'] / calls):.1f}x kept")
    with sandbox_server(delay=0.2) as url:
        wall = await parallel(url)
    print(f"5 concurrent calls at 200 ms server delay: {wall:.3f} s vs 1.000 s one after another")
    return {**f, "same_wire": float(same_wire)}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--block", type=int, default=10, help="calls a side makes before the other's turn")
    args = parser.parse_args(argv)
    if args.block < 1 or args.calls % args.block:
        parser.error("--calls must be a multiple of --block")
    return anyio.run(run, args.calls, args.rounds, args.block)


if __name__ == "__main__":
    main()
