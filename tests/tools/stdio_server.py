"""A tiny MCP server over stdio, for the tool client's subprocess tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer

server: MCPServer = MCPServer("stdio-probe")


@server.tool(annotations={"readOnlyHint": True})
def get_process_info() -> dict[str, object]:
    """What the child sees: its argv and whether a key arrived in the environment."""
    key = os.environ.get("STRIPE_SECRET_KEY", "")
    cmdline = Path("/proc/self/cmdline").read_bytes().decode(errors="replace").split("\0")
    return {"argv": sys.argv, "cmdline": cmdline, "key_tail": key[-4:], "key_len": len(key)}


if __name__ == "__main__":
    server.run("stdio")
