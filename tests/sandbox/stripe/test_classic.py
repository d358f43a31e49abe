"""Every classic tool through a real in-process MCP client: happy path and Stripe-style failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mcp
import pytest

from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server

from .conftest import Tools

pytestmark = pytest.mark.anyio
REFERENCE = Path("/work/shared/reference/stripe-mcp-tools.json")
BUNDLED = Path(__file__).parents[3] / "stripe_nb_agent/sandbox/stripe/classic_tools.json"


def _reference_tools() -> tuple[dict[str, Any], dict[str, Any]]:
    bundled = json.loads(BUNDLED.read_text())
    return bundled, json.loads(REFERENCE.read_text()) if REFERENCE.exists() else bundled


async def test_catalogue_matches_stripes_tools_verbatim(store: StripeStore) -> None:
    async with mcp.Client(build_stripe_sandbox_server("classic", store)) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
    bundled, reference = _reference_tools()
    assert bundled["tools"] == reference["tools"]
    for spec in reference["tools"]:
        tool = listed[spec["name"]]
        assert tool.input_schema == spec["inputSchema"]
        assert tool.annotations is not None
        assert tool.annotations.model_dump(by_alias=True, exclude_none=True) == spec["annotations"]
        assert tool.description
    extras = set(listed) - {s["name"] for s in reference["tools"]}
    assert extras == {"get_stripe_account_info", "search_stripe_resources", "fetch_stripe_resources"}
    for name in extras:
        assert listed[name].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert len(listed) == 25


async def test_customers(classic: Tools, store: StripeStore) -> None:
    created = await classic("create_customer", name="Ada Lovelace", email="ada@example.net")
    assert set(created.data) == {"id"}
    assert created.data["id"].startswith("cus_")
    listed = await classic("list_customers", email="ada@example.net")
    assert listed.data == [{"id": created.data["id"]}]
    page = await classic("list_customers", limit=3)
    assert len(page.data) == 3
    assert all(set(c) == {"id"} for c in page.data)


async def test_schema_violation_is_an_input_validation_error(classic: Tools) -> None:
    missing = await classic("create_customer", email="ada@example.net")
    assert missing.is_error
    assert missing.text.startswith("Input validation error: ")
    assert '"name" is a required property' in missing.text
    extra = await classic("list_products", limit=500)
    assert extra.is_error
    assert "limit" in extra.text
    bad_email = await classic("create_customer", name="A", email="not-an-email")
    assert bad_email.is_error


async def test_unknown_tool_is_an_error_result(classic: Tools) -> None:
    result = await classic("delete_everything")
    assert result.is_error
    assert "Unknown tool" in result.text


async def test_products_prices_and_payment_links(classic: Tools) -> None:
    product = await classic("create_product", name="Latte Art Class")
    assert product.data["object"] == "product"
    price = await classic("create_price", product=product.data["id"], unit_amount=4500, currency="usd")
    assert price.data["unit_amount"] == 4500
    assert price.data["type"] == "one_time"
    prices = await classic("list_prices", product=product.data["id"])
    assert [p["id"] for p in prices.data] == [price.data["id"]]
    products = await classic("list_products", limit=2)
    assert products.data[0]["id"] == product.data["id"]
    link = await classic("create_payment_link", price=price.data["id"], quantity=2)
    assert set(link.data) == {"id", "url"}
    assert link.data["url"].startswith("https://buy.stripe.com/test_")


async def test_api_failure_is_a_json_string_literal_without_is_error(classic: Tools) -> None:
    result = await classic("create_price", product="prod_missing", unit_amount=100, currency="usd")
    assert result.is_error is False
    assert result.text == '"Failed to create price"'
    bad_currency = await classic("create_price", product="prod_missing", unit_amount=100, currency="zzz")
    assert bad_currency.data == "Failed to create price"


async def test_invoices(classic: Tools, store: StripeStore) -> None:
    customer = await classic("create_customer", name="Grace Hopper")
    product = await classic("create_product", name="Audit")
    price = await classic("create_price", product=product.data["id"], unit_amount=20000, currency="usd")
    invoice = await classic("create_invoice", customer=customer.data["id"], days_until_due=30)
    assert invoice.data["status"] == "draft"
    item = await classic(
        "create_invoice_item",
        customer=customer.data["id"],
        price=price.data["id"],
        invoice=invoice.data["id"],
    )
    assert item.data == {"id": item.data["id"], "invoice": invoice.data["id"]}
    final = await classic("finalize_invoice", invoice=invoice.data["id"])
    assert final.data["status"] == "open"
    assert final.data["url"].startswith("https://invoice.stripe.com/")
    assert store.retrieve("invoice", invoice.data["id"])["total"] == 20000
    again = await classic("finalize_invoice", invoice=invoice.data["id"])
    assert again.data == "Failed to finalize invoice"
    listed = await classic("list_invoices", customer=customer.data["id"])
    assert [i["id"] for i in listed.data] == [invoice.data["id"]]
    assert (await classic("create_invoice", customer="cus_x")).data == "Failed to create invoice"


async def test_balance_and_refunds(classic: Tools, store: StripeStore) -> None:
    balance = await classic("retrieve_balance")
    assert balance.data["object"] == "balance"
    assert balance.data == store.retrieve_balance()
    pi = store.create_payment_intent(5000, "usd", payment_method="pm_card_visa", confirm=True)
    too_much = await classic("create_refund", payment_intent=pi["id"], amount=6000)
    assert too_much.data == "Failed to create refund"
    refund = await classic("create_refund", payment_intent=pi["id"], amount=1500)
    assert refund.data["object"] == "refund"
    assert refund.data["amount"] == 1500
    intents = await classic("list_payment_intents", limit=1)
    assert intents.data[0]["id"] == pi["id"]


async def test_subscriptions(classic: Tools, store: StripeStore) -> None:
    active = await classic("list_subscriptions", status="active", limit=100)
    assert active.data
    assert {s["status"] for s in active.data} == {"active"}
    sub = active.data[0]
    other_price = next(
        p
        for p in store.list_prices(limit=100)["data"]
        if p["type"] == "recurring"
        and p["currency"] == sub["currency"]
        and p["id"] != sub["items"]["data"][0]["price"]["id"]
    )
    updated = await classic(
        "update_subscription",
        subscription=sub["id"],
        items=[{"id": sub["items"]["data"][0]["id"], "price": other_price["id"], "quantity": 3}],
    )
    assert updated.data["items"]["data"][0]["price"]["id"] == other_price["id"]
    assert updated.data["items"]["data"][0]["quantity"] == 3
    canceled = await classic("cancel_subscription", subscription=sub["id"])
    assert canceled.data["status"] == "canceled"
    twice = await classic("cancel_subscription", subscription=sub["id"])
    assert twice.data == "Failed to cancel subscription"
    bad_status = await classic("list_subscriptions", status="sleeping")
    assert bad_status.is_error


async def test_coupons(classic: Tools) -> None:
    percent = await classic("create_coupon", name="Half", percent_off=50, amount_off=0)
    assert percent.data["percent_off"] == 50.0
    fixed = await classic("create_coupon", name="Ten", amount_off=1000, currency="EUR", duration="forever")
    assert fixed.data["amount_off"] == 1000
    assert fixed.data["currency"] == "eur"
    coupons = await classic("list_coupons", limit=2)
    assert coupons.data[0] == {
        "id": fixed.data["id"],
        "name": "Ten",
        "percent_off": None,
        "amount_off": 1000,
        "duration": "forever",
    }
    repeating = await classic("create_coupon", name="Bad", amount_off=100, duration="repeating")
    assert repeating.data == "Failed to create coupon"


async def test_disputes(classic: Tools, store: StripeStore) -> None:
    disputes = await classic("list_disputes", limit=100)
    open_one = next(d for d in disputes.data if d["status"] == "needs_response")
    by_charge = await classic("list_disputes", charge=open_one["charge"])
    assert [d["id"] for d in by_charge.data] == [open_one["id"]]
    updated = await classic(
        "update_dispute", dispute=open_one["id"], evidence={"uncategorized_text": "Delivered."}, submit=True
    )
    assert updated.data["status"] == "under_review"
    assert updated.data["evidence"]["uncategorized_text"] == "Delivered."
    assert (await classic("update_dispute", dispute="dp_nope")).data == "Failed to update dispute"


async def test_documentation_search_says_it_is_sandbox_notes(classic: Tools) -> None:
    result = await classic("search_stripe_documentation", question="How do I refund a payment?")
    assert "not Stripe's documentation" in result.data["notice"]
    assert result.data["results"][0]["title"] == "Refund a payment"


async def test_account_search_and_fetch(classic: Tools, store: StripeStore) -> None:
    account = await classic("get_stripe_account_info")
    assert account.data["account_id"] == store.account["id"]
    assert account.data["livemode"] is False
    customer = store.list_customers(limit=1)["data"][0]
    found = await classic("search_stripe_resources", query=f'customers:email:"{customer["email"]}"')
    assert [c["id"] for c in found.data] == [customer["id"]]
    fetched = await classic("fetch_stripe_resources", id=customer["id"])
    assert fetched.data == customer
    missing = await classic("fetch_stripe_resources", id="ch_nope")
    assert missing.data == "Failed to fetch resource"


async def test_delay_applies_to_calls(store: StripeStore) -> None:
    store.delay = 0.05
    async with mcp.Client(build_stripe_sandbox_server("classic", store)) as client:
        import anyio

        with anyio.fail_after(10):
            before = anyio.current_time()
            await client.call_tool("retrieve_balance", {})
            assert anyio.current_time() - before >= 0.05
