"""The chat-and-tools loop with a scripted model: rounds, policies, failures, cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

from stripe_nb_agent.agent.conversation import Conversation
from stripe_nb_agent.agent.events import (
    Notice,
    RoundFinished,
    TextDelta,
    ToolCallAwaitingApproval,
    ToolCallFinished,
    ToolCallStarted,
    TurnFinished,
    TurnStarted,
)
from stripe_nb_agent.agent.turn import Turn, TurnOptions
from stripe_nb_agent.errors import ModelAuthError, TurnInProgressError, UsageError
from tests.agent.scripted import MemoryTools, ScriptedModel, answer, calls

pytestmark = pytest.mark.anyio


def stripe_tools(log: list[str] | None = None, delay: float = 0.0) -> MemoryTools:
    async def create_customer(args: dict[str, Any]) -> Any:
        if log is not None:
            log.append(f"create {args.get('name')}")
        await asyncio.sleep(delay)
        return {"id": "cus_1"}

    async def list_customers(args: dict[str, Any]) -> Any:
        await asyncio.sleep(delay)
        return [{"id": "cus_1"}, {"id": "cus_2"}]

    async def retrieve_balance(args: dict[str, Any]) -> Any:
        await asyncio.sleep(delay)
        return {"object": "balance", "available": [{"amount": 5000, "currency": "usd"}]}

    return MemoryTools(
        {
            "create_customer": ("write", create_customer),
            "list_customers": ("read", list_customers),
            "retrieve_balance": ("read", retrieve_balance),
        }
    )


async def run(turn: Turn) -> list[Any]:
    events = []
    with anyio.fail_after(10):
        async for event in turn:
            events.append(event)
    return events


def roles(convo: Conversation) -> list[str]:
    return [m["role"] for m in convo.messages]


async def test_plain_answer_streams_text_and_records_the_turn() -> None:
    convo = Conversation()
    model = ScriptedModel([answer("Hello|, there", reasoning="thinking")])
    events = await run(
        Turn(convo, "hi", model=model, tools=None, options=TurnOptions(model_name="m")).start()
    )

    assert isinstance(events[0], TurnStarted)
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["Hello", ", there"]
    result = events[-1].result
    assert isinstance(events[-1], TurnFinished)
    assert result.text == "Hello, there"
    assert result.reasoning == "thinking"
    assert result.stop_reason == "complete"
    assert result.metrics.rounds == 1
    assert result.metrics.time_to_first_token is not None
    assert result.metrics.tokens_per_second == pytest.approx(5 / 0.1)
    assert roles(convo) == ["user", "assistant"]
    assert convo.turns[0].prompt == "hi"
    assert not convo.busy


async def test_tool_round_then_answer_keeps_reasoning_only_during_the_exchange() -> None:
    convo = Conversation(system_prompt="sys")
    model = ScriptedModel(
        [calls(("list_customers", {"limit": 2}), reasoning="need list"), answer("Two customers.")]
    )
    turn = Turn(convo, "list customers", model=model, tools=stripe_tools(), options=TurnOptions()).start()
    events = await run(turn)

    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ToolCallStarted") < kinds.index("ToolCallFinished") < kinds.index("RoundFinished")
    # The second request carried the assistant tool call with its reasoning, then the tool result.
    second = model.seen[1]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "tool"]
    assert second[2]["reasoning_content"] == "need list"
    assert second[3]["tool_call_id"] == "call_0"
    assert '"cus_2"' in second[3]["content"]
    # Once the answer came, the stored history no longer carries the reasoning.
    assert all("reasoning_content" not in m for m in convo.messages)
    assert roles(convo) == ["user", "assistant", "tool", "assistant"]
    assert turn.result is not None
    assert turn.result.tool_calls[0].result.ok


async def test_parallel_calls_run_concurrently_and_results_keep_call_order() -> None:
    convo = Conversation()
    tools = stripe_tools(delay=0.2)
    model = ScriptedModel([calls(("retrieve_balance", {}), ("list_customers", {}), ("retrieve_balance", {})),
                           answer("done")])  # fmt: skip
    turn = Turn(convo, "both", model=model, tools=tools, options=TurnOptions()).start()
    await run(turn)

    assert turn.result is not None
    # Three 200 ms calls overlapped: the round took well under their 600 ms sum.
    assert turn.result.metrics.tool_time_s < 0.5
    assert [m.get("tool_call_id") for m in convo.messages if m["role"] == "tool"] == [
        "call_0",
        "call_1",
        "call_2",
    ]


async def test_read_only_policy_hides_write_tools_and_refuses_a_write_anyway() -> None:
    convo = Conversation()
    log: list[str] = []
    model = ScriptedModel([calls(("create_customer", {"name": "Ada"})), answer("I could not.")])
    turn = Turn(
        convo, "create Ada", model=model, tools=stripe_tools(log), options=TurnOptions(policy="read-only")
    )
    await run(turn.start())

    assert model.seen_tools[0] == ["list_customers", "retrieve_balance"]
    assert log == []
    record = turn.result.tool_calls[0] if turn.result else None
    assert record is not None
    assert record.result is not None
    assert record.result.error_kind == "policy"
    assert "read-only" in convo.messages[2]["content"]


async def test_confirm_policy_waits_for_approval_and_runs_the_write() -> None:
    convo = Conversation()
    log: list[str] = []
    model = ScriptedModel([calls(("create_customer", {"name": "Ada"})), answer("Created.")])
    turn = Turn(
        convo, "create Ada", model=model, tools=stripe_tools(log), options=TurnOptions(policy="confirm")
    )
    seen = []
    with anyio.fail_after(10):
        async for event in turn.start():
            seen.append(event)
            if isinstance(event, ToolCallAwaitingApproval):
                assert log == []  # nothing runs before the user says so
                assert turn.pending_approvals == [event.approval]
                event.approval.approve()
    assert log == ["create Ada"]
    assert turn.result is not None
    assert turn.result.stop_reason == "complete"


async def test_tool_time_counts_the_tool_not_the_humans_wait_for_approval() -> None:
    now = [0.0]  # a clock that moves only when the test says so: the tool itself takes no time
    model = ScriptedModel([calls(("create_customer", {"name": "Ada"})), answer("Created.")])
    turn = Turn(Conversation(), "create Ada", model=model, tools=stripe_tools(),
                options=TurnOptions(policy="confirm"), clock=lambda: now[0])  # fmt: skip
    with anyio.fail_after(10):
        async for event in turn.start():
            if isinstance(event, ToolCallAwaitingApproval):
                now[0] += 120.0  # two minutes of reading the preview
                event.approval.approve()
    assert turn.result is not None
    assert turn.result.metrics.tool_time_s == 0.0


async def test_declined_write_is_not_run_and_the_model_is_told() -> None:
    convo = Conversation()
    log: list[str] = []
    model = ScriptedModel([calls(("create_customer", {"name": "Ada"})), answer("OK, not created.")])
    turn = Turn(
        convo, "create Ada", model=model, tools=stripe_tools(log), options=TurnOptions(policy="confirm")
    )
    with anyio.fail_after(10):
        async for event in turn.start():
            if isinstance(event, ToolCallAwaitingApproval):
                # Decided from another thread, as a widget button or a magic line would.
                await anyio.to_thread.run_sync(event.approval.decline)
    assert log == []
    assert "declined" in model.seen[1][-1]["content"]
    assert turn.result is not None
    assert turn.result.tool_calls[0].result.error_kind == "declined"


async def test_reads_run_without_approval_under_confirm() -> None:
    convo = Conversation()
    model = ScriptedModel([calls(("list_customers", {})), answer("ok")])
    events = await run(
        Turn(convo, "list", model=model, tools=stripe_tools(), options=TurnOptions(policy="confirm")).start()
    )
    assert not any(isinstance(e, ToolCallAwaitingApproval) for e in events)


async def test_bad_arguments_become_a_tool_result_the_model_reads() -> None:
    convo = Conversation()
    model = ScriptedModel([calls(("list_customers", '{"limit": 2')), answer("Sorry.")])
    turn = Turn(convo, "list", model=model, tools=stripe_tools(), options=TurnOptions())
    events = await run(turn.start())
    finished = next(e for e in events if isinstance(e, ToolCallFinished))
    assert not finished.result.ok
    assert finished.result.error_kind == "validation"
    assert model.seen[1][-1]["role"] == "tool"
    assert turn.result is not None
    assert turn.result.stop_reason == "complete"


async def test_max_rounds_stops_with_a_clear_message() -> None:
    convo = Conversation()
    model = ScriptedModel([calls(("list_customers", {}))])
    turn = Turn(convo, "loop", model=model, tools=stripe_tools(), options=TurnOptions(max_rounds=3))
    events = await run(turn.start())
    assert sum(isinstance(e, RoundFinished) for e in events) == 3
    assert turn.result is not None
    assert turn.result.stop_reason == "max_rounds"
    assert "stopped after 3 rounds" in turn.result.text
    assert convo.messages[-1]["role"] == "assistant"


async def test_cancel_mid_stream_keeps_partial_text_and_frees_the_conversation() -> None:
    convo = Conversation()
    gate = asyncio.Event()
    model = ScriptedModel([answer("partial| rest")], pause_before={1: gate})
    turn = Turn(convo, "long", model=model, tools=None, options=TurnOptions()).start()
    events = []
    with anyio.fail_after(10):
        async for event in turn:
            events.append(event)
            if isinstance(event, TextDelta):
                await anyio.to_thread.run_sync(turn.cancel)
    assert isinstance(events[-1], TurnFinished)
    assert turn.result is not None
    assert turn.result.stop_reason == "cancelled"
    assert convo.messages[-1] == {"role": "assistant", "content": "partial [stopped by the user]"}
    assert not convo.busy


async def test_cancel_mid_tool_gives_every_call_a_tool_message_and_reports_the_sent_write() -> None:
    convo = Conversation()
    started = asyncio.Event()
    never = asyncio.Event()

    async def slow_write(args: dict[str, Any]) -> Any:
        started.set()
        await never.wait()
        return {"id": "re_1"}

    async def fast_read(args: dict[str, Any]) -> Any:
        return {"ok": True}

    tools = MemoryTools({"create_refund": ("write", slow_write), "retrieve_balance": ("read", fast_read)})
    model = ScriptedModel([calls(("create_refund", {"payment_intent": "pi_1"}), ("retrieve_balance", {}))])
    turn = Turn(convo, "refund", model=model, tools=tools, options=TurnOptions()).start()
    with anyio.fail_after(10):
        async for event in turn:
            if isinstance(event, ToolCallStarted) and event.name == "retrieve_balance":
                await started.wait()
                turn.cancel()
    assert turn.result is not None
    assert turn.result.stop_reason == "cancelled"
    tool_messages = [m for m in convo.messages if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == ["call_0", "call_1"]
    refund = turn.result.tool_calls[0].result
    assert refund is not None
    assert refund.sent
    assert "UNKNOWN" in (refund.error or "")
    assert turn.result.tool_calls[1].result is not None
    assert turn.result.tool_calls[1].result.ok
    assert convo.messages[-1]["role"] == "assistant"


async def test_cancel_before_anything_arrives_leaves_no_trace_in_the_history() -> None:
    convo = Conversation(
        messages=[{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "x"}]
    )
    gate = asyncio.Event()
    model = ScriptedModel([answer("never")], pause_before={0: gate})
    turn = Turn(convo, "stop me", model=model, tools=None, options=TurnOptions()).start()
    await asyncio.sleep(0)
    turn.cancel()
    await run(turn)
    assert roles(convo) == ["user", "assistant"]


async def test_a_second_turn_on_a_busy_conversation_is_refused() -> None:
    convo = Conversation()
    gate = asyncio.Event()
    model = ScriptedModel([answer("slow")], pause_before={0: gate})
    first = Turn(convo, "one", model=model, tools=None, options=TurnOptions()).start()
    with pytest.raises(TurnInProgressError, match="still answering"):
        Turn(convo, "two", model=model, tools=None, options=TurnOptions()).start()
    gate.set()
    await run(first)
    second = Turn(convo, "two", model=model, tools=None, options=TurnOptions()).start()
    await run(second)


async def test_model_error_on_the_first_round_rolls_back_and_reports() -> None:
    class FailingModel(ScriptedModel):
        async def stream(self, messages, **kwargs):  # type: ignore[no-untyped-def, override]
            raise ModelAuthError("DAT1 rejected the key …abcd: check DAT1_API_KEY.")
            yield  # pragma: no cover

    convo = Conversation()
    turn = Turn(convo, "hi", model=FailingModel([]), tools=None, options=TurnOptions())
    events = await run(turn.start())
    assert any(isinstance(e, Notice) and "DAT1_API_KEY" in e.text for e in events)
    assert turn.result is not None
    assert turn.result.stop_reason == "error"
    assert convo.messages == []
    assert not convo.busy


async def test_a_tool_client_exception_becomes_a_failed_result_not_a_crash() -> None:
    async def boom(args: dict[str, Any]) -> Any:
        raise RuntimeError("socket closed")

    tools = MemoryTools({"create_customer": ("write", boom)})
    convo = Conversation()
    model = ScriptedModel([calls(("create_customer", {"name": "A"})), answer("It failed.")])
    turn = Turn(convo, "create", model=model, tools=tools, options=TurnOptions())
    await run(turn.start())
    result = turn.result.tool_calls[0].result if turn.result else None
    assert result is not None
    assert not result.ok
    assert result.sent
    assert result.error_kind == "outcome_unknown"
    assert "Check before retrying" in (result.error or "")
    assert turn.result is not None
    assert turn.result.stop_reason == "complete"


async def test_stale_catalogue_warning_is_shown() -> None:
    tools = stripe_tools()
    tools.catalog_warning = "Using the tool list from 2 h ago: refreshing it failed."
    events = await run(
        Turn(
            Conversation(), "hi", model=ScriptedModel([answer("ok")]), tools=tools, options=TurnOptions()
        ).start()
    )
    assert any(isinstance(e, Notice) and "refreshing it failed" in e.text for e in events)


def test_bad_options_are_refused_with_the_fix() -> None:
    with pytest.raises(UsageError, match="auto, confirm, read-only"):
        TurnOptions(policy="yolo")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="at least 1"):
        TurnOptions(max_rounds=0)


async def test_empty_prompt_is_refused() -> None:
    with pytest.raises(UsageError, match="empty"):
        Turn(Conversation(), "  ", model=ScriptedModel([]), tools=None, options=TurnOptions())


def test_conversation_round_trips_through_json(tmp_path: Any) -> None:
    convo = Conversation(
        name="t", system_prompt="s", messages=[{"role": "user", "content": "key sk_test_abcdefgh1234"}]
    )
    path = convo.save(tmp_path / "c.json")
    loaded = Conversation.load(path)
    assert loaded.name == "t"
    assert loaded.system_prompt == "s"
    assert "sk_test_abcdefgh1234" not in path.read_text()
    with pytest.raises(UsageError, match="not valid JSON"):
        Conversation.from_json("{")
    with pytest.raises(UsageError, match="Upgrade"):
        Conversation.from_json('{"format": "stripe-nb-agent.conversation", "version": 99, "messages": []}')


async def test_reasoning_of_successive_rounds_is_kept_apart() -> None:
    model = ScriptedModel(
        [calls(("list_customers", {}), reasoning="First I list."), answer("ok", reasoning="Now I answer.")]
    )
    turn = Turn(Conversation(), "list", model=model, tools=stripe_tools(), options=TurnOptions())
    await run(turn.start())
    assert turn.result is not None
    assert turn.result.reasoning == "First I list.\n\nNow I answer."


async def test_the_model_reads_a_tool_result_capped_as_the_turn_says_and_the_record_keeps_it_all() -> None:
    rows = [{"id": f"cus_{n:05d}", "name": "x" * 40} for n in range(400)]

    async def many(args: dict[str, Any]) -> Any:
        return rows

    for cap, whole in ((2000, False), (None, True)):
        tools = MemoryTools({"list_customers": ("read", many)})
        model = ScriptedModel([calls(("list_customers", {})), answer("Many.")])
        turn = Turn(
            Conversation(), "list", model=model, tools=tools, options=TurnOptions(max_result_chars=cap)
        )
        await run(turn.start())
        told = model.seen[1][-1]["content"]
        assert (len(told) > 20_000) == whole
        assert turn.result is not None
        assert turn.result.tool_calls[0].result is not None
        assert turn.result.tool_calls[0].result.data == rows
    with pytest.raises(UsageError, match="max_result_chars"):
        TurnOptions(max_result_chars=10)
