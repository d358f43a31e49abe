"""What a registry entry is: a model of some kind, the host it lives on, and the row that shows it.

Values only; :mod:`.models` holds them. A :class:`Host` speaks DAT1's URL layout
(``/collection/<name>/invoke-chat``, ``/collection/open-ai``, ``/inference/<name>/invoke``), so
:func:`url_for` and :func:`endpoint_for` turn any entry and its root into where calls go.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from stripe_nb_agent.config import Settings
from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.llm.endpoint import Endpoint, Surface
from stripe_nb_agent.redaction import Secret

__all__ = [
    "FAMILY_SAMPLE",
    "KINDS",
    "Host",
    "Kind",
    "ModelInfo",
    "ModelRow",
    "ModelSurface",
    "endpoint_for",
    "url_for",
]

Kind = Literal["chat", "embedding", "deployment"]
#: The order the models table lists kinds in.
KINDS: tuple[Kind, ...] = ("chat", "embedding", "deployment")
#: What the models table passes a prefix family's factory to draw the family's own row.
FAMILY_SAMPLE = "<name>"
#: Chat surfaces (:class:`~.endpoint.Surface`), then how embeddings and deployments are called.
ModelSurface = Surface | Literal["dat1-embeddings", "openai-embeddings", "in-process", "dat1-deployment"]


@dataclass(frozen=True)
class Host:
    """Where models live: a root URL in DAT1's layout and the key every model there sends.

    ``root`` is a URL, or a callable given the settings that returns one (it may start a server:
    it is called only when a model on the host is used). ``key`` is a :class:`Secret`, a callable
    given the settings, or None (each model then reads its own ``key_env`` from the
    environment); ``key_env`` names where the key comes from, for messages. ``label`` is shown in
    the models table instead of a URL: give one when ``root`` starts a server, as the table calls
    ``root`` otherwise. A ``live`` host is
    a paid service, off when the settings force sandbox mode. ``stands_in_for`` names a host whose
    custom deployments are sent here instead when the model mode is sandbox.
    """

    name: str
    root: str | Callable[[Settings], str]
    key: Secret | Callable[[Settings], Secret | None] | None = None
    key_env: str | None = None
    label: str | None = None
    live: bool = False
    stands_in_for: str | None = None

    def root_url(self, settings: Settings) -> str:
        return self.root(settings) if callable(self.root) else self.root

    def key_for(self, settings: Settings) -> Secret | None:
        return self.key(settings) if callable(self.key) else self.key


@dataclass(frozen=True)
class ModelInfo:
    """One named model and how to reach it.

    ``host`` names a registered :class:`Host` (its root and key), or is None for a model reached
    at its own ``base_url`` (a string or a callable returning one, for servers that start on
    demand) or run in this process. ``target`` is the collection, deployment name or model id.
    ``key_env`` names the variable holding its key (None: no key needed); ``key`` is a key given
    at registration. ``availability``, when set, says why the model cannot run now ("" when it
    can): local models use it to check for their extra and their file. ``dimensions`` and
    ``batch_size`` are for embedding models.
    """

    name: str
    surface: ModelSurface
    host: str | None
    target: str
    description: str = ""
    aliases: tuple[str, ...] = ()
    key_env: str | None = None
    base_url: str | Callable[[], str] | None = None
    include_usage: bool = True
    availability: Callable[[], str] | None = None
    kind: Kind = "chat"
    key: Secret | None = None
    dimensions: int | None = None
    batch_size: int | None = None


@dataclass(frozen=True)
class ModelRow:
    """One line of ``models()``: is the model usable right now, and if not, why."""

    name: str
    aliases: tuple[str, ...]
    surface: ModelSurface
    endpoint: str
    usable: bool
    why_not: str
    default: bool
    description: str
    # A family row (``local/<name>``) is a pattern to fill in, not a model to pick from a list.
    family: bool = False
    kind: Kind = "chat"


def url_for(info: ModelInfo, root: str, *, on_host: bool) -> str:
    """The URL a model is called at, from its root (the DAT1 layout when it lives on a host)."""
    root = root.rstrip("/")
    if info.surface == "dat1-embeddings":
        return f"{root}/collection/{info.target}/invoke"
    if info.surface == "openai-embeddings":
        return f"{root}/embeddings"
    if info.surface == "dat1-deployment":
        return f"{root}/inference/{info.target}/invoke"
    return endpoint_for(info, root, None, None, on_host=on_host).url


def endpoint_for(
    info: ModelInfo, root: str, key: Secret | None, key_env: str | None, *, on_host: bool
) -> Endpoint:
    if info.surface == "dat1-collection":
        return Endpoint.dat1_collection(root, info.target, key=key, key_env=key_env, label=info.name)
    if info.surface == "dat1-custom":
        return Endpoint.dat1_custom(root, info.target, key=key, key_env=key_env, label=info.name)
    if info.surface != "openai":
        raise UsageError(f"{info.name!r} is a registry entry of kind {info.kind!r}: it has no chat endpoint.")
    # Hosts (DAT1, and servers mirroring it) serve the OpenAI surface under /collection/open-ai.
    base = f"{root.rstrip('/')}/collection/open-ai" if on_host else root
    return Endpoint.openai(
        base,
        info.target,
        key=key,
        key_env=key_env,
        include_usage=info.include_usage,
        label=info.name,
    )
