"""Run the offline sandbox from the command line.

    python -m stripe_nb_agent.sandbox serve [--host HOST] [--port N] [--mcp-port N]
                                            [--profile classic|generic] [--token-file FILE]
                                            [--show-token] [--db FILE] [--pace SECONDS]
    python -m stripe_nb_agent.sandbox check

``serve`` starts the sandbox model server (DAT1's wire format, a rule-based stand-in that is not a
language model) and the Stripe sandbox over MCP Streamable HTTP, prints their URLs, and runs until
interrupted, so any DAT1- or OpenAI-compatible client and any MCP client can use them. The MCP
server wants a bearer token: the first line of ``--token-file``, else STRIPE_NB_AGENT_SANDBOX_TOKEN,
else a random one for this start, printed only with ``--show-token``. A host other than loopback
needs a chosen token. ``check`` starts both on free ports, runs one request through each, and exits
0 when they answer.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from stripe_nb_agent.errors import StripeNbAgentError
from stripe_nb_agent.sandbox.model import SandboxModelServer
from stripe_nb_agent.sandbox.stripe import (
    ENV_TOKEN,
    PROFILES,
    SandboxMCPHTTPServer,
    StripeStore,
    chosen_token,
)


def _token_note(args: argparse.Namespace, token: str, chosen: bool) -> str:
    """The token itself only when asked: a terminal is often shared, recorded or screen-shared."""
    if args.show_token:
        return token
    if args.token_file:
        source = f"from {args.token_file}"
    else:
        source = f"from {ENV_TOKEN}" if chosen else "random for this start"
    return f"hidden ({source}); run serve with --show-token to print it"


def _serve(args: argparse.Namespace) -> int:
    from stripe_nb_agent.sandbox.model.server import sandbox_extra_routes

    try:
        # The token and the host are checked before anything starts listening.
        token = chosen_token(args.token_file)
        mcp = SandboxMCPHTTPServer(
            profile=args.profile,
            store=StripeStore(path=args.db),
            token=token,
            host=args.host,
            port=args.mcp_port,
        )
    except StripeNbAgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    model = SandboxModelServer(
        host=args.host, port=args.port, pace=args.pace, extra_routes=sandbox_extra_routes()
    )
    with model, mcp:
        print("stripe-nb-agent sandbox (offline; the model is a rule-based stand-in, not a language model)")
        print(f"  DAT1-style root        {model.root_url}")
        print(f"    chat (collection)    POST {model.root_url}/collection/sandbox/invoke-chat")
        print(f"    OpenAI-compatible    base URL {model.root_url}/collection/open-ai  (model: sandbox)")
        print(f"    embeddings           POST {model.root_url}/collection/qwen3-embedding/invoke")
        print(f"  Stripe sandbox (MCP)   {mcp.url}  ({args.profile} tools)")
        print("    auth                 Authorization: Bearer <token>")
        print(f"    token                {_token_note(args, mcp.token, token is not None)}")
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

    from stripe_nb_agent.redaction import Secret
    from stripe_nb_agent.tools.client import ToolClient

    with SandboxModelServer(pace=0) as model, SandboxMCPHTTPServer(profile=args.profile) as mcp:
        body = {"messages": [{"role": "user", "content": "hello"}], "stream": False}
        reply = httpx2.post(f"{model.root_url}/collection/sandbox/invoke-chat", json=body, timeout=30)
        reply.raise_for_status()
        text = reply.json()["choices"][0]["message"]["content"]

        async def balance() -> str:
            async with ToolClient.for_url(mcp.url, key=Secret(mcp.token)) as tools:
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
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on; other than loopback, a chosen token is required",
    )
    serve.add_argument("--port", type=int, default=8765, help="model server port (0 picks a free one)")
    serve.add_argument("--mcp-port", type=int, default=8766, help="MCP server port (0 picks a free one)")
    serve.add_argument("--profile", choices=PROFILES, default="classic")
    serve.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"read the MCP server's bearer token from FILE (else {ENV_TOKEN}, else a random one)",
    )
    serve.add_argument("--show-token", action="store_true", help="print the MCP server's bearer token")
    serve.add_argument("--db", default=None, help="keep the Stripe sandbox's state in this SQLite file")
    serve.add_argument("--pace", type=float, default=None, help="seconds per streamed chunk")
    check = sub.add_parser("check", help="start both servers on free ports and make one request to each")
    check.add_argument("--profile", choices=PROFILES, default="classic")
    args = parser.parse_args(argv)
    return _serve(args) if args.command == "serve" else _check(args)


if __name__ == "__main__":
    sys.exit(main())
