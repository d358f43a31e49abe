"""An incremental Server-Sent Events decoder: bytes in, events out, nothing else.

It follows the HTML Living Standard's event-stream interpretation
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
CRLF, CR and LF line endings (a CR ending one read and an LF starting the next are one break),
``:`` comment lines, the ``event``/``data``/``id``/``retry`` fields, multi-line data joined with
``\\n``, one space after the colon stripped, a BOM at the start of the stream ignored, and an event
dispatched on each blank line. Network reads never align with events, so bytes are decoded with an
incremental UTF-8 decoder: a character split across two reads comes out whole.

The decoder is pure (no I/O, no clock) so it can be tested on every split of a byte stream.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

__all__ = ["SSEDecoder", "ServerSentEvent"]


class ServerSentEvent(NamedTuple):
    """One dispatched event. ``id`` is the last event id seen so far, as the spec defines it.

    A NamedTuple rather than a frozen dataclass: one is built per token, and a frozen
    dataclass's ``__init__`` costs several times more on this hot path.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Feed it bytes as they arrive; it returns the events each read completed.

    >>> d = SSEDecoder()
    >>> d.feed(b"data: hel")
    []
    >>> d.feed(b"lo\\n\\n")
    [ServerSentEvent(event='message', data='hello', id=None, retry=None)]
    """

    __slots__ = ("_after_cr", "_data", "_decoder", "_event", "_has_data", "_last_id", "_pending", "_retry")

    def __init__(self) -> None:
        # utf-8-sig drops one BOM at the very start (even a BOM split across reads) and no other.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending = ""  # the unterminated tail of the last read
        self._after_cr = False  # the last read ended with CR: an LF opening the next one is its pair
        self._event = ""
        self._data: list[str] = []
        self._has_data = False
        self._last_id: str | None = None
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str | None:
        """The stream's last event id (what a reconnecting client sends as ``Last-Event-ID``)."""
        return self._last_id

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode one network read; return the events it completed (often none, sometimes many)."""
        return self._feed_text(self._decoder.decode(data))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: decode what is left and dispatch a final event that lacked its blank line.

        The spec discards an unterminated last event. We dispatch it instead, because plenty of
        servers end with ``data: [DONE]`` and no blank line; a truly truncated event is caught one
        level up (its JSON does not parse, or the stream has no finish reason).
        """
        events = self._feed_text(self._decoder.decode(b"", True))
        if self._pending:
            line, self._pending = self._pending, ""
            self._line(line, events)
        self._dispatch(events)
        return events

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        if not text:
            return events
        if self._after_cr:
            self._after_cr = False
            if text[0] == "\n":
                text = text[1:]
        if "\r" in text:
            self._after_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._pending += text
            return events
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        line_fn = self._line
        for line in lines:
            # Inline the two lines that make up nearly every real stream: the hot path.
            if not line:
                self._dispatch(events)
            elif line[:6] == "data: ":
                self._data.append(line[6:])
                self._has_data = True
            else:
                line_fn(line, events)
        return events

    def _line(self, line: str, events: list[ServerSentEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        colon = line.find(":")
        if colon == 0:
            return  # a comment (servers send them as keep-alives)
        if colon < 0:
            name, value = line, ""
        else:
            name, value = line[:colon], line[colon + 1 :]
            if value[:1] == " ":
                value = value[1:]
        if name == "data":
            self._data.append(value)
            self._has_data = True
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:  # the spec ignores ids containing NUL
            self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)
        # Any other field name is ignored, as the spec says.

    def _dispatch(self, events: list[ServerSentEvent]) -> None:
        if self._has_data:
            data = self._data
            events.append(
                ServerSentEvent(
                    self._event or "message",
                    data[0] if len(data) == 1 else "\n".join(data),
                    self._last_id,
                    self._retry,
                )
            )
            self._data = []
            self._has_data = False
        self._event = ""
        self._retry = None
