"""The magic's live progress: one transient display, redrawn as events arrive, cleared at the end.

nbval compares the outputs a cell *published* with the saved ones and does not replay
``update_display_data``, while a saved notebook keeps each display's *last* content. So the live
display starts empty and ends empty: whatever it showed in between never reaches a comparison,
and the cell's stable output is what the magic publishes after it (the result, or the table of
held calls). It is not removed with ``clear_output``: nbval does not process that message, so a
fresh run would count one output more than the saved notebook. "Empty" is an empty HTML bundle,
which front ends render as nothing at all (an empty ``text/plain`` would leave an empty box).
Redraws go through :class:`Throttle` without a trailing timer: display calls must come from the
cell's own thread, where the kernel routes them to the right output area.
"""

from __future__ import annotations

import time
from typing import Any

from IPython.display import DisplayHandle, display

from stripe_nb_agent.agent.events import AgentEvent, RoundFinished
from stripe_nb_agent.ui.render import (
    PAUSE_ICON_HTML,
    STYLE_HTML,
    arguments_text,
    escape,
    render_markdown,
    tool_call_html,
    tool_call_line_text,
)
from stripe_nb_agent.ui.state import ReplyState
from stripe_nb_agent.ui.throttle import DEFAULT_INTERVAL, Throttle

__all__ = ["LiveCell", "held_bundle", "live_bundle", "progress_bundle"]

_EMPTY: dict[str, Any] = {"text/html": "", "text/plain": ""}


class LiveCell:
    """Draws a :class:`ReplyState` into a display handle while a turn streams."""

    def __init__(
        self,
        state: ReplyState,
        *,
        show_reasoning: bool = False,
        enabled: bool = True,
        brief: bool = False,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.state = state
        self.show_reasoning = show_reasoning
        self.enabled = enabled
        # --quiet: one progress line instead of the reply, so a long turn is never silent.
        self.brief = brief
        self.rounds = 0
        self._started = time.monotonic()
        self._handle: DisplayHandle | None = None
        self._throttle = Throttle(self._draw, interval=interval, trailing=False)
        self.updates = 0

    def open(self) -> None:
        if self.enabled and self._handle is None:
            self._handle = display(_EMPTY, raw=True, display_id=True)  # type: ignore[no-untyped-call]

    def apply(self, event: AgentEvent) -> None:
        change = self.state.apply(event)
        if isinstance(event, RoundFinished):
            self.rounds += 1
        if not self.enabled:
            return
        if change in ("text", "reasoning"):
            self._throttle.poke()
        elif change == "structure":
            self._throttle.flush()

    def close(self) -> None:
        """Remove the live display (see the module docstring for why it must not stay)."""
        self._throttle.close(final_flush=False)
        if self._handle is not None:
            self._handle.update(_EMPTY, raw=True)  # type: ignore[no-untyped-call]
            self._handle = None

    def _draw(self) -> None:
        if self._handle is None:
            return
        self.updates += 1
        if self.brief:
            bundle = progress_bundle(self.state, time.monotonic() - self._started, self.rounds)
        else:
            bundle = live_bundle(self.state, show_reasoning=self.show_reasoning)
        self._handle.update(bundle, raw=True)  # type: ignore[no-untyped-call]


def live_bundle(state: ReplyState, *, show_reasoning: bool = False) -> dict[str, Any]:
    """Text so far, then a line per tool call (running, awaiting approval, done with latency)."""
    calls = list(state.calls.values())
    lines = [
        tool_call_line_text(
            c.name,
            c.status,
            c.latency_s,
            c.result.error if c.result is not None and not c.result.ok else None,
            c.progress,
        )
        for c in calls
    ]
    plain_parts = []
    if show_reasoning and state.reasoning:
        plain_parts.append("thinking: " + state.reasoning)
    plain_parts += lines
    if state.text:
        plain_parts.append(state.text)
    if not plain_parts:
        plain_parts.append("… thinking")
    html = [STYLE_HTML]
    if show_reasoning and state.reasoning:
        html.append(
            '<details class="snba snba-thinking" open><summary>thinking</summary>'
            f"{render_markdown(state.reasoning)}</details>"
        )
    html += [
        tool_call_html(
            c.name,
            c.status,
            c.latency_s,
            c.result.error if c.result is not None and not c.result.ok else None,
            c.arguments,
            c.progress,
        )
        for c in calls
    ]
    if state.text:
        html.append(render_markdown(state.text))
    elif not calls:
        html.append('<div class="snba"><em>… thinking</em></div>')
    return {"text/plain": "\n".join(plain_parts), "text/html": "".join(html)}


def progress_bundle(state: ReplyState, elapsed_s: float, rounds: int) -> dict[str, Any]:
    """``… working 12 s · round 3 · 4 tool calls``: what ``--quiet`` shows while a turn runs."""
    calls = len(state.calls)
    line = f"… working {elapsed_s:.0f} s · round {rounds + 1} · {calls} tool call{'s' if calls != 1 else ''}"
    return {"text/plain": line, "text/html": f'<div class="snba snba-tool">{escape(line)}</div>'}


def held_bundle(state: ReplyState) -> dict[str, Any]:
    """The calls waiting for approval, numbered, with the exact line to run for each."""
    held = state.awaiting
    rows_text = []
    rows_html = []
    for number, call in enumerate(held, start=1):
        args = arguments_text(call.arguments)
        # The preview in words first: it is what a person checks; the exact JSON follows.
        rows_text.append(
            f"  {number}. {call.preview or call.name}\n"
            f"     {call.name} {args}\n"
            f"     %stripe_agent approve {number}    %stripe_agent decline {number}"
        )
        rows_html.append(
            f'<tr><td>{number}</td><td><span class="snba-tool-preview">{escape(call.preview)}</span>'
            f"<br>{escape(call.name)} <code>{escape(args)}</code></td>"
            f"<td><code>%stripe_agent approve {number}</code></td>"
            f"<td><code>%stripe_agent decline {number}</code></td></tr>"
        )
    words = f"{len(held)} write call{'s' if len(held) != 1 else ''} waiting for your approval:"
    head = f"⏸ {words}"
    every = "%stripe_agent approve all    or    %stripe_agent decline all"
    done_lines = [
        tool_call_line_text(c.name, c.status, None, c.result.error if c.result and not c.result.ok else None)
        for c in state.calls.values()
        if c.status not in ("awaiting_approval",)
    ]
    plain = [state.text] if state.text else []
    plain += done_lines
    plain += [head, *rows_text, f"  all: {every}"]
    html = [STYLE_HTML]
    if state.text:
        html.append(render_markdown(state.text))
    html += [
        tool_call_html(c.name, c.status, None, c.result.error if c.result and not c.result.ok else None)
        for c in state.calls.values()
        if c.status != "awaiting_approval"
    ]
    html.append(
        f'<div class="snba snba-warning">{PAUSE_ICON_HTML} {escape(words)}</div>'
        '<div class="snba"><table class="snba-table"><thead><tr><th>#</th><th>what will happen</th>'
        "<th>approve</th><th>decline</th></tr></thead>"
        f"<tbody>{''.join(rows_html)}</tbody></table>"
        f"<div>all: <code>%stripe_agent approve all</code> or <code>%stripe_agent decline all</code>"
        "</div></div>"
    )
    return {"text/plain": "\n".join(plain), "text/html": "".join(html)}
