"""The value a ``%%stripe_agent`` cell returns: the answer, its tool calls, their tables, the metrics.

    %%stripe_agent --out turn
    list my last 5 payments

    turn.tables[0].plot.bar(x="id", y="amount")     # next cell

It displays itself through ``_repr_mimebundle_`` (``text/plain`` always, plus ``text/markdown`` or
``text/html`` by format), so a cell shows it once, as its result, and a saved notebook reads
anywhere. Everything in it comes from a model or a tool and goes through :mod:`render` (escaped,
raw HTML off, secrets redacted).

Stability: the answer, the tool lines and the tables are deterministic on the sandbox; the only
varying figures are durations and rates (tool latencies and the metrics line). nbval masks them
with ``tests/notebooks/sanitize.cfg``; ``metrics=False`` leaves them out altogether.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any, Literal

import pandas as pd

from stripe_nb_agent.agent.events import ToolCallRecord, TurnMetrics, TurnResult
from stripe_nb_agent.redaction import redact
from stripe_nb_agent.tables import result_table, to_frame
from stripe_nb_agent.ui.render import (
    MAX_TABLE_ROWS,
    STYLE_HTML,
    attachment_line,
    attachments_html,
    escape,
    frame_html,
    markdown_code,
    markdown_text,
    metrics_html,
    metrics_text,
    plain_text,
    render_markdown,
    tool_call_html,
    tool_call_line_text,
    tool_status,
)

__all__ = ["FORMATS", "OutputFormat", "TurnOutput"]

OutputFormat = Literal["markdown", "text", "json"]
FORMATS: tuple[OutputFormat, ...] = ("markdown", "text", "json")

_STOPPED = {
    "cancelled": "stopped: the turn was cancelled; the answer below is partial.",
    "max_rounds": "stopped: the round limit was reached (raise it with --max-rounds N).",
}


@dataclass(frozen=True)
class TurnOutput:
    """A finished turn, for reading in code and for display (see the module docstring)."""

    result: TurnResult
    format: OutputFormat = "markdown"
    show_reasoning: bool = False
    metrics: bool = True

    # --- data ---------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self.result.text

    @property
    def reasoning(self) -> str:
        return self.result.reasoning

    @property
    def prompt(self) -> str:
        return self.result.prompt

    @property
    def tool_calls(self) -> tuple[ToolCallRecord, ...]:
        return self.result.tool_calls

    @property
    def turn_metrics(self) -> TurnMetrics:
        return self.result.metrics

    @property
    def stop_reason(self) -> str:
        return self.result.stop_reason

    @property
    def error(self) -> str | None:
        return self.result.error

    @cached_property
    def tables(self) -> list[pd.DataFrame]:
        """One DataFrame per successful tool call whose result is tabular, in call order."""
        return [frame for _, frame in self._tables]

    @cached_property
    def _tables(self) -> list[tuple[ToolCallRecord, pd.DataFrame]]:
        """Each tabular result beside the call it belongs to.

        Objects fetched one by one (consecutive calls of one tool in one round, each answering one
        object of one type) are one table, under the first of those calls; when the call just
        before listed only their ids (a classic ``list_customers``), that list's table is replaced
        by the merged one, so the names sit beside the ids in ``tables[0]``.
        """
        records = [r for r in self.result.tool_calls if r.result is not None]
        pairs: list[tuple[ToolCallRecord, pd.DataFrame]] = []
        at = 0
        while at < len(records):
            run = _fetched_one_by_one(records, at)
            merged = to_frame([_single_object(r) for r in run]) if run else None
            if merged is not None:
                previous = pairs[-1][1] if pairs else None
                if previous is not None and _ids_only(previous) and set(previous["id"]) <= set(merged["id"]):
                    pairs[-1] = (pairs[-1][0], merged)
                    at += len(run)
                    continue
                if len(run) > 1:
                    pairs.append((run[0], merged))
                    at += len(run)
                    continue
            result = records[at].result
            frame = result_table(result) if result is not None else None
            if frame is not None:
                pairs.append((records[at], frame))
            at += 1
        return pairs

    def to_dict(self, *, max_rows: int | None = None) -> dict[str, Any]:
        """The turn as plain JSON data (tool results included), for ``--format json`` and export.

        ``max_rows`` caps each tool result's rows (and its raw text) as the HTML view's tables are
        capped, with a note; the full results stay in :attr:`tool_calls`.
        """
        data = asdict(self.result)
        if max_rows is not None:
            for n, call in enumerate(data["tool_calls"]):
                if call.get("result") is not None:
                    _cap_result(call["result"], max_rows, f"tool_calls[{n}]")
        return json.loads(redact(json.dumps(data, ensure_ascii=False, default=str)))  # type: ignore[no-any-return]

    # --- display ------------------------------------------------------------------------------

    def _status_line(self) -> str:
        if self.result.stop_reason == "error":
            return f"error: {self.result.error or 'the turn failed'}"
        return _STOPPED.get(self.result.stop_reason, "")

    def _tool_lines(self) -> list[str]:
        lines = []
        for r in self.result.tool_calls:
            lines.append(
                tool_call_line_text(
                    r.name,
                    tool_status(r.result),
                    r.result.latency_s if r.result is not None and self.metrics else None,
                    r.result.error if r.result is not None and not r.result.ok else None,
                )
            )
            if r.result is not None:
                lines += [f"  {attachment_line(a)}" for a in r.result.attachments]
        return lines

    def to_text(self) -> str:
        parts: list[str] = []
        status = self._status_line()
        if status:
            parts.append(status)
        if self.show_reasoning and self.reasoning:
            parts.append("thinking:\n" + self.reasoning.strip())
        parts.append(plain_text(self.text) if self.text else "(no answer)")
        lines = self._tool_lines()
        if lines:
            parts.append("\n".join(lines))
        if self.metrics:
            parts.append(metrics_text(self.result.metrics))
        return redact("\n\n".join(parts))

    def to_markdown(self) -> str:
        """The answer as the model wrote it, with tool lines and metrics as plain lines after it.

        Markdown formatting is kept; raw HTML, links and images are made inert and tool lines sit
        in code spans no backtick can close, for front ends that render Markdown without a
        sanitiser.
        """
        parts: list[str] = []
        status = self._status_line()
        if status:
            parts.append(f"**{markdown_text(status)}**")
        if self.show_reasoning and self.reasoning:
            quoted = "\n".join("> " + line for line in markdown_text(self.reasoning.strip()).splitlines())
            parts.append(quoted)
        parts.append(markdown_text(self.text) if self.text else "_(no answer)_")
        lines = self._tool_lines()
        if lines:
            parts.append("\n".join(f"- {markdown_code(line)}" for line in lines))
        if self.metrics:
            parts.append(f"_{markdown_text(metrics_text(self.result.metrics))}_")
        return redact("\n\n".join(parts))

    def to_html(self) -> str:
        parts = [STYLE_HTML]
        status = self._status_line()
        if status:
            css = "snba-error" if self.result.stop_reason == "error" else "snba-warning"
            parts.append(f'<div class="snba {css}">{escape(status)}</div>')
        if self.show_reasoning and self.reasoning:
            parts.append(
                '<details class="snba snba-thinking"><summary>thinking</summary>'
                f"{render_markdown(self.reasoning)}</details>"
            )
        parts.append(
            render_markdown(self.text) if self.text else '<div class="snba"><em>(no answer)</em></div>'
        )
        tables = {id(record): frame for record, frame in self._tables}
        for record in self.result.tool_calls:
            result = record.result
            line = tool_call_html(
                record.name,
                tool_status(result),
                result.latency_s if result is not None and self.metrics else None,
                result.error if result is not None and not result.ok else None,
            )
            frame = tables.get(id(record))
            if frame is not None and len(frame):
                # One line per call, its table folded under it (as in the widget): a turn of five
                # calls reads in five lines, and any table is one click away.
                rows = f"{len(frame)} row{'s' if len(frame) != 1 else ''}"
                parts.append(
                    f'<details class="snba snba-tool-details"><summary>{line} '
                    f'<span class="snba-table-note">{rows}</span></summary>{frame_html(frame)}</details>'
                )
            else:
                parts.append(line)
            if result is not None:
                parts.append(attachments_html(result.attachments))
        if self.metrics:
            parts.append(metrics_html(self.result.metrics))
        return "".join(parts)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        plain = self.to_text()
        if self.format == "text":
            return {"text/plain": plain}
        if self.format == "json":
            data = self.to_dict(max_rows=MAX_TABLE_ROWS)
            return {"application/json": data, "text/plain": json.dumps(data, indent=2, ensure_ascii=False)}
        return {"text/plain": plain, "text/markdown": self.to_markdown(), "text/html": self.to_html()}

    def __repr__(self) -> str:
        calls = ", ".join(r.name for r in self.result.tool_calls)
        return (
            f"<TurnOutput stop={self.result.stop_reason!r} chars={len(self.text)} "
            f"tool_calls=[{calls}] tables={len(self.tables)}>"
        )


def _cap_result(result: dict[str, Any], max_rows: int, where: str) -> None:
    """Cut one tool result (as ``asdict`` gives it) to ``max_rows`` rows, saying so in ``note``."""
    data = result.get("data")
    rows = data if isinstance(data, list) else data.get("data") if isinstance(data, dict) else None
    full = f"the full result is in turn.{where}.result when the cell is run with --out turn"
    if isinstance(rows, list) and len(rows) > max_rows:
        result["data"] = {**data, "data": rows[:max_rows]} if isinstance(data, dict) else rows[:max_rows]
        # The raw text repeats the rows; the parsed data above is what to read.
        result["text"] = ""
        result["note"] = f"showing {max_rows} of {len(rows)} rows (raw text left out); {full}"
    for field in ("text", "data"):
        value = result.get(field)
        if isinstance(value, str) and len(value) > _MAX_TEXT:
            result[field] = value[:_MAX_TEXT]
            result["note"] = f"{field} cut to {_MAX_TEXT:,} of {len(value):,} characters; {full}"


# A tool result's raw text in --format json, at most (about what 50 table rows take).
_MAX_TEXT = 20_000


def _single_object(record: ToolCallRecord) -> dict[str, Any] | None:
    """The one Stripe object a successful call answered, if that is what it answered."""
    result = record.result
    data = result.data if result is not None and result.ok else None
    if (
        isinstance(data, dict)
        and isinstance(data.get("id"), str)
        and data.get("object") not in (None, "list")
    ):
        return data
    return None


def _fetched_one_by_one(records: list[ToolCallRecord], at: int) -> list[ToolCallRecord]:
    """The run of calls from ``at`` fetching single objects of one type with one tool in one round."""
    first = _single_object(records[at])
    if first is None:
        return []
    run = [records[at]]
    for record in records[at + 1 :]:
        found = _single_object(record)
        same = record.name == run[0].name and record.round == run[0].round
        if found is None or not same or found.get("object") != first.get("object"):
            break
        run.append(record)
    return run


def _ids_only(frame: pd.DataFrame) -> bool:
    """A table of bare ids (a trimmed list result), which a fuller table of the same rows replaces."""
    return "id" in frame.columns and set(map(str, frame.columns)) <= {"id", "object"}
