"""Cosine top-k and semantic search."""

from __future__ import annotations

import numpy as np
import pytest

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.llm.local_embeddings import LocalEmbedder
from stripe_nb_agent.search import Hit, asemantic_search, cosine_similarity, cosine_top_k, semantic_search

CORPUS = np.array([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [2.0, 0.0]], dtype=np.float32)


def test_a_1d_query_gives_1d_results_best_first() -> None:
    indices, scores = cosine_top_k(np.array([1.0, 0.0]), CORPUS, 2)
    assert indices.tolist() == [3, 1]
    np.testing.assert_allclose(scores, [1.0, np.sqrt(0.5)], rtol=1e-6)


def test_k_larger_than_the_corpus_returns_every_row() -> None:
    indices, scores = cosine_top_k([1.0, 0.0], CORPUS, 10)
    assert indices.tolist() == [3, 1, 0, 2]  # ties (0.0 and the zero vector) keep corpus order
    assert scores.shape == (4,)


def test_zero_vectors_score_zero_instead_of_nan() -> None:
    indices, scores = cosine_top_k([[0.0, 0.0], [0.0, 2.0]], CORPUS, 4)
    assert not np.isnan(scores).any()
    assert scores[0].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert indices[1, 0] == 0


def test_a_batch_of_queries_gives_one_row_each() -> None:
    indices, scores = cosine_top_k([[1.0, 0.0], [0.0, 1.0]], CORPUS, 1)
    assert indices.tolist() == [[3], [0]]
    assert scores.shape == (2, 1)


def test_k_zero_and_an_empty_corpus_are_fine() -> None:
    indices, scores = cosine_top_k([1.0, 0.0], CORPUS, 0)
    assert indices.shape == (0,)
    indices, scores = cosine_top_k([1.0, 0.0], np.zeros((0, 2)), 3)
    assert indices.tolist() == []
    assert scores.tolist() == []


@pytest.mark.parametrize("k", [-1, 1.5, True])
def test_a_bad_k_is_a_usage_error(k: object) -> None:
    with pytest.raises(UsageError, match="k must be"):
        cosine_top_k([1.0, 0.0], CORPUS, k)  # type: ignore[arg-type]


def test_mismatched_dimensions_say_to_use_one_model() -> None:
    with pytest.raises(UsageError, match="same model"):
        cosine_top_k([1.0, 0.0, 0.0], CORPUS, 1)


def test_cosine_similarity_is_scale_invariant_and_bounded() -> None:
    sims = cosine_similarity([[3.0, 4.0]], [[6.0, 8.0], [-3.0, -4.0]])
    np.testing.assert_allclose(sims, [[1.0, -1.0]], atol=1e-6)


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    embedder = LocalEmbedder()
    embedder.load()
    return embedder


TEXTS = ["create a product", "give the customer their money back", "list all subscriptions", "delete a price"]


def test_semantic_search_finds_the_paraphrase_first(local: LocalEmbedder) -> None:
    hits = semantic_search("refund", TEXTS, k=2, embedder=local)
    assert hits[0] == Hit(1, TEXTS[1], hits[0].score)
    assert hits[0].score > hits[1].score
    assert len(hits) == 2


@pytest.mark.anyio
async def test_precomputed_corpus_vectors_give_the_same_hits(local: LocalEmbedder) -> None:
    vectors = local.encode(TEXTS)
    fresh = await asemantic_search("cancel recurring billing", TEXTS, 4, local)
    reused = await asemantic_search("cancel recurring billing", TEXTS, 4, local, corpus_vecs=vectors)
    assert [h.index for h in fresh] == [h.index for h in reused]
    np.testing.assert_allclose([h.score for h in fresh], [h.score for h in reused], atol=1e-5)


def test_corpus_vectors_must_match_the_texts(local: LocalEmbedder) -> None:
    with pytest.raises(UsageError, match="3 rows for 4 texts"):
        semantic_search("refund", TEXTS, 1, local, corpus_vecs=local.encode(TEXTS[:3]))


def test_searching_nothing_finds_nothing(local: LocalEmbedder) -> None:
    assert semantic_search("refund", [], 3, local) == []
