"""The chat widget in a real JupyterLab: typed requests, streaming, Stop, approvals, escaping, models,
the scrolling feed above a fixed input, and Export's download.

Every scenario runs in a fresh notebook (and so a fresh kernel and sandbox store) and asserts on
what the page shows; kernel-side facts are read by running a cell and reading its output.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import FloatRect, Locator

from tests.browser.harness import Chat, Notebook, bounded_wait
from tests.test_notebooks import find_secrets

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=window.__xss=1>"


def set_pace(notebook: Notebook, seconds: float) -> None:
    """Seconds between the sandbox model's streamed chunks, changed in the kernel from a cell."""
    notebook.run(
        "from stripe_nb_agent.sandbox.model import get_sandbox_model_server\n"
        f"get_sandbox_model_server().pace = {seconds!r}"
    )


def kernel_says(notebook: Notebook, expression: str) -> str:
    """The printed value of ``expression`` in the kernel, as the cell's output shows it."""
    cell = notebook.run(f"print({expression})")
    return notebook.outputs(cell).inner_text().strip()


def test_a_typed_request_streams_and_shows_its_tool_card_and_a_five_row_table(
    notebook: Notebook, chat: Chat
) -> None:
    set_pace(notebook, 0.02)
    chat.record_stream()
    reply = chat.ask("list my last 5 customers")

    assert chat.wait_done(reply) == "ready"
    samples = [s["length"] for s in chat.samples()]
    growing = [length for length in samples if length > 0]
    assert len(set(growing)) >= 3, f"the answer should grow over several redraws, saw lengths {samples}"
    assert growing[-1] == len(reply.answer.text_content() or "")

    card = reply.cards.filter(has_text="list_customers")
    assert card.count() == 1
    assert card.locator(".snba-tool-ok .snba-tool-name").inner_text() == "list_customers"
    rows = reply.answer.locator("table tbody tr")
    assert rows.count() == 5
    assert rows.first.is_visible()
    assert reply.answer.locator("p").first.inner_text() == "5 customers:"
    # The card's own result table opens from its summary line.
    card.locator("summary", has_text="result").click()
    assert card.locator("table.snba-table tbody tr").first.is_visible()
    assert card.locator("table.snba-table tbody tr").count() == 5
    assert "model sandbox" in reply.footer.inner_text()


def test_stop_ends_the_stream_says_stopped_and_the_next_request_works(notebook: Notebook, chat: Chat) -> None:
    pace = 0.05  # the ~660-character answer then takes several seconds to stream
    set_pace(notebook, pace)
    chat.record_stream()
    reply = chat.ask("how do I handle failed payments?")
    chat.button("Stop").wait_for(state="visible")
    # Click as soon as the answer has started: the stream is then certainly mid-way.
    bounded_wait(lambda: reply.answer_text(), timeout=60, what="the first answer text")
    clicked_at = chat.page.evaluate("performance.now()")
    at_click = len(reply.answer.text_content() or "")
    chat.button("Stop").click()

    assert chat.wait_done(reply) == "stopped"
    final = len(reply.answer.text_content() or "")
    # At most one second of stream may still land: 1/pace chunks of <= 7 visible characters
    # each, plus their whitespace. Pacing only ever slows down under load, so this bound is safe.
    assert final - at_click <= (1 / pace) * 10, f"{final - at_click} characters arrived after Stop"
    assert kernel_says(notebook, "w.last_result.stop_reason") == "cancelled"
    full = kernel_says(notebook, "len(w.agent.conversation().turns)")
    assert full == "1"
    late = [s for s in chat.samples() if s["t"] > clicked_at]
    print(
        f"\nstop: {at_click} -> {final} characters; last redraw "
        f"{(late[-1]['t'] - clicked_at) / 1000 if late else 0:.3f} s after the click"
    )

    set_pace(notebook, 0)
    after = chat.ask("show my balance")
    assert chat.wait_done(after) == "ready"
    assert "balance" in after.answer_text().lower()


def test_confirm_policy_declined_write_creates_nothing_and_approved_write_does(
    notebook: Notebook, chat: Chat
) -> None:
    chat.policy_picker.select_option("confirm")
    request = "create a customer named Ada Lovelace with email ada@example.com"

    declined = chat.ask(request)
    chat.wait_status("waiting for your approval")
    card = declined.cards.filter(has_text="create_customer")
    assert card.locator("button", has_text="Approve").is_visible()
    assert card.locator("button", has_text="Decline").is_visible()
    card.locator("button", has_text="Decline").click()
    chat.wait_done(declined)
    assert "declined" in card.inner_text()
    assert card.locator("button").count() == 0

    listing = chat.ask("list my last 5 customers")
    chat.wait_done(listing)
    assert listing.answer.locator("table tbody tr").count() == 5
    assert "Ada Lovelace" not in listing.answer_text()

    approved = chat.ask(request)
    chat.wait_status("waiting for your approval")
    card = approved.cards.filter(has_text="create_customer")
    card.locator("button", has_text="Approve").click()
    assert chat.wait_done(approved) == "ready"
    assert card.locator(".snba-tool-ok").count() == 1
    assert card.locator("button").count() == 0

    listing = chat.ask("list my last 5 customers")
    chat.wait_done(listing)
    newest = listing.answer.locator("table tbody tr").first
    assert "Ada Lovelace" in newest.inner_text()
    assert "ada@example.com" in newest.inner_text()


