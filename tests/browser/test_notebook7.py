"""The chat widget and the magic in a real Notebook 7 (``jupyter notebook``), not only JupyterLab.

Notebook 7 is a different front end on the same jupyter_server: its own page (one notebook per
tab at ``/notebooks/<path>``), toolbar and menus, but the same output areas and ipywidgets
manager. Each scenario opens a fresh notebook (so a fresh kernel and sandbox store) and asserts on
what the page shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from tests.browser.harness import (
    TIMEOUT_MS,
    Chat,
    JupyterServer,
    Notebook,
    Notebook7,
    bounded_wait,
    fresh_notebook,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def notebook(request: pytest.FixtureRequest, notebook7: JupyterServer, page: Page) -> Iterator[Notebook]:
    """This module's scenarios run in Notebook 7: a fresh notebook named after the test, kernel
    idle. (Overrides the JupyterLab ``notebook`` fixture, so ``chat`` is Notebook 7's too.)"""
    with fresh_notebook(page, notebook7, request.node.name, timeout_ms=TIMEOUT_MS) as opened:
        assert isinstance(opened, Notebook7)
        assert "/notebooks/" in page.url, f"not Notebook 7's page: {page.url}"
        yield opened


def test_the_chat_widget_answers_a_typed_request_with_a_tool_card_and_a_five_row_table(
    notebook: Notebook,
) -> None:
    notebook.run("import stripe_nb_agent\n\nw = stripe_nb_agent.chat()\nw")
    chat = Chat(notebook.page, timeout_ms=TIMEOUT_MS).wait_shown()

    reply = chat.ask("list my last 5 customers")

    assert chat.wait_done(reply) == "ready"
    assert chat.requests.all_inner_texts() == ["You: list my last 5 customers"]
    assert reply.answer.locator("p").first.inner_text() == "5 customers:"
    rows = reply.answer.locator("table tbody tr")
    assert rows.count() == 5
    assert rows.first.is_visible()
    card = reply.cards.filter(has_text="list_customers")
    assert card.count() == 1
    assert card.locator(".snba-tool-ok .snba-tool-name").inner_text() == "list_customers"
    assert "model sandbox" in reply.footer.inner_text()
    assert notebook.errors() == []


def test_the_magic_shows_the_answer_and_a_rendered_table_and_no_error(notebook: Notebook) -> None:
    notebook.run("%load_ext stripe_nb_agent")
    cell = notebook.run("%%stripe_agent\nlist my last 3 customers")

    outputs = notebook.outputs(cell)
    # The live progress display ends empty; the turn's result is the cell's last output.
    assert [text.strip() for text in outputs.all_inner_texts()[:-1]] == [""] * (outputs.count() - 1)
    result = outputs.last
    assert result.get_attribute("data-mime-type") == "text/html"
    assert result.locator(".snba-markdown p").first.inner_text() == "3 customers:"
    answer_rows = result.locator(".snba-markdown table tbody tr")
    assert answer_rows.count() == 3
    assert answer_rows.first.is_visible()
    # Below the answer, one line per tool call with its DataFrame folded under it (a click
    # away); list_customers' lists the same three, with their names beside the ids.
    listed = result.locator(".snba-tool-name").first
    assert listed.inner_text() == "list_customers"
    frame_rows = result.locator("table.dataframe").first.locator("tbody tr")
    assert frame_rows.count() == 3
    assert not frame_rows.first.is_visible()
    result.locator("details.snba-tool-details summary").first.click()
    assert frame_rows.first.is_visible()
    for row in range(3):
        customer_id = frame_rows.nth(row).locator("td").first.inner_text().strip()
        assert customer_id.startswith("cus_")
        assert customer_id in answer_rows.nth(row).inner_text()
    assert notebook.errors() == []


def test_stop_ends_a_streaming_answer_and_the_status_says_stopped(notebook: Notebook, chat: Chat) -> None:
    notebook.run(
        "from stripe_nb_agent.sandbox.model import get_sandbox_model_server\n"
        "get_sandbox_model_server().pace = 0.05"
    )
    reply = chat.ask("hello, what can you do?")
    # Click as soon as the answer has started: at this pace it is then certainly mid-stream.
    bounded_wait(lambda: reply.answer_text(), timeout=TIMEOUT_MS / 1000, what="the first answer text")
    chat.button("Stop").click()

    assert chat.wait_done(reply) == "stopped"
    assert reply.cards.count() == 0  # a question about the assistant itself needs no tool
    stopped = notebook.run("print(w.last_result.stop_reason)")
    assert notebook.outputs(stopped).inner_text().strip() == "cancelled"
    assert notebook.errors() == []
