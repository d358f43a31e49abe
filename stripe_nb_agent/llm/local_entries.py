"""The registry entries of the ``local/`` family: ``local/<name>`` is a GGUF file served by a
llama.cpp server started in this process on first use (:mod:`.local_server`), reached through the
ordinary OpenAI-compatible endpoint. :mod:`.local_models` finds the file; :mod:`.models` registers
the entries built here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from stripe_nb_agent.llm.local_models import find_model_file, locate_model_file
from stripe_nb_agent.llm.local_server import LocalServerOptions, local_extra_missing, start_local_server
from stripe_nb_agent.llm.model_info import FAMILY_SAMPLE, ModelInfo

__all__ = ["LOCAL_PREFIX", "local_family_member", "local_model"]

LOCAL_PREFIX = "local/"


def local_family_member(spec: str, *, environ: Mapping[str, str] | None) -> ModelInfo:
    """The entry ``local/<spec>`` resolves to when no registered name matches it."""
    if spec == FAMILY_SAMPLE:
        # The table's row for the whole family: only the extra can be checked.
        info = local_model(
            f"{LOCAL_PREFIX}{spec}",
            spec,
            "any GGUF file: a path, or a file in the models directory",
            environ=environ,
        )
        return replace(info, availability=local_extra_missing)
    return local_model(f"{LOCAL_PREFIX}{spec}", spec, f"{spec} on a local llama.cpp server", environ=environ)


def local_model(
    name: str,
    spec: str,
    description: str,
    *,
    environ: Mapping[str, str] | None,
    aliases: tuple[str, ...] = (),
    options: LocalServerOptions | None = None,
) -> ModelInfo:
    """A model whose endpoint is a llama.cpp server started on first use for ``spec``'s file
    (looked for in ``environ``'s models directory; None: ``os.environ``)."""

    def availability() -> str:
        missing = local_extra_missing()
        if missing:
            return missing
        return locate_model_file(spec, environ=environ)[1]

    def base_url() -> str:
        return start_local_server(find_model_file(spec, environ=environ), options).base_url

    path, _ = locate_model_file(spec, environ=environ)
    return ModelInfo(
        name,
        "openai",
        None,
        # llama.cpp serves one model and ignores this field; it names the file in requests.
        path.stem if path is not None else Path(spec).stem,
        description,
        aliases=aliases,
        base_url=base_url,
        availability=availability,
    )
