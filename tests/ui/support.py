"""Recording stand-ins for the notebook frontend (display outputs, widget comm messages), and a
Markdown viewer that lets raw HTML through, as static-site builds and pandoc do."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from comm.base_comm import BaseComm
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from markdown_it import MarkdownIt


@dataclass
class Published:
    data: dict[str, Any]
    update: bool
    display_id: str | None


class RecordingPublisher(DisplayPublisher):  # type: ignore[misc]
    """Keeps every display and display update, as a kernel would send them to the frontend."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.records: list[Published] = []

    def publish(
        self,
        data: dict[str, Any],
        metadata: Any = None,
        source: Any = None,
        *,
        transient: dict[str, Any] | None = None,
        update: bool = False,
        **kwargs: Any,
    ) -> None:
        self.records.append(Published(dict(data), update, (transient or {}).get("display_id")))

    def clear_output(self, wait: bool = False) -> None:
        pass

    @property
    def final(self) -> list[Published]:
        """What a saved notebook keeps: each display at its last content, in display order."""
        latest: dict[str, Published] = {}
        order: list[Published | str] = []
        for record in self.records:
            if record.display_id is None:
                order.append(record)
            elif record.update:
                latest[record.display_id] = record
            else:
                latest[record.display_id] = record
                order.append(record.display_id)
        return [latest[o] if isinstance(o, str) else o for o in order]

    def texts(self) -> list[str]:
        return [r.data.get("text/plain", "") for r in self.final if r.data.get("text/plain", "")]

    def html(self) -> str:
        return "".join(r.data.get("text/html", "") for r in self.final)


class RecordingComm(BaseComm):  # type: ignore[misc]
    """A widget comm that records what would be sent to the frontend (ipywidgets' own approach)."""

    sent: list[tuple[float, str, dict[str, Any]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent = []
        super().__init__(*args, **kwargs)

    def publish_msg(
        self, msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        self.sent.append((time.monotonic(), msg_type, data or {}))


@dataclass
class CommLog:
    comms: list[RecordingComm] = field(default_factory=list)

    def updates_to(self, widget: Any) -> list[tuple[float, dict[str, Any]]]:
        """The state updates sent for one widget, with their send times."""
        out = []
        for c in self.comms:
            if c.comm_id == widget.comm.comm_id:
                out += [
                    (t, d["state"])
                    for t, kind, d in c.sent
                    if kind == "comm_msg" and d.get("method") == "update"
                ]
        return out

    def all_updates(self) -> list[tuple[float, dict[str, Any]]]:
        """Every widget's state updates sent to the front end, in send order."""
        return sorted(
            (
                (t, d["state"])
                for c in self.comms
                for t, kind, d in c.sent
                if kind == "comm_msg" and d.get("method") == "update"
            ),
            key=lambda update: update[0],
        )

    def total_updates(self) -> int:
        return sum(
            1
            for c in self.comms
            for _, kind, d in c.sent
            if kind == "comm_msg" and d.get("method") == "update"
        )


def run(shell: InteractiveShell, source: str) -> Any:
    """Run a cell; fail the test on any exception (the magic must never raise)."""
    result = shell.run_cell(source)
    if result.error_before_exec or result.error_in_exec:
        raise AssertionError(f"cell raised: {result.error_before_exec or result.error_in_exec!r}")
    return result.result


# What a model (or a tool, or a user) can put in a name or a text to break out of its place.
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "</summary><img src=x onerror=alert(1)>",
    "</details>\n\n<script>alert(1)</script>",
    "```\n<script>alert(1)</script>\n```",
    "````\n</details><img src=x onerror=alert(2)>",
    "`` <img src=x onerror=alert(3)> ``` `",
    "[click](javascript:alert(1)) ![pixel](https://evil.example/p.png) <https://evil.example>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<!-- x --><?php ?><![CDATA[x]]><svg/onload=alert(1)>",
    "# heading\n\n**bold** _em_\n\n- list\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---",
    "    indented\n\n> quote <b>x</b>",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def unsanitised_elements(markdown: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every element, with its attributes, that a raw-HTML-enabled viewer makes of ``markdown``."""
    viewer = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    parser = _Elements()
    parser.feed(viewer.render(markdown))
    parser.close()
    return parser.found
