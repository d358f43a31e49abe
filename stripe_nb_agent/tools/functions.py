"""Your own Python functions as tools, served by an in-process MCP server (the official SDK's).

    tools = FunctionTools()
    tools.add(refunds_per_week, kind="read")       # name, description and schema from the function
    client = tools.client                          # a ToolClient like any other

A function takes exactly the path Stripe's tools take: the catalogue, argument validation against
the schema built from its type hints, the policy (a ``kind="write"`` function waits for approval
under ``confirm`` and is never offered under ``read-only``), results and tables. ``kind`` defaults
to ``"write"``: the package can't see what a function does, and a wrongly guarded read costs a
click while a wrongly trusted write can cost money. The server is ours, so its annotations (the
kinds you declared) are trusted.

What a function returns: a DataFrame (or Series) becomes a list of records, which the user sees as a
table and the model reads as compact JSON; other values go as JSON; a string as it is. An exception
inside the function is a failed tool result carrying its message, never a crashed turn. A sync
function runs in a worker thread, so a slow one never blocks the agent's loop.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.client import ToolClient
from stripe_nb_agent.tools.types import ToolKind

__all__ = ["FunctionTools"]

F = TypeVar("F", bound=Callable[..., Any])
_TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


def _jsonable(value: Any) -> Any:
    """A function's return value as something JSON can carry (DataFrames as records)."""
    to_json = getattr(value, "to_json", None)
    if callable(to_json) and hasattr(value, "to_dict"):  # a pandas DataFrame or Series
        frame = value.to_frame() if hasattr(value, "to_frame") and not hasattr(value, "columns") else value
        return json.loads(frame.to_json(orient="records", date_format="iso"))
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()  # a numpy scalar
    return value


def _serve(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` as an async tool function with the same signature, whose failures are tool errors."""
    is_async = inspect.iscoroutinefunction(fn)

    @functools.wraps(fn)
    async def tool(**arguments: Any) -> str:
        try:
            if is_async:
                value = await fn(**arguments)
            else:
                value = await anyio.to_thread.run_sync(functools.partial(fn, **arguments))
        except Exception as exc:
            # The model and the user read this; the turn goes on.
            raise ToolError(f"{type(exc).__name__}: {exc}") from exc
        value = _jsonable(value)
        # One text block, always: the SDK would split a list into one block per item.
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)

    return tool


def _quiet_server(name: str) -> MCPServer[Any]:
    """An ``MCPServer`` that leaves the process's logging as it found it.

    The SDK's constructor calls ``logging.basicConfig(level=INFO)`` for its own CLI's sake; in a
    user's kernel that would print every HTTP request of every library into the notebook.
    """
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        return MCPServer(name, log_level="WARNING")
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers


class FunctionTools:
    """Python functions served as MCP tools in this process (see the module docstring)."""

    def __init__(self, name: str = "python") -> None:
        self.server: MCPServer[Any] = _quiet_server(name)
        self.client = ToolClient.for_server(self.server, label="Python", trusted=True)
        self._names: dict[str, ToolKind] = {}

    @property
    def names(self) -> dict[str, ToolKind]:
        """The registered tools and their kinds."""
        return dict(self._names)

    def add(self, fn: Callable[..., Any], *, kind: ToolKind = "write", name: str | None = None) -> str:
        """Serve ``fn`` as a tool (replacing one of the same name); returns the tool's name."""
        if kind not in ("read", "write"):
            raise UsageError(f"kind must be 'read' or 'write', not {kind!r}.")
        if not callable(fn):
            raise UsageError(f"add_tool() takes a function, not {type(fn).__name__}.")
        tool_name = str(name or getattr(fn, "__name__", ""))
        if not _TOOL_NAME.match(tool_name):
            raise UsageError(
                f"{tool_name!r} can't be a tool name: use a letter or '_' first, then up to 63 letters, "
                "digits, '_' or '-' (pass name=...)."
            )
        description = inspect.getdoc(fn) or f"The Python function {tool_name} ({kind})."
        hints = ToolAnnotations(
            title=tool_name,
            read_only_hint=kind == "read",
            destructive_hint=kind == "write",
            open_world_hint=False,
        )
        if tool_name in self._names:
            self.server.remove_tool(tool_name)
        try:
            self.server.tool(
                name=tool_name, description=description, annotations=hints, structured_output=False
            )(_serve(fn))
        except Exception as exc:  # the SDK could not read the signature
            raise UsageError(
                f"{tool_name} can't be a tool ({exc}): give every parameter a JSON-friendly type hint "
                "(str, int, float, bool, list, dict, or a pydantic model)."
            ) from None
        self._names[tool_name] = kind
        self.client.invalidate()
        return tool_name

    def remove(self, name: str) -> None:
        if name not in self._names:
            raise UsageError(
                f"No Python tool is named {name!r}. Registered: {', '.join(self._names) or 'none'}."
            )
        self.server.remove_tool(name)
        del self._names[name]
        self.client.invalidate()
