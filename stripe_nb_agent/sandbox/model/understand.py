"""Which kind of request a clause is, read from the phrasebook with sentence embeddings.

The phrasebook (``phrasebook.toml``) lists each request kind with example phrasings. Its train
examples are embedded with the MiniLM model the package ships
(:mod:`stripe_nb_agent.llm.local_embeddings`), and a linear read-out (softmax regression, fixed
start and step count, so deterministic) is fitted on them in a tenth of a second. Measured on the
held-out examples, that read-out (98%) beats nearest examples (81%) and per-kind centroids (79%): see
``benchmarks/bench_understanding.py``. What the stand-in understands is data, not code. The train
embeddings are cached on disk, keyed by the phrasebook's and the model's sha256, so only the first
start on a machine embeds them (seconds); reading a clause costs one short embedding (milliseconds).

Without the embedding extra installed, :func:`reader` is None and the planner falls back to its
keyword rules, a weaker reader; :func:`understanding` says which one runs, for status and replies.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from stripe_nb_agent.errors import ConfigError

__all__ = [
    "FALLBACK_NOTE",
    "FLOOR",
    "Entry",
    "Phrasebook",
    "Reader",
    "Reading",
    "evaluate",
    "examples_by_topic",
    "load_phrasebook",
    "mask",
    "reader",
    "understanding",
]

FALLBACK_NOTE = (
    "weaker fallback: keyword rules, because the embedding extra is not installed "
    "(pip install 'stripe-nb-agent[embeddings]' for the phrasebook reader)"
)
# Below this cosine similarity to every train example, a clause reads as nothing the stand-in knows.
FLOOR = 0.4
# The read-out's fit: inverse temperature, step size, steps, L2 weight (chosen on the held-out split).
_SCALE, _STEP, _STEPS, _L2 = 4.0, 5.0, 300, 1e-4
_WRITES = frozenset(
    {
        "create_customer",
        "create_product",
        "create_price",
        "create_payment_link",
        "create_invoice",
        "finalize_invoice",
        "refund",
        "cancel_subscription",
        "update_subscription",
        "create_coupon",
        "update_dispute",
    }
)


@dataclass(frozen=True)
class Entry:
    """One request kind in the phrasebook."""

    kind: str
    topic: str
    example: str
    train: tuple[str, ...]
    held_out: tuple[str, ...]

    @property
    def writes(self) -> bool:
        return self.kind in _WRITES


@dataclass(frozen=True)
class Phrasebook:
    entries: tuple[Entry, ...]
    sha256: str

    def entry(self, kind: str) -> Entry:
        return next(e for e in self.entries if e.kind == kind)

    def size(self) -> tuple[int, int]:
        """(train examples, held-out examples)."""
        return sum(len(e.train) for e in self.entries), sum(len(e.held_out) for e in self.entries)


@dataclass(frozen=True)
class Reading:
    """One way to read a clause, with its probability under the read-out."""

    kind: str
    score: float

    @property
    def writes(self) -> bool:
        return self.kind in _WRITES


@cache
def load_phrasebook() -> Phrasebook:
    raw = files("stripe_nb_agent.sandbox.model").joinpath("phrasebook.toml").read_bytes()
    data = tomllib.loads(raw.decode("utf-8"))
    entries = tuple(
        Entry(
            kind,
            str(spec["topic"]),
            str(spec["example"]),
            tuple(spec["train"]),
            tuple(spec.get("held_out", ())),
        )
        for kind, spec in data["intents"].items()
    )
    return Phrasebook(entries, hashlib.sha256(raw).hexdigest())


_IDS = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "plink": "payment link",
    "in": "invoice",
    "ii": "invoice item",
    "pi": "payment",
    "ch": "charge",
    "re": "refund",
    "sub": "subscription",
    "si": "subscription item",
    "dp": "dispute",
    "txn": "transaction",
    "acct": "account",
}
_ID = re.compile(r"\b(" + "|".join(_IDS) + r")_[A-Za-z0-9]+\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask(text: str) -> str:
    """Ids and emails as words, so "pi_3Nx…" reads as "payment" to the embedding model."""
    text = _ID.sub(lambda m: f"{_IDS[m.group(1)]} id", text)
    return _EMAIL.sub("an email address", text).strip()


class Reader:
    """Scores clauses against the phrasebook's train examples with one embedder."""

    def __init__(
        self, embedder: Any, book: Phrasebook | None = None, *, cache_dir: Path | None = None
    ) -> None:
        self.embedder = embedder
        self.book = book or load_phrasebook()
        self._kinds = [e.kind for e in self.book.entries]
        labels = [n for n, e in enumerate(self.book.entries) for _ in e.train]
        self._labels = np.asarray(labels, dtype=np.int64)
        self._train = self._train_matrix(cache_dir)
        self._weights, self._bias = _fit(self._train, self._labels, len(self._kinds))

    def _train_matrix(self, cache_dir: Path | None) -> NDArray[np.float32]:
        texts = [mask(t) for e in self.book.entries for t in e.train]
        model = str(getattr(getattr(self.embedder, "files", None), "model_sha256", "")) or getattr(
            self.embedder, "name", "embedder"
        )
        key = hashlib.sha256(f"{self.book.sha256}:{model}:{len(texts)}".encode()).hexdigest()[:24]
        where = (cache_dir or _cache_dir()) / f"phrasebook-{key}.npy"
        try:
            cached = np.load(where)
            if cached.shape == (len(texts), cached.shape[1]):
                return np.asarray(cached, dtype=np.float32)
        except (OSError, ValueError):
            pass
        matrix = np.asarray(self.embedder.encode(texts), dtype=np.float32)
        try:
            where.parent.mkdir(parents=True, exist_ok=True)
            tmp = where.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, matrix)
            os.replace(tmp, where)
        except OSError:
            pass  # a read-only home: the matrix is still kept in memory for this process
        return matrix

    def readings(self, text: str) -> list[Reading]:
        """Every kind, best first (ties in phrasebook order); empty when nothing is close enough."""
        query = np.asarray(self.embedder.encode([mask(text)]), dtype=np.float32)[0]
        if float((self._train @ query).max()) < FLOOR:
            return []
        probs = _softmax(_SCALE * (query @ self._weights) + self._bias)
        out = [Reading(kind, round(float(p), 4)) for kind, p in zip(self._kinds, probs, strict=True)]
        return sorted(out, key=lambda r: -r.score)


