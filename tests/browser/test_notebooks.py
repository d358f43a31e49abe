"""The shipped notebooks run top to bottom in a real JupyterLab without a single error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Page

from tests.browser.harness import REPO, JupyterLab, Notebook

pytestmark = pytest.mark.browser


@contextmanager
def run_all(lab: JupyterLab, page: Page, name: str) -> Iterator[Notebook]:
    """``notebooks/<name>`` opened in its own workspace with its saved outputs blanked, run with
    Run All Cells; its kernel is shut down on exit."""
    assert (REPO / "notebooks" / name).exists(), f"notebooks/{name} is missing: it is the scenario's subject"
    lab.clear_outputs(name)  # in the temporary copy: only outputs of this run are read
    page.goto(lab.url(name))
    notebook = Notebook(page, timeout_ms=180_000).wait_ready()
    try:
        notebook.run_all()
        yield notebook
    finally:
        lab.shut_down_kernels(name)


@pytest.mark.timeout(420)
def test_ex2_mcp_runs_all_cells_without_errors_and_the_magic_renders_tables(
    lab: JupyterLab, page: Page
) -> None:
    with run_all(lab, page, "ex2_mcp.ipynb") as notebook:
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


@pytest.mark.timeout(420)
def test_the_writes_and_policies_solution_runs_all_cells_and_its_checkpoint_passes(
    lab: JupyterLab, page: Page
) -> None:
    # The workshop's most eventful run: a write held by the confirm policy, approved from a
    # later cell, then checked against the sandbox store.
    with run_all(lab, page, "solution_3.ipynb") as notebook:
        assert notebook.errors() == []
        checkpoints = [cell for cell in notebook.cells.all() if notebook.source(cell).startswith("check.")]
        assert checkpoints, "a solution notebook ends with a checkpoint cell"
        for cell in checkpoints:
            said = "\n".join(notebook.outputs(cell).all_inner_texts())
            assert "Checkpoint passed." in said, f"{notebook.source(cell)!r} says:\n{said}"
            assert "✗" not in said
            assert "✓" in said
