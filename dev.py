#!/usr/bin/env python3
"""The project's two entry points, with nothing but Python 3.11+ needed beforehand.

    python3 dev.py lab          set up .venv and open JupyterLab on notebooks/ (sandbox mode)
    python3 dev.py lab --live   the same, mode auto: keys in .env or the environment go live
    python3 dev.py test   set up .venv and run the whole suite: ruff, mypy, pytest, nbval

Both create (or refresh) a virtual environment in .venv, so nothing depends on packages
installed by hand. The environment is rebuilt only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".stripe-nb-agent-stamp"
EXTRAS = "dev,embeddings,local"
# Test-only files installed without their declared dependencies (see the file for why).
NODEPS = ROOT / "tests" / "requirements-nodeps.txt"
CHROMIUM = Path("/usr/bin/chromium")


def _say(msg: str) -> None:
    print(f"[dev.py] {msg}", flush=True)


def _run(*args: str | os.PathLike[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call([os.fspath(a) for a in args], cwd=ROOT, env=env)


def _wanted_stamp() -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    if NODEPS.exists():
        digest.update(NODEPS.read_bytes())
    digest.update(EXTRAS.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def setup() -> None:
    wanted = _wanted_stamp()
    if PY.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not PY.exists():
        _say(f"creating a virtual environment in {VENV.relative_to(ROOT)}/")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    _say("installing stripe-nb-agent and its development tools (first run takes a minute or two)")
    pip = [PY, "-m", "pip", "--disable-pip-version-check", "-q"]
    if _run(*pip, "install", "--upgrade", "pip") != 0:
        sys.exit("pip could not upgrade itself; see the messages above.")
    if _run(*pip, "install", "-e", f".[{EXTRAS}]") != 0:
        sys.exit("Installing the package failed; see pip's messages above.")
    if NODEPS.exists() and _run(*pip, "install", "--no-deps", "-r", NODEPS) != 0:
        sys.exit(f"Installing {NODEPS.relative_to(ROOT)} failed; see pip's messages above.")
    STAMP.write_text(wanted)


def ensure_chromium() -> bool:
    """Debian's Chromium for the browser tests (Playwright drives it; it never downloads one)."""
    if CHROMIUM.exists():
        return True
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        _say("Chromium is missing and cannot be installed here (needs root and apt-get): browser tests skip")
        return False
    _say("installing Debian's chromium for the browser tests")
    quiet = {"stdout": subprocess.DEVNULL}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ok = (
        subprocess.call(["apt-get", "update", "-q"], env=env, **quiet) == 0
        and subprocess.call(["apt-get", "install", "-y", "-q", "chromium"], env=env, **quiet) == 0
    )
    if not ok:
        _say("apt-get could not install chromium: browser tests skip")
    return ok and CHROMIUM.exists()


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.update(extra)
    return env


def lab_command(args: list[str], environ: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The environment and JupyterLab arguments for ``lab``; ``--live`` is ours, the rest is Lab's.

    Sandbox by default, so the notebooks run with no keys. ``--live`` sets mode ``auto``: each
    service goes live where its key is set (in the environment or a ``.env`` file, which the magic
    reads when it loads), whatever ``STRIPE_NB_AGENT_MODE`` the shell had.
    """
    env = dict(environ)
    extra = [a for a in args if a != "--live"]
    if "--live" in args:
        env["STRIPE_NB_AGENT_MODE"] = "auto"
    else:
        env.setdefault("STRIPE_NB_AGENT_MODE", "sandbox")
    # No "receive Jupyter news?" prompt over the notebook and no update poll: a workshop room has
    # better things to read, and Binder/offline machines have no network for them anyway.
    extra += ["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    return env, extra


def lab(args: list[str]) -> int:
    setup()
    env, extra = lab_command(args, _env())
    mode = env["STRIPE_NB_AGENT_MODE"]
    how = "live where a key is set" if mode == "auto" else "no keys needed; --live to use yours"
    _say(f"opening JupyterLab on notebooks/ (mode: {mode}, {how})")
    if os.name != "nt" and os.geteuid() == 0 and "--allow-root" not in extra:
        # Containers and CI machines often run as root, which Jupyter refuses without this flag.
        _say("running as root: passing --allow-root to JupyterLab")
        extra.append("--allow-root")
    return _run(PY, "-m", "jupyter", "lab", "--notebook-dir", ROOT / "notebooks", *extra, env=env)


def test(args: list[str]) -> int:
    setup()
    # The suite always runs on the sandbox, never against live services, whatever keys are set.
    env = _env(STRIPE_NB_AGENT_MODE="sandbox", STRIPE_NB_AGENT_SANDBOX_PACE="0", PYTHONDONTWRITEBYTECODE="1")
    if os.name != "nt":
        ensure_chromium()
    steps: list[tuple[str, list[str | os.PathLike[str]]]] = [
        ("ruff check", [PY, "-m", "ruff", "check", "."]),
        ("ruff format --check", [PY, "-m", "ruff", "format", "--check", "."]),
        ("mypy (strict, package)", [PY, "-m", "mypy"]),
    ]
    for name, cmd in steps:
        _say(name)
        if _run(*cmd, env=env) != 0:
            _say(f"FAILED: {name}")
            return 1
    if args:
        return _pytest(args, env)
    # Two pytest processes: the unit, integration and notebook (nbval) tests, then the browser suite,
    # which must not share a process with async tests (see tests/conftest.py). tests/notebooks/ is
    # run by its own determinism test, with its own sanitize file. The workshop's exercise
    # notebooks are saved without outputs for attendees (nothing for nbval to compare): their
    # solutions are run instead, and build_notebooks.py runs the exercises unsolved.
    suites = [
        ["tests", "notebooks", "--nbval", "--nbval-sanitize-with", "notebooks/sanitize.cfg",
         "--ignore=tests/notebooks", "--ignore-glob=notebooks/workshop_*.ipynb"],
        ["tests/browser", "--run-browser"],
    ]  # fmt: skip
    codes = [_pytest(suite, env) for suite in suites]
    return max(codes)


def _pytest(suite: list[str], env: dict[str, str]) -> int:
    _say("pytest " + " ".join(suite))
    code = _run(PY, "-m", "pytest", *suite, env=env)
    if code == 5:
        _say("FAILED: pytest collected no tests")
        return 1
    return code


def main(argv: list[str]) -> int:
    commands = {"lab": lab, "test": test}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
