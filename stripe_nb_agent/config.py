"""Settings, key resolution and the live-key guard (redaction is :mod:`stripe_nb_agent.redaction`).

Resolution order for every value: explicit argument, then the process environment, then a
``.env`` file (only when asked: ``dotenv=True`` or a path; the magic asks when it loads), then the
sandbox. Nothing is read at import time.

"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from stripe_nb_agent.errors import ConfigError, LiveKeyRefusedError, MissingKeyError
from stripe_nb_agent.redaction import Secret, key_hint, redact

__all__ = [
    "DEFAULT_DAT1_ROOT",
    "DEFAULT_STRIPE_MCP_URL",
    "Mode",
    "ServiceStatus",
    "Settings",
    "Status",
    "ToolServerStatus",
    "resolve_settings",
]

Mode = Literal["auto", "sandbox", "live"]
ServiceMode = Literal["sandbox", "live"]

DEFAULT_DAT1_ROOT = "https://api.dat1.co/api/v1"
DEFAULT_STRIPE_MCP_URL = "https://mcp.stripe.com"

ENV_MODE = "STRIPE_NB_AGENT_MODE"
ENV_DAT1_KEY = "DAT1_API_KEY"
ENV_STRIPE_KEY = "STRIPE_SECRET_KEY"
ENV_STRIPE_ACCOUNT = "STRIPE_ACCOUNT"
ENV_DAT1_ROOT = "DAT1_API_ROOT"
ENV_STRIPE_MCP_URL = "STRIPE_MCP_URL"
ENV_SANDBOX_DB = "STRIPE_NB_AGENT_SANDBOX_DB"

_MODES: tuple[Mode, ...] = ("auto", "sandbox", "live")

# ---------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceStatus:
    """Where one service's calls go. ``key`` is a redacted hint only."""

    service: str
    mode: ServiceMode
    endpoint: str
    key: str
    note: str = ""


@dataclass(frozen=True)
class ToolServerStatus:
    """One tool server an agent has connected. ``tools`` is None until it was first listed."""

    name: str
    transport: str
    endpoint: str
    tools: int | None
    trusted: bool
    state: str


_SERVICE_HEAD = ("service", "mode", "endpoint", "key", "note")
_SERVER_HEAD = ("tool server", "transport", "endpoint", "tools", "trusted", "state")


def _text_table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _html_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    from html import escape

    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


@dataclass(frozen=True)
class Status:
    """Per-service status and the connected tool servers, printable anywhere (plain text and HTML)."""

    services: tuple[ServiceStatus, ...]
    tools: tuple[ToolServerStatus, ...] = ()
    # Said above the table when the mode is not "auto": keys alone then do not decide where calls go.
    mode_note: str = ""

    def _service_rows(self, *, upper: bool = False) -> list[tuple[str, ...]]:
        return [
            (s.service, s.mode.upper() if upper else s.mode, redact(s.endpoint), s.key, redact(s.note))
            for s in self.services
        ]

    def _server_rows(self) -> list[tuple[str, ...]]:
        return [
            (t.name, t.transport, redact(t.endpoint), "–" if t.tools is None else str(t.tools),
             "yes" if t.trusted else "no", redact(t.state))
            for t in self.tools
        ]  # fmt: skip

    def __str__(self) -> str:
        text = _text_table([_SERVICE_HEAD, *self._service_rows()])
        if self.mode_note:
            text = f"{self.mode_note}\n\n{text}"
        if self.tools:
            text += "\n\n" + _text_table([_SERVER_HEAD, *self._server_rows()])
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        html = _html_table(_SERVICE_HEAD, self._service_rows(upper=True))
        if self.mode_note:
            from html import escape

            html = f"<p>{escape(self.mode_note)}</p>{html}"
        if self.tools:
            html += _html_table(_SERVER_HEAD, self._server_rows())
        return html


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`resolve_settings`; keys are :class:`Secret`."""

    mode: Mode = "auto"
    dat1_api_key: Secret | None = None
    stripe_secret_key: Secret | None = None
    stripe_account: str | None = None
    allow_live: bool = False
    dat1_root: str = DEFAULT_DAT1_ROOT
    stripe_mcp_url: str = DEFAULT_STRIPE_MCP_URL
    # A SQLite file that keeps the Stripe sandbox's state across kernel restarts (workshops).
    sandbox_db: str | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def model_mode(self) -> ServiceMode:
        """Whether chat goes to DAT1 (live) or the local sandbox model server."""
        return _service_mode(self.mode, self.dat1_api_key)

    @property
    def stripe_mode(self) -> ServiceMode:
        """Whether tools go to Stripe's MCP server (live) or the Stripe sandbox."""
        return _service_mode(self.mode, self.stripe_secret_key)

    @property
    def stripe_livemode_key(self) -> bool:
        """True when the Stripe key is a live-mode key (``sk_live_``/``rk_live_``)."""
        key = self.stripe_secret_key.reveal() if self.stripe_secret_key else ""
        return key.startswith(("sk_live_", "rk_live_"))

    @property
    def mode_note(self) -> str:
        """Says who forced the mode when it is not ``auto``, or "" (in ``auto`` the keys decide)."""
        if self.mode == "auto":
            return ""
        where = {"argument": "an argument", "environment": "the environment", ".env": "a .env file"}
        by = where.get(self.sources.get(ENV_MODE, ""), "the settings")
        if self.mode == "sandbox":
            return (
                f"Mode forced to sandbox by {ENV_MODE}=sandbox in {by}: keys are ignored. To go live, "
                f"set {ENV_MODE}=auto (python3 dev.py lab --live does) and restart the kernel."
            )
        return f"Mode forced to live by {ENV_MODE}=live in {by}: both keys are required."


