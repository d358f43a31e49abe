"""Deterministic seed data: a small coffee-roaster business with ~90 days of history worth charting."""

from __future__ import annotations

from typing import Any

from stripe_nb_agent.sandbox.stripe.objects import StripeObjects

__all__ = ["populate"]

_DAY = 86_400
_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Tim",
    "Barbara",
    "Dennis",
    "Radia",
    "Ken",
    "Frances",
    "Guido",
    "Hedy",
    "John",
    "Sophie",
    "Yukihiro",
    "Anita",
    "Donald",
    "Shafi",
    "Lena",
    "Mateo",
    "Chiara",
    "Jonas",
    "Amara",
    "Kenji",
    "Priya",
    "Olu",
    "Ingrid",
    "Diego",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Berners-Lee",
    "Liskov",
    "Ritchie",
    "Perlman",
    "Thompson",
    "Allen",
    "van Rossum",
    "Lamarr",
    "McCarthy",
    "Wilson",
    "Matsumoto",
    "Borg",
    "Knuth",
    "Goldwasser",
    "Schmidt",
    "García",
    "Rossi",
    "Weber",
    "Okafor",
    "Tanaka",
    "Sharma",
    "Adeyemi",
    "Larsen",
    "Fernández",
]
_DOMAINS = ["example.com", "mail.example", "corp.example", "studio.example", "example.org"]
# country -> currency its customers pay in
_COUNTRIES = [("US", "usd")] * 5 + [("GB", "usd"), ("CA", "usd"), ("DE", "eur"), ("FR", "eur"), ("JP", "jpy")]

# name, description, prices: (unit_amount, currency, interval or None)
CATALOGUE: list[tuple[str, str, list[tuple[int, str, str | None]]]] = [
    (
        "Premium Plan",
        "Our flagship subscription: unlimited projects, priority support and advanced analytics.",
        [(4900, "usd", "month"), (49000, "usd", "year"), (4500, "eur", "month")],
    ),
    (
        "Starter Plan",
        "An entry-level subscription for individuals: three projects and community support.",
        [(1200, "usd", "month"), (12000, "usd", "year")],
    ),
    (
        "Team Seats",
        "Per-seat licence for collaborators on a team workspace, billed monthly.",
        [(1500, "usd", "month"), (1400, "eur", "month")],
    ),
    (
        "API Credits",
        "Prepaid pack of 10,000 API calls for usage-based integrations; credits never expire.",
        [(2500, "usd", None), (3000, "jpy", None)],
    ),
    (
        "Onboarding Workshop",
        "A live two-hour onboarding workshop with a solutions engineer for your team.",
        [(30000, "usd", None)],
    ),
    (
        "Coffee Subscription Box",
        "Freshly roasted single-origin beans delivered every month.",
        [(2800, "usd", "month"), (2600, "eur", "month"), (3800, "jpy", "month")],
    ),
    (
        "Espresso Blend 1kg",
        "A chocolatey house espresso blend, whole beans, one kilogram bag.",
        [(3400, "usd", None), (3200, "eur", None)],
    ),
    (
        "Barista Training Course",
        "A full-day hands-on course on espresso extraction and milk texturing.",
        [(18000, "usd", None)],
    ),
    ("Gift Card", "A digital gift card redeemable for any product in the shop.", [(5000, "usd", None)]),
    (
        "Enterprise Support",
        "24/7 support with a dedicated account manager and a 99.9% uptime SLA.",
        [(99000, "usd", "month")],
    ),
    (
        "Analytics Add-on",
        "Dashboards and revenue reports (MRR, churn, cohorts) added to any plan.",
        [(900, "usd", "month"), (9000, "usd", "year")],
    ),
    (
        "Cold Brew Kit",
        "A reusable cold brew pitcher with two filters and a starter bag of coarse-ground coffee.",
        [(3900, "usd", None)],
    ),
]
_SUB_STATUSES = ["active"] * 14 + ["past_due"] * 3 + ["canceled"] * 4 + ["trialing"] * 3
_DECLINE_METHODS = [
    "pm_card_chargeDeclined",
    "pm_card_chargeDeclinedInsufficientFunds",
    "pm_card_chargeDeclinedExpiredCard",
]


