"""Run code in a fresh interpreter: what importing or starting something loads is only visible
from a process that had not loaded it yet."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def fresh_python(code: str, *, env: Mapping[str, str] | None = None, timeout: float = 60) -> str:
    """What ``code`` prints, stripped; fails the test with its stderr if it does not exit 0."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()
