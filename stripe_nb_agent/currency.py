"""Stripe's currency rules, in one place: how many minor-unit digits a currency has, and money words.

Stripe stores every amount as an integer in the currency's smallest unit: 2000 usd is $20.00,
1200 jpy is ¥1,200 (a zero-decimal currency has no minor unit), 5120 kwd is 5.120 KWD (three
decimals). Everything in the package that turns amounts into words or major units asks this module,
so the sandbox model, the Stripe sandbox and the tables cannot disagree. Pure: no pandas.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = [
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "currency_exponent",
    "format_amount",
    "to_major",
    "to_minor",
]

# https://docs.stripe.com/currencies#zero-decimal. ISK, HUF and TWD are "special cases" that the
# API still counts in hundredths, so they are (correctly) absent here.
ZERO_DECIMAL_CURRENCIES: Final = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
# https://docs.stripe.com/currencies#three-decimal
THREE_DECIMAL_CURRENCIES: Final = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# Symbols as Stripe's dashboard writes them; any other currency is written with its code.
_SYMBOLS: Final = {
    "usd": "$",
    "eur": "€",
    "gbp": "£",
    "jpy": "¥",
    "inr": "₹",
    "krw": "₩",
    "cad": "CA$",
    "aud": "A$",
}


def currency_exponent(currency: str) -> int:
    """How many minor-unit digits Stripe uses for ``currency``: 0 (jpy), 2 (usd) or 3 (kwd)."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    return 3 if code in THREE_DECIMAL_CURRENCIES else 2


def to_major(amount: int | float, currency: str) -> Decimal:
    """Minor units -> an exact major-unit amount: 2000 usd -> 20.00, 1200 jpy -> 1200."""
    # str() first, so a float amount (JSON may carry 2000.0) converts without binary noise.
    minor = Decimal(amount) if isinstance(amount, int) else Decimal(str(amount))
    return minor.scaleb(-currency_exponent(currency))


def to_minor(major: Decimal, currency: str) -> int:
    """A major-unit amount -> minor units, rounded half up: 20 usd -> 2000, 1200 jpy -> 1200."""
    minor = major.scaleb(currency_exponent(currency))
    return int(minor.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_amount(amount: int | float, currency: str, interval: str | None = None) -> str:
    """Minor units -> "$20.00", "€9.99", "¥1,200", "CHF 12.50", "-$5.00"; with an interval, "/month".

    A known symbol stands before the number; other currencies are written with their code, a
    space, then the number. The number has the currency's own precision and thousands separators.
    """
    code = (currency or "usd").lower()
    exponent = currency_exponent(code)
    major = to_major(amount, code)
    number = f"{abs(major):,.{exponent}f}"
    symbol = _SYMBOLS.get(code)
    text = f"{symbol}{number}" if symbol else f"{code.upper()} {number}"
    if major < 0:
        text = f"-{text}"
    return f"{text}/{interval}" if interval else text
