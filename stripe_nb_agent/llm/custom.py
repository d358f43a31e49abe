"""JSON calls to DAT1: the generic custom-deployment caller, and the reranker built on it.

A DAT1 custom deployment answers ``POST {root}/inference/<name>/invoke`` with whatever its handler
returns; some handlers expect the payload wrapped as ``{"input": ...}`` and some answer wrapped as
``{"output": ...}``. :class:`CustomDeployment` handles both. The reranker is the worked example:
``{"pairs": [[query, passage], ...], "normalize": bool}`` in, ``{"scores": [...]}`` out.

:func:`post_json` is the one place a plain (non-streaming) JSON request is sent, retried and
translated into the error tree; the embeddings clients use it too. Its retry schedule is the chat
client's :class:`~.retry.RetryPolicy` (429, 5xx and connection errors, backoff with jitter, at most
three attempts by default).
"""

from __future__ import annotations

import json
import math
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx2

from stripe_nb_agent.config import DEFAULT_DAT1_ROOT, ENV_DAT1_KEY, Settings, resolve_settings
from stripe_nb_agent.errors import (
    MissingKeyError,
    ModelAuthError,
    ModelConnectError,
    ModelError,
    ModelHTTPError,
    ModelTimeoutError,
    UsageError,
)
from stripe_nb_agent.llm.errors_http import HTTPAdvice, auth_message, http_message, unreachable_message
from stripe_nb_agent.llm.retry import RetryPolicy, parse_retry_after
from stripe_nb_agent.redaction import Secret

__all__ = [
    "DEFAULT_TIMEOUT",
    "Auth",
    "CustomDeployment",
    "arerank",
    "post_json",
    "rerank",
    "run_sync",
]

T = TypeVar("T")

#: Connect quickly or fail; a custom deployment may cold-start, so reads get longer.
DEFAULT_TIMEOUT = httpx2.Timeout(connect=10.0, read=120.0, write=30.0, pool=10.0)
_ERROR_BODY_LIMIT = 2000
_ADVICE = HTTPAdvice(
    not_found="Check the URL ({url}) and the model or deployment name.",
    refused="The request was refused: check the inputs you sent.",
    rate_limited="You are rate-limited: wait a minute and try again, or send smaller batches.",
    too_large="The request is too large: pass a smaller batch_size.",
    offline="The 'local' embedding model runs offline without any key.",
)


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


async def post_json(
    http: httpx2.AsyncClient,
    url: str,
    body: Any,
    *,
    auth: Auth,
    name: str,
    retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
    http_timeout: httpx2.Timeout = DEFAULT_TIMEOUT,
) -> Any:
    """POST ``body`` as JSON and return the decoded JSON answer, retrying what is worth retrying.

    429, 5xx and transport errors are retried per ``retry`` (``Retry-After`` honoured);
    401/403 raise :class:`ModelAuthError` naming ``auth.key_env``; anything else non-2xx raises
    :class:`ModelHTTPError`; a 2xx body that is not JSON raises :class:`ModelError`.
    ``name`` is what users call the model or deployment, for messages.
    """
    headers = {"Accept": "application/json", **auth.headers()}
    attempt = 0
    while True:
        attempt += 1
        try:
            response = await http.post(url, json=body, headers=headers, timeout=http_timeout)
        except httpx2.TransportError as exc:
            if attempt < retry.max_attempts:
                await retry.sleep(retry.delay(attempt))
                continue
            _raise_unreachable(exc, url, attempt, http_timeout)
        status = response.status_code
        if status < 300:
            try:
                return response.json()
            except ValueError:
                raise ModelError(
                    f"{name} answered HTTP {status} with a body that is not JSON: "
                    f"{response.text[:200]!r}. Check that {url} is the right endpoint."
                ) from None
        text = response.text[:_ERROR_BODY_LIMIT]
        if status in (401, 403):
            raise ModelAuthError(
                auth_message(name, url, status, text, key=auth.key, key_env=auth.key_env, advice=_ADVICE)
            )
        if retry.is_retryable_status(status) and attempt < retry.max_attempts:
            wait = parse_retry_after(response.headers.get("retry-after"))
            if wait is None or wait <= retry.max_retry_after:
                await retry.sleep(retry.delay(attempt, wait))
                continue
        raise ModelHTTPError(
            http_message(name, url, status, text, attempt, _ADVICE), status_code=status, body=text
        )


