"""The sandbox's MCP server: the SDK's low-level ``Server`` serving one profile's tools.

    server = build_stripe_sandbox_server("classic")     # or "generic"
    async with mcp.Client(server) as client: ...

The low-level server is used (not ``MCPServer``) because both profiles must advertise exact,
hand-written input schemas and shape their own failure results.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import anyio
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.sandbox_tool import (
    CallInfo,
    InputValidationError,
    SandboxTool,
    validate_input,
)
from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["PROFILES", "Profile", "build_stripe_sandbox_server", "profile_tools"]

Profile = Literal["classic", "generic"]
PROFILES: tuple[Profile, ...] = ("classic", "generic")
SERVER_NAME = "stripe-sandbox"
INSTRUCTIONS = (
    "Offline Stripe sandbox (test mode, fixed clock 2026-06-30T12:00:00Z). Data is seeded and fake; "
    "no request reaches Stripe."
)


def profile_tools(profile: str) -> dict[str, SandboxTool]:
    if profile == "classic":
        from stripe_nb_agent.sandbox.stripe.classic import CLASSIC_TOOLS

        return {t.name: t for t in CLASSIC_TOOLS}
    if profile == "generic":
        from stripe_nb_agent.sandbox.stripe.generic import GENERIC_TOOLS

        return {t.name: t for t in GENERIC_TOOLS}
    raise UsageError(f"Unknown sandbox profile {profile!r}: use one of {', '.join(PROFILES)}.")


def _text(payload: Any, *, is_error: bool = False) -> types.CallToolResult:
    text = (
        payload
        if isinstance(payload, str) and is_error
        else json.dumps(payload, indent=2, ensure_ascii=False)
    )
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=is_error)


def _stripe_account(ctx: ServerRequestContext[Any]) -> str | None:
    headers = getattr(ctx.request, "headers", None)
    value = headers.get("stripe-account") if headers is not None else None
    return value if isinstance(value, str) and value else None


def build_stripe_sandbox_server(profile: str = "classic", store: StripeStore | None = None) -> Server[Any]:
    """An MCP server over ``store`` (a fresh seeded one if omitted) serving ``profile``'s tools."""
    tools = profile_tools(profile)
    backing = store if store is not None else StripeStore()
    listing = [
        types.Tool(
            name=t.name,
            title=t.title,
            description=t.description,
            input_schema=dict(t.input_schema),
            annotations=types.ToolAnnotations(**_snake(t.annotations)),
        )
        for t in tools.values()
    ]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listing)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = tools.get(params.name)
        if tool is None:
            return _text(
                f"Unknown tool: {params.name}. Call tools/list for the tools this server has.", is_error=True
            )
        arguments = dict(params.arguments or {})
        try:
            validate_input(tool.input_schema, arguments)
        except InputValidationError as exc:
            return _text(f"Input validation error: {exc}", is_error=True)
        if backing.delay > 0:
            await anyio.sleep(backing.delay)
        info = CallInfo(stripe_account=_stripe_account(ctx))
        try:
            result = tool.handler(backing, arguments, info)
        except InputValidationError as exc:
            return _text(f"Input validation error: {exc}", is_error=True)
        except StripeAPIError as exc:
            if profile == "classic":
                # Stripe's agent toolkit swallows the API error into a JSON string literal.
                return _text(tool.failure or "Failed to call Stripe")
            return _text(f"Stripe API error: {exc.message}", is_error=True)
        return _text(result)

    return Server(
        SERVER_NAME,
        version="1.0.0",
        title=f"Stripe sandbox ({profile})",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=lambda name: tools[name].input_schema if name in tools else None,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def _snake(annotations: Any) -> dict[str, Any]:
    names = {
        "readOnlyHint": "read_only_hint",
        "destructiveHint": "destructive_hint",
        "idempotentHint": "idempotent_hint",
        "openWorldHint": "open_world_hint",
        "title": "title",
    }
    return {names[k]: v for k, v in dict(annotations).items() if k in names}
