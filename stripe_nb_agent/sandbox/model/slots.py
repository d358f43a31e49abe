"""The slots of a request, read by rules: names, emails, ids, money, counts, statuses, qualifiers.

:func:`read_slots` fills a request of a known kind (the phrasebook reader decides the kind).
:func:`by_rules` is the keyword fallback for when the embedding extra is missing: it decides the
kind by keywords too, a weaker reader.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import cast

from stripe_nb_agent.money import Money, parse_interval, parse_money
from stripe_nb_agent.sandbox.model.request import Intent, Kind

__all__ = ["by_rules", "qualified", "read_slots"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID = re.compile(r"\b(?:cus|prod|price|plink|in|ii|pi|ch|re|sub|si|dp|txn|acct|coupon)_[A-Za-z0-9]+\b")
_QUOTED = re.compile(r"[\"“'‘]([^\"”'’]{1,80})[\"”'’]")
_CREATE = re.compile(
    r"\b(create|add|make|new|set ?up|register|onboard|generate|launch|issue|draft|raise|open|sign up|"
    r"start selling|sell|bill|charge for|i want to sell)\b",
    re.I,
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
}
_LIMIT = re.compile(
    r"\b(?:last|latest|recent|first|top|newest|most recent)\s+(?P<a>\d{1,3}|"
    + "|".join(_NUMBER_WORDS)
    + r")\b|\b(?P<b>\d{1,3}|"
    + "|".join(_NUMBER_WORDS)
    + r")\s+(?:most\s+recent\s+|latest\s+|recent\s+|last\s+|newest\s+)?"
    r"(?:customers?|products?|prices?|invoices?|payments?|charges?|subscriptions?|coupons?|disputes?|"
    r"transactions?|clients?|sales|payment intents?)\b",
    re.I,
)
_STATUSES = {
    "past due": "past_due",
    "past_due": "past_due",
    "overdue": "past_due",
    "late": "past_due",
    "cancelled": "canceled",
    "canceled": "canceled",
    "trialing": "trialing",
    "in trial": "trialing",
    "on trial": "trialing",
    "trial": "trialing",
    "unpaid": "unpaid",
    "incomplete": "incomplete",
    "active": "active",
    "all": "all",
}
_INVOICE_STATUSES = ("draft", "open", "paid", "void", "uncollectible")
_NAME_STOP = (
    r"(?=\s+(?:at|for|with|priced|costing|that costs|which costs|costs|whose|and|using|email|e-mail)\b"
    r"|\s*[,(:]|\s*$|\s*[$€£¥]|\s+\d)"
)


def by_rules(clause: str) -> Intent | None:
    """One request in one clause by keywords alone (the fallback reader), or None."""
    text = clause.strip()
    low = text.lower()
    if not low:
        return None
    email = _first(_EMAIL, text)
    ids = _ID.findall(text)
    limit = _limit(low)
    creating = bool(_CREATE.search(low))
    refers_back = bool(re.search(r"\b(it|its|that|this|that one|the same)\b", low))

    if re.fullmatch(r"(hi|hello|hey|howdy|yo|good (morning|afternoon|evening)|thanks|thank you)[!. ]*", low):
        return Intent("greet")
    if re.search(r"\b(what can you do|help|what do you do|capabilit|who are you|what are you)\b", low):
        return Intent("help")
    if re.search(r"\bbalance\b|how much (money|do i have)|\bfunds\b|available to pay ?out", low):
        return Intent("balance")
    if (
        re.match(r"^(how|why|where|when|can i|should i|is it possible|docs?|documentation)\b", low)
        or ("documentation" in low or " docs" in f" {low}")
    ) and not (creating and re.search(r"\b(customer|product|price|invoice|coupon)\b", low)):
        return Intent("docs", query=text.rstrip("?").strip() + "?")
    if re.search(r"\baccount\b", low) and not re.search(r"\bcustomer", low):
        return Intent("account")
    if re.search(r"\brefund", low):
        return _refund(text, low, ids, refers_back)
    if re.search(r"\b(subscriptions?|subs|subscribers?|plans? people are on)\b|\bsub_", low):
        return _subscription(text, low, ids, refers_back, limit)
    if re.search(r"\bfinali[sz]e\b", low):
        ref = _pick(ids, "in_") or ("it" if refers_back or "invoice" in low else None)
        return Intent("finalize_invoice", ref=ref)
    if re.search(r"\binvoices?\b|\bbill\b|\bin_", low):
        return _invoice(text, low, ids, email, creating, limit)
    if re.search(
        r"\b(coupons?|discounts?|promo|promotion)\b|%\s*off|\boff\b.*\b(once|forever|months?)\b", low
    ):
        return _coupon(text, low, creating, limit)
    if re.search(r"\b(disputes?|chargebacks?)\b|\bdp_", low):
        dispute = _pick(ids, "dp_")
        if dispute and re.search(r"\b(evidence|submit|update|respond)\b", low):
            match = re.search(r"[:\-–]\s*(.+)$", text)
            return Intent("update_dispute", ref=dispute, text=match.group(1) if match else None)
        return Intent("list_disputes", limit=limit)
    if re.search(r"\b(payment|checkout|buy|purchase)\s+links?\b|\blinks?\b.*\b(pay|buy)|\bplink_", low):
        return _payment_link(text, low, ids, refers_back)
    if re.search(r"\bprices?\b|\bpricing\b", low) and not (creating and re.search(r"\bproducts?\b", low)):
        return _price(text, low, ids, creating, refers_back, limit)
    if re.search(r"\b(products?|items? (i|we) sell|catalog(ue)?)\b", low) or re.search(
        r"\b(sell|start selling)\b", low
    ):
        if creating:
            return Intent("create_product", name=_product_name(text), money=parse_money(text))
        return Intent("list_products", limit=limit)
    if re.search(r"\b(customers?|clients?|buyers?)\b", low) or (email and not creating) or "cus_" in low:
        return _customer(text, low, ids, email, creating, limit)
    if re.search(r"\b(payments?|charges?|payment intents?|transactions?|sales|purchases|orders)\b", low):
        customer = _pick(ids, "cus_") or email
        return Intent("list_payments", limit=limit, customer=customer)
    return None


def _customer(
    text: str, low: str, ids: list[str], email: str | None, creating: bool, limit: int | None
) -> Intent:
    if creating and not re.search(r"\b(find|look ?up|search|show|who is|get)\b", low):
        return Intent("create_customer", name=_customer_name(text, email), email=email)
    if email:
        return Intent("find_customer", email=email)
    named = re.search(r"\b(?:named|called)\s+(.+?)" + _NAME_STOP, text, re.I)
    if named:
        return Intent("find_customer", name=named.group(1).strip())
    return Intent("list_customers", limit=limit, customer=_pick(ids, "cus_"))


def _customer_name(text: str, email: str | None) -> str | None:
    quoted = _first(_QUOTED, text, group=1)
    if quoted:
        return quoted.strip()
    m = re.search(r"\b(?:named|called|name)\s*:?\s+(.+?)" + _NAME_STOP, text, re.I) or re.search(
        r"\b(?:customer|client)s?\s*:?\s+(?:for\s+)?(?!for\b|with\b|named\b|called\b)([A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*)*)",
        text,
    )
    if m and not _EMAIL.fullmatch(m.group(1).strip()):
        return m.group(1).strip().rstrip(".,")
    return _person(text)


_NOT_NAMES = frozenset(
    (
        "i",
        "the",
        "my",
        "our",
        "a",
        "an",
        "it",
        "stripe",
        "please",
        "new",
        "customer",
        "client",
        "create",
        "add",
    )
)


def _person(text: str) -> str | None:
    """The first run of two or more capitalised words that reads as a person's or firm's name.

    The sentence's first word and words after "the" are skipped: "Create ..." and "the Premium Plan"
    are not names.
    """
    for m in re.finditer(
        r"(?<![\w@.])[A-Z][\w'-]*(?:\s+(?:van|de|da|von|del|der|la|le)?\s*[A-Z][\w'-]*)+", text
    ):
        words = m.group(0).split()
        if m.start() == 0 or text[: m.start()].rstrip().lower().endswith(" the"):
            words = words[1:] if m.start() == 0 else []
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        if len(words) >= 2:
            return " ".join(words)
    return None


def _product_name(text: str) -> str | None:
    quoted = _first(_QUOTED, text, group=1)
    if quoted:
        return quoted.strip()
    m = (
        re.search(r"\b(?:named|called)\s+(.+?)" + _NAME_STOP, text, re.I)
        or re.search(r"\bproduct\s*:?\s+(?!named\b|called\b|for\b|at\b)(.+?)" + _NAME_STOP, text, re.I)
        or re.search(r"\bsell(?:ing)?\s+(?:an?\s+|the\s+|my\s+)?(.+?)" + _NAME_STOP, text, re.I)
    )
    return m.group(1).strip().rstrip(".,") if m else None


def _product_words(text: str) -> str | None:
    """A product named in words: "for the Premium Plan", "of Gold Tier"."""
    quoted = _first(_QUOTED, text, group=1)
    if quoted:
        return quoted.strip()
    text = re.sub(r"\s+", " ", text)
    for m in re.finditer(r"\b(?:for|of|to|on)\s+", text, re.I):
        cand = re.match(r"(?:the\s+|my\s+|our\s+)?(.+?)" + _NAME_STOP, text[m.end() :], re.I)
        if cand is None:
            continue
        words = cand.group(1).strip().rstrip(".,?!")
        if (
            words
            and not _EMAIL.search(words)
            and not _ID.search(words)
            and not re.match(r"(?i)(for|of|to|on|it|its|this|that|them|me|us|a|an|customer|him|her)\b", words)
        ):
            return words
    return None


def _price(
    text: str, low: str, ids: list[str], creating: bool, refers_back: bool, limit: int | None
) -> Intent:
    money = parse_money(text)
    product = _pick(ids, "prod_") or _product_words(_strip_money(text, money))
    if money is not None and (creating or product or refers_back):
        return Intent("create_price", money=money, product=product, ref="it" if refers_back else None)
    if creating and money is None:
        return Intent("create_price", product=product, ref="it" if refers_back else None)
    return Intent(
        "list_prices", product=product, ref="it" if refers_back and not product else None, limit=limit
    )


def _strip_money(text: str, money: Money | None) -> str:
    if money is None:
        return text
    start, end = money.span
    return text[:start] + text[end:]


def _invoice(
    text: str,
    low: str,
    ids: list[str],
    email: str | None,
    creating: bool,
    limit: int | None,
    *,
    force: bool = False,
) -> Intent:
    customer = _pick(ids, "cus_") or email
    named = _customer_named(text)
    if not force:
        creating = creating or bool(
            re.match(r"\s*(?:please\s+|now\s+)?(?:invoice|bill)\s+(?!list|show)", low)
        )
    if (
        creating
        or (named and not force)
        or re.search(r"\b(invoice|bill)\s+(?:" + _EMAIL.pattern + r"|cus_)", text, re.I)
    ):
        rest = _EMAIL.sub("", text)
        if customer is None and named is not None:
            customer, rest = named[0], rest.replace(named[1], " ")
        elif customer is None and _POINTS_AT_CUSTOMER.search(low):
            customer = "it"
        money = parse_money(rest)
        rest = _strip_money(rest, money)
        quantity, what = _units(rest)
        product = _pick(ids, "prod_") or what or _product_words(rest)
        return Intent(
            "create_invoice",
            customer=customer,
            price=_pick(ids, "price_"),
            product=product,
            money=money,
            quantity=quantity,
            unclear=_placeholder(text),
            with_finalize=bool(re.search(r"\bfinali[sz]e", low)),
        )
    if force and customer is None:
        customer = _person(text)
    status = next((s for s in _INVOICE_STATUSES if re.search(rf"\b{s}\b", low)), None)
    if status is None and re.search(r"\b(unpaid|outstanding|due)\b", low):
        status = "open"
    return Intent("list_invoices", customer=customer, status=status, limit=limit)


def _refund(text: str, low: str, ids: list[str], refers_back: bool) -> Intent:
    money = parse_money(text)
    ref = _pick(ids, "pi_") or _pick(ids, "ch_")
    latest = bool(re.search(r"\b(last|latest|most recent|recent|newest)\b", low))
    if ref is None and not latest:
        ref = "it" if refers_back else None
    whole = bool(re.search(r"\b(full|fully|whole|entire|all of|everything)\b", low))
    # A full refund only when the user says so or gives no amount words at all.
    unclear = None if whole or money else _placeholder(text) or _amount_words(_ID.sub(" ", text))
    return Intent("refund", ref=ref, money=None if whole else money, latest=latest, unclear=unclear)


_PLACEHOLDER = re.compile(r"\{[^}]*\}|<[^>]*>|\[[^\]]*\]")
_AMOUNT_WORDS = re.compile(
    r"\b\d+(?:[.,]\d+)?\b|\b(?:partial(?:ly)?|part of|some of|half|amount|dollars?|euros?|pounds?|bucks?|"
    r"cents?|yen)\b|[$€£¥]",
    re.I,
)
_POINTS_AT_CUSTOMER = re.compile(
    r"\b(?:that|this|the same|the new)\s+(?:customer|client)\b|\b(?:them|him|her)\b"
)
_CAPITALISED = r"[A-Z][\w.'-]*(?:\s+(?:[A-Z][\w.'-]*|van|de|da|von|del|der|la|le))*"


def _placeholder(text: str) -> str | None:
    """A template slot left in the text, such as ``{amount}``."""
    return _first(_PLACEHOLDER, text)


def _amount_words(text: str) -> str | None:
    return _first(_AMOUNT_WORDS, text)


def _customer_named(text: str) -> tuple[str, str] | None:
    """A customer named in capitalised words: "invoice Ada Lovelace", "an invoice for Ada Lovelace".

    Returns the name and the phrase it was read from. "for the Premium Plan" is a product, not a name.
    """
    m = re.search(
        r"\b(?:invoice|bill|charge)\s+(?:customer\s+|client\s+)?(?P<a>" + _CAPITALISED + ")"
        r"|\b(?:invoice|bill)\b.*?\bfor\s+(?:customer\s+|client\s+)?(?P<b>" + _CAPITALISED + ")",
        text,
    )
    if m is None:
        person = _person(text)
        return (person, person) if person else None
    name = (m.group("a") or m.group("b")).strip().rstrip(".,")
    if name.lower() in ("the", "it", "i") or name.split()[0].lower() in ("the", "my", "our"):
        return None
    return name, name


def _units(text: str) -> tuple[int | None, str | None]:
    """ "2 hours of consulting" -> (2, "consulting")."""
    m = re.search(
        r"\b(\d{1,4})\s+(?:hours?|hrs?|units?|items?|days?|sessions?|licen[cs]es?|seats?|x)\s+(?:of\s+)?"
        r"(?P<what>[A-Za-z][\w-]*(?:\s+[A-Za-z][\w-]*)?)?",
        text,
        re.I,
    )
    if m is None:
        return None, None
    what = m.group("what")
    if what and re.match(r"(?i)(at|for|and|with|then)\b", what):
        what = None
    elif what:
        what = re.split(r"(?i)\s+(?:at|for|and|with|then)\b", what)[0]
    return int(m.group(1)), what


def _subscription(
    text: str, low: str, ids: list[str], refers_back: bool, limit: int | None, kind: str | None = None
) -> Intent:
    sub = _pick(ids, "sub_")
    customer = _pick(ids, "cus_") or _first(_EMAIL, text)
    if kind == "cancel_subscription" or (
        kind is None
        and re.search(r"\b(cancel|stop|end|terminate|unsubscribe)\b", low)
        and not re.search(r"\b(cancell?ed|list|show)\b", low)
    ):
        return Intent("cancel_subscription", ref=sub or ("it" if refers_back else None), customer=customer)
    if kind == "update_subscription" or (
        kind is None and re.search(r"\b(update|change|switch|move|upgrade|downgrade|set)\b", low)
    ):
        return Intent(
            "update_subscription",
            ref=sub or ("it" if refers_back else None),
            price=_pick(ids, "price_"),
            quantity=_quantity(low),
        )
    status = None
    for word, value in _STATUSES.items():
        if re.search(rf"\b{re.escape(word)}\b", low):
            status = value
            break
    count = bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", low))
    return Intent("list_subscriptions", status=status, customer=customer, limit=limit, count=count)


def _coupon(text: str, low: str, creating: bool, limit: int | None) -> Intent:
    percent = re.search(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", low)
    money = None if percent else parse_money(text)
    if not (creating or percent or money):
        return Intent("list_coupons", limit=limit)
    months = re.search(r"\b(?:for\s+)?(\d+|" + "|".join(_NUMBER_WORDS) + r")\s+months?\b", low)
    if months:
        duration, count = "repeating", _number(months.group(1))
    elif re.search(r"\b(forever|always|permanent|every (month|invoice))\b", low):
        duration, count = "forever", None
    else:
        duration, count = "once", None
    return Intent(
        "create_coupon",
        name=_first(_QUOTED, text, group=1) or _coupon_name(text),
        percent_off=float(percent.group(1)) if percent else None,
        money=money,
        duration=duration,
        duration_in_months=count,
    )


def _coupon_name(text: str) -> str | None:
    m = re.search(r"\b(?:named|called)\s+([A-Za-z0-9_-]+)|\bcode\s+([A-Z0-9_-]{3,})\b", text)
    return (m.group(1) or m.group(2)) if m else None


def _limit(low: str) -> int | None:
    m = _LIMIT.search(low)
    if not m:
        return (
            1
            if re.search(r"\b(the|my) (last|latest|most recent) (customer|payment|invoice)\b", low)
            else None
        )
    return min(_number(m.group("a") or m.group("b")), 100)


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word.lower()]


def _quantity(low: str) -> int | None:
    m = re.search(
        r"\b(?:quantity|qty|seats?)\s*(?:of|to|=|:)?\s*(\d+)\b|\b(\d+)\s+(?:seats|units|copies)\b", low
    )
    return int(m.group(1) or m.group(2)) if m else None


def _pick(ids: list[str], prefix: str) -> str | None:
    return next((i for i in ids if i.startswith(prefix)), None)


def _first(pattern: re.Pattern[str], text: str, group: int = 0) -> str | None:
    m = pattern.search(text)
    return m.group(group) if m else None


def mentions_interval(text: str) -> bool:
    return parse_interval(text) is not None


def read_slots(kind: str, clause: str) -> Intent | None:
    """The request of a known kind, with its slots (names, emails, ids, money, counts, statuses) by rules."""
    intent = _slots(kind, clause)
    if intent is None or not intent.kind.startswith("list_"):
        return intent
    return qualified(intent, clause.strip())


_ABOVE = re.compile(
    r"\b(?:over|above|more than|greater than|bigger than|larger than|at least|exceeding|>=?)\s*", re.I
)
_BELOW = re.compile(r"\b(?:under|below|less than|smaller than|at most|<=?)\s*", re.I)
_QUESTION = re.compile(r"^\s*(?:are|is|do|does|did|have|has|any)\b", re.I)
_WHEN = re.compile(
    r"\b(?:today|yesterday|this (?:week|month|year)|last (?:week|month|year)|since \w+|in (?:january|"
    r"february|march|april|may|june|july|august|september|october|november|december)|recently|lately)\b",
    re.I,
)
_BY_SPEND = re.compile(
    r"\bby (?:total )?(?:spend|spending|revenue|amount spent|sales)\b|\b(?:spent|paid|spend) the most\b|"
    r"\b(?:best|biggest|top) (?:\d+ )?(?:customers|clients|buyers)\b",
    re.I,
)


def _bound(pattern: re.Pattern[str], text: str) -> Money | None:
    m = pattern.search(text)
    return parse_money(text[m.end() : m.end() + 40]) if m else None


# What each list is of, in words: "are there any refunds?" answered with payments is not a "yes".
_NOUNS = {
    "list_customers": r"customers?|clients?|buyers?",
    "list_products": r"products?|items?|plans?",
    "list_prices": r"prices?|pricing",
    "list_invoices": r"invoices?|bills?",
    "list_payments": r"payments?|charges?|transactions?|sales|orders|purchases",
    "list_subscriptions": r"subscriptions?|subs|subscribers?",
    "list_coupons": r"coupons?|discounts?|promo(?:tion)?s?|codes?",
    "list_disputes": r"disputes?|chargebacks?",
}


def qualified(intent: Intent, text: str) -> Intent:
    nouns = _NOUNS.get(intent.kind)
    return replace(
        intent,
        question=bool(_QUESTION.match(text) and nouns and re.search(rf"\b(?:{nouns})\b", text, re.I)),
        above=_bound(_ABOVE, text),
        below=_bound(_BELOW, text),
        order="spend" if intent.kind == "list_customers" and _BY_SPEND.search(text) else None,
        when=_first(_WHEN, text),
    )


def _slots(kind: str, clause: str) -> Intent | None:
    text = clause.strip()
    low = text.lower()
    email = _first(_EMAIL, text)
    ids = _ID.findall(text)
    limit = _limit(low)
    refers_back = bool(re.search(r"\b(it|its|that|this|that one|the same)\b", low))
    count = bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", low))
    if kind in ("greet", "help", "balance", "account"):
        return Intent(cast(Kind, kind))
    if kind == "docs":
        return Intent("docs", query=text.rstrip("?").strip() + "?")
    if kind == "create_customer":
        return Intent("create_customer", name=_customer_name(text, email), email=email)
    if kind == "find_customer":
        named = re.search(r"\b(?:named|called|name)\s+(.+?)" + _NAME_STOP, text, re.I)
        name = _first(_QUOTED, text, group=1) or (named.group(1).strip() if named else None)
        name = name or _person(text)
        if email or name:
            return Intent("find_customer", email=email, name=None if email else name)
        return Intent("list_customers", limit=limit, count=count)
    if kind == "list_customers":
        return Intent("list_customers", limit=limit, customer=_pick(ids, "cus_"), count=count)
    if kind == "create_product":
        return Intent("create_product", name=_product_name(text), money=parse_money(text))
    if kind == "list_disputes":
        return Intent("list_disputes", limit=limit, count=count, status=_dispute_status(low))
    if kind in ("list_products", "list_coupons"):
        return Intent(cast(Kind, kind), limit=limit, count=count)
    if kind in ("create_price", "list_prices"):
        intent = _price(text, low, ids, kind == "create_price", refers_back, limit)
        if kind == "list_prices" and intent.kind != "list_prices":
            product = _pick(ids, "prod_") or _product_words(text)
            return Intent("list_prices", product=product, ref="it" if refers_back and not product else None)
        return intent
    if kind == "create_payment_link":
        return _payment_link(text, low, ids, refers_back)
    if kind in ("create_invoice", "list_invoices"):
        return replace(
            _invoice(text, low, ids, email, kind == "create_invoice", limit, force=True), count=count
        )
    if kind == "finalize_invoice":
        return Intent("finalize_invoice", ref=_pick(ids, "in_") or "it")
    if kind == "refund":
        return _refund(text, low, ids, refers_back)
    if kind == "list_payments":
        customer = _pick(ids, "cus_") or email or _person(text)
        return Intent(
            "list_payments", limit=limit, customer=customer, status=_payment_status(low), count=count
        )
    if kind in ("list_subscriptions", "cancel_subscription", "update_subscription"):
        return _subscription(text, low, ids, refers_back, limit, kind=kind)
    if kind in ("create_coupon", "list_coupons"):
        return _coupon(text, low, kind == "create_coupon", limit)
    if kind == "update_dispute":
        match = re.search(r"[:\-–]\s*(.+)$", text)
        dispute = _pick(ids, "dp_")
        if dispute is None:
            return Intent("list_disputes", limit=limit)
        return Intent("update_dispute", ref=dispute, text=match.group(1) if match else None)
    return None


_PAYMENT_STATUSES = (
    (r"\b(failed|failing|declined|unsuccessful|bounced)\b", "failed"),
    (r"\b(succeeded|successful|completed)\b", "succeeded"),
    (r"\b(refunded)\b", "refunded"),
    (r"\b(canceled|cancelled)\b", "canceled"),
    (
        r"\b(incomplete|pending|requires? (?:a )?payment method|need a payment method)\b",
        "requires_payment_method",
    ),
)


def _dispute_status(low: str) -> str | None:
    if re.search(r"\b(open|pending|unanswered|need(?:s|ing)? (?:a )?response|respond|waiting)\b", low):
        return "open_dispute"
    return next((s for s in ("won", "lost") if re.search(rf"\b{s}\b", low)), None)


def _payment_status(low: str) -> str | None:
    return next((status for pattern, status in _PAYMENT_STATUSES if re.search(pattern, low)), None)


def _payment_link(text: str, low: str, ids: list[str], refers_back: bool) -> Intent:
    """A payment link for the price or product the request names (or the one just made)."""
    return Intent(
        "create_payment_link",
        price=_pick(ids, "price_"),
        product=_pick(ids, "prod_") or _product_words(text),
        ref="it" if refers_back else None,
        quantity=_quantity(low),
    )
