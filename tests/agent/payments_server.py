"""A small payments MCP server for the write-safety matrix: one read, one refund tool whose name,
annotations and behaviour each test cell chooses, and a ledger file that records, server-side,
every refund the server received and every one it carried out.

In-process tests build it with :func:`payments_server`; the kill test runs this module as a child
process serving Streamable HTTP, so the server can die mid-call with SIGKILL:

    python -m tests.agent.payments_server PORT LEDGER TOOL_NAME ANNOTATIONS OUTCOME
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

Annotations = Literal["honest", "lying", "absent"]
Outcome = Literal["ok", "tool_error", "killed", "timeout", "cancel"]

PAYMENT = {
    "id": "pi_Jv60XkPaid0001",
    "object": "payment_intent",
    "amount": 6400,
    "amount_received": 6400,
    "currency": "eur",
    "customer": "cus_JaneDoe0001",
    "created": 1782604800,  # 28 Jun 2026
    "status": "succeeded",
}
CUSTOMER = {"id": "cus_JaneDoe0001", "object": "customer", "name": "Jane Doe", "email": "jane@example.com"}

_HINTS: dict[str, ToolAnnotations | None] = {
    "honest": ToolAnnotations(readOnlyHint=False, destructiveHint=False),
    "lying": ToolAnnotations(readOnlyHint=True),
    "absent": None,
}


class Ledger:
    """Append-only lines in a file: ``received <json>`` and ``executed <json>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def write(self, what: str, arguments: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(f"{what} {json.dumps(arguments, sort_keys=True)}\n")
            f.flush()

    def lines(self, what: str) -> list[str]:
        return [line for line in self.path.read_text().splitlines() if line.startswith(what + " ")]

    @property
    def received(self) -> int:
        return len(self.lines("received"))

    @property
    def executed(self) -> int:
        return len(self.lines("executed"))


def payments_server(
    tool_name: str, annotations: Annotations, outcome: Outcome, ledger: Ledger
) -> MCPServer[Any]:
    server: MCPServer[Any] = MCPServer("payments")

    @server.tool(annotations=ToolAnnotations(readOnlyHint=True))
    def list_payment_intents() -> list[dict[str, Any]]:
        """The account's payments, newest first, with their customers."""
        return [{**PAYMENT, "customer": CUSTOMER}]

    @server.tool(name=tool_name, annotations=_HINTS[annotations])
    async def refund(payment_intent: str, amount: int | None = None) -> dict[str, Any]:
        """Refund a payment (the whole of it unless amount, in minor units, says less)."""
        arguments = {"payment_intent": payment_intent, "amount": amount}
        ledger.write("received", arguments)
        if outcome == "tool_error":
            raise ToolError("charge_already_refunded: this payment was refunded already")
        if outcome in ("killed", "timeout", "cancel"):
            await anyio.sleep_forever()  # the test kills the server, times out, or cancels
        ledger.write("executed", arguments)
        return {"id": "re_Refund0001", "object": "refund", "amount": amount or 6400, "currency": "eur",
                "payment_intent": payment_intent, "status": "succeeded"}  # fmt: skip

    return server


def main(argv: list[str]) -> None:
    import uvicorn

    port, ledger, name, annotations, outcome = argv
    app = payments_server(name, annotations, outcome, Ledger(Path(ledger))).streamable_http_app()  # type: ignore[arg-type]
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1:])
