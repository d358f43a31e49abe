"""Settings, key resolution, the live-key guard and redaction.

Resolution order for every value: explicit argument, then the process environment, then a
``.env`` file (only when asked: ``dotenv=True`` or a path; the magic asks when it loads), then the
sandbox. Nothing is read at import time.

Redaction is one function, :func:`redact`, applied wherever text leaves the library: display,
logs, exception messages, transcripts. It masks anything shaped like a Stripe key, webhook
secret or client secret, bearer tokens and API-key headers or parameters, and every secret value
this process has resolved (DAT1 keys have no recognisable shape, so they are masked by value).
For logs it runs through :class:`RedactingFilter`, which the package installs on its own loggers
and on those of httpx2, httpcore2 and mcp when it is imported (:func:`install_log_redaction`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from stripe_nb_agent.errors import ConfigError, LiveKeyRefusedError, MissingKeyError

__all__ = [
    "DEFAULT_DAT1_ROOT",
    "DEFAULT_STRIPE_MCP_URL",
    "REDACTED_LOGGERS",
    "Mode",
    "RedactingFilter",
    "Secret",
    "ServiceStatus",
    "Settings",
    "Status",
    "ToolServerStatus",
    "install_log_redaction",
    "key_hint",
    "redact",
    "register_secret",
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
# Redaction
# ---------------------------------------------------------------------------------------------

_STRIPE_KEY = re.compile(r"\b((?:sk|rk|pk)_(?:test|live)_|whsec_)([A-Za-z0-9]{6,})")
# A client secret (payment intent, setup intent, checkout session: ``pi_123_secret_abc``) lets a
# browser confirm the payment: it is masked like a key, keeping its object id and a hint.
_CLIENT_SECRET = re.compile(r"(_secret_)([A-Za-z0-9]{6,})")
# The value after a credential-carrying header or parameter, whatever its shape.
_CREDENTIAL_FIELD = re.compile(
    r"(?i)(\bBearer\s+|\bBasic\s+|x-api-key[\"']?\s*[:=]\s*[\"']?|"
    r"\b(?:api[_-]?key|access[_-]?token|token|secret|password|authorization)[\"']?\s*[:=]\s*[\"']?)"
    r"([A-Za-z0-9._~+/=-]{8,})"
)
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secrets_pattern: re.Pattern[str] | None = None


def key_hint(key: str | None) -> str:
    """A short, safe hint of a key: ``sk_test_…a1b2``; never more than the last four characters."""
    if not key:
        return "(none)"
    match = _STRIPE_KEY.match(key)
    if match:
        return f"{match.group(1)}…{key[-4:]}"
    return f"…{key[-4:]}" if len(key) >= 12 else "…"


def register_secret(value: str | None) -> None:
    """Mask this exact value in everything :func:`redact` sees from now on (for shapeless keys)."""
    global _secrets_pattern
    if not value or len(value) < 8:
        return
    with _secrets_lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """Mask every key-shaped or known secret in ``text``, keeping a hint (``sk_test_…a1b2``)."""
    if not text:
        return text
    pattern = _secrets_pattern
    if pattern is not None:
        text = pattern.sub(lambda m: key_hint(m.group(0)), text)
    text = _STRIPE_KEY.sub(lambda m: f"{m.group(1)}…{m.group(2)[-4:]}", text)
    text = _CLIENT_SECRET.sub(lambda m: f"{m.group(1)}…{m.group(2)[-4:]}", text)
    return _CREDENTIAL_FIELD.sub(_mask_field, text)


def _mask_field(match: re.Match[str]) -> str:
    value = match.group(2)
    if "…" in value or value.startswith(("sk_", "rk_", "pk_", "whsec_")):
        return match.group(0)
    return f"{match.group(1)}…{value[-4:]}"


class RedactingFilter(logging.Filter):
    """Redacts a log record in place (message, traceback, stack) and always lets it through.

    The message is formatted and redacted eagerly (``msg`` becomes the redacted text, ``args``
    empty) only when redaction changes it, so records without secrets keep their arguments. A
    traceback is always replaced by its redacted text (``exc_text``): a handler that renders
    ``exc_info`` itself could otherwise show an exception message or a local variable holding a key.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # A bad format string is the caller's bug; keep it visible, but never with a key in it.
            message = f"{record.msg} (arguments: {record.args!r})"
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# Our own loggers and those of the stacks that carry our keys: httpcore2 logs response headers
# (a server may echo a key there), httpx2 and mcp log request URLs (a key may sit in a query).
REDACTED_LOGGERS = ("stripe_nb_agent", "httpx2", "httpcore2", "mcp")
_FILTER = RedactingFilter()


