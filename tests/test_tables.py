"""Tool results as DataFrames, on Stripe-shaped objects as both server generations return them."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from stripe_nb_agent.flatten import SECRET_FIELDS
from stripe_nb_agent.money import currency_exponent
from stripe_nb_agent.tables import WIDE_THRESHOLD, format_json, result_table, to_frame
from stripe_nb_agent.tools.types import ToolResult

T0 = 1_714_564_800  # 2024-05-01 12:00:00 UTC
T0_UTC = pd.Timestamp(datetime(2024, 5, 1, 12, 0, tzinfo=UTC))


def envelope(*objects: dict[str, Any], url: str = "/v1/things") -> dict[str, Any]:
    return {"object": "list", "data": list(objects), "has_more": False, "url": url}


def customer(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"cus_{n:04d}",
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": T0 + n,
        "currency": None,
        "description": None,
        "email": f"jenny{n}@example.com",
        "livemode": False,
        "metadata": {},
        "name": f"Jenny {n}",
        "phone": None,
        **extra,
    }


def product() -> dict[str, Any]:
    return {
        "id": "prod_PRO",
        "object": "product",
        "active": True,
        "created": T0,
        "default_price": "price_PRO",
        "description": "The pro plan",
        "livemode": False,
        "metadata": {},
        "name": "Pro",
    }


def price(unit_amount: int = 2000, currency: str = "usd", **extra: Any) -> dict[str, Any]:
    return {
        "id": "price_PRO",
        "object": "price",
        "active": True,
        "created": T0,
        "currency": currency,
        "livemode": False,
        "metadata": {},
        "nickname": None,
        "product": "prod_PRO",
        "recurring": {"interval": "month", "interval_count": 1, "usage_type": "licensed"},
        "type": "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
        **extra,
    }


def payment_intent(n: int, amount: int = 5000, currency: str = "usd", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"pi_{n:04d}",
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": amount,
        "canceled_at": None,
        "created": T0,
        "currency": currency,
        "customer": "cus_0001",
        "description": None,
        "latest_charge": f"ch_{n:04d}",
        "livemode": False,
        "metadata": {"order_id": str(n), "plan": "pro"},
        "payment_method_types": ["card"],
        "status": "succeeded",
        **extra,
    }


def full_payment_intent() -> dict[str, Any]:
    wide = payment_intent(7)
    wide.update(
        {
            "application": None,
            "automatic_payment_methods": {"enabled": True, "allow_redirects": "always"},
            "capture_method": "automatic",
            "client_secret": "pi_0007_secret_abc",
            "confirmation_method": "automatic",
            "last_payment_error": None,
            "payment_method": "pm_card_visa",
            "receipt_email": "jenny@example.com",
            "setup_future_usage": None,
            "statement_descriptor": None,
        }
    )
    return wide


def subscription() -> dict[str, Any]:
    item = {
        "id": "si_1",
        "object": "subscription_item",
        "created": T0,
        "price": price(),
        "quantity": 2,
    }
    return {
        "id": "sub_1",
        "object": "subscription",
        "cancel_at_period_end": False,
        "canceled_at": None,
        "created": T0,
        "current_period_end": T0 + 30 * 86400,
        "current_period_start": T0,
        "customer": "cus_0001",
        "items": {"object": "list", "data": [item], "has_more": False, "url": "/v1/subscription_items"},
        "livemode": False,
        "metadata": {},
        "status": "active",
    }


def invoice() -> dict[str, Any]:
    line = {"id": "il_1", "object": "line_item", "amount": 4000, "currency": "usd"}
    return {
        "id": "in_1",
        "object": "invoice",
        "amount_due": 4000,
        "amount_paid": 4000,
        "amount_remaining": 0,
        "created": T0,
        "currency": "eur",
        "customer": "cus_0001",
        "due_date": None,
        "lines": {"object": "list", "data": [line], "has_more": False, "url": "/v1/invoices/in_1/lines"},
        "livemode": False,
        "number": "ABC-0001",
        "status": "paid",
        "status_transitions": {"finalized_at": T0, "paid_at": T0 + 60, "voided_at": None},
        "subtotal": 4000,
        "total": 4000,
    }


def balance() -> dict[str, Any]:
    return {
        "object": "balance",
        "available": [
            {"amount": 123456, "currency": "usd", "source_types": {"card": 123456}},
            {"amount": 9000, "currency": "jpy", "source_types": {"card": 9000}},
        ],
        "pending": [{"amount": 500, "currency": "usd", "source_types": {"card": 500}}],
        "livemode": False,
    }


def frame_of(data: Any) -> pd.DataFrame:
    frame = to_frame(data)
    assert frame is not None, f"expected a table for {data!r}"
    return frame


# --- shapes ---------------------------------------------------------------------------------


def test_list_envelope_gives_one_row_per_object_with_id_first() -> None:
    frame = frame_of(envelope(customer(1), customer(2), url="/v1/customers"))
    assert frame["id"].tolist() == ["cus_0001", "cus_0002"]
    assert list(frame.columns)[:4] == ["id", "name", "email", "phone"]


def test_bare_array_and_list_envelope_give_the_same_frame() -> None:
    objects = [payment_intent(1), payment_intent(2)]
    pd.testing.assert_frame_equal(frame_of(objects), frame_of(envelope(*objects)))


def test_result_wrapper_and_json_text_are_unwrapped() -> None:
    objects = [customer(1), customer(2)]
    expected = frame_of(objects)
    pd.testing.assert_frame_equal(frame_of({"result": objects}), expected)
    pd.testing.assert_frame_equal(frame_of(json.dumps(objects)), expected)
    pd.testing.assert_frame_equal(frame_of(json.dumps({"result": envelope(*objects)})), expected)
    pd.testing.assert_frame_equal(frame_of({"result": json.dumps(objects)}), expected)


def test_mcp_text_content_blocks_are_read_as_json_text() -> None:
    blocks = [{"type": "text", "text": json.dumps([customer(1)])}]
    assert frame_of(blocks)["id"].tolist() == ["cus_0001"]


def test_search_result_mixing_object_types_keeps_the_object_column() -> None:
    search = {
        "object": "search_result",
        "data": [customer(1), payment_intent(2)],
        "has_more": False,
        "next_page": None,
        "url": "/v1/search",
    }
    frame = frame_of(search)
    assert frame["id"].tolist() == ["cus_0001", "pi_0002"]
    assert frame["object"].tolist() == ["customer", "payment_intent"]
    assert list(frame.columns)[-2:] == ["object", "livemode"]


def test_generic_envelope_without_object_is_read_as_its_rows() -> None:
    frame = frame_of({"results": [{"id": "cus_1"}, {"id": "cus_2"}], "has_more": True, "total_count": 2})
    assert frame["id"].tolist() == ["cus_1", "cus_2"]


def test_classic_trimmed_shapes_are_small_tables() -> None:
    assert frame_of('[{"id": "cus_1"}, {"id": "cus_2"}]').to_dict("list") == {"id": ["cus_1", "cus_2"]}
    assert frame_of('{"id": "cus_1"}').to_dict("list") == {"id": ["cus_1"]}
    link = frame_of({"id": "plink_1", "url": "https://buy.stripe.com/test_1"})
    assert link.to_dict("records") == [{"id": "plink_1", "url": "https://buy.stripe.com/test_1"}]


def test_an_object_with_a_list_of_objects_is_still_one_object() -> None:
    session = {"id": "cs_1", "object": "checkout.session", "line_items": [{"id": "li_1"}, {"id": "li_2"}]}
    frame = frame_of(session)
    assert frame["id"].tolist() == ["cs_1"]
    assert [item["id"] for item in frame.loc[0, "line_items"]] == ["li_1", "li_2"]


def test_an_existing_minor_field_is_not_overwritten() -> None:
    frame = frame_of([{"id": "x_1", "amount": 5000, "amount_minor": "kept", "currency": "usd"}])
    assert frame.loc[0, "amount"] == 5000
    assert frame.loc[0, "amount_minor"] == "kept"


def test_empty_list_is_a_table_with_no_rows() -> None:
    assert frame_of(envelope()).empty
    assert frame_of("[]").empty


@pytest.mark.parametrize(
    "data",
    [
        None,
        42,
        "Failed to list customers",
        '"Failed to list customers"',
        "not json {",
        ["a", "b"],
        [{"id": "cus_1"}, "stray"],
        {},
        {"error": {"type": "invalid_request_error", "message": "No such customer: 'cus_x'"}},
    ],
)
def test_non_tabular_data_gives_none(data: Any) -> None:
    assert to_frame(data) is None


# --- flattening -----------------------------------------------------------------------------


def test_nested_objects_become_dotted_columns_and_lists_stay_lists() -> None:
    frame = frame_of([payment_intent(1)])
    assert frame.loc[0, "metadata.plan"] == "pro"
    assert frame.loc[0, "payment_method_types"] == ["card"]
    assert len(frame) == 1


def test_recurring_price_shows_interval_beside_the_amount() -> None:
    frame = frame_of([price()])
    assert list(frame.columns)[:7] == [
        "id",
        "product",
        "nickname",
        "unit_amount",
        "currency",
        "type",
        "recurring.interval",
    ]
    assert frame.loc[0, "recurring.interval"] == "month"


def test_empty_dicts_vanish_and_partial_metadata_leaves_gaps() -> None:
    frame = frame_of([customer(1), customer(2, metadata={"plan": "pro"})])
    assert "metadata" not in frame.columns
    assert frame["metadata.plan"].isna().tolist() == [True, False]


def test_objects_deeper_than_the_limit_stay_dicts() -> None:
    deep = {"id": "ch_1", "a": {"b": {"c": {"d": {"e": 1}}}}}
    frame = frame_of([deep])
    assert frame.loc[0, "a.b.c.d"] == {"e": 1}
    shallow = to_frame([deep], max_depth=1)
    assert shallow is not None
    assert shallow.loc[0, "a.b"] == {"c": {"d": {"e": 1}}}


def test_nested_list_envelopes_become_their_rows() -> None:
    frame = frame_of([subscription()])
    items = frame.loc[0, "items"]
    assert [item["id"] for item in items] == ["si_1"]
    lines = frame_of([invoice()]).loc[0, "lines"]
    assert [line["id"] for line in lines] == ["il_1"]


# --- amounts --------------------------------------------------------------------------------


def test_amounts_show_major_units_and_keep_minor_units() -> None:
    frame = frame_of([payment_intent(1, amount=5000), payment_intent(2, amount=1999)])
    assert frame["amount"].tolist() == [50.0, 19.99]
    assert frame["amount_minor"].tolist() == [5000, 1999]
    assert str(frame["amount_minor"].dtype) == "Int64"
    assert frame["amount_received"].tolist() == [50.0, 19.99]


def test_zero_decimal_currency_stays_whole() -> None:
    frame = frame_of([payment_intent(1, amount=5000, currency="jpy")])
    assert frame["amount"].tolist() == [5000]
    assert pd.api.types.is_integer_dtype(frame["amount"].dtype)


def test_mixed_currencies_convert_row_by_row() -> None:
    rows = [
        payment_intent(1, amount=5000, currency="usd"),
        payment_intent(2, amount=5000, currency="jpy"),
        payment_intent(3, amount=5120, currency="kwd"),
        payment_intent(4, amount=5000, currency="KRW"),
        payment_intent(5, amount=5000, currency="isk"),
    ]
    assert frame_of(rows)["amount"].tolist() == [50.0, 5000.0, 5.12, 5000.0, 50.0]


def test_amount_without_a_currency_column_is_left_alone() -> None:
    frame = frame_of([{"id": "x_1", "amount": 5000}])
    assert frame["amount"].tolist() == [5000]
    assert "amount_minor" not in frame.columns


def test_amount_with_unknown_row_currency_is_nan_but_minor_is_kept() -> None:
    frame = frame_of([customer(1, balance=-500, currency="eur"), customer(2, balance=250)])
    assert frame.loc[0, "balance"] == -5.0
    assert math.isnan(frame.loc[1, "balance"])
    assert frame["balance_minor"].tolist() == [-500, 250]


def test_nested_amounts_use_the_nearest_currency() -> None:
    item = {"id": "si_1", "price": price(unit_amount=1500, currency="gbp"), "currency": "jpy"}
    frame = frame_of([item])
    assert frame.loc[0, "price.unit_amount"] == 15.0
    assert frame.loc[0, "price.unit_amount_minor"] == 1500


def test_invoice_totals_and_coupon_amount_off() -> None:
    frame = frame_of([invoice()])
    assert frame.loc[0, "amount_due"] == 40.0
    assert frame.loc[0, "total"] == 40.0
    coupons = frame_of(
        [
            {"id": "SAVE5", "object": "coupon", "amount_off": 500, "currency": "usd", "percent_off": None},
            {"id": "HALF", "object": "coupon", "amount_off": None, "currency": None, "percent_off": 50.0},
        ]
    )
    assert coupons.loc[0, "amount_off"] == 5.0
    assert math.isnan(coupons.loc[1, "amount_off"])
    assert coupons["percent_off"].tolist()[1] == 50.0


def test_refunds_and_disputes_show_amounts_in_major_units() -> None:
    refund = {"id": "re_1", "object": "refund", "amount": 2500, "currency": "eur", "status": "succeeded"}
    dispute = {"id": "dp_1", "object": "dispute", "amount": 1000, "currency": "usd", "reason": "fraudulent"}
    assert frame_of([refund]).loc[0, "amount"] == 25.0
    assert frame_of([dispute])["amount"].tolist() == [10.0]
    assert list(frame_of([dispute]).columns)[:3] == ["id", "amount", "currency"]


def test_amount_columns_are_recorded_for_renderers() -> None:
    frame = frame_of([price()])
    assert frame.attrs["amount_columns"] == {"unit_amount": "currency"}


@pytest.mark.parametrize(
    ("currency", "exponent"), [("usd", 2), ("JPY", 0), ("ugx", 0), ("kwd", 3), ("isk", 2)]
)
def test_currency_exponent_follows_stripes_lists(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent


# --- times ----------------------------------------------------------------------------------


def test_unix_times_become_utc_datetimes() -> None:
    frame = frame_of([subscription()])
    assert frame.loc[0, "created"] == T0_UTC
    assert frame.loc[0, "current_period_end"] == T0_UTC + pd.Timedelta(days=30)
    assert str(frame["created"].dt.tz) == "UTC"


def test_null_times_are_nat_and_status_transitions_are_times() -> None:
    frame = frame_of([invoice()])
    assert pd.isna(frame.loc[0, "due_date"])
    assert isinstance(frame["due_date"].dtype, pd.DatetimeTZDtype)
    assert frame.loc[0, "status_transitions.paid_at"] == T0_UTC + pd.Timedelta(seconds=60)


def test_a_time_field_holding_text_is_left_alone() -> None:
    frame = frame_of([{"id": "x_1", "created": "yesterday"}])
    assert frame.loc[0, "created"] == "yesterday"


# --- ordering and single objects -------------------------------------------------------------


def test_payment_intents_lead_with_amount_currency_status_customer() -> None:
    frame = frame_of([payment_intent(1), payment_intent(2)])
    assert list(frame.columns)[:6] == ["id", "amount", "currency", "status", "customer", "description"]
    assert list(frame.columns)[-2:] == ["object", "livemode"]
    minor_at = list(frame.columns).index("amount_minor")
    assert minor_at > list(frame.columns).index("metadata.plan")


def test_columns_missing_from_the_first_row_still_come_before_the_noise() -> None:
    frame = frame_of([customer(1), customer(2, metadata={"plan": "pro"})])
    columns = list(frame.columns)
    assert columns.index("metadata.plan") < columns.index("object")
    assert columns[-2:] == ["object", "livemode"]


def test_narrow_single_object_is_one_row() -> None:
    frame = frame_of(product())
    assert len(frame) == 1
    assert frame.loc[0, "name"] == "Pro"


def test_wide_single_object_is_a_field_value_table() -> None:
    frame = frame_of({"result": full_payment_intent()})
    assert list(frame.columns) == ["field", "value"]
    assert len(frame) > WIDE_THRESHOLD
    values = dict(zip(frame["field"], frame["value"], strict=True))
    assert frame["field"].tolist()[:3] == ["id", "amount", "currency"]
    assert values["amount"] == 50.0
    assert values["amount_minor"] == 5000
    assert values["created"] == T0_UTC
    assert values["automatic_payment_methods.enabled"] is True
    assert frame.attrs["amount_fields"]["amount"] == "usd"


def test_balance_is_one_row_per_kind_and_currency() -> None:
    frame = frame_of(balance())
    assert frame[["kind", "currency", "amount"]].to_dict("records") == [
        {"kind": "available", "currency": "usd", "amount": 1234.56},
        {"kind": "available", "currency": "jpy", "amount": 9000.0},
        {"kind": "pending", "currency": "usd", "amount": 5.0},
    ]
    assert frame["amount_minor"].tolist() == [123456, 9000, 500]
    assert frame["source_types.card"].tolist() == [1234.56, 9000.0, 5.0]


def test_balance_inside_a_result_wrapper_and_text() -> None:
    assert len(frame_of(json.dumps({"result": balance()}))) == 3


# --- results and json -----------------------------------------------------------------------


def test_result_table_reads_ok_results_only() -> None:
    ok = ToolResult(tool="list_customers", ok=True, data=[customer(1)], text=json.dumps([customer(1)]))
    frame = result_table(ok)
    assert frame is not None
    assert frame["id"].tolist() == ["cus_0001"]
    failed = ToolResult(tool="create_refund", ok=False, error="No such charge", error_kind="server")
    assert result_table(failed) is None


def test_result_table_falls_back_to_the_text() -> None:
    result = ToolResult(tool="list_customers", ok=True, data=None, text='[{"id": "cus_1"}]')
    frame = result_table(result)
    assert frame is not None
    assert frame["id"].tolist() == ["cus_1"]


def test_classic_failure_string_is_not_a_table() -> None:
    result = ToolResult(tool="list_customers", ok=True, data="Failed to list customers")
    assert result_table(result) is None


def test_format_json_pretty_prints_data_and_json_text() -> None:
    assert format_json({"b": 1, "a": "é"}) == '{\n  "b": 1,\n  "a": "é"\n}'
    assert format_json('{"a":[1,2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert format_json("Failed to list customers") == "Failed to list customers"
    assert '"2024-05-01 12:00:00+00:00"' in format_json({"t": T0_UTC})


def test_flattening_agrees_with_json_normalize_where_no_stripe_rule_applies() -> None:
    rows = [
        {"id": "x_1", "a": {"b": 1, "c": {"d": "deep"}}, "tags": ["t"], "note": None},
        {"id": "x_2", "a": {"b": 2, "c": {"d": "er"}}, "tags": [], "extra": True},
    ]
    ours = frame_of(rows)
    theirs = pd.json_normalize(rows)
    assert set(ours.columns) == set(theirs.columns)
    pd.testing.assert_frame_equal(ours[theirs.columns], theirs)


CLIENT_SECRET = "pi_3Secret_secret_" + "YrKJUKribcBjcG8HVhfZ"


def test_client_secrets_are_masked_in_every_table_and_kept_in_the_raw_result() -> None:
    intent = {"id": "pi_3Secret", "object": "payment_intent", "amount": 500, "currency": "usd",
              "client_secret": CLIENT_SECRET, "next_action": {"secret": "opaque-secret-77aa"}}  # fmt: skip
    result = ToolResult(tool="list_payment_intents", ok=True, data=envelope(intent))
    frame = result_table(result)
    assert frame is not None
    assert frame.loc[0, "client_secret"] == "pi_3Secret_secret_…VhfZ"
    assert frame.loc[0, "next_action.secret"] == "…77aa"
    assert "YrKJUKribc" not in frame.to_string() + frame.to_html()
    assert result.data["data"][0]["client_secret"] == CLIENT_SECRET
    assert {"client_secret", "secret"} <= SECRET_FIELDS


def test_rows_without_fields_are_still_rows_and_missing_fields_are_nan() -> None:
    frame = to_frame([{}, {"id": "cus_1", "balance": 5, "currency": "usd"}, {}])
    assert frame is not None
    assert len(frame) == 3
    assert frame["id"].isna().tolist() == [True, False, True]
    assert frame["balance"].tolist()[1] == 0.05


def test_an_object_field_that_is_not_a_string_is_a_plain_column() -> None:
    # A user's own tool may return any JSON; only Stripe's string ``object`` marks a list envelope.
    frame = to_frame([{"id": "x", "object": {"a": 1}, "nested": {"object": {"b": 2}, "v": 1}}])
    assert list(frame["id"]) == ["x"]
    assert list(frame["nested.v"]) == [1]
    assert to_frame({"object": {"a": 1}, "data": [1]}).shape[0] == 1
