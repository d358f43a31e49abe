"""The shipped notebooks run top to bottom in a real JupyterLab without a single error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.harness import REPO, JupyterLab, Notebook

pytestmark = pytest.mark.browser


@pytest.mark.timeout(420)
def test_ex2_mcp_runs_all_cells_without_errors_and_the_magic_renders_tables(
    lab: JupyterLab, page: Page
) -> None:
    name = "ex2_mcp.ipynb"
    assert (REPO / "notebooks" / name).exists(), f"notebooks/{name} is missing: it is the scenario's subject"
    lab.clear_outputs(name)  # in the temporary copy: only outputs of this run are read
    page.goto(lab.url(name, workspace="ex2"))
    notebook = Notebook(page, timeout_ms=180_000).wait_ready()
    try:
        notebook.run_all()

        assert notebook.errors() == []
        magic_cells = [
            cell
            for cell in notebook.cells.all()
            if notebook.source(cell).startswith("%%stripe_agent") and "--quiet" not in notebook.source(cell)
        ]
        assert magic_cells, "the notebook should use the %%stripe_agent magic"
        for cell in magic_cells:
            assert notebook.outputs(cell).count() >= 1, f"no output from {notebook.source(cell)!r}"
        tables = [cell.locator(".jp-RenderedHTMLCommon table tbody tr").count() for cell in magic_cells]
        assert any(tables), f"no magic output renders a table (rows per magic cell: {tables})"
        # The last magic cell that renders a table shows it to the reader, not just in the DOM.
        last = next(cell for cell, rows in zip(reversed(magic_cells), reversed(tables), strict=True) if rows)
        assert last.locator(".jp-RenderedHTMLCommon table").first.is_visible()
    finally:
        lab.shut_down_kernels(name)
