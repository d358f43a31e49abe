"""A long conversation: what a turn costs after 60 turns against the first, on the sandbox.

    STRIPE_NB_AGENT_SANDBOX_PACE=0 .venv/bin/python benchmarks/bench_context.py [--turns 60]

Runs ``--turns`` turns on one conversation (each lists payments, so each leaves a sizeable tool
result in the history), then times five more, alternating with five first turns on fresh
conversations (best of each). Prints the characters sent to the model and the time per turn.
Target: a turn after 60 turns <= 1.2x the first. A 5 MB tool result is also sent to show the cap
on one result.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

os.environ.setdefault("STRIPE_NB_AGENT_MODE", "sandbox")
os.environ.setdefault("STRIPE_NB_AGENT_SANDBOX_PACE", "0")

from stripe_nb_agent import Agent
from stripe_nb_agent.tools.types import ToolResult

PROMPT = "list the last 20 payments"


def timed(agent: Agent, conversation: str) -> tuple[float, int]:
    started = time.perf_counter()
    agent.ask(PROMPT, conversation=conversation)
    elapsed = time.perf_counter() - started
    sent = agent.conversation(conversation).model_messages()
    return elapsed, len(json.dumps(sent))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=60)
    args = parser.parse_args(argv)
    agent = Agent()
    agent.ask(PROMPT, conversation="warm-up")
    for _ in range(args.turns):
        agent.ask(PROMPT, conversation="long")
    # Alternating a first turn (on a fresh conversation) with a turn on the long one, so both
    # see the same machine load; the best of each.
    firsts, laters = [], []
    for n in range(5):
        firsts.append(timed(agent, f"fresh-{n}"))
        laters.append(timed(agent, "long"))
    first = min(t for t, _ in firsts)
    later = min(t for t, _ in laters)
    transcript = len(json.dumps(agent.conversation("long").messages))
    print(f"first turn:                {first * 1000:7.1f} ms, {firsts[0][1]:>9,} characters sent")
    print(f"turn after {args.turns} turns:     {later * 1000:7.1f} ms, {laters[-1][1]:>9,} characters sent")
    print(
        f"  -> {later / first:.2f}x the first (target <= 1.2); the transcript keeps {transcript:,} characters"
    )
    big = ToolResult(
        tool="list_payment_intents",
        ok=True,
        data={
            "object": "list",
            "data": [{"id": f"pi_{i:020d}", "amount": i, "description": "x" * 400} for i in range(12_000)],
        },
    )
    full = len(json.dumps(big.data))
    print(f"one {full / 1e6:.1f} MB tool result: the model reads {len(big.for_model()):,} characters of it")
    agent.close()
    return {"first_s": first, "later_s": later, "ratio": later / first}


if __name__ == "__main__":
    main()
