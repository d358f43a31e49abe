"""The planner against the real Stripe sandbox over MCP: whole requests, real tool schemas and results."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anyio
import mcp
import pytest

from stripe_nb_agent.sandbox.model.answer import describe
from stripe_nb_agent.sandbox.model.offered_tools import OfferedTools
from stripe_nb_agent.sandbox.model.planner import examples_for, plan_reply
from stripe_nb_agent.sandbox.stripe import StripeStore, build_stripe_sandbox_server

pytestmark = pytest.mark.anyio


@dataclass
class Turn:
    answer: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def called(self, name: str) -> list[dict[str, Any]]:
        return [args for n, args in self.calls if n == name]

    def ops(self) -> list[str]:
        return [a.get("stripe_api_operation_id", n) for n, a in self.calls]


async def ask(
    profile: str, text: str, store: StripeStore, history: list[dict[str, Any]] | None = None
) -> Turn:
    """Drive the planner like the agent does: its tool calls go to the sandbox's MCP server."""
    async with mcp.Client(build_stripe_sandbox_server(profile, store)) as client:
        with anyio.fail_after(10):
            listed = await client.list_tools()
        tools = [
            {"type": "function", "function": {"name": t.name, "parameters": t.input_schema}}
            for t in listed.tools
        ]
        turn = Turn("", messages=[*(history or []), {"role": "user", "content": text}])
        for n in range(10):
            plan = plan_reply(turn.messages, tools)
            if not plan.tool_calls:
                turn.answer = plan.content
                turn.messages.append({"role": "assistant", "content": plan.content})
                return turn
            ids = [f"call_{n}_{i}" for i in range(len(plan.tool_calls))]
            turn.messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": i,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments_json},
                        }
                        for i, c in zip(ids, plan.tool_calls, strict=True)
                    ],
                }
            )
            for call_id, call in zip(ids, plan.tool_calls, strict=True):
                with anyio.fail_after(10):
                    result = await client.call_tool(call.name, dict(call.arguments))
                content = result.content[0].text  # type: ignore[union-attr]
                turn.calls.append((call.name, dict(call.arguments)))
                if result.is_error or content.startswith('"Failed'):
                    turn.errors.append(content)
                turn.messages.append({"role": "tool", "tool_call_id": call_id, "content": content})
    raise AssertionError("the planner never answered")


def newest_payment(store: StripeStore) -> dict[str, Any]:
    return store.list_payment_intents(limit=1)["data"][0]


def charge_of(store: StripeStore, payment_intent: str) -> dict[str, Any]:
    return store.fetch(store.fetch(payment_intent)["latest_charge"])


# -- coupons --------------------------------------------------------------------------------------


async def test_a_percent_coupon_is_not_attempted_with_the_classic_amount_off_only_tool() -> None:
    store = StripeStore()
    before = len(store.list_coupons(limit=100)["data"])
    turn = await ask("classic", "create a 20% off coupon for 3 months", store)
    assert turn.calls == []
    assert "only creates amount-off coupons" in turn.answer
    assert "*create a $5 off coupon for 3 months*" in turn.answer
    assert "stripe_api_write" not in turn.answer
    assert len(store.list_coupons(limit=100)["data"]) == before


async def test_an_amount_off_coupon_fits_the_classic_schema_and_gets_a_sensible_name() -> None:
    store = StripeStore()
    turn = await ask("classic", "create a $5 off coupon for 3 months", store)
    assert turn.errors == []
    assert turn.called("create_coupon") == [
        {
            "name": "5 USD off",
            "amount_off": 500,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 3,
        }
    ]
    coupon = store.list_coupons(limit=1)["data"][0]
    assert (coupon["name"], coupon["amount_off"], coupon["duration_in_months"]) == ("5 USD off", 500, 3)
    assert "$5.00 off for 3 months" in turn.answer


async def test_a_percent_coupon_goes_through_post_coupons_with_the_generic_tools() -> None:
    store = StripeStore()
    turn = await ask("generic", "create a 20% off coupon for 3 months", store)
    assert turn.errors == []
    assert turn.ops() == ["PostCoupons"]
    assert store.list_coupons(limit=1)["data"][0]["percent_off"] == 20
    assert "20% off for 3 months" in turn.answer


