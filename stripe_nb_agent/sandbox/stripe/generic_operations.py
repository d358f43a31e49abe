"""The Stripe API operations the ``generic`` profile exposes, by their OpenAPI operation ids.

Each operation carries its own JSON schema for ``parameters`` (path parameters included, under
Stripe's names: customer, invoice, intent, subscription_exposed_id, dispute). The order is the
order ``stripe_api_search`` ranks ties in.
"""

from __future__ import annotations

from stripe_nb_agent.sandbox.stripe.billing import SUBSCRIPTION_STATUSES
from stripe_nb_agent.sandbox.stripe.openapi_operation import (
    INTEGER,
    METADATA,
    PAGE,
    STRING,
    Operation,
    listing,
    on_object,
    op,
    pick,
)
from stripe_nb_agent.sandbox.stripe.store import StripeStore

__all__ = ["OPERATIONS", "Operation"]

_EVIDENCE = {
    "type": "object",
    "properties": {
        k: {"type": "string", "maxLength": 20000}
        for k in ("cancellation_policy_disclosure", "duplicate_charge_explanation", "uncategorized_text")
    },
    "additionalProperties": False,
}

_LIST: list[Operation] = [
    op("GetAccount", "GET", "/v1/account", "account", "Retrieve the account.", lambda s, p: dict(s.account)),
    op(
        "GetBalance",
        "GET",
        "/v1/balance",
        "balance",
        "Retrieve the balance (available and pending funds).",
        lambda s, p: s.retrieve_balance(),
    ),
    listing(
        "GetBalanceTransactions",
        "balance_transactions",
        "List balance transactions (charges, refunds, fees, dispute withdrawals).",
        StripeStore.list_balance_transactions,
        {"type": {"type": "string", "enum": ["charge", "refund", "adjustment"]}},
    ),
    listing(
        "GetCustomers",
        "customers",
        "List customers, optionally by email.",
        StripeStore.list_customers,
        {"email": STRING},
    ),
    op(
        "PostCustomers",
        "POST",
        "/v1/customers",
        "customers",
        "Create a customer.",
        lambda s, p: s.create_customer(
            p["name"], p.get("email"), metadata=p.get("metadata"), description=p.get("description")
        ),
        {
            "name": STRING,
            "email": {"type": "string", "format": "email"},
            "description": STRING,
            "metadata": METADATA,
        },
        ("name",),
    ),
    on_object(
        "GetCustomersCustomer",
        "GET",
        "/v1/customers/{customer}",
        "customers",
        "Retrieve a customer.",
        lambda s, v: s.retrieve("customer", v, "customer"),
    ),
    op(
        "PostCustomersCustomer",
        "POST",
        "/v1/customers/{customer}",
        "customers",
        "Update a customer's name, email, description or metadata.",
        lambda s, p: s.update_customer(p["customer"], **pick(p, "name", "email", "description", "metadata")),
        {
            "customer": STRING,
            "name": STRING,
            "email": {"type": "string", "format": "email"},
            "description": STRING,
            "metadata": METADATA,
        },
        ("customer",),
    ),
    on_object(
        "DeleteCustomersCustomer",
        "DELETE",
        "/v1/customers/{customer}",
        "customers",
        "Delete a customer permanently.",
        StripeStore.delete_customer,
    ),
    op(
        "GetCustomersSearch",
        "GET",
        "/v1/customers/search",
        "customers",
        'Search customers with Stripe search syntax, e.g. email:"ada@example.com" or name~"ada".',
        lambda s, p: s.search("customers", p["query"], limit=p.get("limit")),
        {"query": STRING, "limit": PAGE["limit"]},
        ("query",),
    ),
    listing(
        "GetProducts",
        "products",
        "List products.",
        StripeStore.list_products,
        {"active": {"type": "boolean"}},
    ),
    op(
        "PostProducts",
        "POST",
        "/v1/products",
        "products",
        "Create a product.",
        lambda s, p: s.create_product(p["name"], p.get("description"), metadata=p.get("metadata")),
        {"name": STRING, "description": STRING, "metadata": METADATA},
        ("name",),
    ),
    listing(
        "GetPrices",
        "prices",
        "List prices, optionally of one product.",
        StripeStore.list_prices,
        {"product": STRING},
    ),
    op(
        "PostPrices",
        "POST",
        "/v1/prices",
        "prices",
        "Create a price (one-time, or recurring with recurring.interval) for a product.",
        lambda s, p: s.create_price(
            p["product"],
            p["unit_amount"],
            p["currency"],
            recurring=p.get("recurring"),
            nickname=p.get("nickname"),
        ),
        {
            "product": STRING,
            "unit_amount": {"type": "integer", "minimum": 0},
            "currency": STRING,
            "nickname": STRING,
            "recurring": {
                "type": "object",
                "properties": {
                    "interval": {"type": "string", "enum": ["day", "week", "month", "year"]},
                    "interval_count": {"type": "integer", "minimum": 1},
                },
                "required": ["interval"],
                "additionalProperties": False,
            },
        },
        ("product", "unit_amount", "currency"),
    ),
    listing(
        "GetPaymentLinks",
        "payment_links",
        "List payment links.",
        StripeStore.list_payment_links,
    ),
    op(
        "PostPaymentLinks",
        "POST",
        "/v1/payment_links",
        "payment_links",
        "Create a payment link (a shareable checkout URL) for prices and quantities.",
        lambda s, p: s.create_payment_link(p["line_items"]),
        {
            "line_items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"price": STRING, "quantity": {"type": "integer", "minimum": 1}},
                    "required": ["price", "quantity"],
                    "additionalProperties": False,
                },
            }
        },
        ("line_items",),
    ),
    listing(
        "GetInvoices",
        "invoices",
        "List invoices, by customer or status.",
        StripeStore.list_invoices,
        {
            "customer": STRING,
            "status": {"type": "string", "enum": ["draft", "open", "paid", "uncollectible", "void"]},
        },
    ),
    op(
        "PostInvoices",
        "POST",
        "/v1/invoices",
        "invoices",
        "Create a draft invoice for a customer.",
        lambda s, p: s.create_invoice(
            p["customer"],
            days_until_due=p.get("days_until_due"),
            collection_method=p.get("collection_method"),
            description=p.get("description"),
            metadata=p.get("metadata"),
        ),
        {
            "customer": STRING,
            "days_until_due": {"type": "integer", "minimum": 0},
            "description": STRING,
            "collection_method": {"type": "string", "enum": ["charge_automatically", "send_invoice"]},
            "metadata": METADATA,
        },
        ("customer",),
    ),
    op(
        "PostInvoiceitems",
        "POST",
        "/v1/invoiceitems",
        "invoiceitems",
        "Create an invoice item from a one-time price or an amount and currency, "
        "optionally on a draft invoice.",
        lambda s, p: s.create_invoice_item(
            p["customer"], **pick(p, "price", "amount", "currency", "invoice", "quantity", "description")
        ),
        {
            "customer": STRING,
            "price": STRING,
            "amount": INTEGER,
            "currency": STRING,
            "invoice": STRING,
            "quantity": {"type": "integer", "minimum": 1},
            "description": STRING,
        },
        ("customer",),
    ),
    on_object(
        "PostInvoicesInvoiceFinalize",
        "POST",
        "/v1/invoices/{invoice}/finalize",
        "invoices",
        "Finalize a draft invoice: totals its items, numbers it, opens its hosted page.",
        StripeStore.finalize_invoice,
    ),
    listing(
        "GetPaymentIntents",
        "payment_intents",
        "List payment intents, optionally of one customer.",
        StripeStore.list_payment_intents,
        {"customer": STRING},
    ),
    on_object(
        "GetPaymentIntentsIntent",
        "GET",
        "/v1/payment_intents/{intent}",
        "payment_intents",
        "Retrieve a payment intent.",
        lambda s, v: s.retrieve("payment_intent", v, "intent"),
    ),
    op(
        "PostPaymentIntents",
        "POST",
        "/v1/payment_intents",
        "payment_intents",
        "Create a payment intent; confirm with payment_method pm_card_visa to charge it at once.",
        lambda s, p: s.create_payment_intent(
            p["amount"],
            p["currency"],
            **pick(p, "customer", "description", "metadata", "payment_method", "confirm"),
        ),
        {
            "amount": {"type": "integer", "minimum": 1},
            "currency": STRING,
            "customer": STRING,
            "description": STRING,
            "metadata": METADATA,
            "payment_method": STRING,
            "confirm": {"type": "boolean"},
        },
        ("amount", "currency"),
    ),
    listing(
        "GetCharges",
        "charges",
        "List charges.",
        StripeStore.list_charges,
        {"customer": STRING, "payment_intent": STRING},
    ),
    listing(
        "GetRefunds",
        "refunds",
        "List refunds.",
        StripeStore.list_refunds,
        {"charge": STRING, "payment_intent": STRING},
    ),
    op(
        "PostRefunds",
        "POST",
        "/v1/refunds",
        "refunds",
        "Refund a payment intent or charge, in full or partly (amount in the smallest currency unit).",
        lambda s, p: s.create_refund(**pick(p, "payment_intent", "charge", "amount", "reason")),
        {
            "payment_intent": STRING,
            "charge": STRING,
            "amount": {"type": "integer", "minimum": 1},
            "reason": {"type": "string", "enum": ["duplicate", "fraudulent", "requested_by_customer"]},
        },
    ),
    listing(
        "GetSubscriptions",
        "subscriptions",
        "List subscriptions by customer, price or status (canceled ones only when asked for).",
        StripeStore.list_subscriptions,
        {
            "customer": STRING,
            "price": STRING,
            "status": {
                "type": "string",
                "enum": [*SUBSCRIPTION_STATUSES, "all"],
            },
        },
    ),
    op(
        "PostSubscriptions",
        "POST",
        "/v1/subscriptions",
        "subscriptions",
        "Subscribe a customer to recurring prices.",
        lambda s, p: s.create_subscription(
            p["customer"],
            p["items"],
            trial_period_days=p.get("trial_period_days"),
            metadata=p.get("metadata"),
        ),
        {
            "customer": STRING,
            "items": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {"price": STRING, "quantity": {"type": "integer", "minimum": 1}},
                    "required": ["price"],
                    "additionalProperties": False,
                },
            },
            "trial_period_days": {"type": "integer", "minimum": 1},
            "metadata": METADATA,
        },
        ("customer", "items"),
    ),
    op(
        "PostSubscriptionsSubscriptionExposedId",
        "POST",
        "/v1/subscriptions/{subscription_exposed_id}",
        "subscriptions",
        "Update a subscription's items, cancel_at_period_end or metadata.",
        lambda s, p: s.update_subscription(
            p["subscription_exposed_id"],
            **pick(p, "items", "cancel_at_period_end", "metadata", "proration_behavior"),
        ),
        {
            "subscription_exposed_id": STRING,
            "cancel_at_period_end": {"type": "boolean"},
            "metadata": METADATA,
            "proration_behavior": {"type": "string", "enum": ["create_prorations", "none", "always_invoice"]},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": STRING,
                        "price": STRING,
                        "quantity": {"type": "integer", "minimum": 1},
                        "deleted": {"type": "boolean"},
                    },
                    "additionalProperties": False,
                },
            },
        },
        ("subscription_exposed_id",),
    ),
    on_object(
        "DeleteSubscriptionsSubscriptionExposedId",
        "DELETE",
        "/v1/subscriptions/{subscription_exposed_id}",
        "subscriptions",
        "Cancel a subscription immediately.",
        StripeStore.cancel_subscription,
    ),
    listing(
        "GetCoupons",
        "coupons",
        "List coupons.",
        StripeStore.list_coupons,
    ),
    op(
        "PostCoupons",
        "POST",
        "/v1/coupons",
        "coupons",
        "Create a coupon: percent_off, or amount_off with currency; duration once, repeating or forever.",
        lambda s, p: s.create_coupon(
            **pick(p, "id", "name", "percent_off", "amount_off", "currency", "duration", "duration_in_months")
        ),
        {
            "id": STRING,
            "name": STRING,
            "percent_off": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "amount_off": {"type": "integer", "minimum": 1},
            "currency": STRING,
            "duration": {"type": "string", "enum": ["once", "repeating", "forever"], "default": "once"},
            "duration_in_months": {"type": "integer", "minimum": 1},
        },
    ),
    listing(
        "GetDisputes",
        "disputes",
        "List disputes (chargebacks).",
        StripeStore.list_disputes,
        {"charge": STRING, "payment_intent": STRING},
    ),
    op(
        "PostDisputesDispute",
        "POST",
        "/v1/disputes/{dispute}",
        "disputes",
        "Add evidence to a dispute; submit=true sends it to the bank.",
        lambda s, p: s.update_dispute(
            p["dispute"], evidence=p.get("evidence"), submit=p.get("submit"), metadata=p.get("metadata")
        ),
        {"dispute": STRING, "evidence": _EVIDENCE, "submit": {"type": "boolean"}, "metadata": METADATA},
        ("dispute",),
    ),
]

OPERATIONS: dict[str, Operation] = {op.id: op for op in _LIST}
