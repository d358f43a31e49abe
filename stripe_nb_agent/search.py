"""Semantic search over a handful of texts: cosine top-k in numpy, and a friendly wrapper.

:func:`cosine_top_k` is pure numpy and takes any vectors (normalised or not; a zero vector scores
0 against everything instead of producing NaN). :func:`semantic_search` embeds a query and a list
of texts with any :class:`~stripe_nb_agent.llm.embeddings.Embedder` and returns the best hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from stripe_nb_agent.errors import UsageError

if TYPE_CHECKING:
    from stripe_nb_agent.llm.embedder import Embedder

__all__ = ["Hit", "asemantic_search", "cosine_similarity", "cosine_top_k", "semantic_search"]


@dataclass(frozen=True)
class Hit:
    """One search result: the text's position in the input, the text, and its cosine score."""

    index: int
    text: str
    score: float


def _unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    # Dividing a zero row by 1 keeps it zero, so its cosine with anything is 0, not NaN.
    unit: NDArray[np.float32] = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
    return unit


def _matrix(vectors: ArrayLike, what: str) -> NDArray[np.float32]:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise UsageError(f"{what} must be one vector or a 2-D array of vectors, not {array.ndim}-D.")
    if not np.isfinite(array).all():
        raise UsageError(f"{what} contains NaN or infinite values: check how the vectors were made.")
    return array


def cosine_similarity(a: ArrayLike, b: ArrayLike) -> NDArray[np.float32]:
    """Cosine similarity of every row of ``a`` with every row of ``b``: shape ``(len(a), len(b))``."""
    left, right = _matrix(a, "a"), _matrix(b, "b")
    if left.shape[1] != right.shape[1]:
        raise UsageError(
            f"Vectors of different sizes ({left.shape[1]} and {right.shape[1]}): embed both sides with "
            "the same model."
        )
    scores: NDArray[np.float32] = np.clip(_unit_rows(left) @ _unit_rows(right).T, -1.0, 1.0).astype(
        np.float32
    )
    return scores


def cosine_top_k(
    query_vecs: ArrayLike, corpus_vecs: ArrayLike, k: int
) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
    """The ``k`` corpus rows most similar to each query, best first: ``(indices, scores)``.

    A 1-D query gives 1-D results of length ``min(k, n)``; a 2-D batch of queries gives
    ``(n_queries, min(k, n))``. Ties keep corpus order, so results are deterministic.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise UsageError(f"k must be a non-negative integer, not {k!r}.")
    single = np.ndim(query_vecs) == 1
    queries = _matrix(query_vecs, "query_vecs")
    corpus = np.asarray(corpus_vecs, dtype=np.float32)
    if corpus.size == 0:
        corpus = corpus.reshape(0, queries.shape[1])
    corpus = _matrix(corpus, "corpus_vecs")
    scores = cosine_similarity(queries, corpus)
    k = min(int(k), corpus.shape[0])
    # A stable sort on the negated scores: best first, ties in corpus order.
    indices = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(scores, indices, axis=1)
    if single:
        return indices[0], top[0]
    return indices, top


async def asemantic_search(
    query: str,
    texts: Sequence[str],
    k: int = 5,
    embedder: Embedder | str | None = None,
    *,
    corpus_vecs: ArrayLike | None = None,
) -> list[Hit]:
    """The ``k`` texts closest in meaning to ``query``, best first.

    ``embedder`` is an :class:`Embedder`, a model name, or None for the settings' default. Pass
    ``corpus_vecs`` (the texts' vectors, from the same model) to skip embedding the texts again.
    """
    from stripe_nb_agent.llm.embedder import as_texts
    from stripe_nb_agent.llm.embeddings import get_embedder

    if not isinstance(query, str):
        raise UsageError(f"query must be a string, not {type(query).__name__}.")
    items = as_texts(texts)
    if not items:
        return []
    model = get_embedder(embedder)
    if corpus_vecs is None:
        vectors = await model.embed([query, *items])
        query_vec, corpus = vectors[0], vectors[1:]
    else:
        corpus = _matrix(corpus_vecs, "corpus_vecs")
        if corpus.shape[0] != len(items):
            raise UsageError(
                f"corpus_vecs has {corpus.shape[0]} rows for {len(items)} texts: pass one vector per text."
            )
        query_vec = (await model.embed([query]))[0]
    indices, scores = cosine_top_k(query_vec, corpus, k)
    return [Hit(int(i), items[int(i)], float(s)) for i, s in zip(indices, scores, strict=True)]


def semantic_search(
    query: str,
    texts: Sequence[str],
    k: int = 5,
    embedder: Embedder | str | None = None,
    *,
    corpus_vecs: ArrayLike | None = None,
) -> list[Hit]:
    """Synchronous :func:`asemantic_search` (works in a notebook cell too)."""
    from stripe_nb_agent._loop import run_sync

    return run_sync(asemantic_search(query, texts, k, embedder, corpus_vecs=corpus_vecs))
