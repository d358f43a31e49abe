"""Customers and what they buy: products, prices, payment links and coupons, and their parameter checks."""

from __future__ import annotations

from typing import Any

from stripe_nb_agent.sandbox.stripe.base import ListEnvelope, StoreBase, StripeObject
from stripe_nb_agent.sandbox.stripe.errors import StripeAPIError

__all__ = ["CustomersProductsMixin", "check_amount", "check_currency", "check_metadata"]

#: The currencies the sandbox accepts (Stripe accepts ~135; these cover the seed data and the examples).
SUPPORTED_CURRENCIES = frozenset({"usd", "eur", "gbp", "jpy", "cad", "aud", "chf", "krw", "vnd"})


def check_currency(value: object, param: str = "currency") -> str:
    if not isinstance(value, str) or not value:
        raise StripeAPIError.parameter_missing(param)
    currency = value.lower()
    if currency not in SUPPORTED_CURRENCIES:
        raise StripeAPIError(
            f"Invalid currency: {value}. Stripe currently supports these currencies: "
            + ", ".join(sorted(SUPPORTED_CURRENCIES)),
            code="parameter_invalid_string",
            param=param,
        )
    return currency


def check_amount(value: object, param: str, *, allow_zero: bool = False) -> int:
    if value is None:
        raise StripeAPIError.parameter_missing(param)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise StripeAPIError(f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    if value < 0 or (value == 0 and not allow_zero):
        raise StripeAPIError(
            "This value must be greater than or equal to 1." if not allow_zero else "Invalid integer.",
            code="parameter_invalid_integer",
            param=param,
        )
    if value > 99_999_999:
        raise StripeAPIError("Amount must be no more than $999,999.99", code="amount_too_large", param=param)
    return value


def check_metadata(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StripeAPIError("Invalid object: metadata", param="metadata")
    return {str(k): str(v) for k, v in value.items() if v is not None and v != ""}


class CustomersProductsMixin(StoreBase):
    # -- customers ---------------------------------------------------------------------------

    def create_customer(
        self,
        name: str | None = None,
        email: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        country: str | None = None,
        description: str | None = None,
        created: int | None = None,
    ) -> StripeObject:
        with self._lock:
            stamp = created if created is not None else self._tick()
            cid = self._new_id("cus_", 14)
            obj: StripeObject = {
                "id": cid,
                "object": "customer",
                "address": {"country": country} if country else None,
                "balance": 0,
                "created": stamp,
                "currency": None,
                "default_source": None,
                "delinquent": False,
                "description": description,
                "email": email,
                "invoice_prefix": cid[4:12].upper(),
                "livemode": False,
                "metadata": check_metadata(metadata),
                "name": name,
                "phone": None,
                "preferred_locales": [],
                "shipping": None,
                "tax_exempt": "none",
            }
            self._insert("customer", obj)
        self._changed()
        return dict(obj)

    def update_customer(self, customer: str, **fields: Any) -> StripeObject:
        with self._lock:
            obj = self._get("customer", customer, "customer")
            for key in ("name", "email", "description", "phone"):
                if key in fields:
                    obj[key] = fields.pop(key)
            if "metadata" in fields:
                obj["metadata"] = {**obj["metadata"], **check_metadata(fields.pop("metadata"))}
            if fields:
                raise StripeAPIError(
                    f"Received unknown parameter: {sorted(fields)[0]}", param=sorted(fields)[0]
                )
        self._changed()
        return self.retrieve("customer", customer, "customer")

    def delete_customer(self, customer: str) -> StripeObject:
        with self._lock:
            self._get("customer", customer, "customer")
            self._remove("customer", customer)
        self._changed()
        return {"id": customer, "object": "customer", "deleted": True}

    def list_customers(self, *, email: str | None = None, **page: Any) -> ListEnvelope:
        def match(obj: StripeObject) -> bool:
            return email is None or (obj["email"] or "").lower() == email.lower()

        return self._page("customer", where=match, **page)

    # -- products and prices ---------------------------------------------------------------------

    def create_product(
        self,
        name: str,
        description: str | None = None,
        *,
        metadata: dict[str, Any] | None = None,
        created: int | None = None,
    ) -> StripeObject:
        if not name:
            raise StripeAPIError.parameter_missing("name")
        with self._lock:
            stamp = created if created is not None else self._tick()
            obj: StripeObject = {
                "id": self._new_id("prod_", 14),
                "object": "product",
                "active": True,
                "created": stamp,
                "default_price": None,
                "description": description,
                "images": [],
                "livemode": False,
                "metadata": check_metadata(metadata),
                "name": name,
                "type": "service",
                "updated": stamp,
                "url": None,
            }
            self._insert("product", obj)
        self._changed()
        return dict(obj)

    def list_products(self, *, active: bool | None = None, **page: Any) -> ListEnvelope:
        return self._page("product", where=lambda o: active is None or o["active"] == active, **page)

    def create_price(
        self,
        product: str,
        unit_amount: object,
        currency: object,
        *,
        recurring: dict[str, Any] | None = None,
        nickname: str | None = None,
        created: int | None = None,
    ) -> StripeObject:
        amount = check_amount(unit_amount, "unit_amount", allow_zero=True)
        cur = check_currency(currency)
        interval = None
        if recurring is not None:
            interval = recurring.get("interval")
            if interval not in ("day", "week", "month", "year"):
                raise StripeAPIError(
                    f"Invalid recurring[interval]: must be one of day, week, month, or year "
                    f"(got {interval!r})",
                    param="recurring[interval]",
                )
        with self._lock:
            prod = self._get("product", product, "product")
            stamp = created if created is not None else self._tick()
            obj: StripeObject = {
                "id": self._new_id("price_", 24),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "created": stamp,
                "currency": cur,
                "livemode": False,
                "lookup_key": None,
                "metadata": {},
                "nickname": nickname,
                "product": product,
                "recurring": (
                    {
                        "interval": interval,
                        "interval_count": int((recurring or {}).get("interval_count", 1)),
                        "usage_type": "licensed",
                    }
                    if interval
                    else None
                ),
                "tax_behavior": "unspecified",
                "type": "recurring" if interval else "one_time",
                "unit_amount": amount,
                "unit_amount_decimal": str(amount),
            }
            self._insert("price", obj)
            if prod["default_price"] is None:
                prod["default_price"] = obj["id"]
        self._changed()
        return dict(obj)

    def list_prices(self, *, product: str | None = None, **page: Any) -> ListEnvelope:
        return self._page("price", where=lambda o: product is None or o["product"] == product, **page)

    # -- payment links -----------------------------------------------------------------------

    def create_payment_link(
        self, line_items: list[dict[str, Any]], *, redirect_url: str | None = None
    ) -> StripeObject:
        if not line_items:
            raise StripeAPIError.parameter_missing("line_items")
        with self._lock:
            prices = []
            for i, item in enumerate(line_items):
                price = self._get("price", item.get("price"), f"line_items[{i}][price]")
                quantity = check_amount(item.get("quantity", 1), f"line_items[{i}][quantity]")
                prices.append((price, quantity))
            currencies = {p["currency"] for p, _ in prices}
            if len(currencies) > 1:
                raise StripeAPIError(
                    "All prices on a payment link must have the same currency.", param="line_items"
                )
            stamp = self._tick()
            obj: StripeObject = {
                "id": self._new_id("plink_", 24),
                "object": "payment_link",
                "active": True,
                "after_completion": (
                    {"type": "redirect", "redirect": {"url": redirect_url}}
                    if redirect_url
                    else {"type": "hosted_confirmation", "hosted_confirmation": {"custom_message": None}}
                ),
                "created": stamp,
                "currency": prices[0][0]["currency"],
                "line_items": {
                    "object": "list",
                    "data": [
                        {
                            "object": "item",
                            "amount_total": p["unit_amount"] * q,
                            "currency": p["currency"],
                            "price": dict(p),
                            "quantity": q,
                        }
                        for p, q in prices
                    ],
                    "has_more": False,
                    "url": "/v1/payment_links/line_items",
                },
                "livemode": False,
                "metadata": {},
                # "test_sandbox_": shown as a marked sandbox link, never as a link to Stripe (see ui/render).
                "url": "https://buy.stripe.com/test_sandbox_" + self.random_token(14),
            }
            self._insert("payment_link", obj)
        self._changed()
        return dict(obj)

    def list_payment_links(self, **page: Any) -> ListEnvelope:
        return self._page("payment_link", **page)

    # -- coupons -------------------------------------------------------------------------------

    def create_coupon(
        self,
        *,
        name: str | None = None,
        percent_off: float | None = None,
        amount_off: object = None,
        currency: str | None = None,
        duration: str = "once",
        duration_in_months: int | None = None,
        id: str | None = None,
        created: int | None = None,
    ) -> StripeObject:
        if duration not in ("once", "repeating", "forever"):
            raise StripeAPIError(f"Invalid duration: {duration}", param="duration")
        if duration == "repeating" and not duration_in_months:
            raise StripeAPIError.parameter_missing("duration_in_months")
        cur = None
        if percent_off:
            if not 0 < float(percent_off) <= 100:
                raise StripeAPIError("percent_off must be between 0 and 100.", param="percent_off")
            amount = None
        else:
            if amount_off is None:
                raise StripeAPIError(
                    "You must pass either percent_off or amount_off.",
                    code="parameter_missing",
                    param="percent_off",
                )
            amount = check_amount(amount_off, "amount_off")
            cur = check_currency(currency or "usd")
        with self._lock:
            if id is not None and id in self._objects["coupon"]:
                raise StripeAPIError("Coupon already exists.", code="resource_already_exists", param="id")
            stamp = created if created is not None else self._tick()
            obj: StripeObject = {
                "id": id or self.random_token(8),
                "object": "coupon",
                "amount_off": amount,
                "created": stamp,
                "currency": cur,
                "duration": duration,
                "duration_in_months": (
                    int(duration_in_months) if duration == "repeating" and duration_in_months else None
                ),
                "livemode": False,
                "max_redemptions": None,
                "metadata": {},
                "name": name,
                "percent_off": float(percent_off) if percent_off else None,
                "redeem_by": None,
                "times_redeemed": 0,
                "valid": True,
            }
            self._insert("coupon", obj)
        self._changed()
        return dict(obj)

    def list_coupons(self, **page: Any) -> ListEnvelope:
        return self._page("coupon", **page)
