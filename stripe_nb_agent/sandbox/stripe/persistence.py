"""Optional SQLite persistence, so a workshop kernel restart keeps what attendees created.

A save writes a complete new file beside the target and renames it over the target, so a crash
mid-save leaves the previous file intact. A file that is corrupt, foreign or from a newer format
is reported (never silently replaced).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, cast

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.sandbox.stripe.base import Snapshot

__all__ = ["SCHEMA_VERSION", "load", "save"]

SCHEMA_VERSION = 1
_APP = "stripe-nb-agent sandbox store"


def save(path: str | Path, snap: Snapshot) -> None:
    """Write ``snap`` to ``path`` atomically (temp file + rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        state = {k: v for k, v in snap.items() if k != "objects"}
        rows = [
            (kind, obj["id"], n, json.dumps(obj, allow_nan=False, sort_keys=True))
            for kind, objs in snap["objects"].items()
            for n, obj in enumerate(objs)
        ]
        conn = sqlite3.connect(tmp)
        try:
            with conn:
                conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                conn.execute(
                    "CREATE TABLE objects (kind TEXT NOT NULL, id TEXT NOT NULL, position INTEGER NOT NULL,"
                    " body TEXT NOT NULL, PRIMARY KEY (kind, id))"
                )
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("app", _APP),
                        ("schema_version", str(SCHEMA_VERSION)),
                        ("state", json.dumps(state, allow_nan=False)),
                    ],
                )
                conn.executemany("INSERT INTO objects VALUES (?, ?, ?, ?)", rows)
        finally:
            conn.close()
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, (OSError, ValueError, TypeError, sqlite3.Error)):
            raise SandboxError(
                f"Could not save the sandbox store to {target}: {exc}. The previous file, if any, is "
                "unchanged; check the directory is writable and has free space."
            ) from exc
        raise


def load(path: str | Path) -> Snapshot:
    """Read a snapshot; raise :class:`SandboxError` naming the file and the fix if it is unusable."""
    source = Path(path)
    fix = f"Move or delete {source} to start from the seed data, or pass another path."
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SandboxError(f"Could not open the sandbox store file {source}: {exc}. {fix}") from exc
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        if meta.get("app") != _APP:
            raise SandboxError(f"{source} is a SQLite file but not a sandbox store. {fix}")
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise SandboxError(
                f"{source} was written by a newer stripe-nb-agent (store format {version}; this version "
                f"reads format {SCHEMA_VERSION}). Upgrade stripe-nb-agent, or {fix[0].lower()}{fix[1:]}"
            )
        if version < 1:
            raise SandboxError(f"{source} has no valid store format version. {fix}")
        state = json.loads(meta["state"])
        objects: dict[str, list[dict[str, Any]]] = {}
        for kind, body in conn.execute("SELECT kind, body FROM objects ORDER BY kind, position"):
            objects.setdefault(kind, []).append(json.loads(body))
    except (sqlite3.Error, KeyError, ValueError) as exc:
        raise SandboxError(
            f"The sandbox store file {source} is corrupt or unreadable ({exc}). {fix}"
        ) from exc
    finally:
        conn.close()
    return cast(Snapshot, {**state, "objects": objects})
