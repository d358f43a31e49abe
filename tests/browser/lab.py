"""Real Jupyter servers for the browser suite: JupyterLab 4 and Notebook 7 from the project venv.

Both front ends run on the same jupyter_server, so one class starts either: ``app="lab"`` runs
``python -m jupyter lab``, ``app="notebook"`` runs ``python -m jupyter notebook``, with the same
flags (loopback, random port and token, no browser, a temporary copy of ``notebooks/``, sandbox
environment) and the same process-group shutdown. Only the page URL differs.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import httpx2

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

App = Literal["lab", "notebook"]
_TITLES: dict[App, str] = {"lab": "JupyterLab", "notebook": "Notebook 7"}

# Front-end settings for a quiet, deterministic page, read by JupyterLab and Notebook 7 alike
# (both take their user settings from JUPYTERLAB_SETTINGS_DIR): no news/update poll (no network
# here, and its toast would cover the notebook), no autosave racing the scenario's own edits.
_LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Every cell stays in the DOM: virtualised cells would vanish from the page the tests read.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
# Variables that could point the kernel at a real account or model: the suite is offline only.
_SCRUBBED_PREFIXES = ("STRIPE_", "DAT1_")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bounded_wait(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.05, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy; ``TimeoutError`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g} s")
        time.sleep(interval)


@dataclass
class JupyterServer:
    """``python -m jupyter <app>`` from the project venv on a random loopback port and token.

    The root directory is a temporary copy of the repo's ``notebooks/``, so scenarios never write
    into the repo. Environment for the kernels it starts: sandbox mode, pace ``pace`` (0 = no
    artificial delay), and no Stripe or DAT1 variables from the caller.
    """

    app: App = "lab"
    pace: float = 0.0
    root: Path = field(init=False)
    port: int = field(init=False)
    token: str = field(init=False)
    log_path: Path = field(init=False)
    _home: Path = field(init=False)
    _process: subprocess.Popen[bytes] | None = field(init=False, default=None)

    @property
    def title(self) -> str:
        """The front end's name, for messages: "JupyterLab" or "Notebook 7"."""
        return _TITLES[self.app]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> JupyterServer:
        self._home = Path(tempfile.mkdtemp(prefix=f"snba-{self.app}-"))
        self.root = self._home / "notebooks"
        shutil.copytree(REPO / "notebooks", self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings_dir = self._home / "lab-settings"
        for plugin, values in _LAB_SETTINGS.items():
            package, name = plugin.rsplit("/", 1)
            target = settings_dir / package / f"{name}.jupyterlab-settings"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        self.port, self.token = free_port(), secrets.token_hex(16)
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
        env.update(
            STRIPE_NB_AGENT_MODE="sandbox",
            STRIPE_NB_AGENT_SANDBOX_PACE=repr(self.pace),
            JUPYTERLAB_SETTINGS_DIR=str(settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self._home / "workspaces"),
            JUPYTER_RUNTIME_DIR=str(self._home / "runtime"),
            JUPYTER_CONFIG_DIR=str(self._home / "config"),
            IPYTHONDIR=str(self._home / "ipython"),
            # The kernel imports the package from the repo checkout, like a developer's notebook.
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            PYTHONUNBUFFERED="1",
        )
        self.log_path = self._home / f"jupyter-{self.app}.log"
        command = [
            str(VENV_PYTHON),
            "-m",
            "jupyter",
            self.app,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            # JupyterLab's server extension loads under Notebook 7 too, so these apply to both.
            "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # The extension manager would query PyPI from the browser; there is nothing to manage.
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        with self.log_path.open("wb") as log:
            # A new session (process group): teardown kills the server and every kernel it started.
            self._process = subprocess.Popen(
                command,
                cwd=self._home,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            bounded_wait(self._ready, timeout=timeout, interval=0.2, what=f"{self.title} start-up")
        except BaseException:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        if self._process is not None and self._process.poll() is not None:
            raise RuntimeError(
                f"{self.title} exited with code {self._process.returncode} during start-up; "
                f"see its log:\n{self.log_tail()}"
            )
        try:
            return self.api("GET", "/api/status").status_code == 200
        except httpx2.TransportError:
            return False

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            pgid = os.getpgid(process.pid)
            os.killpg(pgid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(pgid, signal.SIGKILL)
                process.wait(timeout=10)
            # Kernels live in the same process group; make sure none outlives the server.
            with suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        shutil.rmtree(self._home, ignore_errors=True)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def api(self, method: str, path: str, body: Any = None) -> httpx2.Response:
        return httpx2.request(
            method,
            self.base_url + path,
            headers={"Authorization": f"token {self.token}"},
            json=body,
            timeout=10.0,
        )

    # --- notebooks and kernels -----------------------------------------------------------------

    def new_notebook(self, name: str, sources: tuple[str, ...] = ("",)) -> str:
        """Write a notebook (python3 kernelspec, so no kernel picker) through the contents API."""
        cells: list[dict[str, Any]] = [
            {
                "id": f"cell-{i}",
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": s,
            }
            for i, s in enumerate(sources)
        ]
        content = {
            "cells": cells,
            "metadata": {
                "kernelspec": {
                    "name": "python3",
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        response = self.api("PUT", f"/api/contents/{quote(name)}", {"type": "notebook", "content": content})
        response.raise_for_status()
        return name

    def clear_outputs(self, path: str) -> None:
        """Blank a notebook's saved outputs (in the temporary root), so only fresh ones are read."""
        model = self.api("GET", f"/api/contents/{quote(path)}?content=1").json()
        content = model["content"]
        for cell in content["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        self.api(
            "PUT", f"/api/contents/{quote(path)}", {"type": "notebook", "content": content}
        ).raise_for_status()

    def shut_down_kernels(self, path: str) -> None:
        """End the sessions (and kernels) of one notebook, so kernels do not pile up on 2 cores."""
        for session in self.api("GET", "/api/sessions").json():
            if session.get("path") == path:
                self.api("DELETE", f"/api/sessions/{session['id']}")

    def url(self, path: str, workspace: str | None = None) -> str:
        """The page that opens notebook ``path`` in this front end.

        JupyterLab gets a workspace per page (``workspace``, by default the notebook's name), so
        nothing an earlier scenario opened is restored into it. Notebook 7 shows one notebook per
        tab and restores no layout, so it takes no workspace.
        """
        if self.app == "notebook":
            if workspace is not None:
                raise ValueError("Notebook 7 has no workspaces: open the notebook without one")
            return f"{self.base_url}/notebooks/{quote(path)}?token={self.token}"
        workspace = workspace or Path(path).stem
        return (
            f"{self.base_url}/lab/workspaces/{quote(workspace)}/tree/{quote(path)}?reset&token={self.token}"
        )


# The name the JupyterLab scenarios and scripts/screenshot.py know the server by.
JupyterLab = JupyterServer


@contextmanager
def running_server(app: App = "lab", pace: float = 0.0) -> Iterator[JupyterServer]:
    server = JupyterServer(app=app, pace=pace).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_lab(pace: float = 0.0) -> Iterator[JupyterServer]:
    with running_server("lab", pace) as lab:
        yield lab