def _service_mode(mode: Mode, key: Secret | None) -> ServiceMode:
    if mode == "sandbox":
        return "sandbox"
    if mode == "live":
        return "live"
    return "live" if key is not None else "sandbox"


def _load_dotenv(dotenv: bool | str | os.PathLike[str]) -> dict[str, str]:
    if dotenv is False:
        return {}
    from dotenv import dotenv_values, find_dotenv

    path = find_dotenv(usecwd=True) if dotenv is True else os.fspath(dotenv)
    if not path:
        return {}
    if dotenv is not True and not Path(path).is_file():
        raise ConfigError(f"No .env file at {path}: check the path, or pass dotenv=True to search upwards.")
    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def resolve_settings(
    *,
    dat1_api_key: str | None = None,
    stripe_secret_key: str | None = None,
    stripe_account: str | None = None,
    mode: str | None = None,
    allow_live: bool = False,
    dotenv: bool | str | os.PathLike[str] = False,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings: argument, then environment, then ``.env`` (when asked), then sandbox.

    Raises :class:`ConfigError` subclasses with the fix in the message: an unknown mode, a
    publishable key where a secret one belongs, a live Stripe key without ``allow_live=True``, or
    ``mode="live"`` with a key missing.
    """
    env = os.environ if environ is None else environ
    file_values = _load_dotenv(dotenv)
    sources: dict[str, str] = {}

    def pick(name: str, explicit: str | None) -> str | None:
        if explicit:
            sources[name] = "argument"
            return explicit
        if env.get(name):
            sources[name] = "environment"
            return env[name]
        if file_values.get(name):
            sources[name] = ".env"
            return file_values[name]
        return None

    raw_mode = (pick(ENV_MODE, mode) or "auto").strip().lower()
    if raw_mode not in _MODES:
        raise ConfigError(
            f"Unknown mode {raw_mode!r} in {ENV_MODE}: use 'auto' (live where a key is set), "
            "'sandbox' (offline, no keys) or 'live'."
        )
    resolved_mode: Mode = raw_mode

    dat1 = pick(ENV_DAT1_KEY, dat1_api_key)
    stripe = pick(ENV_STRIPE_KEY, stripe_secret_key)
    account = pick(ENV_STRIPE_ACCOUNT, stripe_account)
    dat1_root = (pick(ENV_DAT1_ROOT, None) or DEFAULT_DAT1_ROOT).rstrip("/")
    mcp_url = pick(ENV_STRIPE_MCP_URL, None) or DEFAULT_STRIPE_MCP_URL
    sandbox_db = pick(ENV_SANDBOX_DB, None)

    dat1_secret = Secret(dat1.strip()) if dat1 else None
    stripe_secret = Secret(stripe.strip()) if stripe else None
    settings = Settings(
        mode=resolved_mode,
        dat1_api_key=dat1_secret,
        stripe_secret_key=stripe_secret,
        stripe_account=account.strip() if account else None,
        allow_live=allow_live,
        dat1_root=dat1_root,
        stripe_mcp_url=mcp_url,
        sandbox_db=sandbox_db,
        sources=sources,
    )
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.mode == "live":
        if settings.dat1_api_key is None:
            raise MissingKeyError(
                f"Mode is 'live' but {ENV_DAT1_KEY} is not set. Get a key from your DAT1 dashboard "
                f"(https://dat1.co), set {ENV_DAT1_KEY} in the environment or a .env file, or use "
                f"{ENV_MODE}=sandbox to run offline without keys."
            )
        if settings.stripe_secret_key is None:
            raise MissingKeyError(
                f"Mode is 'live' but {ENV_STRIPE_KEY} is not set. Create a test-mode secret key or a "
                f"restricted key at https://dashboard.stripe.com/test/apikeys, set {ENV_STRIPE_KEY}, "
                f"or use {ENV_MODE}=sandbox to run offline without keys."
            )
    if settings.stripe_mode != "live" or settings.stripe_secret_key is None:
        return
    key = settings.stripe_secret_key.reveal()
    if key.startswith("pk_"):
        raise ConfigError(
            f"{ENV_STRIPE_KEY} holds a publishable key ({key_hint(key)}), which cannot call the API. "
            "Use a test-mode secret key (sk_test_…) or a restricted key (rk_test_…)."
        )
    if not key.startswith(("sk_", "rk_")):
        raise ConfigError(
            f"{ENV_STRIPE_KEY} does not look like a Stripe secret or restricted key ({key_hint(key)}). "
            "Copy it from https://dashboard.stripe.com/test/apikeys; it starts with sk_test_ or rk_test_."
        )
    if settings.stripe_livemode_key and not settings.allow_live:
        raise LiveKeyRefusedError(
            f"Refusing the live-mode Stripe key {key_hint(key)}: the agent would move real money. "
            "Use a test-mode key (sk_test_… or rk_test_…), or pass allow_live=True explicitly if you "
            "really mean it (write calls then wait for your approval)."
        )
