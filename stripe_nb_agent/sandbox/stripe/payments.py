"""Payment intents, charges, refunds, disputes, balance transactions and the balance.

The balance is never stored: it is the sum of balance transactions (charges net of fees, refunds,
dispute withdrawals), split into available and pending by each transaction's ``available_on``.
That keeps it consistent with charges and refunds by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stripe_nb_agent.money import currency_exponent, format_amount
from stripe_nb_agent.sandbox.stripe.base import ListEnvelope, StoreBase, StripeObject
from stripe_nb_agent.sandbox.stripe.customers_products import check_amount, check_currency, check_metadata
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError

__all__ = ["DECLINES", "PaymentsMixin", "matching"]

_DAY = 86_400
# Test payment methods, as in Stripe's test mode: which ones succeed and how the others decline.
DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": (
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", "expired_card", "Your card has expired."),
}
_DISPUTE_FEE = 1500


def matching(**filters: object) -> Callable[[StripeObject], bool]:
    """A list filter as Stripe's list parameters work: each given (not None) field must be equal."""
    given = {name: value for name, value in filters.items() if value is not None}
    return lambda obj: all(obj[name] == value for name, value in given.items())


def fee_for(amount: int, currency: str) -> int:
    """Stripe's standard card fee (2.9% + 30c; 3.6% for zero-decimal currencies)."""
    if currency_exponent(currency) == 0:
        return round(amount * 0.036)
    return round(amount * 0.029) + 30


