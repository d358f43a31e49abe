"""The sandbox model server's own process: what :class:`~.process.SandboxModelProcess` runs.

    python -m stripe_nb_agent.sandbox.model.child --pace SECONDS

It serves the model server (chat, embeddings, reranker) on a free loopback port, says where on its
first stdout line, then loads the phrasebook reader, so the first request finds it ready. Its
stdin is the parent's control line, one JSON object per line:

- ``{"pace": 0.05}`` sets the pace and is answered ``{"pace": 0.05}`` on stdout;
- end of input (the parent closed it, exited or was killed) stops the server and the process.

Reading the parent's end of a pipe is the one signal that works however the parent ends: a kernel
killed with SIGKILL runs no atexit, but its pipe still closes, so no sandbox outlives its kernel.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from stripe_nb_agent.errors import StripeNbAgentError

if TYPE_CHECKING:
    from stripe_nb_agent.sandbox.model.server import SandboxModelServer


def _control(server: SandboxModelServer, stop: threading.Event) -> None:
    """Apply the parent's commands until its end of the pipe closes."""
    for line in sys.stdin:
        try:
            command = json.loads(line)
            server.pace = float(command["pace"])
            answer: dict[str, Any] = {"pace": server.pace}
        except (ValueError, KeyError, TypeError, StripeNbAgentError) as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
    stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stripe_nb_agent.sandbox.model.child")
    parser.add_argument("--pace", type=float, required=True)
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        # Second to the kernel that started it: on a busy two-core machine the notebook stays
        # responsive while this loads; with a core to spare, it changes nothing.
        os.nice(10)

    from stripe_nb_agent.sandbox.model.server import SandboxModelServer, sandbox_extra_routes
    from stripe_nb_agent.sandbox.model.understand import reader

    server = SandboxModelServer(pace=args.pace, extra_routes=sandbox_extra_routes()).start()
    print(json.dumps({"root_url": server.root_url}), flush=True)
    stop = threading.Event()
    threading.Thread(target=_control, args=(server, stop), name="parent-control", daemon=True).start()
    # On this thread, not a daemon one: a process that exits while onnxruntime is still loading
    # aborts (status 134), so the stop below waits for the load to finish.
    reader()
    stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
