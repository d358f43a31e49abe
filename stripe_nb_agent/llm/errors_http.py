"""HTTP failures in words: what a model server said, and what the user should do about it.

Every model call (a chat stream, an embeddings batch, a custom deployment) fails the same ways
through :mod:`.http`; the wording lives here once. Each caller passes the
advice that differs (what a 404 means for a chat model is not what it means for a deployment).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from stripe_nb_agent.config import ENV_DAT1_KEY
from stripe_nb_agent.redaction import Secret

__all__ = ["HTTPAdvice", "auth_message", "http_message", "server_message", "unreachable_message"]

_MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class HTTPAdvice:
    """What to tell the user per kind of HTTP failure; ``{url}`` in ``not_found`` is filled in."""

    not_found: str
    refused: str
    server_failed: str = "The server failed: try again later."
    rate_limited: str = "You are rate-limited: wait a minute and try again."
    too_large: str | None = None  # 413; None falls back to ``refused``
    no_key_env: str = "No key was sent: pass key= (or key_env=) for this endpoint."
    offline: str = ""  # the last sentence of an auth failure: what works without a key


def server_message(text: str) -> str:
    """The human part of an error body: ``error.message``, ``detail``, ``message``, or the text."""
    text = text.strip()
    if not text:
        return ""
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:_MESSAGE_LIMIT]
    if isinstance(payload, dict):
        error = payload.get("error", payload)
        if isinstance(error, dict):
            for key in ("message", "detail", "error"):
                value = error.get(key)
                if isinstance(value, str) and value:
                    return value[:_MESSAGE_LIMIT]
        elif isinstance(error, str) and error:
            return error[:_MESSAGE_LIMIT]
        detail = payload.get("detail")
        if isinstance(detail, str):
            return detail[:_MESSAGE_LIMIT]
    return text[:_MESSAGE_LIMIT]


def auth_message(
    name: str,
    url: str,
    status: int,
    text: str,
    *,
    key: Secret | None,
    key_env: str | None,
    advice: HTTPAdvice,
) -> str:
    """A 401/403: which key was (or was not) sent, where it came from, and where to get one."""
    said = server_message(text)
    where = f"{name} ({url}) refused the request with HTTP {status}" + (f": {said}" if said else "")
    if key is None:
        fix = f"No key was sent: set {key_env} to your key." if key_env else advice.no_key_env
    else:
        source = f" from {key_env}" if key_env else ""
        fix = f"The key{source} ({key.hint}) was rejected: check it is current and has access."
    if key_env == ENV_DAT1_KEY:
        fix += " Keys are on your DAT1 dashboard (https://dat1.co)."
    return " ".join(part for part in (f"{where}.", fix, advice.offline) if part)


def http_message(name: str, url: str, status: int, text: str, attempts: int, advice: HTTPAdvice) -> str:
    """Any other non-2xx answer: the status, the server's words, the attempts and the fix."""
    said = server_message(text) or "(no message)"
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if status == 429:
        fix = advice.rate_limited
    elif status >= 500:
        fix = advice.server_failed
    elif status == 404:
        fix = advice.not_found.format(url=url)
    elif status == 413 and advice.too_large:
        fix = advice.too_large
    else:
        fix = advice.refused
    return f"{name} answered HTTP {status}{tries}: {said}. {fix}"


def unreachable_message(url: str, attempts: int, exc: BaseException) -> str:
    """No HTTP answer at all after every attempt (DNS, refused connection, reset, ...)."""
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    return (
        f"Could not reach {url} after {tries} ({type(exc).__name__}: {exc}). Check the URL and your "
        "network; for a local server, check that it is running."
    )
