"""The models table: one :class:`ModelRow` per entry of a :class:`ModelRegistry`, saying whether
it is usable now, why not, and where its calls go (for display: never a key, never a started server).
"""

from __future__ import annotations

from stripe_nb_agent.config import Settings
from stripe_nb_agent.llm.local_entries import LOCAL_PREFIX
from stripe_nb_agent.llm.model_info import FAMILY_SAMPLE, ModelInfo, ModelRow, url_for
from stripe_nb_agent.llm.models import ModelRegistry

__all__ = ["model_table", "where"]


def model_table(registry: ModelRegistry, settings: Settings) -> list[ModelRow]:
    """One row per registered model, chat models first, then embeddings and deployments
    (families shown by their prefix, after the chat models)."""
    models = registry.entries()
    default = {(kind, registry.default_name(settings, kind)) for kind in registry.default_kinds()}
    rows = [_row(registry, info, settings, default=(info.kind, info.name) in default) for info in models]
    families = [
        _row(registry, factory(FAMILY_SAMPLE), settings, family=prefix)
        for prefix, factory in registry.families().items()
    ]
    chat_rows = sum(1 for info in models if info.kind == "chat")
    return rows[:chat_rows] + families + rows[chat_rows:]


def _row(
    registry: ModelRegistry, info: ModelInfo, settings: Settings, *, default: bool = False, family: str = ""
) -> ModelRow:
    why = registry.unusable_reason(info, settings)
    description = info.description
    if family and family != LOCAL_PREFIX:
        description = f"any name after {family!r}"
    return ModelRow(
        name=info.name,
        aliases=() if family else info.aliases,
        surface=info.surface,
        endpoint=where(registry, info, settings),
        usable=not why,
        why_not=why,
        default=default,
        description=description,
        family=bool(family),
        kind=info.kind,
    )


def where(registry: ModelRegistry, info: ModelInfo, settings: Settings) -> str:
    """Where calls to ``info`` go, for display (never with a key, never starting a server)."""
    host = registry.serving_host(info, settings)
    if host is not None and host.label is not None:
        return f"{host.label} ({info.surface}, {info.target})"
    if info.surface == "in-process":
        return "this process (onnxruntime)"
    if host is None and callable(info.base_url):
        if info.name.startswith(LOCAL_PREFIX):
            return f"llama.cpp on 127.0.0.1, started on first use ({info.target})"
        return f"started on demand ({info.target})"
    root = host.root_url(settings) if host is not None else str(info.base_url or "")
    return url_for(info, root, on_host=host is not None)
