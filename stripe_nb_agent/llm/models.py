"""The model registry: every model users name, of every kind, and the hosts they live on.

One registry holds chat models, embedding models and custom deployments (``kind``). Every entry
says how to reach it from settings; the clients never learn where a model lives. Names are
``<host>/<model>`` with short aliases (``gpt-oss``, ``gemma``, ``minilm``). Prefix families
(``dat1-custom/<name>``, ``local/<file.gguf>``) are chat-model factories registered by prefix.

**Hosts are data.** A :class:`Host` is a root URL (or a callable that finds one, starting a
server if it must) and a key; models on it speak DAT1's URL layout. DAT1 is the built-in host;
plugins add theirs through the ``register_models`` hook (:mod:`stripe_nb_agent.plugins`), which
every registry built with its defaults calls after adding the built-ins. That is how the offline
sandbox arrives (see :mod:`stripe_nb_agent.wiring`): its host, its models, the chat model that is
the default in sandbox mode, and the host that stands in for DAT1's custom deployments there.

``local/<name>`` runs a GGUF file on llama.cpp's own server, started in this process on first use
(see :mod:`.local_server`) and reached through the ordinary OpenAI-compatible endpoint; its entries
are built by :mod:`.local_entries`.

The table of every entry, usable or not and where it goes, is drawn by :mod:`.model_table`.
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import httpx2

from stripe_nb_agent import plugins
from stripe_nb_agent.config import ENV_DAT1_KEY, ServiceMode, Settings
from stripe_nb_agent.errors import ConfigError, MissingKeyError, UsageError
from stripe_nb_agent.llm.builtin_models import (
    BUILTIN_DEFAULTS,
    BUILTIN_MODELS,
    DAT1,
    DAT1_HOST,
    dat1_custom_model,
)
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.embedder import check_batch_size
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.local_entries import LOCAL_PREFIX, local_family_member, local_model
from stripe_nb_agent.llm.local_models import PACKAGED_MODELS
from stripe_nb_agent.llm.local_server import LocalServerOptions
from stripe_nb_agent.llm.model_info import (
    KINDS,
    Host,
    Kind,
    ModelInfo,
    endpoint_for,
)
from stripe_nb_agent.llm.retry import RetryPolicy, Timeouts
from stripe_nb_agent.redaction import Secret

__all__ = [
    "ModelRegistry",
    "default_registry",
    "register_local_model",
    "register_model",
]

DAT1_KEY_HELP = "get a key from your DAT1 dashboard (https://dat1.co)"


class ModelRegistry:
    """Named models of every kind, their aliases, prefix families, hosts and per-mode defaults.

    ``ModelRegistry()`` holds the built-ins (DAT1's models, the local families, the offline
    embedder) and whatever the plugins register; ``defaults=False`` starts empty. ``environ`` is
    where keys other than DAT1's are read (default: ``os.environ``).
    """

    def __init__(self, *, environ: Mapping[str, str] | None = None, defaults: bool = True) -> None:
        self.environ = environ
        # Registration may come from any thread (a cell, the widget's loop); lookups see whole entries.
        self._lock = threading.RLock()
        self._models: dict[tuple[Kind, str], ModelInfo] = {}
        self._aliases: dict[tuple[Kind, str], str] = {}
        self._prefixes: dict[str, Callable[[str], ModelInfo]] = {}
        self._hosts: dict[str, Host] = {}
        self._defaults: dict[tuple[Kind, ServiceMode], str] = {}
        if defaults:
            self._add_builtins()
            plugins.register_models(self)

    def __repr__(self) -> str:
        return f"ModelRegistry({', '.join(name for _, name in self._models)})"

    def _add_builtins(self) -> None:
        """DAT1's host, models and families, the offline embedder, and the local GGUF families."""
        self.add_host(DAT1)
        for info in BUILTIN_MODELS:
            self.add(info)
        for (kind, mode), name in BUILTIN_DEFAULTS.items():
            self.set_default(name, mode=mode, kind=kind)
        self.add_prefix("dat1-custom/", dat1_custom_model)
        # The environ is read at each lookup, as the registry's own is.
        self.add_prefix(LOCAL_PREFIX, lambda spec: local_family_member(spec, environ=self.environ))
        for packaged in PACKAGED_MODELS:
            self.add(
                local_model(
                    f"{LOCAL_PREFIX}{packaged.name}",
                    packaged.name,
                    packaged.description,
                    environ=self.environ,
                )
            )

    # --- registering --------------------------------------------------------------------------

    def add_host(self, host: Host) -> Host:
        """Register (or replace) a host; models name it in ``ModelInfo.host``."""
        with self._lock:
            self._hosts[host.name] = host
        return host

    def host(self, name: str) -> Host:
        try:
            return self._hosts[name]
        except KeyError:
            raise UsageError(
                f"Unknown host {name!r}: known hosts are {', '.join(self._hosts) or 'none'}. Register it "
                "with ModelRegistry.add_host(Host(name, root=...))."
            ) from None

    def set_default(self, name: str, *, mode: ServiceMode, kind: Kind = "chat") -> None:
        """Make ``name`` the model of ``kind`` used when none is named and the model mode is ``mode``."""
        with self._lock:
            self._defaults[(kind, mode)] = name

    def add(self, info: ModelInfo) -> ModelInfo:
        """Register (or replace) an entry and its aliases."""
        kind = info.kind
        with self._lock:
            for alias in self._aliases_of(kind, info.name):
                self._aliases.pop((kind, alias), None)
            if info.host is not None and info.host not in self._hosts:
                raise UsageError(f"Model {info.name!r} names host {info.host!r}, which is not registered.")
            for alias in info.aliases:
                if (kind, alias) in self._models:
                    raise UsageError(f"Alias {alias!r} is already a model name: pick another alias.")
            self._models[(kind, info.name)] = info
            for alias in info.aliases:
                self._aliases[(kind, alias)] = info.name
        return info

    def remove(self, name: str, *, kind: Kind = "chat") -> None:
        """Forget an entry and its aliases (no error when it is unknown)."""
        with self._lock:
            for alias in self._aliases_of(kind, name):
                self._aliases.pop((kind, alias), None)
            self._models.pop((kind, name), None)

    def add_prefix(self, prefix: str, factory: Callable[[str], ModelInfo]) -> None:
        """A family of chat models: ``resolve(prefix + rest)`` returns ``factory(rest)``."""
        with self._lock:
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
        """Add any OpenAI-compatible chat server (llama-server, Ollama, vLLM, OpenAI).

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
                None,
                model,
                description or f"{model} at {base_url if isinstance(base_url, str) else 'a local server'}",
                aliases=tuple(aliases),
                key_env=key_env,
                base_url=base_url,
                include_usage=include_usage,
            )
        )

    def register_embedding_model(
        self,
        name: str,
        *,
        base_url: str,
        model: str | None = None,
        key: str | None = None,
        key_env: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 64,
    ) -> ModelInfo:
        """Add an OpenAI-compatible ``/embeddings`` endpoint by name.

        Only what this method registered may be replaced by it: not the built-ins, nor their aliases.
        """
        existing = self._models.get(("embedding", name))
        if (
            not name
            or ("embedding", name) in self._aliases
            or (existing is not None and existing.surface != "openai-embeddings")
        ):
            raise UsageError(f"{name!r} is a built-in embedding model name: register under another name.")
        check_batch_size(batch_size)
        return self.add(
            ModelInfo(
                name,
                "openai-embeddings",
                None,
                model or name,
                f"{model or name} at {base_url}",
                key_env=key_env,
                base_url=base_url,
                kind="embedding",
                key=Secret(key) if key else None,
                dimensions=dimensions,
                batch_size=batch_size,
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
        current directory now; the file is checked when the model is used (and shown in the models table).
        ``options`` size the server the first time it starts (one server per file per process).
        """
        short = name.removeprefix(LOCAL_PREFIX)
        if not short or short != short.strip() or short.startswith("/"):
            raise UsageError(f"Local model name {name!r} must be non-empty, without spaces or a leading '/'.")
        target = Path(path).expanduser().absolute()
        return self.add(
            local_model(
                f"{LOCAL_PREFIX}{short}",
                str(target),
                description or f"{target.name} on a local llama.cpp server",
                environ=self.environ,
                aliases=tuple(aliases),
                options=options,
            )
        )

    # --- looking up ---------------------------------------------------------------------------

    def names(self, kind: Kind = "chat") -> list[str]:
        with self._lock:
            return [name for (k, name) in self._models if k == kind]

    def resolve(self, name: str, *, kind: Kind = "chat") -> ModelInfo:
        """The entry for a name or alias; a UsageError listing known names and close matches."""
        key = name.strip()
        with self._lock:
            if (kind, key) in self._models:
                return self._models[(kind, key)]
            if (kind, key) in self._aliases:
                return self._models[(kind, self._aliases[(kind, key)])]
            prefixes = dict(self._prefixes) if kind == "chat" else {}
            names = self.names(kind)
            aliases = [alias for (k, alias) in self._aliases if k == kind]
        for prefix, factory in prefixes.items():
            if key.startswith(prefix) and len(key) > len(prefix):
                return factory(key[len(prefix) :])
        other = next((k for (k, n) in [*self._models, *self._aliases] if n == key), None)
        if other is not None:
            use = {
                "chat": "Agent.ask or use",
                "embedding": "embed",
                "deployment": "CustomDeployment or rerank",
            }
            raise UsageError(
                f"{name!r} is {_with_article(other)} model, not {_with_article(kind)} model: "
                f"use it with {use[other]}()."
            )
        if kind == "embedding":
            raise UsageError(
                f"Unknown embedding model {name!r}. Use one of {', '.join(names)}, or add an "
                "OpenAI-compatible endpoint with register_embedding_model(name, base_url=..., model=...)."
            )
        close = difflib.get_close_matches(key, [*names, *aliases], n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        families = ", ".join(f"{p}<name>" for p in prefixes)
        what = "model" if kind == "chat" else kind
        raise UsageError(
            f"Unknown {what} {name!r}.{hint} Known {what}s: {', '.join(names)}"
            + (f"; aliases: {', '.join(aliases)}" if aliases else "")
            + (f"; families: {families}" if families else "")
            + (
                ". Add your own with register_model(name, base_url=..., model=...)."
                if kind == "chat"
                else "."
            )
        )

    def default_name(self, settings: Settings, kind: Kind = "chat") -> str:
        """The model of ``kind`` registered as the default for the settings' model mode.

        Built in: ``dat1/gpt-120-oss`` (chat) and ``dat1/qwen3-embedding`` live, ``local/minilm``
        in sandbox mode; the sandbox plugin adds its chat model. With nothing registered for a
        mode, the live default.
        """
        with self._lock:
            name = self._defaults.get((kind, settings.model_mode)) or self._defaults.get((kind, "live"))
        if name is None:
            raise UsageError(f"No default {kind} model is registered: name one.")
        return name

    def unusable_reason(self, info: ModelInfo, settings: Settings) -> str:
        """Why ``info`` cannot be called now, or "" when it can."""
        if info.availability is not None:
            why = info.availability()
            if why:
                return why
        host = self._hosts.get(info.host) if info.host is not None else None
        if host is not None and self._stand_in(host, info, settings) is not host:
            return ""  # a deployment answered by the host standing in for its own (the sandbox)
        if host is not None and host.live and settings.mode == "sandbox":
            offline = self._defaults.get((info.kind, "sandbox"))
            return settings.mode_note.replace("keys are ignored", f"{host.name.upper()} models are off") + (
                f" Or use the {offline!r} model." if offline else ""
            )
        if self._key_env(info) and self.key(info, settings) is None:
            key_env = self._key_env(info)
            where = DAT1_KEY_HELP if key_env == ENV_DAT1_KEY else "set it in the environment"
            return f"{key_env} is not set: {where}."
        return ""

    def entries(self) -> list[ModelInfo]:
        """Every registered entry, chat models first, then embeddings and deployments."""
        with self._lock:
            return sorted(self._models.values(), key=lambda info: KINDS.index(info.kind))

    def families(self) -> dict[str, Callable[[str], ModelInfo]]:
        """The chat-model factories, by the prefix each answers to."""
        with self._lock:
            return dict(self._prefixes)

    def default_kinds(self) -> set[Kind]:
        """The kinds that have a default model registered for some mode."""
        with self._lock:
            return {kind for kind, _ in self._defaults}

    def serving_host(self, info: ModelInfo, settings: Settings) -> Host | None:
        """The host calls to ``info`` go to under these settings (the one standing in for its own,
        if any), or None for a model on no host."""
        host = self._hosts.get(info.host) if info.host is not None else None
        return None if host is None else self._stand_in(host, info, settings)

    def deployment_route(self, name: str, settings: Settings) -> tuple[str, Secret | None]:
        """The root and key a custom deployment ``name`` is called with under these settings.

        A registered deployment lives on its host, any other name on DAT1; in sandbox model mode
        a host registered as standing in for that one takes its place.
        """
        with self._lock:
            info = self._models.get(("deployment", name))
        host = self.host(info.host if info is not None and info.host is not None else DAT1_HOST)
        host = self._stand_in(host, info, settings)
        return host.root_url(settings), host.key_for(settings)

    def _stand_in(self, host: Host, info: ModelInfo | None, settings: Settings) -> Host:
        """The host a deployment's calls go to: in sandbox model mode, the one standing in for
        ``host`` if any is registered (chat models are picked by name instead: see default_name)."""
        if (info is None or info.kind == "deployment") and settings.model_mode == "sandbox":
            with self._lock:
                return next((h for h in self._hosts.values() if h.stands_in_for == host.name), host)
        return host

    # --- building clients ---------------------------------------------------------------------

    def root(self, info: ModelInfo, settings: Settings) -> str:
        """The root URL ``info`` is called at (this may start its server)."""
        if info.host is not None:
            return self.host(info.host).root_url(settings)
        return info.base_url() if callable(info.base_url) else (info.base_url or "")

    def check_usable(self, info: ModelInfo, settings: Settings) -> None:
        """Raise MissingKeyError/ConfigError saying what to do when ``info`` cannot be used now."""
        why = self.unusable_reason(info, settings)
        if not why:
            return
        host = self._hosts.get(info.host) if info.host is not None else None
        key_env = self._key_env(info)
        # In forced sandbox mode a key would not help: say what does (the mode note).
        if (
            key_env
            and self.key(info, settings) is None
            and not (host and host.live and settings.mode == "sandbox")
        ):
            how = (
                f"{DAT1_KEY_HELP[0].upper()}{DAT1_KEY_HELP[1:]} and set {key_env} in the environment "
                "or a .env file."
                if key_env == ENV_DAT1_KEY
                else f"Set {key_env} in the environment."
            )
            offline = self._defaults.get((info.kind, "sandbox"))
            raise MissingKeyError(
                f"Model {info.name!r} needs {key_env}, which is not set. {how}"
                + (f" The {offline!r} model runs offline without any key." if offline else "")
            )
        raise ConfigError(f"Model {info.name!r} is not usable now: {why}")

    def endpoint(self, name: str, settings: Settings) -> Endpoint:
        """The chat endpoint for ``name``; raises MissingKeyError/ConfigError when it cannot be used."""
        info = self.resolve(name)
        self.check_usable(info, settings)
        return endpoint_for(
            info,
            self.root(info, settings),
            self.key(info, settings),
            self._key_env(info),
            on_host=info.host is not None,
        )

    def client(
        self,
        name: str,
        settings: Settings,
        *,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeouts: Timeouts = Timeouts(),  # noqa: B008 (frozen value)
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
    ) -> ChatClient:
        """A ready :class:`ChatClient` for ``name``."""
        endpoint = self.endpoint(name, settings)
        return ChatClient(endpoint, http=http, transport=transport, timeouts=timeouts, retry=retry)

    # --- internals ----------------------------------------------------------------------------

    def _aliases_of(self, kind: Kind, name: str) -> list[str]:
        return [alias for (k, alias), target in self._aliases.items() if k == kind and target == name]

    def _key_env(self, info: ModelInfo) -> str | None:
        host = self._hosts.get(info.host) if info.host is not None else None
        if host is not None and host.key is not None:
            return host.key_env
        return info.key_env

    def key(self, info: ModelInfo, settings: Settings) -> Secret | None:
        """The key ``info`` sends: its host's, the one it was registered with, or its ``key_env``'s."""
        host = self._hosts.get(info.host) if info.host is not None else None
        if host is not None and host.key is not None:
            return host.key_for(settings)
        if info.key is not None:
            return info.key
        if info.key_env is None:
            return None
        env = os.environ if self.environ is None else self.environ
        value = env.get(info.key_env, "").strip()
        return Secret(value) if value else None


def _with_article(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


_default: ModelRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> ModelRegistry:
    """The process-wide registry (built on first use: nothing happens at import time)."""
    global _default
    with _default_lock:
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
