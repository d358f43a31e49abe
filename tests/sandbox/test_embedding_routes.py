"""The sandbox embedding and reranker routes, served by uvicorn over real loopback HTTP and called
with the same clients that talk to DAT1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx2
import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette

from stripe_nb_agent.errors import ModelHTTPError
from stripe_nb_agent.llm.custom import CustomDeployment, arerank
from stripe_nb_agent.llm.embeddings import Dat1Embedder, OpenAIEmbedder
from stripe_nb_agent.llm.http import JSON_ADVICE, Auth, Target, post_json
from stripe_nb_agent.llm.local_embeddings import DIMENSIONS, LocalEmbedder
from stripe_nb_agent.sandbox.embedding_routes import RERANKER_HEADER, SANDBOX_HEADER, embedding_routes


class LoopbackServer:
    """uvicorn on a socket bound before start-up, so the port is known and no readiness wait is needed
    (connections queue in the listen backlog until the server accepts them)."""

    def __init__(self, app: Starlette) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.socket.close()


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    embedder = LocalEmbedder()
    embedder.load()
    return embedder


@pytest.fixture(scope="module")
def root(local: LocalEmbedder) -> Iterator[str]:
    app = Starlette(routes=embedding_routes(lambda: local))
    with LoopbackServer(app) as server:
        yield server.root


TEXTS = ["refund", "give money back", "create a product"]


@pytest.mark.anyio
async def test_the_dat1_client_gets_local_vectors_from_the_dat1_route(
    root: str, local: LocalEmbedder
) -> None:
    embedder = Dat1Embedder(root, key="any-key-is-fine-here", batch_size=2)
    vectors = await embedder.embed(TEXTS)
    assert vectors.shape == (3, DIMENSIONS)
    np.testing.assert_allclose(vectors, local.encode(TEXTS), atol=1e-6)


@pytest.mark.anyio
async def test_the_openai_client_works_against_the_open_ai_route(root: str, local: LocalEmbedder) -> None:
    embedder = OpenAIEmbedder(f"{root}/collection/open-ai", "qwen3-embedding")
    vectors = await embedder.embed(TEXTS)
    np.testing.assert_allclose(vectors, local.encode(TEXTS), atol=1e-6)


@pytest.mark.anyio
async def test_the_open_ai_route_answers_in_openai_shape_and_labels_itself(root: str) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            f"{root}/collection/open-ai/embeddings", json={"model": "qwen3-embedding", "input": "hello world"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert body["model"] == "qwen3-embedding"
    assert [item["index"] for item in body["data"]] == [0]
    assert len(body["data"][0]["embedding"]) == DIMENSIONS
    assert body["usage"] == {"prompt_tokens": 4, "total_tokens": 4}  # [CLS] hello world [SEP]
    assert "MiniLM" in response.headers[SANDBOX_HEADER]


@pytest.mark.anyio
async def test_the_reranker_route_scores_relevant_passages_higher(root: str) -> None:
    deployment = CustomDeployment("reranker", root=root, key="sandbox-key-123456")
    passages = ["create a product", "give the customer their money back", "refund"]
    scores = await arerank("refund a payment", passages, deployment=deployment)
    assert len(scores) == 3
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores[1] > scores[0]
    assert scores[2] == max(scores)


@pytest.mark.anyio
async def test_the_reranker_is_labelled_as_a_cosine_stand_in_and_honours_normalize(
    root: str, local: LocalEmbedder
) -> None:
    pairs = [["refund", "give money back"], ["refund", "create a product"]]
    async with httpx2.AsyncClient() as http:
        raw = await http.post(f"{root}/inference/reranker/invoke", json={"pairs": pairs, "normalize": False})
        wrapped = await http.post(
            f"{root}/inference/reranker/invoke", json={"input": {"pairs": pairs, "normalize": True}}
        )
    assert raw.headers[SANDBOX_HEADER] == RERANKER_HEADER
    vectors = local.encode(["refund", "give money back", "create a product"])
    cosines = [float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])]
    np.testing.assert_allclose(raw.json()["scores"], cosines, atol=1e-5)
    np.testing.assert_allclose(wrapped.json()["scores"], [(c + 1) / 2 for c in cosines], atol=1e-5)


@pytest.mark.anyio
async def test_malformed_requests_get_a_clear_4xx_the_client_reports(root: str) -> None:
    url = f"{root}/collection/qwen3-embedding/invoke"
    async with httpx2.AsyncClient() as http:
        not_json = await http.post(url, content=b"{nope")
        bad_pairs = await http.post(f"{root}/inference/reranker/invoke", json={"pairs": [["only one"]]})
        with pytest.raises(ModelHTTPError, match="'texts' must be a list of strings") as caught:
            await post_json(http, Target("sandbox", url, Auth(None), JSON_ADVICE), {"texts": "one string"})
    assert not_json.status_code == 400
    assert not_json.json()["error"]["message"] == "The request body is not valid JSON."
    assert bad_pairs.status_code == 422
    assert "[query, passage]" in bad_pairs.json()["error"]["message"]
    assert caught.value.status_code == 422


@pytest.mark.anyio
async def test_an_empty_request_gets_an_empty_answer(root: str) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(f"{root}/collection/qwen3-embedding/invoke", json={"texts": []})
    assert response.json() == {"embeddings": []}


@pytest.mark.anyio
async def test_the_routes_mount_on_the_sandbox_model_server_beside_chat(local: LocalEmbedder) -> None:
    from stripe_nb_agent.sandbox.model.server import SandboxModelServer

    with SandboxModelServer(extra_routes=embedding_routes(lambda: local)) as server:
        vectors = await Dat1Embedder(server.root_url, key="sandbox-key-123456").embed(["refund"])
        scores = await arerank("refund", ["give money back"], root=server.root_url, key="sandbox-key-123456")
    np.testing.assert_allclose(vectors, local.encode(["refund"]), atol=1e-6)
    assert 0.5 < scores[0] <= 1.0
