"""The chat client over real HTTP: a starlette app in uvicorn on 127.0.0.1 streams llama.cpp SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.types import Completed, TextDelta
from stripe_nb_agent.redaction import Secret
from tests.llm.loopback import serve

pytestmark = pytest.mark.anyio

CAPTURE = (Path(__file__).parent / "fixtures" / "llama_stream_text.sse").read_bytes()
KEY = "loopback-key-0123456789"


async def invoke_chat(request: Request) -> Response:
    if request.headers.get("x-api-key") != KEY:
        return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
    body = await request.json()
    if body.get("stream") is not True or "model" in body:
        return JSONResponse({"error": {"message": f"unexpected body {body}"}}, status_code=400)

    async def chunks() -> AsyncIterator[bytes]:
        # Uneven reads: events cut mid-JSON, as a real network does.
        for i in range(0, len(CAPTURE), 97):
            yield CAPTURE[i : i + 97]

    return StreamingResponse(chunks(), media_type="text/event-stream")


APP = Starlette(routes=[Route("/api/v1/collection/{collection}/invoke-chat", invoke_chat, methods=["POST"])])


async def test_streams_a_llama_cpp_answer_over_real_loopback_http() -> None:
    expected = "".join(
        json.loads(block[6:])["choices"][0]["delta"].get("content") or ""
        for block in CAPTURE.decode().split("\n\n")
        if block.startswith("data: {") and json.loads(block[6:])["choices"]
    )
    with anyio.fail_after(30):
        async with serve(APP) as base:
            endpoint = Endpoint.dat1_collection(f"{base}/api/v1", "gpt-120-oss", key=Secret(KEY))
            async with ChatClient(endpoint) as client:
                events = [e async for e in client.stream([{"role": "user", "content": "Hi"}])]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == expected
    assert isinstance(events[-1], Completed)
    response = events[-1].response
    assert response.text == expected
    assert response.finish_reason == "stop"
    assert response.usage is not None
    assert response.usage.completion_tokens == 12
    assert response.metrics.time_to_first_byte is not None
    assert response.metrics.time_to_first_token is not None
