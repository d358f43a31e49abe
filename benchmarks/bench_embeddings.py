"""Local embedding figures: load time, throughput by batch size, and the cost of the HTTP route.

Run: ``.venv/bin/python benchmarks/bench_embeddings.py``. Prints figures and ratios only (the
machine is shared and noisy: compare ratios, not absolute times).
"""

from __future__ import annotations

import random
import time

import anyio
import numpy as np

from stripe_nb_agent.llm.embeddings import Dat1Embedder
from stripe_nb_agent.llm.local_embeddings import LocalEmbedder
from stripe_nb_agent.sandbox.embedding_routes import embedding_routes
from stripe_nb_agent.sandbox.model.server import SandboxModelServer

WORDS = [
    "customer",
    "invoice",
    "refund",
    "subscription",
    "price",
    "product",
    "payment",
    "link",
    "charge",
    "balance",
    "dispute",
]


def corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(3, 40))) for _ in range(n)]


def timed(fn: object, *args: object) -> float:
    start = time.perf_counter()
    fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    texts = corpus(512)
    start = time.perf_counter()
    LocalEmbedder().load()
    print(f"load + sha256 verify: {time.perf_counter() - start:.2f} s (once per process)")

    one = timed(LocalEmbedder(batch_size=1).encode, texts)
    print(f"batch 1:  {len(texts) / one:7.0f} texts/s")
    for size in (8, 32, 128):
        took = timed(LocalEmbedder(batch_size=size).encode, texts)
        print(f"batch {size:<3}: {len(texts) / took:7.0f} texts/s  ({one / took:.1f}x batch 1)")

    local = LocalEmbedder()
    direct = timed(local.encode, texts)
    with SandboxModelServer(extra_routes=embedding_routes(lambda: local)) as server:
        client = Dat1Embedder(server.root_url, key="bench-key-123456", batch_size=32)
        start = time.perf_counter()
        vectors = anyio.run(client.embed, texts)
        over_http = time.perf_counter() - start
    assert np.allclose(vectors, local.encode(texts), atol=1e-5)
    print(f"via the sandbox DAT1 route (loopback HTTP, JSON): {over_http / direct:.2f}x the direct call")


if __name__ == "__main__":
    main()
