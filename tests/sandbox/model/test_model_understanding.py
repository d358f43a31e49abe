"""The phrasebook reader: held-out accuracy, asking on close readings, determinism, the fallback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from helpers import classic_tools, user

from stripe_nb_agent.config import resolve_settings
from stripe_nb_agent.sandbox.model.intents import parse_intents
from stripe_nb_agent.sandbox.model.planner import DISCLOSURE, plan_reply
from stripe_nb_agent.sandbox.model.understand import (
    FALLBACK_NOTE,
    Reader,
    Reading,
    build_vectors,
    evaluate,
    load_phrasebook,
    mask,
    reader,
    shipped_vectors,
    understanding,
)
from stripe_nb_agent.wiring import describe_services


def installed_reader() -> Reader:
    found = reader()
    assert found is not None, "the embedding extra is installed in the dev environment"
    return found


def test_the_phrasebook_has_many_phrasings_per_kind_and_a_held_out_split() -> None:
    book = load_phrasebook()
    train, held_out = book.size()
    assert len(book.entries) >= 20
    assert all(len(e.train) >= 10 and len(e.held_out) >= 4 for e in book.entries)
    assert train >= 400
    assert held_out >= 100
    # No held-out example is also a train example (after masking ids and emails).
    seen = {mask(t).lower() for e in book.entries for t in e.train}
    assert not [t for e in book.entries for t in e.held_out if mask(t).lower() in seen]


REBUILD = "the phrasebook changed: run scripts/build_phrasebook_vectors.py and commit phrasebook.npz"


def test_the_shipped_vectors_are_the_phrasebooks_and_the_reader_uses_them() -> None:
    shipped = shipped_vectors()
    found = installed_reader()
    assert shipped is not None
    assert shipped.fits(load_phrasebook(), found.embedder), REBUILD
    assert np.array_equal(found.vectors.train, shipped.train)
    assert np.array_equal(found.vectors.weights, shipped.weights)


def test_the_shipped_vectors_are_the_embeddings_of_the_train_phrasings() -> None:
    shipped = shipped_vectors()
    assert shipped is not None
    book = load_phrasebook()
    texts = [mask(t) for e in book.entries for t in e.train]
    rows = [0, len(texts) // 2, len(texts) - 1]
    fresh = installed_reader().embedder.encode([texts[i] for i in rows])
    assert (np.sum(fresh * shipped.train[rows], axis=1) > 0.9999).all()


@dataclass(frozen=True)
class Embedded:
    """An embedder that has already embedded the train phrasings (a real implementation of encode)."""

    rows: Any
    files: Any

    def encode(self, texts: list[str]) -> Any:
        assert len(texts) == len(self.rows)
        return self.rows


def test_the_shipped_read_out_is_the_fit_of_the_shipped_embeddings() -> None:
    shipped = shipped_vectors()
    assert shipped is not None
    refit = build_vectors(Embedded(shipped.train, installed_reader().embedder.files))
    assert refit.fits(load_phrasebook(), installed_reader().embedder)
    assert np.allclose(refit.weights, shipped.weights, atol=1e-4)
    assert np.allclose(refit.bias, shipped.bias, atol=1e-4)


def test_held_out_phrasings_are_read_right_at_least_nine_times_in_ten() -> None:
    result = evaluate(installed_reader())
    assert result.accuracy >= 0.90, result.table()


def test_reading_a_request_is_deterministic() -> None:
    found = installed_reader()
    text = "give the customer back $12 for the latest payment"
    assert found.readings(text) == found.readings(text)
    assert found.readings(text)[0].kind == "refund"


def test_unrelated_text_reads_as_nothing() -> None:
    assert installed_reader().readings("what is the weather in Paris") == []


@dataclass(frozen=True)
class Fixed:
    """A reader that always gives the same readings (a real implementation of the Read seam)."""

    readings_: tuple[Reading, ...]

    def __call__(self, text: str) -> tuple[Reading, ...]:
        return self.readings_


def test_close_readings_that_disagree_on_writing_are_marked_unsure() -> None:
    close = Fixed((Reading("refund", 0.5), Reading("list_payments", 0.4)))
    (intent,) = parse_intents("refund the last payment", close)
    assert intent.unsure == ("refund", "list_payments")
    clear = Fixed((Reading("refund", 0.95), Reading("list_payments", 0.03)))
    assert parse_intents("refund the last payment", clear)[0].unsure == ()


def test_a_write_read_with_little_confidence_is_marked_unsure() -> None:
    weak = Fixed((Reading("create_product", 0.4), Reading("list_payments", 0.1), Reading("docs", 0.01)))
    (intent,) = parse_intents("show me all purchases above $100", weak)
    assert intent.unsure == ("create_product", "list_payments")


def test_a_question_read_as_a_write_is_marked_unsure() -> None:
    sure_write = Fixed((Reading("create_invoice", 0.9), Reading("list_invoices", 0.05)))
    (intent,) = parse_intents("how much did I bill Grace Hopper", sure_write)
    assert intent.unsure == ("create_invoice", "list_invoices")
    assert parse_intents("bill Grace Hopper $50", sure_write)[0].unsure == ()


def test_an_unsure_request_gets_a_question_listing_the_readings_and_no_tool_call() -> None:
    plan = plan_reply([user("payments refund")], classic_tools())
    assert plan.tool_calls == ()
    assert "Did you mean one of these?" in plan.content
    assert "refund" in plan.content
    assert "I did nothing" in plan.content


def test_the_same_conversation_gives_the_same_plan() -> None:
    messages = [user("make a customer called Ada Lovelace with email ada@example.com")]
    first = plan_reply(messages, classic_tools())
    assert plan_reply(messages, classic_tools()) == first
    assert first.tool_calls[0].arguments == {"name": "Ada Lovelace", "email": "ada@example.com"}


def test_the_stand_in_says_which_reader_it_runs() -> None:
    assert "phrasebook" in understanding()
    assert "phrasebook" in DISCLOSURE
    assert "weaker fallback" in FALLBACK_NOTE
    note = describe_services(resolve_settings(mode="sandbox", environ={}), None)[0].note
    assert "stand-in, not a language model" in note
    assert "phrasebook" in note


def test_the_keyword_fallback_still_reads_the_basic_requests() -> None:
    kinds = [i.kind for i in parse_intents("show my balance and my last 3 customers", "rules")]
    assert kinds == ["balance", "list_customers"]
