"""Tool results as DataFrames: one row per Stripe object, amounts in major units, times in UTC.

What :func:`to_frame` does, in order:

* **Unwraps** every shape a Stripe MCP server answers with: JSON text, ``{"result": ...}``
  wrappers (MCP structured content), MCP text-content blocks, list envelopes
  (``{"object": "list", "data": [...]}``), search results, generic envelopes (one list of objects
  beside scalars such as ``has_more``), bare arrays and trimmed ``{id}`` objects.
* **Flattens** nested objects into dotted columns (``metadata.plan``, ``recurring.interval``) down to
  ``max_depth`` levels; deeper objects stay as dicts, lists stay as lists (never exploded), a nested
  list envelope (an invoice's ``lines``, a subscription's ``items``) becomes its ``data`` list, and
  empty dicts vanish (an empty ``metadata`` has no columns to give).
* **Amounts** (``amount``, ``unit_amount``, ``total``, ...) whose row knows its currency (the
  nearest ``currency`` column: ``price.currency`` for ``price.unit_amount``, else ``currency``) are
  shown in major units: 5000 usd -> 50.0, 5000 jpy -> 5000, 5120 kwd -> 5.12. The column keeps its
  name and the exact minor-unit integers move to ``<name>_minor`` (nullable ``Int64``), so nothing
  is lost. Major units are float64, not Decimal: floats keep the column numeric (sums, plots,
  ``describe`` and vectorised arithmetic all work, and converting 10k rows stays cheap), and
  ``minor / 10**exponent`` is the float nearest the exact decimal, so it prints exactly at the
  currency's precision; anyone who needs exact arithmetic has the integers in ``*_minor``. A column
  whose every row is a zero-decimal currency stays integer. A row without a currency gets NaN.
* **Secrets** (``client_secret``, ``secret``: :data:`~.flatten.SECRET_FIELDS`) are masked to a hint
  (``pi_…_secret_…a1b2``): a DataFrame gets displayed and saved with the notebook. The unmasked
  value stays only in memory, in the tool call's raw result (``record.result.data``).
* **Times** (``created``, ``current_period_end``, ``available_on``, ...) become timezone-aware UTC
  datetimes.
* **Orders** columns: ``id`` first, then the object type's most useful fields (customers: name,
  email, ...; payment intents: amount, currency, status, customer, ...), then the rest in Stripe's
  order, then the ``*_minor`` columns, then the noisy ``object`` and ``livemode`` last (kept, since a
  mixed search result needs ``object`` to tell rows apart).
* **A single object** is a one-row frame, or, past :data:`WIDE_THRESHOLD` columns (a full payment
  intent has ~40), a two-column ``field``/``value`` frame that reads top to bottom.
* **The balance** becomes one row per kind (available, pending, ...) and currency.

Anything else (an error payload, a plain message, a list of strings) is not tabular: ``None``, and
the caller shows :func:`format_json` instead. An empty list is a frame with no rows.

This module unwraps the payload and shapes the balance and the single-object view; flattening the
rows, converting amounts and times, masking secrets and ordering the columns is :mod:`.flatten`'s.
"""

from __future__ import annotations

import json
from typing import Any, Final

import pandas as pd

from stripe_nb_agent.flatten import flatten, is_list_envelope
from stripe_nb_agent.tools.types import ToolResult

__all__ = ["MAX_DEPTH", "WIDE_THRESHOLD", "format_json", "result_table", "to_frame"]

MAX_DEPTH: Final = 3
"""Nested levels flattened into dotted columns: ``latest_charge.billing_details.address.city``."""

WIDE_THRESHOLD: Final = 12
"""A single object with more columns than this is shown as a ``field``/``value`` frame: a row of
40 columns needs horizontal scrolling, 40 rows of two columns do not."""

