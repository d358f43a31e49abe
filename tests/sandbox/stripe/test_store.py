"""The store's business rules, pagination, seed and reset."""

from __future__ import annotations

import random
import string
import threading

import pytest

from stripe_nb_agent.sandbox.stripe import FIXED_NOW, StripeAPIError, StripeStore


def _succeeded_unrefunded(store: StripeStore) -> dict:
    for pi in store.list_payment_intents(limit=100)["data"]:
        if pi["status"] == "succeeded":
            charge = store.retrieve("charge", pi["latest_charge"])
            if charge["amount_refunded"] == 0 and not charge["disputed"]:
                return pi
    raise AssertionError("seed has no refundable payment")


def _net(balance: dict, currency: str) -> int:
    return sum(
        row["amount"]
        for key in ("available", "pending")
        for row in balance[key]
        if row["currency"] == currency
    )


def test_two_seeded_stores_are_identical() -> None:
    assert StripeStore().snapshot() == StripeStore().snapshot()


def test_another_seed_gives_other_data() -> None:
    assert StripeStore(seed=1).snapshot()["objects"] != StripeStore().snapshot()["objects"]


def test_seed_is_worth_charting(store: StripeStore) -> None:
    assert store.count("customer") == 40
    assert store.count("product") == 12
    assert 200 <= store.count("payment_intent") <= 600
    statuses = {s["status"] for s in store.list_subscriptions(status="all", limit=100)["data"]}
    assert statuses == {"active", "past_due", "canceled", "trialing"}
    invoice_statuses = {i["status"] for i in store.list_invoices(limit=100)["data"]}
    assert invoice_statuses == {"draft", "open", "paid"}
    charges = store.list_charges(limit=100)["data"]
    assert {c["status"] for c in charges} == {"succeeded", "failed"}
    assert store.count("refund") > 0
    assert store.count("dispute") > 0
    currencies = {p["currency"] for p in store.list_prices(limit=100)["data"]}
    assert {"usd", "eur", "jpy"} <= currencies


def test_objects_have_stripe_shapes(store: StripeStore) -> None:
    customer = store.list_customers(limit=1)["data"][0]
    assert customer["id"].startswith("cus_")
    assert customer["object"] == "customer"
    assert customer["livemode"] is False
    assert isinstance(customer["created"], int)
    assert isinstance(customer["metadata"], dict)
    pi = store.list_payment_intents(limit=1)["data"][0]
    assert pi["id"].startswith("pi_")
    assert isinstance(pi["amount"], int)


def test_new_objects_take_the_fixed_clock_one_second_apart(store: StripeStore) -> None:
    first = store.create_customer("Ada", "ada@example.com")
    second = store.create_customer("Grace")
    assert first["created"] == FIXED_NOW
    assert second["created"] == FIXED_NOW + 1


def test_lists_are_newest_first_and_paginate(store: StripeStore) -> None:
    page1 = store.list_payment_intents(limit=5)
    page2 = store.list_payment_intents(limit=5, starting_after=page1["data"][-1]["id"])
    assert page1["object"] == "list"
    assert page1["url"] == "/v1/payment_intents"
    assert page1["has_more"] is True
    created = [p["created"] for p in page1["data"] + page2["data"]]
    assert created == sorted(created, reverse=True)
    assert not {p["id"] for p in page1["data"]} & {p["id"] for p in page2["data"]}


def test_last_page_has_no_more(store: StripeStore) -> None:
    everything = store.list_products(limit=100)
    assert len(everything["data"]) == 12
    assert everything["has_more"] is False


def test_pagination_rejects_unknown_cursor_and_bad_limit(store: StripeStore) -> None:
    with pytest.raises(StripeAPIError) as missing:
        store.list_customers(starting_after="cus_nope")
    assert missing.value.body["error"]["code"] == "resource_missing"
    assert missing.value.param == "starting_after"
    with pytest.raises(StripeAPIError) as too_big:
        store.list_customers(limit=101)
    assert too_big.value.param == "limit"


def test_missing_object_error_is_stripe_shaped(store: StripeStore) -> None:
    with pytest.raises(StripeAPIError) as info:
        store.create_invoice("cus_x")
    assert info.value.body == {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": "No such customer: 'cus_x'",
            "param": "customer",
        }
    }


