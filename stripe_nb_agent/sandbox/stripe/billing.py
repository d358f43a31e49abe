"""Invoices, invoice items and subscriptions (the billing side of the store)."""

from __future__ import annotations

from typing import Any

from stripe_nb_agent.sandbox.stripe.base import ListEnvelope, StoreBase, StripeObject, copied
from stripe_nb_agent.sandbox.stripe.customers_products import check_amount, check_currency, check_metadata
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError
from stripe_nb_agent.sandbox.stripe.payments import matching

__all__ = ["SUBSCRIPTION_STATUSES", "BillingMixin"]

_DAY = 86_400
_PERIOD = {"day": _DAY, "week": 7 * _DAY, "month": 30 * _DAY, "year": 365 * _DAY}
SUBSCRIPTION_STATUSES = (
    "active",
    "past_due",
    "unpaid",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "trialing",
)


class BillingMixin(StoreBase):
    # -- invoices --------------------------------------------------------------------------------

    def create_invoice(
        self,
        customer: str,
        *,
        days_until_due: int | None = None,
        collection_method: str | None = None,
        description: str | None = None,
        subscription: str | None = None,
        metadata: dict[str, Any] | None = None,
        created: int | None = None,
    ) -> StripeObject:
        method = collection_method or (
            "send_invoice" if days_until_due is not None else "charge_automatically"
        )
        if method not in ("send_invoice", "charge_automatically"):
            raise StripeAPIError(f"Invalid collection_method: {method}", param="collection_method")
        if method == "send_invoice" and days_until_due is None:
            days_until_due = 30
        if method == "charge_automatically" and days_until_due is not None:
            raise StripeAPIError(
                "You can only set `days_until_due` if `collection_method` is `send_invoice`.",
                param="days_until_due",
            )
        with self._lock:
            cust = self._get("customer", customer, "customer")
            stamp = created if created is not None else self._tick()
            iid = self._new_id("in_", 24)
            obj: StripeObject = {
                "id": iid,
                "object": "invoice",
                "account_country": self.account.get("country", "US"),
                "amount_due": 0,
                "amount_paid": 0,
                "amount_remaining": 0,
                "collection_method": method,
                "created": stamp,
                "currency": cust.get("currency") or "usd",
                "customer": customer,
                "customer_email": cust["email"],
                "customer_name": cust["name"],
                "days_until_due": days_until_due,
                "description": description,
                "due_date": None,
                "hosted_invoice_url": None,
                "invoice_pdf": None,
                "lines": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/invoices/{iid}/lines",
                },
                "livemode": False,
                "metadata": check_metadata(metadata),
                "number": None,
                "paid": False,
                "period_end": stamp,
                "period_start": stamp,
                "status": "draft",
                "status_transitions": {"finalized_at": None, "paid_at": None, "voided_at": None},
                "subscription": subscription,
                "subtotal": 0,
                "total": 0,
            }
            self._insert("invoice", obj)
        self._changed()
        return copied(obj)

    def create_invoice_item(
        self,
        customer: str,
        *,
        price: str | None = None,
        amount: object = None,
        currency: str | None = None,
        invoice: str | None = None,
        quantity: int = 1,
        description: str | None = None,
        created: int | None = None,
    ) -> StripeObject:
        with self._lock:
            self._get("customer", customer, "customer")
            price_obj = None
            if price is not None:
                price_obj = self._get("price", price, "price")
                cur, unit = price_obj["currency"], price_obj["unit_amount"]
                if price_obj["type"] != "one_time":
                    raise StripeAPIError(
                        f"The price specified ({price}) is a recurring price; invoice items need a one-time "
                        "price.",
                        param="price",
                    )
            elif amount is not None:
                unit, cur = check_amount(amount, "amount"), check_currency(currency)
            else:
                raise StripeAPIError(
                    "You must specify either price or amount (with currency).",
                    code="parameter_missing",
                    param="price",
                )
            inv = None
            if invoice is not None:
                inv = self._get("invoice", invoice, "invoice")
                if inv["customer"] != customer:
                    raise StripeAPIError(
                        f"Invoice {invoice} belongs to customer {inv['customer']}, not {customer}.",
                        param="invoice",
                    )
                if inv["status"] != "draft":
                    raise StripeAPIError(
                        f"You can only add invoice items to draft invoices; {invoice} is {inv['status']}.",
                        code="invoice_not_editable",
                        param="invoice",
                    )
                if inv["lines"]["data"] and inv["currency"] != cur:
                    raise StripeAPIError(
                        f"The currency of this item ({cur}) does not match the invoice's "
                        f"({inv['currency']}).",
                        param="currency",
                    )
            stamp = created if created is not None else self._tick()
            item: StripeObject = {
                "id": self._new_id("ii_", 24),
                "object": "invoiceitem",
                "amount": unit * quantity,
                "currency": cur,
                "customer": customer,
                "date": stamp,
                "description": description or (self._product_name(price_obj) if price_obj else None),
                "invoice": invoice,
                "livemode": False,
                "metadata": {},
                "period": {"end": stamp, "start": stamp},
                "price": copied(price_obj),
                "proration": False,
                "quantity": quantity,
                "unit_amount": unit,
            }
            self._insert("invoiceitem", item)
            if inv is not None:
                inv["currency"] = cur
                inv["lines"]["data"].append(
                    {
                        "id": "il_" + item["id"][3:],
                        "object": "line_item",
                        "amount": item["amount"],
                        "currency": cur,
                        "description": item["description"],
                        "invoice_item": item["id"],
                        "price": copied(price_obj),
                        "quantity": quantity,
                        "type": "invoiceitem",
                    }
                )
                self._sum_invoice(inv)
        self._changed()
        return copied(item)

    def _product_name(self, price: StripeObject) -> str | None:
        product = self._objects["product"].get(price["product"])
        return product["name"] if product else None

    @staticmethod
    def _sum_invoice(inv: StripeObject) -> None:
        total = sum(line["amount"] for line in inv["lines"]["data"])
        inv["subtotal"] = inv["total"] = inv["amount_due"] = total
        inv["amount_remaining"] = total - inv["amount_paid"]

    def finalize_invoice(self, invoice: str, *, paid: bool = False, at: int | None = None) -> StripeObject:
        """Draft -> open: sums the items, numbers the invoice, gives it a hosted page and a due date."""
        with self._lock:
            inv = self._get("invoice", invoice, "invoice")
            if inv["status"] != "draft":
                raise StripeAPIError(
                    "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                    code="invoice_unexpected_state" if inv["status"] != "draft" else None,
                    param="invoice",
                )
            stamp = at if at is not None else self.now()
            self._sum_invoice(inv)
            cust = self._objects["customer"].get(inv["customer"])
            prefix = cust["invoice_prefix"] if cust else "SANDBOX"
            numbered = sum(1 for i in self._objects["invoice"].values() if i["number"] is not None)
            inv["number"] = f"{prefix}-{numbered + 1:04d}"
            inv["status"] = "open"
            inv["status_transitions"]["finalized_at"] = stamp
            token = self.random_token(30)
            acct = self.account.get("id", "acct_sandbox")
            inv["hosted_invoice_url"] = f"https://invoice.stripe.com/i/{acct}/test_sandbox_{token}"
            inv["invoice_pdf"] = f"https://pay.stripe.com/invoice/{acct}/test_sandbox_{token}/pdf"
            if inv["days_until_due"] is not None:
                inv["due_date"] = stamp + inv["days_until_due"] * _DAY
            if paid or inv["total"] == 0:
                inv["status"] = "paid"
                inv["paid"] = True
                inv["amount_paid"] = inv["total"]
                inv["amount_remaining"] = 0
                inv["status_transitions"]["paid_at"] = stamp
        self._changed()
        return self.retrieve("invoice", invoice)

    def list_invoices(
        self,
        *,
        customer: str | None = None,
        status: str | None = None,
        subscription: str | None = None,
        **page: Any,
    ) -> ListEnvelope:
        where = matching(customer=customer, status=status, subscription=subscription)
        return self._page("invoice", where=where, **page)

    def list_invoice_items(self, *, customer: str | None = None, **page: Any) -> ListEnvelope:
        return self._page("invoiceitem", where=matching(customer=customer), **page)

    # -- subscriptions --------------------------------------------------------------------------

    def create_subscription(
        self,
        customer: str,
        items: list[dict[str, Any]],
        *,
        status: str | None = None,
        trial_period_days: int | None = None,
        metadata: dict[str, Any] | None = None,
        created: int | None = None,
    ) -> StripeObject:
        if not items:
            raise StripeAPIError.parameter_missing("items")
        with self._lock:
            self._get("customer", customer, "customer")
            prices = []
            for i, item in enumerate(items):
                price = self._get("price", item.get("price"), f"items[{i}][price]")
                if price["type"] != "recurring":
                    raise StripeAPIError(
                        f"The price specified ({price['id']}) is a one-time price; subscriptions need a "
                        "recurring price.",
                        param=f"items[{i}][price]",
                    )
                prices.append((price, int(item.get("quantity", 1))))
            if len({p["currency"] for p, _ in prices}) > 1:
                raise StripeAPIError(
                    "All prices on a subscription must have the same currency.", param="items"
                )
            stamp = created if created is not None else self._tick()
            sid = self._new_id("sub_", 24)
            period = _PERIOD[prices[0][0]["recurring"]["interval"]]
            trial_end = stamp + trial_period_days * _DAY if trial_period_days else None
            sub: StripeObject = {
                "id": sid,
                "object": "subscription",
                "billing_cycle_anchor": stamp,
                "cancel_at_period_end": False,
                "canceled_at": None,
                "collection_method": "charge_automatically",
                "created": stamp,
                "currency": prices[0][0]["currency"],
                "current_period_end": stamp + period,
                "current_period_start": stamp,
                "customer": customer,
                "ended_at": None,
                "items": {
                    "object": "list",
                    "data": [],
                    "has_more": False,
                    "url": f"/v1/subscription_items?subscription={sid}",
                },
                "latest_invoice": None,
                "livemode": False,
                "metadata": check_metadata(metadata),
                "start_date": stamp,
                "status": status or ("trialing" if trial_end else "active"),
                "trial_end": trial_end,
                "trial_start": stamp if trial_end else None,
            }
            for price, quantity in prices:
                sub["items"]["data"].append(self._sub_item(sid, price, quantity, stamp))
            self._insert("subscription", sub)
        self._changed()
        return self.retrieve("subscription", sid)

    def _sub_item(self, sid: str, price: StripeObject, quantity: int, stamp: int) -> StripeObject:
        if quantity < 1:
            raise StripeAPIError("Quantity must be at least 1.", param="items[quantity]")
        item: StripeObject = {
            "id": self._new_id("si_", 14),
            "object": "subscription_item",
            "created": stamp,
            "metadata": {},
            "price": copied(price),
            "quantity": quantity,
            "subscription": sid,
        }
        self._insert("subscription_item", item)
        return copied(item)

    def update_subscription(
        self,
        subscription: str,
        *,
        items: list[dict[str, Any]] | None = None,
        cancel_at_period_end: bool | None = None,
        metadata: dict[str, Any] | None = None,
        proration_behavior: str | None = None,
    ) -> StripeObject:
        with self._lock:
            sub = self._get("subscription", subscription, "subscription")
            if sub["status"] in ("canceled", "incomplete_expired"):
                raise StripeAPIError(
                    "A canceled subscription can only update its cancellation_details and metadata.",
                    code=None,
                    param="subscription",
                )
            current = {it["id"]: it for it in sub["items"]["data"]}
            for i, change in enumerate(items or []):
                item_id = change.get("id")
                if item_id is not None and item_id not in current:
                    raise StripeAPIError.missing("subscription_item", item_id, f"items[{i}][id]")
                if change.get("deleted"):
                    if item_id is None:
                        raise StripeAPIError.parameter_missing(f"items[{i}][id]")
                    del current[item_id]
                    self._remove("subscription_item", item_id)
                    continue
                price = (
                    self._get("price", change["price"], f"items[{i}][price]") if "price" in change else None
                )
                if item_id is not None:
                    stored = self._get("subscription_item", item_id, f"items[{i}][id]")
                    if price is not None:
                        stored["price"] = copied(price)
                    if "quantity" in change:
                        stored["quantity"] = int(change["quantity"])
                    current[item_id] = copied(stored)
                elif price is not None:
                    new = self._sub_item(subscription, price, int(change.get("quantity", 1)), self._tick())
                    current[new["id"]] = new
                else:
                    raise StripeAPIError.parameter_missing(f"items[{i}][price]")
            if not current:
                raise StripeAPIError("A subscription must keep at least one item.", param="items")
            sub["items"]["data"] = list(current.values())
            if cancel_at_period_end is not None:
                sub["cancel_at_period_end"] = bool(cancel_at_period_end)
            if metadata:
                sub["metadata"].update(check_metadata(metadata))
            del proration_behavior  # the sandbox does not prorate; accepted for compatibility
        self._changed()
        return self.retrieve("subscription", subscription)

    def cancel_subscription(self, subscription: str, *, at: int | None = None) -> StripeObject:
        with self._lock:
            sub = self._get("subscription", subscription, "subscription")
            if sub["status"] == "canceled":
                raise StripeAPIError(
                    f"No such subscription: '{subscription}'; it was already canceled. "
                    "A canceled subscription cannot be canceled again.",
                    code="resource_missing",
                    param="subscription",
                )
            stamp = at if at is not None else self.now()
            sub["status"] = "canceled"
            sub["canceled_at"] = sub["ended_at"] = stamp
            sub["cancel_at_period_end"] = False
        self._changed()
        return self.retrieve("subscription", subscription)

    def list_subscriptions(
        self, *, customer: str | None = None, price: str | None = None, status: str | None = None, **page: Any
    ) -> ListEnvelope:
        if status is not None and status != "all" and status not in SUBSCRIPTION_STATUSES:
            raise StripeAPIError(
                f"Invalid status: must be one of {', '.join(SUBSCRIPTION_STATUSES)}, or all", param="status"
            )

        def match(o: StripeObject) -> bool:
            # Stripe hides canceled subscriptions unless asked for them.
            if status is None and o["status"] == "canceled":
                return False
            return (
                (customer is None or o["customer"] == customer)
                and (price is None or any(it["price"]["id"] == price for it in o["items"]["data"]))
                and (status in (None, "all") or o["status"] == status)
            )

        return self._page("subscription", where=match, **page)
