"""``python3 dev.py lab --live``: the one flag that takes the quick start from the sandbox to live."""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import resolve_settings

ROOT = Path(__file__).resolve().parent.parent
DAT1_KEY = "dat1-workshop-key-5f0e9d8c"
STRIPE_KEY = "rk_test_51WorkshopKeyAbCdEf7a6b"


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that would queue any connection made to it (it never accepts one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(4)
        sock.setblocking(False)
        yield sock


def contacted(listener: socket.socket) -> bool:
    try:
        conn, _ = listener.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def test_lab_is_sandbox_by_default_and_keeps_a_mode_the_shell_chose() -> None:
    dev = load_dev()
    env, _ = dev.lab_command([], {})
    assert env["STRIPE_NB_AGENT_MODE"] == "sandbox"
    env, _ = dev.lab_command([], {"STRIPE_NB_AGENT_MODE": "auto"})
    assert env["STRIPE_NB_AGENT_MODE"] == "auto"


def test_lab_live_sets_mode_auto_and_is_not_passed_to_jupyterlab() -> None:
    env, extra = load_dev().lab_command(["--live", "--port", "9999"], {"STRIPE_NB_AGENT_MODE": "sandbox"})
    assert env["STRIPE_NB_AGENT_MODE"] == "auto"
    assert "--live" not in extra
    assert extra[:2] == ["--port", "9999"]


def test_lab_turns_off_the_news_prompt_and_the_update_check() -> None:
    _, extra = load_dev().lab_command([], {})
    assert "--LabApp.news_url=None" in extra
    assert "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate" in extra


def test_keys_in_a_dotenv_with_lab_live_show_live_per_service_and_contact_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, listener: socket.socket
) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    (tmp_path / ".env").write_text(
        f"DAT1_API_KEY={DAT1_KEY}\nSTRIPE_SECRET_KEY={STRIPE_KEY}\nDAT1_API_ROOT={url}\nSTRIPE_MCP_URL={url}\n"
    )
    env, _ = load_dev().lab_command(["--live"], {"STRIPE_NB_AGENT_MODE": "sandbox"})
    monkeypatch.chdir(tmp_path)  # the kernel starts next to the notebook and its .env
    settings = resolve_settings(dotenv=True, environ=env)  # what %load_ext stripe_nb_agent does
    status = Agent(settings).status()

    assert [s.mode for s in status.services] == ["live", "live"]
    assert status.mode_note == ""
    shown = str(status) + status._repr_html_()
    assert "rk_test_…7a6b" in shown
    assert DAT1_KEY not in shown
    assert STRIPE_KEY not in shown
    assert not contacted(listener)


def test_without_live_status_says_the_mode_is_forced_and_how_to_go_live(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"DAT1_API_KEY={DAT1_KEY}\nSTRIPE_SECRET_KEY={STRIPE_KEY}\n")
    env, _ = load_dev().lab_command([], {})
    status = Agent(resolve_settings(dotenv=tmp_path / ".env", environ=env)).status()
    assert [s.mode for s in status.services] == ["sandbox", "sandbox"]
    assert "forced to sandbox by STRIPE_NB_AGENT_MODE=sandbox in the environment" in str(status)
    assert "dev.py lab --live" in status._repr_html_()


def test_sandbox_status_shows_the_sandbox_clock() -> None:
    status = Agent(resolve_settings(environ={"STRIPE_NB_AGENT_MODE": "sandbox"})).status()
    assert "sandbox clock 2026-06-30 12:00 UTC" in str(status)
