"""Redaction: no key reaches an output, a log, an exception or a saved notebook.

Redaction is one function, :func:`redact`, applied wherever text leaves the library: display,
logs, exception messages, transcripts. It masks anything shaped like a Stripe key, webhook
secret or client secret, bearer tokens and API-key headers or parameters, and every secret value
this process has resolved (DAT1 keys have no recognisable shape, so they are masked by value:
a :class:`Secret` registers its value when it is made). For logs it runs through
:class:`RedactingFilter`, which the package installs on its own loggers and on those of httpx2,
httpcore2 and mcp when it is imported (:func:`install_log_redaction`).

This module imports nothing of the package, so the error tree can redact its messages at
construction without an import circle.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = [
    "REDACTED_LOGGERS",
    "RedactingFilter",
    "Secret",
    "install_log_redaction",
    "key_hint",
    "redact",
    "register_secret",
]

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
