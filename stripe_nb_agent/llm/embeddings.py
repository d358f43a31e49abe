"""Text embeddings: DAT1's qwen3-embedding, any OpenAI-compatible ``/embeddings`` endpoint, and an
offline local model (:mod:`.local_embeddings`), behind one :class:`Embedder` protocol.

Every embedder answers ``await embedder.embed(texts)`` with a float32 matrix, one row per text in
input order, however the texts were batched on the wire. :func:`embed` (sync, also in a notebook
cell) and :func:`aembed` pick an embedder by model name:

=========================  ===================================================================
``local/minilm``, ``local``  all-MiniLM-L6-v2 (int8 ONNX) on this machine; no key, no network
``dat1/qwen3-embedding``     ``POST {root}/collection/qwen3-embedding/invoke`` (Bearer key)
a registered name            an OpenAI-compatible endpoint (:func:`register_embedding_model`)
=========================  ===================================================================

The names are entries of kind ``"embedding"`` in the one model registry (:mod:`.models`), listed
by ``models()`` beside the chat models. With no model named, the default follows the settings: a
DAT1 key outside sandbox mode means ``dat1/qwen3-embedding``, anything else ``local/minilm``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

import httpx2
import numpy as np
from numpy.typing import NDArray

from stripe_nb_agent._loop import run_sync
from stripe_nb_agent.config import DEFAULT_DAT1_ROOT, ENV_DAT1_KEY, Settings, resolve_settings
from stripe_nb_agent.errors import ConfigError, MissingKeyError, ModelError
from stripe_nb_agent.llm.embedder import LOCAL_EMBEDDING_MODEL, Embedder, as_texts, check_batch_size
from stripe_nb_agent.llm.http import JSON_ADVICE, JSON_TIMEOUT, Auth, Target, client_for, post_json
from stripe_nb_agent.llm.models import ModelRegistry, default_registry
from stripe_nb_agent.llm.retry import RetryPolicy
from stripe_nb_agent.redaction import Secret

__all__ = [
    "Dat1Embedder",
    "OpenAIEmbedder",
    "WireOptions",
    "aembed",
    "default_embedding_model",
    "embed",
    "embedding_models",
    "get_embedder",
    "register_embedding_model",
    "unregister_embedding_model",
]

Matrix = NDArray[np.float32]


class WireOptions(TypedDict, total=False):
    """How an HTTP embedder reaches its server; every embedder takes these keywords.

    ``http`` is a client of yours to use (never closed here; without it the package loop's shared
    client for the origin is used, see :mod:`.http`), ``transport`` is for ``httpx2.MockTransport``
    or ``ASGITransport``; ``retry`` and ``timeout`` default to those of every JSON model call.
    """

    http: httpx2.AsyncClient | None
    transport: httpx2.AsyncBaseTransport | None
    retry: RetryPolicy
    timeout: httpx2.Timeout


class _HTTPEmbedder:
    """Batching and validation shared by the HTTP embedders; subclasses say what goes on the wire."""

    url: str
    name: str

    def __init__(
        self,
        *,
        key: Secret | str | None,
        key_env: str | None,
        batch_size: int,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
        timeout: httpx2.Timeout = JSON_TIMEOUT,
    ) -> None:
        if http is not None and transport is not None:
            raise TypeError("Pass either http= or transport=, not both.")
        # Both HTTP surfaces document a Bearer key (unlike DAT1's chat surface).
        self.auth = Auth(Secret(key) if isinstance(key, str) else key, "bearer", key_env)
        self.batch_size = check_batch_size(batch_size)
        self.retry = retry
        self.timeout = timeout
        #: Vector size, known after the first answer; later answers must match it.
        self.dimensions: int | None = None
        self._http = http
        self._transport = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}: {self.url})"

    async def embed(self, texts: Sequence[str]) -> Matrix:
        items = as_texts(texts)
        if not items:
            return np.zeros((0, self.dimensions or 0), dtype=np.float32)
        self._check_key()
        async with client_for(self.url, http=self._http, transport=self._transport) as http:
            return await self._embed_batches(http, items)

    async def _embed_batches(self, http: httpx2.AsyncClient, items: list[str]) -> Matrix:
        target = Target(self.name, self.url, self.auth, JSON_ADVICE)
        # Sequential batches: order is trivially preserved and a rate limit is not hammered.
        parts: list[Matrix] = []
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            answer = await post_json(http, target, self._body(batch), retry=self.retry, timeout=self.timeout)
            parts.append(self._matrix(self._rows(answer, len(batch)), len(batch)))
        return np.concatenate(parts, axis=0)

    def _check_key(self) -> None:
        if self.auth.key is None and self.url.startswith(DEFAULT_DAT1_ROOT):
            raise MissingKeyError(
                f"{self.name} on DAT1 needs a key: set {self.auth.key_env or ENV_DAT1_KEY} (your DAT1 "
                f"dashboard, https://dat1.co), or use model={LOCAL_EMBEDDING_MODEL!r} to embed offline."
            )

    def _body(self, batch: list[str]) -> dict[str, Any]:
        raise NotImplementedError

    def _rows(self, answer: Any, expected: int) -> list[Any]:
        raise NotImplementedError

    def _matrix(self, rows: list[Any], expected: int) -> Matrix:
        if len(rows) != expected:
            raise ModelError(
                f"{self.name} returned {len(rows)} embeddings for {expected} texts. The endpoint may "
                "limit batch sizes: pass a smaller batch_size."
            )
        vectors = [self._vector(row, i) for i, row in enumerate(rows)]
        sizes = {len(v) for v in vectors}
        if len(sizes) != 1:
            raise ModelError(
                f"{self.name} returned vectors of different sizes ({sorted(sizes)}) in one answer; "
                "the endpoint is misbehaving: check its URL and model."
            )
        size = sizes.pop()
        if size == 0:
            raise ModelError(f"{self.name} returned empty vectors: check the endpoint's URL and model.")
        if self.dimensions is not None and size != self.dimensions:
            raise ModelError(
                f"{self.name} returned {size}-dimensional vectors after {self.dimensions}-dimensional "
                "ones: the model behind the endpoint changed. Embed everything again with one model."
            )
        self.dimensions = size
        matrix = np.asarray(vectors, dtype=np.float32)
        if not np.isfinite(matrix).all():
            raise ModelError(f"{self.name} returned NaN or infinite values: the endpoint is misbehaving.")
        return matrix

    def _vector(self, row: Any, index: int) -> list[float]:
        if isinstance(row, str):
            # Some OpenAI-compatible servers answer base64 float32 (the OpenAI SDK asks for it).
            try:
                raw = base64.b64decode(row, validate=True)
            except (binascii.Error, ValueError):
                raw = b""
            if raw and len(raw) % 4 == 0:
                return np.frombuffer(raw, dtype="<f4").astype(np.float32).tolist()  # type: ignore[no-any-return]
        if not isinstance(row, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in row
        ):
            raise ModelError(
                f"{self.name} returned something other than a list of numbers for text {index}: "
                f"{str(row)[:80]!r}. Check that the endpoint is an embeddings API."
            )
        return [float(x) for x in row]


class Dat1Embedder(_HTTPEmbedder):
    """DAT1's embeddings collection: ``POST {root}/collection/{collection}/invoke``.

    Body ``{"texts": [...]}``, answer ``{"embeddings": [[...], ...]}`` in input order; the key goes
    as ``Authorization: Bearer`` (this surface's documented header, unlike the chat one).
    """

    def __init__(
        self,
        root: str = DEFAULT_DAT1_ROOT,
        *,
        key: Secret | str | None = None,
        key_env: str | None = ENV_DAT1_KEY,
        collection: str = "qwen3-embedding",
        batch_size: int = 32,
        **wire: Unpack[WireOptions],
    ) -> None:
        super().__init__(key=key, key_env=key_env, batch_size=batch_size, **wire)
        self.url = f"{root.rstrip('/')}/collection/{collection}/invoke"
        self.name = f"dat1/{collection}"

    def _body(self, batch: list[str]) -> dict[str, Any]:
        return {"texts": batch}

    def _rows(self, answer: Any, expected: int) -> list[Any]:
        if isinstance(answer, dict) and isinstance(answer.get("output"), dict):
            answer = answer["output"]
        rows = answer.get("embeddings") if isinstance(answer, dict) else None
        if not isinstance(rows, list):
            raise ModelError(
                f"{self.name} answered without an 'embeddings' list (keys: {_keys(answer)}). Check the "
                f"URL ({self.url})."
            )
        return rows


class OpenAIEmbedder(_HTTPEmbedder):
    """Any OpenAI-compatible embeddings API: ``POST {base_url}/embeddings``.

    Body ``{"model", "input": [...]}`` (plus ``dimensions`` when given); the answer's ``data``
    items are put back in input order by their ``index``, as the API does not promise order.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        key: Secret | str | None = None,
        key_env: str | None = None,
        dimensions: int | None = None,
        name: str | None = None,
        batch_size: int = 64,
        **wire: Unpack[WireOptions],
    ) -> None:
        super().__init__(key=key, key_env=key_env, batch_size=batch_size, **wire)
        self.url = f"{base_url.rstrip('/')}/embeddings"
        self.model = model
        self.requested_dimensions = dimensions
        self.name = name or model

    def _body(self, batch: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "input": batch}
        if self.requested_dimensions is not None:
            body["dimensions"] = self.requested_dimensions
        return body

    def _rows(self, answer: Any, expected: int) -> list[Any]:
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ModelError(
                f"{self.name} answered without a 'data' list of objects (keys: {_keys(answer)}). Check "
                f"that {self.url} is an OpenAI-compatible embeddings endpoint."
            )
        if all("index" not in item for item in data):
            return [item.get("embedding") for item in data]  # no indexes: trust the order
        indexes = [item.get("index") for item in data]
        if sorted(indexes, key=lambda i: (not isinstance(i, int), i)) != list(range(len(data))):
            raise ModelError(
                f"{self.name} answered with indexes {indexes[:10]} for {expected} texts; expected each "
                f"of 0..{expected - 1} once. The endpoint is misbehaving."
            )
        ordered = sorted(data, key=lambda item: int(item["index"]))
        return [item.get("embedding") for item in ordered]


