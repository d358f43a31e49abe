"""``python -m stripe_nb_agent.sandbox.stripe`` serves MCP on stdio in a subprocess."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import mcp
import pytest
from mcp.client.stdio import StdioServerParameters

pytestmark = pytest.mark.anyio


async def test_stdio_server_serves_the_generic_profile_with_a_db(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "stripe_nb_agent.sandbox.stripe", "--profile", "generic", "--db", str(db)],
        env={**os.environ, "STRIPE_SECRET_KEY": "sk_test_from_env"},
    )
    with anyio.fail_after(60):
        async with mcp.Client(params) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert "stripe_api_read" in names
            result = await client.call_tool(
                "stripe_api_write",
                {"stripe_api_operation_id": "PostCustomers", "parameters": {"name": "Stdio Ada"}},
            )
    created = json.loads(result.content[0].text)  # type: ignore[union-attr]
    from stripe_nb_agent.sandbox.stripe import StripeStore

    assert StripeStore(path=db).retrieve("customer", created["id"])["name"] == "Stdio Ada"


async def test_stdio_refuses_a_live_key() -> None:
    with anyio.fail_after(60):
        proc = await anyio.run_process(
            [sys.executable, "-m", "stripe_nb_agent.sandbox.stripe"],
            env={**os.environ, "STRIPE_SECRET_KEY": "sk_live_" + "x" * 24},
            check=False,
        )
    assert proc.returncode == 2
    assert b"test keys only" in proc.stderr
    assert b"xxxxxxxx" not in proc.stderr
