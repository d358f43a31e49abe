"""The refund workflow: which payment "the last payment" means, and the refund itself.

"Refund $5 of the last payment" means the most recent payment that can still be refunded: it
succeeded, is not disputed, is in the requested currency and has at least the requested amount left
unrefunded. A PaymentIntent does not say how much of it was refunded; its charge does
(``amount_refunded``). So the generic tools list charges directly (one round), and the classic tools
list payment intents and fetch the newest candidates' charges in one parallel round.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from stripe_nb_agent.sandbox.model.answer import describe
from stripe_nb_agent.sandbox.model.flow import Context, Report, Workflow, need, one, step, stop
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.money import Money, format_money
from stripe_nb_agent.sandbox.model.toolbox import FETCH_TOOL, Call, Observation, as_list

__all__ = ["refund"]

# How many recent payments are considered, and how many charges the classic path fetches at most.
_LISTED = 20
_FETCHED = 5


@dataclass(frozen=True)
class _Pick:
    target: str
    notes: tuple[str, ...] = ()


def refund(ctx: Context, intent: Intent) -> Workflow:
    target = intent.ref if intent.ref and intent.ref != "it" else None
    if target is None and not intent.latest:
        target = ctx.recent("pi_", "ch_")
    notes: tuple[str, ...] = ()
    if target is None:
        pick = yield from _last_refundable(ctx, intent.money)
        target, notes = pick.target, pick.notes
    params: dict[str, Any] = {"charge" if target.startswith("ch_") else "payment_intent": target}
    if intent.money is not None:
        params["amount"] = intent.money.amount
    what = f"refund {intent.money} of {target}" if intent.money else f"refund {target}"
    obs = yield from step(ctx, "PostRefunds", params, what)
    return Report(
        f"Refunded: {describe({'object': 'refund', **one(obs)})} for payment `{target}`.", notes=notes
    )


def _last_refundable(ctx: Context, want: Money | None) -> Generator[list[Call], list[Observation], _Pick]:
    what = "find your last refundable payment"
    if ctx.box.profile == "generic":
        obs = yield from step(ctx, "GetCharges", {"limit": _LISTED}, what)
        charges = as_list(obs.data)
        if not charges:
            raise stop("There is no payment to refund.")
        return _choose([(_charge_target(c), c) for c in charges], want, checked=len(charges))
    obs = yield from step(ctx, "GetPaymentIntents", {"limit": _LISTED}, what)
    intents = [p for p in as_list(obs.data) if p.get("status") == "succeeded"]
    if want is not None:
        intents = [p for p in intents if str(p.get("currency", "")).lower() == want.currency]
    if not intents:
        raise stop(_none_left(want, 0))
    candidates = intents[:_FETCHED]
    known: dict[str, dict[str, Any]] = {
        str(p["id"]): p["latest_charge"] for p in candidates if isinstance(p.get("latest_charge"), dict)
    }
    unknown = [p for p in candidates if str(p["id"]) not in known and isinstance(p.get("latest_charge"), str)]
    fetch = [ctx.box.tool(FETCH_TOOL, {"id": p["latest_charge"]}) for p in unknown]
    if unknown and all(isinstance(f, Call) and not f.missing for f in fetch):
        fetched = yield [need(f, what) for f in fetch]
        for p, result in zip(unknown, fetched, strict=True):
            if result.ok and isinstance(one(result).get("amount_refunded"), int):
                known[str(p["id"])] = one(result)
    elif unknown:
        # No way to read the charges here: refund the newest successful payment and say it is unchecked.
        return _Pick(
            str(candidates[0]["id"]),
            (
                f"`{FETCH_TOOL}` is not offered here, so I could not check how much of "
                f"`{candidates[0]['id']}` was already refunded.",
            ),
        )
    pairs = [(str(p["id"]), known[str(p["id"])]) for p in candidates if str(p["id"]) in known]
    return _choose(pairs, want, checked=len(candidates))


def _charge_target(charge: dict[str, Any]) -> str:
    # Refund by payment intent when there is one: both profiles' refund tools take it.
    return str(charge.get("payment_intent") or charge["id"])


def _left(charge: dict[str, Any]) -> int:
    amount = charge.get("amount")
    refunded = charge.get("amount_refunded") or 0
    return amount - refunded if isinstance(amount, int) and isinstance(refunded, int) else 0


def _refundable(charge: dict[str, Any], want: Money | None) -> bool:
    # Stripe refuses refunds on a disputed charge (the dispute decides the money), so skip those too.
    if charge.get("status") != "succeeded" or charge.get("disputed") or charge.get("refunded"):
        return False
    if want is None:
        return _left(charge) > 0
    return str(charge.get("currency", "")).lower() == want.currency and _left(charge) >= want.amount


def _choose(pairs: list[tuple[str, dict[str, Any]]], want: Money | None, *, checked: int) -> _Pick:
    """The newest payment whose charge can take the refund; newer ones skipped are named in a note."""
    for n, (target, charge) in enumerate(pairs):
        if not _refundable(charge, want):
            continue
        skipped = [t for t, _ in pairs[:n] if t != target]
        if not skipped:
            return _Pick(target)
        newer = ", ".join(f"`{t}`" for t in skipped)
        left = format_money(_left(charge), str(charge.get("currency") or "usd"))
        return _Pick(
            target,
            (
                f"Newer payments ({newer}) could not take this refund (already refunded, disputed, not "
                f"succeeded or in another currency), so I refunded `{target}`, which had {left} left.",
            ),
        )
    raise stop(_none_left(want, checked))


def _none_left(want: Money | None, checked: int) -> str:
    how_much = f"{want} left to refund" if want else "anything left to refund"
    scope = f"None of your {checked} most recent payments" if checked else "None of your recent payments"
    return (
        f"{scope} has {how_much} (they are already refunded, disputed, failed or in another "
        "currency), so I did not create a refund. Name the payment to refund, e.g. *refund $5 of pi_…*."
    )
