from __future__ import annotations

import pytest

from stripe_nb_agent.money import format_amount, parse_money


@pytest.mark.parametrize(
    ("text", "amount", "currency", "interval"),
    [
        ("$20/month", 2000, "usd", "month"),
        ("$20 / month", 2000, "usd", "month"),
        ("20 dollars a month", 2000, "usd", "month"),
        ("20 bucks per month", 2000, "usd", "month"),
        ("50 dollars", 5000, "usd", None),
        ("$49.99", 4999, "usd", None),
        ("€9.99", 999, "eur", None),
        ("EUR 9.99", 999, "eur", None),
        ("eur9.99", 999, "eur", None),
        ("9.99 euros", 999, "eur", None),
        ("1,200 yen", 1200, "jpy", None),
        ("¥1200", 1200, "jpy", None),
        ("JPY 500 monthly", 500, "jpy", "month"),
        ("£5 per week", 500, "gbp", "week"),
        ("5 pounds weekly", 500, "gbp", "week"),
        ("$120 a year", 12000, "usd", "year"),
        ("$120/yr", 12000, "usd", "year"),
        ("USD 1,234.50 annually", 123450, "usd", "year"),
        ("CHF 12.5 per day", 1250, "chf", "day"),
        ("a monthly plan for 12 USD", 1200, "usd", "month"),
        ("$20 CAD", 2000, "cad", None),
    ],
)
def test_money_phrases_parse_to_minor_units_currency_and_interval(
    text: str, amount: int, currency: str, interval: str | None
) -> None:
    money = parse_money(text)
    assert money is not None
    assert (money.amount, money.currency, money.interval) == (amount, currency, interval)


@pytest.mark.parametrize("text", ["create a customer", "list 3 products", "refund pi_123"])
def test_text_without_money_parses_to_none(text: str) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize(
    ("amount", "currency", "interval", "shown"),
    [
        (2000, "usd", "month", "$20.00/month"),
        (1200, "jpy", None, "¥1,200"),
        (999, "eur", None, "€9.99"),
        (123456, "gbp", None, "£1,234.56"),
        (1250, "chf", None, "CHF 12.50"),
        (-500, "usd", None, "-$5.00"),
    ],
)
def test_amounts_format_in_major_units_with_symbol(
    amount: int, currency: str, interval: str | None, shown: str
) -> None:
    assert format_amount(amount, currency, interval) == shown
