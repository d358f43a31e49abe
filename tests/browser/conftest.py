"""Fixtures: one Chromium for the session, one JupyterLab (``lab``) and, started only if a test
asks for it, one Notebook 7 server (``notebook7``); a fresh notebook (and kernel) per test.

On failure a test leaves ``artifacts/browser/<test-name>/`` (relative to the repo root):
``page.png`` (a full-page screenshot), ``console.log`` (the browser console and page errors),
``page.html`` and ``jupyter-lab.log`` or ``jupyter-notebook.log`` (the tail of the log of the
server the test used, kernel output included).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from tests.browser.harness import (
    ARTIFACTS,
    CHROMIUM,
    TIMEOUT_MS,
    Chat,
    JupyterLab,
    JupyterServer,
    Notebook,
    chromium,
    fresh_notebook,
    running_server,
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Without a browser these tests cannot run: a developer's machine skips them with the fix, but
    # CI (CI=true, where dev.py installs Debian's chromium) fails rather than passing unproven.
    if CHROMIUM.exists():
        return
    reason = f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (or set STRIPE_NB_AGENT_CHROMIUM)"
    if os.environ.get("CI"):
        raise pytest.UsageError(f"The browser suite cannot run in CI: {reason}")
    for item in items:
        item.add_marker(pytest.mark.skip(reason=reason))


_CONSOLE = pytest.StashKey[list[str]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    # Saved here, at the moment of failure, before fixture teardown shuts the kernel down.
    funcargs = getattr(item, "funcargs", {})
    page = funcargs.get("page")
    # Whichever server the test used (``lab``, ``notebook7``), under any fixture name.
    server = next((value for value in funcargs.values() if isinstance(value, JupyterServer)), None)
    if report.failed and report.when in ("setup", "call") and page is not None and server is not None:
        folder = _save_artifacts(item.name, page, item.stash.get(_CONSOLE, []), server)
        report.sections.append(("browser artifacts", str(folder)))
        print(f"\nbrowser artifacts for {item.name}: {folder}")
    return report


@pytest.fixture(scope="session")
def lab() -> Iterator[JupyterLab]:
    with running_server("lab") as server:
        yield server


@pytest.fixture(scope="session")
def notebook7() -> Iterator[JupyterServer]:
    """Notebook 7 (``jupyter notebook``) on the same jupyter_server stack; started on first use."""
    with running_server("notebook") as server:
        yield server


@pytest.fixture(scope="session")
def browser_context() -> Iterator[BrowserContext]:
    with chromium() as context:
        context.set_default_timeout(TIMEOUT_MS)
        yield context


@pytest.fixture
def page(request: pytest.FixtureRequest, browser_context: BrowserContext) -> Iterator[Page]:
    page = browser_context.new_page()
    console = request.node.stash[_CONSOLE] = []

    def on_console(message: ConsoleMessage) -> None:
        console.append(f"[{message.type}] {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    yield page
    page.close()


def _save_artifacts(name: str, page: Page, console: list[str], server: JupyterServer) -> Path:
    folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        page.screenshot(path=str(folder / "page.png"), full_page=True, timeout=10_000)
        (folder / "page.html").write_text(page.content())
    except Exception as exc:  # a crashed page must not hide the test's own failure
        (folder / "page.png.error").write_text(repr(exc))
    (folder / "console.log").write_text("\n".join(console) + "\n")
    (folder / f"jupyter-{server.app}.log").write_text(server.log_tail(100_000))
    return folder


@pytest.fixture
def notebook(request: pytest.FixtureRequest, lab: JupyterLab, page: Page) -> Iterator[Notebook]:
    """A fresh notebook named after the test, open in JupyterLab in its own workspace, kernel idle."""
    with fresh_notebook(page, lab, request.node.name, timeout_ms=TIMEOUT_MS) as notebook:
        yield notebook


@pytest.fixture
def chat(notebook: Notebook) -> Chat:
    """The chat widget displayed in the notebook's first cell, on the kernel's shared Agent."""
    notebook.run("import stripe_nb_agent\n\nw = stripe_nb_agent.chat()\nw")
    return Chat(notebook.page, timeout_ms=TIMEOUT_MS).wait_shown()
