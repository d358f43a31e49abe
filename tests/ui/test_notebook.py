"""Final-output determinism: the sandbox notebook gives the same final outputs on every run.

The magic's live display starts and ends empty (nbval does not replay display updates), and the
only varying figures (durations, rates) are masked by tests/notebooks/sanitize.cfg.
"""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "sandbox_magic.ipynb"
SANITIZE = NOTEBOOKS / "sanitize.cfg"

pytestmark = pytest.mark.slow


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    config = configparser.ConfigParser(interpolation=None)
    config.read(SANITIZE)
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def _final_outputs(nb: Any) -> list[list[tuple[str, str]]]:
    patterns = _patterns()

    def clean(text: str) -> str:
        for pattern, replace in patterns:
            text = pattern.sub(replace, text)
        return text

    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs: list[tuple[str, str]] = []
        for out in cell.outputs:
            if out.output_type == "stream":
                outs.append((out.name, clean(out.text)))
            elif out.output_type in ("display_data", "execute_result"):
                for mime in ("text/plain", "text/html", "text/markdown"):
                    if mime in out.data:
                        outs.append((mime, clean(str(out.data[mime]))))
            else:
                outs.append((out.output_type, clean(str(out.get("evalue", "")))))
        cells.append(outs)
    return cells


def _execute() -> Any:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    ).execute()
    return nb


def test_two_fresh_runs_and_the_saved_notebook_have_the_same_final_outputs() -> None:
    saved = _final_outputs(nbformat.read(NOTEBOOK, as_version=4))
    first, second = _final_outputs(_execute()), _final_outputs(_execute())
    assert first == second
    assert first == saved
    # The live progress display ends as an empty HTML bundle, which front ends render as nothing
    # (an empty text/plain alone would show an empty box above the answer).
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.output_type == "display_data" and not str(data.get("text/plain", "x")).strip():
                assert data.get("text/html") == ""
    # The runs really produced answers and tables, not empty cells.
    flat = "".join(text for cell in first for _, text in cell)
    assert "list_customers" in flat
    assert "snba-table" in flat
    assert "Grace Hopper" in flat


def test_nbval_passes_on_the_saved_notebook() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval", str(NOTEBOOK),
         "--nbval-sanitize-with", str(SANITIZE)],
        capture_output=True, text=True, timeout=180, env=env, cwd=NOTEBOOKS.parents[1],
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
