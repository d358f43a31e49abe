"""One workflow per kind of request: the tool calls it makes, round by round, and its report.

A workflow is a generator: it yields the calls of one round, receives their observations and
finally returns a :class:`Report`. The planner is stateless: every request replays the workflow
over the tool results already in the conversation, so the next round (or the answer) follows from
the messages alone. A failed call ends the workflow with a report of the failure, never a retry.
The parts live in :mod:`.flow` (report, context, checked calls), :mod:`.reads` and :mod:`.writes`;
this module maps each request kind to its workflow.
"""

from __future__ import annotations

from collections.abc import Callable

from stripe_nb_agent.sandbox.model import lists, reads, refunds, writes
from stripe_nb_agent.sandbox.model.flow import Context, Report, Stop, Workflow
from stripe_nb_agent.sandbox.model.intents import Intent

__all__ = ["Context", "Report", "Stop", "Workflow", "workflow_for"]

_WORKFLOWS: dict[str, Callable[[Context, Intent], Workflow]] = {
    "balance": reads.balance,
    "account": reads.account,
    "docs": reads.docs,
    "list_customers": lists.list_customers,
    "find_customer": reads.find_customer,
    "create_customer": writes.create_customer,
    "create_product": writes.create_product,
    "list_products": lists.simple_list("GetProducts", "products", "list your products"),
    "create_price": writes.create_price,
    "list_prices": lists.list_prices,
    "create_payment_link": writes.create_payment_link,
    "create_invoice": writes.create_invoice,
    "list_invoices": lists.list_invoices,
    "finalize_invoice": writes.finalize_invoice,
    "refund": refunds.refund,
    "list_payments": lists.list_payments,
    "list_subscriptions": lists.list_subscriptions,
    "cancel_subscription": writes.cancel_subscription,
    "update_subscription": writes.update_subscription,
    "create_coupon": writes.create_coupon,
    "list_coupons": lists.simple_list("GetCoupons", "coupons", "list coupons"),
    "list_disputes": lists.list_disputes,
    "update_dispute": writes.update_dispute,
}


def workflow_for(ctx: Context, intent: Intent) -> Workflow | None:
    """The workflow of a tool-using request, or None for chat (greetings, help)."""
    make = _WORKFLOWS.get(intent.kind)
    return make(ctx, intent) if make else None