def _tools(profile: str) -> list[dict[str, Any]]:
    from stripe_nb_agent.sandbox.stripe.server import profile_tools

    return [
        {"type": "function", "function": {"name": t.name, "parameters": dict(t.input_schema)}}
        for t in profile_tools(profile).values()
    ]


def test_help_text_suggests_only_requests_the_offered_tools_can_do() -> None:
    classic = plan_reply([{"role": "user", "content": "what can you do?"}], _tools("classic")).content
    generic = plan_reply([{"role": "user", "content": "what can you do?"}], _tools("generic")).content
    assert "20% off" not in classic
    assert "$5 off coupon" in classic
    assert "a month" not in classic  # classic create_price makes one-time prices only
    assert "20% off coupon" in generic
    assert "$20 a month" in generic


def test_read_only_tools_get_no_write_examples() -> None:
    read_only = [
        t for t in _tools("classic") if t["function"]["name"].startswith(("list_", "retrieve_", "search_"))
    ]
    shown = examples_for(OfferedTools.from_request(read_only))
    assert shown
    assert not any(e.startswith(("create", "refund")) for e in shown)


# -- refunds --------------------------------------------------------------------------------------


def refunds_made(turn: Turn) -> list[dict[str, Any]]:
    return turn.called("create_refund") + [
        a["parameters"] for n, a in turn.calls if a.get("stripe_api_operation_id") == "PostRefunds"
    ]


def writes_made(turn: Turn) -> list[str]:
    return [
        a.get("stripe_api_operation_id", n)
        for n, a in turn.calls
        if n == "stripe_api_write" or n.startswith(("create_", "finalize_", "update_", "cancel_"))
    ]


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_a_refund_of_the_most_recent_payment_never_moves_to_an_older_one(profile: str) -> None:
    store = StripeStore()
    newest = newest_payment(store)
    assert charge_of(store, newest["id"])["refunded"]  # the seed's newest payment is fully refunded
    refunds_before = store.list_refunds(limit=100)["data"]
    turn = await ask(profile, "refund 10 dollars of the most recent payment", store)
    assert turn.errors == []
    assert refunds_made(turn) == []
    assert f"`{newest['id']}`" in turn.answer
    assert "already fully refunded" in turn.answer
    assert "did not refund anything" in turn.answer
    # The answer names a payment that could take it, for the user to choose; nothing moved on its own.
    assert "say *refund $10.00 of pi_" in turn.answer
    assert store.list_refunds(limit=100)["data"] == refunds_before


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_a_refund_of_the_most_recent_payment_refunds_it_when_it_can(profile: str) -> None:
    store = StripeStore()
    customer = store.list_customers(limit=1)["data"][0]["id"]
    fresh = store.create_payment_intent(
        2500, "usd", customer=customer, payment_method="pm_card_visa", confirm=True
    )
    turn = await ask(profile, "refund $5 of the last payment", store)
    assert turn.errors == []
    (refund_args,) = refunds_made(turn)
    assert (refund_args["payment_intent"], refund_args["amount"]) == (fresh["id"], 500)
    assert "Refunded: refund" in turn.answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_an_amount_it_cannot_read_is_asked_for_not_refunded_in_full(profile: str) -> None:
    store = StripeStore()
    turn = await ask(profile, "refund {amount} of the last payment", store)
    assert turn.calls == []
    assert "How much should I refund?" in turn.answer
    assert "{amount}" in turn.answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_a_refund_naming_no_payment_asks_which_one(profile: str) -> None:
    store = StripeStore()
    listed = await ask(profile, "list my last 5 payments", store)
    turn = await ask(profile, "refund $5", store, listed.messages)
    assert refunds_made(turn) == []
    assert "Which payment should I refund?" in turn.answer


async def test_classic_refund_reads_the_charges_of_recent_payments_in_one_round() -> None:
    store = StripeStore()
    customer = store.list_customers(limit=1)["data"][0]["id"]
    store.create_payment_intent(2500, "usd", customer=customer, payment_method="pm_card_visa", confirm=True)
    turn = await ask("classic", "refund $5 of the last payment", store)
    names = [n for n, _ in turn.calls]
    assert names[0] == "list_payment_intents"
    assert names[-1] == "create_refund"
    assert set(names[1:-1]) == {"fetch_stripe_resources"}
    assert all(a["id"].startswith("ch_") for a in turn.called("fetch_stripe_resources"))


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_when_the_newest_payment_has_too_little_left_it_says_so_instead_of_refunding(
    profile: str,
) -> None:
    store = StripeStore()
    customer = store.list_customers(limit=1)["data"][0]["id"]
    store.create_payment_intent(2500, "usd", customer=customer, payment_method="pm_card_visa", confirm=True)
    turn = await ask(profile, "refund $50000 of the last payment", store)
    assert turn.errors == []
    assert refunds_made(turn) == []
    assert "did not refund anything" in turn.answer
    assert "only $25.00 left to refund" in turn.answer


