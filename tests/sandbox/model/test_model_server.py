"""The model server over real loopback HTTP: DAT1's routes, llama.cpp's chunk shapes."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from helpers import classic_tools, user

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.sandbox.model.process import get_sandbox_model_server
from stripe_nb_agent.sandbox.model.server import SANDBOX_HEADER, SandboxModelServer


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxModelServer]:
    with SandboxModelServer(pace=0) as running:
        yield running


def events(raw: str) -> list[tuple[str | None, str]]:
    out = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        event = None
        data = ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
        out.append((event, data))
    return out


def chunks(raw: str) -> list[dict[str, Any]]:
    parsed = events(raw)
    assert parsed[-1][1] == "[DONE]"
    return [json.loads(d) for _, d in parsed[:-1]]


def post(server: SandboxModelServer, path: str, body: Any, **kw: Any) -> httpx2.Response:
    with httpx2.Client(timeout=10) as client:
        return client.post(server.root_url + path, json=body, **kw)


def test_invoke_chat_streams_reasoning_first_then_text_then_a_usage_chunk(server: SandboxModelServer) -> None:
    resp = post(server, "/collection/sandbox/invoke-chat", {"messages": [user("hello")], "stream": True})
    assert resp.status_code == 200
    assert resp.headers["X-Stripe-Nb-Agent-Sandbox"] == SANDBOX_HEADER["X-Stripe-Nb-Agent-Sandbox"]
    got = chunks(resp.text)
    assert got[0]["choices"][0]["delta"] == {"role": "assistant", "content": None}
    kinds = [next(iter(c["choices"][0]["delta"]), None) for c in got[1:-2]]
    assert kinds == sorted(kinds, key=lambda k: k != "reasoning_content")  # all reasoning before content
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in got[1:-2])
    assert "stand-in, not a language model" in reasoning
    assert got[-2]["choices"][0] == {"finish_reason": "stop", "index": 0, "delta": {}}
    assert got[-1]["choices"] == []
    assert got[-1]["usage"]["total_tokens"] > 0
    assert "predicted_n" in got[-1]["timings"]
    for c in got:
        assert c["object"] == "chat.completion.chunk"
        assert c["model"] == "stripe-nb-agent-sandbox/sandbox"
        assert c["id"] == got[0]["id"]
        assert "sandbox" in c["system_fingerprint"]
        assert c["created"] == got[0]["created"]


def test_tool_call_arguments_arrive_in_fragments_that_reassemble_into_json(
    server: SandboxModelServer,
) -> None:
    body = {
        "messages": [user("show my balance and my last 3 customers")],
        "tools": classic_tools(),
        "stream": True,
    }
    got = chunks(post(server, "/collection/sandbox/invoke-chat", body).text)
    calls: dict[int, dict[str, str]] = {}
    fragments = 0
    for c in got:
        for tc in (c["choices"][0]["delta"].get("tool_calls") or []) if c["choices"] else []:
            slot = calls.setdefault(tc["index"], {"arguments": ""})
            if "id" in tc:
                assert "id" not in slot
                slot.update(id=tc["id"], name=tc["function"]["name"])
            else:
                fragments += 1
            slot["arguments"] += tc["function"]["arguments"]
    assert [(s["name"], json.loads(s["arguments"])) for s in calls.values()] == [
        ("retrieve_balance", {}),
        ("list_customers", {"limit": 3}),
    ]
    assert fragments >= 3
    assert got[-2]["choices"][0]["finish_reason"] == "tool_calls"


def test_invoke_stream_puts_an_event_line_before_every_data_line(server: SandboxModelServer) -> None:
    resp = post(server, "/inference/sandbox-brief/invoke-stream", {"messages": [user("hi")], "stream": True})
    parsed = events(resp.text)
    assert all(event == "message" for event, _ in parsed)
    assert parsed[-1][1] == "[DONE]"
    assert not any("reasoning_content" in d for _, d in parsed)  # the brief persona does not reason


@pytest.mark.parametrize("include_usage", [True, False])
def test_openai_route_honours_include_usage_like_llama_cpp(
    server: SandboxModelServer, include_usage: bool
) -> None:
    body: dict[str, Any] = {"model": "sandbox-brief", "messages": [user("hi")], "stream": True}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    got = chunks(post(server, "/collection/open-ai/chat/completions", body).text)
    if include_usage:
        assert got[-1]["choices"] == []
        assert "usage" in got[-1]
        assert "timings" in got[-1]
    else:
        assert got[-1]["choices"][0]["finish_reason"] == "stop"
        assert "timings" in got[-1]
        assert not any("usage" in c for c in got)


def test_stream_false_answers_one_chat_completion(server: SandboxModelServer) -> None:
    body = {"messages": [user("refund pi_123")], "tools": classic_tools(), "stream": False}
    data = post(server, "/collection/sandbox/invoke-chat", body).json()
    assert data["object"] == "chat.completion"
    (call,) = data["choices"][0]["message"]["tool_calls"]
    assert json.loads(call["function"]["arguments"]) == {"payment_intent": "pi_123"}
    assert data["choices"][0]["finish_reason"] == "tool_calls"


def test_unknown_collection_or_model_is_a_404_naming_the_ones_that_exist(server: SandboxModelServer) -> None:
    resp = post(server, "/collection/llama-9000/invoke-chat", {"messages": [user("hi")]})
    assert resp.status_code == 404
    assert resp.json()["error"]["available"] == ["sandbox", "sandbox-brief", "gpt-120-oss", "gemma-3-12b"]
    resp = post(server, "/collection/open-ai/chat/completions", {"model": "gpt-4", "messages": [user("hi")]})
    assert resp.status_code == 404
    assert "sandbox-brief" in resp.json()["error"]["message"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"messages": "hi"}', b'{"messages": []}'])
def test_malformed_bodies_are_a_400_with_a_message(server: SandboxModelServer, content: bytes) -> None:
    with httpx2.Client(timeout=10) as client:
        resp = client.post(server.root_url + "/collection/sandbox/invoke-chat", content=content)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]


def test_identical_requests_stream_identical_bytes_but_for_the_clock(server: SandboxModelServer) -> None:
    body = {
        "messages": [user("create a product Premium Plan at $20/month")],
        "tools": classic_tools(),
        "stream": True,
    }

    def without_clock(raw: bytes) -> bytes:
        # ``created`` is the current time, as a real server's is; everything else is the same.
        return re.sub(rb'"created":\d+', b'"created":0', raw)

    first = post(server, "/collection/sandbox/invoke-chat", body).content
    assert without_clock(post(server, "/collection/sandbox/invoke-chat", body).content) == without_clock(
        first
    )


def test_health_and_the_front_page_say_what_this_is(server: SandboxModelServer) -> None:
    with httpx2.Client(timeout=10) as client:
        assert client.get(server.root_url + "/health").json()["status"] == "ok"
        page = client.get(server.root_url.removesuffix("/api/v1") + "/")
    assert "NOT a language model" in page.text


@pytest.mark.anyio
async def test_pace_changes_at_run_time_and_a_client_leaving_mid_stream_logs_no_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Started from inside a running event loop: the server has its own thread and loop.
    with SandboxModelServer(pace=0) as server, caplog.at_level(logging.INFO):
        server.pace = 0.05
        body = {"messages": [user("what can you do?")], "stream": True}
        async with httpx2.AsyncClient(timeout=10) as client:
            with anyio.fail_after(10):
                async with client.stream(
                    "POST", server.root_url + "/collection/sandbox/invoke-chat", json=body
                ) as r:
                    lines = r.aiter_lines()
                    assert (await anext(lines)).startswith("data: ")
            # Gone after one chunk: the server notices and carries on serving.
            assert await anyio.to_thread.run_sync(server.state.disconnected.wait, 10)
            server.pace = 0
            resp = await client.post(server.root_url + "/collection/sandbox/invoke-chat", json=body)
            assert resp.text.endswith("data: [DONE]\n\n")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_bad_pace_values_are_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_NB_AGENT_SANDBOX_PACE", "fast")
    with pytest.raises(UsageError, match=r"0\.015"):
        SandboxModelServer()
    monkeypatch.setenv("STRIPE_NB_AGENT_SANDBOX_PACE", "0.2")
    assert SandboxModelServer().pace == 0.2
    with pytest.raises(UsageError):
        SandboxModelServer(pace=-1)


def test_the_process_wide_server_is_started_once() -> None:
    first = get_sandbox_model_server()
    assert get_sandbox_model_server() is first
    with httpx2.Client(timeout=10) as client:
        assert client.get(first.root_url + "/health").status_code == 200


@pytest.mark.parametrize("chunks", [1, 10, 200, 1734, 20_000])
def test_pacing_never_makes_a_reply_stream_longer_than_the_cap(chunks: int) -> None:
    from stripe_nb_agent.sandbox.model.pace import MAX_PACED_REPLY_S, chunk_delay

    delay = chunk_delay(0.015, chunks)
    assert delay * chunks <= MAX_PACED_REPLY_S + 1e-9
    # A short reply keeps the pace it was given: it still looks like typing.
    assert delay == (0.015 if 0.015 * chunks <= MAX_PACED_REPLY_S else MAX_PACED_REPLY_S / chunks)
    assert chunk_delay(0, chunks) == 0


@pytest.mark.parametrize("request_text", ["what can you do?", "list my last 5 customers"])
def test_pacing_gives_the_answer_its_cap_and_the_unread_rest_a_short_one(request_text: str) -> None:
    from stripe_nb_agent.sandbox.model.chunks import Reply, stream_chunks
    from stripe_nb_agent.sandbox.model.pace import (
        MAX_PACED_REPLY_S,
        MAX_PACED_UNSEEN_S,
        chunk_delay,
        pacing_caps,
    )
    from stripe_nb_agent.sandbox.model.planner import plan_reply
    from stripe_nb_agent.sandbox.model.server import model_name

    plan = plan_reply([user(request_text)], classic_tools())
    reply = Reply.for_request(plan, model_name("sandbox", None), {"messages": request_text})
    chunks = list(stream_chunks(reply, usage_mode="final", pace=0.015))
    delays = [chunk_delay(0.015, sharing, cap) for sharing, cap in pacing_caps(chunks)]
    answer = [bool(c["choices"] and c["choices"][0]["delta"].get("content")) for c in chunks]
    unread = sum(d for d, shown in zip(delays, answer, strict=True) if not shown)
    read = sum(d for d, shown in zip(delays, answer, strict=True) if shown)

    assert plan.reasoning, "the sandbox persona thinks aloud: its thinking is part of the unread rest"
    assert 0 < unread <= MAX_PACED_UNSEEN_S + 1e-9
    assert read <= MAX_PACED_REPLY_S + 1e-9
    if plan.content:  # an answer short enough keeps the full pace: it still looks like typing
        assert read == pytest.approx(min(0.015 * sum(answer), MAX_PACED_REPLY_S))
    else:
        assert plan.tool_calls
        assert read == 0


@pytest.mark.slow
def test_a_script_that_exits_right_after_starting_the_server_exits_cleanly() -> None:
    # The server's child process loads the phrasebook reader as it starts; torn down mid-load,
    # onnxruntime aborts ("terminate called without an active exception", exit status 134). A
    # script that exits at once stops the child, which finishes loading first, and exits 0.
    script = (
        "from stripe_nb_agent.sandbox.model.process import get_sandbox_model_server\n"
        "print(get_sandbox_model_server().root_url)\n"
    )
    env = {**os.environ, "STRIPE_NB_AGENT_MODE": "sandbox"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("http://127.0.0.1:")
