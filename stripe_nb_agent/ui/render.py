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
* :func:`markdown_text`, :func:`markdown_code` and :func:`markdown_fence` write Markdown for other
  renderers (the ``text/markdown`` output, exported transcripts), which may pass raw HTML and any
  link through: no tag, link or image from the content may become an element there.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from functools import cache
from typing import Any, Final, Literal

import pandas as pd
from markdown_it import MarkdownIt
from markdown_it.token import Token

from stripe_nb_agent.agent.events import TurnMetrics
from stripe_nb_agent.money import currency_exponent
from stripe_nb_agent.redaction import redact
from stripe_nb_agent.tables import format_json
from stripe_nb_agent.tools.types import Attachment, ToolResult
from stripe_nb_agent.ui._style import STYLE, STYLE_HTML

__all__ = [
    "ALLOWED_SCHEMES",
    "PAUSE_ICON_HTML",
    "STYLE",
    "STYLE_HTML",
    "ToolCallStatus",
    "arguments_text",
    "attachment_line",
    "attachments_html",
    "escape",
    "format_duration",
    "frame_html",
    "json_html",
    "markdown_code",
    "markdown_fence",
    "markdown_text",
    "metrics_html",
    "metrics_text",
    "plain_text",
    "progress_text",
    "render_markdown",
    "tool_call_html",
    "tool_call_line_text",
    "tool_status",
]

ALLOWED_SCHEMES: Final = ("http://", "https://", "mailto:")
MISSING: Final = "–"

# "unknown": a write was sent and its answer never came (it may have happened).
ToolCallStatus = Literal["running", "ok", "error", "awaiting_approval", "declined", "unknown"]

_ICONS: Final[dict[str, str]] = {
    "running": "…",
    "ok": "✓",
    "error": "✗",
    "awaiting_approval": "⏸",
    "declined": "⊘",
    "unknown": "⚠",
}
_ERROR_CHARS: Final = 200
# The pause glyph (U+23F8) is missing from the fonts of Debian's Chromium (an empty box there):
# HTML draws the awaiting-approval marker as an inline SVG that needs no font.
PAUSE_ICON_HTML: Final = (
    '<svg class="snba-pause" role="img" aria-label="waiting" width="0.9em" height="0.9em" '
    'viewBox="0 0 10 10" style="vertical-align:-0.1em"><rect x="1.5" y="1" width="2.5" height="8" '
    'fill="currentColor"/><rect x="6" y="1" width="2.5" height="8" fill="currentColor"/></svg>'
)


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


# The offline sandbox makes Stripe-hosted-page URLs (payment links, invoices, receipts) whose
# token starts "test_sandbox_": no such page exists, so they are shown as marked text, not links.
SANDBOX_LINK: Final = re.compile(r"^https://(?:buy|invoice|pay)\.stripe\.com/\S*\btest_sandbox_")
SANDBOX_LINK_NOTE: Final = "sandbox link: no real Stripe page"


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if SANDBOX_LINK.match(href):
        env.setdefault("sandbox_links", []).append(idx)
        return f'<span class="snba-sandbox-link" title="{html.escape(href, quote=True)}">'
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


def _link_close(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    opened = env.get("sandbox_links", [])
    # Links do not nest, so this closes the nearest link opened before it.
    start = max((i for i in range(idx) if tokens[i].type == "link_open"), default=-1)
    if start in opened:
        return f' <em class="snba-sandbox-note">({SANDBOX_LINK_NOTE})</em></span>'
    return str(self.renderToken(tokens, idx, options, env))


@cache
def _markdown() -> MarkdownIt:
    md = _SafeMarkdown("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image_as_link)
    return md


def render_markdown(text: str) -> str:
    """Model text (Markdown) as HTML that can hold no script, handler or dangerous link."""
    body = _markdown().render(redact(text))
    return f'<div class="snba snba-markdown">{body}</div>'


# Raw HTML, comments and autolinks all start with "<"; links, images and link definitions need
# "](", "![" or "]:". A backslash escape or an entity means the same in every CommonMark front end,
# so this holds whether or not the front end passes raw HTML, without having to find code spans.
_MARKDOWN_ACTIVE = re.compile(r"<|!\[|\]\(|\]:")
_MARKDOWN_INERT = {"<": "&lt;", "![": "!\\[", "](": "]\\(", "]:": "]\\:"}
_BACKTICKS = re.compile(r"`+")


_TABLE_RULE: Final = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_EMPHASIS: Final = re.compile(r"(\*\*|__)(.+?)\1")
_LINK: Final = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
_HEADING: Final = re.compile(r"^#{1,6}\s+")


def plain_text(markdown: str) -> str:
    """Markdown as readable plain text: pipe tables become aligned columns, no ``**``, ``#`` or
    link syntax (a link keeps its address in brackets). For ``--format text`` and ``text/plain``."""
    out: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            widths = [max(len(row[i]) if i < len(row) else 0 for row in table) for i in range(len(table[0]))]
            for row in table:
                out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
            table.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            if not _TABLE_RULE.match(stripped):
                table.append([_inline_plain(c.strip()) for c in stripped[1:-1].split("|")])
            continue
        flush()
        out.append(_inline_plain(_HEADING.sub("", line)))
    flush()
    return "\n".join(out)


def _inline_plain(text: str) -> str:
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} <{m.group(2)}>",
                     text)  # fmt: skip
    return _EMPHASIS.sub(r"\2", text).replace("`", "")


