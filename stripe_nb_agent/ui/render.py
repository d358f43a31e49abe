"""Safe rendering shared by the magic and the widget.

Everything drawn here comes from a model or a tool, so all of it is untrusted:

* :func:`render_markdown` parses with raw HTML **disabled**; links survive only with an ``http``,
  ``https`` or ``mailto`` scheme (anything else, relative links included, stays visible as text)
  and open in a new tab with ``rel="noopener noreferrer"``. Images become links to the image
  instead of ``<img>``: a remote image in a saved notebook is a tracking pixel, and an image tag is
  the usual carrier of ``onerror=`` payloads.
* :func:`escape` (and every helper built on it) redacts key-shaped secrets before HTML-escaping,
  because this module is where text leaves the library for display.
* :func:`frame_html` escapes cells, column labels and the index alike.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from functools import cache
from typing import Any, Final, Literal

import pandas as pd
from markdown_it import MarkdownIt
from markdown_it.token import Token

from stripe_nb_agent.agent.events import TurnMetrics
from stripe_nb_agent.config import redact
from stripe_nb_agent.tables import currency_exponent, format_json
from stripe_nb_agent.tools.types import ToolResult
from stripe_nb_agent.ui._style import STYLE, STYLE_HTML

__all__ = [
    "ALLOWED_SCHEMES",
    "STYLE",
    "STYLE_HTML",
    "ToolCallStatus",
    "arguments_text",
    "escape",
    "format_duration",
    "frame_html",
    "json_html",
    "metrics_html",
    "metrics_text",
    "render_markdown",
    "tool_call_html",
    "tool_call_line_text",
    "tool_status",
]

ALLOWED_SCHEMES: Final = ("http://", "https://", "mailto:")
MISSING: Final = "–"

ToolCallStatus = Literal["running", "ok", "error", "awaiting_approval", "declined"]

_ICONS: Final[dict[str, str]] = {
    "running": "…",
    "ok": "✓",
    "error": "✗",
    "awaiting_approval": "⏸",
    "declined": "⊘",
}
_ERROR_CHARS: Final = 200


# ---------------------------------------------------------------------------------------------
# Escaping and Markdown
# ---------------------------------------------------------------------------------------------


def escape(text: object) -> str:
    """Any model or tool string, made safe to place in HTML text or a quoted attribute."""
    return html.escape(redact(str(text)), quote=True)


class _SafeMarkdown(MarkdownIt):
    def validateLink(self, url: str) -> bool:
        # ``url`` is already normalised (entities decoded, control characters percent-encoded),
        # so "java&#09;script:" arrives as "java%09script:" and fails the allowlist.
        return url.strip().lower().startswith(ALLOWED_SCHEMES)


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", "noopener noreferrer")
    token.attrSet("target", "_blank")
    return str(self.renderToken(tokens, idx, options, env))


def _image_as_link(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = str(self.renderInlineAsText(token.children, options, env)) or src
    return (
        f'<a class="snba-link" href="{html.escape(src, quote=True)}" rel="noopener noreferrer" '
        f'target="_blank">🖼 {html.escape(alt, quote=True)}</a>'
    )


@cache
def _markdown() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image_as_link)
    return md


def render_markdown(text: str) -> str:
    """Model text (Markdown) as HTML that can hold no script, handler or dangerous link."""
    body = _markdown().render(redact(text))
    return f'<div class="snba snba-markdown">{body}</div>'


def json_html(data: Any) -> str:
    """Pretty, escaped JSON in a ``<pre>``, for results that are not tables."""
    return f'<pre class="snba-json">{escape(format_json(data))}</pre>'


# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------


def _amount_text(value: Any, currency: Any) -> str:
    if value is None or pd.isna(value):
        return MISSING
    places = currency_exponent(currency) if isinstance(currency, str) else 2
    return f"{float(value):,.{places}f}"


# Rows a table shows in a cell (HTML, and --format json likewise); the DataFrame keeps them all.
MAX_TABLE_ROWS = 50


def frame_html(frame: pd.DataFrame, *, max_rows: int = MAX_TABLE_ROWS) -> str:
    """A DataFrame as an escaped HTML table, amounts at their currency's precision.

    Shows at most ``max_rows`` rows with a note saying how many were left out.
    """
    shown = frame.head(max_rows).copy()
    amount_columns: dict[str, str] = frame.attrs.get("amount_columns", {})
    for column, currency_column in amount_columns.items():
        if column in shown.columns and currency_column in shown.columns:
            shown[column] = [
                _amount_text(value, currency)
                for value, currency in zip(shown[column], shown[currency_column], strict=True)
            ]
    amount_fields: dict[str, str] = frame.attrs.get("amount_fields", {})
    if amount_fields and list(shown.columns) == ["field", "value"]:
        shown["value"] = [
            _amount_text(value, amount_fields[field]) if field in amount_fields else value
            for field, value in zip(shown["field"], shown["value"], strict=True)
        ]
    # Labels are escaped by pandas too, but only through to_html's escape flag: build the
    # escaped labels ourselves so a hostile metadata key can never depend on that default.
    shown.columns = pd.Index([escape(column) for column in shown.columns])
    shown.index = pd.Index([escape(label) for label in shown.index])
    table = shown.to_html(
        escape=False,
        formatters=dict.fromkeys(shown.columns, _cell),
        border=0,
        classes="snba-table",
        na_rep=MISSING,
        index=not isinstance(frame.index, pd.RangeIndex),
    )
    note = ""
    if len(frame) > max_rows:
        note = f'<div class="snba-table-note">showing {max_rows} of {len(frame)} rows</div>'
    return f'<div class="snba">{table}{note}</div>'


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return MISSING
    if isinstance(value, (list, dict)):
        return escape(json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": ")))
    return escape(value)


# ---------------------------------------------------------------------------------------------
# Tool calls and metrics
# ---------------------------------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``42 ms``, ``1.25 s``, ``12.5 s``; ``–`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return MISSING
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(redact(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def arguments_text(arguments: Any, *, max_chars: int = 120) -> str:
    """Tool-call arguments as compact one-line JSON, redacted and cut to ``max_chars`` with ``…``."""
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return _one_line(arguments, max_chars)  # half-streamed or malformed: show as sent
    if arguments is None:
        arguments = {}
    text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"), default=str)
    return _one_line(text, max_chars)


def tool_status(result: ToolResult | None) -> ToolCallStatus:
    """The status a finished (or, with ``None``, still running) call is drawn with."""
    if result is None:
        return "running"
    if result.ok:
        return "ok"
    return "declined" if result.error_kind in ("declined", "policy") else "error"


def tool_call_line_text(
    name: str,
    status: ToolCallStatus,
    latency_s: float | None = None,
    error: str | None = None,
) -> str:
    """One plain-text line: ``✓ create_customer 42 ms``, ``✗ create_refund 12 ms: <reason>``."""
    name = _one_line(name, 80)
    if status == "running":
        return f"… calling {name}"
    if status == "awaiting_approval":
        return f"⏸ {name}: waiting for approval"
    parts = [_ICONS[status], name]
    if status == "declined":
        parts.append("declined")
    if latency_s is not None:
        parts.append(format_duration(latency_s))
    line = " ".join(parts)
    return f"{line}: {_one_line(error, _ERROR_CHARS)}" if error else line


def tool_call_html(
    name: str,
    status: ToolCallStatus,
    latency_s: float | None = None,
    error: str | None = None,
    arguments: Any = None,
) -> str:
    """The same line as escaped HTML, with the (truncated) arguments when given."""
    parts = [f'<span class="snba-tool-icon">{_ICONS[status]}</span>']
    if status == "running":
        parts.append("calling")
    parts.append(f'<span class="snba-tool-name">{escape(_one_line(name, 80))}</span>')
    if arguments is not None:
        parts.append(f'<span class="snba-tool-args">{escape(arguments_text(arguments))}</span>')
    if status == "awaiting_approval":
        parts.append("waiting for approval")
    if status == "declined":
        parts.append("declined")
    if latency_s is not None and status not in ("running", "awaiting_approval"):
        parts.append(f'<span class="snba-tool-latency">{format_duration(latency_s)}</span>')
    line = " ".join(parts)
    if error:
        line += f'<span class="snba-tool-error-text">: {escape(_one_line(error, _ERROR_CHARS))}</span>'
    return f'<div class="snba snba-tool snba-tool-{status}">{line}</div>'


def _metric_pairs(metrics: TurnMetrics) -> list[tuple[str, str]]:
    rate = metrics.tokens_per_second
    calls = len(metrics.tool_latencies)
    tool_time = format_duration(metrics.tool_time_s) if calls or metrics.tool_time_s > 0 else MISSING
    if calls:
        tool_time += f" ({calls} call{'s' if calls != 1 else ''})"
    pairs = [
        ("TTFT", format_duration(metrics.time_to_first_token)),
        ("tok/s", f"{rate:.1f}" if rate is not None and rate == rate else MISSING),
        ("tools", tool_time),
        ("rounds", str(metrics.rounds) if metrics.rounds > 0 else MISSING),
        ("total", format_duration(metrics.total_s) if metrics.total_s > 0 else MISSING),
    ]
    if metrics.model:
        pairs.append(("model", metrics.model))
    return pairs


def metrics_text(metrics: TurnMetrics) -> str:
    """``TTFT 412 ms · tok/s 38.2 · tools 120 ms (2 calls) · rounds 2 · total 3.05 s · model m``."""
    return " · ".join(f"{label} {value}" for label, value in _metric_pairs(metrics))


def metrics_html(metrics: TurnMetrics) -> str:
    """The same figures as escaped HTML spans."""
    spans = "".join(
        f'<span class="snba-metric"><span class="snba-metric-label">{escape(label)}</span> '
        f"{escape(value)}</span>"
        for label, value in _metric_pairs(metrics)
    )
    return f'<div class="snba snba-metrics">{spans}</div>'
