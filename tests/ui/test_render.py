"""Safe rendering: hostile model and tool strings never become executable HTML, and stay visible."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pandas as pd
import pytest

from stripe_nb_agent.agent.events import TurnMetrics
from stripe_nb_agent.tables import to_frame
from stripe_nb_agent.tools.types import ToolResult
from stripe_nb_agent.ui.render import (
    STYLE,
    STYLE_HTML,
    arguments_text,
    escape,
    format_duration,
    frame_html,
    json_html,
    metrics_html,
    metrics_text,
    plain_text,
    render_markdown,
    tool_call_html,
    tool_call_line_text,
    tool_status,
)

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    '![x](x" onerror="alert(1))',
    '![x" onerror="alert(1)](https://example.com/cat.png)',
    "![x](javascript:alert(1))",
    '<div onmouseover="alert(1)">raw block</div>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">click</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<svg/onload=alert(1)>",
    "| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [y](javascript:alert(1)) |",
    '[ok](https://example.com "title" onclick="alert(1)")',
]


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the HTML, and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


def assert_inert(markup: str) -> _Elements:
    parsed = parse(markup)
    for tag, attrs in parsed.elements:
        assert tag not in {"script", "img", "iframe", "svg", "object", "embed", "style", "form"}, markup
        for name, value in attrs.items():
            assert not name.startswith("on"), markup
            if name in {"href", "src", "action", "formaction"}:
                assert (value or "").lower().startswith(("http://", "https://", "mailto:")), markup
    return parsed


def visible_text(markup: str) -> str:
    return "".join(parse(markup).text)


# --- markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_markdown_yields_no_executable_element_or_attribute(text: str) -> None:
    assert_inert(render_markdown(text))


def test_raw_html_stays_visible_as_text() -> None:
    out = render_markdown("Customer <img src=x onerror=alert(1)> and <script>alert(1)</script>")
    assert "<img src=x onerror=alert(1)>" in visible_text(out)
    assert "<script>alert(1)</script>" in visible_text(out)


def test_javascript_link_is_rendered_as_text_not_a_link() -> None:
    out = render_markdown("[x](javascript:alert(1))")
    assert not [tag for tag, _ in parse(out).elements if tag == "a"]
    assert "[x](javascript:alert(1))" in visible_text(out)


def test_relative_and_anchor_links_are_not_links() -> None:
    for text in ("[x](/api/contents)", "[x](#top)", "[x](ftp://example.com/f)"):
        assert not [tag for tag, _ in parse(render_markdown(text)).elements if tag == "a"]


def test_safe_links_open_in_a_new_tab_without_opener() -> None:
    out = render_markdown("See [the docs](https://docs.stripe.com) or mail [us](mailto:a@b.co).")
    links = [attrs for tag, attrs in assert_inert(out).elements if tag == "a"]
    assert [link["href"] for link in links] == ["https://docs.stripe.com", "mailto:a@b.co"]
    for link in links:
        assert link["rel"] == "noopener noreferrer"
        assert link["target"] == "_blank"


def test_autolinks_are_links_but_bare_urls_are_not_linkified() -> None:
    out = render_markdown("<https://example.com> and https://plain.example.com")
    hrefs = [attrs["href"] for tag, attrs in parse(out).elements if tag == "a"]
    assert hrefs == ["https://example.com"]


def test_images_become_links_to_the_image() -> None:
    out = render_markdown('![chart <b>"q"</b>](https://example.com/chart.png)')
    parsed = assert_inert(out)
    links = [attrs for tag, attrs in parsed.elements if tag == "a"]
    assert [link["href"] for link in links] == ["https://example.com/chart.png"]
    assert visible_text(out).strip() == '🖼 chart <b>"q"</b>'


def test_entities_are_shown_not_interpreted_twice() -> None:
    out = render_markdown("&lt;script&gt; &amp; AT&T")
    assert visible_text(out).strip() == "<script> & AT&T"
    assert_inert(out)


def test_gfm_tables_render_as_tables() -> None:
    out = render_markdown("| id | amount |\n|---|---:|\n| cus_1 | 50.00 |")
    tags = [tag for tag, _ in assert_inert(out).elements]
    assert {"table", "th", "td"} <= set(tags)
    assert "cus_1" in visible_text(out)


def test_code_blocks_keep_html_as_text() -> None:
    out = render_markdown("```html\n<script>alert(1)</script>\n```")
    assert_inert(out)
    assert "<script>alert(1)</script>" in visible_text(out)


def test_markdown_masks_stripe_keys() -> None:
    out = render_markdown("your key is sk_test_51Habcdefghijklmnopqrstuvwxyz")
    assert "abcdefghijklmnop" not in out
    assert "sk_test_…wxyz" in visible_text(out)


# --- escape, json, frames ---------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_makes_any_string_plain_text(text: str) -> None:
    out = f'<span title="{escape(text)}">{escape(text)}</span>'
    parsed = assert_inert(out)
    assert parsed.elements == [("span", {"title": text})]
    assert visible_text(out) == text


def test_json_html_is_escaped_pretty_json_in_a_pre() -> None:
    data = {"name": "<script>alert(1)</script>", "n": 1}
    out = json_html(data)
    parsed = assert_inert(out)
    assert [tag for tag, _ in parsed.elements] == ["pre"]
    assert json.loads(visible_text(out)) == data


def test_frame_html_escapes_cells_columns_and_index() -> None:
    frame = pd.DataFrame(
        {"<img src=x onerror=alert(1)>": ["<script>alert(1)</script>"], "ok": ["javascript:alert(1)"]},
        index=pd.Index(["<svg/onload=alert(1)>"]),
    )
    out = frame_html(frame)
    assert_inert(out)
    text = visible_text(out)
    for hostile in ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "<svg/onload=alert(1)>"):
        assert hostile in text


def test_frame_html_of_a_hostile_customer_list() -> None:
    customers = [
        {
            "id": "cus_1",
            "object": "customer",
            "name": "<img src=x onerror=alert(1)>",
            "email": "a@b.co",
            "metadata": {'"><script>': "<b>x</b>"},
            "tags": ["<i>", {"k": "<u>"}],
        }
    ]
    frame = to_frame(customers)
    assert frame is not None
    out = frame_html(frame)
    assert_inert(out)
    assert "<img src=x onerror=alert(1)>" in visible_text(out)
    assert 'metadata."><script>' in visible_text(out)


def test_frame_html_prints_amounts_at_their_currency_precision() -> None:
    frame = to_frame(
        [
            {"id": "pi_1", "amount": 5000, "currency": "usd"},
            {"id": "pi_2", "amount": 5000, "currency": "jpy"},
            {"id": "pi_3", "amount": 123456789, "currency": "eur"},
            {"id": "pi_4", "amount": 5120, "currency": "kwd"},
        ]
    )
    assert frame is not None
    body_rows = frame_html(frame).split("<tr>")[1:]
    cells = [row.split("</td>")[1].split(">")[-1] for row in body_rows]
    assert cells == ["50.00", "5,000", "1,234,567.89", "5.120"]


def test_frame_html_formats_amounts_in_field_value_tables() -> None:
    wide = {"id": "pi_1", "amount": 1999, "currency": "usd", **{f"f{i}": i for i in range(15)}}
    frame = to_frame(wide)
    assert frame is not None
    assert list(frame.columns) == ["field", "value"]
    assert "<td>19.99</td>" in frame_html(frame)


def test_frame_html_says_how_many_rows_were_left_out() -> None:
    frame = pd.DataFrame({"id": [f"cus_{i}" for i in range(120)]})
    out = frame_html(frame, max_rows=50)
    assert out.count("<tr") == 51  # header + 50 rows
    assert "showing 50 of 120 rows" in visible_text(out)


def test_frame_html_of_an_empty_frame() -> None:
    assert "snba-table" in frame_html(pd.DataFrame())


# --- tool lines and metrics -----------------------------------------------------------------


def test_tool_call_lines_read_as_the_spec_says() -> None:
    assert tool_call_line_text("create_customer", "ok", 0.042) == "✓ create_customer 42 ms"
    assert (
        tool_call_line_text("create_refund", "error", 0.012, "No such charge: 'ch_x'")
        == "✗ create_refund 12 ms: No such charge: 'ch_x'"
    )
    assert tool_call_line_text("create_customer", "running") == "… calling create_customer"
    assert (
        tool_call_line_text("create_refund", "awaiting_approval") == "⏸ create_refund: waiting for approval"
    )
    assert tool_call_line_text("create_refund", "declined") == "⊘ create_refund declined"


def test_tool_error_reasons_are_one_line_truncated_and_redacted() -> None:
    reason = "Invalid API key sk_test_51Habcdefghijklmnop\n" + "x" * 500
    line = tool_call_line_text("list_customers", "error", 1.5, reason)
    assert "\n" not in line
    assert "abcdefghijkl" not in line
    assert line.startswith("✗ list_customers 1.50 s: Invalid API key sk_test_…mnop x")
    assert line.endswith("…")
    assert len(line) < 260


def test_tool_call_html_escapes_name_error_and_arguments() -> None:
    out = tool_call_html(
        "<script>alert(1)</script>",
        "error",
        0.012,
        "<img src=x onerror=alert(1)>",
        {"name": "<svg/onload=alert(1)>"},
    )
    parsed = assert_inert(out)
    assert parsed.elements[0] == ("div", {"class": "snba snba-tool snba-tool-error"})
    text = visible_text(out)
    assert "<script>alert(1)</script>" in text
    assert ": <img src=x onerror=alert(1)>" in text
    assert '{"name":"<svg/onload=alert(1)>"}' in text
    assert "12 ms" in text


def test_tool_status_follows_the_result() -> None:
    assert tool_status(None) == "running"
    assert tool_status(ToolResult(tool="t", ok=True)) == "ok"
    assert tool_status(ToolResult(tool="t", ok=False, error="x", error_kind="server")) == "error"
    assert tool_status(ToolResult(tool="t", ok=False, error="no", error_kind="declined")) == "declined"


def test_arguments_text_is_compact_json_from_dicts_and_strings() -> None:
    assert arguments_text({"email": "a@b.co", "limit": 3}) == '{"email":"a@b.co","limit":3}'
    assert arguments_text('{"email": "a@b.co",\n "limit": 3}') == '{"email":"a@b.co","limit":3}'
    assert arguments_text("") == "{}"
    assert arguments_text(None) == "{}"
    assert arguments_text('{"email": "a@b.co", "lim') == '{"email": "a@b.co", "lim'


def test_arguments_text_truncates_with_an_ellipsis() -> None:
    text = arguments_text({"description": "é" * 500}, max_chars=40)
    assert len(text) == 40
    assert text.endswith("…")
    assert text.startswith('{"description":"éé')


def test_metrics_text_shows_every_figure() -> None:
    metrics = TurnMetrics(
        model="gpt-120-oss",
        rounds=2,
        time_to_first_token=0.412,
        tokens_per_second=38.21,
        completion_tokens=120,
        tool_time_s=0.12,
        tool_latencies=(("create_customer", 0.1), ("list_customers", 0.02)),
        total_s=3.05,
    )
    assert metrics_text(metrics) == (
        "TTFT 412 ms · tok/s 38.2 · tools 120 ms (2 calls) · rounds 2 · total 3.05 s · model gpt-120-oss"
    )


def test_missing_metrics_are_dashes() -> None:
    assert metrics_text(TurnMetrics()) == "TTFT – · tok/s – · tools – · rounds – · total –"


def test_metrics_html_escapes_the_model_name() -> None:
    out = metrics_html(TurnMetrics(model="<img src=x onerror=alert(1)>", rounds=1, total_s=0.5))
    assert_inert(out)
    assert "model <img src=x onerror=alert(1)>" in visible_text(out)
    assert "rounds 1" in visible_text(out)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (0.0421, "42 ms"), (0.9994, "999 ms"), (1.254, "1.25 s"), (12.34, "12.3 s")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


# --- style ----------------------------------------------------------------------------------


def test_style_uses_jupyterlab_variables_with_fallbacks_and_prefixed_classes() -> None:
    for variable in (
        "--jp-ui-font-color1",
        "--jp-layout-color1",
        "--jp-layout-color2",
        "--jp-border-color2",
        "--jp-brand-color1",
        "--jp-error-color1",
        "--jp-success-color1",
        "--jp-warn-color1",
        "--jp-code-font-family",
    ):
        assert f"var({variable}, " in STYLE
    selectors = [
        line.split("{")[0] for line in STYLE.splitlines() if "{" in line and not line.startswith(" ")
    ]
    for selector in selectors:
        for part in selector.split(","):
            assert part.strip().startswith(".snba"), part
    assert f"<style>{STYLE}</style>" == STYLE_HTML


# --- tamed tables and plain text ----------------------------------------------------------------


def invoice(n: int, lines: int) -> dict[str, object]:
    rows = [{"id": f"il_{n}_{i}", "object": "line_item", "amount": 500} for i in range(lines)]
    return {"id": f"in_{n}", "object": "invoice", "amount_due": 1500, "currency": "usd",
            "lines": {"object": "list", "data": rows}}  # fmt: skip


def test_frame_html_hides_minor_twins_and_counts_nested_rows_the_frame_keeps_both() -> None:
    frame = to_frame([invoice(1, 3), invoice(2, 1)])
    assert frame is not None
    assert "amount_due_minor" in frame.columns
    html = frame_html(frame)
    assert "amount_due_minor" not in html
    assert "3 lines" in html
    assert "1 line<" in html
    assert "il_1_0" not in html


def test_frame_html_hides_minor_twins_in_field_value_tables_too() -> None:
    wide = {f"field_{i}": i for i in range(WIDE)} | {"id": "pi_1", "amount": 500, "currency": "usd"}
    frame = to_frame(wide)
    assert frame is not None
    assert "amount_minor" in set(frame["field"])
    assert "amount_minor" not in frame_html(frame)


WIDE = 14


def test_plain_text_turns_markdown_tables_and_emphasis_into_readable_text() -> None:
    text = plain_text(
        "## Customers\n\n**3** customers:\n\n| name | email |\n|---|:---:|\n"
        "| Ada | ada@example.com |\n| Grace Hopper | `grace@example.com` |\n\nSee [docs](https://x.test)."
    )
    assert "|" not in text
    assert "**" not in text
    assert "`" not in text
    assert "#" not in text
    assert "name          email" in text
    assert "Grace Hopper  grace@example.com" in text
    assert "docs <https://x.test>" in text


def test_the_awaiting_approval_marker_is_an_inline_svg_not_a_font_glyph() -> None:
    html = tool_call_html("create_refund", "awaiting_approval")
    assert "⏸" not in html
    assert "<svg" in html
    assert "waiting for approval" in html


def test_sandbox_links_are_marked_text_and_real_stripe_links_stay_links() -> None:
    html = render_markdown(
        "[Pay here](https://buy.stripe.com/test_sandbox_abc123) or [real](https://buy.stripe.com/test_abc123)"
    )
    assert '<a href="https://buy.stripe.com/test_sandbox_abc123"' not in html
    assert "Pay here" in html
    assert "sandbox link: no real Stripe page" in html
    assert '<a href="https://buy.stripe.com/test_abc123"' in html
    assert html.count("sandbox link") == 1


def test_the_sandbox_models_rates_are_labelled_simulated() -> None:
    assert "tok/s 60.0 (simulated)" in metrics_text(TurnMetrics(model="sandbox", tokens_per_second=60.0))
    assert "tok/s 60.0 ·" in metrics_text(TurnMetrics(model="dat1/gpt-120-oss", tokens_per_second=60.0))
