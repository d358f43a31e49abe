"""SQLite persistence: per-change writes, one store per file, files checked on load, never replaced."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.stripe import StripeStore
from stripe_nb_agent.sandbox.stripe.persistence import StoreFile

ROOT = Path(__file__).resolve().parents[3]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "workshop.sqlite"
    first = StripeStore(path=db)
    customer = first.create_customer("Ada", "ada@example.com")
    first.update_customer(customer["id"], name="Ada L.")
    twin = StripeStore()
    twin.restore(first.snapshot(), first.positions())
    first.close()
    second = StripeStore(path=db)
    assert second.retrieve("customer", customer["id"])["name"] == "Ada L."
    assert second.snapshot() == twin.snapshot()
    # The clock and the id generator carry on where they stopped: no id is ever reused.
    assert second.create_customer("Grace") == twin.create_customer("Grace")
    second.close()


def test_every_kind_of_change_is_written(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with StripeStore(path=db) as store:
        cus = store.create_customer("Ada", "ada@example.com")
        store.update_customer(cus["id"], metadata={"tier": "gold"})
        pi = store.create_payment_intent(
            2500, "usd", customer=cus["id"], payment_method="pm_card_visa", confirm=True
        )
        store.create_refund(payment_intent=pi["id"], amount=100)
        gone = store.create_customer("Temp")
        store.delete_customer(gone["id"])
        sub = store.list_subscriptions(limit=1)["data"][0]
        store.cancel_subscription(sub["id"])
        expected = store.snapshot()
    with StripeStore(path=db) as reopened:
        assert reopened.snapshot()["objects"] == expected["objects"]


def test_a_write_updates_the_file_in_place_and_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    StripeStore(path=db).close()
    db.chmod(0o640)
    inode = db.stat().st_ino
    with StripeStore(path=db) as store:
        store.create_customer("Ada")
    assert db.stat().st_ino == inode
    assert db.stat().st_mode & 0o777 == 0o640


def test_reset_writes_the_seed_state(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with StripeStore(path=db) as store:
        store.create_customer("Temp")
        store.reset()
    with StripeStore(path=db) as reopened:
        assert reopened.snapshot() == StripeStore().snapshot()


def test_a_second_store_on_the_same_file_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    first = StripeStore(path=db)
    with pytest.raises(SandboxError, match="in use by another kernel") as info:
        StripeStore(path=db)
    assert "STRIPE_NB_AGENT_SANDBOX_DB" in str(info.value)
    first.close()
    StripeStore(path=db).close()


_HOLD = """
import sys
from stripe_nb_agent.sandbox.stripe import StripeStore
store = StripeStore(path=sys.argv[1])
print(store.create_customer("From the first kernel")["id"], flush=True)
sys.stdin.readline()
store.close()
"""


def _python(*args: str, **options: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", *args],
        text=True,
        env=env,
        **options,  # type: ignore[call-overload]
    )


def test_a_second_process_is_refused_and_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    first = _python(_HOLD, str(db), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert first.stdout is not None
        created = first.stdout.readline().strip()
        assert created.startswith("cus_")
        code = (
            "import sys\nfrom stripe_nb_agent.sandbox.stripe import StripeStore\n"
            "try:\n    StripeStore(path=sys.argv[1])\nexcept Exception as exc:\n    print(exc)"
        )
        second = _python(code, str(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = second.communicate(timeout=60)
        assert "is in use by another kernel or sandbox server" in out, err
        first.communicate("\n", timeout=60)
    finally:
        first.kill()
    assert first.returncode == 0
    with StripeStore(path=db) as store:
        assert store.retrieve("customer", created)["name"] == "From the first kernel"


def test_a_crashed_kernel_loses_no_write_and_no_id_is_handed_out_twice(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    code = (
        "import os, sys\nfrom stripe_nb_agent.sandbox.stripe import StripeStore\n"
        "store = StripeStore(path=sys.argv[1])\n"
        "print(store.create_customer('Before the crash')['id'], flush=True)\nos._exit(0)"
    )
    crashed = _python(code, str(db), stdout=subprocess.PIPE)
    out, _ = crashed.communicate(timeout=60)
    created = out.strip()
    with StripeStore(path=db) as store:
        assert store.retrieve("customer", created)["name"] == "Before the crash"
        assert store.create_customer("After the restart")["id"] != created


def test_a_read_only_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    StripeStore(path=db).close()
    db.chmod(0o444)
    before = db.read_bytes()
    with pytest.raises(SandboxError, match="not writable") as info:
        StripeStore(path=db)
    assert str(db) in str(info.value)
    assert db.read_bytes() == before
    assert db.stat().st_mode & 0o777 == 0o444


def test_a_failed_write_keeps_the_last_committed_state(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with StripeStore(path=db) as store:
        kept = store.create_customer("Kept")
        expected = store.snapshot()["objects"]
    file = StoreFile.open(db)
    try:
        with pytest.raises(SandboxError, match="Could not save the sandbox store") as info:
            file.write([("customer", {"id": "cus_bad", "amount": float("nan")}, 10**6)], [])
        assert str(db) in str(info.value)
    finally:
        file.close()
    with StripeStore(path=db) as reopened:
        assert reopened.retrieve("customer", kept["id"])["name"] == "Kept"
        assert reopened.snapshot()["objects"] == expected


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
    StripeStore(path=db).close()
    _edit(db, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SandboxError, match="newer stripe-nb-agent") as info:
        StripeStore(path=db)
    assert "Upgrade stripe-nb-agent" in str(info.value)


def _edit(db: Path, sql: str, *params: object) -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(sql, params)
    conn.close()


def test_a_state_of_the_wrong_type_is_a_sandbox_error_naming_it(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    StripeStore(path=db).close()
    conn = sqlite3.connect(db)
    state = json.loads(conn.execute("SELECT value FROM meta WHERE key = 'state'").fetchone()[0])
    conn.close()
    state["frozen_clock"] = "yes"
    state["now"] = "noon"
    state["rng_state"] = [3, "not a list", None]
    _edit(db, "UPDATE meta SET value = ? WHERE key = 'state'", json.dumps(state))
    with pytest.raises(SandboxError) as info:
        StripeStore(path=db)
    message = str(info.value)
    assert "meta 'state'.frozen_clock" in message
    assert "meta 'state'.rng_state.1" in message
    assert "meta 'state'.now" in message
    assert "delete" in message


def test_object_rows_that_are_not_stripe_objects_are_reported_not_loaded(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    StripeStore(path=db).close()
    _edit(db, "INSERT INTO objects VALUES ('customer', 'cus_int', 900001, ?)", json.dumps({"id": 1}))
    _edit(db, "INSERT INTO objects VALUES ('customer', 'cus_list', 900002, '[1, 2]')")
    _edit(db, "INSERT INTO objects VALUES ('customer', 'cus_json', 900003, '{not json')")
    _edit(db, "INSERT INTO objects VALUES ('spaceship', 'ss_1', 900004, '{}')")
    other = json.dumps({"id": "cus_other", "object": "customer", "created": 1})
    _edit(db, "INSERT INTO objects VALUES ('customer', 'cus_mismatch', 900005, ?)", other)
    with pytest.raises(SandboxError) as info:
        StripeStore(path=db)
    message = str(info.value)
    assert "object row customer/cus_int.id: 1 is not of type" in message
    assert "object row customer/cus_list: [1,2] is not of type" in message
    assert "object row customer/cus_json: not valid JSON" in message
    assert "object row spaceship/ss_1: unknown object kind 'spaceship'" in message
    assert "object row customer/cus_mismatch: the body's id 'cus_other' is not the row's id" in message


def test_a_file_written_by_the_previous_version_loads_and_takes_writes(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    snap = StripeStore().snapshot()
    state = {k: v for k, v in snap.items() if k not in ("objects", "next_position")}
    conn = sqlite3.connect(db)
    with conn:  # the layout the whole-store-rewrite version wrote: keyed by (kind, id), positions per kind
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute(
            "CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL,"
            " body TEXT NOT NULL, PRIMARY KEY (kind, id))"
        )
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("app", "stripe-nb-agent sandbox store"), ("schema_version", "1"), ("state", json.dumps(state))],
        )
        conn.executemany(
            "INSERT INTO objects VALUES (?, ?, ?, ?)",
            [
                (kind, obj["id"], n, json.dumps(obj))
                for kind, objs in snap["objects"].items()
                for n, obj in enumerate(objs)
            ],
        )
    conn.close()
    with StripeStore(path=db) as store:
        assert store.snapshot()["objects"] == snap["objects"]
        kept = store.create_customer("Kept")
        gone = store.list_customers(limit=1, starting_after=kept["id"])["data"][0]
        store.delete_customer(gone["id"])
        expected = store.snapshot()["objects"]
    with StripeStore(path=db) as reopened:
        assert reopened.snapshot()["objects"] == expected
