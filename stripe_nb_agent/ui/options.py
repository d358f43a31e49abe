"""What the ``%%stripe_agent`` cell accepts: its options, declared once in :func:`cell_parser`, which
is their parser, their help lines and their usage in error messages (the parser and the help layout
are :mod:`parser`'s; the cell body's ``{name}`` interpolation is :mod:`interpolation`'s; the
``%stripe_agent`` subcommands, and the help drawn from both, are :mod:`commands`').
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

from stripe_nb_agent.tools.types import POLICIES, Policy
from stripe_nb_agent.ui.parser import Parser, split
from stripe_nb_agent.ui.result import FORMATS, OutputFormat

__all__ = ["CELL_SUMMARY", "TEMPERATURE_RANGE", "CellOptions", "cell_parser", "parse_cell_options"]

# --- the %%stripe_agent cell options ------------------------------------------------------------

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


CELL_SUMMARY = (
    "the cell body is the request ({name} inserts a variable;\n"
    "an unknown {name} is an error, {{ }} are literal braces)"
)


def cell_parser() -> Parser:
    low, high = TEMPERATURE_RANGE
    p = Parser("%%stripe_agent")
    p.add_argument("--model", metavar="NAME", help="model for this request (see %stripe_agent models)")
    p.add_argument("--new", action="store_true", help="start the conversation afresh")
    p.add_argument(
        "--conversation",
        default="default",
        metavar="NAME",
        help='use (or create) another conversation (default: "default")',
    )
    p.add_argument("--policy", choices=POLICIES, help="confirm: write calls wait for %stripe_agent approve")
    p.add_argument("--no-tools", dest="use_tools", action="store_false", help="answer without calling Stripe")
    p.add_argument(
        "--max-rounds",
        type=_positive_int,
        default=10,
        metavar="N",
        help="stop after N rounds of tool calls (N >= 1, default 10)",
    )
    p.add_argument(
        "--temperature",
        type=_temperature,
        metavar="T",
        help=f"sampling temperature, from {low:g} to {high:g} (default: the model's)",
    )
    p.add_argument(
        "--max-tokens",
        type=_positive_int,
        metavar="N",
        help="longest answer in tokens, reasoning included (N >= 1, default 5000)",
    )
    p.add_argument(
        "--out", type=_identifier, metavar="VAR", help="also store the result (a TurnOutput) in VAR"
    )
    p.add_argument("--format", choices=FORMATS, default="markdown", help="how the result is shown")
    p.add_argument("--show-reasoning", action="store_true", help="show the model's reasoning")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="one progress line while it runs (time, round, tool calls),\n"
        "then no output (combine with --out VAR)",
    )
    p.add_argument(
        "--no-interpolate", dest="interpolate", action="store_false", help="send {braces} exactly as written"
    )
    p.add_argument("-h", "--help", action="store_true", help=argparse.SUPPRESS)
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


def parse_cell_options(line: str) -> CellOptions:
    """The ``%%stripe_agent`` line as options; :class:`UsageError` with the fix when it is wrong."""
    return CellOptions(**vars(cell_parser().read(split(line))))
