"""Every Stripe operation the sandbox knows, on objects held in memory: the store's parts composed.

:class:`StripeObjects` is what the seed data is written against; :class:`~.store.StripeStore` adds
what a running sandbox needs on top (the seed, a SQLite file, search), so the seed module depends on
the operations and the store on the seed, never the other way round.
"""

from __future__ import annotations

from stripe_nb_agent.sandbox.stripe.billing import BillingMixin
from stripe_nb_agent.sandbox.stripe.customers_products import CustomersProductsMixin
from stripe_nb_agent.sandbox.stripe.payments import PaymentsMixin

__all__ = ["StripeObjects"]


class StripeObjects(BillingMixin, PaymentsMixin, CustomersProductsMixin):
    """Stripe-shaped objects with Stripe's business rules, safe to share between threads and tasks."""
