"""Where a chat request goes and how it is dressed: one frozen value per wire surface.

The client has one code path; everything that differs between DAT1's collection API, any
OpenAI-compatible server and a DAT1 custom deployment (URL, auth header, body fields) lives here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from stripe_nb_agent.llm.http import Auth
from stripe_nb_agent.llm.types import Message
from stripe_nb_agent.redaction import Secret

__all__ = ["Endpoint", "Surface"]

Surface = Literal["dat1-collection", "openai", "dat1-custom"]


@dataclass(frozen=True)
class Endpoint:
    """One chat endpoint. Build it with :meth:`dat1_collection`, :meth:`openai` or :meth:`dat1_custom`.

    ``key_env`` names where the key came from (for error messages: "check DAT1_API_KEY");
    ``label`` is the name users know the model by.
    """

    surface: Surface
    url: str
    key: Secret | None = None
    key_env: str | None = None
    model: str | None = None
    include_usage: bool = True
    label: str = ""

    @classmethod
    def dat1_collection(
        cls,
        root: str,
        collection: str,
        *,
        key: Secret | None,
        key_env: str | None = "DAT1_API_KEY",
        label: str | None = None,
    ) -> Endpoint:
        """``POST {root}/collection/{collection}/invoke-chat`` with ``X-API-Key``; no ``model`` field."""
        return cls(
            surface="dat1-collection",
            url=f"{root.rstrip('/')}/collection/{collection}/invoke-chat",
            key=key,
            key_env=key_env,
            label=label or collection,
        )

    @classmethod
    def openai(
        cls,
        base_url: str,
        model: str,
        *,
        key: Secret | None = None,
        key_env: str | None = None,
        include_usage: bool = True,
        label: str | None = None,
    ) -> Endpoint:
        """``POST {base_url}/chat/completions`` with optional Bearer auth and ``model`` in the body."""
        return cls(
            surface="openai",
            url=f"{base_url.rstrip('/')}/chat/completions",
            key=key,
            key_env=key_env,
            model=model,
            include_usage=include_usage,
            label=label or model,
        )

    @classmethod
    def dat1_custom(
        cls,
        root: str,
        name: str,
        *,
        key: Secret | None,
        key_env: str | None = "DAT1_API_KEY",
        label: str | None = None,
    ) -> Endpoint:
        """``POST {root}/inference/{name}/invoke-stream`` with ``X-API-Key``; a llama.cpp chat body."""
        return cls(
            surface="dat1-custom",
            url=f"{root.rstrip('/')}/inference/{name}/invoke-stream",
            key=key,
            key_env=key_env,
            label=label or name,
        )

    @property
    def name(self) -> str:
        return self.label or self.url

    @property
    def auth(self) -> Auth:
        """OpenAI-compatible servers take a Bearer key; DAT1's chat surfaces take ``X-API-Key``."""
        return Auth(self.key, "bearer" if self.surface == "openai" else "x-api-key", self.key_env)

    def headers(self) -> dict[str, str]:
        return {"Accept": "text/event-stream", "Content-Type": "application/json", **self.auth.headers()}

    def body(
        self,
        messages: Sequence[Message] | Sequence[Mapping[str, Any]],
        *,
        tools: Sequence[Mapping[str, Any]] | None,
        tool_choice: str | Mapping[str, Any] | None,
        temperature: float | None,
        max_tokens: int | None,
        extra_body: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.surface == "openai":
            body["model"] = self.model
        body["messages"] = list(messages)
        if tools:
            body["tools"] = list(tools)
            if tool_choice is not None:
                body["tool_choice"] = tool_choice
        if temperature is not None:
            body["temperature"] = temperature
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        body["stream"] = True
        if self.surface == "openai" and self.include_usage:
            body["stream_options"] = {"include_usage": True}
        if extra_body:
            body.update(extra_body)
        return body
