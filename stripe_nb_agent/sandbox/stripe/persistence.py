"""Optional SQLite persistence, so a workshop kernel restart keeps what attendees created.

    file = StoreFile.open(path)          # refuses a file in use, unwritable, corrupt or foreign
    snap, positions = file.load()        # None for a new file; every row checked first
    file.write(rows, deleted)           # one transaction: the objects a change touched
    file.close()

Each change writes only the objects it touched, as upserts in one SQLite transaction (WAL), so
a write costs about the same whatever the store's size and a crash mid-write leaves the last
committed state. The file is never replaced, so its mode and owner stay as they are.

One store per file at a time: the connection holds SQLite's exclusive lock for as long as the
store is open, so a second kernel (or server) opening the same file is refused at once with a
message saying so, rather than two in-memory copies overwriting each other's writes and handing
out the same ids.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.stripe.base import KINDS, Snapshot, StripeObject

__all__ = ["SCHEMA_VERSION", "StoreFile"]

SCHEMA_VERSION = 1
_APP = "stripe-nb-agent sandbox store"
MAX_PROBLEMS = 10
# Replaces the row with the same position (files made by this version: the position is the
# rowid, so a new object appends to the table's last page and nothing else is indexed), or with
# the same (kind, id) (files of earlier versions, keyed that way).
_UPSERT = "INSERT OR REPLACE INTO objects (kind, id, position, body) VALUES (?, ?, ?, ?)"

_STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["now", "frozen_clock", "rng_state", "account"],
    "properties": {
        "now": {"type": "integer", "minimum": 0},
        "frozen_clock": {"type": "boolean"},
        "rng_state": {
            "type": "array",
            "prefixItems": [
                {"type": "integer"},
                {
                    "type": "array",
                    "items": {"type": "integer", "minimum": 0},
                    "minItems": 625,
                    "maxItems": 625,
                },
                {"type": ["number", "null"]},
            ],
            "minItems": 3,
            "maxItems": 3,
        },
        "account": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        "seed": {"type": "integer"},
        "next_position": {"type": "integer", "minimum": 0},
    },
}
_OBJECT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "object"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "object": {"type": "string"},
        "created": {"type": "integer"},
    },
}


class StoreFile:
    """One open store file; see the module docstring. Thread-safe."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path) -> StoreFile:
        """Open (creating if missing) and lock ``path``; raise :class:`SandboxError` with the fix."""
        target = Path(path)
        fix = f"Move or delete {target} to start from the seed data, or pass another path."
        if target.is_dir():
            raise SandboxError(f"The sandbox store path {target} is a directory; give a file name.")
        # No write bit at all marks a file read-only on purpose (even root, who may write it anyway).
        if target.exists() and (
            not os.access(target, os.R_OK | os.W_OK) or not target.stat().st_mode & 0o222
        ):
            raise SandboxError(
                f"The sandbox store file {target} is not writable (or not readable) by this user, so "
                "changes could not be kept. Make it writable (chmod u+rw), or pass another path. "
                "The file was left as it is."
            )
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SandboxError(f"Could not create the folder for the sandbox store {target}: {exc}.") from exc
        if not os.access(target.parent, os.W_OK):
            raise SandboxError(
                f"The folder of the sandbox store file {target} is not writable (SQLite keeps its "
                "journal beside the file). Make it writable, or pass a path in a writable folder."
            )
        try:
            conn = sqlite3.connect(target, timeout=0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise SandboxError(f"Could not open the sandbox store file {target}: {exc}. {fix}") from exc
        try:
            # Exclusive: the lock taken by the first write below is held until close (see the
            # module docstring). WAL without fsyncs: a commit survives the kernel crashing (the
            # OS has it) and costs about 10x less; only a power cut could lose the last changes,
            # and this is a sandbox.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise SandboxError(
                    f"The sandbox store file {target} is in use by another kernel or sandbox server "
                    "(one store per file, so no write is lost and no id handed out twice). Stop the "
                    "other one, or give this one another file (STRIPE_NB_AGENT_SANDBOX_DB or --db)."
                ) from None
            if "readonly" in str(exc):
                raise SandboxError(
                    f"The sandbox store file {target} cannot be written ({exc}). Make it writable, or "
                    "pass another path. The file was left as it is."
                ) from None
            raise SandboxError(
                f"The sandbox store file {target} is corrupt or unreadable ({exc}). {fix}"
            ) from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise SandboxError(
                f"The sandbox store file {target} is corrupt or unreadable ({exc}). {fix}"
            ) from exc
        return cls(target, conn)

    def load(self) -> tuple[Snapshot, list[int]] | None:
        """The stored state and each object's position (creation order); None for a new file."""
        source, conn = self.path, self._conn
        fix = f"Move or delete {source} to start from the seed data, or pass another path."
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables:
                return None
            if "meta" not in tables or "objects" not in tables:
                raise SandboxError(f"{source} is a SQLite file but not a sandbox store. {fix}")
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("app") != _APP:
                raise SandboxError(f"{source} is a SQLite file but not a sandbox store. {fix}")
            version = int(meta.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise SandboxError(
                    f"{source} was written by a newer stripe-nb-agent (store format {version}; this "
                    f"version reads format {SCHEMA_VERSION}). Upgrade stripe-nb-agent, or "
                    f"{fix[0].lower()}{fix[1:]}"
                )
            if version < 1:
                raise SandboxError(f"{source} has no valid store format version. {fix}")
            problems: list[str] = []
            state = _json(meta.get("state"), "meta 'state'", problems)
            if state is not None:
                problems += _problems(_STATE_SCHEMA, state, "meta 'state'")
            objects: dict[str, list[StripeObject]] = {kind: [] for kind in KINDS}
            at: dict[str, list[int]] = {kind: [] for kind in KINDS}
            rows = conn.execute("SELECT kind, id, position, body FROM objects ORDER BY position, kind, id")
            for kind, object_id, position, body in rows:
                where = f"object row {kind}/{object_id}"
                if kind not in KINDS:
                    problems.append(f"{where}: unknown object kind {kind!r}")
                    continue
                if not isinstance(position, int):
                    problems.append(f"{where}: position {position!r} is not an integer")
                    continue
                obj = _json(body, where, problems)
                if obj is None:
                    continue
                found = _problems(_OBJECT_SCHEMA, obj, where)
                if not found and obj["id"] != object_id:
                    found = [f"{where}: the body's id {obj['id']!r} is not the row's id"]
                problems += found
                if not found:
                    objects[kind].append(obj)
                    at[kind].append(position)
            # In the order StoreBase.restore walks them: kind by kind.
            positions = [p for kind in objects for p in at[kind]]
            # The state is written every few changes; the clock moves a second per new object, so
            # the objects created since say where it stands now.
            if isinstance(state, dict) and isinstance(state.get("now"), int):
                since = state.get("next_position", 0)
                since = since if isinstance(since, int) else 0  # a wrong type is reported above
                stamps = [
                    o["created"]
                    for kind, objs in objects.items()
                    for o, p in zip(objs, at[kind], strict=True)
                    if p >= since and isinstance(o.get("created"), int)
                ]
                state["now"] = max([state["now"], *(stamp + 1 for stamp in stamps)])
        except sqlite3.DatabaseError as exc:
            raise SandboxError(
                f"The sandbox store file {source} is corrupt or unreadable ({exc}). {fix}"
            ) from exc
        except ValueError as exc:
            raise SandboxError(
                f"The sandbox store file {source} is corrupt or unreadable ({exc}). {fix}"
            ) from exc
        if problems:
            shown = problems[:MAX_PROBLEMS]
            if len(problems) > MAX_PROBLEMS:
                shown.append(f"... and {len(problems) - MAX_PROBLEMS} more")
            raise SandboxError(
                f"The sandbox store file {source} holds data this version cannot use: "
                + "; ".join(shown)
                + f". {fix}"
            )
        return cast(Snapshot, {**state, "objects": objects}), positions

    def write_all(self, snap: Snapshot, positions: Iterable[int]) -> None:
        """Replace everything (a new file, or a reset to the seed state), in one transaction."""
        state = {k: v for k, v in snap.items() if k != "objects"}
        ordered = [(kind, obj) for kind, objs in snap["objects"].items() for obj in objs]

        def run(conn: sqlite3.Connection) -> None:
            rows = [
                (kind, obj["id"], n, _dumps(obj)) for (kind, obj), n in zip(ordered, positions, strict=True)
            ]
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS objects (kind TEXT NOT NULL, id TEXT NOT NULL,"
                " position INTEGER PRIMARY KEY, body TEXT NOT NULL)"
            )
            conn.execute("DELETE FROM objects")
            conn.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [
                    ("app", _APP),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("state", _dumps(state)),
                ],
            )
            conn.executemany("INSERT INTO objects VALUES (?, ?, ?, ?)", rows)

        self._transaction(run)

    def write(
        self,
        rows: Iterable[tuple[str, StripeObject, int]],
        deleted: Iterable[tuple[str, str, int]],
        *,
        state: dict[str, Any] | None = None,
    ) -> None:
        """Upsert ``(kind, object, position)`` rows and delete ids, in one transaction."""
        removed = list(deleted)
        rows = list(rows)
        if len(rows) == 1 and not removed and state is None:
            # One statement is its own transaction: the common write (one new or changed object)
            # skips BEGIN/COMMIT round trips.
            kind, obj, position = rows[0]

            def one(conn: sqlite3.Connection) -> None:
                conn.execute(_UPSERT, (kind, obj["id"], position, _dumps(obj)))

            self._saving(one)
            return

        def run(conn: sqlite3.Connection) -> None:
            upserts = [(kind, obj["id"], position, _dumps(obj)) for kind, obj, position in rows]
            conn.executemany(_UPSERT, upserts)
            if removed:
                conn.executemany("DELETE FROM objects WHERE kind = ? AND id = ? AND position = ?", removed)
            if state is not None:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('state', ?)", (_dumps(state),))

        self._transaction(run)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _transaction(self, run: Callable[[sqlite3.Connection], None]) -> None:
        def transaction(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                run(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

        self._saving(transaction)

    def _saving(self, run: Callable[[sqlite3.Connection], None]) -> None:
        with self._lock:
            try:
                run(self._conn)
            except (sqlite3.Error, ValueError, TypeError) as exc:
                raise SandboxError(
                    f"Could not save the sandbox store to {self.path}: {exc}. The file keeps its last "
                    "committed state; check the disk has free space and the file is writable."
                ) from exc


# One encoder, not one per json.dumps call with options (that alone is half the cost of a write).
_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value)


def _json(text: object, where: str, problems: list[str]) -> Any:
    if not isinstance(text, str):
        problems.append(f"{where}: missing")
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        problems.append(f"{where}: not valid JSON ({exc})")
        return None


def _problems(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    from stripe_nb_agent.tools.validate import schema_problems

    return [
        f"{where}{'.' + '.'.join(str(p) for p in path) if path else ''}: {message}"
        for path, message in schema_problems(schema, value)
    ]
