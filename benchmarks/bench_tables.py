"""to_frame against plain ``pandas.json_normalize`` on 100 to 100,000 realistic Stripe objects.

    .venv/bin/python benchmarks/bench_tables.py [--rows 100 1000 10000 100000] [--repeat 5]

Both run on the same input in one process; the best of ``--repeat`` runs is compared, since the
minimum is the figure least disturbed by a shared, noisy machine. Target: ratio <= 1.5 at
every size.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from stripe_nb_agent.tables import to_frame

_CURRENCIES = ("usd", "usd", "usd", "eur", "gbp", "jpy")
_STATUSES = ("succeeded", "requires_payment_method", "processing", "canceled")


def _payment_intent(rng: random.Random, i: int) -> dict[str, Any]:
    currency = rng.choice(_CURRENCIES)
    amount = rng.randrange(50, 500_000)
    return {
        "id": f"pi_{i:024d}",
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "currency": currency,
        "customer": f"cus_{rng.randrange(10**6):014d}",
        "description": f"Order #{i}",
        "created": 1_700_000_000 + i * 37,
        "canceled_at": None,
        "capture_method": "automatic",
        "latest_charge": f"ch_{i:024d}",
        "livemode": False,
        "metadata": {"order_id": str(i), "plan": rng.choice(("basic", "pro", "team"))},
        "payment_method_types": ["card"],
        "status": rng.choice(_STATUSES),
        "amount_details": {"tip": {}},
    }


def _charge(rng: random.Random, i: int) -> dict[str, Any]:
    currency = rng.choice(_CURRENCIES)
    amount = rng.randrange(50, 500_000)
    return {
        "id": f"ch_{i:024d}",
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": rng.choice((0, 0, amount // 2)),
        "currency": currency,
        "customer": f"cus_{rng.randrange(10**6):014d}",
        "created": 1_700_000_000 + i * 41,
        "paid": True,
        "refunded": False,
        "status": "succeeded",
        "payment_intent": f"pi_{i:024d}",
        "billing_details": {
            "address": {
                "city": "Berlin",
                "country": "DE",
                "line1": "Unter den Linden 1",
                "postal_code": "10117",
            },
            "email": f"buyer{i}@example.com",
            "name": f"Buyer {i}",
        },
        "outcome": {"network_status": "approved_by_network", "risk_level": "normal", "type": "authorized"},
        "payment_method_details": {
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12},
            "type": "card",
        },
        "livemode": False,
        "metadata": {},
    }


def _customer(rng: random.Random, i: int) -> dict[str, Any]:
    return {
        "id": f"cus_{i:014d}",
        "object": "customer",
        "name": f"Customer {i}",
        "email": f"customer{i}@example.com",
        "phone": None,
        "balance": rng.choice((0, 0, -500)),
        "currency": rng.choice((None, "usd", "eur")),
        "created": 1_690_000_000 + i * 13,
        "delinquent": False,
        "invoice_settings": {"default_payment_method": None, "footer": None},
        "address": {"city": "Lisbon", "country": "PT"} if i % 3 else None,
        "livemode": False,
        "metadata": {"segment": rng.choice(("smb", "enterprise"))},
    }


def realistic_objects(rows: int, seed: int = 7) -> list[dict[str, Any]]:
    """Payment intents, charges and customers, interleaved as a search result would mix them."""
    rng = random.Random(seed)
    makers = (_payment_intent, _charge, _customer)
    return [makers[i % 3](rng, i) for i in range(rows)]


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def measure(rows: int, repeat: int) -> tuple[float, float, int, int]:
    """Best-of-``repeat`` seconds of to_frame and json_normalize on ``rows`` objects, and columns."""
    objects = realistic_objects(rows)
    envelope = {"object": "list", "data": objects, "has_more": False, "url": "/v1/search"}
    frame = to_frame(envelope)
    if frame is None or len(frame) != rows:
        raise SystemExit("to_frame did not give one row per object")
    baseline = pd.json_normalize(objects)
    # Alternating, so both see the same machine load.
    ours, theirs = float("inf"), float("inf")
    for _ in range(repeat):
        ours = min(ours, _best(lambda: to_frame(envelope), 1))
        theirs = min(theirs, _best(lambda: pd.json_normalize(objects), 1))
    return ours, theirs, frame.shape[1], baseline.shape[1]


def main(argv: list[str] | None = None) -> dict[int, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100, 1_000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    figures: dict[int, tuple[float, float]] = {}
    print(f"{'rows':>7} {'to_frame ms':>12} {'json_normalize ms':>18} {'ratio':>6}  (target <= 1.5)")
    for rows in args.rows:
        repeat = args.repeat if rows < 100_000 else max(2, args.repeat // 2)
        ours, theirs, _, _ = measure(rows, repeat)
        figures[rows] = (ours, theirs)
        print(f"{rows:7d} {ours * 1000:12.2f} {theirs * 1000:18.2f} {ours / theirs:6.2f}")
    return figures


if __name__ == "__main__":
    main()
