"""Money, in one place: Stripe's currency rules, amounts into words, and words into amounts.

Stripe stores every amount as an integer in the currency's smallest unit: 2000 usd is $20.00,
1200 jpy is ¥1,200 (a zero-decimal currency has no minor unit), 5120 kwd is 5.120 KWD (three
decimals). Everything in the package that turns amounts into words or major units asks this module,
so the sandbox model, the Stripe sandbox, previews and the tables cannot disagree. Pure: no pandas.

The other way, :func:`parse_money` reads "$20/month", "20 dollars a month", "€9.99", "EUR 9.99",
"1,200 yen", "£5 per week" as an amount in minor units, a currency and, when the words say so, a
recurring interval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, Literal

__all__ = [
    "THREE_DECIMAL_CURRENCIES",
    "ZERO_DECIMAL_CURRENCIES",
    "Interval",
    "Money",
    "currency_exponent",
    "format_amount",
    "parse_interval",
    "parse_money",
    "plain_amount",
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


# --- words -> amounts ------------------------------------------------------------------------------

Interval = Literal["day", "week", "month", "year"]

_SYMBOL_CURRENCY = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr", "₩": "krw"}
_CODES = "usd|eur|gbp|jpy|cad|aud|chf|inr|krw|sek|nok|dkk|nzd|sgd|hkd|mxn|brl|pln"
_WORDS = {
    "dollar": "usd",
    "dollars": "usd",
    "buck": "usd",
    "bucks": "usd",
    "euro": "eur",
    "euros": "eur",
    "pound": "gbp",
    "pounds": "gbp",
    "quid": "gbp",
    "yen": "jpy",
}
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SYMBOL_RE = re.compile(r"(?P<sym>[$€£¥₹₩])\s?" + _NUM + r"(?:\s?(?P<trail>" + _CODES + r")\b)?", re.I)
_CODE_FIRST_RE = re.compile(r"\b(?P<code>" + _CODES + r")\s?" + _NUM, re.I)
_SUFFIX_RE = re.compile(
    _NUM + r"\s?(?P<word>" + "|".join(sorted(_WORDS, key=len, reverse=True)) + "|" + _CODES + r")\b", re.I
)
_UNIT = {
    "day": "day",
    "daily": "day",
    "week": "week",
    "wk": "week",
    "weekly": "week",
    "month": "month",
    "mo": "month",
    "monthly": "month",
    "year": "year",
    "yr": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
}
_INTERVAL_AFTER_RE = re.compile(
    r"^\s*(?:/\s*|(?:per|a|an|every|each)\s+)(?P<unit>day|week|wk|month|mo|year|yr)\b"
    r"|^\s*(?P<adverb>daily|weekly|monthly|yearly|annually)\b",
    re.I,
)
_INTERVAL_ANYWHERE_RE = re.compile(
    r"\b(?P<adverb>daily|weekly|monthly|yearly|annually|annual)\b"
    r"|(?:/\s*|\b(?:per|a|an|every|each)\s+)(?P<unit>day|week|month|year)\b",
    re.I,
)


@dataclass(frozen=True)
class Money:
    """An amount in the currency's smallest unit, as Stripe stores it."""

    amount: int
    currency: str
    interval: Interval | None = None
    # Where the money phrase sits in the text it was parsed from (start, end).
    span: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        return format_amount(self.amount, self.currency, self.interval)


def plain_amount(amount: int, currency: str) -> str:
    """Minor units -> "5 USD", "5.50 USD", "1200 JPY": a name-friendly amount with no symbol."""
    major = to_major(amount, currency)
    number = f"{major:f}" if major != major.to_integral_value() else f"{major.to_integral_value():f}"
    return f"{number} {currency.upper()}"


def parse_money(text: str) -> Money | None:
    """The first money phrase in ``text``, or None. The interval may follow it or sit anywhere."""
    found: list[tuple[int, int, str, str]] = []  # start, end, number, currency
    for m in _SYMBOL_RE.finditer(text):
        currency = (m.group("trail") or _SYMBOL_CURRENCY[m.group("sym")]).lower()
        if m.group("sym") == "$" and not m.group("trail"):
            currency = "usd"
        found.append((m.start(), m.end(), m.group("num"), currency))
    for m in _CODE_FIRST_RE.finditer(text):
        found.append((m.start(), m.end(), m.group("num"), m.group("code").lower()))
    for m in _SUFFIX_RE.finditer(text):
        word = m.group("word").lower()
        found.append((m.start(), m.end(), m.group("num"), _WORDS.get(word, word)))
    if not found:
        return None
    start, end, number, currency = min(found, key=lambda f: (f[0], -f[1]))
    try:
        major = Decimal(number.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return None
    interval = _interval_after(text[end:])
    if interval is None:
        interval = parse_interval(text)
    else:
        end += _INTERVAL_AFTER_RE.match(text[end:]).end()  # type: ignore[union-attr]
    return Money(to_minor(major, currency), currency, interval, (start, end))


def _interval_after(rest: str) -> Interval | None:
    m = _INTERVAL_AFTER_RE.match(rest)
    if not m:
        return None
    return _unit(m.group("unit") or m.group("adverb"))


def parse_interval(text: str) -> Interval | None:
    """A recurring interval mentioned anywhere in ``text`` ("monthly", "per year", ...)."""
    m = _INTERVAL_ANYWHERE_RE.search(text)
    return _unit(m.group("unit") or m.group("adverb")) if m else None


def _unit(word: str) -> Interval:
    unit = _UNIT[word.lower()]
    assert unit in ("day", "week", "month", "year")
    return unit  # type: ignore[return-value]
