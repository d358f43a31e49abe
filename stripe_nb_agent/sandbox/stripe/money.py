"""The sandbox's currencies and Stripe's fee; amount wording comes from :mod:`stripe_nb_agent.currency`."""

from __future__ import annotations

from stripe_nb_agent.currency import ZERO_DECIMAL_CURRENCIES as ZERO_DECIMAL
from stripe_nb_agent.currency import currency_exponent, format_amount

__all__ = ["SUPPORTED_CURRENCIES", "ZERO_DECIMAL", "fee_for", "format_amount"]

SUPPORTED_CURRENCIES = frozenset({"usd", "eur", "gbp", "jpy", "cad", "aud", "chf", "krw", "vnd"})


def fee_for(amount: int, currency: str) -> int:
    """Stripe's standard card fee (2.9% + 30c; 3.6% for zero-decimal currencies)."""
    if currency_exponent(currency) == 0:
        return round(amount * 0.036)
    return round(amount * 0.029) + 30
