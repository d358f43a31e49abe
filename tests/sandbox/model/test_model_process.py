"""The sandbox model server in its own process: started without waiting, driven over its control
line, stopped with it, and never outliving the process that started it."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from stripe_nb_agent.errors import SandboxError, UsageError
from stripe_nb_agent.sandbox.model.process import SandboxModelProcess, child_environ

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, StopIteration):
        return False
    return "zombie" not in state  # an exited child nobody has reaped yet


def _wait_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_it_serves_sets_the_pace_in_the_child_and_stops_with_its_process() -> None:
    with SandboxModelProcess(pace=0) as server:
        with httpx2.Client(timeout=30) as client:
            assert client.get(server.root_url + "/health").json()["pace"] == 0
            server.pace = 0.05
            assert client.get(server.root_url + "/health").json()["pace"] == 0.05
            assert server.pace == 0.05
            with pytest.raises(UsageError, match=r"0\.015"):
                server.pace = -1
            assert client.get(server.root_url + "/health").json()["pace"] == 0.05
        pid = server.pid
        assert pid is not None
        assert server.running
    assert server.pid is None
    assert _wait_gone(pid, timeout=5), "stop() returns once the child has exited"


def test_a_bad_pace_in_the_environment_is_refused_before_any_process_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_NB_AGENT_SANDBOX_PACE", "fast")
    with pytest.raises(UsageError, match=r"STRIPE_NB_AGENT_SANDBOX_PACE='fast'.*0\.015"):
        SandboxModelProcess()


def test_a_child_that_cannot_start_says_why_with_its_last_words(tmp_path: Path) -> None:
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named stripe_nb_agent' >&2\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    server = SandboxModelProcess(pace=0, python=str(broken))
    with pytest.raises(SandboxError) as failure:
        server.root_url  # noqa: B018
    message = str(failure.value)
    assert "status 3" in message
    assert "No module named stripe_nb_agent" in message
    assert "python -m stripe_nb_agent.sandbox check" in message
    assert not server.running


def test_the_child_holds_no_credential_and_ends_when_its_parent_is_killed(tmp_path: Path) -> None:
    # SIGKILL runs no atexit handler: only the closing pipe tells the child its parent is gone.
    script = (
        "import os, signal\n"
        "from stripe_nb_agent.sandbox.model.process import get_sandbox_model_server\n"
        "server = get_sandbox_model_server()\n"
        "server.root_url\n"
        "print(server.pid, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {
        **os.environ,
        "STRIPE_SECRET_KEY": "sk_test_" + "4" * 24,
        "DAT1_API_KEY": "dat1-secret-value",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    argv = [sys.executable, "-c", script]
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        try:
            environ = Path(f"/proc/{child}/environ").read_bytes()
        except FileNotFoundError:
            environ = b""
        parent.wait(timeout=60)
    assert parent.returncode == -signal.SIGKILL
    assert b"sk_test_" not in environ
    assert b"dat1-secret-value" not in environ
    assert _wait_gone(child), "the child outlived its killed parent"


def test_the_child_is_told_where_a_checkout_is_but_not_where_site_packages_are(tmp_path: Path) -> None:
    checkout, site_packages = str(tmp_path / "checkout"), str(tmp_path / "site-packages")
    environ = {
        "PATH": "/usr/bin",
        "PYTHONPATH": "/extra",
        "STRIPE_SECRET_KEY": "sk_test_x",
        "dat1_api_key": "d",
    }
    from_checkout = child_environ(environ, package_parent=checkout, site_dirs=[site_packages])
    assert from_checkout == {"PATH": "/usr/bin", "PYTHONPATH": os.pathsep.join([checkout, "/extra"])}
    # An installed copy is found anyway; site-packages ahead of the standard library could shadow it.
    installed = child_environ(environ, package_parent=site_packages, site_dirs=[site_packages])
    assert installed == {"PATH": "/usr/bin", "PYTHONPATH": "/extra"}
