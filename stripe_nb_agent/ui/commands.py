"""What the ``%stripe_agent`` line accepts: each subcommand declared once, as a :class:`Subcommand`
dataclass (its fields are its typed arguments, :meth:`Subcommand.declare` adds them to a
:class:`Parser`, ``summary`` is its help), and the help text drawn from them and the cell options.
:data:`LineCommand` is the union of them all, so the magic's dispatch is checked for exhaustiveness.

Apart from :mod:`options` (the cell's), so that a notebook that only runs ``%%stripe_agent`` cells
never builds these fifteen classes: each dataclass costs a few milliseconds to create.
"""

from __future__ import annotations

import argparse
import difflib
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias, cast, get_args

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.options import CELL_SUMMARY, cell_parser
from stripe_nb_agent.ui.parser import Parser, entry, split

__all__ = [
    "LINE_COMMANDS",
    "SUBCOMMANDS",
    "Approve",
    "Connect",
    "Decline",
    "Disconnect",
    "Examples",
    "Export",
    "Help",
    "History",
    "LineCommand",
    "Metrics",
    "Models",
    "Reset",
    "Sandbox",
    "Status",
    "Subcommand",
    "Tools",
    "Use",
    "help_text",
    "parse_line",
]


@dataclass(frozen=True, kw_only=True)
class Subcommand:
    """A parsed ``%stripe_agent`` subcommand; each subclass declares one."""

    command: ClassVar[str]
    summary: ClassVar[str]

    @classmethod
    def declare(cls, parser: Parser) -> None:
        """Add the subcommand's arguments to ``parser``: their ``dest`` are the class's fields, and
        the defaults are the fields' (an argument not given is left out of the namespace)."""

    @classmethod
    def parser(cls) -> Parser:
        p = Parser(f"%stripe_agent {cls.command}", argument_default=argparse.SUPPRESS)
        cls.declare(p)
        p.hint = f"Usage: %stripe_agent {cls.usage(p)}."
        return p

    @classmethod
    def usage(cls, parser: Parser | None = None) -> str:
        """``use MODEL``: the subcommand and its arguments."""
        synopsis = (parser or cls.parser()).synopsis()
        return f"{cls.command} {synopsis}" if synopsis else cls.command

    @classmethod
    def parse(cls, args: list[str]) -> Subcommand:
        return cls(**vars(cls.parser().read(args)))


def _conversation(p: Parser) -> None:
    p.add_argument("--conversation", metavar="NAME")


@dataclass(frozen=True, kw_only=True)
class Status(Subcommand):
    command = "status"
    summary = "where calls go (sandbox or live); keys as hints only"


@dataclass(frozen=True, kw_only=True)
class Models(Subcommand):
    command = "models"
    summary = "the models you can use, and why others are not usable"


@dataclass(frozen=True, kw_only=True)
class Use(Subcommand):
    command = "use"
    summary = "switch the model for the next requests (history is kept)"
    model: str

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("model", metavar="MODEL")


@dataclass(frozen=True, kw_only=True)
class Tools(Subcommand):
    command = "tools"
    summary = "the tools the agent can call (--refresh asks the servers again)"
    refresh: bool = False

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("--refresh", action="store_true")


@dataclass(frozen=True, kw_only=True)
class History(Subcommand):
    command = "history"
    summary = "the turns so far"
    conversation: str = "default"

    @classmethod
    def declare(cls, parser: Parser) -> None:
        _conversation(parser)


@dataclass(frozen=True, kw_only=True)
class Reset(Subcommand):
    command = "reset"
    summary = "forget a conversation"
    conversation: str = "default"

    @classmethod
    def declare(cls, parser: Parser) -> None:
        _conversation(parser)


@dataclass(frozen=True, kw_only=True)
class Metrics(Subcommand):
    command = "metrics"
    summary = "per-turn timings as a DataFrame"
    conversation: str = "default"

    @classmethod
    def declare(cls, parser: Parser) -> None:
        _conversation(parser)


@dataclass(frozen=True, kw_only=True)
class _Decision(Subcommand):
    which: str = "all"

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("which", nargs="?", metavar="NUMBER|CALL_ID|all")


@dataclass(frozen=True, kw_only=True)
class Approve(_Decision):
    command = "approve"
    summary = "run held write calls (confirm policy) and continue the turn"


