"""The model registry: names users type, mapped to endpoints the chat client can call.

Every entry says how to build its :class:`~.endpoint.Endpoint` from settings; the client never
learns where a model lives. Names are ``<host>/<model>`` with short aliases (``gpt-oss``,
``gemma``). ``sandbox`` and ``sandbox-brief`` take the same DAT1 collection code path against the
local sandbox server, whose root URL is supplied when a client is built. Prefix families
(``dat1-custom/<name>``, ``local/<file.gguf>``) are factories registered by prefix.

``local/<name>`` runs a GGUF file on llama.cpp's own server, started in this process on first use
(see :mod:`.local_server`) and reached through the ordinary OpenAI-compatible endpoint.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import httpx2

from stripe_nb_agent.config import ENV_DAT1_KEY, Settings
from stripe_nb_agent.errors import ConfigError, MissingKeyError, UsageError
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint, Surface
from stripe_nb_agent.llm.local_models import PACKAGED_MODELS, find_model_file, locate_model_file
from stripe_nb_agent.llm.local_server import LocalServerOptions, local_extra_missing, start_local_server
from stripe_nb_agent.llm.retry import RetryPolicy, Timeouts
from stripe_nb_agent.redaction import Secret

__all__ = [
    "DEFAULT_LIVE_MODEL",
    "SANDBOX_MODEL",
    "ModelInfo",
    "ModelRegistry",
    "ModelRow",
    "default_registry",
    "register_local_model",
    "register_model",
]

DEFAULT_LIVE_MODEL = "dat1/gpt-120-oss"
SANDBOX_MODEL = "sandbox"
LOCAL_PREFIX = "local/"
DAT1_KEY_HELP = "get a key from your DAT1 dashboard (https://dat1.co)"

Host = Literal["dat1", "sandbox", "url"]
SandboxRoot = Callable[[], str]
# What ``table`` passes a prefix family's factory to draw the family's own row.
_FAMILY_SAMPLE = "<name>"


@dataclass(frozen=True)
class ModelInfo:
    """One named model and how to reach it.

    ``host`` picks the root: ``"dat1"`` (settings.dat1_root), ``"sandbox"`` (the local sandbox
    server's root, given at client build time) or ``"url"`` (``base_url``, a string or a
    callable returning one, for servers that start on demand). ``target`` is the collection,
    custom deployment name or OpenAI model id. ``key_env`` names the variable holding its key
    (None: no key needed). ``availability``, when set, says why the model cannot run now ("" when
    it can): local models use it to check for the xllamacpp extra and their file.
    """

    name: str
    surface: Surface
    host: Host
    target: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    key_env: str | None = None
    base_url: str | Callable[[], str] | None = None
    include_usage: bool = True
    availability: Callable[[], str] | None = None

    @property
    def is_dat1(self) -> bool:
        return self.host == "dat1"

    def endpoint_label(self, settings: Settings) -> str:
        """Where calls go, for display (never with a key)."""
        if self.host == "sandbox":
            return f"local sandbox server ({self.surface}, {self.target})"
        if self.host == "dat1":
            root = settings.dat1_root
        elif callable(self.base_url):
            if self.name.startswith(LOCAL_PREFIX):
                return f"llama.cpp on 127.0.0.1, started on first use ({self.target})"
            return f"started on demand ({self.target})"
        else:
            root = self.base_url or ""
        return _endpoint_for(self, root, None).url


@dataclass(frozen=True)
class ModelRow:
    """One line of ``models()``: is the model usable right now, and if not, why."""

    name: str
    aliases: tuple[str, ...]
    surface: Surface
    endpoint: str
    usable: bool
    why_not: str
    default: bool
    description: str
    # A family row (``local/<name>``) is a pattern to fill in, not a model to pick from a list.
    family: bool = False


class ModelRegistry:
    """Named models, aliases and prefix families.

    ``ModelRegistry()`` holds the built-in DAT1 and sandbox models; ``defaults=False`` starts
    empty. ``environ`` is where keys other than DAT1's are read (default: ``os.environ``).
    """

    def __init__(self, *, environ: Mapping[str, str] | None = None, defaults: bool = True) -> None:
        self.environ = environ
        self._models: dict[str, ModelInfo] = {}
        self._aliases: dict[str, str] = {}
        self._prefixes: dict[str, Callable[[str], ModelInfo]] = {}
        if defaults:
            self._add_defaults()

    def __repr__(self) -> str:
        return f"ModelRegistry({', '.join(self._models)})"

    def _add_defaults(self) -> None:
        """The built-in DAT1 models, the DAT1 custom-deployment family and the sandbox."""
        registry = self
        registry.add(
            ModelInfo(
                DEFAULT_LIVE_MODEL,
                "dat1-collection",
                "dat1",
                "gpt-120-oss",
                "GPT-OSS-120B on DAT1 (reasoning, tool calls)",
                aliases=("gpt-oss", "gpt-120-oss"),
                key_env=ENV_DAT1_KEY,
            )
        )
        registry.add(
            ModelInfo(
                "dat1/gemma-3-12b",
                "dat1-collection",
                "dat1",
                "gemma-3-12b",
                "Gemma 3 12B on DAT1",
                aliases=("gemma",),
                key_env=ENV_DAT1_KEY,
            )
        )
        registry.add(
            ModelInfo(
                "dat1-openai/gpt-120-oss",
                "openai",
                "dat1",
                "gpt-120-oss",
                "GPT-OSS-120B through DAT1's OpenAI-compatible API",
                key_env=ENV_DAT1_KEY,
            )
        )
        registry.add(
            ModelInfo(
                SANDBOX_MODEL,
                "dat1-collection",
                "sandbox",
                "sandbox",
                "offline rule-based stand-in (not a language model)",
            )
        )
        registry.add(
            ModelInfo(
                "sandbox-brief",
                "dat1-collection",
                "sandbox",
                "sandbox-brief",
                "offline rule-based stand-in, terse persona (not a language model)",
            )
        )
        registry.add_prefix(
            "dat1-custom/",
            lambda name: ModelInfo(
                f"dat1-custom/{name}",
                "dat1-custom",
                "dat1",
                name,
                f"your DAT1 custom deployment {name!r}",
                key_env=ENV_DAT1_KEY,
            ),
        )
        registry.add_prefix(LOCAL_PREFIX, self._local_family)
        for packaged in PACKAGED_MODELS:
            registry.add(
                self._local_info(f"{LOCAL_PREFIX}{packaged.name}", packaged.name, packaged.description)
            )

    # --- registering --------------------------------------------------------------------------

    def add(self, info: ModelInfo) -> ModelInfo:
        """Register (or replace) an entry and its aliases."""
        for alias in self._aliases_of(info.name):
            self._aliases.pop(alias, None)
        self._models[info.name] = info
        for alias in info.aliases:
            if alias in self._models:
                raise UsageError(f"Alias {alias!r} is already a model name: pick another alias.")
            self._aliases[alias] = info.name
        return info

    def add_prefix(self, prefix: str, factory: Callable[[str], ModelInfo]) -> None:
        """A family of names: ``resolve(prefix + rest)`` returns ``factory(rest)``."""
        self._prefixes[prefix] = factory

    def register_model(
        self,
        name: str,
        *,
        base_url: str | Callable[[], str],
        model: str,
        key_env: str | None = None,
        aliases: Iterable[str] = (),
        description: str = "",
        include_usage: bool = True,
    ) -> ModelInfo:
        """Add any OpenAI-compatible server (llama-server, Ollama, vLLM, OpenAI).

        ``key_env`` names the environment variable holding its key; None for servers that take
        none. ``include_usage=False`` for servers that reject ``stream_options``.
        """
        if not name or name != name.strip():
            raise UsageError(f"Model name {name!r} must be non-empty without surrounding spaces.")
        if any(name.startswith(p) for p in self._prefixes):
            raise UsageError(f"{name!r} falls under a reserved prefix; pick a name without it.")
        return self.add(
            ModelInfo(
                name,
                "openai",
                "url",
                model,
                description or f"{model} at {base_url if isinstance(base_url, str) else 'a local server'}",
                aliases=tuple(aliases),
                key_env=key_env,
                base_url=base_url,
                include_usage=include_usage,
            )
        )

    def register_local_model(
        self,
        name: str,
        path: str | os.PathLike[str],
        *,
        aliases: Iterable[str] = (),
        description: str = "",
        options: LocalServerOptions | None = None,
    ) -> ModelInfo:
        """Name a GGUF file: ``local/<name>`` then runs it on a local llama.cpp server.

        ``name`` may carry the ``local/`` prefix or not. A relative ``path`` is taken from the
        current directory now; the file is checked when the model is used (and shown in ``table``).
        ``options`` size the server the first time it starts (one server per file per process).
        """
        short = name.removeprefix(LOCAL_PREFIX)
        if not short or short != short.strip() or short.startswith("/"):
            raise UsageError(f"Local model name {name!r} must be non-empty, without spaces or a leading '/'.")
        target = Path(path).expanduser().absolute()
        return self.add(
            self._local_info(
                f"{LOCAL_PREFIX}{short}",
                str(target),
                description or f"{target.name} on a local llama.cpp server",
                aliases=tuple(aliases),
                options=options,
            )
        )

    # --- looking up ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._models)

    def resolve(self, name: str) -> ModelInfo:
        """The entry for a name or alias; a UsageError listing known names and close matches."""
        key = name.strip()
        if key in self._models:
            return self._models[key]
        if key in self._aliases:
            return self._models[self._aliases[key]]
        for prefix, factory in self._prefixes.items():
            if key.startswith(prefix) and len(key) > len(prefix):
                return factory(key[len(prefix) :])
        candidates = [*self._models, *self._aliases]
        close = difflib.get_close_matches(key, candidates, n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        families = ", ".join(f"{p}<name>" for p in self._prefixes)
        raise UsageError(
            f"Unknown model {name!r}.{hint} Known models: {', '.join(self._models)}"
            + (f"; aliases: {', '.join(self._aliases)}" if self._aliases else "")
            + (f"; families: {families}" if families else "")
            + ". Add your own with register_model(name, base_url=..., model=...)."
        )

    def default_name(self, settings: Settings) -> str:
        """``dat1/gpt-120-oss`` when a DAT1 key is set and mode is not sandbox, else ``sandbox``."""
        return DEFAULT_LIVE_MODEL if settings.model_mode == "live" else SANDBOX_MODEL

    def unusable_reason(self, info: ModelInfo, settings: Settings) -> str:
        """Why ``info`` cannot be called now, or "" when it can."""
        if info.availability is not None:
            why = info.availability()
            if why:
                return why
        if info.is_dat1 and settings.mode == "sandbox":
            return settings.mode_note.replace("keys are ignored", "DAT1 models are off") + (
                " Or use the 'sandbox' model."
            )
        if info.key_env and self._key(info, settings) is None:
            where = DAT1_KEY_HELP if info.key_env == ENV_DAT1_KEY else "set it in the environment"
            return f"{info.key_env} is not set: {where}."
        return ""

    def table(self, settings: Settings) -> list[ModelRow]:
        """One row per registered model (families shown by their prefix)."""
        default = self.default_name(settings)
        rows = []
        for info in self._models.values():
            why = self.unusable_reason(info, settings)
            rows.append(
                ModelRow(
                    name=info.name,
                    aliases=info.aliases,
                    surface=info.surface,
                    endpoint=info.endpoint_label(settings),
                    usable=not why,
                    why_not=why,
                    default=info.name == default,
                    description=info.description,
                )
            )
        for prefix, factory in self._prefixes.items():
            sample = factory(_FAMILY_SAMPLE)
            why = self.unusable_reason(sample, settings)
            rows.append(
                ModelRow(
                    name=sample.name,
                    aliases=(),
                    surface=sample.surface,
                    endpoint=sample.endpoint_label(settings),
                    usable=not why,
                    why_not=why,
                    default=False,
                    description=sample.description
                    if prefix == LOCAL_PREFIX
                    else f"any name after {prefix!r}",
                    family=True,
                )
            )
        return rows

    # --- building clients ---------------------------------------------------------------------

    def endpoint(self, name: str, settings: Settings, *, sandbox_root: SandboxRoot) -> Endpoint:
        """The endpoint for ``name``; raises MissingKeyError/ConfigError when it cannot be used."""
        info = self.resolve(name)
        why = self.unusable_reason(info, settings)
        if why:
            # In forced sandbox mode a key would not help: say what does (the mode note).
            if (
                info.key_env
                and self._key(info, settings) is None
                and not (info.is_dat1 and settings.mode == "sandbox")
            ):
                how = (
                    f"{DAT1_KEY_HELP[0].upper()}{DAT1_KEY_HELP[1:]} and set {info.key_env} in the "
                    "environment or a .env file."
                    if info.key_env == ENV_DAT1_KEY
                    else f"Set {info.key_env} in the environment."
                )
                raise MissingKeyError(
                    f"Model {info.name!r} needs {info.key_env}, which is not set. {how} "
                    "The 'sandbox' model runs offline without any key."
                )
            raise ConfigError(f"Model {info.name!r} is not usable now: {why}")
        if info.host == "sandbox":
            root = sandbox_root()
        elif info.host == "dat1":
            root = settings.dat1_root
        else:
            root = info.base_url() if callable(info.base_url) else (info.base_url or "")
        return _endpoint_for(info, root, self._key(info, settings))

    def client(
        self,
        name: str,
        settings: Settings,
        *,
        sandbox_root: SandboxRoot,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 (frozen value)
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
    ) -> ChatClient:
        """A ready :class:`ChatClient` for ``name``. ``sandbox_root`` is only called for sandbox models."""
        endpoint = self.endpoint(name, settings, sandbox_root=sandbox_root)
        return ChatClient(endpoint, http=http, transport=transport, timeouts=timeouts, retry=retry)

    # --- internals ----------------------------------------------------------------------------

    def _local_family(self, spec: str) -> ModelInfo:
        if spec == _FAMILY_SAMPLE:
            # The table's row for the whole family: only the extra can be checked.
            info = self._local_info(
                f"{LOCAL_PREFIX}{spec}", spec, "any GGUF file: a path, or a file in the models directory"
            )
            return replace(info, availability=local_extra_missing)
        return self._local_info(f"{LOCAL_PREFIX}{spec}", spec, f"{spec} on a local llama.cpp server")

    def _local_info(
        self,
        name: str,
        spec: str,
        description: str,
        *,
        aliases: tuple[str, ...] = (),
        options: LocalServerOptions | None = None,
    ) -> ModelInfo:
        """A model whose endpoint is a llama.cpp server started on first use for ``spec``'s file."""
        environ = self.environ

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
            "url",
            # llama.cpp serves one model and ignores this field; it names the file in requests.
            path.stem if path is not None else Path(spec).stem,
            description,
            aliases=aliases,
            base_url=base_url,
            availability=availability,
        )

    def _aliases_of(self, name: str) -> list[str]:
        return [alias for alias, target in self._aliases.items() if target == name]

    def _key(self, info: ModelInfo, settings: Settings) -> Secret | None:
        if info.key_env is None:
            return None
        if info.key_env == ENV_DAT1_KEY:
            return settings.dat1_api_key
        env = os.environ if self.environ is None else self.environ
        value = env.get(info.key_env, "").strip()
        return Secret(value) if value else None