class PaymentsMixin(StoreBase):
    def _balance_txn(
        self, *, amount: int, currency: str, fee: int, type: str, source: str, created: int, description: str
    ) -> StripeObject:
        available_on = created + 2 * _DAY if type == "charge" else created
        txn: StripeObject = {
            "id": self._new_id("txn_", 24),
            "object": "balance_transaction",
            "amount": amount,
            "available_on": available_on,
            "created": created,
            "currency": currency,
            "description": description,
            "fee": fee,
            "fee_details": (
                [
                    {
                        "amount": fee,
                        "currency": currency,
                        "description": "Stripe processing fees",
                        "type": "stripe_fee",
                    }
                ]
                if fee
                else []
            ),
            "net": amount - fee,
            "reporting_category": {"charge": "charge", "refund": "refund", "adjustment": "dispute"}[type],
            "source": source,
            "status": "available" if available_on <= self.now() else "pending",
            "type": type,
        }
        return self._insert("balance_transaction", txn)

    def create_payment_intent(
        self,
        amount: object,
        currency: object,
        *,
        customer: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        payment_method: str | None = None,
        confirm: bool = False,
        created: int | None = None,
    ) -> StripeObject:
        value = check_amount(amount, "amount")
        cur = check_currency(currency)
        if confirm and not payment_method:
            raise StripeAPIError(
                "You cannot confirm this PaymentIntent because it's missing a payment method. "
                "Pass payment_method (e.g. 'pm_card_visa').",
                code="payment_intent_unexpected_state",
                param="payment_method",
            )
        with self._lock:
            cust = self._get("customer", customer, "customer") if customer is not None else None
            stamp = created if created is not None else self._tick()
            pid = self._new_id("pi_", 24)
            pi: StripeObject = {
                "id": pid,
                "object": "payment_intent",
                "amount": value,
                "amount_capturable": 0,
                "amount_received": 0,
                "capture_method": "automatic",
                "client_secret": f"{pid}_secret_{self.random_token(25)}",
                "confirmation_method": "automatic",
                "created": stamp,
                "currency": cur,
                "customer": customer,
                "description": description,
                "invoice": None,
                "last_payment_error": None,
                "latest_charge": None,
                "livemode": False,
                "metadata": check_metadata(metadata),
                "payment_method": payment_method,
                "payment_method_types": ["card"],
                "status": "requires_payment_method" if payment_method is None else "requires_confirmation",
            }
            self._insert("payment_intent", pi)
            if confirm and payment_method is not None:
                self._charge(pi, cust, payment_method, stamp)
        self._changed()
        return self.retrieve("payment_intent", pid)

    def _charge(self, pi: StripeObject, cust: StripeObject | None, method: str, stamp: int) -> StripeObject:
        decline = DECLINES.get(method)
        brand, last4 = ("visa", "0002") if decline else ("visa", "4242")
        ch: StripeObject = {
            "id": self._new_id("ch_", 24),
            "object": "charge",
            "amount": pi["amount"],
            "amount_captured": 0 if decline else pi["amount"],
            "amount_refunded": 0,
            "balance_transaction": None,
            "billing_details": {
                "email": cust["email"] if cust else None,
                "name": cust["name"] if cust else None,
            },
            "captured": not decline,
            "created": stamp,
            "currency": pi["currency"],
            "customer": pi["customer"],
            "description": pi["description"],
            "disputed": False,
            "failure_code": decline[1] if decline else None,
            "failure_message": decline[2] if decline else None,
            "livemode": False,
            "metadata": {},
            "outcome": {
                "network_status": "declined_by_network" if decline else "approved_by_network",
                "reason": decline[1] if decline else None,
                "seller_message": "The bank did not return any further details with this decline."
                if decline
                else "Payment complete.",
                "type": "issuer_declined" if decline else "authorized",
            },
            "paid": not decline,
            "payment_intent": pi["id"],
            "payment_method": method,
            "payment_method_details": {
                "card": {"brand": brand, "last4": last4, "country": "US"},
                "type": "card",
            },
            "receipt_url": None
            if decline
            else f"https://pay.stripe.com/receipts/test_sandbox_{self.random_token(20)}",
            "refunded": False,
            "status": "failed" if decline else "succeeded",
        }
        self._insert("charge", ch)
        pi["latest_charge"] = ch["id"]
        pi["payment_method"] = method
        if decline:
            pi["status"] = "requires_payment_method"
            pi["last_payment_error"] = {
                "charge": ch["id"],
                "code": decline[0],
                "decline_code": decline[1],
                "message": decline[2],
                "type": "card_error",
            }
        else:
            pi["status"] = "succeeded"
            pi["amount_received"] = pi["amount"]
            txn = self._balance_txn(
                amount=ch["amount"],
                currency=ch["currency"],
                fee=fee_for(ch["amount"], ch["currency"]),
                type="charge",
                source=ch["id"],
                created=stamp,
                description=pi["description"] or "Payment",
            )
            ch["balance_transaction"] = txn["id"]
        return ch

    def list_payment_intents(self, *, customer: str | None = None, **page: Any) -> ListEnvelope:
        return self._page("payment_intent", where=matching(customer=customer), **page)

    def list_charges(
        self, *, customer: str | None = None, payment_intent: str | None = None, **page: Any
    ) -> ListEnvelope:
        return self._page("charge", where=matching(customer=customer, payment_intent=payment_intent), **page)

    # -- refunds -------------------------------------------------------------------------------

    def create_refund(
        self,
        *,
        payment_intent: str | None = None,
        charge: str | None = None,
        amount: object = None,
        reason: str | None = None,
        created: int | None = None,
    ) -> StripeObject:
        with self._lock:
            if charge is not None:
                ch = self._get("charge", charge, "charge")
            elif payment_intent is not None:
                pi = self._get("payment_intent", payment_intent, "payment_intent")
                if pi["status"] != "succeeded" or pi["latest_charge"] is None:
                    raise StripeAPIError(
                        f"This PaymentIntent ({payment_intent}) does not have a successful charge to refund.",
                        code="charge_not_refundable"
                        if pi["latest_charge"]
                        else "payment_intent_unexpected_state",
                        param="payment_intent",
                    )
                ch = self._get("charge", pi["latest_charge"], "charge")
            else:
                raise StripeAPIError(
                    "One of the following params should be provided for this request: "
                    "payment_intent or charge.",
                    code="parameter_missing",
                    param="payment_intent",
                )
            if ch["status"] != "succeeded":
                raise StripeAPIError(
                    f"Charge {ch['id']} has not succeeded, so it cannot be refunded.",
                    code="charge_not_refundable",
                    param="charge",
                )
            remaining = ch["amount"] - ch["amount_refunded"]
            if remaining <= 0:
                raise StripeAPIError(
                    f"Charge {ch['id']} has already been refunded.",
                    code="charge_already_refunded",
                    param="charge",
                )
            value = remaining if amount is None else check_amount(amount, "amount")
            if value > remaining:
                cur = ch["currency"]
                raise StripeAPIError(
                    f"Refund amount ({format_amount(value, cur)}) is greater than unrefunded amount "
                    f"on charge ({format_amount(remaining, cur)})",
                    code="amount_too_large",
                    param="amount",
                )
            stamp = created if created is not None else self._tick()
            rid = self._new_id("re_", 24)
            txn = self._balance_txn(
                amount=-value,
                currency=ch["currency"],
                fee=0,
                type="refund",
                source=rid,
                created=stamp,
                description="REFUND FOR CHARGE",
            )
            refund: StripeObject = {
                "id": rid,
                "object": "refund",
                "amount": value,
                "balance_transaction": txn["id"],
                "charge": ch["id"],
                "created": stamp,
                "currency": ch["currency"],
                "metadata": {},
                "payment_intent": ch["payment_intent"],
                "reason": reason,
                "status": "succeeded",
            }
            self._insert("refund", refund)
            ch["amount_refunded"] += value
            ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        self._changed()
        return dict(refund)

    def list_refunds(
        self, *, charge: str | None = None, payment_intent: str | None = None, **page: Any
    ) -> ListEnvelope:
        return self._page("refund", where=matching(charge=charge, payment_intent=payment_intent), **page)

    # -- disputes ------------------------------------------------------------------------------

    def open_dispute(
        self, charge: str, reason: str = "fraudulent", *, created: int | None = None
    ) -> StripeObject:
        """A cardholder disputes a charge: the amount and a fee leave the balance (as Stripe does)."""
        with self._lock:
            ch = self._get("charge", charge, "charge")
            stamp = created if created is not None else self._tick()
            did = self._new_id("dp_", 24)
            txn = self._balance_txn(
                amount=-ch["amount"],
                currency=ch["currency"],
                fee=_DISPUTE_FEE if ch["currency"] != "jpy" else 1500,
                type="adjustment",
                source=did,
                created=stamp,
                description=f"Chargeback withdrawal for {ch['id']}",
            )
            dispute: StripeObject = {
                "id": did,
                "object": "dispute",
                "amount": ch["amount"],
                "balance_transactions": [dict(txn)],
                "charge": ch["id"],
                "created": stamp,
                "currency": ch["currency"],
                "evidence": {
                    "cancellation_policy_disclosure": None,
                    "duplicate_charge_explanation": None,
                    "uncategorized_text": None,
                },
                "evidence_details": {
                    "due_by": stamp + 14 * _DAY,
                    "has_evidence": False,
                    "past_due": False,
                    "submission_count": 0,
                },
                "is_charge_refundable": False,
                "livemode": False,
                "metadata": {},
                "payment_intent": ch["payment_intent"],
                "reason": reason,
                "status": "needs_response",
            }
            self._insert("dispute", dispute)
            ch["disputed"] = True
        self._changed()
        return dict(dispute)

    def update_dispute(
        self,
        dispute: str,
        *,
        evidence: dict[str, Any] | None = None,
        submit: bool | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> StripeObject:
        with self._lock:
            obj = self._get("dispute", dispute, "dispute")
            if obj["status"] in ("won", "lost", "under_review") and (evidence or submit):
                raise StripeAPIError(
                    f"This dispute is already {obj['status'].replace('_', ' ')} and cannot be updated.",
                    code="dispute_already_closed"
                    if obj["status"] != "under_review"
                    else "dispute_under_review",
                    param="dispute",
                )
            if evidence:
                unknown = set(evidence) - set(obj["evidence"])
                if unknown:
                    raise StripeAPIError(
                        f"Received unknown parameter: evidence[{sorted(unknown)[0]}]",
                        param=f"evidence[{sorted(unknown)[0]}]",
                    )
                obj["evidence"].update(evidence)
                obj["evidence_details"]["has_evidence"] = True
            if metadata:
                obj["metadata"].update(check_metadata(metadata))
            if submit:
                obj["status"] = "under_review"
                obj["evidence_details"]["submission_count"] += 1
        self._changed()
        return self.retrieve("dispute", dispute)

    def list_disputes(
        self, *, charge: str | None = None, payment_intent: str | None = None, **page: Any
    ) -> ListEnvelope:
        return self._page("dispute", where=matching(charge=charge, payment_intent=payment_intent), **page)

    # -- balance ---------------------------------------------------------------------------------

    def list_balance_transactions(self, *, type: str | None = None, **page: Any) -> ListEnvelope:
        return self._page("balance_transaction", where=matching(type=type), **page)

    def retrieve_balance(self) -> StripeObject:
        """Available and pending funds by currency: the sum of every balance transaction's net."""
        with self._lock:
            now = self.now()
            available: dict[str, int] = {}
            pending: dict[str, int] = {}
            for txn in self._objects["balance_transaction"].values():
                bucket = available if txn["available_on"] <= now else pending
                bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
            currencies = sorted(set(available) | set(pending))

            def rows(bucket: dict[str, int]) -> list[dict[str, Any]]:
                return [
                    {"amount": bucket.get(c, 0), "currency": c, "source_types": {"card": bucket.get(c, 0)}}
                    for c in currencies
                ]

            return {
                "object": "balance",
                "available": rows(available),
                "livemode": False,
                "pending": rows(pending),
            }
