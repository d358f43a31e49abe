"""Write previews: the operation, the amount in major units, and each target as the conversation knows it."""

from __future__ import annotations

import json

from stripe_nb_agent.agent.preview import describe_call, describe_object, known_objects, objects_in_messages

JANE = {"id": "cus_JaneDoe0001", "object": "customer", "name": "Jane Doe", "email": "jane@example.com"}
PAYMENT = {
    "id": "pi_Jv60XkPaid0001",
    "object": "payment_intent",
    "amount": 6400,
    "amount_received": 6400,
    "amount_refunded": 1000,
    "currency": "eur",
    "customer": "cus_JaneDoe0001",
    "created": 1782604800,
    "status": "succeeded",
}
SUBSCRIPTION = {
    "id": "sub_Monthly00001",
    "object": "subscription",
    "customer": "cus_JaneDoe0001",
    "status": "active",
    "created": 1780000000,
}
KNOWN = known_objects([{"object": "list", "data": [JANE]}, [PAYMENT], SUBSCRIPTION])


def test_a_partial_refund_names_amount_payment_and_customer() -> None:
    line = describe_call("create_refund", {"payment_intent": PAYMENT["id"], "amount": 2500}, KNOWN)
    assert line.startswith("Refund €25.00 of pi_Jv60Xk…")
    assert "Jane Doe" in line
    assert "28 Jun 2026" in line
    assert "€10.00 already refunded" in line


def test_a_refund_without_amount_is_the_full_remaining_amount() -> None:
    line = describe_call("create_refund", {"payment_intent": PAYMENT["id"]}, KNOWN)
    assert line.startswith("Refund the full €54.00 of pi_Jv60Xk…")


def test_a_target_the_conversation_has_not_seen_is_said_so_and_no_amount_is_invented() -> None:
    line = describe_call("create_refund", {"charge": "ch_Unseen000001", "amount": 500}, {})
    assert (
        line == "Refund 500 (minor units, currency not given) of ch_Unseen… (not seen in this conversation)"
    )


def test_zero_decimal_currencies_are_major_units_already() -> None:
    line = describe_call(
        "create_price", {"product": "prod_X1234567", "unit_amount": 1200, "currency": "jpy"}, {}
    )
    assert line.startswith("Create price ¥1,200 for prod_X1234567")


def test_a_create_names_what_it_creates() -> None:
    line = describe_call("create_customer", {"name": "Ada Lovelace", "email": "ada@example.com"}, {})
    assert line == "Create customer 'Ada Lovelace' <ada@example.com>"


def test_a_cancel_describes_the_subscription_and_its_customer() -> None:
    line = describe_call("cancel_subscription", {"subscription": "sub_Monthly00001"}, KNOWN)
    assert line.startswith("Cancel subscription sub_Month… — Jane Doe <jane@example.com>")
    assert "active" in line


def test_generic_profile_writes_are_described_from_their_operation_id() -> None:
    refund = {"stripe_api_operation_id": "PostRefunds",
              "parameters": {"payment_intent": PAYMENT["id"], "amount": 1000}}  # fmt: skip
    assert describe_call("stripe_api_write", refund, KNOWN).startswith("Refund €10.00 of pi_Jv60Xk…")
    update = {"stripe_api_operation_id": "PostCustomersCustomer",
              "parameters": {"customer": JANE["id"], "email": "j@new.example"}}  # fmt: skip
    assert describe_call("stripe_api_write", update, KNOWN).startswith("Update customer 'j@new.example'")
    cancel = {"stripe_api_operation_id": "DeleteSubscriptionsSubscriptionExposedId",
              "parameters": {"subscription_exposed_id": SUBSCRIPTION["id"]}}  # fmt: skip
    cancelled = describe_call("stripe_api_write", cancel, KNOWN)
    assert cancelled.startswith("Cancel subscription sub_Month… — Jane Doe")
    finalize = {
        "stripe_api_operation_id": "PostInvoicesInvoiceFinalize",
        "parameters": {"invoice": "in_Abc123456"},
    }
    assert describe_call("stripe_api_write", finalize, {}).startswith("Finalize invoice in_Abc123456")


def test_a_trimmed_result_never_erases_what_a_fuller_one_said() -> None:
    known = known_objects([[JANE], [{"id": JANE["id"]}], {"id": JANE["id"], "name": None}])
    assert known[JANE["id"]]["name"] == "Jane Doe"
    assert describe_object(JANE["id"], known) == "cus_JaneD… — Jane Doe <jane@example.com>"


def test_objects_come_from_tool_messages_only_and_unreadable_ones_are_skipped() -> None:
    messages = [
        {"role": "user", "content": json.dumps(JANE)},
        {"role": "tool", "content": json.dumps([PAYMENT])},
        {"role": "tool", "content": "Failed to list customers"},
        {"role": "tool", "content": '{"cut short'},
        {
            "role": "tool",
            "content": json.dumps([JANE]) + "\n\n(1 of 900 rows shown; the rest is in the table)",
        },
    ]
    assert objects_in_messages(messages) == [[PAYMENT], [JANE]]