# -- invoices -------------------------------------------------------------------------------------


async def converse(profile: str, store: StripeStore, *texts: str) -> list[Turn]:
    turns: list[Turn] = []
    for text in texts:
        turns.append(await ask(profile, text, store, turns[-1].messages if turns else None))
    return turns


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_an_invoice_for_a_name_two_customers_share_asks_which_and_writes_nothing(profile: str) -> None:
    store = StripeStore()  # the seed already has an Ada Lovelace (ada.lovelace@example.com)
    *_, turn = await converse(
        profile,
        store,
        "make a customer called Ada Lovelace with email ada@example.com",
        "list my last 5 payments",
        "draft an invoice for Ada Lovelace for 2 hours of consulting at $150/hour and finalize it",
    )
    invoices_before = store.list_invoices(limit=100)["data"]
    assert writes_made(turn) == []
    if profile == "classic":
        # Classic invoice items take only a price: said before any look-up or write.
        assert "only adds an existing price" in turn.answer
    else:
        assert "2 customers match 'Ada Lovelace'" in turn.answer
        assert "ada@example.com" in turn.answer
        assert "ada.lovelace@example.com" in turn.answer
    assert store.list_invoices(limit=100)["data"] == invoices_before


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_an_invoice_for_a_unique_name_goes_to_that_customer_never_the_last_id_in_context(
    profile: str,
) -> None:
    store = StripeStore()
    _first, _listed, turn = await converse(
        profile,
        store,
        "make a customer called Grace Brewster with email grace@example.com",
        "list my last 5 payments",
        "draft an invoice for Grace Brewster for 2 hours of consulting at $150/hour and finalize it",
    )
    grace = store.search("customers", 'email:"grace@example.com"')["data"][0]
    if profile == "classic":
        # Classic invoice items take only a price: it says so before creating anything.
        assert writes_made(turn) == []
        assert "only adds an existing price" in turn.answer
        return
    assert turn.errors == []
    assert writes_made(turn) == ["PostInvoices", "PostInvoiceitems", "PostInvoicesInvoiceFinalize"]
    invoice = store.list_invoices(limit=1)["data"][0]
    assert invoice["customer"] == grace["id"]
    assert invoice["amount_due"] == 30000
    assert "Grace Brewster" in turn.answer
    assert "$300.00 due" in turn.answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_an_invoice_for_an_unknown_name_offers_to_create_the_customer(profile: str) -> None:
    store = StripeStore()
    turn = await ask(profile, "create an invoice for Zed Nobody for the Premium Plan", store)
    assert writes_made(turn) == []
    assert "I found no customer 'Zed Nobody'" in turn.answer
    assert "*create a customer Zed Nobody*" in turn.answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_an_invoice_naming_no_customer_asks_instead_of_using_the_last_id(profile: str) -> None:
    store = StripeStore()
    *_, turn = await converse(profile, store, "list my last 3 customers", "create an invoice for $50")
    assert writes_made(turn) == []
    assert "Who is the invoice for?" in turn.answer


async def test_an_invoice_for_that_customer_uses_the_one_customer_pointed_at() -> None:
    store = StripeStore()
    _first, turn = await converse(
        "generic",
        store,
        "create a customer Hedy Brewer with email hedy@example.com",
        "invoice that customer for $50",
    )
    hedy = store.search("customers", 'email:"hedy@example.com"')["data"][0]
    assert writes_made(turn)[0] == "PostInvoices"
    assert store.list_invoices(limit=1)["data"][0]["customer"] == hedy["id"]


