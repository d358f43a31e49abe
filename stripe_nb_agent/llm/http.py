"""The one HTTP edge of ``llm/``: how a key is sent, one send-with-retry, one translation of HTTP
failures into the error tree, and the long-lived clients that chat, embeddings and the reranker share.

Every model request (a chat stream, an embeddings batch, a custom deployment call) goes through
:func:`send_with_retry`, so they retry on the same schedule and fail with the same errors
(httpx's ``map_exceptions``, in spirit)::

    no HTTP answer at all
      ├── connect or pool timeout ........ ModelTimeoutError(phase="connect")
      ├── read timeout ................... ModelTimeoutError(phase="read")
      ├── no answer within answer_within . ModelTimeoutError(phase="first_token")
      └── anything else (DNS, refused) ... ModelConnectError
    an HTTP error status
      ├── 401, 403 ....................... ModelAuthError, naming the key's variable
      ├── 429, 5xx asking to wait longer
      │   than the policy's maximum ...... ModelHTTPError saying how long to wait (never waited)
      └── any other non-2xx .............. ModelHTTPError, with the server's words and the fix

429, 5xx and transport errors are retried per :class:`~.retry.RetryPolicy` before that.

**One client per origin.** On the package's background loop (where the magic, the widget and the
synchronous ``embed``/``rerank`` run) :func:`shared_client` keeps one ``httpx2.AsyncClient`` per
scheme, host and port, so a chat turn, an embedding and a rerank against DAT1 reuse one connection
pool; the clients close when that loop shuts down. On any other loop a caller without ``http=``
gets a client for the call, as nothing would close a long-lived one there.
"""

from __future__ import annotations

import ssl
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import anyio
import httpx2

from stripe_nb_agent._loop import BackgroundLoop, current_background_loop
from stripe_nb_agent.config import ENV_DAT1_KEY
from stripe_nb_agent.errors import (
    ModelAuthError,
    ModelConnectError,
    ModelError,
    ModelHTTPError,
    ModelTimeoutError,
)
from stripe_nb_agent.llm.errors_http import (
    HTTPAdvice,
    auth_message,
    http_message,
    server_message,
    unreachable_message,
)
from stripe_nb_agent.llm.retry import RetryPolicy, parse_retry_after
from stripe_nb_agent.redaction import Secret

__all__ = [
    "ERROR_BODY_LIMIT",
    "JSON_ADVICE",
    "JSON_TIMEOUT",
    "Auth",
    "Target",
    "client_for",
    "error_for_status",
    "error_for_transport",
    "origin",
    "post_json",
    "send_with_retry",
    "shared_client",
]

#: A JSON model call (embeddings, a deployment): connect quickly or fail; reads allow a cold start.
JSON_TIMEOUT = httpx2.Timeout(connect=10.0, read=120.0, write=30.0, pool=10.0)
#: What to do when a JSON model call fails.
JSON_ADVICE = HTTPAdvice(
    not_found="Check the URL ({url}) and the model or deployment name.",
    refused="The request was refused: check the inputs you sent.",
    rate_limited="You are rate-limited: wait a minute and try again, or send smaller batches.",
    too_large="The request is too large: pass a smaller batch_size.",
    offline="The 'local' embedding model runs offline without any key.",
)
#: How much of an error answer is read: enough for any server's message, bounded for a runaway one.
ERROR_BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Auth:
    """How a request carries its key: ``X-API-Key`` or ``Authorization: Bearer``.

    ``key_env`` names where the key comes from, so a 401 can say which variable to fix.
    """

    key: Secret | None
    header: Literal["x-api-key", "bearer"] = "x-api-key"
    key_env: str | None = ENV_DAT1_KEY

    def headers(self) -> dict[str, str]:
        if self.key is None:
            return {}
        # The only place a key is revealed: the wire.
        if self.header == "bearer":
            return {"Authorization": f"Bearer {self.key.reveal()}"}
        return {"X-API-Key": self.key.reveal()}


@dataclass(frozen=True)
class Target:
    """What a request is sent to, as messages name it.

    ``name`` is what users call the model or deployment; ``advice`` is what to do per kind of
    failure; ``longer_timeout`` says how to give a call more time (``{phase}`` is filled in).
    """

    name: str
    url: str
    auth: Auth
    advice: HTTPAdvice
    longer_timeout: str = "pass a longer timeout"


