"""Shared test set-up.

Every async test runs on asyncio through anyio's pytest plugin. The browser suite (tests/browser)
runs only with ``--run-browser`` and in a pytest process of its own: Playwright's sync API keeps
an event loop on the main thread for the whole session, which would break every async test that
ran after it in the same process. ``python3 dev.py test`` runs it that way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).parent / "browser"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-browser",
        action="store_true",
        default=False,
        help="run the browser suite (tests/browser); run it in a pytest process of its own",
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path == BROWSER_DIR and not config.getoption("--run-browser"):
        return True
    return None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
