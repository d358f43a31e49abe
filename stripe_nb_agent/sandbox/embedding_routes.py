"""Sandbox routes speaking DAT1's embedding and reranker wire formats, computed locally.

Mounted by the sandbox model server (``SandboxModelServer(extra_routes=embedding_routes(...))``)
so the very client code that talks to DAT1 runs offline:

- ``POST /api/v1/collection/qwen3-embedding/invoke``: ``{"texts"}`` -> ``{"embeddings"}``
- ``POST /api/v1/collection/open-ai/embeddings``: OpenAI ``{"model", "input"}`` -> ``{"data"}``
- ``POST /api/v1/inference/reranker/invoke``: ``{"pairs", "normalize"}`` -> ``{"scores"}``

Honesty: the vectors come from the local all-MiniLM-L6-v2 (384 dimensions), not qwen3-embedding,
and the reranker is not a trained cross-encoder: a pair's score is the cosine similarity of the
two texts' local embeddings, mapped to [0, 1] as ``(cos + 1) / 2`` when ``normalize`` is true (raw
cosine in [-1, 1] otherwise). Every answer says so in the ``X-Stripe-Nb-Agent-Sandbox`` header.
No key is required.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from stripe_nb_agent.llm.embedder import Embedder

__all__ = ["EMBEDDING_HEADER", "RERANKER_HEADER", "SANDBOX_HEADER", "embedding_routes"]

SANDBOX_HEADER = "X-Stripe-Nb-Agent-Sandbox"
RERANKER_HEADER = "local MiniLM cosine stand-in, not a trained reranker"
EMBEDDING_HEADER = "local MiniLM embeddings (384-d) standing in for the requested model"
#: Bounds a single request, so one call cannot pin the sandbox's two cores for minutes.
MAX_TEXTS = 2048


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class _Lazy:
    """Calls the factory on first use only (the model loads when first needed), once."""

    def __init__(self, factory: Callable[[], Embedder]) -> None:
        self._factory = factory
        self._embedder: Embedder | None = None
        self._lock = threading.Lock()

    def get(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._factory()
            return self._embedder


def embedding_routes(embedder_factory: Callable[[], Embedder]) -> list[Route]:
    """Starlette routes for the sandbox model server; paths are relative to the server root.

    ``embedder_factory`` is called once, on the first request (pass ``LocalEmbedder``).
    """
    lazy = _Lazy(embedder_factory)

    async def dat1_embeddings(request: Request) -> JSONResponse:
        try:
            body = await _json_object(request)
            texts = _strings(body.get("texts"), "texts")
            vectors = await lazy.get().embed(texts) if texts else np.zeros((0, 0), np.float32)
        except _BadRequest as exc:
            return _error(exc, EMBEDDING_HEADER)
        return _answer({"embeddings": vectors.tolist()}, EMBEDDING_HEADER)

    async def openai_embeddings(request: Request) -> JSONResponse:
        try:
            body = await _json_object(request)
            raw = body.get("input")
            texts = _strings([raw] if isinstance(raw, str) else raw, "input")
            if body.get("encoding_format", "float") not in ("float", None):
                raise _BadRequest("Only encoding_format 'float' is supported by the sandbox.")
            embedder = lazy.get()
            vectors = await embedder.embed(texts) if texts else np.zeros((0, 0), np.float32)
        except _BadRequest as exc:
            return _error(exc, EMBEDDING_HEADER)
        count = getattr(embedder, "count_tokens", None)
        tokens = int(count(texts)) if callable(count) and texts else 0
        return _answer(
            {
                "object": "list",
                "data": [
                    {"object": "embedding", "index": i, "embedding": row}
                    for i, row in enumerate(vectors.tolist())
                ],
                "model": str(body.get("model") or embedder.name),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
            EMBEDDING_HEADER,
        )

    async def reranker(request: Request) -> JSONResponse:
        try:
            body = await _json_object(request)
            if isinstance(body.get("input"), dict):  # clients that wrap payloads as {"input": ...}
                body = body["input"]
            pairs = _pairs(body.get("pairs"))
            normalize = body.get("normalize", True)
            if not isinstance(normalize, bool):
                raise _BadRequest("'normalize' must be true or false.")
            scores = await _pair_scores(lazy.get(), pairs, normalize)
        except _BadRequest as exc:
            return _error(exc, RERANKER_HEADER)
        return _answer({"scores": scores}, RERANKER_HEADER)

    return [
        Route("/api/v1/collection/qwen3-embedding/invoke", dat1_embeddings, methods=["POST"]),
        Route("/api/v1/collection/open-ai/embeddings", openai_embeddings, methods=["POST"]),
        Route("/api/v1/inference/reranker/invoke", reranker, methods=["POST"]),
    ]


async def _pair_scores(embedder: Embedder, pairs: list[tuple[str, str]], normalize: bool) -> list[float]:
    if not pairs:
        return []
    # Each distinct text is embedded once, however many pairs it appears in.
    unique = list(dict.fromkeys(text for pair in pairs for text in pair))
    vectors = await embedder.embed(unique)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms > 0, norms, 1.0)
    row = {text: i for i, text in enumerate(unique)}
    left = unit[[row[q] for q, _ in pairs]]
    right = unit[[row[p] for _, p in pairs]]
    cosine = np.clip((left * right).sum(axis=1), -1.0, 1.0)
    scores = (cosine + 1.0) / 2.0 if normalize else cosine
    return [float(s) for s in scores]


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise _BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _BadRequest("The request body must be a JSON object.")
    return body


def _strings(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise _BadRequest(f"'{field}' must be a list of strings.", 422)
    if len(value) > MAX_TEXTS:
        raise _BadRequest(f"At most {MAX_TEXTS} texts per request; send smaller batches.", 413)
    return value


def _pairs(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(t, str) for t in p) for p in value
    ):
        raise _BadRequest("'pairs' must be a list of [query, passage] string pairs.", 422)
    if len(value) > MAX_TEXTS:
        raise _BadRequest(f"At most {MAX_TEXTS} pairs per request; send smaller batches.", 413)
    return [(p[0], p[1]) for p in value]


def _answer(payload: dict[str, Any], label: str) -> JSONResponse:
    return JSONResponse(payload, headers={SANDBOX_HEADER: label})


def _error(exc: _BadRequest, label: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": exc.message, "type": "invalid_request_error"}},
        status_code=exc.status,
        headers={SANDBOX_HEADER: label},
    )
