"""Currencies and amounts: minor units, zero-decimal currencies, Stripe's fee and money wording."""

from __future__ import annotations

__all__ = ["SUPPORTED_CURRENCIES", "ZERO_DECIMAL", "fee_for", "format_amount"]

# Stripe's zero-decimal currencies we serve; amounts in these have no minor unit.
ZERO_DECIMAL = frozenset({"jpy", "krw", "vnd"})
SUPPORTED_CURRENCIES = frozenset({"usd", "eur", "gbp", "jpy", "cad", "aud", "chf", "krw", "vnd"})
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$", "krw": "₩"}


def format_amount(amount: int, currency: str) -> str:
    """``5000, "usd"`` -> ``$50.00``; ``5000, "jpy"`` -> ``¥5000``, as Stripe words its errors."""
    symbol = _SYMBOLS.get(currency, currency.upper() + " ")
    if currency in ZERO_DECIMAL:
        return f"{symbol}{amount}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def fee_for(amount: int, currency: str) -> int:
    """Stripe's standard card fee (2.9% + 30c; 3.6% for zero-decimal currencies)."""
    if currency in ZERO_DECIMAL:
        return round(amount * 0.036)
    return round(amount * 0.029) + 30
