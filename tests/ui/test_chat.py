"""The chat widget driven by .send() and button clicks on the offline sandbox, with a recording comm."""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import stripe_nb_agent
from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.ui.chat import ChatWidget
from stripe_nb_agent.ui.render import render_markdown
from tests.ui.support import CommLog

WRITE = "create a customer named Grace Hopper with email grace@example.com"
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def chat(agent: Agent, comm_log: CommLog) -> Iterator[ChatWidget]:
    widget = ChatWidget(agent)
    yield widget
    if widget.busy:
        widget.stop()
        widget.wait(10)


def _when(widget: Any, trait: str, predicate: Any) -> threading.Event:
    """An event set once ``predicate(widget.<trait>)`` holds (checked now and on every change)."""
    event = threading.Event()

    def check(_: Any = None) -> None:
        if predicate(getattr(widget, trait)):
            event.set()

    widget.observe(check, names=trait)
    check()
    return event


def _customers(agent: Agent) -> list[dict[str, Any]]:
    return list(agent.sandbox_store.list_customers(limit=100)["data"])


def test_send_streams_an_answer_with_tool_cards_and_metrics(chat: ChatWidget) -> None:
    chat.send("list my last 3 customers")
    result = chat.wait(30)
    assert result is not None
    assert result.stop_reason == "complete"
    reply = chat._reply
    assert reply is not None
    assert reply.answer.value == render_markdown(result.text)
    assert next(card.view.name for card in reply.cards.values()) == "list_customers"
    card = next(iter(reply.cards.values()))
    assert "✓" in card.line.value
    assert "snba-table" in card.line.value
    assert "TTFT" in reply.footer.value
    assert "ready" in chat.status.value
    assert not chat.busy
    assert chat.stop_button.disabled
    assert not chat.send_button.disabled


def test_enter_in_the_input_and_the_send_button_both_send(chat: ChatWidget, agent: Agent) -> None:
    chat.policy_picker.value = "auto"
    chat.input.value = "hello"  # what pressing Enter syncs (continuous_update=False)
    chat.wait(30)
    assert chat.input.value == ""
    chat.input.value = ""
    chat.send_button.click()  # empty: nothing happens
    chat.wait(30)
    assert [t.prompt for t in agent.conversation().turns] == ["hello"]


def test_stop_cancels_mid_stream_and_keeps_the_partial_answer(
    chat: ChatWidget, agent: Agent, sandbox_server: Any
) -> None:
    sandbox_server.pace = 0.02
    try:
        chat.send("how do I handle failed payments?")
        reply = chat._reply
        assert reply is not None
        assert _when(reply.answer, "value", bool).wait(20), "no text arrived"
        chat.stop_button.click()
        result = chat.wait(20)
    finally:
        sandbox_server.pace = 0.0
    assert result is not None
    assert result.stop_reason == "cancelled"
    assert "stopped" in chat.status.value
    assert not agent.conversation().busy
    assert reply.answer.value == render_markdown(result.text)


def test_approve_button_runs_the_held_write(chat: ChatWidget, agent: Agent) -> None:
    before = len(_customers(agent))
    chat.policy_picker.value = "confirm"
    chat.send(WRITE)
    assert _when(chat.status, "value", lambda v: "waiting for your approval" in v).wait(20)
    card = next(iter(chat._reply.cards.values()))  # type: ignore[union-attr]
    assert card.buttons in card.children
    assert "waiting for approval" in card.line.value
    assert "Create customer &#x27;Grace Hopper&#x27;" in card.line.value
    card.approve_button.click()
    result = chat.wait(30)
    assert result is not None
    assert result.stop_reason == "complete"
    assert len(_customers(agent)) == before + 1
    assert card.buttons not in card.children
    assert "✓" in card.line.value


def test_decline_button_runs_nothing(chat: ChatWidget, agent: Agent) -> None:
    before = len(_customers(agent))
    chat.policy_picker.value = "confirm"
    chat.send(WRITE)
    assert _when(chat.status, "value", lambda v: "waiting for your approval" in v).wait(20)
    card = next(iter(chat._reply.cards.values()))  # type: ignore[union-attr]
    card.decline_button.click()
    chat.wait(30)
    assert len(_customers(agent)) == before
    assert "declined" in card.line.value


def test_model_switch_mid_conversation_keeps_the_history(chat: ChatWidget, agent: Agent) -> None:
    chat.send("list my last 2 customers")
    chat.wait(30)
    chat.model_picker.value = "sandbox-brief"
    chat.send("show my balance")
    chat.wait(30)
    turns = agent.conversation().turns
    assert [t.model for t in turns] == ["sandbox", "sandbox-brief"]
    assert len(chat.messages.children) == 2


def test_new_chat_empties_the_conversation_and_the_list(chat: ChatWidget, agent: Agent) -> None:
    chat.send("hello")
    chat.wait(30)
    chat.new_button.click()
    assert chat.messages.children == ()
    assert agent.conversation().turns == []


def test_chat_uses_the_magic_agent_and_conversation(agent: Agent, comm_log: CommLog) -> None:
    widget = stripe_nb_agent.chat()
    assert widget.agent is agent
    assert widget.conversation == "default"


def test_export_writes_markdown(chat: ChatWidget, tmp_path: Path) -> None:
    chat.send("list my last 2 customers")
    chat.wait(30)
    path = chat.export(tmp_path / "t.md")
    assert "list my last 2 customers" in path.read_text()