def _raise_unreachable(exc: httpx2.TransportError, url: str, attempts: int, timeout: httpx2.Timeout) -> Any:
    tries = f"{attempts} attempt{'s' if attempts > 1 else ''}"
    if isinstance(exc, httpx2.ConnectTimeout | httpx2.PoolTimeout):
        raise ModelTimeoutError(
            f"Could not connect to {url} within {timeout.connect:g} s ({tries}). Check the network "
            "and the URL, or pass a longer timeout.",
            phase="connect",
        ) from exc
    if isinstance(exc, httpx2.TimeoutException):
        raise ModelTimeoutError(
            f"{url} sent no answer within {timeout.read:g} s ({tries}). The deployment may be "
            "cold-starting or overloaded: try again, send smaller batches, or pass a longer timeout.",
            phase="read",
        ) from exc
    raise ModelConnectError(unreachable_message(url, attempts, exc)) from exc


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code, also inside a running event loop.

    Jupyter runs cells on a thread whose asyncio loop is already running, where ``anyio.run``
    cannot start; the coroutine runs on the package's background loop instead (no loop re-entry,
    no nest_asyncio), and a kernel interrupt cancels it.
    """
    from stripe_nb_agent._loop import get_loop

    return get_loop().run(coro)


# --- custom deployments ------------------------------------------------------------------------


class CustomDeployment:
    """A DAT1 custom deployment: ``POST {root}/inference/{name}/invoke`` with ``X-API-Key``.

    >>> deployment = CustomDeployment("reranker", key=settings.dat1_api_key)
    >>> await deployment.invoke({"pairs": [["q", "p"]], "normalize": True})
    {'scores': [0.93]}

    ``wrap_input=True`` sends ``{"input": payload}`` (for handlers that read ``input``); an answer
    shaped ``{"output": ...}`` is unwrapped unless ``unwrap_output=False``. Pass ``http`` to share
    a client (never closed here) or ``transport`` for ``httpx2.MockTransport``/``ASGITransport``.
    """

    def __init__(
        self,
        name: str,
        *,
        root: str = DEFAULT_DAT1_ROOT,
        key: Secret | str | None = None,
        key_env: str | None = ENV_DAT1_KEY,
        wrap_input: bool = False,
        unwrap_output: bool = True,
        http: httpx2.AsyncClient | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen value)
        timeout: httpx2.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        if not name or "/" in name.strip("/"):
            raise UsageError(f"Invalid deployment name {name!r}: pass the bare name, e.g. 'reranker'.")
        if http is not None and transport is not None:
            raise TypeError("Pass either http= or transport=, not both.")
        self.name = name.strip("/")
        self.root = root.rstrip("/")
        self.url = f"{self.root}/inference/{self.name}/invoke"
        self.auth = Auth(Secret(key) if isinstance(key, str) else key, "x-api-key", key_env)
        self.wrap_input = wrap_input
        self.unwrap_output = unwrap_output
        self.retry = retry
        self.timeout = timeout
        self._http = http
        self._transport = transport

    def __repr__(self) -> str:
        return f"CustomDeployment({self.name!r}: {self.url})"

    @classmethod
    def from_settings(cls, name: str, settings: Settings | None = None, **kwargs: Any) -> CustomDeployment:
        """The deployment on DAT1 with the resolved key and root (explicit kwargs win).

        In sandbox mode it is the sandbox model server's route of that name (the reranker there is
        a stand-in scored with local embeddings, and says so).
        """
        settings = settings or resolve_settings()
        if settings.model_mode == "sandbox" and "root" not in kwargs:
            from stripe_nb_agent.sandbox.model import get_sandbox_model_server

            kwargs["root"] = get_sandbox_model_server().root_url
            kwargs.setdefault("key", None)
        kwargs.setdefault("root", settings.dat1_root)
        kwargs.setdefault("key", settings.dat1_api_key)
        return cls(name, **kwargs)

    async def invoke(self, payload: Any) -> Any:
        """Send ``payload`` (JSON-serialisable) and return the decoded answer."""
        if self.auth.key is None and self.root == DEFAULT_DAT1_ROOT:
            raise MissingKeyError(
                f"Calling the DAT1 deployment {self.name!r} needs a key: set "
                f"{self.auth.key_env or ENV_DAT1_KEY} (your DAT1 dashboard, https://dat1.co), or point "
                "root= at the sandbox model server."
            )
        body = {"input": payload} if self.wrap_input else payload
        if self._http is not None:
            answer = await self._post(self._http, body)
        else:
            async with httpx2.AsyncClient(transport=self._transport) as http:
                answer = await self._post(http, body)
        if self.unwrap_output and isinstance(answer, dict) and "output" in answer:
            return answer["output"]
        return answer

    async def _post(self, http: httpx2.AsyncClient, body: Any) -> Any:
        return await post_json(
            http,
            self.url,
            body,
            auth=self.auth,
            name=f"deployment {self.name!r}",
            retry=self.retry,
            http_timeout=self.timeout,
        )


# --- the reranker ------------------------------------------------------------------------------


async def arerank(
    query: str,
    passages: Sequence[str],
    *,
    normalize: bool = True,
    deployment: str | CustomDeployment = "reranker",
    settings: Settings | None = None,
    **deployment_kwargs: Any,
) -> list[float]:
    """Score each passage's relevance to ``query``; one float per passage, in input order.

    ``deployment`` is a DAT1 deployment name (key and root from ``settings``, or from
    ``root=``/``key=``/``http=``/``transport=`` keyword arguments) or a ready
    :class:`CustomDeployment`. With ``normalize=True`` a trained reranker answers in [0, 1].
    """
    if isinstance(passages, str):
        raise UsageError("passages must be a list of strings, not one string: pass [passage].")
    passages = list(passages)
    if not passages:
        return []
    target = (
        deployment
        if isinstance(deployment, CustomDeployment)
        else CustomDeployment.from_settings(deployment, settings, **deployment_kwargs)
    )
    answer = await target.invoke({"pairs": [[query, p] for p in passages], "normalize": normalize})
    return _scores(answer, len(passages), target.name)


def rerank(
    query: str,
    passages: Sequence[str],
    *,
    normalize: bool = True,
    deployment: str | CustomDeployment = "reranker",
    settings: Settings | None = None,
    **deployment_kwargs: Any,
) -> list[float]:
    """Synchronous :func:`arerank` (works in a notebook cell too)."""
    return run_sync(
        arerank(
            query,
            passages,
            normalize=normalize,
            deployment=deployment,
            settings=settings,
            **deployment_kwargs,
        )
    )


def _scores(answer: Any, expected: int, name: str) -> list[float]:
    scores = answer.get("scores") if isinstance(answer, Mapping) else answer
    if not isinstance(scores, list):
        raise ModelError(
            f'Deployment {name!r} answered {_preview(answer)} instead of {{"scores": [...]}}. Check '
            "that it is a reranker, or call CustomDeployment.invoke() and read the answer yourself."
        )
    if len(scores) != expected:
        raise ModelError(
            f"Deployment {name!r} returned {len(scores)} scores for {expected} passages. The deployment "
            "may truncate long requests: try fewer passages per call."
        )
    out: list[float] = []
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            raise ModelError(f"Deployment {name!r} returned a score that is not a number: {score!r}.")
        out.append(float(score))
    return out


def _preview(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
