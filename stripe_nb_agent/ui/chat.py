"""The chat widget: stock ipywidgets composed around the shared Agent.

    import stripe_nb_agent
    chat = stripe_nb_agent.chat()      # same Agent and conversation as %%stripe_agent
    chat                               # display it
    chat.send("list my last 3 customers"); chat.wait(30)

Each turn is read on its own daemon thread, off the kernel's shell thread, so Stop, Approve and
Decline clicks (comm messages the shell thread handles) are processed while a reply streams.
Every redraw goes through one :class:`Throttle`: text, tool cards and the status line are drawn
together at its ticks, and it spaces the ticks by the number of widget updates each one sent, so
the whole widget stays within ~14 front-end updates a second; the last redraw is drawn as soon as
the turn ends. Every string from the
model or a tool goes through :mod:`render` (escaped, raw HTML off, links sanitised, redacted).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from stripe_nb_agent.agent.agent import Agent, RunningTurn
from stripe_nb_agent.agent.events import AgentEvent, ToolCallAwaitingApproval, TurnResult
from stripe_nb_agent.errors import StripeNbAgentError
from stripe_nb_agent.tables import result_table
from stripe_nb_agent.tools.types import POLICIES, Policy
from stripe_nb_agent.ui.kernel_agent import get_agent
from stripe_nb_agent.ui.render import (
    STYLE_HTML,
    attachments_html,
    escape,
    frame_html,
    json_html,
    metrics_html,
    render_markdown,
    tool_call_html,
)
from stripe_nb_agent.ui.state import ReplyState, ToolCallView
from stripe_nb_agent.ui.throttle import Throttle
from stripe_nb_agent.ui.transcript import export_transcript, transcript_markdown

__all__ = ["UPDATE_INTERVAL", "ChatWidget", "ToolCard"]

UPDATE_INTERVAL = 1 / 14
"""Seconds of throttle budget per front-end update: 14 a second while a reply streams leaves room
under 20 a second for the burst at its end (the final text, the footer, the status, the buttons)."""


class ToolCard(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """One tool call: name, arguments, status, latency, result; Approve/Decline while held."""

    def __init__(self, view: ToolCallView) -> None:
        self.view = view
        self.line = widgets.HTML()
        self.approve_button = widgets.Button(description="Approve", button_style="success", icon="check")
        self.decline_button = widgets.Button(description="Decline", button_style="danger", icon="times")
        self.approve_button.on_click(lambda _: self.decide("approve"))
        self.decline_button.on_click(lambda _: self.decide("decline"))
        self.buttons = widgets.HBox([self.approve_button, self.decline_button])
        super().__init__([self.line])
        self.add_class("snba-card")
        self.refresh()

    def decide(self, decision: str) -> None:
        """What the buttons do: approve or decline the held call (thread-safe in the agent)."""
        approval = self.view.approval
        if approval is None or approval.decision is not None:
            return
        # Drawn before the agent hears of it: once approved, the call can run and its result set
        # the card's final status (on the loop's side) before a line after this one would run,
        # and "running" must never overwrite "ok" (a browser test caught a done card shown as
        # "… calling").
        self.view.status = "running" if decision == "approve" else "declined"
        self.refresh()
        getattr(approval, decision)()

    def refresh(self) -> int:
        """Redraw from the view; the number of front-end updates that took (0 when unchanged)."""
        view = self.view
        result = view.result
        html = tool_call_html(
            view.name,
            view.status,
            view.latency_s,
            result.error if result is not None and not result.ok else None,
            view.arguments,
            view.progress,
        )
        if view.preview:
            # What a held write does, in words, above the exact call.
            html = f'<div class="snba snba-tool-preview">{escape(view.preview)}</div>' + html
        if result is not None and result.ok:
            frame = result_table(result)
            body = frame_html(frame) if frame is not None else json_html(result.data)
            html += f'<details class="snba"><summary>result</summary>{body}</details>'
        if result is not None:
            html += attachments_html(result.attachments)
        held = view.status == "awaiting_approval" and view.approval is not None
        children = (self.line, self.buttons) if held else (self.line,)
        sent = 0
        if self.line.value != html:
            self.line.value = html
            sent += 1
        if tuple(self.children) != children:  # type: ignore[has-type]
            self.children = children
            sent += 1
        return sent


class _Reply:
    """The widgets of one exchange: the request, thinking, tool cards, the answer, the footer."""

    def __init__(self, prompt: str) -> None:
        self.state = ReplyState(prompt=prompt)
        self.request = widgets.HTML(
            f'<div class="snba snba-request"><strong>You</strong>: {escape(prompt)}</div>'
        )
        self.thinking = widgets.HTML()
        self.tools: widgets.VBox = widgets.VBox()
        self.answer = widgets.HTML()
        self.footer = widgets.HTML()
        # Never shrunk to fit the feed's fixed height: flex children would overlap, and a card's
        # buttons would sit under the next reply (the feed scrolls instead).
        self.box = widgets.VBox(
            [self.request, self.thinking, self.tools, self.answer, self.footer],
            layout=widgets.Layout(flex="0 0 auto"),
        )
        self.cards: dict[str, ToolCard] = {}
        # The status line the latest event asks for (text, level), drawn at the next tick.
        self.status: tuple[str, str] | None = None
        self._drawn_text: str | None = None
        self._drawn_reasoning: str | None = None

    def draw_text(self) -> int:
        """Markdown is rendered here, at the throttle's ticks and once at the end; returns the
        number of widgets redrawn."""
        state = self.state
        sent = 0
        if state.reasoning != self._drawn_reasoning:
            sent += 1
            self._drawn_reasoning = state.reasoning
            self.thinking.value = (
                '<details class="snba snba-thinking"><summary>thinking</summary>'
                f"{render_markdown(state.reasoning)}</details>"
                if state.reasoning
                else ""
            )
        if state.text != self._drawn_text:
            sent += 1
            self._drawn_text = state.text
            self.answer.value = render_markdown(state.text) if state.text else ""
        return sent

    def draw_calls(self) -> int:
        """New cards and changed ones; returns the number of front-end updates sent."""
        sent = 0
        for call_id, view in self.state.calls.items():
            card = self.cards.get(call_id)
            if card is None:
                card = self.cards[call_id] = ToolCard(view)
                self.tools.children = (*self.tools.children, card)
                sent += 1
            else:
                sent += card.refresh()
        return sent


class ChatWidget(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped
    """A chat on the shared Agent: send, stop, approve, switch models, start over, export."""

    def __init__(
        self,
        agent: Agent | None = None,
        *,
        conversation: str = "default",
        model: str | None = None,
        policy: Policy | None = None,
        interval: float = UPDATE_INTERVAL,
    ) -> None:
        self.agent = agent if agent is not None else get_agent()
        self.conversation = conversation
        self.interval = interval
        self._running: RunningTurn | None = None
        self._reader: threading.Thread | None = None
        self._reply: _Reply | None = None
        self._lock = threading.Lock()
        self.last_result: TurnResult | None = None
        # Download names offered so far: each click gets its own, even after New chat starts the
        # turn count again, so no browser setting can replace an earlier transcript with this one.
        self._offered: set[str] = set()

        names = [
            row.name for row in self.agent.models() if row.kind == "chat" and row.usable and not row.family
        ]
        current = self.agent.registry.resolve(model).name if model else self.agent.model
        if current not in names:
            names.append(current)
        self.model_picker = widgets.Dropdown(options=names, value=current, description="Model")
        self.policy_picker = widgets.Dropdown(
            options=list(POLICIES), value=policy or self.agent.policy, description="Policy"
        )
        self.new_button = widgets.Button(description="New chat", icon="plus")
        self.export_button = widgets.Button(description="Export", icon="download")
        # The replies, oldest first, in a feed that scrolls inside a fixed height, so the input below
        # it never moves off screen. Laid out in reverse (a one-child column-reverse box), the
        # browser scrolls from the bottom: the feed stays on the newest reply as it grows, with no
        # script to scroll it there.
        self.messages = widgets.VBox(layout=widgets.Layout(flex="0 0 auto"))
        self.feed = widgets.Box(
            [self.messages],
            layout=widgets.Layout(max_height="32em", overflow="auto", flex_flow="column-reverse"),
        )
        self.feed.add_class("snba-feed")
        self.status = widgets.HTML()
        # Notices for the user's own action (busy, an export ready): kept until the next one,
        # where the status line is redrawn by every event of the turn.
        self.notice = widgets.HTML()
        self.input = widgets.Text(
            placeholder="Ask about your Stripe account, then press Enter",
            continuous_update=False,
            layout=widgets.Layout(flex="1"),
        )
        self.send_button = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)

        # continuous_update=False: the value syncs on Enter (or leaving the field), which is the
        # supported replacement for the deprecated Text.on_submit.
        self.input.observe(self._on_input, names="value")
        self.send_button.on_click(lambda _: self._submit())
        self.stop_button.on_click(lambda _: self.stop())
        self.new_button.on_click(lambda _: self.new_chat())
        self.export_button.on_click(lambda _: self._export_clicked())

        style = widgets.HTML(STYLE_HTML)
        header = widgets.HBox([self.model_picker, self.policy_picker, self.new_button, self.export_button])
        footer = widgets.HBox([self.input, self.send_button, self.stop_button])
        super().__init__([style, header, self.feed, self.status, self.notice, footer])
        self.add_class("snba-chat")
        self._set_status("ready")

    # --- actions (the buttons call these; tests and scripts can too) -----------------------

    @property
    def busy(self) -> bool:
        return self._running is not None and not self._running.finished

    def send(self, text: str) -> None:
        """Send ``text`` exactly as pressing Send does (ignored with a status when busy or empty)."""
        text = text.strip()
        if not text:
            return
        if self.busy:
            self._set_notice("still answering: wait, or press Stop", level="warning")
            return
        self._set_notice("")
        try:
            running = self.agent.start(
                text,
                conversation=self.conversation,
                model=self.model_picker.value,
                policy=self.policy_picker.value,
            )
        except StripeNbAgentError as exc:
            self._set_status(f"error: {exc.message}", level="error")
            return
        reply = _Reply(text)
        self._reply, self._running = reply, running
        self.messages.children = (*self.messages.children, reply.box)
        self._set_busy(True)
        self._set_status("thinking…")
        self._reader = threading.Thread(
            target=self._read, args=(running, reply), name="stripe-nb-agent-chat", daemon=True
        )
        self._reader.start()

    def stop(self) -> None:
        """Cancel the turn in flight (what Stop does); the partial answer stays."""
        running = self._running
        if running is not None and not running.finished:
            self._set_status("stopping…")
            running.cancel()

    def wait(self, timeout: float | None = None) -> TurnResult | None:
        """Block the calling thread until the current turn has ended and been drawn.

        Raises :class:`TimeoutError` after ``timeout`` seconds (the turn goes on).
        """
        reader = self._reader
        if reader is not None:
            reader.join(timeout)
            if reader.is_alive():
                raise TimeoutError(
                    f"The turn is still running after {timeout} s; call wait() again or stop()."
                )
        return self.last_result

    def new_chat(self) -> None:
        """Start the conversation afresh (a turn in flight is stopped first)."""
        if self.busy:
            self.stop()
            self.wait(30)
        self.agent.reset(self.conversation)
        self.messages.children = ()
        self._reply, self._running = None, None
        self._set_status("new chat")

    def export(self, path: str | Path | None = None) -> Path:
        """Write the transcript (``.md`` Markdown or ``.json``), redacted; returns the path.

        Without ``path``: ``stripe-agent-<conversation>.md`` in the working folder, or ``-2``,
        ``-3``, ... when that exists (never overwritten). An explicit ``path`` is replaced.
        """
        if path is None:
            path = _first_free(f"stripe-agent-{self.conversation}", ".md", lambda name: Path(name).exists())
        return export_transcript(self.agent.conversation(self.conversation), path)

    def download_link(self) -> str:
        """HTML for a link that downloads the transcript in the browser (nothing is written here).

        The file is ``stripe-agent-<conversation>-<n>-turns.md``, or ``-2``, ``-3``, ... when this
        widget has offered that name before.
        """
        convo = self.agent.conversation(self.conversation)
        data = base64.b64encode(transcript_markdown(convo).encode()).decode()
        turns = len(convo.turns)
        stem = f"stripe-agent-{self.conversation}-{turns}-turn{'' if turns == 1 else 's'}"
        name = _first_free(stem, ".md", self._offered.__contains__)
        self._offered.add(name)
        return (
            f'<a class="snba-link" download="{escape(name)}" '
            f'href="data:text/markdown;charset=utf-8;base64,{data}">Download {escape(name)}</a>'
        )

    # --- events ------------------------------------------------------------------------------

    def _on_input(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self._submit()

    def _submit(self) -> None:
        text = self.input.value
        if not text.strip() or self.busy:
            if self.busy:
                self._set_notice("still answering: wait, or press Stop", level="warning")
            return
        self.input.value = ""
        self.send(text)

    def _draw(self, reply: _Reply) -> int:
        """Text, then cards (text that came before a call is drawn before its card), then the
        status: the front-end updates this sent, for the throttle's budget."""
        sent = reply.draw_text() + reply.draw_calls()
        if reply.status is not None:
            before = self.status.value
            text, level = reply.status
            self._set_status(text, level=level)
            sent += self.status.value != before
            reply.status = None
        return sent

    def _read(self, running: RunningTurn, reply: _Reply) -> None:
        throttle = Throttle(lambda: self._draw(reply), interval=self.interval)
        try:
            for event in running.events():
                with throttle.lock:
                    self._apply(event, reply, throttle)
        except BaseException as exc:  # the reader thread must never die silently
            self._set_status(f"error: {exc}", level="error")
        finally:
            throttle.close()
            self._finish(running, reply)

    def _apply(self, event: AgentEvent, reply: _Reply, throttle: Throttle) -> None:
        change = reply.state.apply(event)
        if change == "finished":
            throttle.flush()
            return
        if change == "structure":
            reply.status = self._status_for(event, reply.state)
        if change in ("text", "reasoning", "structure"):
            throttle.poke()

    @staticmethod
    def _status_for(event: AgentEvent, state: ReplyState) -> tuple[str, str]:
        if isinstance(event, ToolCallAwaitingApproval):
            names = ", ".join(c.name for c in state.awaiting)
            return f"waiting for your approval: {names}", "warning"
        running = state.running
        if running:
            return f"calling {', '.join(dict.fromkeys(c.name for c in running))}…", "info"
        if state.notices and state.notices[-1].level != "info":
            notice = state.notices[-1]
            return notice.text, "error" if notice.level == "error" else "warning"
        return "thinking…", "info"

    def _finish(self, running: RunningTurn, reply: _Reply) -> None:
        result = running.result
        self.last_result = result
        self._set_busy(False)
        if result is not None:
            reply.footer.value = metrics_html(result.metrics)
            if result.stop_reason == "cancelled":
                self._set_status("stopped", level="warning")
            elif result.stop_reason == "error":
                self._set_status(f"error: {result.error}", level="error")
            elif result.stop_reason == "max_rounds":
                self._set_status("stopped at the round limit", level="warning")
            else:
                self._set_status("ready")

    def _export_clicked(self) -> None:
        # In the browser, where the person clicking is: a download link, no file on the server
        # (whose folder may be shared, and whose last export a second click would replace).
        self.notice.value = (
            f'<div class="snba snba-status">Transcript ready (redacted): {self.download_link()}</div>'
        )

    def _set_busy(self, busy: bool) -> None:
        self.stop_button.disabled = not busy
        # Two traits of one widget: hold_sync sends them as one comm message.
        with self.send_button.hold_sync():
            self.send_button.disabled = busy
            self.send_button.description = "…" if busy else "Send"

    def _set_notice(self, text: str, *, level: str = "info") -> None:
        css = {"error": "snba-error", "warning": "snba-warning"}.get(level, "")
        self.notice.value = f'<div class="snba snba-status {css}">{escape(text)}</div>' if text else ""

    def _set_status(self, text: str, *, level: str = "info") -> None:
        css = {"error": "snba-error", "warning": "snba-warning"}.get(level, "")
        self.status.value = f'<div class="snba snba-status {css}">{escape(text)}</div>'


def _first_free(stem: str, suffix: str, taken: Callable[[str], bool]) -> str:
    """``stem + suffix``, else the first of ``stem-2``, ``stem-3``, ... (plus ``suffix``) not taken."""
    name, number = stem + suffix, 1
    while taken(name):
        number += 1
        name = f"{stem}-{number}{suffix}"
    return name
