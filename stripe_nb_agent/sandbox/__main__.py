"""Run the offline sandbox from the command line.

    python -m stripe_nb_agent.sandbox serve [--port N] [--mcp-port N] [--profile classic|generic]
                                            [--token TOKEN] [--db FILE] [--pace SECONDS]
    python -m stripe_nb_agent.sandbox check

``serve`` starts the sandbox model server (DAT1's wire format, a rule-based stand-in that is not a
language model) and the Stripe sandbox over MCP Streamable HTTP, prints their URLs, and runs until
interrupted, so any DAT1- or OpenAI-compatible client and any MCP client can use them. ``check``
starts both on free ports, runs one request through each, and exits 0 when they answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.model import SandboxModelServer
from stripe_nb_agent.sandbox.stripe import DEFAULT_TOKEN, PROFILES, SandboxMCPHTTPServer, StripeStore


def _serve(args: argparse.Namespace) -> int:
    from stripe_nb_agent.sandbox.model.server import sandbox_extra_routes

    try:
        store = StripeStore(path=args.db)
    except SandboxError as exc:  # a store file in use, read-only or corrupt: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = SandboxModelServer(
        host=args.host, port=args.port, pace=args.pace, extra_routes=sandbox_extra_routes()
    )
    mcp = SandboxMCPHTTPServer(
        profile=args.profile, store=store, token=args.token, host=args.host, port=args.mcp_port
    )
    with model, mcp:
        print("stripe-nb-agent sandbox (offline; the model is a rule-based stand-in, not a language model)")
        print(f"  DAT1-style root        {model.root_url}")
        print(f"    chat (collection)    POST {model.root_url}/collection/sandbox/invoke-chat")
        print(f"    OpenAI-compatible    base URL {model.root_url}/collection/open-ai  (model: sandbox)")
        print(f"    embeddings           POST {model.root_url}/collection/qwen3-embedding/invoke")
        print(f"  Stripe sandbox (MCP)   {mcp.url}  ({args.profile} tools)")
        if args.token:
            print("    auth                 Authorization: Bearer <the token given with --token>")
        if args.db:
            print(f"    state                {args.db}")
        print("Press Ctrl-C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopping")
    return 0


def _check(args: argparse.Namespace) -> int:
    import anyio
    import httpx2

    from stripe_nb_agent.config import Secret
    from stripe_nb_agent.tools.client import ToolClient

    with SandboxModelServer(pace=0) as model, SandboxMCPHTTPServer(profile=args.profile) as mcp:
        body = {"messages": [{"role": "user", "content": "hello"}], "stream": False}
        reply = httpx2.post(f"{model.root_url}/collection/sandbox/invoke-chat", json=body, timeout=30)
        reply.raise_for_status()
        text = reply.json()["choices"][0]["message"]["content"]

        async def balance() -> str:
            async with ToolClient.for_url(mcp.url, key=Secret(DEFAULT_TOKEN)) as tools:
                name = "retrieve_balance" if args.profile == "classic" else "stripe_api_read"
                arguments = {} if args.profile == "classic" else {"stripe_api_operation_id": "GetBalance"}
                result = await tools.call_tool(name, arguments)
                return json.dumps(result.data)[:80] if result.ok else f"error: {result.error}"

        tool = anyio.run(balance)
    print(f"model server ok: {text[:70]!r}")
    print(f"Stripe sandbox ok: {tool}")
    return 0 if not tool.startswith("error") else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_nb_agent.sandbox", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the model sandbox and the Stripe sandbox until interrupted")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="model server port (0 picks a free one)")
    serve.add_argument("--mcp-port", type=int, default=8766, help="MCP server port (0 picks a free one)")
    serve.add_argument("--profile", choices=PROFILES, default="classic")
    serve.add_argument("--token", default=DEFAULT_TOKEN, help="bearer token the MCP server requires")
    serve.add_argument("--db", default=None, help="keep the Stripe sandbox's state in this SQLite file")
    serve.add_argument("--pace", type=float, default=None, help="seconds per streamed chunk")
    check = sub.add_parser("check", help="start both servers on free ports and make one request to each")
    check.add_argument("--profile", choices=PROFILES, default="classic")
    args = parser.parse_args(argv)
    return _serve(args) if args.command == "serve" else _check(args)


if __name__ == "__main__":
    sys.exit(main())
