"""DAT1 custom deployments: the generic caller, and the reranker built on it.

A DAT1 custom deployment answers ``POST {root}/inference/<name>/invoke`` with whatever its handler
returns; some handlers expect the payload wrapped as ``{"input": ...}`` and some answer wrapped as
``{"output": ...}``. :class:`CustomDeployment` handles both. The reranker is the worked example:
``{"pairs": [[query, passage], ...], "normalize": bool}`` in, ``{"scores": [...]}`` out.

Requests go through :func:`~.http.post_json` (the retry schedule and errors every model call shares).
Where a deployment lives in each model mode is the model registry's data
(:meth:`~.models.ModelRegistry.deployment_route`), so plugins can move it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import httpx2

from stripe_nb_agent._loop import run_sync
from stripe_nb_agent.config import DEFAULT_DAT1_ROOT, ENV_DAT1_KEY, Settings, resolve_settings
from stripe_nb_agent.errors import MissingKeyError, ModelError, UsageError
from stripe_nb_agent.llm.http import JSON_ADVICE, JSON_TIMEOUT, Auth, Target, client_for, post_json
from stripe_nb_agent.llm.models import default_registry
from stripe_nb_agent.llm.retry import RetryPolicy
from stripe_nb_agent.redaction import Secret

__all__ = ["CustomDeployment", "arerank", "rerank"]


class CustomDeployment:
    """A DAT1 custom deployment: ``POST {root}/inference/{name}/invoke`` with ``X-API-Key``.

    >>> deployment = CustomDeployment("reranker", key=settings.dat1_api_key)
    >>> await deployment.invoke({"pairs": [["q", "p"]], "normalize": True})
    {'scores': [0.93]}

    ``wrap_input=True`` sends ``{"input": payload}`` (for handlers that read ``input``); an answer
    shaped ``{"output": ...}`` is unwrapped unless ``unwrap_output=False``. Without ``http`` it
    shares the package loop's connection pool for its origin (see :mod:`.http`); pass ``http`` to
    share a client of your own (never closed here) or ``transport`` for
    ``httpx2.MockTransport``/``ASGITransport``.
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
        timeout: httpx2.Timeout = JSON_TIMEOUT,
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
        """The deployment where the model registry routes it for these settings (explicit kwargs win;
        an explicit ``root=`` other than DAT1's is sent no DAT1 key unless ``key=`` is given).

        That is DAT1 with the resolved key, or in sandbox mode whichever host stands in for DAT1
        there (the built-in sandbox's reranker is a stand-in scored with local embeddings, and
        says so).
        """
        settings = settings or resolve_settings()
        if "root" not in kwargs:
            root, key = default_registry().deployment_route(name, settings)
            kwargs["root"] = root
            kwargs.setdefault("key", key)
        elif str(kwargs["root"]).rstrip("/") == settings.dat1_root.rstrip("/"):
            kwargs.setdefault("key", settings.dat1_api_key)
        # Any other root= gets no DAT1 key unless key= says so: a key only goes where it belongs.
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
        target = Target(f"deployment {self.name!r}", self.url, self.auth, JSON_ADVICE)
        async with client_for(self.url, http=self._http, transport=self._transport) as http:
            answer = await post_json(http, target, body, retry=self.retry, timeout=self.timeout)
        if self.unwrap_output and isinstance(answer, dict) and "output" in answer:
            return answer["output"]
        return answer


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
