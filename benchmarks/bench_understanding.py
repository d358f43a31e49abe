"""How well the stand-in reads requests: held-out accuracy per kind, the confusion, and the cost.

Run: ``.venv/bin/python benchmarks/bench_understanding.py``. Compares three ways of reading the
phrasebook with the same MiniLM embeddings (nearest examples, per-kind centroids, the linear
read-out the stand-in uses) on the held-out split, then prints the read-out's per-kind table and
what one reading costs next to one embedding (a ratio: the machine is shared and noisy).
"""

from __future__ import annotations

import time

import numpy as np

from stripe_nb_agent.sandbox.model.understand import Evaluation, Reader, evaluate, mask, reader


def baselines(found: Reader) -> dict[str, float]:
    book = found.book
    train = found.vectors.train
    labels = found.labels
    held = [(n, t) for n, e in enumerate(book.entries) for t in e.held_out]
    queries = found.embedder.encode([mask(t) for _, t in held])
    truth = np.asarray([n for n, _ in held])
    sims = queries @ train.T
    nearest = labels[sims.argmax(axis=1)]
    centroids = np.stack([train[labels == k].mean(axis=0) for k in range(len(book.entries))])
    by_centroid = (queries @ centroids.T).argmax(axis=1)
    return {
        "nearest example": float((nearest == truth).mean()),
        "per-kind centroid": float((by_centroid == truth).mean()),
    }


def main() -> None:
    start = time.perf_counter()
    found = reader()
    if found is None:
        print("The embedding extra is not installed: the stand-in runs its keyword fallback.")
        return
    loaded = time.perf_counter() - start
    train, held_out = found.book.size()
    print(f"phrasebook: {len(found.book.entries)} kinds, {train} train + {held_out} held-out phrasings")
    print(
        f"reader ready in {loaded:.2f}s (model load; the train embeddings and read-out ship in the package)"
    )
    for name, accuracy in baselines(found).items():
        print(f"  {name:<18} {accuracy:.1%}")
    result: Evaluation = evaluate(found)
    print(f"  {'linear read-out':<18} {result.accuracy:.1%}  (used)\n")
    print(result.table())
    for kind, text, got in result.misses():
        print(f"  miss: {text!r} ({kind}) read as {got}")
    text = "refund 10 dollars of the most recent payment"
    n = 50
    t0 = time.perf_counter()
    for _ in range(n):
        found.embedder.encode([text])
    embed = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for _ in range(n):
        found.readings(text)
    read = (time.perf_counter() - t0) / n
    print(f"\none reading: {read * 1000:.1f} ms, {read / embed:.2f}x one embedding of the same text")


if __name__ == "__main__":
    main()
