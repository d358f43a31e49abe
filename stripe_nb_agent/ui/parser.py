"""The magic's argument parser and help layout: :class:`Parser` (argparse that raises
:class:`UsageError` and keeps what it declares), :func:`entry` (one line of the help's two columns)
and :func:`split` (a magic line as shell words).

What the magic accepts is declared in :mod:`stripe_nb_agent.ui.options` (the cell's options) and
:mod:`stripe_nb_agent.ui.commands` (the subcommands); this module knows nothing of any particular
option or subcommand.
"""

from __future__ import annotations

import argparse
import difflib
import shlex
from typing import Any, NoReturn

from stripe_nb_agent.errors import UsageError

__all__ = ["Parser", "entry", "split"]

_EVERY_OPTION = "Run `%stripe_agent help` for every option."
# Where the help column starts: "  --format markdown|text|json  how the result is shown".
_COLUMN = 31


class Parser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing and exiting, and keeps what it
    declares so the help and the usage are drawn from the same arguments it parses.

    ``hint`` ends every error message (the usage of a subcommand, or where the options are listed).
    """

    def __init__(self, prog: str, hint: str = _EVERY_OPTION, argument_default: Any = None) -> None:
        super().__init__(
            prog=prog,
            add_help=False,
            exit_on_error=False,
            allow_abbrev=False,
            argument_default=argument_default,
        )
        self.hint = hint
        self.declared: list[argparse.Action] = []

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*name_or_flags, **kwargs)
        self.declared.append(action)
        return action

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}. {self.hint}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise UsageError(message or f"invalid arguments. {self.hint}")

    def read(self, args: list[str]) -> argparse.Namespace:
        """Parse ``args``; a :class:`UsageError` naming the fix for anything wrong or left over."""
        try:
            namespace, extras = self.parse_known_args(args)
        except argparse.ArgumentError as exc:
            self.error(str(exc))
        if extras and not self.declared:
            self.error(f"{self.prog} takes no arguments, got {' '.join(extras)}")
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}{self._did_you_mean(extras)}")
        return namespace

    def _did_you_mean(self, extras: list[str]) -> str:
        """`` (did you mean --refresh?)`` for the first extra that looks like a declared option."""
        flags = {flag.lstrip("-"): flag for action in self.declared for flag in action.option_strings}
        for extra in (e.split("=")[0].lstrip("-") for e in extras if e.startswith("--")):
            # A unique abbreviation (--conv), else a typo (--refesh).
            guesses = [flag for word, flag in flags.items() if extra and word.startswith(extra)]
            if len(guesses) != 1:
                guesses = [flags[w] for w in difflib.get_close_matches(extra, list(flags), n=1, cutoff=0.75)]
            if guesses:
                return f" (did you mean {guesses[0]}?)"
        return ""

    def synopsis(self) -> str:
        """``MODEL [--conversation NAME]``: positional arguments first, then the options."""
        shown = [a for a in self.declared if a.help != argparse.SUPPRESS]
        positional = [_term(a) for a in shown if not a.option_strings]
        optional = [f"[{_term(a)}]" for a in shown if a.option_strings]
        return " ".join(positional + optional)

    def entries(self) -> str:
        """One help entry per declared argument, in declaration order."""
        shown = [a for a in self.declared if a.help != argparse.SUPPRESS]
        return "\n".join(entry(_term(a), a.help or "") for a in shown)


def _term(action: argparse.Action) -> str:
    """How an argument is written: ``--quiet``, ``--out VAR``, ``--policy auto|confirm|read-only``,
    ``MODEL``, ``[NUMBER|CALL_ID|all]``."""
    if isinstance(action.metavar, str):
        value = action.metavar
    elif action.choices is not None:
        value = "|".join(str(choice) for choice in action.choices)
    else:
        value = action.dest.upper()
    if action.option_strings:
        flag = max(action.option_strings, key=len)
        return flag if action.nargs == 0 else f"{flag} {value}"
    return f"[{value}]" if action.nargs == "?" else value


def entry(term: str, text: str, indent: str = "  ") -> str:
    """``term`` with ``text`` in the help column (below it when the term is too long); a newline
    in ``text`` starts another line of the column."""
    head, *more = text.split("\n")
    lines = [f"{indent}{term}"]
    if len(lines[0]) < _COLUMN:
        lines[0] = lines[0].ljust(_COLUMN) + head
    else:
        more = [head, *more]
    return "\n".join([*lines, *(" " * _COLUMN + line for line in more)])


def split(line: str) -> list[str]:
    """``line`` as shell words; unbalanced quotes are a :class:`UsageError`."""
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"Could not read the options ({exc}): check the quotes.") from None
