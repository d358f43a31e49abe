"""The stream assembler: chunks in, typed events and one complete ChatResponse out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stripe_nb_agent.errors import ModelStreamError
from stripe_nb_agent.llm.sse import ServerSentEvent, SSEDecoder
from stripe_nb_agent.llm.stream import StreamAssembler
from stripe_nb_agent.llm.types import (
    ChatResponse,
    ReasoningDelta,
    StreamEvent,
    TextDelta,
    Timings,
    ToolCall,
    ToolCallDelta,
    Usage,
)
from tests.llm.streams import TIMINGS, TOOL_TURN, TOOL_TURN_ARGUMENTS, USAGE, chunk, sse, tool_fragment

FIXTURES = Path(__file__).parent / "fixtures"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def assemble(raw: bytes, assembler: StreamAssembler | None = None) -> tuple[list[StreamEvent], ChatResponse]:
    assembler = assembler or StreamAssembler()
    decoder = SSEDecoder()
    events: list[StreamEvent] = []
    for sse_event in [*decoder.feed(raw), *decoder.flush()]:
        events += assembler.feed_sse(sse_event)
    return events, assembler.response()


def chunks_of(path: Path) -> list[dict[str, Any]]:
    blocks = path.read_text().split("\n\n")
    return [json.loads(b[6:]) for b in blocks if b.startswith("data: {")]


# --- the real captures -------------------------------------------------------------------------


def test_text_capture_gives_the_full_text_usage_and_timings() -> None:
    path = FIXTURES / "llama_stream_text.sse"
    expected = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks_of(path) if c["choices"])
    events, response = assemble(path.read_bytes())
    assert expected.startswith("Hello, welcome to")
    assert response.text == expected
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == expected
    assert response.finish_reason == "stop"
    assert response.usage == Usage(prompt_tokens=36, completion_tokens=12, total_tokens=48)
    assert response.timings is not None
    assert response.timings.prompt_n == 36
    assert response.timings.predicted_per_second == pytest.approx(89.79371933748561)
    assert response.model == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert response.metrics.token_source == "usage"
    assert response.metrics.completion_tokens == 12
    assert response.metrics.malformed_chunks == 0
    assert response.tool_calls == ()


def test_capture_without_usage_counts_deltas_and_keeps_timings_from_the_last_choice_chunk() -> None:
    path = FIXTURES / "llama_stream_tools_ignored.sse"
    content_chunks = [c for c in chunks_of(path) if c["choices"] and c["choices"][0]["delta"].get("content")]
    _, response = assemble(path.read_bytes())
    assert response.finish_reason == "length"
    assert response.usage is None
    assert response.timings is not None
    assert response.timings.predicted_n == 80
    assert response.metrics.server_timings == response.timings
    assert response.metrics.token_source == "counted"
    assert response.metrics.completion_tokens == len(content_chunks)


def test_tool_call_written_as_text_stays_text() -> None:
    _, response = assemble((FIXTURES / "llama_stream_tool_as_text.sse").read_bytes())
    assert response.text.startswith("```json\n{")
    assert response.tool_calls == ()
    assert not response.wants_tools
    assert response.usage is not None
    assert response.usage.completion_tokens == 120


# --- hand-written gpt-oss streams --------------------------------------------------------------


def test_tool_turn_assembles_reasoning_text_and_fragmented_arguments() -> None:
    events, response = assemble(sse(*TOOL_TURN))
    assert response.reasoning == "The user wants their customers."
    assert response.text == "Let me look — €"
    assert response.tool_calls == (ToolCall("call_abc", "list_customers", TOOL_TURN_ARGUMENTS),)
    assert json.loads(response.tool_calls[0].arguments) == {"limit": 3, "email": "jö@example.com"}
    assert response.finish_reason == "tool_calls"
    assert response.wants_tools
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert deltas[0] == ToolCallDelta(index=0, id="call_abc", name="list_customers", arguments="")
    assert all(d.id is None and d.name is None for d in deltas[1:])
    assert [type(e) for e in events[:3]] == [ReasoningDelta, ReasoningDelta, TextDelta]


def test_tool_turn_message_carries_reasoning_back() -> None:
    _, response = assemble(sse(*TOOL_TURN))
    assert response.to_message() == {
        "role": "assistant",
        "content": "Let me look — €",
        "tool_calls": [
            {
                "id": "call_abc",
                "type": "function",
                "function": {"name": "list_customers", "arguments": TOOL_TURN_ARGUMENTS},
            }
        ],
        "reasoning_content": "The user wants their customers.",
    }


def test_reasoning_under_its_other_name_is_read_too() -> None:
    _, response = assemble(sse(chunk({"reasoning": "think"}), chunk({"content": "ok"}, finish="stop")))
    assert response.reasoning == "think"


def test_reasoning_sent_under_both_names_is_not_doubled() -> None:
    _, response = assemble(sse(chunk({"reasoning": "x", "reasoning_content": "x"}, finish="stop")))
    assert response.reasoning == "x"


def test_two_tool_call_indexes_interleaved_are_kept_apart_and_ordered() -> None:
    raw = sse(
        chunk({"tool_calls": [tool_fragment(1, id="call_b", name="list_products", args='{"li')]}),
        chunk({"tool_calls": [tool_fragment(0, id="call_a", name="list_customers", args="{")]}),
        chunk({"tool_calls": [tool_fragment(1, args='mit": 2}'), tool_fragment(0, args="}")]}),
        chunk({}, finish="tool_calls"),
    )
    _, response = assemble(raw)
    assert response.tool_calls == (
        ToolCall("call_a", "list_customers", "{}"),
        ToolCall("call_b", "list_products", '{"limit": 2}'),
    )


def test_tool_calls_without_ids_get_stable_generated_ids() -> None:
    raw = sse(
        chunk({"tool_calls": [{"index": 0, "function": {"name": "a", "arguments": "{}"}}]}),
        chunk({"tool_calls": [{"index": 1, "function": {"name": "b", "arguments": "{}"}}]}),
        chunk({}, finish="tool_calls"),
    )
    events, response = assemble(raw)
    assert [c.id for c in response.tool_calls] == ["call_0", "call_1"]
    assert [e.id for e in events if isinstance(e, ToolCallDelta)] == ["call_0", "call_1"]


def test_tool_call_arguments_sent_as_an_object_become_a_json_string() -> None:
    raw = sse(
        chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": {"x": 1}}}]})
    )
    _, response = assemble(raw)
    assert response.tool_calls == (ToolCall("c", "f", '{"x": 1}'),)


def test_timings_on_every_chunk_keep_the_last_seen() -> None:
    raw = sse(
        chunk({"content": "a"}, timings={**TIMINGS, "predicted_n": 1}),
        chunk({"content": "b"}, timings={**TIMINGS, "predicted_n": 2}),
        chunk({}, finish="stop", timings={**TIMINGS, "predicted_n": 3}),
    )
    _, response = assemble(raw)
    assert response.timings == Timings(
        prompt_n=50,
        prompt_ms=120.5,
        prompt_per_second=414.9,
        predicted_n=3,
        predicted_ms=300.0,
        predicted_per_second=30.0,
    )


def test_usage_on_an_empty_choices_chunk_is_read() -> None:
    _, response = assemble(sse(chunk({"content": "hi"}, finish="stop"), chunk(None, usage=USAGE)))
    assert response.usage == Usage(50, 9, 59)
    assert response.metrics.completion_tokens == 9
    assert response.metrics.token_source == "usage"


def test_null_usage_on_every_chunk_does_not_erase_the_real_one() -> None:
    _, response = assemble(sse(chunk({"content": "hi"}, usage=USAGE), chunk({}, finish="stop", usage=None)))
    assert response.usage == Usage(50, 9, 59)


def test_in_stream_error_raises_with_the_partial_text() -> None:
    assembler = StreamAssembler()
    raw = sse(chunk({"content": "Half an ans"}), {"error": {"code": 500, "message": "context overflow"}})
    with pytest.raises(ModelStreamError, match="context overflow") as info:
        assemble(raw, assembler)
    assert info.value.partial_text == "Half an ans"
    assert info.value.payload == {"error": {"code": 500, "message": "context overflow"}}
    assert "retry" in str(info.value)


def test_error_event_type_raises_too() -> None:
    assembler = StreamAssembler()
    with pytest.raises(ModelStreamError, match="overloaded"):
        assembler.feed_sse(ServerSentEvent(event="error", data="overloaded"))


def test_a_fragment_with_an_unparseable_index_is_a_flagged_call_of_its_own() -> None:
    raw = sse(
        chunk({"tool_calls": [{"index": "x", "function": None}]}),
        chunk({"tool_calls": [tool_fragment(0, id="call_ok", name="list_customers", args="{}")]}),
        chunk({}, finish="tool_calls"),
    )
    _, response = assemble(raw)
    good, bad = response.tool_calls
    assert good == ToolCall("call_ok", "list_customers", "{}")
    assert (bad.name, bad.id) == ("", "call_unreadable_1")
    assert bad.problem is not None
    assert '"x"' in bad.problem
    assert response.metrics.malformed_chunks == 1


def test_a_numeric_string_index_is_read_as_its_number() -> None:
    raw = sse(
        chunk({"tool_calls": [{"index": "0", "id": "c", "function": {"name": "f", "arguments": "{"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "}"}}]}),
    )
    _, response = assemble(raw)
    assert response.tool_calls == (ToolCall("c", "f", "{}"),)


def test_a_function_that_is_not_an_object_flags_its_call() -> None:
    raw = sse(chunk({"tool_calls": [{"index": 0, "id": "c", "function": "create_refund"}]}))
    _, response = assemble(raw)
    (flagged,) = response.tool_calls
    assert flagged.id == "c"
    assert flagged.problem is not None
    assert "not an object" in flagged.problem


def test_malformed_chunks_are_skipped_and_counted() -> None:
    raw = sse(
        chunk({"content": "one "}),
        '{"choices": [{"delta": {"content": "tw',  # truncated JSON
        '["not", "an", "object"]',
        '{"choices": "nope"}',
        '{"choices": [{"delta": "nope"}]}',
        '{"choices": [{"delta": {"tool_calls": [42]}}]}',
        chunk({"content": "two"}, finish="stop"),
    )
    _, response = assemble(raw)
    assert response.text == "one two"
    assert response.metrics.malformed_chunks == 5


def test_nothing_after_done_is_read() -> None:
    assembler = StreamAssembler()
    assemble(sse(chunk({"content": "a"}, finish="stop")), assembler)
    assert assembler.done
    assert assembler.feed_sse(ServerSentEvent(data=json.dumps(chunk({"content": "late"})))) == []
    assert assembler.response().text == "a"


def test_non_streaming_completion_shape_is_understood() -> None:
    assembler = StreamAssembler()
    completion = {
        "object": "chat.completion",
        "model": "llama",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": "Checking.",
                    "reasoning_content": "Need data.",
                    "tool_calls": [
                        {"id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
            }
        ],
        "usage": USAGE,
    }
    events = assembler.feed_chunk(completion)
    response = assembler.response()
    assert events == [
        ReasoningDelta("Need data."),
        TextDelta("Checking."),
        ToolCallDelta(index=0, id="call_9", name="f", arguments="{}"),
    ]
    assert response.tool_calls == (ToolCall("call_9", "f", "{}"),)
    assert response.usage == Usage(50, 9, 59)
    assert assembler.complete


def test_completion_without_finish_or_done_is_not_complete() -> None:
    assembler = StreamAssembler()
    assembler.feed_chunk(chunk({"content": "a"}))
    assert not assembler.complete
    assert assembler.partial_text == "a"


# --- metrics -----------------------------------------------------------------------------------


def test_metrics_come_from_the_injected_clock() -> None:
    clock = FakeClock()
    assembler = StreamAssembler(clock=clock)  # starts at 100.0
    clock.now = 100.5
    assembler.byte_received()
    assembler.feed_chunk(chunk({"role": "assistant"}))  # no token yet
    clock.now = 101.0
    assembler.feed_chunk(chunk({"reasoning_content": "hm"}))  # first token: reasoning counts
    clock.now = 101.5
    assembler.byte_received()  # later bytes do not move the first byte
    assembler.feed_chunk(chunk({"content": "a"}))
    clock.now = 103.0
    assembler.feed_chunk(chunk({}, finish="stop", usage={"completion_tokens": 40}))
    metrics = assembler.response(attempts=2).metrics
    assert metrics.time_to_first_byte == pytest.approx(0.5)
    assert metrics.time_to_first_token == pytest.approx(1.0)
    assert metrics.total_time == pytest.approx(3.0)
    assert metrics.token_source == "usage"
    assert metrics.tokens_per_second == pytest.approx(20.0)  # 40 tokens over 2 s of generation
    assert metrics.attempts == 2


def test_tokens_per_second_falls_back_to_counted_deltas() -> None:
    clock = FakeClock()
    assembler = StreamAssembler(clock=clock)
    for i in range(5):
        clock.now = 101.0 + i
        assembler.feed_chunk(chunk({"content": "x"}))
    metrics = assembler.response().metrics
    assert metrics.token_source == "counted"
    assert metrics.completion_tokens == 5
    assert metrics.tokens_per_second == pytest.approx(5 / 4)


def test_a_stream_with_no_tokens_has_no_speed() -> None:
    metrics = StreamAssembler().response().metrics
    assert metrics.time_to_first_token is None
    assert metrics.time_to_first_byte is None
    assert metrics.tokens_per_second is None
