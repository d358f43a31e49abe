"""The models the package knows without any plugin: DAT1's, as data the registry starts from.

DAT1 is a :class:`~.model_info.Host` like any other; its chat models, embedding collection and
reranker deployment are entries on it. The offline embedder runs in this process. The local GGUF
families need the registry's environment, so :mod:`.models` adds those itself; the sandbox comes
through the plugin hook (:mod:`stripe_nb_agent.wiring`).
"""

from __future__ import annotations

from stripe_nb_agent.config import ENV_DAT1_KEY, ServiceMode
from stripe_nb_agent.errors import ConfigError
from stripe_nb_agent.llm.embedder import DAT1_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL
from stripe_nb_agent.llm.model_info import Host, Kind, ModelInfo

__all__ = [
    "BUILTIN_DEFAULTS",
    "BUILTIN_MODELS",
    "DAT1",
    "DAT1_HOST",
    "DEFAULT_LIVE_MODEL",
    "dat1_custom_model",
]

DAT1_HOST = "dat1"
DEFAULT_LIVE_MODEL = "dat1/gpt-120-oss"

DAT1 = Host(
    DAT1_HOST, root=lambda s: s.dat1_root, key=lambda s: s.dat1_api_key, key_env=ENV_DAT1_KEY, live=True
)


def _local_embedder_missing() -> str:
    from stripe_nb_agent.llm.local_embeddings import installed_model_files

    try:
        installed_model_files()
    except ConfigError as exc:
        return str(exc)
    return ""


BUILTIN_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo(
        DEFAULT_LIVE_MODEL,
        "dat1-collection",
        DAT1_HOST,
        "gpt-120-oss",
        "GPT-OSS-120B on DAT1 (reasoning, tool calls)",
        aliases=("gpt-oss", "gpt-120-oss"),
        key_env=ENV_DAT1_KEY,
    ),
    ModelInfo(
        "dat1/gemma-3-12b",
        "dat1-collection",
        DAT1_HOST,
        "gemma-3-12b",
        "Gemma 3 12B on DAT1",
        aliases=("gemma",),
        key_env=ENV_DAT1_KEY,
    ),
    ModelInfo(
        "dat1-openai/gpt-120-oss",
        "openai",
        DAT1_HOST,
        "gpt-120-oss",
        "GPT-OSS-120B through DAT1's OpenAI-compatible API",
        key_env=ENV_DAT1_KEY,
    ),
    ModelInfo(
        LOCAL_EMBEDDING_MODEL,
        "in-process",
        None,
        "all-MiniLM-L6-v2",
        "all-MiniLM-L6-v2 (int8 ONNX, 384-d) on this machine; no key, no network",
        aliases=("local", "minilm"),
        availability=_local_embedder_missing,
        kind="embedding",
        dimensions=384,
        batch_size=16,
    ),
    ModelInfo(
        DAT1_EMBEDDING_MODEL,
        "dat1-embeddings",
        DAT1_HOST,
        "qwen3-embedding",
        "Qwen3 embeddings on DAT1",
        aliases=("dat1",),
        key_env=ENV_DAT1_KEY,
        kind="embedding",
        batch_size=32,
    ),
    ModelInfo(
        "reranker",
        "dat1-deployment",
        DAT1_HOST,
        "reranker",
        "DAT1's reranker deployment: rerank(query, passages) scores each passage",
        key_env=ENV_DAT1_KEY,
        kind="deployment",
    ),
)

#: The model of each kind used when none is named, per model mode (plugins add sandbox chat).
BUILTIN_DEFAULTS: dict[tuple[Kind, ServiceMode], str] = {
    ("chat", "live"): DEFAULT_LIVE_MODEL,
    ("embedding", "live"): DAT1_EMBEDDING_MODEL,
    ("embedding", "sandbox"): LOCAL_EMBEDDING_MODEL,
}


def dat1_custom_model(name: str) -> ModelInfo:
    """``dat1-custom/<name>``: a chat model on a DAT1 custom deployment of yours."""
    return ModelInfo(
        f"dat1-custom/{name}",
        "dat1-custom",
        DAT1_HOST,
        name,
        f"your DAT1 custom deployment {name!r}",
        key_env=ENV_DAT1_KEY,
    )
