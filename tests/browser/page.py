"""Headless Chromium and the page helpers the browser scenarios read as sentences.

``Notebook`` drives a notebook as JupyterLab 4 draws it; ``Notebook7`` is the same notebook in
Notebook 7's page (same cells, prompts, output areas and keyboard shortcuts; only the kernel
status is drawn elsewhere). ``Chat`` and ``Reply`` read the chat widget, which both front ends
render through the same ipywidgets manager. Every helper reads what the page shows.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import BrowserContext, Download, Locator, Page, Playwright, sync_playwright

from tests.browser.lab import REPO, JupyterServer, bounded_wait

CHROMIUM = Path(os.environ.get("STRIPE_NB_AGENT_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps dialling Google services, and this closed
# network refuses those connections in ways that slow every page load down.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
ARTIFACTS = REPO / "artifacts" / "browser"
# Generous per-wait bound: the machine is a shared 2-core box and a kernel start takes seconds.
TIMEOUT_MS = 60_000


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------


@contextmanager
def chromium(
    viewport: tuple[int, int] = (1280, 900), device_scale_factor: float = 1.0
) -> Iterator[BrowserContext]:
    """Debian's headless Chromium on a fresh user-data dir (no downloads: the system browser)."""
    if not CHROMIUM.exists():
        raise RuntimeError(
            f"No Chromium at {CHROMIUM}: install it with `apt-get install -y chromium`, "
            "or point STRIPE_NB_AGENT_CHROMIUM at a Chromium binary."
        )
    profile = tempfile.mkdtemp(prefix="snba-chromium-")
    playwright: Playwright
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport={"width": viewport[0], "height": viewport[1]},
            device_scale_factor=device_scale_factor,
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# A notebook in the page
# ---------------------------------------------------------------------------------------------

# Run inside the page: the text length of the newest reply's answer every time the widget's DOM
# changes, with a timestamp; lets a test see streaming without racing it from Python.
_RECORDER_JS = """
() => {
  const chat = document.querySelector('.snba-chat');
  const answer = () => {
    const replies = chat.querySelectorAll('.widget-html-content > .snba-markdown');
    return replies.length ? replies[replies.length - 1].textContent.length : 0;
  };
  window.__snbaSamples = [];
  const observer = new MutationObserver(() => {
    const length = answer();
    const samples = window.__snbaSamples;
    if (!samples.length || samples[samples.length - 1].length !== length) {
      samples.push({length, t: performance.now()});
    }
  });
  observer.observe(chat, {subtree: true, childList: true, characterData: true});
  window.__snbaObserver = observer;
}
"""