def populate(store: StripeObjects) -> None:
    """Fill an empty store. Uses only the store's RNG and explicit timestamps: fully deterministic."""
    rng = store._rng
    now = store.now()
    start = now - 90 * _DAY

    customers = []
    for i in range(40):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i * 7 + i // len(_FIRST)) % len(_LAST)]
        country, currency = _COUNTRIES[rng.randrange(len(_COUNTRIES))]
        email = (
            f"{first.lower()}.{last.lower().replace(' ', '').replace('í', 'i').replace('á', 'a')}@"
            f"{_DOMAINS[i % len(_DOMAINS)]}"
        )
        created = start - (40 - i) * 3 * _DAY
        cust = store.create_customer(
            f"{first} {last}",
            email,
            country=country,
            created=created,
            metadata={"segment": rng.choice(["smb", "startup", "enterprise", "consumer"])},
        )
        customers.append((cust["id"], currency))

    one_time: dict[str, list[tuple[str, int]]] = {}
    recurring: dict[str, list[str]] = {}
    product_created = start - 200 * _DAY
    for n, (name, description, prices) in enumerate(CATALOGUE):
        product = store.create_product(name, description, created=product_created + n * _DAY)
        for unit_amount, currency, interval in prices:
            price = store.create_price(
                product["id"],
                unit_amount,
                currency,
                recurring={"interval": interval} if interval else None,
                created=product_created + n * _DAY + 60,
            )
            if interval:
                recurring.setdefault(currency, []).append(price["id"])
            else:
                one_time.setdefault(currency, []).append((price["id"], unit_amount))

    for cid, pct, amt, duration, months in [
        ("WELCOME10", 10.0, None, "once", None),
        ("SPRING25", 25.0, None, "repeating", 3),
        ("LOYAL15", 15.0, None, "forever", None),
    ]:
        store.create_coupon(
            id=cid,
            name=cid.title(),
            percent_off=pct,
            amount_off=amt,
            duration=duration,
            duration_in_months=months,
            created=start - 30 * _DAY,
        )
    store.create_coupon(
        id="FIVEOFF", name="$5 off", amount_off=500, currency="usd", created=start - 20 * _DAY
    )

    # Subscriptions first (they started before the payment window) so invoices follow them.
    subs = []
    for n, status in enumerate(_SUB_STATUSES):
        cid, currency = customers[(n * 3) % len(customers)]
        pool = recurring.get(currency) or recurring["usd"]
        price_id = pool[rng.randrange(len(pool))]
        created = start - rng.randrange(1, 120) * _DAY
        sub = store.create_subscription(
            cid,
            [{"price": price_id, "quantity": rng.choice([1, 1, 1, 2, 5])}],
            status="active" if status == "canceled" else status,
            created=created,
            trial_period_days=14 if status == "trialing" else None,
        )
        if status == "canceled":
            store.cancel_subscription(sub["id"], at=created + rng.randrange(10, 80) * _DAY)
        subs.append((sub, status))

    _payments(store, customers, one_time, start)
    _invoices(store, customers, subs, one_time, now)


def _payments(
    store: StripeObjects,
    customers: list[tuple[str, str]],
    one_time: dict[str, list[tuple[str, int]]],
    start: int,
) -> None:
    rng = store._rng
    succeeded = []
    for day in range(90):
        day_start = start + day * _DAY
        weekday = (day_start // _DAY + 4) % 7  # 1970-01-01 was a Thursday
        base = 3 + (2 if weekday in (4, 5) else 0) + day // 30  # busier Fri/Sat, growing month on month
        for _ in range(base + rng.randrange(0, 3)):
            cid, currency = customers[rng.randrange(len(customers))]
            choices = one_time.get(currency) or one_time["usd"]
            _, unit = choices[rng.randrange(len(choices))]
            quantity = rng.choice([1, 1, 1, 2, 3])
            method = rng.choice(_DECLINE_METHODS) if rng.random() < 0.07 else "pm_card_visa"
            created = day_start + rng.randrange(8 * 3600, 22 * 3600)
            pi = store.create_payment_intent(
                unit * quantity,
                choices and (currency if currency in one_time else "usd"),
                customer=cid,
                payment_method=method,
                confirm=True,
                created=created,
                description=f"Order #{1000 + store.count('payment_intent')}",
            )
            if pi["status"] == "succeeded":
                succeeded.append((pi, created))
    # Refunds and disputes come after the payments they touch, in time order.
    for pi, created in succeeded:
        roll = rng.random()
        if roll < 0.03:
            store.create_refund(
                payment_intent=pi["id"], created=created + 2 * _DAY, reason="requested_by_customer"
            )
        elif roll < 0.06:
            store.create_refund(
                payment_intent=pi["id"],
                amount=max(1, pi["amount"] // 2),
                created=created + 3 * _DAY,
                reason="requested_by_customer",
            )
        elif roll < 0.075:
            dispute = store.open_dispute(
                pi["latest_charge"],
                rng.choice(["fraudulent", "product_not_received"]),
                created=created + 10 * _DAY,
            )
            if rng.random() < 0.3:
                store.update_dispute(
                    dispute["id"], evidence={"uncategorized_text": "Tracking number 1Z999."}, submit=True
                )


def _invoices(
    store: StripeObjects,
    customers: list[tuple[str, str]],
    subs: list[tuple[dict[str, Any], str]],
    one_time: dict[str, list[tuple[str, int]]],
    now: int,
) -> None:
    rng = store._rng
    for sub, status in subs:
        if status in ("active", "past_due"):
            created = now - rng.randrange(1, 25) * _DAY
            inv = store.create_invoice(sub["customer"], subscription=sub["id"], created=created)
            item = sub["items"]["data"][0]
            store.create_invoice_item(
                sub["customer"],
                amount=item["price"]["unit_amount"] * item["quantity"],
                currency=item["price"]["currency"],
                invoice=inv["id"],
                created=created,
                description=f"Subscription {sub['id']}",
            )
            store.finalize_invoice(inv["id"], paid=status == "active", at=created + 3600)
            store._get("subscription", sub["id"], "subscription")["latest_invoice"] = inv["id"]
    usd = one_time["usd"]
    for n in range(8):
        cid, _ = customers[(n * 5 + 1) % len(customers)]
        created = now - rng.randrange(1, 30) * _DAY
        inv = store.create_invoice(cid, days_until_due=30, created=created)
        for _ in range(rng.randrange(1, 4)):
            price, _unit = usd[rng.randrange(len(usd))]
            store.create_invoice_item(cid, price=price, invoice=inv["id"], created=created)
        if n % 3 != 2:  # a few stay as drafts
            store.finalize_invoice(inv["id"], paid=n % 3 == 0, at=created + 3600)