def _softmax(z: NDArray[np.float32]) -> NDArray[np.float32]:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: NDArray[np.float32] = e / e.sum(axis=-1, keepdims=True)
    return out


def _fit(
    x: NDArray[np.float32], labels: NDArray[np.int64], kinds: int
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Softmax regression by plain gradient descent from zero: the same examples give the same weights."""
    weights = np.zeros((x.shape[1], kinds), dtype=np.float32)
    bias = np.zeros(kinds, dtype=np.float32)
    target = np.eye(kinds, dtype=np.float32)[labels]
    for _ in range(_STEPS):
        grad = (_softmax(_SCALE * (x @ weights) + bias) - target) / len(x)
        weights -= _STEP * (_SCALE * (x.T @ grad) + _L2 * weights)
        bias -= _STEP * grad.sum(axis=0)
    return weights, bias


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stripe-nb-agent"


_reader: Reader | None = None
_unavailable: str | None = None
_lock = threading.Lock()


def reader() -> Reader | None:
    """The process-wide phrasebook reader, or None when the embedding extra is not installed."""
    global _reader, _unavailable
    with _lock:
        if _reader is None and _unavailable is None:
            try:
                from stripe_nb_agent.llm.local_embeddings import LocalEmbedder, installed_model_files

                embedder = LocalEmbedder(installed_model_files())
                embedder.load()
                _reader = Reader(embedder)
            except (ConfigError, ImportError) as exc:
                _unavailable = str(exc)
        return _reader


def understanding() -> str:
    """How requests are read in this process, in words (for status and the stand-in's replies)."""
    found = reader()
    if found is None:
        return FALLBACK_NOTE
    train, _ = found.book.size()
    return f"phrasebook of {train} example phrasings read with MiniLM sentence embeddings"


@dataclass(frozen=True)
class Evaluation:
    """How a reader reads the phrasebook's held-out examples."""

    # (expected kind, example, kind read)
    results: tuple[tuple[str, str, str], ...]

    @property
    def accuracy(self) -> float:
        return sum(e == got for e, _, got in self.results) / max(1, len(self.results))

    def misses(self) -> list[tuple[str, str, str]]:
        return [r for r in self.results if r[0] != r[2]]

    def table(self) -> str:
        """Per-kind accuracy, and for each kind what its misses were read as (the confusion)."""
        kinds = list(dict.fromkeys(e for e, _, _ in self.results))
        lines = [f"{'kind':<22} {'right':>5} {'of':>3}  read instead as"]
        for kind in kinds:
            mine = [got for e, _, got in self.results if e == kind]
            wrong: dict[str, int] = {}
            for got in mine:
                if got != kind:
                    wrong[got] = wrong.get(got, 0) + 1
            confused = ", ".join(f"{k} ×{n}" for k, n in sorted(wrong.items()))
            lines.append(f"{kind:<22} {mine.count(kind):>5} {len(mine):>3}  {confused}")
        lines.append(f"held-out accuracy: {self.accuracy:.1%} ({len(self.results)} examples)")
        return "\n".join(lines)


def evaluate(found: Reader) -> Evaluation:
    """Read every held-out example; one read as nothing counts as "none"."""

    def best(text: str) -> str:
        readings = found.readings(text)
        return readings[0].kind if readings else "none"

    return Evaluation(tuple((e.kind, text, best(text)) for e in found.book.entries for text in e.held_out))


def examples_by_topic(per_kind: int = 3) -> list[tuple[str, str, tuple[str, ...]]]:
    """(topic, kind in words, phrasings) for every kind the stand-in understands, from the phrasebook."""
    out = []
    for entry in load_phrasebook().entries:
        others = [t for t in entry.train if t != entry.example][: per_kind - 1]
        out.append((entry.topic, entry.kind.replace("_", " "), (entry.example, *others)))
    return sorted(out, key=lambda row: row[0])