def _keys(answer: Any) -> str:
    if isinstance(answer, dict):
        return ", ".join(map(str, list(answer)[:8])) or "none"
    return f"not an object but a {type(answer).__name__}"


# --- model names: entries of kind "embedding" in the model registry -----------------------------


def register_embedding_model(
    name: str,
    *,
    base_url: str,
    model: str | None = None,
    key: str | None = None,
    key_env: str | None = None,
    dimensions: int | None = None,
    batch_size: int = 64,
) -> None:
    """Make an OpenAI-compatible embeddings endpoint usable by name in :func:`embed`.

    ``model`` defaults to ``name``. The key is ``key``, else the environment variable ``key_env``
    (read when the model is used, not now), else none (many local servers need none).

    >>> register_embedding_model("nomic", base_url="http://127.0.0.1:11434/v1", model="nomic-embed-text")
    """
    default_registry().register_embedding_model(
        name,
        base_url=base_url,
        model=model,
        key=key,
        key_env=key_env,
        dimensions=dimensions,
        batch_size=batch_size,
    )


def unregister_embedding_model(name: str) -> None:
    """Forget a name added by :func:`register_embedding_model` (no error when it is unknown)."""
    registry = default_registry()
    entry = registry.resolve(name, kind="embedding") if name in registry.names("embedding") else None
    if entry is not None and entry.surface == "openai-embeddings":
        registry.remove(name, kind="embedding")


