"""Write safety, end to end: no write the policy forbids or the user did not approve, and every
write's outcome told truthfully, to the user and to the model.

The fault matrix crosses policy × tool name × annotations × outcome (3 × 2 × 3 × 5 = 90 cells).
Each cell runs a real turn: the real ChatClient reading a scripted model's SSE bytes, the real tool
client, and a real MCP server (in-process, or a child process over Streamable HTTP for the cell
that kills it mid-call) whose ledger file records server-side what it received and carried out.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.agent.events import (
    AgentEvent,
    ToolCallAwaitingApproval,
    ToolCallStarted,
)
from stripe_nb_agent.agent.turn import Turn, TurnOptions
from stripe_nb_agent.tools import ToolClient, sanitize_name
from stripe_nb_agent.ui.live import live_bundle
from stripe_nb_agent.ui.state import ReplyState
from tests.agent.payments_server import PAYMENT, Annotations, Ledger, Outcome, payments_server
from tests.agent.wire import ScriptedWire, call, chunk, raw, say, scripted_client
from tests.tools.helpers import free_port

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("auto", "confirm", "read-only")
NAMES = ("create_refund", "billing.create-refund")  # the second needs sanitising for the model
ANNOTATIONS: tuple[Annotations, ...] = ("honest", "lying", "absent")
OUTCOMES: tuple[Outcome, ...] = ("ok", "tool_error", "killed", "timeout", "cancel")
REFUND = {"payment_intent": PAYMENT["id"], "amount": 1000}
CALL_TIMEOUT_S = 0.5


@contextlib.contextmanager
def child_server(tool: str, annotations: str, outcome: str, ledger: Path) -> Iterator[tuple[str, Any]]:
    """The payments server in a child process on loopback; yields its MCP URL and the process."""
    port = free_port()
    args = [str(port), str(ledger), tool, annotations, outcome]
    proc = subprocess.Popen([sys.executable, "-m", "tests.agent.payments_server", *args], cwd=ROOT)
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp", proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _wait_for_port(port: int, proc: Any, tries: int = 600) -> None:
    for _ in range(tries):  # bounded: 600 × 50 ms
        if proc.poll() is not None:
            raise RuntimeError(f"the payments server exited with {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.05)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        with contextlib.suppress(Exception):
            proc.wait(timeout=0.05)
    raise TimeoutError("the payments server did not start listening")


@contextlib.asynccontextmanager
async def tool_client(
    tool: str, annotations: Annotations, outcome: Outcome, ledger: Ledger
) -> AsyncIterator[tuple[ToolClient, Any]]:
    if outcome == "killed":
        with child_server(tool, annotations, outcome, ledger.path) as (url, proc):
            async with ToolClient.for_url(url, label="Payments") as client:
                yield client, proc
        return
    timeout = CALL_TIMEOUT_S if outcome == "timeout" else 30.0
    server = payments_server(tool, annotations, outcome, ledger)
    async with ToolClient.for_server(server, label="Payments", call_timeout=timeout) as client:
        yield client, None


async def _until_received(ledger: Ledger) -> None:
    # The ledger is a file the child process writes: polling it is the only signal there is.
    with anyio.fail_after(20):
        while ledger.received == 0:  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def run_cell(
    policy: str,
    tool: str,
    annotations: Annotations,
    outcome: Outcome,
    tmp_path: Path,
    *,
    decide: str = "approve",
) -> tuple[Turn, list[AgentEvent], ScriptedWire, Ledger, list[int]]:
    ledger = Ledger(tmp_path / "ledger.txt")
    wire = ScriptedWire([call(sanitize_name(tool), REFUND), say("Here is what happened.")])
    received_when_held: list[int] = []
    events: list[AgentEvent] = []
    options = TurnOptions(model_name="scripted", policy=policy)  # type: ignore[arg-type]
    interrupting = outcome in ("killed", "cancel") and policy != "read-only" and decide == "approve"
    serving = tool_client(tool, annotations, outcome, ledger)
    async with serving as (tools, proc), scripted_client(wire) as model:
        turn = Turn(Conversation(), "refund €10 of Jane's payment", model=model, tools=tools, options=options)
        turn.start()

        async def interrupt() -> None:
            await _until_received(ledger)
            if outcome == "killed":
                proc.kill()
            else:
                turn.cancel()

        with anyio.fail_after(60):
            async with anyio.create_task_group() as tg:
                async for event in turn:
                    events.append(event)
                    if isinstance(event, ToolCallAwaitingApproval):
                        received_when_held.append(ledger.received)
                        getattr(event.approval, decide)()
                    if isinstance(event, ToolCallStarted) and interrupting:
                        tg.start_soon(interrupt)
    return turn, events, wire, ledger, received_when_held


def _user_sees(events: list[AgentEvent]) -> str:
    state = ReplyState()
    for event in events:
        state.apply(event)
    return str(live_bundle(state)["text/plain"])


def _tool_message(messages: list[dict[str, Any]]) -> str:
    return next(str(m["content"]) for m in reversed(messages) if m["role"] == "tool")


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("annotations", ANNOTATIONS)
@pytest.mark.parametrize("tool", NAMES)
@pytest.mark.parametrize("policy", POLICIES)
async def test_write_safety_matrix(
    policy: str, tool: str, annotations: Annotations, outcome: Outcome, tmp_path: Path
) -> None:
    turn, events, wire, ledger, held = await run_cell(policy, tool, annotations, outcome, tmp_path)
    assert turn.result is not None
    record = turn.result.tool_calls[0]
    result = record.result
    assert result is not None
    # Whatever its name or annotations say, the refund is a write, shown under its own MCP name.
    assert record.kind == "write"
    assert record.name == tool
    user = _user_sees(events)
    # The model's next request (or, after a cancel, the conversation a next turn sends) holds the result.
    sent_on = turn.conversation.messages if outcome == "cancel" and policy != "read-only" else wire.told(2)
    told = _tool_message(sent_on)  # type: ignore[arg-type]

    if policy == "read-only":
        # Not offered, and refused when named anyway: the server never hears of it.
        assert sanitize_name(tool) not in wire.offered(1)
        assert (ledger.received, ledger.executed) == (0, 0)
        assert (result.error_kind, result.sent) == ("policy", False)
        assert "read-only" in told
        assert "declined" in user
        assert "read-only" in user
        assert held == []
        return

    assert sanitize_name(tool) in wire.offered(1)
    # Under confirm the call waited for the human before the server received anything.
    assert held == ([0] if policy == "confirm" else [])
    assert ledger.received == 1
    assert ledger.executed == (1 if outcome == "ok" else 0)
    if outcome == "ok":
        assert result.ok
        assert "re_Refund0001" in told
        assert "✓" in user
    elif outcome == "tool_error":
        # The server answered with an error: a failure, and said so.
        assert (result.ok, result.error_kind) == (False, "server")
        assert "refunded already" in told
        assert "refunded already" in user
        assert "UNKNOWN" not in told
    else:
        # Sent, and no answer came: unknown, never "rejected", naming what it targeted.
        assert (result.ok, result.error_kind, result.sent) == (False, "outcome_unknown", True)
        for text in (told, user):
            assert "UNKNOWN" in text or "outcome unknown" in text
            assert "rejected" not in text
        assert PAYMENT["id"] in told
        assert "before retrying" in told
    if outcome == "cancel":
        assert turn.result.stop_reason == "cancelled"


@pytest.mark.parametrize("annotations", ANNOTATIONS)
@pytest.mark.parametrize("tool", NAMES)
async def test_a_declined_write_never_reaches_the_server(
    tool: str, annotations: Annotations, tmp_path: Path
) -> None:
    turn, events, wire, ledger, held = await run_cell(
        "confirm", tool, annotations, "ok", tmp_path, decide="decline"
    )
    assert held == [0]
    assert (ledger.received, ledger.executed) == (0, 0)
    assert turn.result is not None
    result = turn.result.tool_calls[0].result
    assert result is not None
    assert (result.error_kind, result.sent) == ("declined", False)
    assert "declined" in _tool_message(wire.told(2))
    assert "declined" in _user_sees(events)


@pytest.mark.parametrize("policy", POLICIES)
async def test_a_name_that_was_not_offered_is_refused_and_never_sent(policy: str, tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.txt")
    # The model uses the MCP spelling, not the offered one, then an invented tool.
    wire = ScriptedWire([call("billing.create-refund", REFUND), call("refund_everything", {}), say("Sorry.")])
    server = payments_server("billing.create-refund", "honest", "ok", ledger)
    async with ToolClient.for_server(server) as tools, scripted_client(wire) as model:
        turn = Turn(Conversation(), "refund", model=model, tools=tools,
                    options=TurnOptions(policy=policy)).start()  # type: ignore[arg-type]  # fmt: skip
        with anyio.fail_after(30):
            await turn.wait()
    assert turn.result is not None
    kinds = [r.result.error_kind for r in turn.result.tool_calls if r.result is not None]
    assert kinds == ["unknown_tool", "unknown_tool"]
    assert (ledger.received, ledger.executed) == (0, 0)
    # The model is told what it may call instead: only what this policy offers.
    told = _tool_message(wire.told(2))
    if policy == "read-only":
        assert "billing_create-refund" not in told
        assert "list_payment_intents" in told
    else:
        assert "Did you mean billing_create-refund?" in told


async def test_a_refund_preview_says_what_will_happen_in_words(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.txt")
    wire = ScriptedWire([call("list_payment_intents", {}, call_id="call_read"),
                         call("create_refund", REFUND), say("Refunded.")])  # fmt: skip
    server = payments_server("create_refund", "honest", "ok", ledger)
    previews: list[str] = []
    async with ToolClient.for_server(server) as tools, scripted_client(wire) as model:
        turn = Turn(Conversation(), "refund €10 of Jane's payment", model=model, tools=tools,
                    options=TurnOptions(policy="confirm")).start()  # fmt: skip
        with anyio.fail_after(30):
            async for event in turn:
                if isinstance(event, ToolCallAwaitingApproval):
                    previews.append(event.preview)
                    assert ledger.received == 0  # the preview cost no request
                    event.approval.approve()
    assert previews == [
        "Refund €10.00 of pi_Jv60Xk… — Jane Doe <jane@example.com>, €64.00, succeeded, 28 Jun 2026"
    ]


async def _malformed_turn(rounds: list[Any], tmp_path: Path) -> tuple[Turn, ScriptedWire, Ledger]:
    ledger = Ledger(tmp_path / "ledger.txt")
    wire = ScriptedWire(rounds)
    async with ToolClient.for_server(payments_server("create_refund", "honest", "ok", ledger)) as tools, \
            scripted_client(wire) as model:  # fmt: skip
        turn = Turn(Conversation(), "refund", model=model, tools=tools, options=TurnOptions()).start()
        with anyio.fail_after(30):
            await turn.wait()
    return turn, wire, ledger


PHANTOM = raw(chunk({"tool_calls": [{"index": "x", "function": None}]}), chunk({}, finish="tool_calls"))
NAMELESS = raw(chunk({"tool_calls": [{"index": 0, "id": "c1", "function": {"arguments": "{}"}}]}),
               chunk({}, finish="tool_calls"))  # fmt: skip
BAD_FUNCTION = raw(chunk({"tool_calls": [{"index": 0, "id": "c1", "function": "create_refund"}]}),
                   chunk({}, finish="tool_calls"))  # fmt: skip


@pytest.mark.parametrize(
    "bad", [PHANTOM, NAMELESS, BAD_FUNCTION], ids=["bad-index", "no-name", "bad-function"]
)
async def test_malformed_calls_are_never_run_and_two_rounds_of_them_end_the_turn(
    bad: Any, tmp_path: Path
) -> None:
    turn, wire, ledger = await _malformed_turn([bad], tmp_path)
    assert turn.result is not None
    # Two paid requests, not max_rounds (10), and nothing reached the server.
    assert len(wire.bodies) == 2
    assert (ledger.received, ledger.executed) == (0, 0)
    assert turn.result.stop_reason == "error"
    assert "could not be read in 2 rounds in a row" in (turn.result.error or "")
    # The model was told after the first round, and the conversation stays sendable.
    assert "could not be read" in _tool_message(wire.told(2))
    assert all(r.result is not None and r.result.error_kind == "malformed" for r in turn.result.tool_calls)
    tool_ids = {m["tool_call_id"] for m in turn.conversation.messages if m["role"] == "tool"}
    assistant = [m for m in turn.conversation.messages if m["role"] == "assistant"]
    call_ids = {c["id"] for m in assistant for c in m.get("tool_calls", [])}
    assert tool_ids == call_ids


async def test_one_malformed_round_then_a_good_one_goes_on(tmp_path: Path) -> None:
    rounds = [PHANTOM, call("create_refund", REFUND), say("Done.")]
    turn, _, ledger = await _malformed_turn(rounds, tmp_path)
    assert turn.result is not None
    assert turn.result.stop_reason == "complete"
    assert ledger.executed == 1


@pytest.mark.parametrize("policy", ["read-only", "confirm"])
async def test_a_write_operation_smuggled_through_the_generic_read_tool_is_a_write(policy: str) -> None:
    from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server

    store = StripeStore()
    payment = next(
        p for p in store.list_payment_intents(limit=100)["data"]
        if p["status"] == "succeeded" and store.retrieve("charge", p["latest_charge"])["amount_refunded"] == 0
    )  # fmt: skip
    smuggled = {"stripe_api_operation_id": "PostRefunds", "parameters": {"payment_intent": payment["id"]}}
    wire = ScriptedWire([call("stripe_api_read", smuggled), say("Done.")])
    held: list[str] = []
    server = build_stripe_sandbox_server("generic", store=store)
    async with ToolClient.for_server(server) as tools, scripted_client(wire) as model:
        turn = Turn(Conversation(), "refund it", model=model, tools=tools,
                    options=TurnOptions(policy=policy)).start()  # type: ignore[arg-type]  # fmt: skip
        with anyio.fail_after(30):
            async for event in turn:
                if isinstance(event, ToolCallAwaitingApproval):
                    held.append(event.preview)
                    event.approval.decline()
    assert turn.result is not None
    record = turn.result.tool_calls[0]
    assert record.kind == "write"
    assert record.result is not None
    assert record.result.sent is False
    assert record.result.error_kind == ("policy" if policy == "read-only" else "declined")
    if policy == "read-only":
        assert held == []
    else:
        assert len(held) == 1
        assert held[0].startswith("Refund the full")
    # The charge behind the payment was never refunded.
    assert store.retrieve("charge", payment["latest_charge"])["amount_refunded"] == 0
