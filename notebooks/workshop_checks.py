"""Checkpoint cells of the workshop exercises: your result, checked against the Stripe sandbox.

Each check prints one line per point, ✓ when it holds, ✗ with what is missing, and returns True
when everything holds. They read the sandbox through the agent's store (``agent.sandbox_store``),
never through the model, so a checkpoint cannot be fooled by a confident answer.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def _say(points: list[tuple[bool, str]]) -> bool:
    for ok, text in points:
        print(("✓ " if ok else "✗ ") + text)
    done = all(ok for ok, _ in points)
    print("Checkpoint passed." if done else "Not yet: fix the ✗ lines above and run the cells again.")
    return done


def _store(agent: Any) -> Any:
    store = agent.sandbox_store
    if store is None:
        raise RuntimeError("The checkpoints read the Stripe sandbox: run the workshop in sandbox mode.")
    return store


def _ids(turn: Any, prefix: str) -> list[str]:
    """Every id starting with ``prefix`` in the turn's tables, in order, once each."""
    found: dict[str, None] = {}
    for frame in getattr(turn, "tables", []):
        if "id" in frame.columns:
            found.update(dict.fromkeys(str(i) for i in frame["id"] if str(i).startswith(prefix)))
    return list(found)


def newest_customers(turn: Any, agent: Any) -> bool:
    """Exercise 1: ``turn`` holds the three newest customers."""
    expected = [c["id"] for c in _store(agent).list_customers(limit=3)["data"]]
    if turn is None:
        return _say([(False, "no result yet: run the request cell with --out newest")])
    got = _ids(turn, "cus_")
    missing = [i for i in expected if i not in got]
    note = f" (missing: {', '.join(missing)})" if missing else ""
    return _say([
        (any(c.name == "list_customers" for c in turn.tool_calls), "the agent listed customers"),
        (not missing, "the three newest customers are in the table" + note),
    ])  # fmt: skip


def succeeded_total(payments: Any, total: Any, agent: Any) -> bool:
    """Exercise 2: ``total`` is the dollar sum of the succeeded USD payments among the last 20."""
    intents = _store(agent).list_payment_intents(limit=20)["data"]
    cents = sum(p["amount"] for p in intents if p["status"] == "succeeded" and p["currency"] == "usd")
    expected = cents / 100
    have_table = payments is not None and any(len(t) == 20 for t in getattr(payments, "tables", []))
    right = isinstance(total, (int, float)) and abs(float(total) - expected) < 0.005
    shown = f"${expected:,.2f}" if right else f"got {total!r}"
    return _say([
        (have_table, "a table of your last 20 payments (--out payments)"),
        (right, f"succeeded_usd is the succeeded USD total ({shown})"),
    ])  # fmt: skip


def customer_created(agent: Any, name: str, email: str) -> bool:
    """Exercise 3: a customer ``name`` with ``email`` exists (after approval)."""
    found = _store(agent).search("customers", f'email:"{email}"')["data"]
    return _say([
        (bool(found), f"a customer with email {email} exists (approve the held call if it is waiting)"),
        (any(c.get("name") == name for c in found), f"that customer is named {name}"),
    ])  # fmt: skip


def payments_chart(ax: Any, agent: Any) -> bool:
    """Exercise 4: ``ax`` holds one bar per day of the last 50 payments, titled and labelled."""
    intents = _store(agent).list_payment_intents(limit=50)["data"]
    days = pd.to_datetime([p["created"] for p in intents], unit="s", utc=True).normalize().nunique()
    bars = len(getattr(ax, "patches", []))
    labelled = ax is not None and all((ax.get_title(), ax.get_xlabel(), ax.get_ylabel()))
    return _say([
        (bars == days, f"one bar per day: {days} days in your last 50 payments (the chart has {bars} bars)"),
        (labelled, "a title and both axis labels"),
    ])  # fmt: skip


QUERY = "something to brew coffee at home"


def closest_products(found_ids: Any, agent: Any) -> bool:
    """Exercise 5: ``found_ids`` are the 3 products whose descriptions are closest to QUERY."""
    from stripe_nb_agent import semantic_search

    products = _store(agent).list_products(limit=100)["data"]
    texts = [f"{p['name']}: {p.get('description') or ''}" for p in products]
    expected = [products[h.index]["id"] for h in semantic_search(QUERY, texts, k=3)]
    got = [str(i) for i in found_ids] if isinstance(found_ids, (list, tuple, pd.Series)) else []
    known = {p["id"] for p in products}
    hits = [i for i in got if i in expected]
    return _say([
        (len(got) == 3 and all(i in known for i in got), "found_ids holds 3 product ids from your catalogue"),
        (len(hits) >= 2, f"at least 2 of the 3 closest products ({len(hits)} of {', '.join(expected)})"),
    ])  # fmt: skip
