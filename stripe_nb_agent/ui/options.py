"""Parsing for the magic: the ``%%stripe_agent`` options, ``{name}`` interpolation and the help text."""

from __future__ import annotations

import argparse
import math
import re
import shlex
from dataclasses import dataclass
from typing import Any, NoReturn

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.tools.types import POLICIES, Policy
from stripe_nb_agent.ui.result import FORMATS, OutputFormat

__all__ = ["HELP", "SUBCOMMANDS", "CellOptions", "Parser", "interpolate", "parse_cell_options", "split"]

SUBCOMMANDS = (
    "status",
    "models",
    "use",
    "tools",
    "history",
    "reset",
    "metrics",
    "approve",
    "decline",
    "export",
    "connect",
    "disconnect",
    "examples",
    "sandbox",
    "help",
)

HELP = """\
%%stripe_agent [options]       the cell body is the request ({name} inserts a variable;
                               an unknown {name} is an error, {{ }} are literal braces)
  --model NAME                 model for this request (see %stripe_agent models)
  --new                        start the conversation afresh
  --conversation NAME          use (or create) another conversation (default: "default")
  --policy auto|confirm|read-only
                               confirm: write calls wait for %stripe_agent approve
  --no-tools                   answer without calling Stripe
  --max-rounds N               stop after N rounds of tool calls (N >= 1, default 10)
  --temperature T              sampling temperature, from 0 to 2 (default: the model's)
  --max-tokens N               longest answer in tokens, reasoning included (N >= 1, default 5000)
  --out VAR                    also store the result (a TurnOutput) in VAR
  --format markdown|text|json  how the result is shown
  --show-reasoning             show the model's reasoning
  --quiet                      one progress line while it runs (time, round, tool calls),
                               then no output (combine with --out VAR)
  --no-interpolate             send {braces} exactly as written

%stripe_agent SUBCOMMAND
  status                       where calls go (sandbox or live); keys as hints only
  models                       the models you can use, and why others are not usable
  use MODEL                    switch the model for the next requests (history is kept)
  tools [--refresh]            the Stripe tools the agent can call
  history [--conversation NAME]   the turns so far
  reset [--conversation NAME]  forget a conversation
  metrics [--conversation NAME]   per-turn timings as a DataFrame
  approve [NUMBER|CALL_ID|all] run held write calls (confirm policy) and continue the turn
  decline [NUMBER|CALL_ID|all] refuse held write calls and continue the turn
  export FILE.md|FILE.json     write the conversation (redacted)
  connect URL|"COMMAND ..." [--name NAME] [--trusted] [--key-env VAR]
                               add an MCP server beside Stripe (its tools join the catalogue;
                               --key-env sends $VAR as a bearer token; --trusted: its
                               annotations decide which tools are reads)
  disconnect NAME              remove a connected server (see %stripe_agent status)
  examples                     what the offline stand-in understands, by topic
  sandbox status               the Stripe sandbox: what it holds, its clock, where its state is
  sandbox reset                put the Stripe sandbox back to its seeded data (workshops)
  help                         this text"""


class _HelpRequested(Exception):
    pass


class Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing and exiting."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog=prog, add_help=False, exit_on_error=False, allow_abbrev=False)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}. Run `%stripe_agent help` for every option.")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or "invalid arguments. Run `%stripe_agent help` for every option.")


# Checked here, at parse time, so a bad value is a usage error naming the range, not an HTTP 400
# or "Out of range float values are not JSON compliant" from deep inside a turn.
TEMPERATURE_RANGE = (0.0, 2.0)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value}")
    return value


def _temperature(text: str) -> float:
    low, high = TEMPERATURE_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    # NaN fails both comparisons, so it lands here too; so do inf and -inf.
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be a number from {low:g} to {high:g}, got {text!r}")
    return value


def _identifier(text: str) -> str:
    if not text.isidentifier():
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid Python variable name")
    return text


def _cell_parser() -> Parser:
    p = Parser("%%stripe_agent")
    p.add_argument("--model")
    p.add_argument("--new", action="store_true")
    p.add_argument("--conversation", default="default")
    p.add_argument("--policy", choices=POLICIES)
    p.add_argument("--no-tools", dest="use_tools", action="store_false")
    p.add_argument("--max-rounds", type=_positive_int, default=10)
    p.add_argument("--out", type=_identifier)
    p.add_argument("--format", choices=FORMATS, default="markdown")
    p.add_argument("--show-reasoning", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--no-interpolate", dest="interpolate", action="store_false")
    p.add_argument("--temperature", type=_temperature)
    p.add_argument("--max-tokens", type=_positive_int)
    p.add_argument("-h", "--help", action="store_true")
    return p


@dataclass(frozen=True)
class CellOptions:
    model: str | None
    new: bool
    conversation: str
    policy: Policy | None
    use_tools: bool
    max_rounds: int
    out: str | None
    format: OutputFormat
    show_reasoning: bool
    quiet: bool
    interpolate: bool
    temperature: float | None
    max_tokens: int | None
    help: bool


def split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Could not read the options ({exc}): check the quotes.") from None


def parse_cell_options(line: str) -> CellOptions:
    """The ``%%stripe_agent`` line as options; :class:`UsageError` with the fix when it is wrong."""
    try:
        ns = _cell_parser().parse_args(split(line))
    except argparse.ArgumentError as exc:
        raise UsageError(f"{exc}. Run `%stripe_agent help` for every option.") from None
    return CellOptions(**vars(ns))


# A {name} or {name.attr} placeholder; {{ and }} are literal braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\}")


def interpolate(text: str, namespace: dict[str, Any]) -> str:
    """Replace ``{name}`` (and ``{name.attr}``) with values from ``namespace``.

    ``{{`` and ``}}`` give literal braces; JSON (``{"a": 1}``) and anything else that is not a
    name in braces stays as written. A ``{name}`` that names no variable (or an attribute it
    lacks) is a :class:`UsageError` before anything is sent: a request like "refund {amount}" must
    never reach the model with the placeholder still in it.
    """
    missing: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        head, *attrs = match.group(1).split(".")
        if head not in namespace:
            missing.append(token)
            return token
        value = namespace[head]
        for attr in attrs:
            try:
                value = getattr(value, attr)
            except Exception:
                missing.append(token)
                return token
        try:
            return str(value)
        except Exception:
            missing.append(token)
            return token

    result = _PLACEHOLDER.sub(substitute, text)
    if missing:
        shown = ", ".join(dict.fromkeys(missing))
        first = missing[0][1:-1]
        raise UsageError(
            f"The request uses {shown}, but no such variable exists in this notebook, so nothing was "
            f"sent. Define it in a cell above (e.g. {first.split('.')[0]} = ...), write "
            f"{{{{{first}}}}} for literal braces, or add --no-interpolate to send every brace as written."
        )
    return result