async def test_classic_invoice_chain_reports_the_amount_due_from_the_price_it_added() -> None:
    store = StripeStore()
    email = store.list_customers(limit=1)["data"][0]["email"]
    first = await ask("classic", "create a product Desk Lamp at $20", store)
    turn = await ask(
        "classic", f"create an invoice for {email} for the Desk Lamp and finalize it", store, first.messages
    )
    assert turn.errors == []
    assert "open, $20.00 due" in turn.answer
    assert "?" not in turn.answer
    invoice = store.fetch(turn.called("finalize_invoice")[0]["invoice"])
    assert invoice["amount_due"] == 2000


async def test_finalizing_by_id_fetches_the_trimmed_invoice_for_its_amount() -> None:
    store = StripeStore()
    customer = store.list_customers(limit=1)["data"][0]["id"]
    price = store.create_price(store.create_product("Mug")["id"], 1250, "usd")
    draft = store.create_invoice(customer, days_until_due=30)
    store.create_invoice_item(customer, price=price["id"], invoice=draft["id"])
    turn = await ask("classic", f"finalize {draft['id']}", store)
    assert [n for n, _ in turn.calls] == ["finalize_invoice", "fetch_stripe_resources"]
    assert "open, $12.50 due" in turn.answer


@pytest.mark.parametrize("profile", ["classic", "generic"])
async def test_invoicing_a_product_with_only_recurring_prices_is_explained_or_billed_once(
    profile: str,
) -> None:
    store = StripeStore()
    email = store.list_customers(limit=1)["data"][0]["email"]
    turn = await ask(profile, f"create an invoice for {email} for the Premium Plan and finalize it", store)
    assert turn.errors == []
    if profile == "classic":
        assert "only has recurring prices" in turn.answer
        assert "create_invoice" not in [n for n, _ in turn.calls]
    else:
        assert "invoiced its amount once" in turn.answer
        assert " due" in turn.answer
        assert "?" not in turn.answer


# -- prices ---------------------------------------------------------------------------------------


async def test_a_monthly_price_in_classic_is_one_time_and_the_note_names_no_unoffered_tool() -> None:
    store = StripeStore()
    turn = await ask("classic", "create a product Premium Plan at $20 a month", store)
    assert turn.errors == []
    assert "one-time price" in turn.answer
    assert "stripe_api_write" not in turn.answer
    assert "not offered in this chat" in turn.answer


def test_trimmed_results_leave_fields_out_instead_of_printing_question_marks() -> None:
    shapes = [
        {"object": "invoice", "id": "in_1", "url": None, "customer": "cus_1", "status": "open"},
        {"object": "payment_link", "id": "plink_1"},
        {"object": "refund", "id": "re_1"},
        {"object": "price", "id": "price_1"},
        {"object": "coupon", "id": "c1", "duration": "repeating"},
        {"object": "dispute", "id": "dp_1"},
        {"object": "subscription", "id": "sub_1"},
        {"object": "product", "id": "prod_1"},
        {"object": "payment_intent", "id": "pi_1"},
    ]
    for shape in shapes:
        line = describe(shape)
        assert "?" not in line, line
        assert shape["id"] in line


async def test_classic_account_answer_shows_the_account_id() -> None:
    turn = await ask("classic", "show my account details", StripeStore())
    assert "acct_" in turn.answer
    assert "?" not in turn.answer


def test_the_same_conversation_gives_the_same_refund_plan() -> None:
    tools = _tools("classic")
    messages = [{"role": "user", "content": "refund $5 of the last payment"}]
    assert plan_reply(messages, tools) == plan_reply(messages, tools)
    assert json.dumps([c.arguments_json for c in plan_reply(messages, tools).tool_calls])


# -- qualifiers -----------------------------------------------------------------------------------

BOTH = pytest.mark.parametrize("profile", ["classic", "generic"])


def answer_rows(answer: str) -> list[str]:
    return [line for line in answer.splitlines() if line.startswith("| `")]


@BOTH
async def test_failed_payments_are_only_the_failed_ones_and_the_local_filter_is_said(profile: str) -> None:
    turn = await ask(profile, "list failed payments", StripeStore())
    rows = answer_rows(turn.answer)
    assert rows
    assert all("requires_payment_method" in row for row in rows)
    assert "can't filter by status" in turn.answer
    assert turn.answer.startswith(f"{len(rows)} failed payments")


