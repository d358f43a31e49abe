"""Test helpers for the real llama.cpp server: where the test model is, and a recording transport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2

from stripe_nb_agent.llm.local_models import packaged_model, packaged_model_path
from stripe_nb_agent.llm.local_server import local_extra_missing

SMOLLM2 = packaged_model("smollm2")


def smollm2_path() -> Path | None:
    assert SMOLLM2 is not None
    return packaged_model_path(SMOLLM2)


def skip_reason() -> str:
    """Why the real-server tests cannot run here, or "" when they can."""
    missing = local_extra_missing()
    if missing:
        return f"llama.cpp tests need xllamacpp: {missing}"
    if smollm2_path() is None:
        assert SMOLLM2 is not None
        return f"llama.cpp tests need the SmolLM2 test model: run `{SMOLLM2.install}`"
    return ""


class _Tee(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, sink: bytearray) -> None:
        self._inner = inner
        self._sink = sink

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for data in self._inner:
            self._sink.extend(data)
            yield data

    async def aclose(self) -> None:
        await self._inner.aclose()


class RecordingTransport(httpx2.AsyncBaseTransport):
    """The real network transport, keeping each request's JSON body and every byte received."""

    def __init__(self) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self.requests: list[dict[str, Any]] = []
        self.received = bytearray()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content))
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Tee(response.stream, self.received),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()

    def chunks(self) -> list[dict[str, Any]]:
        """The JSON of every ``data:`` line received (``[DONE]`` left out), in order."""
        lines = bytes(self.received).decode("utf-8").splitlines()
        return [
            json.loads(line[5:])
            for line in lines
            if line.startswith("data:") and line[5:].strip() != "[DONE]"
        ]