@dataclass
class Notebook:
    """One open notebook: run code in its cells by typing, read its outputs, drive the chat widget."""

    page: Page
    timeout_ms: float = TIMEOUT_MS

    def wait_ready(self) -> Notebook:
        """The notebook is rendered and its kernel is connected and idle."""
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=self.timeout_ms)
        self.wait_idle()
        return self

    def wait_idle(self, timeout_ms: float | None = None) -> None:
        """The status bar says the kernel is idle (it reads "Connecting", "Starting", "Busy" first)."""
        status = self.page.locator(".jp-StatusBar-Widget .jp-StatusBar-TextItem", has_text="| Idle")
        status.first.wait_for(timeout=timeout_ms or self.timeout_ms)

    @property
    def cells(self) -> Locator:
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")

    def run(self, code: str, *, timeout_ms: float | None = None, check: bool = True) -> Locator:
        """Type ``code`` into the last cell (a fresh one is added if it is not empty), Shift+Enter,
        and wait until it has run; with ``check``, an error or stderr output fails at once.
        Returns the cell."""
        # Cells are addressed by index: ``.last`` would move on to the cell Shift+Enter adds.
        index = self.cells.count() - 1
        editor = self.cells.nth(index).locator(".cm-content")
        if editor.inner_text().strip():
            editor.click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("b")  # command mode: insert a cell below
            index += 1
            self.cells.nth(index).wait_for()
            editor = self.cells.nth(index).locator(".cm-content")
        cell = self.cells.nth(index)
        editor.click()
        # insert_text types the text as one input event: no auto-indent or bracket pairing.
        self.page.keyboard.insert_text(code)
        self.page.keyboard.press("Shift+Enter")
        self.wait_ran(cell, timeout_ms=timeout_ms)
        if check:
            # Fail here, with the traceback the page shows, not later on a missing widget.
            errors = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            if errors.count():
                raise AssertionError(f"the cell {code!r} failed:\n" + "\n".join(errors.all_inner_texts()))
        return cell

    def wait_ran(self, cell: Locator, *, timeout_ms: float | None = None) -> None:
        """A cell has run once its prompt shows an execution count (``[3]:``, not ``[*]:``)."""
        prompt = cell.locator(".jp-InputArea-prompt")
        bounded_wait(
            lambda: prompt.inner_text().strip().strip("[]:").isdigit(),
            timeout=(timeout_ms or self.timeout_ms) / 1000,
            what=f"the cell to finish running (prompt {prompt.inner_text()!r})",
        )

    def run_all(self, *, timeout_ms: float | None = None) -> None:
        """Run > Run All Cells from the menu bar, then wait until every code cell has a count."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        self.page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        for index in range(self.cells.count()):
            cell = self.cells.nth(index)
            if "jp-CodeCell" in (cell.get_attribute("class") or ""):
                self.wait_ran(cell, timeout_ms=timeout_ms)
        self.wait_idle(timeout_ms)

    def outputs(self, cell: Locator) -> Locator:
        return cell.locator(".jp-OutputArea-output")

    def source(self, cell: Locator) -> str:
        return cell.locator(".cm-content").inner_text()

    def errors(self) -> list[str]:
        """Error and stderr outputs anywhere in the notebook, as the page shows them."""
        selector = (
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
        )
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) " + selector).all_inner_texts()


# Notebook 7 has no kernel item in its status bar. Two toolbar widgets tell the state together:
# the kernel-status label (empty and faded for "idle" and "busy", "Kernel Connecting" and the like
# otherwise, and unclassed until the session's first status change) and the execution indicator,
# whose data-status tells idle from busy but already reads "idle" before any kernel exists.
_NOTEBOOK7_IDLE_JS = """
() => {
  const label = document.querySelector('.jp-NotebookKernelStatus');
  const indicator = document.querySelector('.jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator');
  return Boolean(
    label && label.classList.contains('jp-NotebookKernelStatus-fade') && !label.textContent.trim()
    && indicator && indicator.dataset.status === 'idle'
  );
}
"""


@dataclass
class Notebook7(Notebook):
    """The same notebook in Notebook 7's page (``/notebooks/<path>``, one notebook per tab)."""

    def wait_idle(self, timeout_ms: float | None = None) -> None:
        """The notebook toolbar shows a connected kernel that is idle."""
        self.page.wait_for_function(_NOTEBOOK7_IDLE_JS, timeout=timeout_ms or self.timeout_ms)


def open_notebook(
    page: Page,
    server: JupyterServer,
    path: str,
    *,
    workspace: str | None = None,
    timeout_ms: float = TIMEOUT_MS,
) -> Notebook:
    """Open ``path`` in the server's front end; returns it rendered with its kernel idle."""
    page.goto(server.url(path, workspace))
    kind = Notebook7 if server.app == "notebook" else Notebook
    return kind(page, timeout_ms=timeout_ms).wait_ready()


@contextmanager
def fresh_notebook(
    page: Page, server: JupyterServer, name: str, *, timeout_ms: float = TIMEOUT_MS
) -> Iterator[Notebook]:
    """A new empty notebook called ``name`` (any characters; it is made file-safe), open in
    ``page`` with a kernel of its own, which is shut down on exit."""
    path = re.sub(r"[^\w-]+", "_", name)[:80] + ".ipynb"
    server.new_notebook(path)
    try:
        yield open_notebook(page, server, path, timeout_ms=timeout_ms)
    finally:
        server.shut_down_kernels(path)