def test_a_hostile_customer_name_shows_as_text_and_runs_nothing(notebook: Notebook, chat: Chat) -> None:
    notebook.run(
        "from stripe_nb_agent import get_agent\n"
        f"_ = get_agent().sandbox_store.create_customer(name={HOSTILE!r}, email='xss@example.com')"
    )
    reply = chat.ask("list my last 3 customers")
    chat.wait_done(reply)
    # The %%stripe_agent magic renders the same rows its own way.
    notebook.run("%load_ext stripe_nb_agent")
    magic = notebook.run("%%stripe_agent\nlist my last 3 customers")

    page = chat.page
    assert HOSTILE in reply.answer.locator("table tbody tr").first.inner_text()
    for card in reply.cards.filter(has_text="fetch_stripe_resources").all():
        card.locator("summary", has_text="result").click()
    assert reply.cards.get_by_text(HOSTILE, exact=True).count() >= 1
    assert HOSTILE in "\n".join(notebook.outputs(magic).all_inner_texts())
    # No element was created from the name anywhere, so no handler can ever fire...
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("[onerror]").count() == 0
    # ...and none did.
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_switching_the_model_mid_conversation_answers_with_it_and_keeps_the_history(
    notebook: Notebook, chat: Chat
) -> None:
    first = chat.ask("list my last 2 customers")
    chat.wait_done(first)
    assert "model sandbox" in first.footer.inner_text()
    assert first.box.locator(".snba-thinking").count() == 1

    chat.model_picker.select_option("sandbox-brief")
    second = chat.ask("show my balance")
    assert chat.wait_done(second) == "ready"

    assert "model sandbox-brief" in second.footer.inner_text()
    assert second.box.locator(".snba-thinking").count() == 0  # the brief persona does not think aloud
    assert chat.requests.all_inner_texts() == ["You: list my last 2 customers", "You: show my balance"]
    assert first.answer.locator("table tbody tr").count() == 2  # the earlier reply is still shown
    models = kernel_says(notebook, "[t.model for t in w.agent.conversation(w.conversation).turns]")
    assert models == "['sandbox', 'sandbox-brief']"


def box(locator: Locator) -> FloatRect:
    rect = locator.bounding_box()
    assert rect is not None, f"{locator} is not drawn"
    return rect


def overflows(feed: Locator) -> bool:
    return bool(feed.evaluate("feed => feed.scrollHeight > feed.clientHeight"))


def test_the_input_stays_put_below_a_feed_that_scrolls_and_follows_the_newest_reply(
    notebook: Notebook, chat: Chat
) -> None:
    # Each five-row table reply is taller than half the feed: a few overflow it.
    for _ in range(4):
        chat.wait_done(chat.ask("list my last 5 customers"))
        if overflows(chat.feed):
            break
    assert overflows(chat.feed), "four table replies should overflow the feed"
    input_at, feed_at = box(chat.input), box(chat.feed)
    content = chat.feed.evaluate("feed => feed.scrollHeight")

    for request in ("show my balance", "list my last 3 customers"):
        reply = chat.ask(request)
        chat.wait_done(reply)
        assert box(chat.input) == input_at, f"the input moved after {request!r}"
        assert box(chat.feed) == feed_at, f"the feed changed size after {request!r}"
        # The newest reply's end is in view without the user scrolling the feed.
        footer, feed = box(reply.footer), box(chat.feed)
        assert feed["y"] - 1 <= footer["y"], f"the end of the reply to {request!r} is above the feed's view"
        bottom = footer["y"] + footer["height"]
        assert bottom <= feed["y"] + feed["height"] + 1, f"the reply to {request!r} ends below the view"

    assert chat.feed.evaluate("feed => feed.scrollHeight") > content
    # The input is on screen, inside the notebook's own scrolling area.
    panel = box(notebook.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"))
    assert panel["y"] <= input_at["y"]
    assert input_at["y"] + input_at["height"] <= panel["y"] + panel["height"]


def test_export_downloads_the_redacted_conversation_and_a_second_click_a_new_file(
    notebook: Notebook, chat: Chat
) -> None:
    # Payment intents carry a client secret: the transcript holds their results, masked.
    reply = chat.ask("list my last 3 payments")
    chat.wait_done(reply)

    first = chat.export()
    assert first.suggested_filename == "stripe-agent-default-1-turn.md"
    text = Path(first.path()).read_text(encoding="utf-8")
    assert "list my last 3 payments" in text
    assert "## Agent" in text
    assert "list_payment_intents" in text
    assert "client_secret" in text, "the scan below should have a secret to look for"
    assert find_secrets(text) == []

    second = chat.export()
    assert second.suggested_filename == "stripe-agent-default-1-turn-2.md"
    assert Path(second.path()).read_text(encoding="utf-8") == text
