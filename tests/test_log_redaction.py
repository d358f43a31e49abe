"""With DEBUG logging on, no key reaches a handler: not from our code, httpx2, httpcore2 or mcp."""

from __future__ import annotations

import logging

import anyio
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stripe_nb_agent.errors import ModelError, ToolError
from stripe_nb_agent.llm.client import ChatClient
from stripe_nb_agent.llm.endpoint import Endpoint
from stripe_nb_agent.redaction import Secret
from stripe_nb_agent.tools import ToolClient
from tests.llm.loopback import serve

pytestmark = pytest.mark.anyio

DAT1_KEY = "dat1-shapeless-key-7d3f9a2b"  # no recognisable shape: masked because it was resolved
STRIPE_KEY = "sk_test_51LogEchoAbCdEfGhIjKlMnOp9z8y"
URL_KEY = "sk_test_51InTheQueryZyXwVuTsRqPo4q5w"
KEYS = (DAT1_KEY, STRIPE_KEY, URL_KEY)


async def echo(request: Request) -> Response:
    """Refuses every request, echoing every credential it got in headers and body."""
    presented = request.headers.get("authorization") or request.headers.get("x-api-key") or ""
    return JSONResponse(
        {
            "error": {"message": f"bad key {presented}"},
            "url": str(request.url),
            "headers": dict(request.headers),
        },
        status_code=401,
        headers={
            "www-authenticate": f'Bearer error="invalid_token", presented="{presented}"',
            "x-echo": presented,
        },
    )


ECHO = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "DELETE"])])


def everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(f"{formatter.format(r)} {r.msg!r} {r.args!r} {r.exc_info!r}" for r in records)


async def test_debug_logs_of_every_stack_hold_no_key_a_server_echoes_in_headers_bodies_and_urls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with anyio.fail_after(30):
        async with serve(ECHO) as base:
            endpoint = Endpoint.dat1_collection(f"{base}/api/v1", "gpt-120-oss", key=Secret(DAT1_KEY))
            async with ChatClient(endpoint) as chat:
                with pytest.raises(ModelError):
                    await chat.complete([{"role": "user", "content": "hi"}])
            tools = ToolClient.for_url(f"{base}/mcp?api_key={URL_KEY}", key=Secret(STRIPE_KEY))
            with pytest.raises(ToolError):
                async with tools:
                    await tools.list_tools()

    logged = everything_logged(caplog.records)
    stacks = {r.name.split(".")[0] for r in caplog.records}
    assert {"httpx2", "httpcore2", "mcp"} <= stacks, stacks
    for key in KEYS:
        assert key not in logged
        assert f"…{key[-4:]}" in logged  # the key was there, and is shown as a hint


def test_a_traceback_logged_by_a_child_logger_reaches_handlers_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError(f"request failed with {STRIPE_KEY}")
    except RuntimeError:
        logging.getLogger("mcp.client.deep.child").debug("failed: %s", STRIPE_KEY, exc_info=True)
    (record,) = [r for r in caplog.records if r.name == "mcp.client.deep.child"]
    assert STRIPE_KEY not in everything_logged([record]) + str(record.exc_text)
    assert "RuntimeError: request failed with sk_test_…9z8y" in caplog.text


def test_records_rebuilt_from_a_dict_by_a_log_receiver_still_work() -> None:
    record = logging.makeLogRecord({"name": "mcp.remote", "msg": "hello %s", "args": ("there",)})
    assert record.getMessage() == "hello there"
