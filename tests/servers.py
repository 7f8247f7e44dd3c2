"""Real servers for the integration and browser tests: werkzeug in a thread, gunicorn in a process."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import make_server

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadedServer:
    """Serve a Flask app over real HTTP on 127.0.0.1 from a background thread."""

    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


def wait_until_up(url: str, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            requests.get(url + "/healthz", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up in {timeout}s")


def service_env(**extra: str) -> dict:
    """The environment of a served process: fixtures importable, production settings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(FIXTURES), str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    env.setdefault("APP_SETTINGS", "production")
    env.update(extra)
    return env


class GunicornServer:
    """Run the real production server (gunicorn, preloaded app) as a subprocess."""

    def __init__(self, workers: int = 2, env: dict | None = None, cwd: Path | None = None,
                 args: list[str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable, "-m", "gunicorn", "--preload", "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "5",
            *(args or []), "model_service:create_app()",
        ]
        self.env = env or service_env()
        self.cwd = cwd or REPO_ROOT
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: a chatty server must never block on a full pipe nobody reads.
        self.log = tempfile.TemporaryFile(mode="w+")

    def __enter__(self) -> "GunicornServer":
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.cwd,
                                        stdout=self.log, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until_up(self.url, self.process)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        """Everything the server printed so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()
