"""The ``%%stripe_agent`` options: numbers are checked when the line is parsed, not at the wire."""

from __future__ import annotations

import pytest

from stripe_nb_agent.errors import UsageError
from stripe_nb_agent.ui.options import HELP, parse_cell_options


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
    assert "--temperature T              sampling temperature, from 0 to 2" in HELP
    assert "--max-tokens N" in HELP
    assert "N >= 1" in HELP
