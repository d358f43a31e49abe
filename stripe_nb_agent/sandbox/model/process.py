"""The process-wide sandbox model server, run in a child process of its own.

Why a process and not a thread of the kernel: the server reads requests with a MiniLM model in
onnxruntime, which costs the process that loads it 0.35-0.8 s of CPU and ~190 MB (onnxruntime
folds the int8 weights into float32), plus uvicorn and starlette. In a child it loads on the
machine's other core while the kernel imports what the first request needs, and the kernel stays
lean. The child talks to us over HTTP on 127.0.0.1 like any DAT1 endpoint, and over its stdin:
the control line (see :mod:`.child`) whose closing stops it, however the kernel ends.

``get_sandbox_model_server()`` starts it without waiting; ``root_url`` waits until it listens.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import queue
import site
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from stripe_nb_agent.errors import SandboxError
from stripe_nb_agent.redaction import redact
from stripe_nb_agent.sandbox.model.pace import resolve_pace, valid_pace

__all__ = ["SandboxModelProcess", "child_environ", "get_sandbox_model_server"]

CHILD_MODULE = "stripe_nb_agent.sandbox.model.child"
# Names of environment variables the child is not given: it needs no credential, so it holds none.
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL")
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[3])


def child_environ(
    environ: Mapping[str, str],
    *,
    package_parent: str = _PACKAGE_PARENT,
    site_dirs: Iterable[str] | None = None,
) -> dict[str, str]:
    """The child's environment: ``environ`` without credentials, and told where this package is
    when the parent found it somewhere an interpreter would not look by itself."""
    env = {
        name: value for name, value in environ.items() if not any(w in name.upper() for w in _SECRET_WORDS)
    }
    if site_dirs is None:
        site_dirs = [*site.getsitepackages(), site.getusersitepackages()]
    installed = {os.path.realpath(d) for d in site_dirs}
    # A checkout reached by a sys.path edit is not inherited; an installed copy is found anyway,
    # and putting site-packages ahead of the standard library on PYTHONPATH could shadow it.
    if os.path.realpath(package_parent) not in installed:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    return env


class SandboxModelProcess:
    """The sandbox model server in a child process, driven from this one.

    ``start()`` returns at once; ``root_url`` waits (up to ``startup_timeout``) for the child to
    listen. ``pace`` is applied in the child before the setter returns. ``stop()`` closes the
    control line and waits for the child to exit.
    """

    def __init__(
        self, pace: float | None = None, *, python: str = sys.executable, startup_timeout: float = 60.0
    ) -> None:
        # A bad STRIPE_NB_AGENT_SANDBOX_PACE is refused here, in the caller's words, not in the child.
        self._pace = resolve_pace(pace)
        self._python = python
        self._startup_timeout = startup_timeout
        self._lock = threading.RLock()
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._root_url: str | None = None

    def start(self) -> SandboxModelProcess:
        with self._lock:
            if self._process is None:
                # Open as long as the child runs (closed by stop()): its last words, if it dies.
                self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
                self._lines = queue.Queue()
                try:
                    self._process = subprocess.Popen(
                        [self._python, "-m", CHILD_MODULE, "--pace", repr(self._pace)],
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=self._stderr,
                        env=child_environ(os.environ),
                        text=True,
                    )
                except OSError as exc:
                    raise SandboxError(
                        f"The sandbox model server could not be started with {self._python!r} ({exc}): "
                        "check that this Python can run `python -m stripe_nb_agent.sandbox check`."
                    ) from exc
                threading.Thread(
                    target=self._read,
                    args=(self._process, self._lines),
                    name="sandbox-model-server-out",
                    daemon=True,
                ).start()
            return self

    @staticmethod
    def _read(process: subprocess.Popen[str], lines: queue.Queue[dict[str, Any] | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue  # not ours: a library writing to stdout
            if isinstance(message, dict):
                lines.put(message)
        lines.put(None)

    def _next(self, waiting_for: str, timeout: float) -> dict[str, Any]:
        try:
            message = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise SandboxError(
                f"The sandbox model server's process did not {waiting_for} within {timeout:g}s (the "
                "machine may be very busy): try again, or run `python -m stripe_nb_agent.sandbox check`."
            ) from None
        if message is None:
            raise self._exited(waiting_for)
        return message

    def _exited(self, waiting_for: str) -> SandboxError:
        with self._lock:
            process, self._process, self._root_url = self._process, None, None
            status = process.wait() if process is not None else None
            tail = ""
            if self._stderr is not None:
                self._stderr.seek(0)
                tail = self._stderr.read().decode(errors="replace").strip()[-1500:]
            self._release(process)
        return SandboxError(
            f"The sandbox model server's process exited (status {status}) before it could {waiting_for}"
            + (f":\n{redact(tail)}\n" if tail else ". ")
            + "Run `python -m stripe_nb_agent.sandbox check` in the same environment to see why."
        )

    def _release(self, process: subprocess.Popen[str] | None) -> None:
        """Close what this side holds of an ended child: its pipes and its stderr file."""
        if process is not None:
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    @property
    def root_url(self) -> str:
        with self._lock:
            if self._root_url is None:
                self.start()
                self._root_url = str(self._next("listen", self._startup_timeout)["root_url"])
            return self._root_url

    @property
    def running(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    @property
    def pace(self) -> float:
        return self._pace

    @pace.setter
    def pace(self, value: float) -> None:
        value = valid_pace(value)
        with self._lock:
            self.root_url  # noqa: B018  # the child's first line (where it listens) comes before any answer
            assert self._process is not None
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps({"pace": value}) + "\n")
                self._process.stdin.flush()
            except OSError:
                raise self._exited("set the pace") from None
            answer = self._next("set the pace", 10.0)
            if "error" in answer:
                raise SandboxError(f"The sandbox model server refused the pace {value!r}: {answer['error']}")
            self._pace = float(answer["pace"])

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            process, self._process, self._root_url = self._process, None, None
            if process is None:
                return
            if process.stdin is not None:
                with contextlib.suppress(OSError):  # already gone
                    process.stdin.close()  # the child's signal to stop
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._release(process)

    def __enter__(self) -> SandboxModelProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._root_url or ("starting" if self.running else "stopped")
        return (
            f"<SandboxModelProcess {where} pace={self.pace:g}s (rule-based stand-in, not a language model)>"
        )


_singleton: SandboxModelProcess | None = None
_singleton_lock = threading.Lock()


def get_sandbox_model_server() -> SandboxModelProcess:
    """The process-wide server (chat, embeddings, reranker), started on first call without waiting
    for it (``root_url`` waits), stopped at exit."""
    global _singleton
    with _singleton_lock:
        if _singleton is None or not _singleton.running:
            _singleton = SandboxModelProcess().start()
            atexit.register(_singleton.stop)
        return _singleton