def test_export_button_offers_a_download_in_the_browser_and_writes_no_file(
    chat: ChatWidget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chat.send("list my last 2 customers")
    chat.wait(30)
    chat.export_button.click()
    link = re.search(
        r'download="([^"]+)" href="data:text/markdown;charset=utf-8;base64,([^"]+)"', chat.notice.value
    )
    assert link is not None
    assert link.group(1).endswith(".md")
    text = base64.b64decode(link.group(2)).decode()
    assert "## You" in text
    assert "list_customers" in text
    assert list(tmp_path.iterdir()) == []


def test_every_export_click_offers_a_new_file_name_even_after_a_new_chat(chat: ChatWidget) -> None:
    def offered() -> str:
        chat.export_button.click()
        match = re.search(r'download="([^"]+)"', chat.notice.value)
        assert match is not None
        return match.group(1)

    chat.send("hello")
    chat.wait(30)
    first, second = offered(), offered()
    chat.new_chat()
    chat.send("show my balance")
    chat.wait(30)
    third = offered()
    assert [first, second, third] == [
        "stripe-agent-default-1-turn.md",
        "stripe-agent-default-1-turn-2.md",
        "stripe-agent-default-1-turn-3.md",
    ]


def test_export_without_a_path_never_overwrites_an_earlier_one(
    chat: ChatWidget, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chat.send("hello")
    chat.wait(30)
    first, second = chat.export(), chat.export()
    assert first != second
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "stripe-agent-default-2.md",
        "stripe-agent-default.md",
    ]


def test_the_busy_notice_stays_while_the_turn_redraws_its_status(
    chat: ChatWidget, sandbox_server: Any
) -> None:
    sandbox_server.pace = 0.01
    try:
        chat.send("list my last 5 customers")
        chat.send("show my balance")
        assert "still answering" in chat.notice.value
        chat.wait(30)
    finally:
        sandbox_server.pace = 0.0
    assert "still answering" in chat.notice.value  # the turn's own status updates did not erase it
    chat.send("show my balance")
    assert chat.notice.value == ""
    chat.wait(30)


def test_the_feed_scrolls_above_a_fixed_input_from_the_bottom(chat: ChatWidget) -> None:
    assert chat.feed.layout.overflow == "auto"
    assert chat.feed.layout.max_height
    assert chat.feed.layout.flex_flow == "column-reverse"  # scrolled to the newest reply
    assert chat.feed.children == (chat.messages,)
    assert chat.input in chat.children[-1].children  # the input row is the widget's last child


def test_hostile_names_show_as_text_in_the_widget(chat: ChatWidget, agent: Agent) -> None:
    agent.sandbox_store.create_customer(HOSTILE, "x@example.com")
    agent.sandbox_store.create_customer("<script>alert(2)</script>", "y@example.com")
    chat.send("list my last 2 customers")
    chat.wait(30)
    reply = chat._reply
    assert reply is not None
    everything = reply.answer.value + "".join(c.line.value for c in reply.cards.values())
    assert "<img" not in everything
    assert "<script" not in everything
    assert "&lt;img src=x onerror=alert(1)&gt;" in everything


def test_update_budget_at_200_tokens_per_second(
    chat: ChatWidget, comm_log: CommLog, sandbox_server: Any
) -> None:
    sandbox_server.pace = 0.005  # one chunk every 5 ms: 200 a second
    try:
        chat.send("how do I handle failed payments?")
        reply = chat._reply
        assert reply is not None
        sent_before = len(comm_log.all_updates())
        result = chat.wait(60)
        ended = time.monotonic()
    finally:
        sandbox_server.pace = 0.0
    assert result is not None
    assert result.stop_reason == "complete"
    answer = comm_log.updates_to(reply.answer)
    # Every widget's updates count: the answer, thinking, tool cards, the status line, buttons.
    every = comm_log.all_updates()[sent_before:]
    chunks = result.metrics.completion_tokens
    assert chunks >= 40, "the answer should be long enough to need throttling"
    # Coalesced: far fewer messages than chunks, and at most 20 a second over the stream.
    span = every[-1][0] - every[0][0]
    assert len(every) <= 20 * span + 2, f"{len(every)} updates in {span:.2f} s"
    assert len(answer) < chunks / 3
    # The final render is the whole answer, drawn as soon as the turn ends.
    assert answer[-1][1]["value"] == render_markdown(result.text)
    assert ended - answer[-1][0] < 0.1
    print(
        f"\n{chunks} chunks -> {len(every)} widget updates ({len(answer)} to the answer) over "
        f"{span:.2f} s ({len(every) / span:.1f}/s); final render {1000 * (ended - answer[-1][0]):.0f} ms "
        "before wait() returned"
    )


def test_model_picker_lists_usable_models_and_no_family_patterns(chat: ChatWidget) -> None:
    options = list(chat.model_picker.options)
    assert "sandbox" in options
    assert "sandbox-brief" in options
    assert not any("<" in name for name in options)


def test_a_call_that_finishes_as_soon_as_it_is_approved_keeps_its_final_status() -> None:
    from stripe_nb_agent.agent.events import Approval
    from stripe_nb_agent.tools.types import ToolResult
    from stripe_nb_agent.ui.chat import ToolCard
    from stripe_nb_agent.ui.render import tool_status
    from stripe_nb_agent.ui.state import ToolCallView

    view = ToolCallView("call_1", "create_customer", {"name": "Ada"}, "write", status="awaiting_approval")

    class FinishesAtOnce(Approval):
        # The agent's side at its fastest: the call runs and its result lands on the view before
        # approve() has returned to the button's handler.
        def approve(self) -> None:
            super().approve()
            view.result = ToolResult("create_customer", ok=True, data={"id": "cus_1"}, kind="write")
            view.status = tool_status(view.result)

    view.approval = FinishesAtOnce("call_1", "create_customer", {"name": "Ada"})
    card = ToolCard(view)
    card.decide("approve")
    assert view.status == "ok"
    card.refresh()
    assert "✓" in card.line.value
    assert card.buttons not in card.children
