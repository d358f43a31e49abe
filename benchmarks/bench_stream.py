"""Benchmark: our streaming chat client against the plainest possible httpx2 reader.

Serves 5,000 ``chat.completion.chunk`` events (no pacing) from uvicorn on 127.0.0.1, then, in
one run and best of several rounds, times:

  (a) ``ChatClient.stream`` consuming the whole answer (SSE decoding, assembly, typed events,
      timeouts, metrics), and
  (b) plain httpx2 streaming + splitting lines + ``json.loads`` of each ``data:`` line (no
      events, no assembly, no timeouts: the floor any client pays);

and prints the ratio (a)/(b) (target <= 1.3) plus the SSE decoder's speed alone over the same
bytes in memory. Run:

    .venv/bin/python benchmarks/bench_stream.py [--chunks 5000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.sse import SSEDecoder
from stripe_nb_agent.llm.types import Completed


def make_body(n: int) -> bytes:
    """A llama.cpp-shaped answer: role chunk, n-2 one-token chunks, finish, usage, [DONE]."""
    base: dict[str, Any] = {
        "created": 1795668768,
        "id": "chatcmpl-bench",
        "model": "gpt-oss-120b",
        "system_fingerprint": "b0-unknown",
        "object": "chat.completion.chunk",
    }
    parts: list[dict[str, Any]] = [
        {"choices": [{"finish_reason": None, "index": 0, "delta": {"role": "assistant", "content": None}}]}
    ]
    words = ["Hello", ",", " the", " customer", " cus_123", " paid", " €50", "."]
    parts += [
        {"choices": [{"finish_reason": None, "index": 0, "delta": {"content": words[i % len(words)]}}]}
        for i in range(n - 2)
    ]
    parts.append({"choices": [{"finish_reason": "stop", "index": 0, "delta": {}}]})
    usage = {"completion_tokens": n - 2, "prompt_tokens": 40, "total_tokens": n + 38}
    out = [f"data: {json.dumps({**p, **base}, separators=(',', ':'))}\n\n" for p in parts]
    out.append(f"data: {json.dumps({'choices': [], **base, 'usage': usage})}\n\n")
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def make_app(body: bytes) -> Callable[..., Awaitable[None]]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        # Write in 4 KiB pieces, like a server flushing as it goes; no pacing.
        for i in range(0, len(body), 4096):
            await send({"type": "http.response.body", "body": body[i : i + 4096], "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = anyio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


async def run_ours(url: str, http: httpx2.AsyncClient) -> int:
    client = ChatClient(Endpoint.openai(url, "bench"), http=http)
    tokens = 0
    async for event in client.stream([{"role": "user", "content": "go"}]):
        if isinstance(event, Completed):
            tokens = len(event.response.text)
    return tokens


async def run_plain(url: str, http: httpx2.AsyncClient) -> int:
    body = {"model": "bench", "messages": [{"role": "user", "content": "go"}], "stream": True}
    text: list[str] = []
    async with http.stream("POST", f"{url}/chat/completions", json=body) as response:
        buffer = b""
        async for data in response.aiter_bytes():
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"data: ") and line != b"data: [DONE]":
                    chunk = json.loads(line[6:])
                    if chunk["choices"]:
                        text.append(chunk["choices"][0]["delta"].get("content") or "")
    return len("".join(text))


async def run_openai(url: str) -> tuple[float, int] | None:
    """The official ``openai`` SDK on the same bytes (a reference only; None when not installed)."""
    try:
        import openai
    except ImportError:
        return None
    best, length = float("inf"), 0
    async with openai.AsyncOpenAI(base_url=url, api_key="bench", max_retries=0) as client:
        for _ in range(3):
            start = time.perf_counter()
            text: list[str] = []
            stream = await client.chat.completions.create(
                model="bench", messages=[{"role": "user", "content": "go"}], stream=True
            )
            async for chunk in stream:
                if chunk.choices:
                    text.append(chunk.choices[0].delta.content or "")
            best = min(best, time.perf_counter() - start)
            length = len("".join(text))
    return best, length


async def best_of(rounds: int, fn: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        result = await fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_decoder(body: bytes, rounds: int) -> tuple[float, int]:
    reads = [body[i : i + 4096] for i in range(0, len(body), 4096)]
    best, events = float("inf"), 0
    for _ in range(rounds):
        start = time.perf_counter()
        decoder = SSEDecoder()
        events = sum(len(decoder.feed(r)) for r in reads) + len(decoder.flush())
        best = min(best, time.perf_counter() - start)
    return best, events


async def run(n: int, rounds: int) -> dict[str, float]:
    body = make_body(n)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(
        uvicorn.Config(make_app(body), log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        await server.ready.wait()
        url = f"http://127.0.0.1:{port}/v1"
        async with httpx2.AsyncClient() as http:
            await run_plain(url, http)  # warm up the connection pool and both code paths
            await run_ours(url, http)
            # Interleave the two so machine noise hits both alike.
            ours_best, plain_best = float("inf"), float("inf")
            ours_len = plain_len = 0
            for _ in range(rounds):
                t, ours_len = await best_of(1, lambda: run_ours(url, http))
                ours_best = min(ours_best, t)
                t, plain_len = await best_of(1, lambda: run_plain(url, http))
                plain_best = min(plain_best, t)
            reference = await run_openai(url)
        server.should_exit = True
    sock.close()
    assert ours_len == plain_len, (ours_len, plain_len)
    decode_time, events = bench_decoder(body, rounds)
    ratio = ours_best / plain_best
    figures = {"ours_s": ours_best, "plain_s": plain_best, "ratio": ratio}
    print(f"stream: {n} chunks, {len(body) / 1024:.0f} KiB over loopback HTTP, best of {rounds} rounds")
    for label, seconds in (
        ("ours  (ChatClient.stream, typed events)", ours_best),
        ("plain (httpx2 + split + json.loads)", plain_best),
    ):
        print(f"  {label:<40}: {seconds * 1000:8.1f} ms  {n / seconds:10,.0f} chunks/s")
    print(f"  ratio ours/plain: {ratio:.2f}  (target <= 1.3: {'met' if ratio <= 1.3 else 'MISSED'})")
    if reference is not None:
        seconds, length = reference
        assert length == plain_len, (length, plain_len)
        figures["openai_s"] = seconds
        print(
            f"  reference: the official openai SDK on the same bytes: {seconds * 1000:8.1f} ms, "
            f"{seconds / ours_best:.1f}x ours (best of 3)"
        )
    ms, rate = decode_time * 1000, events / decode_time
    print(f"decoder alone (in memory, 4 KiB reads): {events} events in {ms:.1f} ms, {rate:,.0f} events/s")
    return figures


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    return anyio.run(run, args.chunks, args.rounds)


if __name__ == "__main__":
    main()
