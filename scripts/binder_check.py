#!/usr/bin/env python3
"""Prove the Binder setup without Docker: build what repo2docker would build, then run the notebooks.

    python scripts/binder_check.py              # about 1-3 minutes, most of it pip
    python scripts/binder_check.py --keep       # leave the work directory for a look

What it does, in repo2docker's order, using nothing but the ``binder/`` files:

1. copies the repository's files (tracked and new, not ignored: what a fresh clone would hold,
   so no ``.venv``) into a temporary directory;
2. creates a fresh virtual environment with the Python that ``binder/runtime.txt`` names, with no
   access to the project's ``.venv``, the system's or the user's site-packages;
3. installs what Binder's base image has preinstalled (JupyterLab), plus the checker's own tools
   (pytest, pytest-timeout, nbval), then ``binder/requirements.txt``;
4. runs ``binder/postBuild`` from the copy's root, with the fresh environment first on PATH;
5. runs every notebook in ``notebooks/`` with nbval through ``binder/start`` (which forces sandbox
   mode), comparing outputs with ``notebooks/sanitize.cfg`` exactly as the test command does.

It exits 0 when every notebook passes, and prints how long each step took.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

#: Binder's base image (repo2docker) comes with JupyterLab; the rest is the checker's own tooling.
BASE_IMAGE_PACKAGES = ("jupyterlab>=4.2,<5",)
CHECKER_PACKAGES = ("pytest>=8.2", "pytest-timeout>=2.3", "nbval>=0.11")


class CheckFailed(Exception):
    """A step failed; the message says which and what to look at."""


def _say(message: str) -> None:
    print(f"[binder-check] {message}", flush=True)


def runtime_python(runtime_txt: Path) -> str:
    """The interpreter ``runtime.txt`` asks for (``python-3.11`` -> ``python3.11`` on PATH)."""
    text = runtime_txt.read_text().strip() if runtime_txt.exists() else ""
    match = re.fullmatch(r"python-(\d+)\.(\d+)(?:\.\d+)?", text)
    if not match:
        raise CheckFailed(
            f"{runtime_txt} should hold one line like 'python-3.11' (repo2docker's format), got {text!r}."
        )
    name = f"python{match.group(1)}.{match.group(2)}"
    found = shutil.which(name)
    if found is None:
        raise CheckFailed(f"binder/runtime.txt asks for {name}, which is not on PATH: install it first.")
    return found


def repository_files(root: Path) -> list[str]:
    """Files a fresh clone would have, plus new files not yet committed (never ignored ones)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise CheckFailed(
            f"Could not list the repository's files with git ({exc}): run from a git checkout."
        ) from exc
    return [name for name in out.decode().split("\0") if name and (root / name).is_file()]


def copy_checkout(root: Path, target: Path) -> int:
    files = repository_files(root)
    for name in files:
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, destination)
    return len(files)


