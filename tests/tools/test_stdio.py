"""A server in a child process over stdio: the key travels in the environment, never argv."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

from stripe_nb_agent.errors import ToolConnectError
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools import ToolClient

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