@dataclass(frozen=True, kw_only=True)
class Decline(_Decision):
    command = "decline"
    summary = "refuse held write calls and continue the turn"


@dataclass(frozen=True, kw_only=True)
class Export(Subcommand):
    command = "export"
    summary = "write the conversation (redacted)"
    path: str
    conversation: str = "default"

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("path", metavar="FILE.md|FILE.json")
        _conversation(parser)


@dataclass(frozen=True, kw_only=True)
class Connect(Subcommand):
    command = "connect"
    summary = (
        "add an MCP server beside Stripe (its tools join the catalogue;\n"
        "--key-env sends $VAR as a bearer token; --trusted: its\n"
        "annotations decide which tools are reads)"
    )
    server: str
    name: str | None = None
    trusted: bool = False
    key_env: str | None = None

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("server", metavar='URL|"COMMAND ..."')
        parser.add_argument("--name", metavar="NAME")
        parser.add_argument("--trusted", action="store_true")
        parser.add_argument("--key-env", metavar="VAR")


@dataclass(frozen=True, kw_only=True)
class Disconnect(Subcommand):
    command = "disconnect"
    summary = "remove a connected server (see %stripe_agent status)"
    name: str

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("name", metavar="NAME")


@dataclass(frozen=True, kw_only=True)
class Examples(Subcommand):
    command = "examples"
    summary = "what the offline stand-in understands, by topic"


@dataclass(frozen=True, kw_only=True)
class Sandbox(Subcommand):
    command = "sandbox"
    summary = (
        "status: what the Stripe sandbox holds, its clock, where its state is;\n"
        "reset: put it back to its seeded data (workshops)"
    )
    action: Literal["reset", "status"]

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("action", choices=("reset", "status"))


@dataclass(frozen=True, kw_only=True)
class Help(Subcommand):
    command = "help"
    summary = "this text (help SUBCOMMAND: that subcommand only)"
    topic: str | None = None

    @classmethod
    def declare(cls, parser: Parser) -> None:
        parser.add_argument("topic", nargs="?", metavar="SUBCOMMAND")


LineCommand: TypeAlias = (
    Status
    | Models
    | Use
    | Tools
    | History
    | Reset
    | Metrics
    | Approve
    | Decline
    | Export
    | Connect
    | Disconnect
    | Examples
    | Sandbox
    | Help
)
LINE_COMMANDS: tuple[type[Subcommand], ...] = get_args(LineCommand)
SUBCOMMANDS = tuple(c.command for c in LINE_COMMANDS)
_BY_NAME = {c.command: c for c in LINE_COMMANDS}


def _subcommand(name: str, *, first: bool = True) -> type[Subcommand]:
    """The subcommand called ``name``; ``first``: it was the line's first word (maybe a request)."""
    found = _BY_NAME.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name.lower(), SUBCOMMANDS, n=1, cutoff=0.6)
    hint = "."
    if first and name.startswith("-"):
        hint = " (options go on the first line of a %%stripe_agent cell, the request below)."
    elif close:
        hint = f": did you mean {close[0]!r}?"
    elif first:
        hint = " (a request goes in a cell: %%stripe_agent on the first line, the request below)."
    raise UsageError(
        f"Unknown subcommand {name!r}{hint} Use one of: {', '.join(SUBCOMMANDS)}; "
        "`%stripe_agent help` explains each."
    )


def parse_line(line: str) -> LineCommand:
    """The ``%stripe_agent`` line as a typed subcommand; :class:`UsageError` with the fix when wrong.

    An empty line, ``-h`` and ``--help`` are ``help``.
    """
    args = split(line)
    if not args:
        return Help()
    name, rest = args[0], args[1:]
    command = cast("LineCommand", (Help if name in ("-h", "--help") else _subcommand(name)).parse(rest))
    if isinstance(command, Help) and command.topic is not None:
        _subcommand(command.topic, first=False)
    return command


def help_text(topic: str | None = None) -> str:
    """Every cell option and subcommand, or one subcommand's usage and summary."""
    if topic is not None:
        command = _subcommand(topic, first=False)
        return entry(f"%stripe_agent {command.usage()}", command.summary, indent="")
    return "\n".join(
        [
            entry("%%stripe_agent [options]", CELL_SUMMARY, indent=""),
            cell_parser().entries(),
            "",
            "%stripe_agent SUBCOMMAND",
            *(entry(c.usage(), c.summary) for c in LINE_COMMANDS),
        ]
    )