_BALANCE_KINDS: Final = ("available", "pending", "connect_reserved", "instant_available")


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def to_frame(data: Any, *, max_depth: int = MAX_DEPTH) -> pd.DataFrame | None:
    """Stripe data (any shape a tool returns) as a DataFrame, or ``None`` when it is not tabular."""
    data = _unwrap(data)
    if isinstance(data, list):
        if not all(type(item) is dict for item in data):
            return None
        return flatten(data, max_depth=max_depth)
    if type(data) is not dict or not data or _is_error(data):
        return None
    if _is_balance(data):
        return flatten(_balance_rows(data), max_depth=max_depth, object_type="balance")
    frame = flatten([data], max_depth=max_depth)
    if len(frame.columns) > WIDE_THRESHOLD:
        return _field_value(frame)
    return frame


def result_table(result: ToolResult) -> pd.DataFrame | None:
    """The table of a successful tool call, or ``None`` (failed call, or a non-tabular answer)."""
    if not result.ok:
        return None
    return to_frame(result.data if result.data is not None else result.text)


def format_json(data: Any) -> str:
    """Pretty JSON for results that are not tables; JSON text is re-indented, other text kept."""
    if isinstance(data, str):
        parsed = _parse_json_text(data)
        if parsed is _NOT_JSON:
            return data
        data = parsed
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------
# Unwrapping
# ---------------------------------------------------------------------------------------------

_NOT_JSON: Final = object()


def _parse_json_text(text: str) -> Any:
    stripped = text.strip()
    if not stripped or stripped[0] not in '{["':
        return _NOT_JSON
    try:
        return json.loads(stripped)
    except ValueError:
        return _NOT_JSON


def _unwrap(data: Any) -> Any:
    """Peel wrappers until the payload: text, ``{"result": ...}``, MCP content blocks, envelopes."""
    for _ in range(8):  # wrappers nest a few levels at most; never loop on hostile input
        if isinstance(data, str):
            parsed = _parse_json_text(data)
            if parsed is _NOT_JSON:
                return None
            data = parsed
        elif isinstance(data, dict):
            if len(data) == 1 and "result" in data:
                data = data["result"]
            elif is_list_envelope(data):
                return data["data"]
            elif (rows := _generic_envelope_rows(data)) is not None:
                return rows
            else:
                return data
        elif isinstance(data, list) and data and all(_is_text_block(block) for block in data):
            data = "".join(block["text"] for block in data)
        else:
            return data
    return data


def _is_text_block(block: Any) -> bool:
    return type(block) is dict and block.get("type") == "text" and isinstance(block.get("text"), str)


def _generic_envelope_rows(data: dict[str, Any]) -> list[Any] | None:
    """The rows of ``{"data"|"results"|...: [objects], "has_more": ..., ...}``: one list of dicts
    beside nothing but scalars."""
    if "id" in data or "object" in data:
        return None  # a Stripe object with a list field is still one object
    rows: list[Any] | None = None
    for value in data.values():
        if isinstance(value, list):
            if rows is not None or not value or not all(type(item) is dict for item in value):
                return None
            rows = value
        elif isinstance(value, dict):
            return None
    return rows


def _is_error(data: dict[str, Any]) -> bool:
    return "error" in data and "id" not in data and isinstance(data["error"], (dict, str))


def _is_balance(data: dict[str, Any]) -> bool:
    if data.get("object") == "balance":
        return True
    return "id" not in data and isinstance(data.get("available"), list) and "pending" in data


def _balance_rows(balance: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    kinds: list[tuple[str, Any]] = [(kind, balance.get(kind)) for kind in _BALANCE_KINDS]
    issuing = balance.get("issuing")
    if isinstance(issuing, dict):
        kinds.append(("issuing.available", issuing.get("available")))
    for kind, entries in kinds:
        if isinstance(entries, list):
            rows.extend({"kind": kind, **entry} for entry in entries if type(entry) is dict)
    return rows


# ---------------------------------------------------------------------------------------------
# The single-object view
# ---------------------------------------------------------------------------------------------


def _field_value(frame: pd.DataFrame) -> pd.DataFrame:
    # Through object dtype so cells hold Python values (True, 5000), not numpy scalars.
    row = frame.astype(object).iloc[0]
    values = row.tolist()
    result = pd.DataFrame({"field": list(frame.columns), "value": pd.Series(values, dtype=object)})
    result.attrs["amount_fields"] = {
        column: row[currency]
        for column, currency in frame.attrs.get("amount_columns", {}).items()
        if isinstance(row[currency], str)
    }
    return result
