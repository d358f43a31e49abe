"""Documentation search over a few notes written for the sandbox (not Stripe's documentation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["NOTES", "SANDBOX_NOTICE", "Note", "search_notes"]

SANDBOX_NOTICE = (
    "These are short notes written for the offline stripe-nb-agent sandbox, not Stripe's documentation; "
    "check https://docs.stripe.com before relying on them."
)


@dataclass(frozen=True)
class Note:
    title: str
    url: str
    text: str


NOTES: tuple[Note, ...] = (
    Note(
        "Accept a payment",
        "sandbox://notes/payments",
        "Create a PaymentIntent with an amount in the currency's smallest unit (5000 usd is $50.00; jpy has "
        "no minor unit) and confirm it with a payment method. A succeeded PaymentIntent has a latest_charge; "
        "a declined one goes back to requires_payment_method with last_payment_error set.",
    ),
    Note(
        "Refund a payment",
        "sandbox://notes/refunds",
        "Create a Refund with payment_intent (or charge) and an optional amount; without an amount the rest "
        "of the charge is refunded. You cannot refund more than the unrefunded amount. Refunds reduce your "
        "balance; Stripe's fee on the original charge is not returned.",
    ),
    Note(
        "Subscriptions",
        "sandbox://notes/subscriptions",
        "A Subscription bills a customer on a recurring price (monthly or yearly). Statuses: trialing, active, "  # noqa: E501
        "past_due (a renewal payment failed), unpaid, canceled. Cancel one to stop billing; a canceled "
        "subscription cannot be reactivated or canceled again. Change plans by updating its items.",
    ),
    Note(
        "Invoices",
        "sandbox://notes/invoices",
        "Create a draft invoice for a customer, add invoice items (a one-time price, or amount and currency), "  # noqa: E501
        "then finalize it: finalizing sums the items, assigns a number and a hosted_invoice_url the customer "
        "can pay on. Only drafts can be finalized or edited; send_invoice invoices have days_until_due.",
    ),
    Note(
        "Disputes and chargebacks",
        "sandbox://notes/disputes",
        "When a cardholder disputes a charge, the amount plus a $15.00 dispute fee is withdrawn from your "
        "balance. Respond before evidence_details.due_by by updating the dispute with evidence (for example "
        "uncategorized_text) and submit=true; the dispute then goes under_review.",
    ),
    Note(
        "Webhooks",
        "sandbox://notes/webhooks",
        "Webhooks notify your server about events such as payment_intent.succeeded, invoice.paid or "
        "customer.subscription.deleted. Verify each event's Stripe-Signature header with your endpoint secret "  # noqa: E501
        "and return 2xx quickly. The offline sandbox does not send webhooks.",
    ),
    Note(
        "Test mode",
        "sandbox://notes/test-mode",
        "Test mode uses sk_test_ keys and test payment methods such as pm_card_visa (succeeds) and "
        "pm_card_chargeDeclined (declines). Objects have livemode false and never move real money. The sandbox "  # noqa: E501
        "behaves like test mode with a fixed clock.",
    ),
    Note(
        "Restricted API keys",
        "sandbox://notes/restricted-keys",
        "Restricted keys (rk_test_, rk_live_) grant only the permissions you choose, such as read-only access "  # noqa: E501
        "to customers and charges. Give agents and notebooks a restricted key instead of the secret key, and "
        "never paste live keys into shared notebooks.",
    ),
    Note(
        "Payment Links",
        "sandbox://notes/payment-links",
        "A Payment Link is a shareable https://buy.stripe.com URL for a checkout page selling one or more "
        "prices with quantities. Create one from an existing price; no code or website is needed.",
    ),
    Note(
        "Coupons and discounts",
        "sandbox://notes/coupons",
        "A Coupon takes percent_off or amount_off (with a currency) and a duration: once, repeating (with "
        "duration_in_months) or forever. Apply coupons to subscriptions, invoices or checkout.",
    ),
    Note(
        "Customers",
        "sandbox://notes/customers",
        "A Customer stores a name, email, address and metadata so you can charge the same buyer again, send "
        'invoices and create subscriptions. Search customers with the query customers:email:"ada@example.com".',  # noqa: E501
    ),
    Note(
        "Products and prices",
        "sandbox://notes/products-prices",
        "A Product is what you sell; a Price is how much and how often (one_time or recurring with an "
        "interval). Keep several prices per product, e.g. monthly, yearly or in other currencies.",
    ),
    Note(
        "Balance and payouts",
        "sandbox://notes/balance",
        "Your balance has available and pending funds per currency. A charge's net (amount minus fee) is "
        "pending for about two days, then becomes available for payouts. Refunds and dispute withdrawals "
        "reduce the balance. Balance transactions explain every movement.",
    ),
    Note(
        "Pagination",
        "sandbox://notes/pagination",
        "List endpoints return newest objects first in a list envelope with has_more. Pass limit (1 to 100, "
        "default 10) and starting_after with the last id you received to get the next page.",
    ),
    Note(
        "Errors",
        "sandbox://notes/errors",
        "API errors carry a type (invalid_request_error, card_error, api_error), a code such as "
        "resource_missing or parameter_missing, a message and the param at fault. Card declines report a "
        "decline_code such as insufficient_funds.",
    ),
)
_WORD = re.compile(r"[a-z0-9_]+")
_STOP = frozenset(
    (
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "for",
        "and",
        "or",
        "how",
        "do",
        "i",
        "is",
        "are",
        "can",
        "what",
        "with",
        "my",
        "it",
        "by",
        "be",
    )
)


def _terms(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower()) if w not in _STOP}


def search_notes(question: str, *, limit: int = 3) -> list[Note]:
    """The notes sharing the most words with the question (title words count double)."""
    asked = _terms(question)
    scored = []
    for n, note in enumerate(NOTES):
        score = 2 * len(asked & _terms(note.title)) + len(asked & _terms(note.text))
        if score:
            scored.append((-score, n, note))
    return [note for _, _, note in sorted(scored)[:limit]]
