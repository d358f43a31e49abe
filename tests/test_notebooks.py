"""The saved notebooks: no secrets, the walkthrough's structure, in sync with their sources.

nbval (in the test command; see scripts/build_notebooks.py) checks that a fresh run reproduces the outputs;
these tests check what nbval cannot: what the saved files and their sources in notebooks/src/ contain.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

import stripe_nb_agent

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
SCANNED_DIRS = (NOTEBOOKS, ROOT / "tests" / "notebooks")
WALKTHROUGH = ("index", "ex1_chat", "ex2_mcp", "ex3_embeddings_models", "ex4_own_tools")

# Stripe secret and restricted keys (test or live), webhook signing secrets and client secrets
# (``pi_…_secret_…``: they confirm a payment from a browser). A redacted hint such as
# "sk_test_…a1b2" does not match: the ellipsis breaks the run of key characters.
SECRET_SHAPE = re.compile(r"(?:\b(?:sk|rk)_(?:live|test)_|\bwhsec_|_secret_)[A-Za-z0-9]{8,}")
IGNORE_MARKER = "# NBVAL_IGNORE_OUTPUT"


def find_secrets(text: str) -> list[str]:
    """Key-shaped strings in ``text``, cut to a hint so a failing test does not print the key."""
    return [match.group(0)[:12] + "…" for match in SECRET_SHAPE.finditer(text)]


def all_notebooks() -> list[Path]:
    return sorted(path for folder in SCANNED_DIRS for path in folder.rglob("*.ipynb"))


def load(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def code_cells(nb: Any) -> Iterator[Any]:
    return (cell for cell in nb.cells if cell.cell_type == "code")


def output_text(cell: Any) -> str:
    parts: list[str] = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


def _generator() -> Any:
    scripts = NOTEBOOKS.parent / "scripts"
    sys.path.insert(0, str(scripts))
    try:
        import build_notebooks

        return build_notebooks
    finally:
        sys.path.remove(str(scripts))


# --- secrets ----------------------------------------------------------------------------------


def test_the_secret_scan_covers_both_notebook_folders() -> None:
    scanned = {path.parent for path in all_notebooks()}
    assert NOTEBOOKS in scanned
    assert ROOT / "tests" / "notebooks" in scanned


@pytest.mark.parametrize("path", all_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_saved_notebook_contains_a_secret_shaped_string(path: Path) -> None:
    # The raw file: sources, every output's every MIME type, metadata and attachments alike.
    found = find_secrets(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name} holds key-shaped strings {found}: clear them and re-run the notebook."


@pytest.mark.parametrize(
    "text",
    [
        "sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
        "STRIPE_SECRET_KEY=rk_live_" + "51HxYzAbCdEfGh",
        '{"secret": "whsec_' + 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSz"}',
        "Bearer sk_live_" + "abcdefgh12345678",
        "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_" + "YrKJUKribcBjcG8HVhfZluoGH",
    ],
)
def test_the_scan_catches_stripe_keys_webhook_and_client_secrets(text: str) -> None:
    found = find_secrets(text)
    assert len(found) == 1
    assert found[0].endswith("…")
    assert len(found[0]) == 13  # a hint, never the key


@pytest.mark.parametrize(
    "text",
    [
        "sk_test_…a1b2",  # the library's redacted hint
        "pk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",  # publishable keys are public by design
        "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_…GH",  # a client secret's redacted hint
        "https://buy.stripe.com/test_hPyBk6e5n4A0eO",
        "desk_test_results",
    ],
)
def test_the_scan_leaves_hints_and_non_secret_ids_alone(text: str) -> None:
    assert find_secrets(text) == []


def test_the_scan_finds_a_key_planted_in_a_saved_output(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(key)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="rk_test_" + "51HxYzAbCdEfGhIj\n")]
    nb.cells.append(cell)
    path = tmp_path / "leak.ipynb"
    nbformat.write(nb, path)
    assert find_secrets(path.read_text()) == ["rk_test_51Hx…"]


# --- the walkthrough's structure ---------------------------------------------------------------


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_each_walkthrough_notebook_is_valid_and_runs_on_the_python3_kernel(name: str) -> None:
    nb = load(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_each_notebook_opens_with_what_you_will_learn_and_a_status_cell(name: str) -> None:
    nb = load(name)
    assert nb.cells[0].cell_type == "markdown"
    assert "What you'll learn" in nb.cells[0].source
    first_code = [cell.source for cell in list(code_cells(nb))[:3]]
    assert "%stripe_agent status" in first_code, f"{name}: a status cell belongs among the first cells"


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_each_notebook_is_saved_with_the_outputs_of_a_clean_sandbox_run(name: str) -> None:
    nb = load(name)
    cells = list(code_cells(nb))
    for cell in cells:
        assert all(o.output_type != "error" for o in cell.outputs), f"{name}: a saved cell failed"
    # A notebook saved without running shows nothing on GitHub: most cells must have output.
    with_output = [cell for cell in cells if cell.outputs]
    assert len(with_output) >= len(cells) * 0.6
    status = next(cell for cell in cells if cell.source.strip() == "%stripe_agent status")
    text = output_text(status)
    assert "sandbox" in text
    assert "Mode forced to sandbox" in text  # the notebooks are built with the mode forced
    # The forced-mode note says how to go live; no service row may say live.
    rows = re.sub(r"Mode forced to sandbox[^<\n]*", "", text)
    assert "LIVE" not in rows
    assert "live" not in rows.replace("(none needed)", "")


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_each_notebook_says_the_sandbox_model_is_not_a_language_model(name: str) -> None:
    nb = load(name)
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "not a language model" in prose


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_outputs_are_ignored_only_with_a_stated_reason_and_never_on_a_magic_result(name: str) -> None:
    nb = load(name)
    for cell in code_cells(nb):
        lines = cell.source.splitlines()
        if IGNORE_MARKER not in lines:
            continue
        after = lines[lines.index(IGNORE_MARKER) + 1]
        assert after.startswith("# (not compared by the tests: "), f"{name}: say why next to {IGNORE_MARKER}"
        assert not any(line.startswith("%%stripe_agent") for line in lines)


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_widget_cells_are_not_compared(name: str) -> None:
    nb = load(name)
    for cell in code_cells(nb):
        shows_widget = any(
            "application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in cell.outputs
        )
        if shows_widget:
            assert IGNORE_MARKER in cell.source.splitlines(), f"{name}: widget ids vary; ignore that output"


@pytest.mark.parametrize("name", WALKTHROUGH)
def test_every_chart_has_a_title_and_labelled_axes(name: str) -> None:
    nb = load(name)
    charts = [cell for cell in code_cells(nb) if "plt.subplots" in cell.source]
    for cell in charts:
        for call in ("set_title(", "set_xlabel(", "set_ylabel("):
            assert call in cell.source
        assert any("image/png" in output.get("data", {}) for output in cell.outputs), "save the chart"


def test_the_mcp_and_embeddings_notebooks_draw_their_charts() -> None:
    assert any("plt.subplots" in cell.source for cell in code_cells(load("ex2_mcp")))
    assert any("plt.subplots" in cell.source for cell in code_cells(load("ex3_embeddings_models")))


def test_the_index_links_to_every_walkthrough_notebook() -> None:
    prose = "\n".join(cell.source for cell in load("index").cells if cell.cell_type == "markdown")
    for name in WALKTHROUGH[1:]:
        assert f"]({name}.ipynb)" in prose
        assert (NOTEBOOKS / f"{name}.ipynb").is_file()


def test_the_guide_requests_of_the_mcp_notebook_are_all_there() -> None:
    sources = "\n".join(cell.source for cell in code_cells(load("ex2_mcp")))
    for topic in ("customers", "payments", "refund", "balance", "products", "prices", "payment link"):
        assert topic in sources
    for topic in ("subscriptions", "invoice", "--policy confirm", "approve", "decline", "--policy read-only"):
        assert topic in sources
    assert "refresh=True" in sources


# --- the workshop ---------------------------------------------------------------------------

EXERCISES = sorted(path.stem for path in NOTEBOOKS.glob("workshop_*.ipynb"))


def test_the_workshop_has_five_exercises_each_with_its_solution() -> None:
    assert [f"workshop_{n}" for n in range(1, 6)] == EXERCISES
    for name in EXERCISES:
        assert (NOTEBOOKS / f"{name.replace('workshop', 'solution')}.ipynb").is_file()


@pytest.mark.parametrize("name", EXERCISES)
def test_exercises_are_saved_clean_and_end_with_a_checkpoint(name: str) -> None:
    nb = load(name)
    assert all(not cell.outputs for cell in code_cells(nb)), f"{name}: attendees start from a clean notebook"
    assert "What you'll learn" in nb.cells[0].source
    assert "not a language model" in nb.cells[0].source
    assert list(code_cells(nb))[-1].source.startswith("check.")
    assert any("..." in cell.source for cell in code_cells(nb)), f"{name}: nothing left to do"


@pytest.mark.parametrize("name", [e.replace("workshop", "solution") for e in EXERCISES])
def test_solutions_are_saved_with_a_passing_checkpoint(name: str) -> None:
    checkpoint = list(code_cells(load(name)))[-1]
    assert checkpoint.source.startswith("check.")
    text = output_text(checkpoint)
    assert "Checkpoint passed." in text
    assert "✗" not in text


def test_exercises_are_left_out_of_nbval_with_the_reason_and_solutions_are_not() -> None:
    dev = (ROOT / "dev.py").read_text()
    assert "--ignore-glob=notebooks/workshop_*.ipynb" in dev
    assert "saved without outputs" in dev


def test_the_index_opens_with_the_flow_diagram_and_links_every_exercise() -> None:
    nb = load("index")
    overview = nb.cells[1].source
    assert "```mermaid" in overview
    for word in ("DAT1", "MCP", "sandbox", "Stripe"):
        assert word in overview
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    for name in EXERCISES:
        assert f"]({name}.ipynb)" in prose


@pytest.mark.parametrize("number", range(1, 6))
def test_an_exercise_is_its_solution_with_the_tasks_left_open(number: int) -> None:
    exercise, solution = load(f"workshop_{number}"), load(f"solution_{number}")
    assert [c.cell_type for c in exercise.cells] == [c.cell_type for c in solution.cells]
    title = solution.cells[0].source.splitlines()[0]
    assert title.startswith(f"# Solution {number}: ")
    assert exercise.cells[0].source.splitlines()[0] == title.replace("Solution", "Exercise", 1)
    assert f"](solution_{number}.ipynb)" in exercise.cells[0].source
    assert f"](workshop_{number}.ipynb)" in solution.cells[0].source
    tasks = 0
    for mine, answer in zip(exercise.cells[1:], solution.cells[1:], strict=True):
        if mine.source != answer.source:
            assert mine.cell_type == "code", f"workshop_{number}: only code cells differ"
            assert "..." in mine.source, f"workshop_{number}: a task leaves its `...` open: {mine.source!r}"
            tasks += 1
    assert tasks, f"workshop_{number} leaves nothing to do"


# --- the sources ------------------------------------------------------------------------------

SOURCE_FILES = sorted(SOURCES.glob("*.py"))
# ``stripe_nb_agent.NAME`` anywhere in a source, code or prose: NAME must be public.
PACKAGE_PATH = re.compile(r"\bstripe_nb_agent\.(\w+)")


def private_paths(text: str) -> list[str]:
    found = {m.group(0) for m in PACKAGE_PATH.finditer(text) if m.group(1) not in stripe_nb_agent.__all__}
    return sorted(found)


def test_every_saved_notebook_has_a_source_and_every_source_a_saved_notebook() -> None:
    assert {path.stem for path in SOURCE_FILES} == {path.stem for path in NOTEBOOKS.glob("*.ipynb")}
    assert _generator().names() == [path.stem for path in SOURCE_FILES]


@pytest.mark.parametrize("name", sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")))
def test_saved_notebooks_match_their_sources(name: str) -> None:
    build = _generator()
    expected = build.build(name)
    saved = load(name)
    # Sources, kinds and cell metadata (tags): everything but the outputs comes from the source.
    assert [(c.cell_type, c.source, c.metadata) for c in saved.cells] == [
        (c.cell_type, c.source, c.metadata) for c in expected.cells
    ], f"notebooks/{name}.ipynb differs from its source: run `python scripts/build_notebooks.py {name}`"


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.stem)
def test_notebooks_teach_only_the_public_api(path: Path) -> None:
    found = private_paths(path.read_text(encoding="utf-8"))
    assert not found, (
        f"notebooks/src/{path.name} uses {found}: import from `stripe_nb_agent` itself "
        "(export the name in stripe_nb_agent/__init__.py if it is missing)"
    )


def test_the_public_api_scan_catches_private_paths_and_leaves_public_names_alone() -> None:
    text = """