def clean_env(venv: Path, home: Path | None = None) -> dict[str, str]:
    """An environment that can only see the fresh venv (and system tools such as git and bash)."""
    # PIP_* stays: it is how this machine reaches the package registry (index, certificates).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "CONDA", "JUPYTER", "STRIPE_NB_AGENT"))
        and key not in ("DAT1_API_KEY", "STRIPE_SECRET_KEY", "STRIPE_ACCOUNT", "PATH")
    }
    env["PATH"] = os.pathsep.join([str(venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
    env["VIRTUAL_ENV"] = str(venv)
    env["PYTHONNOUSERSITE"] = "1"
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    if home is not None:
        # Jupyter's per-user kernelspecs and config live under HOME: keep the user's out of it.
        env["JUPYTER_DATA_DIR"] = str(home / "jupyter-data")
        env["JUPYTER_CONFIG_DIR"] = str(home / "jupyter-config")
        env["IPYTHONDIR"] = str(home / "ipython")
        env["MPLCONFIGDIR"] = str(home / "matplotlib")
    return env


def _run(step: str, cmd: Sequence[str | os.PathLike[str]], *, cwd: Path, env: dict[str, str]) -> float:
    _say(f"{step}: {' '.join(os.fspath(c) for c in cmd)}")
    start = time.perf_counter()
    code = subprocess.call([os.fspath(c) for c in cmd], cwd=cwd, env=env)
    seconds = time.perf_counter() - start
    if code != 0:
        raise CheckFailed(f"{step} failed (exit code {code}) after {seconds:.0f} s: see its output above.")
    _say(f"{step}: done in {seconds:.1f} s")
    return seconds


def check_kernel(python: Path, venv: Path, cwd: Path, env: dict[str, str]) -> None:
    """nbval must run the notebooks on the fresh venv's kernel, not on some other python3 kernel."""
    probe = (
        "from jupyter_client.kernelspec import KernelSpecManager as K; "
        "print(K().get_kernel_spec('python3').argv[0])"
    )
    out = subprocess.run([python, "-c", probe], cwd=cwd, env=env, capture_output=True, text=True)
    kernel_python = out.stdout.strip()
    if out.returncode != 0 or not kernel_python:
        raise CheckFailed(f"No python3 kernel in the fresh environment: {out.stderr.strip()[-500:]}")
    resolved = (
        Path(kernel_python)
        if os.path.isabs(kernel_python)
        else Path(shutil.which(kernel_python, path=env["PATH"]) or "")
    )
    if venv not in resolved.parents and resolved != python:
        raise CheckFailed(f"The python3 kernel runs {kernel_python}, outside the fresh environment {venv}.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the work directory afterwards")
    parser.add_argument("--workdir", type=Path, help="build here instead of a new temporary directory")
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="binder-check-"))
    work.mkdir(parents=True, exist_ok=True)
    checkout, venv, home = work / "repo", work / "venv", work / "home"
    timings: dict[str, float] = {}
    total = time.perf_counter()
    try:
        if checkout.exists():
            shutil.rmtree(checkout)
        checkout.mkdir()
        _say(f"copied {copy_checkout(ROOT, checkout)} files to {checkout}")
        interpreter = runtime_python(checkout / "binder" / "runtime.txt")
        timings["venv"] = _run(
            "fresh venv", [interpreter, "-m", "venv", "--clear", venv], cwd=work, env=dict(os.environ)
        )
        home.mkdir(exist_ok=True)
        env = clean_env(venv, home)
        python = venv / "bin" / "python"
        pip = [python, "-m", "pip", "install", "-q"]
        timings["base image"] = _run(
            "base image (JupyterLab) and checker tools",
            [*pip, *BASE_IMAGE_PACKAGES, *CHECKER_PACKAGES],
            cwd=checkout,
            env=env,
        )
        timings["requirements.txt"] = _run(
            "binder/requirements.txt", [*pip, "-r", "binder/requirements.txt"], cwd=checkout, env=env
        )
        timings["postBuild"] = _run("binder/postBuild", ["bash", "binder/postBuild"], cwd=checkout, env=env)
        check_kernel(python, venv, checkout, env)
        nb_env = {**env, "STRIPE_NB_AGENT_SANDBOX_PACE": "0"}
        nbval = [
            python,
            "-m",
            "pytest",
            "--nbval",
            "notebooks/",
            "--nbval-sanitize-with",
            "notebooks/sanitize.cfg",
        ]
        nbval += ["--nbval-kernel-name", "python3", "-p", "no:cacheprovider", "-q"]
        timings["nbval"] = _run(
            "notebooks through binder/start", ["bash", "binder/start", *nbval], cwd=checkout, env=nb_env
        )
    except CheckFailed as exc:
        _say(f"FAILED: {exc}")
        _say(f"work directory kept for a look: {work}")
        return 1
    summary = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
    _say(f"PASSED in {time.perf_counter() - total:.0f} s ({summary})")
    if args.keep or args.workdir:
        _say(f"work directory: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
