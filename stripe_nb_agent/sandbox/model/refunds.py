"""The refund workflow: which payment is meant, whether it can take the refund, and the refund itself.

A refund never moves to another payment. "Refund $5 of the last payment" means the newest payment;
if it cannot take the refund (failed, already refunded, disputed, another currency, too little
left), the answer says why and stops, naming the newest payment that could, for the user to choose.
A PaymentIntent does not say how much of it was refunded; its charge does (``amount_refunded``). So
the generic tools list charges directly (one round), and the classic tools list payment intents and
fetch the newest candidates' charges in one parallel round.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from stripe_nb_agent.money import Money, format_amount
from stripe_nb_agent.sandbox.model.answer import describe
from stripe_nb_agent.sandbox.model.flow import Context, Report, Workflow, ask, need, one, step, stop
from stripe_nb_agent.sandbox.model.intents import Intent
from stripe_nb_agent.sandbox.model.offered_tools import FETCH_TOOL, Call, Observation, as_list

__all__ = ["refund"]

# How many recent payments are considered, and how many charges the classic path fetches at most.
_LISTED = 20
_FETCHED = 5


def refund(ctx: Context, intent: Intent) -> Workflow:
    if intent.unclear:
        raise ask(
            f"How much should I refund? I could not read an amount in {intent.unclear!r}. Say e.g. "
            "*refund $5 of the last payment*, or *refund the full payment*."
        )
    target = intent.ref if intent.ref and intent.ref != "it" else None
    if intent.ref == "it":
        target = ctx.recent("pi_", "ch_")
        if target is None:
            raise ask(
                "Which payment should I refund? Several were mentioned: name one, e.g. *refund $5 of pi_…*."
            )
    if target is None and not intent.latest:
        raise ask(
            "Which payment should I refund? Name it, e.g. *refund $5 of pi_…* or "
            "*refund $5 of the last payment*."
        )
    if target is None:
        target = yield from _newest(ctx, intent.money)
    params: dict[str, Any] = {"charge" if target.startswith("ch_") else "payment_intent": target}
    if intent.money is not None:
        params["amount"] = intent.money.amount
    what = f"refund {intent.money} of {target}" if intent.money else f"refund {target}"
    obs = yield from step(ctx, "PostRefunds", params, what)
    return Report(f"Refunded: {describe({'object': 'refund', **one(obs)})} for payment `{target}`.")


def _newest(ctx: Context, want: Money | None) -> Generator[list[Call], list[Observation], str]:
    """The newest payment, when it can take the refund; otherwise stop and say why."""
    what = "find your last payment"
    if ctx.box.profile == "generic":
        obs = yield from step(ctx, "GetCharges", {"limit": _LISTED}, what)
        charges = as_list(obs.data)
        if not charges:
            raise stop("There is no payment to refund.")
        return _check_newest([(_charge_target(c), c) for c in charges], want)
    obs = yield from step(ctx, "GetPaymentIntents", {"limit": _LISTED}, what)
    intents = as_list(obs.data)
    if not intents:
        raise stop("There is no payment to refund.")
    newest = intents[0]
    if newest.get("status") != "succeeded":
        raise stop(_cannot(str(newest["id"]), f"its status is {newest.get('status')!r}, not succeeded", want))
    # The newest payment, and a few more to name one that could take the refund if it cannot.
    others = [p for p in intents[1:] if p.get("status") == "succeeded"]
    candidates = [newest, *others[: _FETCHED - 1]]
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
    if str(newest["id"]) not in known:
        # The charge cannot be read here: Stripe itself refuses a refund the payment cannot take.
        return str(newest["id"])
    pairs = [(str(p["id"]), known[str(p["id"])]) for p in candidates if str(p["id"]) in known]
    return _check_newest(pairs, want)


def _charge_target(charge: dict[str, Any]) -> str:
    # Refund by payment intent when there is one: both profiles' refund tools take it.
    return str(charge.get("payment_intent") or charge["id"])


def _left(charge: dict[str, Any]) -> int:
    amount = charge.get("amount")
    refunded = charge.get("amount_refunded") or 0
    return amount - refunded if isinstance(amount, int) and isinstance(refunded, int) else 0


def _why_not(charge: dict[str, Any], want: Money | None) -> str | None:
    """Why this charge cannot take the refund, or None when it can."""
    if charge.get("status") != "succeeded":
        return f"its status is {charge.get('status')!r}, not succeeded"
    if charge.get("refunded"):
        return "it is already fully refunded"
    # Stripe refuses refunds on a disputed charge (the dispute decides the money).
    if charge.get("disputed"):
        return "it is disputed"
    left = _left(charge)
    currency = str(charge.get("currency") or "usd").lower()
    if want is not None and currency != want.currency:
        return f"it is in {currency.upper()}, not {want.currency.upper()}"
    if left <= 0 or (want is not None and left < want.amount):
        return f"it has only {format_amount(left, currency)} left to refund"
    return None


def _check_newest(pairs: list[tuple[str, dict[str, Any]]], want: Money | None) -> str:
    target, charge = pairs[0]
    why = _why_not(charge, want)
    if why is None:
        return target
    alternative = next((t for t, c in pairs[1:] if _why_not(c, want) is None and t != target), None)
    raise stop(_cannot(target, why, want, alternative))


def _cannot(target: str, why: str, want: Money | None, alternative: str | None = None) -> str:
    amount = f"{want} of " if want else ""
    text = (
        f"Your most recent payment, `{target}`, can't take this refund: {why}. I did not refund anything, "
        "and I won't move the refund to another payment on my own."
    )
    if alternative:
        text += (
            f" The newest payment that could take it is `{alternative}`: say "
            f"*refund {amount}{alternative}* if you mean that one."
        )
    return text