@BOTH
async def test_an_amount_threshold_is_applied_to_the_fetched_payments_and_said(profile: str) -> None:
    store = StripeStore()
    turn = await ask(profile, "payments over $500", store)
    big = [
        p
        for p in store.list_payment_intents(limit=100)["data"]
        if p["currency"] == "usd" and p["amount"] > 50000
    ]
    assert turn.answer.startswith(f"{len(big)} payments over $500.00")
    assert "can't filter by amount" in turn.answer


@BOTH
async def test_top_customers_by_spend_are_ranked_from_payments_with_names(profile: str) -> None:
    turn = await ask(profile, "top 3 customers by total spend", StripeStore())
    assert turn.answer.startswith("Top 3 customers by spend:")
    rows = [line for line in turn.answer.splitlines() if "(`cus_" in line]
    assert len(rows) == 3
    assert "I added up your 100 newest payments myself" in turn.answer


@BOTH
async def test_how_many_answers_with_a_count(profile: str) -> None:
    store = StripeStore()
    turn = await ask(profile, "how many customers do I have?", store)
    total = len(store.list_customers(limit=100)["data"])
    assert turn.answer.startswith(f"You have {total} customers.")
    assert not any(n == "search_stripe_documentation" for n, _ in turn.calls)


@BOTH
async def test_a_yes_no_question_leads_with_the_answer(profile: str) -> None:
    store = StripeStore()
    disputes = store.list_disputes(limit=100)["data"]
    waiting = [d for d in disputes if d["status"] == "needs_response"]
    turn = await ask(profile, "are there any open disputes?", store)
    assert turn.answer.startswith(f"Yes — {len(disputes)} open disputes; {len(waiting)} need a response")


@BOTH
async def test_payments_are_listed_with_their_customers_names(profile: str) -> None:
    store = StripeStore()
    turn = await ask(profile, "list my last 3 payments", store)
    newest = store.list_payment_intents(limit=1)["data"][0]
    name = store.fetch(newest["customer"])["name"]
    assert f"{name} (`{newest['customer']}`)" in turn.answer


@BOTH
async def test_a_date_it_cannot_filter_by_is_said_aloud(profile: str) -> None:
    turn = await ask(profile, "show me the payments from last week", StripeStore())
    assert "I did not filter by date ('last week')" in turn.answer


async def test_reasoning_is_not_the_same_paragraph_every_round() -> None:
    store = StripeStore()
    tools = _tools("classic")
    turn = await ask("classic", "list my last 3 payments", store)
    reasonings = []
    for n in range(len(turn.messages)):
        if turn.messages[n]["role"] == "assistant":
            reasonings.append(plan_reply(turn.messages[:n], tools).reasoning)
    assert len(reasonings) >= 2
    assert len(set(reasonings)) == len(reasonings)
    assert sum("not a language model" in r for r in reasonings) == 1


@BOTH
async def test_it_after_a_list_of_several_payments_is_asked_about_not_the_last_id(profile: str) -> None:
    store = StripeStore()
    *_, turn = await converse(profile, store, "list my last 5 payments", "refund $5 of it")
    assert refunds_made(turn) == []
    assert "Several were mentioned" in turn.answer


@BOTH
async def test_it_after_one_payment_refunds_that_payment(profile: str) -> None:
    store = StripeStore()
    customer = store.list_customers(limit=1)["data"][0]["id"]
    paid = store.create_payment_intent(
        2500, "usd", customer=customer, payment_method="pm_card_visa", confirm=True
    )
    history = [
        {"role": "user", "content": f"keep {paid['id']} in mind"},
        {"role": "assistant", "content": f"Noted: `{paid['id']}`."},
    ]
    turn = await ask(profile, "refund $5 of it", store, history)
    assert [r["payment_intent"] for r in refunds_made(turn)] == [paid["id"]]


@BOTH
async def test_that_customer_after_a_list_of_customers_is_asked_about(profile: str) -> None:
    store = StripeStore()
    *_, turn = await converse(
        profile, store, "list my last 3 customers", "invoice that customer for the Premium Plan"
    )
    assert writes_made(turn) == []
    assert "Which customer" in turn.answer


def test_without_a_search_tool_a_customer_name_is_asked_for_as_an_email_or_id() -> None:
    tools = [t for t in _tools("classic") if t["function"]["name"] != "search_stripe_resources"]
    plan = plan_reply([{"role": "user", "content": "invoice Ada Lovelace for the Premium Plan"}], tools)
    assert plan.tool_calls == ()
    assert "can't look customers up by name" in plan.content