async def send_with_retry(
    http: httpx2.AsyncClient,
    request: httpx2.Request,
    target: Target,
    *,
    retry: RetryPolicy,
    stream: bool = False,
    answer_within: float | None = None,
) -> tuple[httpx2.Response, int]:
    """Send ``request`` until it gets a 2xx answer; returns it and the number of attempts.

    ``stream=True`` returns as soon as the headers arrive (the caller reads and closes the body);
    ``answer_within`` bounds each attempt's wait for those headers. Failures raise per the tree in
    this module's docstring.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            with anyio.fail_after(answer_within):
                response = await http.send(request, stream=stream)
        except TimeoutError:
            longer = target.longer_timeout.format(phase="first_token")
            raise ModelTimeoutError(
                f"{target.name} sent no answer within {answer_within:g} s (first-token timeout). The "
                f"model may be cold-starting: try again, or {longer}.",
                phase="first_token",
            ) from None
        except httpx2.TransportError as exc:
            if attempt < retry.max_attempts:
                await retry.sleep(retry.delay(attempt))
                continue
            raise error_for_transport(exc, target, attempt, request) from exc
        status = response.status_code
        if status < 300:
            return response, attempt
        text = await _error_body(response)
        wait = (
            parse_retry_after(response.headers.get("retry-after"))
            if retry.is_retryable_status(status)
            else None
        )
        if wait is not None and wait > retry.max_retry_after:
            raise error_for_status(target, status, text, attempt, wait=wait)
        if retry.is_retryable_status(status) and attempt < retry.max_attempts:
            await retry.sleep(retry.delay(attempt, wait))
            continue
        raise error_for_status(target, status, text, attempt)


def error_for_status(
    target: Target, status: int, text: str, attempts: int, *, wait: float | None = None
) -> ModelError:
    """The error for a non-2xx answer (``wait``: a Retry-After the caller will not wait for)."""
    if status in (401, 403):
        auth = target.auth
        return ModelAuthError(
            auth_message(
                target.name,
                target.url,
                status,
                text,
                key=auth.key,
                key_env=auth.key_env,
                advice=target.advice,
            )
        )
    if wait is not None:
        said = server_message(text)
        return ModelHTTPError(
            f"{target.name} answered HTTP {status} and asks to wait {wait:.0f} s before retrying"
            + (f": {said}" if said else "")
            + ". Wait, then run the request again.",
            status_code=status,
            body=text,
        )
    return ModelHTTPError(
        http_message(target.name, target.url, status, text, attempts, target.advice),
        status_code=status,
        body=text,
    )


def error_for_transport(
    exc: httpx2.TransportError, target: Target, attempts: int, request: httpx2.Request
) -> ModelError:
    """The error for a request that got no HTTP answer after ``attempts`` tries."""
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    timeout: dict[str, Any] = request.extensions.get("timeout", {})
    if isinstance(exc, httpx2.ReadTimeout):
        return ModelTimeoutError(
            f"{target.url} sent no answer within {timeout.get('read') or 0:g} s ({tries}). It may be "
            "cold-starting or overloaded: try again, send smaller batches, or "
            f"{target.longer_timeout.format(phase='read')}.",
            phase="read",
        )
    if isinstance(exc, httpx2.TimeoutException):
        return ModelTimeoutError(
            f"Could not connect to {target.url} within {timeout.get('connect') or 0:g} s ({tries}). Check "
            f"the network and the URL, or {target.longer_timeout.format(phase='connect')}.",
            phase="connect",
        )
    return ModelConnectError(unreachable_message(target.url, attempts, exc))


async def _error_body(response: httpx2.Response, idle: float = 30.0) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.move_on_after(idle):
            async for data in response.aiter_bytes():
                chunks.append(data)
                size += len(data)
                if size >= ERROR_BODY_LIMIT:
                    break
    except httpx2.HTTPError:
        pass  # the status code alone is still worth reporting
    finally:
        await response.aclose()
    return b"".join(chunks)[:ERROR_BODY_LIMIT].decode("utf-8", "replace")


async def post_json(
    http: httpx2.AsyncClient,
    target: Target,
    body: Any,
    *,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
    timeout: httpx2.Timeout = JSON_TIMEOUT,  # noqa: ASYNC109 (httpx's per-request timeouts, by phase)
) -> Any:
    """POST ``body`` as JSON to ``target`` and return the decoded JSON answer (retried, translated).

    A 2xx body that is not JSON raises :class:`ModelError`.
    """
    headers = {"Accept": "application/json", **target.auth.headers()}
    request = http.build_request("POST", target.url, json=body, headers=headers, timeout=timeout)
    response, _ = await send_with_retry(http, request, target, retry=retry)
    try:
        return response.json()
    except ValueError:
        raise ModelError(
            f"{target.name} answered HTTP {response.status_code} with a body that is not JSON: "
            f"{response.text[:200]!r}. Check that {target.url} is the right endpoint."
        ) from None


# --- the shared clients --------------------------------------------------------------------------

_shared: weakref.WeakKeyDictionary[BackgroundLoop, dict[str, httpx2.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def origin(url: str) -> str:
    """``scheme://host:port``: what a connection pool is per."""
    parsed = httpx2.URL(url)
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return f"{parsed.scheme}://{parsed.host}:{port}"


def shared_client(url: str) -> httpx2.AsyncClient | None:
    """The package loop's long-lived client for ``url``'s origin; None when not on that loop.

    Only ever called on the loop's own thread, so the dictionary needs no lock.
    """
    loop = current_background_loop()
    if loop is None:
        return None
    clients = _shared.get(loop)
    if clients is None:
        clients = _shared[loop] = {}
        loop.at_shutdown(lambda: _close_all(clients))
    key = origin(url)
    client = clients.get(key)
    if client is None or client.is_closed:
        # Timeouts are set per request by each caller; the client holds only the pool.
        client = clients[key] = httpx2.AsyncClient(verify=_tls_for(key))
    return client


def _tls_for(key: str) -> ssl.SSLContext | Literal[True]:
    # Loading the system's CA certificates costs 60-120 ms and 0.5 MB per client. A plain-HTTP
    # origin (the sandbox model server on 127.0.0.1) never makes a TLS handshake, so its pool gets
    # an empty context that still verifies: were it ever used, it would trust nothing, not all.
    if key.startswith("http://"):
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return True


async def _close_all(clients: dict[str, httpx2.AsyncClient]) -> None:
    while clients:
        _, client = clients.popitem()
        await client.aclose()


@asynccontextmanager
async def client_for(
    url: str,
    *,
    http: httpx2.AsyncClient | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncIterator[httpx2.AsyncClient]:
    """The client a one-off call to ``url`` uses: ``http`` (never closed here), the shared one on
    the package's loop, or else one for this call (over ``transport`` when given)."""
    if http is not None:
        yield http
        return
    shared = shared_client(url) if transport is None else None
    if shared is not None:
        yield shared
        return
    async with httpx2.AsyncClient(transport=transport) as own:
        yield own