def markdown_text(text: object) -> str:
    """Model or user text as Markdown that keeps its formatting but holds no tag, link or image.

    The price of not parsing: a ``<`` inside the text's own code shows as ``&lt;`` there.
    """
    return _MARKDOWN_ACTIVE.sub(lambda m: _MARKDOWN_INERT[m.group(0)], redact(str(text)))


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def markdown_code(text: object) -> str:
    """Text as one inline code span, on one line, that no backtick inside it can close early."""
    flat = " ".join(redact(str(text)).split()) or " "
    ticks = "`" * (_longest_backtick_run(flat) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def markdown_fence(body: object, info: str = "") -> str:
    """A fenced code block around ``body``, its fence longer than any backtick run inside it."""
    text = redact(str(body)).rstrip("\n")
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}{info}\n{text}\n{fence}"


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


def _display_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Without the ``*_minor`` twins of amounts the table already shows (the DataFrame keeps them)."""
    if list(frame.columns) == ["field", "value"]:
        fields = set(map(str, frame["field"]))
        return frame[[not _is_twin(field, fields) for field in frame["field"]]]
    columns = set(map(str, frame.columns))
    twins = [column for column in frame.columns if _is_twin(column, columns)]
    return frame.drop(columns=twins) if twins else frame


def _is_twin(name: Any, names: set[str]) -> bool:
    text = str(name)
    return text.endswith("_minor") and text.removesuffix("_minor") in names


def frame_html(frame: pd.DataFrame, *, max_rows: int = MAX_TABLE_ROWS) -> str:
    """A DataFrame as an escaped HTML table, amounts at their currency's precision.

    Shows at most ``max_rows`` rows with a note saying how many were left out. Amounts' ``*_minor``
    twins are left out of the display, and a list of objects (an invoice's ``lines``) is summarised
    as a count ("3 lines"): the DataFrame itself keeps both.
    """
    shown = _display_columns(frame).head(max_rows).copy()
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
    shown.index = pd.Index([escape(label) for label in shown.index])
    nouns = [str(column).rpartition(".")[2] for column in shown.columns]
    shown.columns = pd.Index([escape(column) for column in shown.columns])
    table = shown.to_html(
        escape=False,
        formatters={column: _cell_formatter(noun) for column, noun in zip(shown.columns, nouns, strict=True)},
        border=0,
        classes="snba-table",
        na_rep=MISSING,
        index=not isinstance(frame.index, pd.RangeIndex),
    )
    note = ""
    if len(frame) > max_rows:
        note = f'<div class="snba-table-note">showing {max_rows} of {len(frame)} rows</div>'
    return f'<div class="snba">{table}{note}</div>'


def _cell_formatter(noun: str) -> Any:
    return lambda value: _cell(value, noun)


def _cell(value: Any, noun: str = "items") -> str:
    if value is None or (not isinstance(value, (list, dict, tuple)) and pd.isna(value)):
        return MISSING
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        # Nested rows (invoice lines, subscription items) would make each row a page tall.
        noun = noun if noun not in ("value", "data") else "items"
        return escape(f"{len(value)} {noun.rstrip('s') if len(value) == 1 else noun}")
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
    if result.error_kind == "outcome_unknown":
        return "unknown"
    return "declined" if result.error_kind in ("declined", "policy") else "error"


def progress_text(progress: float, total: float | None, message: str | None) -> str:
    """``40%``, ``3/10``, ``12 so far`` (total unknown), then the server's message if any."""
    if total:
        share = progress / total
        figure = f"{progress:g}/{total:g}" if total <= 100 and float(total).is_integer() else f"{share:.0%}"
    else:
        figure = f"{progress:g} so far"
    return f"{figure}: {_one_line(message, 80)}" if message else figure


def tool_call_line_text(
    name: str,
    status: ToolCallStatus,
    latency_s: float | None = None,
    error: str | None = None,
    progress: str = "",
) -> str:
    """One plain-text line: ``✓ create_customer 42 ms``, ``✗ create_refund 12 ms: <reason>``,
    ``⚠ create_refund outcome unknown 30.0 s: <what to check>``."""
    name = _one_line(name, 80)
    if status == "running":
        return f"… calling {name}" + (f" ({progress})" if progress else "")
    if status == "awaiting_approval":
        return f"⏸ {name}: waiting for approval"
    parts = [_ICONS[status], name]
    if status == "declined":
        parts.append("declined")
    if status == "unknown":
        parts.append("outcome unknown")
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
    progress: str = "",
) -> str:
    """The same line as escaped HTML, with the (truncated) arguments when given."""
    icon = PAUSE_ICON_HTML if status == "awaiting_approval" else _ICONS[status]
    parts = [f'<span class="snba-tool-icon">{icon}</span>']
    if status == "running":
        parts.append("calling")
    parts.append(f'<span class="snba-tool-name">{escape(_one_line(name, 80))}</span>')
    if arguments is not None:
        parts.append(f'<span class="snba-tool-args">{escape(arguments_text(arguments))}</span>')
    if progress and status == "running":
        parts.append(f'<span class="snba-tool-progress">{escape(progress)}</span>')
    if status == "awaiting_approval":
        parts.append("waiting for approval")
    if status == "declined":
        parts.append("declined")
    if status == "unknown":
        parts.append("outcome unknown")
    if latency_s is not None and status not in ("running", "awaiting_approval"):
        parts.append(f'<span class="snba-tool-latency">{format_duration(latency_s)}</span>')
    line = " ".join(parts)
    if error:
        line += f'<span class="snba-tool-error-text">: {escape(_one_line(error, _ERROR_CHARS))}</span>'
    return f'<div class="snba snba-tool snba-tool-{status}">{line}</div>'


