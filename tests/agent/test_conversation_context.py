"""The history sent to the model is bounded; the transcript keeps everything."""

from __future__ import annotations

import json

from stripe_nb_agent.agent.conversation import DEFAULT_HISTORY_CHARS, Conversation
from stripe_nb_agent.llm.types import Message


def _turn(n: int, rows: int = 200) -> list[Message]:
    data = {"object": "list", "data": [{"id": f"cus_{n:04d}{i:06d}", "name": "x" * 40} for i in range(rows)]}
    call = {"id": f"call_{n}", "type": "function", "function": {"name": "list_customers", "arguments": "{}"}}
    return [
        {"role": "user", "content": f"question {n}"},
        {"role": "assistant", "content": None, "tool_calls": [call]},  # type: ignore[list-item]
        {"role": "tool", "tool_call_id": f"call_{n}", "content": json.dumps(data)},
        {"role": "assistant", "content": f"answer {n}"},
    ]


def _conversation(turns: int) -> Conversation:
    convo = Conversation(system_prompt="You help.")
    for n in range(turns):
        convo.messages.extend(_turn(n))
    return convo


def _chars(messages: list[Message]) -> int:
    return len(json.dumps(messages))


def test_a_short_conversation_is_sent_whole() -> None:
    convo = _conversation(2)
    assert convo.model_messages() == [{"role": "system", "content": "You help."}, *convo.messages]


def test_older_tool_results_are_summarised_with_their_ids() -> None:
    convo = _conversation(3)
    sent = convo.model_messages()
    oldest = next(m for m in sent if m["role"] == "tool")
    assert oldest["content"].startswith("[Earlier tool result, summarised")
    assert "200 rows" in oldest["content"]
    assert "cus_0000000000" in oldest["content"]
    assert [m for m in sent if m["role"] == "tool"][1:] == [m for m in convo.messages if m["role"] == "tool"][
        1:
    ]


def test_after_sixty_turns_the_request_stays_bounded_and_the_transcript_whole() -> None:
    first = _chars(_conversation(1).model_messages())
    convo = _conversation(61)
    sent = convo.model_messages()
    assert _chars(sent) <= first + DEFAULT_HISTORY_CHARS * 1.2
    assert len(convo.messages) == 61 * 4
    assert sent[-4:] == convo.messages[-4:]
    assert "earlier turns of this conversation are not shown" in sent[0]["content"]
    # Every tool call sent still has its tool message.
    calls = {c["id"] for m in sent if m["role"] == "assistant" for c in m.get("tool_calls", [])}
    answered = {m["tool_call_id"] for m in sent if m["role"] == "tool"}
    assert calls == answered