def _redacted_logger(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in REDACTED_LOGGERS)


def install_log_redaction() -> None:
    """Redact every record the :data:`REDACTED_LOGGERS` hierarchies create, at any level.

    Called once when the package is imported; calling it again does nothing. The filter runs
    through the log-record factory rather than ``Logger.addFilter``: a logger's filters see only
    the records logged on that very logger, not those its children (``httpcore2.http11``,
    ``mcp.client.streamable_http``, ...) propagate to it, and handlers' filters would need
    handlers we do not own and that often do not exist yet (``basicConfig`` comes later). The
    factory sees every record of those hierarchies before any logger filter or handler does, and
    only records that will be handled: a logger disabled for a level creates none, so this costs
    nothing until someone turns logging on. The previous factory is kept and called first.
    """
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_redacts_keys", False):
        return

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        # logging.makeLogRecord() (socket and queue receivers) builds a nameless record first.
        if isinstance(record.name, str) and _redacted_logger(record.name):
            _FILTER.filter(record)
        return record

    factory._redacts_keys = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class Secret:
    """A secret value whose ``repr``/``str`` never shows it; call :meth:`reveal` at the wire."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        return self._value

    @property
    def hint(self) -> str:
        return key_hint(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.hint!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


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
            (s.service, s.mode.upper() if upper else s.mode, s.endpoint, s.key, redact(s.note))
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

    def status(self) -> Status:
        model = (
            ServiceStatus("model (DAT1)", "live", self.dat1_root, _hint(self.dat1_api_key))
            if self.model_mode == "live"
            else ServiceStatus(
                "model (DAT1)",
                "sandbox",
                "local sandbox model server",
                "(none needed)",
                _stand_in_note(),
            )
        )
        if self.stripe_mode == "live":
            note = "LIVE MODE: real money" if self.stripe_livemode_key else "test mode"
            if self.stripe_account:
                note += f"; acting for {self.stripe_account}"
            stripe = ServiceStatus(
                "Stripe (MCP)", "live", self.stripe_mcp_url, _hint(self.stripe_secret_key), note
            )
        else:
            kept = f"; state kept in {self.sandbox_db}" if self.sandbox_db else ""
            stripe = ServiceStatus(
                "Stripe (MCP)",
                "sandbox",
                "in-process Stripe sandbox",
                "(none needed)",
                "offline, fake data" + kept,
            )
        return Status((model, stripe), mode_note=self.mode_note)


def _stand_in_note() -> str:
    # Whether the embedding extra is installed, without loading it: status must stay instant.
    import importlib.util

    from stripe_nb_agent.llm.local_embeddings import installed_model_files

    try:
        installed_model_files()
        runtime = all(importlib.util.find_spec(p) is not None for p in ("onnxruntime", "tokenizers"))
    except ConfigError:
        runtime = False
    if runtime:
        return "deterministic stand-in, not a language model (reads requests with its phrasebook)"
    return (
        "deterministic stand-in, not a language model; WEAKER FALLBACK: keyword rules, as the "
        "embedding extra is missing (pip install 'stripe-nb-agent[embeddings]')"
    )


def _hint(secret: Secret | None) -> str:
    return secret.hint if secret else "(none)"


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
