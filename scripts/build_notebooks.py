"""Build the notebooks from their sources in notebooks/src/, run them on the sandbox, save them.

    .venv/bin/python scripts/build_notebooks.py            # every notebook
    .venv/bin/python scripts/build_notebooks.py ex2_mcp    # one of them

The notebooks are the product's teaching documents, so their text lives in percent-format scripts
(``notebooks/src/NAME.py``: ``# %%`` code cells, ``# %% [markdown]`` cells, cell metadata such as
tags in the marker line) that ruff lints like the rest of the code, and the .ipynb files are
generated: each is read with jupytext (``notebooks/src/jupytext.toml`` says how), executed top to
bottom with nbclient on the ``python3`` kernel of the interpreter running this script, in sandbox
mode with pacing off, from ``notebooks/`` as the working directory, and saved WITH those outputs so
a reader on GitHub sees a real run. nbval (see ``sanitize.cfg``) then checks that a fresh run gives
the same outputs. Re-running this script is always safe: the sandbox is seeded and its clock is
frozen, so only durations and rates change.

The workshop's exercises (``workshop_N``) are run too, to prove the unsolved notebook runs (its
checkpoint then says what is missing), but saved without outputs for attendees to fill in; their
solutions (``solution_N``) are saved like every other notebook, and nbval runs those.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupytext.config import load_jupytext_config
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "src"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def names() -> list[str]:
    """Every notebook this script builds: one per source."""
    return sorted(path.stem for path in SOURCE_DIR.glob("*.py"))


def for_attendees(name: str) -> bool:
    """An exercise of the workshop: saved without outputs (see the module docstring)."""
    return name.startswith("workshop_")


def build(name: str) -> nbformat.NotebookNode:
    """The notebook ``name`` as its source describes it, not yet run."""
    source = SOURCE_DIR / f"{name}.py"
    nb = jupytext.read(source, fmt="py:percent", config=load_jupytext_config(str(source)))
    # Only the kernel: jupytext's own bookkeeping (format, filters) describes the source, not the notebook.
    nb.metadata = nbformat.NotebookNode(kernelspec=KERNELSPEC, language_info={"name": "python"})
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
    available = names()
    wanted = argv or available
    unknown = [name for name in wanted if name not in available]
    if unknown:
        print(f"Unknown notebook(s) {', '.join(unknown)}: choose from {', '.join(available)}.")
        return 2
    for name in wanted:
        nb = build(name)
        seconds = execute(nb)
        for cell in nb.cells:
            # Execution counts and timing metadata change on every run; the outputs are what matter.
            cell.get("metadata", {}).pop("execution", None)
            if for_attendees(name) and cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.validate(nb)
        target = NOTEBOOK_DIR / f"{name}.ipynb"
        nbformat.write(nb, target)
        print(f"{target.name}: {len(nb.cells)} cells, executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
