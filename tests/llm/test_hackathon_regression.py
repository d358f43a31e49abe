"""The bug this package exists to fix: the hackathon parser lost text and tool-call arguments.

``hackathon_parse`` below re-implements its approach faithfully: for each network read, take the
first ``data:`` line only, ``json.loads`` it, and silently skip anything that fails. Real reads
do not align with events, so on the same bytes it drops events that ours reconstructs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from stripe_nb_agent.llm.sse import SSEDecoder
from stripe_nb_agent.llm.stream import StreamAssembler
from stripe_nb_agent.llm.types import ChatResponse
from tests.llm.streams import TOOL_TURN, TOOL_TURN_ARGUMENTS, sse


def hackathon_parse(reads: Iterable[bytes]) -> tuple[str, str]:
    """(text, tool-call arguments) the way the hackathon code read a stream."""
    text, arguments = [], []
    for read in reads:
        lines = read.decode("utf-8", errors="ignore").split("\n")
        first = next((line for line in lines if line.startswith("data:")), None)
        if first is None:
            continue
        payload = first[len("data:") :].strip()
        if payload == "[DONE]":
            break
        try:
            delta = json.loads(payload)["choices"][0]["delta"]
        except (ValueError, LookupError):
            continue
        text.append(delta.get("content") or "")
        for call in delta.get("tool_calls") or []:
            arguments.append(call["function"].get("arguments") or "")
    return "".join(text), "".join(arguments)


def ours(reads: Iterable[bytes]) -> ChatResponse:
    decoder, assembler = SSEDecoder(), StreamAssembler()
    for read in reads:
        for event in decoder.feed(read):
            assembler.feed_sse(event)
    for event in decoder.flush():
        assembler.feed_sse(event)
    return assembler.response()


def chunked(raw: bytes, size: int) -> list[bytes]:
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def test_same_bytes_same_reads_hackathon_loses_what_ours_keeps() -> None:
    raw = sse(*TOOL_TURN)
    # 173-byte reads: several events per read, and events split mid-JSON.
    reads = chunked(raw, 173)

    lost_text, lost_arguments = hackathon_parse(reads)
    response = ours(reads)

    assert response.text == "Let me look — €"
    assert response.tool_calls[0].arguments == TOOL_TURN_ARGUMENTS
    assert response.reasoning == "The user wants their customers."
    assert lost_text != response.text
    assert lost_arguments != TOOL_TURN_ARGUMENTS
    # What the hackathon user would have run: arguments that are not even JSON.
    assert not _is_json(lost_arguments)


def test_hackathon_parser_loses_on_every_read_size_ours_loses_on_none() -> None:
    raw = sse(*TOOL_TURN)
    hackathon_failures = 0
    for size in range(1, len(raw) + 1):
        reads = chunked(raw, size)
        response = ours(reads)
        assert response.text == "Let me look — €", size
        assert response.tool_calls[0].arguments == TOOL_TURN_ARGUMENTS, size
        text, arguments = hackathon_parse(reads)
        hackathon_failures += (text, arguments) != (response.text, TOOL_TURN_ARGUMENTS)
    # Only a read holding exactly one whole event at a time would save it: not one size does.
    assert hackathon_failures == len(raw)


def test_hackathon_parser_is_right_only_when_each_read_is_exactly_one_event() -> None:
    raw = sse(*TOOL_TURN)
    one_event_per_read = [block + b"\n\n" for block in raw.split(b"\n\n") if block]
    assert hackathon_parse(one_event_per_read) == ("Let me look — €", TOOL_TURN_ARGUMENTS)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
