"""`python -m stripe_nb_agent.sandbox`: serve prints working URLs and hides its token; check exercises
both servers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest

from stripe_nb_agent.sandbox.__main__ import main
from stripe_nb_agent.sandbox.stripe import ENV_TOKEN
from tests.sandbox.mcp_wire import HEADERS, INIT


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


class Served:
    """``serve`` in a subprocess, up to its "Press Ctrl-C" line; stopped with SIGINT on exit."""

    def __init__(self, *options: str, env: dict[str, str] | None = None) -> None:
        command = [
            sys.executable,
            "-u",
            "-m",
            "stripe_nb_agent.sandbox",
            "serve",
            "--port",
            "0",
            "--mcp-port",
            "0",
        ]
        self.proc = subprocess.Popen(
            [*command, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**_env(), **(env or {})},
        )
        self.returncode: int | None = None

    def __enter__(self) -> str:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        return "".join(lines)

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(2)
        try:
            self.returncode = self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            if self.proc.stdout:
                self.proc.stdout.close()
            if self.proc.stderr:
                self.proc.stderr.close()


def _initialize(url: str, token: str) -> int:
    headers = {**HEADERS, "Authorization": f"Bearer {token}"}
    return httpx2.post(url, json=INIT, headers=headers, timeout=30).status_code


def test_serve_prints_urls_that_answer_hides_its_random_token_and_stops_on_interrupt() -> None:
    served = Served(env={ENV_TOKEN: ""})
    with served as text:
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
        # The MCP endpoint wants a bearer token: not the old public default, and not shown.
        assert "token                hidden (random for this start); run serve with --show-token" in text
        assert re.search(r"sk_test_sandbox\w", text) is None
        assert _initialize(mcp.group(1), "sk_test_sandbox") == 401
    assert served.returncode == 0


def test_serve_takes_its_token_from_a_file_and_prints_it_only_with_show_token(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("sk_test_fromAFile0123456789\n")
    served = Served("--token-file", str(token_file), "--show-token", env={ENV_TOKEN: "sk_test_notThisOne"})
    with served as text:
        mcp = re.search(r"Stripe sandbox \(MCP\)\s+(\S+)", text)
        assert mcp is not None
        assert "token                sk_test_fromAFile0123456789" in text
        assert _initialize(mcp.group(1), "sk_test_fromAFile0123456789") == 200
        assert _initialize(mcp.group(1), "sk_test_notThisOne") == 401
    assert served.returncode == 0


def test_serve_refuses_a_non_loopback_host_without_a_chosen_token_before_listening(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "0", "--mcp-port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: Refusing to serve the Stripe sandbox on 0.0.0.0 without a token you chose")
    assert ENV_TOKEN in err


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