def test_refund_reduces_refundable_amount_and_balance(store: StripeStore) -> None:
    pi = _succeeded_unrefunded(store)
    currency = pi["currency"]
    before = _net(store.retrieve_balance(), currency)
    refund = store.create_refund(payment_intent=pi["id"], amount=pi["amount"] // 2)
    charge = store.retrieve("charge", pi["latest_charge"])
    assert refund["id"].startswith("re_")
    assert charge["amount_refunded"] == pi["amount"] // 2
    assert charge["refunded"] is False
    assert _net(store.retrieve_balance(), currency) == before - pi["amount"] // 2


def test_refund_above_remaining_is_refused_in_stripes_words() -> None:
    store = StripeStore()
    customer = store.create_customer("Ada")
    pi = store.create_payment_intent(
        5000, "usd", customer=customer["id"], payment_method="pm_card_visa", confirm=True
    )
    store.create_refund(payment_intent=pi["id"], amount=1000)
    with pytest.raises(StripeAPIError) as info:
        store.create_refund(payment_intent=pi["id"], amount=6000)
    assert info.value.message == "Refund amount ($60.00) is greater than unrefunded amount on charge ($40.00)"
    store.create_refund(payment_intent=pi["id"])  # the rest
    assert store.retrieve("charge", pi["latest_charge"])["refunded"] is True
    with pytest.raises(StripeAPIError, match="already been refunded"):
        store.create_refund(payment_intent=pi["id"], amount=1)


def test_declined_payment_cannot_be_refunded(store: StripeStore) -> None:
    pi = store.create_payment_intent(2000, "usd", payment_method="pm_card_chargeDeclined", confirm=True)
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["decline_code"] == "generic_decline"
    with pytest.raises(StripeAPIError):
        store.create_refund(payment_intent=pi["id"])


def test_balance_equals_charges_minus_fees_refunds_and_disputes(store: StripeStore) -> None:
    expected: dict[str, int] = {}
    for txn in (
        store.list_balance_transactions(limit=100)["data"] and store._objects["balance_transaction"].values()
    ):
        expected[txn["currency"]] = expected.get(txn["currency"], 0) + txn["net"]
    charges = store._objects["charge"].values()
    from_charges: dict[str, int] = {}
    for ch in charges:
        if ch["status"] == "succeeded":
            txn = store.retrieve("balance_transaction", ch["balance_transaction"])
            from_charges[ch["currency"]] = from_charges.get(ch["currency"], 0) + ch["amount"] - txn["fee"]
    for refund in store._objects["refund"].values():
        from_charges[refund["currency"]] -= refund["amount"]
    for dispute in store._objects["dispute"].values():
        from_charges[dispute["currency"]] -= dispute["amount"] + dispute["balance_transactions"][0]["fee"]
    balance = store.retrieve_balance()
    assert {c: _net(balance, c) for c in expected} == expected == from_charges


def test_new_charges_are_pending_until_available_on(store: StripeStore) -> None:
    before = store.retrieve_balance()
    store.create_payment_intent(10000, "usd", payment_method="pm_card_visa", confirm=True)
    after = store.retrieve_balance()
    pending = {r["currency"]: r["amount"] for r in after["pending"]}
    pending_before = {r["currency"]: r["amount"] for r in before["pending"]}
    assert pending["usd"] - pending_before["usd"] == 10000 - (290 + 30)
    assert after["available"] == before["available"]


def test_finalizing_sums_items_and_opens_a_hosted_page(store: StripeStore) -> None:
    customer = store.create_customer("Ada", "ada@example.com")
    product = store.create_product("Workshop")
    price = store.create_price(product["id"], 12500, "usd")
    invoice = store.create_invoice(customer["id"], days_until_due=14)
    assert invoice["status"] == "draft"
    assert invoice["hosted_invoice_url"] is None
    store.create_invoice_item(customer["id"], price=price["id"], invoice=invoice["id"])
    store.create_invoice_item(customer["id"], amount=2500, currency="usd", invoice=invoice["id"])
    final = store.finalize_invoice(invoice["id"])
    assert final["status"] == "open"
    assert final["total"] == final["amount_due"] == 15000
    assert len(final["lines"]["data"]) == 2
    assert final["hosted_invoice_url"].startswith("https://invoice.stripe.com/i/")
    assert final["due_date"] == final["status_transitions"]["finalized_at"] + 14 * 86400
    with pytest.raises(StripeAPIError, match="non-draft"):
        store.finalize_invoice(invoice["id"])
    with pytest.raises(StripeAPIError, match="draft invoices"):
        store.create_invoice_item(customer["id"], price=price["id"], invoice=invoice["id"])


def test_cancelling_a_canceled_subscription_is_refused(store: StripeStore) -> None:
    sub = store.list_subscriptions(status="active", limit=1)["data"][0]
    canceled = store.cancel_subscription(sub["id"])
    assert canceled["status"] == "canceled"
    assert canceled["canceled_at"] == FIXED_NOW
    with pytest.raises(StripeAPIError, match="cannot be canceled again"):
        store.cancel_subscription(sub["id"])
    assert sub["id"] not in {s["id"] for s in store.list_subscriptions(limit=100)["data"]}


def test_bad_currency_and_amount_are_refused(store: StripeStore) -> None:
    product = store.create_product("Thing")
    with pytest.raises(StripeAPIError, match="Invalid currency: xyz") as bad_currency:
        store.create_price(product["id"], 100, "xyz")
    assert bad_currency.value.param == "currency"
    with pytest.raises(StripeAPIError) as bad_amount:
        store.create_payment_intent(-5, "usd")
    assert bad_amount.value.param == "amount"


def test_payment_link_has_a_test_buy_url(store: StripeStore) -> None:
    price = store.list_prices(limit=1)["data"][0]
    link = store.create_payment_link([{"price": price["id"], "quantity": 2}])
    assert link["id"].startswith("plink_")
    assert link["url"].startswith("https://buy.stripe.com/test_")


def test_search_syntax(store: StripeStore) -> None:
    customer = store.list_customers(limit=1)["data"][0]
    found = store.search_any(f'customers:email:"{customer["email"]}"')
    assert [c["id"] for c in found["data"]] == [customer["id"]]
    first_name = customer["name"].split()[0]
    fuzzy = store.search("customers", f'name~"{first_name.lower()}"', limit=100)
    assert customer["id"] in {c["id"] for c in fuzzy["data"]}
    with pytest.raises(StripeAPIError, match="Invalid search query"):
        store.search("customers", "this is not a query")


def test_reset_restores_the_seed_state(store: StripeStore) -> None:
    seed = store.snapshot()
    store.create_customer("Temporary")
    store.create_refund(payment_intent=_succeeded_unrefunded(store)["id"])
    assert store.snapshot() != seed
    store.reset()
    assert store.snapshot() == seed


def test_concurrent_refunds_never_exceed_the_charge() -> None:
    store = StripeStore(seed_data=False)
    pi = store.create_payment_intent(10000, "usd", payment_method="pm_card_visa", confirm=True)
    outcomes: list[bool] = []

    def refund() -> None:
        try:
            store.create_refund(payment_intent=pi["id"], amount=3000)
            outcomes.append(True)
        except StripeAPIError:
            outcomes.append(False)

    threads = [threading.Thread(target=refund) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert outcomes.count(True) == 3
    assert store.retrieve("charge", pi["latest_charge"])["amount_refunded"] == 9000


def test_search_by_an_indexed_field_sees_every_change() -> None:
    store = StripeStore(seed_data=False)
    ada = store.create_customer("Ada", "ada@example.com")
    assert [c["id"] for c in store.search("customers", 'email:"ada@example.com"')["data"]] == [ada["id"]]
    store.update_customer(ada["id"], email="countess@example.com")
    twin = store.create_customer("Ada Two", "ADA@example.com")
    found = store.search("customers", 'email:"ada@example.com" OR email:"countess@example.com"')["data"]
    assert [c["id"] for c in found] == [twin["id"], ada["id"]]
    store.delete_customer(twin["id"])
    assert store.search("customers", 'email:"ada@example.com"')["data"] == []


def test_pages_follow_inserts_and_deletes_in_order() -> None:
    store = StripeStore(seed_data=False)
    ids = [store.create_customer(f"C{i}")["id"] for i in range(25)]
    store.delete_customer(ids[20])
    seen, cursor = [], None
    while True:
        page = store.list_customers(limit=10, starting_after=cursor)
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        cursor = seen[-1]
    assert seen == [i for i in reversed(ids) if i != ids[20]]


def test_search_after_a_reset_finds_only_the_seed_state() -> None:
    store = StripeStore()
    temp = store.create_customer("Temp", "temp@example.com")
    assert store.search("customers", 'email:"temp@example.com"')["data"][0]["id"] == temp["id"]
    store.reset()
    assert store.search("customers", 'email:"temp@example.com"')["data"] == []


def test_what_the_store_hands_out_is_a_copy_the_caller_may_change(store: StripeStore) -> None:
    listed = store.list_customers(limit=1)["data"][0]
    fetched = store.retrieve("customer", listed["id"])
    listed["metadata"]["segment"] = "changed"
    fetched["name"] = "changed"
    again = store.retrieve("customer", listed["id"])
    assert again["name"] != "changed"
    assert again["metadata"]["segment"] != "changed"
    assert again == store.fetch(listed["id"])
    assert again is not store.fetch(listed["id"])


def test_ids_are_the_characters_random_choice_draws_from_the_same_generator() -> None:
    store = StripeStore(seed_data=False)
    store._rng = random.Random(7)
    twin = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    for length in (*range(40), 24, 24, 24):
        assert store.random_token(length) == "".join(twin.choice(alphabet) for _ in range(length))
    assert store._rng.getstate() == twin.getstate()