def embedding_models() -> list[str]:
    """Every usable model name: the built-ins, then the registered ones."""
    return default_registry().names("embedding")


def default_embedding_model(settings: Settings | None = None) -> str:
    """``dat1/qwen3-embedding`` with a DAT1 key outside sandbox mode, else ``local/minilm``."""
    return default_registry().default_name(settings or resolve_settings(), "embedding")


def get_embedder(
    model: str | Embedder | None = None,
    *,
    settings: Settings | None = None,
    batch_size: int | None = None,
    http: httpx2.AsyncClient | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    registry: ModelRegistry | None = None,
) -> Embedder:
    """The embedder for a model name (or the default one); an :class:`Embedder` passes through."""
    if model is not None and not isinstance(model, str):
        return model
    registry = registry or default_registry()
    if model is None:
        settings = settings or resolve_settings()
        model = registry.default_name(settings, "embedding")
    info = registry.resolve(model, kind="embedding")
    if info.surface == "in-process":
        from stripe_nb_agent.llm.local_embeddings import LocalEmbedder

        return LocalEmbedder(batch_size=batch_size or info.batch_size or 16)
    settings = settings or resolve_settings()
    why = registry.unusable_reason(info, settings)
    if why and registry.key(info, settings) is not None:
        # A missing key is the embedder's to report (it names the offline model); anything else is here.
        raise ConfigError(f"Embedding model {info.name!r} is not usable now: {why}")
    wire: WireOptions = {"http": http, "transport": transport}
    if retry is not None:
        wire["retry"] = retry
    size = batch_size or info.batch_size
    root = registry.root(info, settings)
    key = registry.key(info, settings)
    if info.surface == "dat1-embeddings":
        return Dat1Embedder(
            root, key=key, key_env=info.key_env, collection=info.target, batch_size=size or 32, **wire
        )
    return OpenAIEmbedder(
        root,
        info.target,
        key=key,
        key_env=info.key_env,
        dimensions=info.dimensions,
        name=info.name,
        batch_size=size or 64,
        **wire,
    )


async def aembed(
    texts: str | Sequence[str],
    model: str | Embedder | None = None,
    *,
    settings: Settings | None = None,
    batch_size: int | None = None,
    http: httpx2.AsyncClient | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> Matrix:
    """Embed ``texts`` with ``model`` (a name, an :class:`Embedder`, or the settings' default).

    Returns a float32 array of shape ``(len(texts), dimensions)``, rows in input order.
    """
    embedder = get_embedder(
        model, settings=settings, batch_size=batch_size, http=http, transport=transport, retry=retry
    )
    return await embedder.embed(as_texts(texts))


def embed(
    texts: str | Sequence[str],
    model: str | Embedder | None = None,
    *,
    settings: Settings | None = None,
    batch_size: int | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
) -> Matrix:
    """Synchronous :func:`aembed`; works in a notebook cell (a running loop is not re-entered)."""
    return run_sync(
        aembed(texts, model, settings=settings, batch_size=batch_size, transport=transport, retry=retry)
    )
