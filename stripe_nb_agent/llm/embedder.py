"""What an embedder is, apart from any one of them: the protocol, the input check, the built-in names.

Its own module so the embedders (:mod:`.embeddings` over HTTP, :mod:`.local_embeddings` in
process) and the model registry all depend on it and not on each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from stripe_nb_agent.errors import UsageError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = ["DAT1_EMBEDDING_MODEL", "LOCAL_EMBEDDING_MODEL", "Embedder", "as_texts", "check_batch_size"]

LOCAL_EMBEDDING_MODEL = "local/minilm"
DAT1_EMBEDDING_MODEL = "dat1/qwen3-embedding"


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into vectors: one float32 row per text, in input order."""

    @property
    def name(self) -> str: ...

    async def embed(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def as_texts(texts: str | Sequence[str]) -> list[str]:
    """Validate input: a list of strings (one string counts as a list of one)."""
    if isinstance(texts, str):
        return [texts]
    items = list(texts)
    for i, text in enumerate(items):
        if not isinstance(text, str):
            raise UsageError(
                f"texts[{i}] is a {type(text).__name__}, not a string: pass a list of strings "
                "(convert other values with str() first)."
            )
    return items


def check_batch_size(batch_size: int) -> int:
    """``batch_size`` if it is a positive integer (``True`` is not), else a UsageError."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise UsageError(f"batch_size must be a positive integer, not {batch_size!r}.")
    return batch_size
