"""The magic's parser: ``%%stripe_agent`` options (numbers checked when the line is parsed, not at the
wire), ``%stripe_agent`` subcommands as typed arguments, and the help drawn from both."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.commands import (
    LINE_COMMANDS,
    Approve,
    Connect,
    Decline,
    Disconnect,
    Examples,
    Export,
    Help,
    History,
    LineCommand,
    Metrics,
    Models,
    Reset,
    Sandbox,
    Status,
    Tools,
    Use,
    help_text,
    parse_line,
)
from stripe_nb_agent.ui.options import cell_parser, parse_cell_options


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("--temperature nan", "argument --temperature: must be a number from 0 to 2, got 'nan'"),
        ("--temperature inf", "from 0 to 2, got 'inf'"),
        ("--temperature -0.5", "from 0 to 2, got '-0.5'"),
        ("--temperature 2.5", "from 0 to 2, got '2.5'"),
        ("--temperature warm", "from 0 to 2, got 'warm'"),
        ("--max-tokens 0", "argument --max-tokens: must be a whole number of at least 1, got 0"),
        ("--max-tokens 1e9", "expected a whole number of at least 1, got '1e9'"),
        ("--max-rounds -3", "argument --max-rounds: must be a whole number of at least 1, got -3"),
    ],
)
def test_numeric_options_out_of_range_are_refused_at_parse_time_naming_the_range(
    line: str, says: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse_cell_options(line)
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_numeric_options_at_the_ends_of_their_ranges_are_accepted() -> None:
    low = parse_cell_options("--temperature 0 --max-tokens 1 --max-rounds 1")
    assert (low.temperature, low.max_tokens, low.max_rounds) == (0.0, 1, 1)
    assert parse_cell_options("--temperature 2").temperature == 2.0


def test_help_names_the_range_of_every_numeric_option() -> None:
    help_ = help_text()
    assert "--temperature T              sampling temperature, from 0 to 2" in help_
    assert "--max-tokens N" in help_
    assert "N >= 1" in help_


# --- the %stripe_agent subcommands -----------------------------------------------------------


SUBCOMMAND_CASES: list[tuple[str, LineCommand]] = [
    ("", Help()),
    ("help", Help()),
    ("--help", Help()),
    ("-h", Help()),
    ("help use", Help(topic="use")),
    ("status", Status()),
    ("models", Models()),
    ("use sandbox-brief", Use(model="sandbox-brief")),
    ("tools", Tools()),
    ("tools --refresh", Tools(refresh=True)),
    ("history", History()),
    ("history --conversation side", History(conversation="side")),
    ("reset --conversation=side", Reset(conversation="side")),
    ("metrics", Metrics(conversation="default")),
    ("approve", Approve(which="all")),
    ("approve 2", Approve(which="2")),
    ("decline call_abc", Decline(which="call_abc")),
    ("export chat.md", Export(path="chat.md")),
    ("export 'my chat.json' --conversation side", Export(path="my chat.json", conversation="side")),
    ('connect "python server.py" --name probe', Connect(server="python server.py", name="probe")),
    (
        "connect https://mcp.example.com/mcp --trusted --key-env EXAMPLE_KEY",
        Connect(server="https://mcp.example.com/mcp", trusted=True, key_env="EXAMPLE_KEY"),
    ),
    ("disconnect probe", Disconnect(name="probe")),
    ("examples", Examples()),
    ("sandbox reset", Sandbox(action="reset")),
    ("sandbox status", Sandbox(action="status")),
]


@pytest.mark.parametrize(("line", "parsed"), SUBCOMMAND_CASES)
def test_each_subcommand_parses_into_its_typed_arguments(line: str, parsed: LineCommand) -> None:
    assert parse_line(line) == parsed


def test_every_subcommand_has_a_happy_path_above() -> None:
    tested = {type(parsed) for _, parsed in SUBCOMMAND_CASES}
    assert tested == set(LINE_COMMANDS)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        # A subcommand that does not exist: the closest one, or where a request goes instead.
        ("stauts", "Unknown subcommand 'stauts': did you mean 'status'? Use one of: status, models,"),
        ("Models", "did you mean 'models'?"),
        ("list my customers", "Unknown subcommand 'list' (a request goes in a cell: %%stripe_agent on the"),
        ("--model sandbox", "(options go on the first line of a %%stripe_agent cell, the request below)"),
        ("help nope", "Unknown subcommand 'nope'. Use one of:"),
        # A missing argument, an extra one, arguments to a subcommand that takes none.
        ("use", "the following arguments are required: MODEL. Usage: %stripe_agent use MODEL."),
        ("use a b", "unrecognized arguments: b. Usage: %stripe_agent use MODEL."),
        ("disconnect", "required: NAME. Usage: %stripe_agent disconnect NAME."),
        ("approve 1 2", "unrecognized arguments: 2. Usage: %stripe_agent approve [NUMBER|CALL_ID|all]."),
        ("status now", "%stripe_agent status takes no arguments, got now. Usage: %stripe_agent status."),
        ("examples --all", "%stripe_agent examples takes no arguments, got --all."),
        (
            "export",
            "the following arguments are required: FILE.md|FILE.json. "
            "Usage: %stripe_agent export FILE.md|FILE.json [--conversation NAME].",
        ),
        # An option that does not exist (and the one meant), an option without its value.
        (
            "tools --refesh",
            "unrecognized arguments: --refesh (did you mean --refresh?). Usage: %stripe_agent tools",
        ),
        (
            "reset --conv side",
            "(did you mean --conversation?). Usage: %stripe_agent reset [--conversation NAME].",
        ),
        (
            "connect x --key-env",
            "argument --key-env: expected one argument. Usage: %stripe_agent connect URL|",
        ),
        ("history --conversation", "argument --conversation: expected one argument."),
        # A value outside its choices, a flag given a value.
        ("sandbox wipe", "invalid choice: 'wipe'"),
        ("sandbox", "Usage: %stripe_agent sandbox reset|status."),
        ("tools --refresh=yes", "argument --refresh: ignored explicit argument 'yes'"),
        # Quotes that don't close.
        ('connect "python server.py', "check the quotes"),
    ],
)
def test_bad_subcommands_raise_usage_errors_with_the_usage(line: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_line(line)
    assert says in caught.value.message
    assert "\n" not in caught.value.message


def test_an_unknown_cell_option_close_to_a_real_one_names_it() -> None:
    with pytest.raises(UsageError, match=r"--quite \(did you mean --quiet\?\)"):
        parse_cell_options("--quite")
    with pytest.raises(UsageError) as caught:
        parse_cell_options("--bogus")
    assert "did you mean" not in caught.value.message


def test_help_lists_every_cell_option_and_every_subcommand_with_its_usage() -> None:
    lines = help_text().splitlines()
    for flag in ("--model NAME", "--policy auto|confirm|read-only", "--temperature T", "--max-tokens N"):
        assert any(line.startswith(f"  {flag} ") or line == f"  {flag}" for line in lines), flag
    declared = {f for a in cell_parser().declared for f in a.option_strings if a.help != argparse.SUPPRESS}
    assert {word for line in lines for word in line.split() if word.startswith("--")} >= declared
    for command in LINE_COMMANDS:
        assert any(
            line.startswith(f"  {command.usage()} ") or line == f"  {command.usage()}" for line in lines
        )
    assert '  connect URL|"COMMAND ..." [--name NAME] [--trusted] [--key-env VAR]' in lines
    assert "  sandbox reset|status         status: what the Stripe sandbox holds" in help_text()


def test_help_for_one_subcommand_is_its_usage_and_summary() -> None:
    assert help_text("use") == (
        "%stripe_agent use MODEL        switch the model for the next requests (history is kept)"
    )
    assert help_text("connect").splitlines()[0] == (
        '%stripe_agent connect URL|"COMMAND ..." [--name NAME] [--trusted] [--key-env VAR]'
    )


def test_the_readme_documents_every_cell_option_subcommand_and_subcommand_option() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The magic") : readme.index("## The chat widget")]
    synopsis = section[: section.index("```", section.index("```") + 3)]
    for action in cell_parser().declared:
        if action.help != argparse.SUPPRESS:
            assert max(action.option_strings, key=len) in synopsis
    rows = [line for line in section.splitlines() if line.startswith("| `%stripe_agent")]
    table = "\n".join(rows)
    for command in LINE_COMMANDS:
        assert re.search(rf"`(%stripe_agent )?{command.command}\b", table), command.command
        for action in command.parser().declared:
            for flag in action.option_strings:
                assert flag in table, (command.command, flag)