# Images a browser draws without running anything (SVG can carry script: listed, never drawn).
_IMAGE_TYPES: Final = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_BASE64: Final = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
MAX_IMAGE_BYTES: Final = 5_000_000


def _drawable(attachment: Attachment) -> bool:
    data = attachment.data
    return (
        attachment.type == "image"
        and attachment.mime_type in _IMAGE_TYPES
        and data is not None
        and (attachment.size or 0) <= MAX_IMAGE_BYTES
        and _BASE64.match(data.replace("\n", "")) is not None
    )


def attachment_line(attachment: Attachment) -> str:
    """``image (image/png, 1,204 bytes)``, ``link: report <https://…>``: one plain-text line."""
    if attachment.type == "resource_link":
        label = f"{attachment.name} " if attachment.name else ""
        return _one_line(f"link: {label}<{attachment.uri}>", 200)
    details = ", ".join(
        p
        for p in (attachment.mime_type, f"{attachment.size:,} bytes" if attachment.size is not None else "")
        if p
    )
    where = f" {attachment.uri}" if attachment.uri else ""
    return _one_line(f"{attachment.type} ({details}){where}", 200)


def attachments_html(attachments: Sequence[Attachment]) -> str:
    """Images drawn from their data (data: URIs only, never a remote fetch), links and blobs listed."""
    if not attachments:
        return ""
    parts: list[str] = []
    for a in attachments:
        if _drawable(a):
            parts.append(
                f'<img class="snba-image" alt="{escape(attachment_line(a))}" '
                f'src="data:{a.mime_type};base64,{a.data}">'  # validated base64 and type: nothing to escape
            )
        elif a.type == "resource_link" and (a.uri or "").lower().startswith(("http://", "https://")):
            parts.append(
                f'<div class="snba-link">🔗 <a href="{escape(a.uri)}" rel="noopener noreferrer" '
                f'target="_blank">{escape(a.name or a.uri)}</a></div>'
            )
        else:
            parts.append(f'<div class="snba-link">{escape(attachment_line(a))}</div>')
    return f'<div class="snba snba-attachments">{"".join(parts)}</div>'


def _metric_pairs(metrics: TurnMetrics) -> list[tuple[str, str]]:
    rate = metrics.tokens_per_second
    calls = len(metrics.tool_latencies)
    tool_time = format_duration(metrics.tool_time_s) if calls or metrics.tool_time_s > 0 else MISSING
    if calls:
        tool_time += f" ({calls} call{'s' if calls != 1 else ''})"
    pairs = [
        ("TTFT", format_duration(metrics.time_to_first_token)),
        ("tok/s", _rate_text(rate, metrics.model)),
        ("tools", tool_time),
        ("rounds", str(metrics.rounds) if metrics.rounds > 0 else MISSING),
        ("total", format_duration(metrics.total_s) if metrics.total_s > 0 else MISSING),
    ]
    if metrics.model:
        pairs.append(("model", metrics.model))
    return pairs


def _rate_text(rate: float | None, model: str) -> str:
    if rate is None or rate != rate:
        return MISSING
    # The sandbox paces its stream to look like a network model: its rate measures nothing.
    return f"{rate:.1f} (simulated)" if model.startswith("sandbox") else f"{rate:.1f}"


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
