"""Several tool servers as one tool client.

    hub = ToolHub()
    hub.add(ToolClient.for_url("https://mcp.stripe.com", key=key, label="Stripe"), name="stripe")
    hub.add(ToolClient.for_command("npx", ["-y", "@modelcontextprotocol/server-everything"]), name="demo")
    specs = await hub.list_tools()   # every server's tools; a name two servers share becomes "server.name"
    await hub.call_tool("demo.echo", {"message": "hi"})

The hub is a :class:`~stripe_nb_agent.tools.types.ToolClientProtocol`, so a turn sees one catalogue
and calls through it. Each member keeps its own session, catalogue and trust (its annotations decide
read/write only if that member was made with ``trusted=True``). A member that can't be reached is
left out of the listing and named in :attr:`ToolHub.catalog_warning`; the others stay usable. Only
when every member fails does listing raise, since then there is nothing to offer.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from stripe_nb_agent.config import ToolServerStatus
from stripe_nb_agent.errors import StripeNbAgentError, UsageError
from stripe_nb_agent.tools.results import failure
from stripe_nb_agent.tools.types import ProgressCallback, ToolClientProtocol, ToolResult, ToolSpec
from stripe_nb_agent.tools.validate import unknown_tool_message

__all__ = ["ToolHub"]

_MEMBER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class ToolHub:
    """Named tool clients behind one catalogue (see the module docstring)."""

    def __init__(self, members: Mapping[str, ToolClientProtocol] | None = None) -> None:
        self._members: dict[str, ToolClientProtocol] = {}
        # Hub-facing tool name -> (member, that member's own tool name).
        self._routes: dict[str, tuple[str, str]] = {}
        self._failures: dict[str, str] = {}
        for name, client in (members or {}).items():
            self.add(client, name=name)

    # --- members -------------------------------------------------------------------------------

    def add(self, client: ToolClientProtocol, *, name: str | None = None) -> str:
        """Add ``client`` under ``name`` (default: its label, made unique); returns the name used."""
        if name is not None:
            if not _MEMBER_NAME.match(name):
                raise UsageError(f"{name!r} can't name a tool server: use 1-32 letters, digits, '_' or '-'.")
            if name in self._members:
                raise UsageError(
                    f"A tool server named {name!r} is connected already: disconnect it first, or choose "
                    "another name."
                )
            chosen = name
        else:
            base = re.sub(r"[^A-Za-z0-9_-]+", "-", str(getattr(client, "label", "") or "tools")).strip("-")
            base = (base or "tools").lower()[:28]
            chosen, n = base, 2
            while chosen in self._members:
                chosen, n = f"{base}-{n}", n + 1
        self._members[chosen] = client
        self._routes.clear()
        return chosen

    def remove(self, name: str) -> ToolClientProtocol:
        """Take member ``name`` out (the caller closes it); its tools vanish from the next listing."""
        client = self._members.pop(name, None)
        if client is None:
            known = ", ".join(self._members) or "none"
            raise UsageError(f"No tool server is named {name!r}. Connected: {known}.")
        self._failures.pop(name, None)
        self._routes.clear()
        return client

    @property
    def members(self) -> dict[str, ToolClientProtocol]:
        return dict(self._members)

    def rows(self) -> list[ToolServerStatus]:
        """What is connected, from what each member already knows (nothing is fetched)."""
        rows = []
        for name, client in self._members.items():
            failure_text = self._failures.get(name)
            connected = getattr(client, "connected", None)
            if failure_text:
                state = f"unavailable: {failure_text}"
            elif connected is None:
                state = "ready"
            else:
                state = "connected" if connected else "not connected yet"
            rows.append(
                ToolServerStatus(
                    name=name,
                    transport=str(getattr(client, "transport", "custom")),
                    endpoint=str(getattr(client, "endpoint", type(client).__name__)),
                    tools=getattr(client, "tool_count", None),
                    trusted=bool(getattr(client, "trusted", False)),
                    state=state,
                )
            )
        return rows

    # --- the ToolClientProtocol ----------------------------------------------------------------

    async def list_tools(self, *, refresh: bool = False) -> tuple[ToolSpec, ...]:
        names = list(self._members)
        listed = await asyncio.gather(
            *(self._members[n].list_tools(refresh=refresh) for n in names), return_exceptions=True
        )
        by_member: dict[str, tuple[ToolSpec, ...]] = {}
        errors: list[BaseException] = []
        for name, outcome in zip(names, listed, strict=True):
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Exception):
                    raise outcome  # cancellation and the like are not a server's failure
                errors.append(outcome)
                self._failures[name] = _reason(outcome)
                continue
            self._failures.pop(name, None)
            by_member[name] = tuple(outcome)
        if errors and not by_member:
            raise errors[0]
        counts = Counter(spec.name for specs in by_member.values() for spec in specs)
        routes: dict[str, tuple[str, str]] = {}
        merged: list[ToolSpec] = []
        for member, specs in by_member.items():
            for spec in specs:
                # A name two servers share is namespaced for both, so neither silently wins.
                facing = f"{member}.{spec.name}" if counts[spec.name] > 1 else spec.name
                routes[facing] = (member, spec.name)
                merged.append(replace(spec, name=facing, server=member))
        self._routes = routes
        return tuple(merged)

    @property
    def catalog_warning(self) -> str | None:
        notes = [
            f"Tool server {name!r} is unavailable ({why}); its tools are left out until it answers."
            for name, why in self._failures.items()
        ]
        for client in self._members.values():
            warning = getattr(client, "catalog_warning", None)
            if isinstance(warning, str) and warning:
                notes.append(warning)
        return " ".join(notes) or None

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | str, *, on_progress: ProgressCallback | None = None
    ) -> ToolResult:
        if not self._routes:
            await self.list_tools()
        route = self._routes.get(name)
        if route is None:
            return failure(name, "unknown_tool", unknown_tool_message(name, list(self._routes)), kind="write")
        member, tool = route
        client = self._members.get(member)
        if client is None:
            return failure(name, "unknown_tool", f"Tool server {member!r} was disconnected.", kind="write")
        result = await client.call_tool(tool, arguments, on_progress=on_progress)
        return replace(result, tool=name)

    async def aclose(self) -> None:
        """Close every member that can be closed."""
        closers = [c.aclose() for c in self._members.values() if hasattr(c, "aclose")]
        await asyncio.gather(*closers, return_exceptions=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, StripeNbAgentError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"
