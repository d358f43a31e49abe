"""A server in a child process over stdio: the key travels in the environment, never argv."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

from stripe_nb_agent.config import Secret, resolve_settings
from stripe_nb_agent.errors import ToolConnectError
from stripe_nb_agent.tools import HttpTarget, InProcessTarget, ToolClient
from tests.tools.helpers import shop_server

pytestmark = pytest.mark.anyio

KEY = "sk_test_51Hstdiostdiostdiostdiostdioq7r8"
SCRIPT = str(Path(__file__).with_name("stdio_server.py"))


async def test_the_key_reaches_the_child_in_its_environment_not_its_argv() -> None:
    async with ToolClient.for_command(sys.executable, [SCRIPT], key=Secret(KEY)) as client:
        with anyio.fail_after(60):
            result = await client.call_tool("get_process_info", {})
    assert result.ok, result.error
    assert result.data["key_tail"] == "q7r8"
    assert result.data["key_len"] == len(KEY)
    assert not any(KEY in arg for arg in result.data["cmdline"] + result.data["argv"])


def test_a_key_on_the_command_line_is_refused() -> None:
    with pytest.raises(ToolConnectError, match="pass key=") as caught:
        ToolClient.for_command("npx", ["-y", "@stripe/mcp", f"--api-key={KEY}"])
    assert KEY not in str(caught.value)


async def test_a_missing_command_raises_tool_connect_error_with_the_fix() -> None:
    async with ToolClient.for_command("no-such-mcp-server-binary", ["--x"]) as client:
        with anyio.fail_after(30), pytest.raises(ToolConnectError, match="no-such-mcp-server-binary"):
            await client.list_tools()


def test_settings_choose_live_stripe_or_the_in_process_sandbox() -> None:
    live = resolve_settings(stripe_secret_key=KEY, stripe_account="acct_9", environ={})
    client = ToolClient.for_settings(live, sandbox_server_factory=shop_server)
    assert isinstance(client.target, HttpTarget)
    assert client.target.url == "https://mcp.stripe.com"
    assert client.target.key == Secret(KEY)
    assert client.target.account == "acct_9"
    assert client.policy == "confirm"
    assert KEY not in repr(client.target)

    sandbox = ToolClient.for_settings(resolve_settings(environ={}), sandbox_server_factory=shop_server)
    assert isinstance(sandbox.target, InProcessTarget)
    assert sandbox.policy == "auto"
    assert sandbox.label == "Stripe"
