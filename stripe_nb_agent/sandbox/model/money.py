"""Money in words and symbols -> Stripe amounts (minor units), and back for answers.

"$20/month", "20 dollars a month", "€9.99", "EUR 9.99", "1,200 yen", "£5 per week": an amount, a
currency and, when the words say so, a recurring interval. Minor units follow Stripe's currency
rules (:mod:`stripe_nb_agent.currency`): zero-decimal currencies (jpy, krw, ...) have none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from stripe_nb_agent.currency import format_amount as format_money
from stripe_nb_agent.currency import to_major, to_minor

__all__ = ["Interval", "Money", "format_money", "parse_interval", "parse_money", "plain_amount", "to_minor"]

Interval = Literal["day", "week", "month", "year"]

_SYMBOLS = {"$": "usd", "€": "eur", "£": "gbp", "¥": "jpy", "₹": "inr", "₩": "krw"}
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
        return format_money(self.amount, self.currency, self.interval)


def plain_amount(amount: int, currency: str) -> str:
    """Minor units -> "5 USD", "5.50 USD", "1200 JPY": a name-friendly amount with no symbol."""
    major = to_major(amount, currency)
    number = f"{major:f}" if major != major.to_integral_value() else f"{major.to_integral_value():f}"
    return f"{number} {currency.upper()}"


def parse_money(text: str) -> Money | None:
    """The first money phrase in ``text``, or None. The interval may follow it or sit anywhere."""
    found: list[tuple[int, int, str, str]] = []  # start, end, number, currency
    for m in _SYMBOL_RE.finditer(text):
        currency = (m.group("trail") or _SYMBOLS[m.group("sym")]).lower()
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
