"""A real JupyterLab, a real headless Chromium, and the page helpers the scenarios read as sentences.

Used by the browser tests (through the fixtures in ``conftest.py``) and by
``scripts/screenshot.py``, so the README screenshot is taken by exactly the code the tests prove.

Nothing here patches the product: the kernel is a stock ipykernel started by JupyterLab, the
widget's comm messages cross JupyterLab's websocket, and every assertion reads what the page shows.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx2
from playwright.sync_api import BrowserContext, Locator, Page, Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
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

# JupyterLab settings for a quiet, deterministic page: no news/update poll (no network here, and
# its toast would cover the notebook), no autosave racing the scenario's own edits.
_LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell stays in the DOM: virtualised cells would vanish from the page the tests read.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
# Variables that could point the kernel at a real account or model: the suite is offline only.
_SCRUBBED_PREFIXES = ("STRIPE_", "DAT1_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bounded_wait(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The JupyterLab server
# ---------------------------------------------------------------------------------------------


@dataclass
class JupyterLab:
    """``python -m jupyter lab`` from the project venv on a random loopback port and token.

    The root directory is a temporary copy of the repo's ``notebooks/``, so scenarios never write
    into the repo. Environment for the kernels it starts: sandbox mode, pace ``pace`` (0 = no
    artificial delay), and no Stripe or DAT1 variables from the caller.
    """

    pace: float = 0.0
    root: Path = field(init=False)
    port: int = field(init=False)
    token: str = field(init=False)
    log_path: Path = field(init=False)
    _home: Path = field(init=False)
    _process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> JupyterLab:
        self._home = Path(tempfile.mkdtemp(prefix="snba-lab-"))
        self.root = self._home / "notebooks"
        shutil.copytree(REPO / "notebooks", self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings_dir = self._home / "lab-settings"
        for plugin, values in _LAB_SETTINGS.items():
            package, name = plugin.rsplit("/", 1)
            target = settings_dir / package / f"{name}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        self.port, self.token = free_port(), secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
        env.update(
            STRIPE_NB_AGENT_MODE="sandbox",
            STRIPE_NB_AGENT_SANDBOX_PACE=repr(self.pace),
            JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self._home / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self._home / "runtime"),
            JUPYTER_CONFIG_DIR=str(self._home / "config"),
            IPYTHONDIR=str(self._home / "ipython"),
            # The kernel imports the package from the repo checkout, like a developer's notebook.
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        self.log_path = self._home / "jupyterlab.log"
        command = [
            str(VENV_PYTHON),
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.open_browser=False",
            # The extension manager would query PyPI from the browser; there is nothing to manage.
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        with self.log_path.open("wb") as log:
            # A new session (process group): teardown kills the server and every kernel it started.
            self._process = subprocess.Popen(
                command,
                cwd=self._home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            bounded_wait(self._ready, timeout=timeout, interval=0.2, what="JupyterLab start-up")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(
                f"JupyterLab exited with code {self._process.returncode} during start-up; "
                f"see its log:\n{self.log_tail()}"
            )
        try:
            return self.api("GET", "/api/status").status_code == 200
        except httpx2.TransportError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            pgid = os.getpgid(process.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                process.wait(timeout=10)
            # Kernels live in the same process group; make sure none outlives the server.
            with _suppress_lookup():
                os.killpg(pgid, signal.SIGKILL)
        shutil.rmtree(self._home, ignore_errors=True)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def api(self, method: str, path: str, body: Any = None) -> httpx2.Response:
        return httpx2.request(
            method,
            self.base_url + path,
            headers={"Authorization": f"token {self.token}"},
            json=body,
            timeout=10.0,
        )

    # --- notebooks and kernels -----------------------------------------------------------------

    def new_notebook(self, name: str, sources: tuple[str, ...] = ("",)) -> str:
        """Write a notebook (python3 kernelspec, so no kernel picker) through the contents API."""
        cells: list[dict[str, Any]] = [
            {
                "id": f"cell-{i}",
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": s,
            }
            for i, s in enumerate(sources)
        ]
        content = {
            "cells": cells,
            "metadata": {
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        response = self.api("PUT", f"/api/contents/{quote(name)}", {"type": "notebook", "content": content})
        response.raise_for_status()
        return name

    def clear_outputs(self, path: str) -> None:
        """Blank a notebook's saved outputs (in the temporary root), so only fresh ones are read."""
        model = self.api("GET", f"/api/contents/{quote(path)}?content=1").json()
        content = model["content"]
        for cell in content["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        self.api(
            "PUT", f"/api/contents/{quote(path)}", {"type": "notebook", "content": content}
        ).raise_for_status()

    def shut_down_kernels(self, path: str) -> None:
        """End the sessions (and kernels) of one notebook, so kernels do not pile up on 2 cores."""
        for session in self.api("GET", "/api/sessions").json():
            if session.get("path") == path:
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def url(self, path: str, workspace: str) -> str:
        # A workspace per page: nothing opened by an earlier scenario is restored into this one.
        return (
            f"{self.base_url}/lab/workspaces/{quote(workspace)}/tree/{quote(path)}?reset&token={self.token}"
        )


class _suppress_lookup:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, traceback: object) -> bool:
        return isinstance(value, ProcessLookupError)


@contextmanager
def running_lab(pace: float = 0.0) -> Iterator[JupyterLab]:
    lab = JupyterLab(pace=pace).start()
    try:
        yield lab
    finally:
        lab.stop()


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
    timeout_ms: float = 60_000

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


@dataclass
class Chat:
    """The chat widget as the page shows it (class names from stripe_nb_agent/ui/chat.py)."""

    page: Page
    timeout_ms: float = 60_000

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
