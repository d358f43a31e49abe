"""Fixtures: a fresh seeded store, and an in-process MCP client calling a profile's tools."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import mcp
import pytest

from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server


@pytest.fixture
def store() -> StripeStore:
    return StripeStore()


@dataclass
class Call:
    """One tool answer: the parsed JSON (or raw text) and the isError flag."""

    data: Any
    text: str
    is_error: bool


class Tools:
    def __init__(self, client: mcp.Client) -> None:
        self.client = client

    async def __call__(self, tool: str, /, **arguments: Any) -> Call:
        with anyio.fail_after(10):
            result = await self.client.call_tool(tool, arguments)
        text = result.content[0].text  # type: ignore[union-attr]
        try:
            data = json.loads(text)
        except ValueError:
            data = text
        return Call(data, text, bool(result.is_error))


@pytest.fixture
async def classic(store: StripeStore) -> AsyncIterator[Tools]:
    async with mcp.Client(build_stripe_sandbox_server("classic", store)) as client:
        yield Tools(client)


@pytest.fixture
async def generic(store: StripeStore) -> AsyncIterator[Tools]:
    async with mcp.Client(build_stripe_sandbox_server("generic", store)) as client:
        yield Tools(client)