@dataclass
class Chat:
    """The chat widget as the page shows it (class names from stripe_nb_agent/ui/chat.py)."""

    page: Page
    timeout_ms: float = TIMEOUT_MS

    @property
    def root(self) -> Locator:
        return self.page.locator(".snba-chat").last

    @property
    def input(self) -> Locator:
        return self.root.locator(".widget-text input")

    def button(self, name: str) -> Locator:
        return self.root.locator("button.widget-button", has_text=name)

    @property
    def model_picker(self) -> Locator:
        return self.root.locator(".widget-dropdown select").nth(0)

    @property
    def policy_picker(self) -> Locator:
        return self.root.locator(".widget-dropdown select").nth(1)

    @property
    def status(self) -> Locator:
        return self.root.locator(".snba-status")

    @property
    def feed(self) -> Locator:
        """The scrolling box holding every exchange."""
        return self.root.locator(".snba-feed")

    @property
    def download_link(self) -> Locator:
        """The transcript link Export shows."""
        return self.root.locator("a.snba-link[download]")

    @property
    def requests(self) -> Locator:
        """The "You: ..." line of every exchange, oldest first."""
        return self.root.locator(".snba-request")

    def reply(self, index: int) -> Reply:
        return Reply(self, index)

    def wait_shown(self) -> Chat:
        self.root.wait_for(timeout=self.timeout_ms)
        self.wait_status("ready")
        return self

    def ask(self, text: str) -> Reply:
        """Type into the input and press Enter, as a user does; returns the new reply."""
        before = self.requests.count()
        self.input.click()
        self.input.fill(text)
        self.input.press("Enter")
        self.requests.nth(before).wait_for(timeout=self.timeout_ms)
        return Reply(self, before)

    def wait_status(self, text: str, timeout_ms: float | None = None) -> str:
        """Wait until the status line contains ``text``; returns the whole line."""
        bounded_wait(
            lambda: text in self.status.inner_text(),
            timeout=(timeout_ms or self.timeout_ms) / 1000,
            what=f"status {text!r} (it says {self.status.inner_text()!r})",
        )
        return self.status.inner_text()

    def wait_done(self, reply: Reply, timeout_ms: float | None = None) -> str:
        """Wait for ``reply``'s turn to end (its metrics footer is drawn and Send is enabled
        again); returns the status line."""
        bounded_wait(
            lambda: reply.footer.count() == 1 and self.button("Send").is_enabled(),
            timeout=(timeout_ms or self.timeout_ms) / 1000,
            what="the turn to end (its metrics footer drawn, Send enabled)",
        )
        return self.status.inner_text()

    def export(self) -> Download:
        """Press Export, wait for the link it offers (a new one, when there was one already) and
        click it; returns the browser's download."""
        before = self.download_link.get_attribute("download") if self.download_link.count() else None
        self.button("Export").click()
        link = self.download_link
        bounded_wait(
            lambda: link.count() == 1 and link.get_attribute("download") != before,
            timeout=self.timeout_ms / 1000,
            what=f"a new download link after Export (the last one was {before!r})",
        )
        with self.page.expect_download(timeout=self.timeout_ms) as download:
            self.download_link.click()
        return download.value

    def record_stream(self) -> None:
        self.page.evaluate(_RECORDER_JS)

    def samples(self) -> list[dict[str, float]]:
        return list(self.page.evaluate("window.__snbaSamples || []"))


@dataclass
class Reply:
    """One exchange in the widget: the request, tool cards, the answer and its metrics footer."""

    chat: Chat
    index: int

    @property
    def box(self) -> Locator:
        request = self.chat.requests.nth(self.index)
        # The request's HTML widget sits directly in the exchange's VBox.
        return request.locator(
            "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' widget-html ')][1]/.."
        )

    @property
    def answer(self) -> Locator:
        # The answer is the exchange's own HTML child holding Markdown (the thinking block's
        # Markdown sits inside a <details>, so the child combinators leave it out).
        return self.box.locator(":scope > .widget-html > .widget-html-content > .snba-markdown")

    @property
    def cards(self) -> Locator:
        return self.box.locator(".snba-card")

    @property
    def footer(self) -> Locator:
        return self.box.locator(".snba-metrics")

    def answer_text(self) -> str:
        return self.answer.inner_text() if self.answer.count() else ""
