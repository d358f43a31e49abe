"""A real Jupyter front end (JupyterLab 4 or Notebook 7), a real headless Chromium, and the page
helpers the scenarios read as sentences: one import for the browser tests and for
``scripts/screenshot.py``, so the README screenshot is taken by exactly the code the tests prove.

The servers live in ``lab.py``, the browser and page helpers in ``page.py``. Nothing here patches
the product: the kernel is a stock ipykernel started by the server, the widget's comm messages
cross the front end's websocket, and every assertion reads what the page shows.
"""

from __future__ import annotations

from tests.browser.lab import (
    REPO,
    VENV_PYTHON,
    App,
    JupyterLab,
    JupyterServer,
    bounded_wait,
    free_port,
    running_lab,
    running_server,
)
from tests.browser.page import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    TIMEOUT_MS,
    Chat,
    Notebook,
    Notebook7,
    Reply,
    chromium,
    fresh_notebook,
    open_notebook,
)

__all__ = [
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "REPO",
    "TIMEOUT_MS",
    "VENV_PYTHON",
    "App",
    "Chat",
    "JupyterLab",
    "JupyterServer",
    "Notebook",
    "Notebook7",
    "Reply",
    "bounded_wait",
    "chromium",
    "free_port",
    "fresh_notebook",
    "open_notebook",
    "running_lab",
    "running_server",
]
