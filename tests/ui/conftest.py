"""Fixtures for the notebook surface: a real IPython shell, a recording display publisher, a
recording widget comm, and an Agent on the offline sandbox (fresh Stripe store per test)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import comm
import pytest
from IPython.core.interactiveshell import InteractiveShell

from stripe_nb_agent.agent.agent import Agent
from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.sandbox.model import get_sandbox_model_server
from stripe_nb_agent.ui import kernel_agent
from stripe_nb_agent.ui.magics import StripeAgentMagics
from tests.ui.support import CommLog, RecordingComm, RecordingPublisher


@pytest.fixture(scope="session")
def sandbox_server() -> Any:
    server = get_sandbox_model_server()
    server.pace = 0.0
    return server


@pytest.fixture
def agent(sandbox_server: Any) -> Iterator[Agent]:
    a = Agent(resolve_settings(mode="sandbox", environ={}))
    previous = kernel_agent.set_agent(a)
    yield a
    if a.held is not None and not a.held.finished:
        a.held.cancel()
        a.held.wait()
    a.close()
    kernel_agent.set_agent(previous)


@pytest.fixture
def shell(agent: Agent) -> Iterator[InteractiveShell]:
    ip = InteractiveShell.instance()
    publisher = RecordingPublisher(shell=ip)
    saved = ip.display_pub
    ip.display_pub = publisher
    ip.register_magics(StripeAgentMagics(ip, agent=agent))
    yield ip
    ip.display_pub = saved
    ip.user_ns.pop("turn", None)


@pytest.fixture
def published(shell: InteractiveShell) -> RecordingPublisher:
    return shell.display_pub  # type: ignore[no-any-return]


@pytest.fixture
def comm_log(monkeypatch: pytest.MonkeyPatch) -> CommLog:
    """Replace ``comm.create_comm`` (the hook the comm package exists to let hosts replace)."""
    log = CommLog()

    def create_comm(*args: Any, **kwargs: Any) -> RecordingComm:
        c = RecordingComm(*args, **kwargs)
        log.comms.append(c)
        return c

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return log
