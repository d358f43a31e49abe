"""The session runner: which task runs each request, and what a caller sees when things end."""

from __future__ import annotations

import asyncio

import anyio
import pytest
from mcp import Client

from stripe_nb_agent.tools.session import Session, SessionLost
from stripe_nb_agent.tools.targets import InProcessTarget
from tests.tools.helpers import shop_server

pytestmark = pytest.mark.anyio


async def _running_task(client: Client) -> asyncio.Task[object] | None:
    await anyio.lowlevel.checkpoint()
    return asyncio.current_task()


async def test_requests_one_after_another_are_run_by_one_worker_task() -> None:
    session = Session(InProcessTarget(shop_server()))
    with anyio.fail_after(10):
        await session.start()
        try:
            tasks = {await session.request(_running_task) for _ in range(5)}
        finally:
            await session.aclose()
    assert len(tasks) == 1
    assert asyncio.current_task() not in tasks


async def test_overlapping_requests_each_get_a_worker_and_all_answer() -> None:
    session = Session(InProcessTarget(shop_server()))
    all_held, release = anyio.Event(), anyio.Event()
    seen: list[asyncio.Task[object] | None] = []

    async def held(client: Client) -> str:
        seen.append(asyncio.current_task())
        if len(seen) == 3:
            all_held.set()
        await release.wait()
        return "done"

    answers: list[str] = []

    async def ask() -> None:
        answers.append(await session.request(held))

    with anyio.fail_after(10):
        await session.start()
        try:
            async with anyio.create_task_group() as tg:
                for _ in range(3):
                    tg.start_soon(ask)
                await all_held.wait()
                release.set()
            after = await session.request(_running_task)
        finally:
            await session.aclose()
    assert answers == ["done"] * 3
    assert len(set(seen)) == 3
    assert after in seen  # an idle worker took the next request


async def test_a_cancelled_request_leaves_later_requests_working() -> None:
    session = Session(InProcessTarget(shop_server()))
    started = anyio.Event()

    async def forever(client: Client) -> None:
        started.set()
        await anyio.sleep_forever()

    with anyio.fail_after(10):
        await session.start()
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(session.request, forever)
                await started.wait()
                tg.cancel_scope.cancel()
            tasks = {await session.request(_running_task) for _ in range(3)}
        finally:
            await session.aclose()
    assert len(tasks) == 1


async def test_a_closed_session_answers_requests_with_session_lost_never_sent() -> None:
    session = Session(InProcessTarget(shop_server()))
    with anyio.fail_after(10):
        await session.start()
        await session.request(_running_task)  # leaves an idle worker behind
        await session.aclose()
        with pytest.raises(SessionLost) as caught:
            await session.request(_running_task)
    assert caught.value.reached is False


async def test_a_long_session_keeps_a_bounded_record_of_http_statuses() -> None:
    # A session kept for a whole workshop makes thousands of calls over HTTP: its record of
    # statuses must not grow with them, and the last request's statuses are still read.
    from stripe_nb_agent.redaction import Secret
    from stripe_nb_agent.sandbox.stripe import SandboxMCPHTTPServer
    from stripe_nb_agent.tools.targets import HttpTarget

    async def balance(client: Client) -> object:
        return await client.call_tool("retrieve_balance", {})

    with SandboxMCPHTTPServer(profile="classic") as server:
        session = Session(HttpTarget(server.url, key=Secret(server.token)))
        with anyio.fail_after(60):
            await session.start()
            try:
                for _ in range(150):
                    await session.request(balance)
                mark = session._responses  # the mark a request takes
                await session.request(balance)
                assert session._statuses_since(mark) == [200]
            finally:
                await session.aclose()
    assert 0 < len(session.http_statuses) <= 64
    assert not session.auth_rejected
