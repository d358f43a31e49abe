"""``python -m stripe_nb_agent.sandbox.stripe [--profile classic|generic] [--db PATH] [--http PORT]``.

Runs the sandbox MCP server on stdin/stdout (the default) or on loopback HTTP. A key, if any, comes
in the environment as STRIPE_SECRET_KEY (never on the command line): the sandbox only checks that it
is a test key, since it never talks to Stripe. Over HTTP that key is the bearer token clients must
send; without it, STRIPE_NB_AGENT_SANDBOX_TOKEN, else a random token (``--show-token`` prints it).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

import anyio

from stripe_nb_agent.errors import SandboxError, StripeNbAgentError
from stripe_nb_agent.sandbox.stripe.server import PROFILES, build_stripe_sandbox_server
from stripe_nb_agent.sandbox.stripe.store import StripeStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_nb_agent.sandbox.stripe", description=__doc__)
    parser.add_argument("--profile", choices=PROFILES, default="classic")
    parser.add_argument("--db", help="SQLite file that keeps the store's state across restarts")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds of artificial latency per call")
    parser.add_argument("--http", type=int, metavar="PORT", help="serve Streamable HTTP on 127.0.0.1:PORT")
    parser.add_argument("--show-token", action="store_true", help="print the HTTP server's bearer token")
    args = parser.parse_args(argv)
    key = os.environ.get("STRIPE_SECRET_KEY")
    try:
        if key and key.startswith(("sk_live_", "rk_live_")):
            raise SandboxError("STRIPE_SECRET_KEY is a live key; the sandbox takes test keys only. Unset it.")
        store = StripeStore(path=args.db, delay=args.delay)
        if args.http is not None:
            from stripe_nb_agent.sandbox.stripe.http_server import SandboxMCPHTTPServer, chosen_token

            srv = SandboxMCPHTTPServer(
                profile=args.profile, store=store, token=key or chosen_token(), port=args.http
            ).start()
            token = srv.token if args.show_token else "hidden (--show-token prints it)"
            print(
                f"Stripe sandbox ({args.profile}) on {srv.url}, token {token}; Ctrl-C stops it.",
                file=sys.stderr,
            )
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                srv.stop()
            return 0
        server = build_stripe_sandbox_server(args.profile, store)
    except StripeNbAgentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def serve() -> None:
        from mcp.server.stdio import stdio_server

        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(serve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
