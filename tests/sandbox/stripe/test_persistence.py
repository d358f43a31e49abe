"""SQLite persistence: round trip, atomic saves, corrupt and newer-format files reported."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.stripe import StripeStore, persistence


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "workshop.sqlite"
    first = StripeStore(path=db)
    customer = first.create_customer("Ada", "ada@example.com")
    second = StripeStore(path=db)
    assert second.retrieve("customer", customer["id"]) == customer
    assert second.snapshot() == first.snapshot()
    # The clock and the id generator carry on where they stopped: no id is ever reused.
    assert second.create_customer("Grace") == first.create_customer("Grace")


def test_reset_writes_the_seed_state(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = StripeStore(path=db)
    store.create_customer("Temp")
    store.reset()
    assert StripeStore(path=db).snapshot() == StripeStore().snapshot()


def test_a_failed_save_leaves_the_previous_file_and_no_temp_file(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    store = StripeStore(path=db)
    good = db.read_bytes()
    snap = store.snapshot()
    snap["objects"]["customer"].append({"id": "cus_bad", "amount": float("nan")})
    with pytest.raises(SandboxError, match="Could not save the sandbox store") as info:
        persistence.save(db, snap)
    assert str(db) in str(info.value)
    assert db.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite"]


def test_a_corrupt_file_is_reported_not_replaced(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SandboxError, match="corrupt or unreadable") as info:
        StripeStore(path=db)
    assert str(db) in str(info.value)
    assert "delete" in str(info.value)
    assert db.read_bytes() == b"this is not a database" * 100


def test_a_foreign_sqlite_file_is_reported(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    with pytest.raises(SandboxError, match="not a sandbox store"):
        StripeStore(path=db)


def test_a_newer_format_is_reported_with_the_fix(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    StripeStore(path=db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(SandboxError, match="newer stripe-nb-agent") as info:
        StripeStore(path=db)
    assert "Upgrade stripe-nb-agent" in str(info.value)