from stripe_nb_agent import get_agent, semantic_search
import stripe_nb_agent
chat = stripe_nb_agent.chat()
from stripe_nb_agent.search import cosine_similarity
import stripe_nb_agent.ui.shared as shared
# see `stripe_nb_agent.llm.embeddings.embed`
"""
    assert private_paths(text) == ["stripe_nb_agent.llm", "stripe_nb_agent.search", "stripe_nb_agent.ui"]


# --- the nbval sanitizer ----------------------------------------------------------------------


def _sanitizers() -> list[tuple[re.Pattern[str], str]]:
    parser = configparser.ConfigParser()
    parser.read(NOTEBOOKS / "sanitize.cfg")
    return [(re.compile(parser[s]["regex"]), parser[s]["replace"]) for s in parser.sections()]


def _sanitize(text: str) -> str:
    for pattern, replacement in _sanitizers():
        text = pattern.sub(replacement, text)
    return text


def test_the_sanitizer_masks_durations_and_rates_only() -> None:
    line = "_TTFT 16 ms · tok/s 9938.9 · tools 31 ms (5 calls) · rounds 3 · total 1.2 s · model sandbox_"
    assert _sanitize(line) == (
        "_TTFT DURATION · tok/s RATE · tools DURATION (5 calls) · rounds 3 · total DURATION · model sandbox_"
    )
    ids = "refund `re_kl7RI0lAqww1GdmY9MjjQpGc` of $5.00 for `pi_LL2vUriyn5RtJtB55u9KhNQc` (3 calls)"
    assert _sanitize(ids) == ids


def test_binder_start_forces_the_sandbox_whatever_the_environment_says() -> None:
    env = {**os.environ, "STRIPE_NB_AGENT_MODE": "live"}
    out = subprocess.run(
        ["bash", str(ROOT / "binder" / "start"), "bash", "-c", "echo $STRIPE_NB_AGENT_MODE"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert out.stdout.strip() == "sandbox"


def test_binder_files_name_a_python_the_package_supports_and_install_the_notebook_extras() -> None:
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert ".[embeddings" in post_build
    assert "matplotlib" in (ROOT / "binder" / "requirements.txt").read_text()
    for script in ("postBuild", "start"):
        assert os.access(ROOT / "binder" / script, os.X_OK), f"binder/{script} must be executable"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_binder_check_builds_a_fresh_environment_and_passes_nbval() -> None:
    # Minutes, and PyPI access: it builds a new venv from the binder/ files alone.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "binder_check.py")],
        capture_output=True,
        text=True,
        timeout=1150,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "[binder-check] PASSED" in result.stdout