def _endpoint_for(info: ModelInfo, root: str, key: Secret | None) -> Endpoint:
    if info.host == "sandbox":
        # Same code path as DAT1: the sandbox server accepts any key, so send a fixed non-secret one.
        key = Secret("sandbox")
    if info.surface == "dat1-collection":
        return Endpoint.dat1_collection(root, info.target, key=key, key_env=info.key_env, label=info.name)
    if info.surface == "dat1-custom":
        return Endpoint.dat1_custom(root, info.target, key=key, key_env=info.key_env, label=info.name)
    # DAT1 (and the sandbox, which mirrors it) serve the OpenAI surface under /collection/open-ai.
    base = f"{root.rstrip('/')}/collection/open-ai" if info.host != "url" else root
    return Endpoint.openai(
        base,
        info.target,
        key=key,
        key_env=info.key_env,
        include_usage=info.include_usage,
        label=info.name,
    )


_default: ModelRegistry | None = None


def default_registry() -> ModelRegistry:
    """The process-wide registry (built on first use: nothing happens at import time)."""
    global _default
    if _default is None:
        _default = ModelRegistry()
    return _default


def register_model(
    name: str,
    *,
    base_url: str | Callable[[], str],
    model: str,
    key_env: str | None = None,
    aliases: Iterable[str] = (),
    description: str = "",
    include_usage: bool = True,
) -> ModelInfo:
    """Add an OpenAI-compatible model to the process-wide registry (see ModelRegistry.register_model)."""
    return default_registry().register_model(
        name,
        base_url=base_url,
        model=model,
        key_env=key_env,
        aliases=aliases,
        description=description,
        include_usage=include_usage,
    )


def register_local_model(
    name: str,
    path: str | os.PathLike[str],
    *,
    aliases: Iterable[str] = (),
    description: str = "",
    options: LocalServerOptions | None = None,
) -> ModelInfo:
    """Name a GGUF file in the process-wide registry (see ModelRegistry.register_local_model)."""
    return default_registry().register_local_model(
        name, path, aliases=aliases, description=description, options=options
    )
