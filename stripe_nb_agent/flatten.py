"""Rows of Stripe objects as one typed DataFrame: the machinery behind :func:`~.tables.to_frame`
once the rows are unwrapped (see :mod:`.tables` for what each step does and why).

Nested objects are flattened into dotted columns in one pass (:class:`_Columns`), secrets are masked
(:data:`SECRET_FIELDS`), amounts (:data:`AMOUNT_FIELDS`) become major units beside exact
``*_minor`` integers, times (:data:`TIME_FIELDS`) become UTC datetimes, and columns are ordered
by the object type's most useful fields.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Final

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from stripe_nb_agent.money import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES
from stripe_nb_agent.redaction import key_hint, redact

__all__ = ["AMOUNT_FIELDS", "SECRET_FIELDS", "TIME_FIELDS", "flatten", "is_list_envelope"]

AMOUNT_FIELDS: Final = frozenset(
    {
        "amount",
        "amount_capturable",
        "amount_captured",
        "amount_due",
        "amount_excluding_tax",
        "amount_off",
        "amount_paid",
        "amount_received",
        "amount_refunded",
        "amount_remaining",
        "amount_reversed",
        "amount_shipping",
        "amount_subtotal",
        "amount_tax",
        "amount_total",
        "application_fee_amount",
        "balance",
        "ending_balance",
        "fee",
        "minimum_amount",
        "net",
        "post_payment_credit_notes_amount",
        "pre_payment_credit_notes_amount",
        "starting_balance",
        "subtotal",
        "subtotal_excluding_tax",
        "tax",
        "total",
        "total_excluding_tax",
        "unit_amount",
    }
)

SECRET_FIELDS: Final = frozenset({"client_secret", "secret", "ephemeral_key_secret"})
"""Fields whose value is masked in every table (see :mod:`.tables`)."""

TIME_FIELDS: Final = frozenset(
    {
        "arrival_date",
        "available_on",
        "billing_cycle_anchor",
        "cancel_at",
        "canceled_at",
        "completed_at",
        "created",
        "current_period_end",
        "current_period_start",
        "due_by",
        "due_date",
        "effective_at",
        "ended_at",
        "expires_at",
        "finalized_at",
        "marked_uncollectible_at",
        "next_payment_attempt",
        "paid_at",
        "period_end",
        "period_start",
        "redeem_by",
        "start_date",
        "trial_end",
        "trial_start",
        "voided_at",
        "webhooks_delivered_at",
    }
)
# Under ``source_types`` (balance entries) every number is an amount in the entry's currency.
_AMOUNT_PARENTS: Final = frozenset({"source_types"})
# Under these parents every integer is a timestamp (``period.start``, ``status_transitions.paid_at``).
_TIME_PARENTS: Final = frozenset({"period", "status_transitions"})

_NOISY: Final = ("object", "livemode")
# The resolution pandas gives ``to_datetime(..., unit="s")``: microseconds since pandas 3, else ns.
_STAMP_UNIT: Final = str(pd.to_datetime(np.array([0]), unit="s").dtype)
_LIST_OBJECTS: Final = frozenset({"list", "search_result"})

_PRIORITY: Final[dict[str, tuple[str, ...]]] = {
    "customer": ("id", "name", "email", "phone", "description", "balance", "currency", "created"),
    "product": ("id", "name", "description", "active", "default_price", "created"),
    "price": (
        "id",
        "product",
        "nickname",
        "unit_amount",
        "currency",
        "type",
        "recurring.interval",
        "recurring.interval_count",
        "active",
        "created",
    ),
    "payment_intent": ("id", "amount", "currency", "status", "customer", "description", "created"),
    "charge": (
        "id",
        "amount",
        "amount_refunded",
        "currency",
        "status",
        "paid",
        "refunded",
        "customer",
        "payment_intent",
        "description",
        "created",
    ),
    "refund": ("id", "amount", "currency", "status", "reason", "charge", "payment_intent", "created"),
    "subscription": (
        "id",
        "customer",
        "status",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "created",
    ),
    "invoice": (
        "id",
        "number",
        "customer",
        "status",
        "amount_due",
        "amount_paid",
        "amount_remaining",
        "total",
        "currency",
        "due_date",
        "created",
    ),
    "invoiceitem": ("id", "customer", "invoice", "amount", "currency", "description", "created"),
    "coupon": ("id", "name", "percent_off", "amount_off", "currency", "duration", "valid", "created"),
    "dispute": ("id", "amount", "currency", "status", "reason", "charge", "payment_intent", "created"),
    "payment_link": ("id", "url", "active", "created"),
    "balance_transaction": ("id", "type", "amount", "fee", "net", "currency", "status", "created"),
    "balance": ("kind", "currency", "amount"),
}
_GENERIC_PRIORITY: Final = ("id", "name", "email", "description", "amount", "currency", "status", "created")


# Both cases, so the vectorised ``Series.map`` needs no per-row ``.lower()``.
_DIVISORS: Final[dict[str, float]] = {
    **dict.fromkeys(ZERO_DECIMAL_CURRENCIES, 1.0),
    **dict.fromkeys(THREE_DECIMAL_CURRENCIES, 1000.0),
}
_DIVISORS.update({c.upper(): d for c, d in list(_DIVISORS.items())})


class _Columns:
    """Dotted-key columns filled row by row: ``{"metadata.plan": [...], ...}``, NaN where a row
    lacks the field (as pandas fills a list of dicts), columns in first-seen order (as pandas
    orders them). Built in one pass, with no per-row dicts: gathering a list of dicts into columns
    in Python cost more than flattening them. Only dict values recurse (json_normalize also
    recurses on every leaf, which is most of its cost)."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.rows = 0
        self.data: dict[str, list[Any]] = {}

    def add(self, row: dict[str, Any]) -> None:
        self._fill("", row, 0)
        self.rows += 1

    def finish(self) -> dict[str, list[Any]]:
        for values in self.data.values():
            if len(values) < self.rows:
                values.extend([math.nan] * (self.rows - len(values)))
        return self.data

    def _set(self, name: str, value: Any) -> None:
        values = self.data.get(name)
        if values is None:
            self.data[name] = values = [math.nan] * self.rows
        elif len(values) > self.rows:  # two paths to one name ("a.b" and {"a": {"b"}}): the last wins
            values[self.rows] = value
            return
        elif len(values) < self.rows:
            values.extend([math.nan] * (self.rows - len(values)))
        values.append(value)

    def _fill(self, prefix: str, obj: dict[str, Any], depth: int) -> None:
        if depth and is_list_envelope(obj):
            # A nested list envelope (invoice lines, subscription items) is its rows.
            self._set(prefix, obj["data"])
            return
        data, rows = self.data, self.rows
        for key, value in obj.items():
            name = f"{prefix}.{key}" if prefix else key
            if type(value) is dict:
                if value and depth < self.max_depth:
                    self._fill(name, value, depth + 1)
                elif value:
                    self._set(name, value)
                continue
            if key in SECRET_FIELDS:
                value = _masked(value)
            values = data.get(name)
            # Inlined: the column exists and this row is next, so most cells cost one append.
            if values is not None and len(values) == rows:
                values.append(value)
            else:
                self._set(name, value)


