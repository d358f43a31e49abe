"""Which kind of request a clause is, read from the phrasebook with sentence embeddings.

The phrasebook (``phrasebook.toml``) lists each request kind with example phrasings. Its train
examples are embedded with the MiniLM model the package ships
(:mod:`stripe_nb_agent.llm.local_embeddings`), and a linear read-out (softmax regression, fixed
start and step count, so deterministic) is fitted on them. Measured on the held-out examples, that
read-out (98%) beats nearest examples (81%) and per-kind centroids (79%): see
``benchmarks/bench_understanding.py``. What the stand-in understands is data, not code.

The train embeddings and the fitted read-out ship in the package (``phrasebook.npz``, written by
``scripts/build_phrasebook_vectors.py``), keyed by the phrasebook's and the model's sha256: a start
only loads the model and reads the file, where embedding and fitting took seconds on a busy
machine. A phrasebook edited without rebuilding the file is still read right (the vectors are
built in process, slowly) and fails a test until the file is rebuilt. Reading a clause costs one
short embedding (milliseconds).

Without the embedding extra installed, :func:`reader` is None and the planner falls back to its
keyword rules, a weaker reader; :func:`understanding` says which one runs, for status and replies.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
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
    "Vectors",
    "build_vectors",
    "evaluate",
    "examples_by_topic",
    "load_phrasebook",
    "mask",
    "reader",
    "shipped_vectors",
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


VECTORS_FILE = "phrasebook.npz"


@dataclass(frozen=True, eq=False)
class Vectors:
    """The phrasebook read through one embedding model: its train embeddings and the read-out."""

    train: NDArray[np.float32]  # (train examples, dimensions), unit rows in phrasebook order
    weights: NDArray[np.float32]  # (dimensions, kinds)
    bias: NDArray[np.float32]  # (kinds,)
    book_sha256: str
    model: str  # which embedder made them (see model_key)

    def fits(self, book: Phrasebook, embedder: Any) -> bool:
        return self.book_sha256 == book.sha256 and self.model == model_key(embedder)

    def save(self, path: Any) -> None:
        np.savez(
            path,
            train=self.train,
            weights=self.weights,
            bias=self.bias,
            book_sha256=np.array(self.book_sha256),
            model=np.array(self.model),
        )

    @classmethod
    def load(cls, raw: bytes) -> Vectors:
        with np.load(io.BytesIO(raw), allow_pickle=False) as data:
            return cls(
                np.asarray(data["train"], dtype=np.float32),
                np.asarray(data["weights"], dtype=np.float32),
                np.asarray(data["bias"], dtype=np.float32),
                str(data["book_sha256"]),
                str(data["model"]),
            )


def model_key(embedder: Any) -> str:
    """The embedder's identity: the pinned checksums of its files, else its name."""
    found = getattr(embedder, "files", None)
    if found is not None:
        return f"{found.model_sha256}:{found.tokenizer_sha256}"
    return str(getattr(embedder, "name", "embedder"))


def _labels(book: Phrasebook) -> NDArray[np.int64]:
    return np.asarray([n for n, e in enumerate(book.entries) for _ in e.train], dtype=np.int64)


def build_vectors(embedder: Any, book: Phrasebook | None = None) -> Vectors:
    """Embed the train examples and fit the read-out on them (seconds: done at build time)."""
    book = book or load_phrasebook()
    texts = [mask(t) for e in book.entries for t in e.train]
    train = np.asarray(embedder.encode(texts), dtype=np.float32)
    weights, bias = _fit(train, _labels(book), len(book.entries))
    return Vectors(train, weights, bias, book.sha256, model_key(embedder))


def shipped_vectors() -> Vectors | None:
    """The vectors shipped in the package, or None when the file is missing."""
    try:
        raw = files("stripe_nb_agent.sandbox.model").joinpath(VECTORS_FILE).read_bytes()
    except OSError:
        return None
    return Vectors.load(raw)


class Reader:
    """Scores clauses against the phrasebook's train examples with one embedder."""

    def __init__(self, embedder: Any, book: Phrasebook | None = None, vectors: Vectors | None = None) -> None:
        self.embedder = embedder
        self.book = book or load_phrasebook()
        self._kinds = [e.kind for e in self.book.entries]
        if vectors is None:
            shipped = shipped_vectors()
            vectors = shipped if shipped and shipped.fits(self.book, embedder) else None
        self.vectors = vectors or build_vectors(embedder, self.book)
        self.labels = _labels(self.book)

    def readings(self, text: str) -> list[Reading]:
        """Every kind, best first (ties in phrasebook order); empty when nothing is close enough."""
        query = np.asarray(self.embedder.encode([mask(text)]), dtype=np.float32)[0]
        if float((self.vectors.train @ query).max()) < FLOOR:
            return []
        probs = _softmax(_SCALE * (query @ self.vectors.weights) + self.vectors.bias)
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
