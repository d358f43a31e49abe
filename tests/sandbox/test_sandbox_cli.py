"""`python -m stripe_nb_agent.sandbox`: serve prints working URLs; check exercises both servers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2


def _env() -> dict[str, str]:
    return {**os.environ, "STRIPE_NB_AGENT_MODE": "sandbox", "STRIPE_NB_AGENT_SANDBOX_PACE": "0"}


def test_check_answers_through_both_servers() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stripe_nb_agent.sandbox", "check"],
        capture_output=True,
        text=True,
        timeout=90,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "model server ok" in done.stdout
    assert "Stripe sandbox ok" in done.stdout


def test_serve_prints_urls_that_answer_and_stops_on_interrupt() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-u", "-m", "stripe_nb_agent.sandbox", "serve", "--port", "0", "--mcp-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        text = "".join(lines)
        assert "not a language model" in text
        root = re.search(r"DAT1-style root\s+(\S+)", text)
        mcp = re.search(r"Stripe sandbox \(MCP\)\s+(\S+)", text)
        assert root is not None
        assert mcp is not None
        reply = httpx2.post(
            f"{root.group(1)}/collection/sandbox/invoke-chat",
            json={"messages": [{"role": "user", "content": "hi"}], "stream": False},
            timeout=30,
        )
        assert reply.status_code == 200
        assert "stand-in" in reply.json()["choices"][0]["message"]["content"]
        # The MCP endpoint is there and wants the bearer token.
        assert httpx2.post(mcp.group(1), json={}, timeout=30).status_code == 401
    finally:
        proc.send_signal(2)
        try:
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
            if proc.stdout:
                proc.stdout.close()
            if proc.stderr:
                proc.stderr.close()
    assert proc.returncode == 0


def test_serve_on_a_store_file_in_use_says_so_without_a_traceback(tmp_path: Path) -> None:
    from stripe_nb_agent.sandbox.stripe import StripeStore

    db = tmp_path / "workshop.sqlite"
    with StripeStore(path=db):
        done = subprocess.run(
            [sys.executable, "-m", "stripe_nb_agent.sandbox", "serve", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=90,
            env=_env(),
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith("error: The sandbox store file")
    assert "in use by another kernel" in done.stderr
    assert "Traceback" not in done.stderr
