"""DAT1 custom deployments and the reranker, over httpx2.MockTransport."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from stripe_nb_agent._loop import run_sync
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.errors import MissingKeyError, ModelAuthError, ModelError, UsageError
from stripe_nb_agent.llm.custom import CustomDeployment, arerank, rerank
from stripe_nb_agent.llm.retry import RetryPolicy
from stripe_nb_agent.redaction import Secret

ROOT = "https://dat1.test/api/v1"
KEY = "dat1-custom-key-987654321"


class Server:
    """A scripted deployment: records requests, answers with ``reply(body, call)``."""

    def __init__(self, reply: Any) -> None:
        self.requests: list[httpx2.Request] = []
        self.reply = reply
        self.transport = httpx2.MockTransport(self.handle)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.reply(json.loads(request.content), len(self.requests))
        return answer if isinstance(answer, httpx2.Response) else httpx2.Response(200, json=answer)

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests]


async def no_sleep(seconds: float) -> None:
    return None


def length_scores(body: dict[str, Any], _: int) -> dict[str, Any]:
    return {"scores": [len(passage) / 100 for _, passage in body["pairs"]]}


@pytest.mark.anyio
async def test_invoke_posts_the_payload_as_is_with_the_api_key_header() -> None:
    server = Server(lambda body, _: {"echo": body})
    deployment = CustomDeployment("my-model", root=ROOT, key=KEY, transport=server.transport)

    answer = await deployment.invoke({"prompt": "hi"})

    (request,) = server.requests
    assert str(request.url) == f"{ROOT}/inference/my-model/invoke"
    assert request.headers["x-api-key"] == KEY
    assert "authorization" not in request.headers
    assert server.bodies == [{"prompt": "hi"}]
    assert answer == {"echo": {"prompt": "hi"}}


@pytest.mark.anyio
async def test_wrap_input_sends_the_payload_under_input() -> None:
    server = Server(lambda body, _: {"ok": True})
    deployment = CustomDeployment("m", root=ROOT, key=KEY, wrap_input=True, transport=server.transport)
    await deployment.invoke({"prompt": "hi"})
    assert server.bodies == [{"input": {"prompt": "hi"}}]


@pytest.mark.anyio
async def test_an_output_wrapped_answer_is_unwrapped_unless_asked_not_to() -> None:
    server = Server(lambda body, _: {"output": {"text": "done"}})
    unwrapping = CustomDeployment("m", root=ROOT, key=KEY, transport=server.transport)
    raw = CustomDeployment("m", root=ROOT, key=KEY, unwrap_output=False, transport=server.transport)
    assert await unwrapping.invoke({}) == {"text": "done"}
    assert await raw.invoke({}) == {"output": {"text": "done"}}


@pytest.mark.anyio
async def test_server_errors_are_retried_like_the_chat_client() -> None:
    def flaky(body: Any, call: int) -> Any:
        return httpx2.Response(502, text="bad gateway") if call < 3 else {"ok": call}

    server = Server(flaky)
    deployment = CustomDeployment(
        "m", root=ROOT, key=KEY, transport=server.transport, retry=RetryPolicy(sleep=no_sleep)
    )
    assert await deployment.invoke({}) == {"ok": 3}
    assert len(server.requests) == 3


@pytest.mark.anyio
async def test_403_names_the_key_variable() -> None:
    server = Server(lambda body, _: httpx2.Response(403, json={"detail": "forbidden"}))
    deployment = CustomDeployment("m", root=ROOT, key=KEY, transport=server.transport)
    with pytest.raises(ModelAuthError, match=r"HTTP 403: forbidden.*from DAT1_API_KEY"):
        await deployment.invoke({})


@pytest.mark.anyio
async def test_a_non_json_success_is_a_model_error() -> None:
    server = Server(lambda body, _: httpx2.Response(200, text="<html>login</html>"))
    deployment = CustomDeployment("m", root=ROOT, key=KEY, transport=server.transport)
    with pytest.raises(ModelError, match="not JSON"):
        await deployment.invoke({})


@pytest.mark.anyio
async def test_the_public_dat1_root_without_a_key_fails_before_sending() -> None:
    server = Server(lambda body, _: {})
    deployment = CustomDeployment("reranker", transport=server.transport)
    with pytest.raises(MissingKeyError, match="DAT1_API_KEY"):
        await deployment.invoke({})
    assert server.requests == []


def test_a_deployment_name_with_a_path_is_refused() -> None:
    with pytest.raises(UsageError, match="bare name"):
        CustomDeployment("inference/reranker")


def test_from_settings_takes_the_root_and_key() -> None:
    settings = resolve_settings(dat1_api_key=KEY, environ={"DAT1_API_ROOT": ROOT})
    deployment = CustomDeployment.from_settings("reranker", settings)
    assert deployment.url == f"{ROOT}/inference/reranker/invoke"
    assert deployment.auth.key is not None
    assert deployment.auth.key.reveal() == KEY


# --- the reranker --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_rerank_sends_pairs_and_normalize_and_returns_scores_in_order() -> None:
    server = Server(length_scores)
    scores = await arerank(
        "refund", ["give money back", "x"], normalize=False, root=ROOT, key=KEY, transport=server.transport
    )
    assert server.bodies == [{"pairs": [["refund", "give money back"], ["refund", "x"]], "normalize": False}]
    assert str(server.requests[0].url) == f"{ROOT}/inference/reranker/invoke"
    assert scores == [0.15, 0.01]


@pytest.mark.anyio
async def test_rerank_through_a_ready_deployment_with_wrapping() -> None:
    server = Server(lambda body, _: {"output": length_scores(body["input"], 0)})
    deployment = CustomDeployment(
        "my-reranker", root=ROOT, key=KEY, wrap_input=True, transport=server.transport
    )
    assert await arerank("q", ["abcd"], deployment=deployment) == [0.04]
    assert server.bodies[0]["input"]["normalize"] is True


@pytest.mark.anyio
async def test_rerank_of_no_passages_sends_nothing() -> None:
    server = Server(length_scores)
    assert await arerank("q", [], root=ROOT, key=KEY, transport=server.transport) == []
    assert server.requests == []


@pytest.mark.anyio
async def test_rerank_refuses_a_single_string_of_passages() -> None:
    with pytest.raises(UsageError, match=r"pass \[passage\]"):
        await arerank("q", "one passage", root=ROOT, key=KEY)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"scores": [0.5]}, "returned 1 scores for 2 passages"),
        ({"scores": [0.5, "high"]}, "not a number: 'high'"),
        ({"logits": [1, 2]}, "instead of"),
    ],
)
async def test_malformed_reranker_answers_are_model_errors(answer: Any, message: str) -> None:
    server = Server(lambda body, _: answer)
    with pytest.raises(ModelError, match=message):
        await arerank("q", ["a", "b"], root=ROOT, key=KEY, transport=server.transport)


def test_sync_rerank_outside_any_event_loop() -> None:
    server = Server(length_scores)
    assert rerank("q", ["ab", "abc"], root=ROOT, key=KEY, transport=server.transport) == [0.02, 0.03]


@pytest.mark.anyio
async def test_run_sync_inside_a_running_loop_propagates_our_errors() -> None:
    server = Server(lambda body, _: httpx2.Response(401, text="no"))
    with pytest.raises(ModelAuthError):
        rerank("q", ["a"], root=ROOT, key=KEY, transport=server.transport)

    async def answer() -> int:
        return 42

    assert run_sync(answer()) == 42


def test_rerank_in_sandbox_mode_goes_to_the_sandbox_server_needing_no_key() -> None:
    from stripe_nb_agent.config import resolve_settings
    from stripe_nb_agent.llm.custom import rerank

    settings = resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})
    scores = rerank(
        "how do I give a customer their money back?",
        ["Refunds return money to the customer.", "Coupons discount subscriptions."],
        settings=settings,
    )
    assert len(scores) == 2
    assert scores[0] > scores[1]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_an_explicit_root_elsewhere_is_never_sent_the_dat1_key() -> None:
    settings = resolve_settings(dat1_api_key=KEY, environ={})
    elsewhere = CustomDeployment.from_settings("reranker", settings, root="https://example.test/api")
    assert elsewhere.auth.key is None
    same = CustomDeployment.from_settings("reranker", settings, root=settings.dat1_root + "/")
    assert same.auth.key == Secret(KEY)
