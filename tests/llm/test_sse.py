"""The SSE decoder: every split of real and adversarial byte streams gives the same events."""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path

import pytest

from stripe_nb_agent.llm.sse import ServerSentEvent, SSEDecoder

FIXTURES = Path(__file__).parent / "fixtures"
CAPTURES = sorted(FIXTURES.glob("*.sse"))


def decode(reads: Iterable[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for read in reads:
        events += decoder.feed(read)
    return events + decoder.flush()


def splits(data: bytes, positions: Iterable[int]) -> Iterable[list[bytes]]:
    for i in positions:
        yield [data[:i], data[i:]]


def data_lines(raw: bytes) -> list[str]:
    """An independent reading of a well-formed capture: one ``data:`` line per event."""
    return [block[len("data: ") :] for block in raw.decode().split("\n\n") if block.startswith("data: ")]


# An adversarial stream: BOM, comments, CRLF, CR-only and LF endings, event/id/retry fields,
# multi-line data, multi-byte characters, a field without a colon, and [DONE].
ADVERSARIAL = (
    b"\xef\xbb\xbf: keep-alive\r\n"
    b"event: message\r\nid: 7\r\nretry: 1500\r\n"
    b'data: {"choices":[{"index":0,"delta":{"content":"5 \xe2\x82\xac \xf0\x9f\x92\xb8 \xc3\xa9"}}]}\r\n'
    b"\r\n"
    b"data: line one\ndata:line two\ndata:  two spaces\n\n"
    b"event: ping\rdata: cr only\r\r"
    b": another comment\n"
    b"data\n\n"
    b'data: {"choices":[{"index":0,"delta":{"tool_calls":'
    b'[{"index":0,"function":{"arguments":"{\\"a\\": 1}"}}]}}]}\n\n'
    b"data: [DONE]\n\n"
)
ADVERSARIAL_EVENTS = [
    ServerSentEvent(data='{"choices":[{"index":0,"delta":{"content":"5 € 💸 é"}}]}', id="7", retry=1500),
    ServerSentEvent(data="line one\nline two\n two spaces", id="7"),
    ServerSentEvent(event="ping", data="cr only", id="7"),
    ServerSentEvent(data="", id="7"),
    ServerSentEvent(
        data='{"choices":[{"index":0,"delta":{"tool_calls":'
        '[{"index":0,"function":{"arguments":"{\\"a\\": 1}"}}]}}]}',
        id="7",
    ),
    ServerSentEvent(data="[DONE]", id="7"),
]


def test_adversarial_stream_decodes_whole() -> None:
    assert decode([ADVERSARIAL]) == ADVERSARIAL_EVENTS


def test_adversarial_stream_survives_every_two_way_split() -> None:
    for reads in splits(ADVERSARIAL, range(len(ADVERSARIAL) + 1)):
        assert decode(reads) == ADVERSARIAL_EVENTS, reads


def test_adversarial_stream_survives_every_three_way_split() -> None:
    n = len(ADVERSARIAL)
    for i in range(n + 1):
        for j in range(i, n + 1, 3):
            reads = [ADVERSARIAL[:i], ADVERSARIAL[i:j], ADVERSARIAL[j:]]
            assert decode(reads) == ADVERSARIAL_EVENTS, reads


def test_adversarial_stream_survives_one_byte_reads() -> None:
    assert decode(ADVERSARIAL[i : i + 1] for i in range(len(ADVERSARIAL))) == ADVERSARIAL_EVENTS


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_real_capture_decodes_to_one_event_per_data_line(path: Path) -> None:
    raw = path.read_bytes()
    events = decode([raw])
    assert [e.data for e in events] == data_lines(raw)
    assert events[-1].data == "[DONE]"
    assert all(e.event == "message" for e in events)
    assert all(isinstance(json.loads(e.data), dict) for e in events[:-1])


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_real_capture_survives_split_points(path: Path) -> None:
    raw = path.read_bytes()
    expected = decode([raw])
    # Every position of the small capture; a stride over the big ones keeps the suite fast
    # while still landing inside "data:", inside JSON and on the blank lines.
    step = 1 if len(raw) < 5000 else 13
    for reads in splits(raw, range(0, len(raw) + 1, step)):
        assert decode(reads) == expected


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_real_capture_survives_random_read_sizes(path: Path) -> None:
    raw = path.read_bytes()
    expected = decode([raw])
    rng = random.Random(path.name)
    for _ in range(20):
        reads, i = [], 0
        while i < len(raw):
            size = rng.randint(1, 300)
            reads.append(raw[i : i + size])
            i += size
        assert decode(reads) == expected


def test_real_capture_with_crlf_line_endings_decodes_the_same() -> None:
    raw = (FIXTURES / "llama_stream_text.sse").read_bytes()
    crlf = raw.replace(b"\n", b"\r\n")
    expected = decode([raw])
    for reads in splits(crlf, range(len(crlf) + 1)):
        assert decode(reads) == expected


def test_multibyte_character_split_inside_its_bytes_comes_out_whole() -> None:
    raw = "data: prix 5 € et 💸\n\n".encode()
    for reads in splits(raw, range(len(raw) + 1)):
        assert decode(reads) == [ServerSentEvent(data="prix 5 € et 💸")]


def test_cr_ending_one_read_and_lf_starting_the_next_is_one_line_break() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    # If the LF were a second break it would be a blank line and dispatch "a" on its own;
    # here the event goes on and collects the next data line.
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r\n") == [ServerSentEvent(data="a\nb")]


def test_two_crs_are_a_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(data="a")]


def test_many_events_in_one_read_all_come_out_in_order() -> None:
    raw = b"".join(f"data: {i}\n\n".encode() for i in range(50))
    assert [e.data for e in SSEDecoder().feed(raw)] == [str(i) for i in range(50)]


def test_bom_is_dropped_only_at_stream_start() -> None:
    assert decode([b"\xef\xbb", b"\xbfdata: x\n\n"]) == [ServerSentEvent(data="x")]
    # Mid-stream a BOM is just part of a field name nobody knows, so the line is ignored.
    assert decode([b"data: x\n\n\xef\xbb\xbfdata: y\n\n"]) == [ServerSentEvent(data="x")]


def test_comment_lines_are_ignored() -> None:
    assert decode([b": ping\n: pong\ndata: x\n: again\n\n"]) == [ServerSentEvent(data="x")]


def test_only_one_leading_space_is_stripped() -> None:
    assert decode([b"data:   x \n\n"]) == [ServerSentEvent(data="  x ")]


def test_event_type_applies_to_one_event_only() -> None:
    events = decode([b"event: token\ndata: a\n\ndata: b\n\n"])
    assert [(e.event, e.data) for e in events] == [("token", "a"), ("message", "b")]


def test_event_without_data_is_not_dispatched_and_resets_its_type() -> None:
    assert decode([b"event: ping\n\ndata: b\n\n"]) == [ServerSentEvent(data="b")]


def test_id_persists_until_changed_and_an_id_with_nul_is_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n")
    assert [(e.data, e.id) for e in events] == [("a", "1"), ("b", "1"), ("c", "1"), ("d", "")]
    assert decoder.last_event_id == ""


def test_retry_must_be_all_digits() -> None:
    events = decode([b"retry: 10x\ndata: a\n\nretry: 250\ndata: b\n\n"])
    assert [(e.data, e.retry) for e in events] == [("a", None), ("b", 250)]


def test_unknown_fields_are_ignored() -> None:
    assert decode([b"foo: bar\ndata: x\nbaz\n\n"]) == [ServerSentEvent(data="x")]


def test_flush_dispatches_a_final_event_without_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: [DONE]") == [ServerSentEvent(data="a")]
    assert decoder.flush() == [ServerSentEvent(data="[DONE]")]


def test_flush_of_a_finished_stream_returns_nothing() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\n\n")
    assert decoder.flush() == []


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert decode([b"data: a\xffb\n\n"]) == [ServerSentEvent(data="a\ufffdb")]
