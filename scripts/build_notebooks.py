"""Write the walkthrough notebooks from the cell lists below, run them on the sandbox, save them.

    .venv/bin/python scripts/build_notebooks.py            # every notebook
    .venv/bin/python scripts/build_notebooks.py ex2_mcp    # one of them

The notebooks are the product's teaching documents, so their text lives here as plain Python
strings (reviewable in a diff) and the .ipynb files are generated: each is executed top to bottom
with nbclient on the ``python3`` kernel of the interpreter running this script, in sandbox mode
with pacing off, from ``notebooks/`` as the working directory, and saved WITH those outputs so a
reader on GitHub sees a real run. nbval (see ``sanitize.cfg``) then checks that a fresh run gives
the same outputs. Re-running this script is always safe: the sandbox is seeded and its clock is
frozen, so only durations and rates change.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
NOTEBOOK_DIR = HERE.parent / "notebooks"
sys.path.insert(0, str(HERE))

from notebook_cells import EXERCISE_NOTEBOOKS, NOTEBOOKS  # noqa: E402  (the cell lists live next to this script)

#: Cell metadata that keeps a saved notebook quiet in JupyterLab and on GitHub.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    for kind, source in cells:
        source = source.strip("\n")
        nb.cells.append(new_markdown_cell(source) if kind == "md" else new_code_cell(source))
    # Stable cell ids keep diffs of re-generated notebooks small.
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"{name.replace('_', '-')}-{number:02d}"
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    env = dict(os.environ)
    env["STRIPE_NB_AGENT_MODE"] = "sandbox"
    env["STRIPE_NB_AGENT_SANDBOX_PACE"] = "0"
    # Saved outputs must never come from a live account, whatever this shell has set.
    for key in ("DAT1_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_ACCOUNT"):
        env.pop(key, None)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
        # A failing cell is a bug in the walkthrough: stop and say so.
        allow_errors=False,
    )
    start = time.perf_counter()
    # The kernel gets this environment, not the one of the shell that runs the script.
    client.execute(env=env)
    return time.perf_counter() - start


def main(argv: list[str]) -> int:
    wanted = argv or list(NOTEBOOKS)
    unknown = [name for name in wanted if name not in NOTEBOOKS]
    if unknown:
        print(f"Unknown notebook(s) {', '.join(unknown)}: choose from {', '.join(NOTEBOOKS)}.")
        return 2
    for name in wanted:
        nb = build(name, NOTEBOOKS[name])
        seconds = execute(nb)
        for cell in nb.cells:
            # Execution counts and timing metadata change on every run; the outputs are what matter.
            cell.get("metadata", {}).pop("execution", None)
            if name in EXERCISE_NOTEBOOKS and cell.cell_type == "code":
                # Run to prove the unsolved exercise runs; saved clean, for attendees to fill in.
                cell.outputs, cell.execution_count = [], None
        nbformat.validate(nb)
        target = NOTEBOOK_DIR / f"{name}.ipynb"
        nbformat.write(nb, target)
        print(f"{target.name}: {len(nb.cells)} cells, executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
