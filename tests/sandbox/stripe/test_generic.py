"""The generic profile: operation search and details, reads, writes, validation of parameters."""

from __future__ import annotations

import mcp
import pytest

from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server
from stripe_nb_agent.sandbox.stripe.generic_operations import OPERATIONS

from .conftest import Tools

pytestmark = pytest.mark.anyio


async def read(tools: Tools, op: str, **parameters: object):  # type: ignore[no-untyped-def]
    return await tools("stripe_api_read", stripe_api_operation_id=op, parameters=parameters)


async def write(tools: Tools, op: str, human_confirmation: bool | None = None, **parameters: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {"stripe_api_operation_id": op, "parameters": parameters}
    if human_confirmation is not None:
        args["human_confirmation"] = human_confirmation
    return await tools("stripe_api_write", **args)


async def test_tools_and_annotations(store: StripeStore) -> None:
    async with mcp.Client(build_stripe_sandbox_server("generic", store)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {
        "stripe_api_search",
        "stripe_api_details",
        "stripe_api_read",
        "stripe_api_write",
        "search_stripe_documentation",
        "get_stripe_account_info",
    }
    for name in set(tools) - {"stripe_api_write"}:
        assert tools[name].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["stripe_api_write"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert tools["stripe_api_read"].input_schema["required"] == ["stripe_api_operation_id"]


async def test_search_finds_operations_by_intent(generic: Tools) -> None:
    refund = await generic("stripe_api_search", intent="refund a payment")
    assert refund.data["operations"][0]["stripe_api_operation_id"] in ("PostRefunds", "GetRefunds")
    ids = [o["stripe_api_operation_id"] for o in refund.data["operations"]]
    assert "PostRefunds" in ids
    customers = await generic("stripe_api_search", intent="list", resource="customers", limit=10)
    assert {o["resource"] for o in customers.data["operations"]} == {"customers"}


async def test_details_give_the_parameter_schema(generic: Tools) -> None:
    details = await generic("stripe_api_details", stripe_api_operation_id="PostPrices")
    assert details.data["method"] == "POST"
    assert details.data["path"] == "/v1/prices"
    assert details.data["parameters"]["required"] == ["product", "unit_amount", "currency"]
    unknown = await generic("stripe_api_details", stripe_api_operation_id="PostMagic")
    assert unknown.is_error
    assert unknown.text.startswith("Stripe API error: Unknown operation")


async def test_every_read_operation_answers(generic: Tools, store: StripeStore) -> None:
    customer = store.list_customers(limit=1)["data"][0]
    pi = store.list_payment_intents(limit=1)["data"][0]
    path_params = {"customer": customer["id"], "intent": pi["id"], "query": f'email:"{customer["email"]}"'}
    for op in OPERATIONS.values():
        if op.method != "GET":
            continue
        params = {k: path_params[k] for k in op.required}
        result = await read(generic, op.id, **params)
        assert not result.is_error, (op.id, result.text)
        if "limit" in op.properties and op.id != "GetCustomersSearch":
            assert result.data["object"] == "list"
            assert result.data["url"] == op.path


async def test_list_envelope_pagination(generic: Tools) -> None:
    first = await read(generic, "GetCharges", limit=3)
    assert first.data["has_more"] is True
    second = await read(generic, "GetCharges", limit=3, starting_after=first.data["data"][-1]["id"])
    assert first.data["data"][-1]["created"] >= second.data["data"][0]["created"]


async def test_parameters_are_validated_against_the_operation(generic: Tools) -> None:
    wrong_type = await read(generic, "GetCustomers", limit="ten")
    assert wrong_type.is_error
    assert wrong_type.text.startswith("Input validation error: parameters.limit")
    unknown = await write(generic, "PostCustomers", name="A", nickname="x")
    assert unknown.is_error
    assert "Input validation error" in unknown.text
    missing = await write(generic, "PostPrices", product="prod_x")
    assert '"unit_amount" is a required property' in missing.text


async def test_read_and_write_refuse_each_others_operations(generic: Tools) -> None:
    assert (await read(generic, "PostCustomers", name="A")).text.startswith(
        "Stripe API error: PostCustomers changes"
    )
    assert (await write(generic, "GetCustomers")).is_error


async def test_write_flow_customer_to_paid_subscription(generic: Tools, store: StripeStore) -> None:
    customer = await write(generic, "PostCustomers", name="Ada", email="ada@example.org", metadata={"k": "v"})
    cid = customer.data["id"]
    assert customer.data["object"] == "customer"
    updated = await write(generic, "PostCustomersCustomer", customer=cid, name="Ada L.")
    assert updated.data["name"] == "Ada L."
    found = await read(generic, "GetCustomersSearch", query='name:"Ada L."')
    assert [c["id"] for c in found.data["data"]] == [cid]
    product = await write(generic, "PostProducts", name="Seats", description="Per seat")
    price = await write(
        generic,
        "PostPrices",
        product=product.data["id"],
        unit_amount=900,
        currency="eur",
        recurring={"interval": "month"},
    )
    assert price.data["type"] == "recurring"
    sub = await write(generic, "PostSubscriptions", customer=cid, items=[{"price": price.data["id"]}])
    assert sub.data["status"] == "active"
    updated_sub = await write(
        generic,
        "PostSubscriptionsSubscriptionExposedId",
        subscription_exposed_id=sub.data["id"],
        cancel_at_period_end=True,
    )
    assert updated_sub.data["cancel_at_period_end"] is True
    listed = await read(generic, "GetSubscriptions", customer=cid)
    assert [s["id"] for s in listed.data["data"]] == [sub.data["id"]]
    unconfirmed = await write(
        generic, "DeleteSubscriptionsSubscriptionExposedId", subscription_exposed_id=sub.data["id"]
    )
    assert unconfirmed.is_error
    assert "human_confirmation" in unconfirmed.text
    canceled = await write(
        generic,
        "DeleteSubscriptionsSubscriptionExposedId",
        human_confirmation=True,
        subscription_exposed_id=sub.data["id"],
    )
    assert canceled.data["status"] == "canceled"
    again = await write(
        generic,
        "DeleteSubscriptionsSubscriptionExposedId",
        human_confirmation=True,
        subscription_exposed_id=sub.data["id"],
    )
    assert again.is_error
    deleted = await write(generic, "DeleteCustomersCustomer", human_confirmation=True, customer=cid)
    assert deleted.data == {"id": cid, "object": "customer", "deleted": True}
    gone = await read(generic, "GetCustomersCustomer", customer=cid)
    assert gone.text == f"Stripe API error: No such customer: '{cid}'"


async def test_payments_refunds_invoices_links_coupons_disputes(generic: Tools, store: StripeStore) -> None:
    pi = await write(
        generic,
        "PostPaymentIntents",
        amount=5000,
        currency="usd",
        payment_method="pm_card_visa",
        confirm=True,
    )
    assert pi.data["status"] == "succeeded"
    fetched = await read(generic, "GetPaymentIntentsIntent", intent=pi.data["id"])
    assert fetched.data["latest_charge"].startswith("ch_")
    too_much = await write(generic, "PostRefunds", payment_intent=pi.data["id"], amount=6000)
    assert too_much.text == (
        "Stripe API error: Refund amount ($60.00) is greater than unrefunded amount on charge ($50.00)"
    )
    refund = await write(generic, "PostRefunds", charge=fetched.data["latest_charge"], amount=2000)
    assert refund.data["amount"] == 2000
    refunds = await read(generic, "GetRefunds", payment_intent=pi.data["id"])
    assert [r["id"] for r in refunds.data["data"]] == [refund.data["id"]]

    customer = store.create_customer("Invoice Me")
    invoice = await write(
        generic, "PostInvoices", customer=customer["id"], collection_method="send_invoice", days_until_due=7
    )
    await write(
        generic,
        "PostInvoiceitems",
        customer=customer["id"],
        amount=1234,
        currency="usd",
        invoice=invoice.data["id"],
    )
    final = await write(generic, "PostInvoicesInvoiceFinalize", invoice=invoice.data["id"])
    assert final.data["total"] == 1234
    assert final.data["hosted_invoice_url"]
    opened = await read(generic, "GetInvoices", customer=customer["id"], status="open")
    assert [i["id"] for i in opened.data["data"]] == [invoice.data["id"]]

    price = store.list_prices(limit=1)["data"][0]
    link = await write(generic, "PostPaymentLinks", line_items=[{"price": price["id"], "quantity": 1}])
    assert link.data["url"].startswith("https://buy.stripe.com/test_")
    coupon = await write(generic, "PostCoupons", percent_off=20, duration="repeating", duration_in_months=3)
    assert coupon.data["duration_in_months"] == 3
    dispute = store.list_disputes(limit=100)["data"][0]
    listed = await read(generic, "GetDisputes", charge=dispute["charge"])
    assert listed.data["data"][0]["id"] == dispute["id"]
    bad_evidence = await write(generic, "PostDisputesDispute", dispute=dispute["id"], evidence={"poem": "x"})
    assert bad_evidence.text.startswith("Input validation error")


async def test_docs_and_account(generic: Tools) -> None:
    docs = await generic(
        "search_stripe_documentation", question="what are restricted keys?", language="python"
    )
    assert docs.data["results"][0]["title"] == "Restricted API keys"
    assert "sandbox" in docs.data["notice"]
    account = await generic("get_stripe_account_info")
    assert account.data["account_id"].startswith("acct_")
