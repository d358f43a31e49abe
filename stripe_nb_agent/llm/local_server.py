"""llama.cpp's own HTTP server, run in this process through xllamacpp, for ``local/<model>``.

One server per model file per process, bound to 127.0.0.1 on a port the OS picks, started on
first use and reused after. The chat client reaches it like any OpenAI-compatible server
(``Endpoint.openai(server.base_url, ...)``): there is no special path for local models. Servers
stop on :func:`stop_local_servers` and when the process exits (atexit).

xllamacpp is the optional ``local`` extra (prebuilt CPU wheels, no compiler); it is imported
only when a server starts.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

from stripe_nb_agent.errors import ConfigError, ModelConnectError
from stripe_nb_agent.llm.local_models import LOCAL_EXTRA_INSTALL, find_model_file

__all__ = [
    "LocalServer",
    "LocalServerOptions",
    "local_extra_missing",
    "running_local_servers",
    "start_local_server",
    "stop_local_servers",
]

HOST = "127.0.0.1"
_HEALTH_POLL_S = 0.05
_EXIT_STOP_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class LocalServerOptions:
    """How a local llama.cpp server is sized.

    ``n_ctx`` bounds the context (and the KV cache's memory); ``n_threads`` defaults to the
    machine's cores, at most 4; ``n_parallel`` is how many requests decode at once (each gets
    ``n_ctx / n_parallel`` of context). ``startup_timeout`` bounds the wait for ``/health``.
    """

    n_ctx: int = 4096
    n_threads: int | None = None
    n_parallel: int = 1
    startup_timeout: float = 120.0
    quiet: bool = True

    def threads(self) -> int:
        return self.n_threads if self.n_threads is not None else max(1, min(4, os.cpu_count() or 1))


def local_extra_missing() -> str:
    """Why local models cannot run (xllamacpp is not installed), or "" when they can."""
    try:
        found = importlib.util.find_spec("xllamacpp") is not None
    except (ImportError, ValueError):  # ValueError: blocked with sys.modules["xllamacpp"] = None
        found = False
    if not found:
        return f"the 'local' extra (xllamacpp) is not installed: run `{LOCAL_EXTRA_INSTALL}`."
    return ""


class LocalServer:
    """A running llama.cpp server for one GGUF file. Build it with :func:`start_local_server`."""

    def __init__(
        self, path: Path, options: LocalServerOptions, native: Any, root_url: str, startup_s: float
    ) -> None:
        self.path = path
        self.options = options
        self.root_url = root_url
        self.startup_s = startup_s
        self._native: Any = native
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalServer({self.path.name}, {self.root_url}, {state})"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``http://127.0.0.1:PORT/v1``)."""
        return f"{self.root_url}/v1"

    @property
    def model_id(self) -> str:
        """The name the server answers to (and reports in each chunk's ``model``)."""
        return self.path.stem

    @property
    def port(self) -> int:
        return urlsplit(self.root_url).port or 0

    @property
    def running(self) -> bool:
        return self._native is not None

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop serving. True once stopped; False if it was still stopping after ``timeout``.

        llama.cpp's server stops only after its open streams are closed by their clients, so
        the release runs on a helper thread and the wait is bounded.
        """
        with self._lock:
            native, self._native = self._native, None
        _forget(self)
        if native is None:
            return True
        holder = [native]
        del native
        # The helper drops the last reference: xllamacpp stops the server in its destructor.
        releaser = threading.Thread(target=holder.clear, name="stripe-nb-agent-llama-stop", daemon=True)
        releaser.start()
        releaser.join(timeout)
        return not releaser.is_alive()


_servers: dict[Path, LocalServer] = {}
# Re-entrant: a server that fails its start-up is stopped (and forgotten) under this lock.
_servers_lock = threading.RLock()
_atexit_registered = False


def start_local_server(
    model: str | os.PathLike[str], options: LocalServerOptions | None = None
) -> LocalServer:
    """The running server for ``model`` (a GGUF path or a ``local/`` name), starting it if needed.

    One server per file: a second call for the same file returns the first server whatever its
    ``options``. Loading blocks for as long as llama.cpp takes to read the file (under a second
    for a 100 MB model; minutes for tens of GB). Raises ConfigError when the extra or the file is
    missing or llama.cpp cannot load the file, ModelConnectError when it never becomes healthy.
    """
    path = find_model_file(os.fspath(model))
    options = options or LocalServerOptions()
    with _servers_lock:
        existing = _servers.get(path)
        if existing is not None and existing.running:
            return existing
        server = _start(path, options)
        _servers[path] = server
        _register_atexit()
        return server


def running_local_servers() -> list[LocalServer]:
    """The servers this process has running, oldest first."""
    with _servers_lock:
        return [s for s in _servers.values() if s.running]


def stop_local_servers(timeout: float = 10.0) -> int:
    """Stop every local server this process started; returns how many were running."""
    with _servers_lock:
        servers = list(_servers.values())
    count = 0
    for server in servers:
        if server.running:
            count += 1
        server.stop(timeout)
    return count


# --- internals --------------------------------------------------------------------------------


def _start(path: Path, options: LocalServerOptions) -> LocalServer:
    missing = local_extra_missing()
    if missing:
        raise ConfigError(f"Local model {path.name!r} cannot run: {missing}")
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {path.stem}
    params.hostnames = [HOST]
    params.port = 0  # the OS picks a free port; listening_address reports it
    params.n_ctx = options.n_ctx
    params.n_parallel = options.n_parallel
    params.cpuparams.n_threads = options.threads()
    params.cpuparams_batch.n_threads = options.threads()
    params.warmup = False
    if options.quiet:
        params.verbosity = -1
    started = time.perf_counter()
    try:
        native = xllamacpp.Server(params)
    except RuntimeError as exc:
        raise ConfigError(
            f"llama.cpp could not load {path} ({exc}). Check that the file is a complete GGUF model "
            f"(re-download it if it was cut short) and that n_ctx={options.n_ctx} fits in memory."
        ) from exc
    root_url = str(native.listening_address).rstrip("/")
    server = LocalServer(path, options, native, root_url, 0.0)
    if not server.port:
        server.stop(timeout=1.0)
        raise ModelConnectError(
            f"The llama.cpp server for {path.name} did not report its port ({root_url!r}). "
            f"Upgrade xllamacpp ({LOCAL_EXTRA_INSTALL} --upgrade)."
        )
    try:
        _wait_healthy(root_url, options.startup_timeout)
    except BaseException:
        server.stop(timeout=1.0)
        raise
    server.startup_s = time.perf_counter() - started
    return server


def _wait_healthy(root_url: str, timeout: float, *, clock: Callable[[], float] = time.monotonic) -> None:
    """Poll ``GET /health`` until 200 (503 while the model loads), bounded by ``timeout``."""
    deadline = clock() + timeout
    last = "no answer yet"
    with httpx2.Client(timeout=httpx2.Timeout(min(5.0, timeout))) as http:
        while True:
            try:
                response = http.get(f"{root_url}/health")
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx2.TransportError as exc:
                last = type(exc).__name__
            if clock() >= deadline:
                raise ModelConnectError(
                    f"The local llama.cpp server at {root_url} was not healthy after {timeout:g} s "
                    f"(last answer: {last}). Raise LocalServerOptions(startup_timeout=...) for a large "
                    "model, or free memory and try again."
                )
            time.sleep(_HEALTH_POLL_S)


def _forget(server: LocalServer) -> None:
    with _servers_lock:
        if _servers.get(server.path) is server:
            del _servers[server.path]


def _register_atexit() -> None:
    global _atexit_registered
    if not _atexit_registered:
        # Before interpreter teardown, while the native server's threads can still be joined.
        atexit.register(stop_local_servers, _EXIT_STOP_TIMEOUT_S)
        _atexit_registered = True