def _masked(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    hinted = redact(value)
    return hinted if hinted != value else key_hint(value)


def flatten(rows: list[dict[str, Any]], *, max_depth: int, object_type: str | None = None) -> pd.DataFrame:
    """``rows`` (Stripe objects) as one frame: flattened, converted and ordered as the module says;
    ``object_type`` picks the column order when the rows do not say it."""
    if not rows:
        return pd.DataFrame()
    # The frame is built once, from its final columns: building one from the rows and then
    # rebuilding it from its converted columns cost twice json_normalize at a page of rows. A dict
    # of lists infers the same dtypes as the list of dicts would.
    gather = _Columns(max_depth)
    for row in rows:
        gather.add(row)
    data: dict[str, Any] = gather.finish()
    columns = list(data)
    present = set(columns)
    # Converted columns apart from ``data``: an amount's currency is read as it came.
    converted: dict[str, Any] = {}
    minor: dict[str, Any] = {}
    amount_columns: dict[str, str] = {}
    for column in columns:
        parent, _, leaf = str(column).rpartition(".")
        if leaf in TIME_FIELDS or parent.rpartition(".")[2] in _TIME_PARENTS:
            stamps = _as_utc(_inferred(data[column]))
            if stamps is not None:
                converted[column] = stamps
        elif leaf in AMOUNT_FIELDS or parent.rpartition(".")[2] in _AMOUNT_PARENTS:
            currency_column = _currency_column(parent, present)
            # An existing ``<name>_minor`` field (unlikely, but data is data) wins over ours.
            if currency_column is not None and f"{column}_minor" not in present:
                pair = _as_major(_inferred(data[column]), data[currency_column])
                if pair is not None:
                    converted[column], minor[f"{column}_minor"] = pair
                    amount_columns[column] = currency_column
    ordered = _order([*columns, *minor], object_type or _object_type(data.get("object")), list(minor))
    data.update(converted)
    data.update(minor)
    frame = pd.DataFrame(
        {column: data[column] for column in ordered}, index=pd.RangeIndex(len(rows)), copy=False
    )
    # frame_html reads this to print each amount at its own currency's precision.
    frame.attrs["amount_columns"] = amount_columns
    return frame


def _currency_column(parent: str, present: set[str]) -> str | None:
    """The nearest ``currency`` at or above ``parent``: ``a.b.currency``, ``a.currency``, ``currency``."""
    while True:
        candidate = f"{parent}.currency" if parent else "currency"
        if candidate in present:
            return candidate
        if not parent:
            return None
        parent = parent.rpartition(".")[0]


def _inferred(values: list[Any]) -> Any:
    """``pd.Series(values).to_numpy()``: the column as pandas infers it. The usual numeric columns
    (all ints, or ints and floats) are built directly: a Series per column was a tenth of the
    cost of a page-sized table."""
    kinds = set(map(type, values))
    if kinds == {int}:
        try:
            return np.asarray(values, dtype=np.int64)
        except OverflowError:
            pass  # past int64: pandas decides
    elif kinds in ({int, float}, {float}) and all(abs(v) < 2**53 for v in values if type(v) is int):
        return np.asarray(values, dtype=np.float64)
    return pd.Series(values).to_numpy()


def _as_utc(values: Any) -> Any:
    """Seconds since the epoch as a UTC datetime array, or None when the column is not numbers."""
    if not is_numeric_dtype(values.dtype) or is_bool_dtype(values.dtype):
        if values.dtype != object or not pd.isna(values).all():
            return None
        # An all-null column (no subscription was cancelled) is still a time column.
        values = values.astype("float64")
    fast = _whole_seconds(values)
    if fast is not None:
        return fast
    try:
        return pd.to_datetime(values, unit="s", utc=True).array
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


# Seconds this far from 1970 (years 1685 to 2255) convert exactly whichever way: inside it, numpy
# does the conversion; outside it, pandas decides (and may refuse, leaving the column numeric).
_SAFE_SECONDS: Final = 9_000_000_000


def _whole_seconds(values: Any) -> Any:
    """Whole seconds as the array ``pd.to_datetime(values, unit="s", utc=True)`` gives, in a fifth of
    its time (its fixed cost was a third of a page-sized table's); None to leave it to pandas."""
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        known = values[~missing]
        if not (np.abs(known) < _SAFE_SECONDS).all() or not (known == np.trunc(known)).all():
            return None
        seconds = np.where(missing, 0, values).astype(np.int64)
    elif values.dtype.kind in "iu":
        if not (np.abs(values) < _SAFE_SECONDS).all():
            return None
        missing = None
        seconds = values.astype(np.int64)
    else:
        return None
    stamps = seconds.astype("datetime64[s]").astype(_STAMP_UNIT)
    if missing is not None:
        stamps[missing] = np.datetime64("NaT")
    return pd.DatetimeIndex(stamps, tz="UTC").array


def _as_major(amount: Any, currencies: list[Any]) -> tuple[Any, Any] | None:
    """(major units, exact minor units) as arrays, or None when the column is not amounts."""
    if not is_numeric_dtype(amount.dtype) or is_bool_dtype(amount.dtype):
        return None
    # Plain Python over the column: a handful of Series operations per amount column cost more
    # than the whole loop below at a few hundred rows (most tables are a page of 10 to 100).
    divisors: list[float] = []
    all_known = whole = True
    for code in currencies:
        if code is None or (isinstance(code, float) and code != code):
            divisors.append(math.nan)  # no currency: no major amount either
            all_known = whole = False
            continue
        try:
            divisor = _DIVISORS.get(code, 100.0)
        except TypeError:  # a currency that is not a code (a dict, a list): leave the amount alone
            return None
        whole = whole and divisor == 1.0
        divisors.append(divisor)
    values = amount.tolist()
    minor = _as_int64(amount, values)
    if all_known and whole:
        return minor, minor  # every row is zero-decimal: whole numbers stay whole
    major = np.asarray(
        [value / divisor for value, divisor in zip(values, divisors, strict=True)], dtype=np.float64
    )
    return major, minor


def _as_int64(amount: Any, values: list[Any]) -> Any:
    """``amount.astype("Int64")`` built directly (the cast's checks cost more than the column at
    a page of rows); ``amount``'s own values when one is not a whole number."""
    ints: list[int] = []
    missing: list[bool] = []
    for value in values:
        if value is None or value is pd.NA or value != value:
            ints.append(0)
            missing.append(True)
        elif type(value) is int or (type(value) is float and value.is_integer()):
            ints.append(int(value))
            missing.append(False)
        else:
            return amount
    try:
        return pd.arrays.IntegerArray(np.asarray(ints, dtype=np.int64), np.asarray(missing, dtype=bool))
    except OverflowError:
        return amount


def _object_type(objects: list[Any] | None) -> str | None:
    """The rows' one ``object`` type, or None when they have none or several."""
    if objects is None:
        return None
    counts = Counter(value for value in objects if isinstance(value, str))
    return counts.most_common(1)[0][0] if len(counts) == 1 else None


def _order(columns: list[str], object_type: str | None, minor: list[str]) -> list[str]:
    priority = _PRIORITY.get(object_type or "", _GENERIC_PRIORITY)
    present = set(columns)
    head = [column for column in priority if column in present]
    tail_set = set(minor) | set(_NOISY)
    placed = set(head) | tail_set
    middle = [column for column in columns if column not in placed]
    noisy = [column for column in _NOISY if column in present]
    return [*head, *middle, *minor, *noisy]


def is_list_envelope(obj: dict[str, Any]) -> bool:
    """``{"object": "list"|"search_result", "data": [...]}``."""
    # ``object`` is a string in Stripe's shapes, but a user's own tool may return anything there.
    kind = obj.get("object")
    return isinstance(kind, str) and kind in _LIST_OBJECTS and isinstance(obj.get("data"), list)
