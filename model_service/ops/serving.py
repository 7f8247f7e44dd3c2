"""The production server: gunicorn with preloaded models, shared metrics and a draining shutdown.

``model-service serve`` runs :class:`ServeApplication`. It reads ``model_service.ops.gunicorn_conf``
(the one place for gunicorn settings), then ``GUNICORN_CMD_ARGS``, then extra gunicorn options
given after ``--``, then its own options. Before anything is loaded it points
``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory, so ``/metrics`` adds up every worker.

On SIGTERM the master first flags the service as shutting down, so ``/readyz`` answers 503 in
every worker while requests are still served, for ``MODEL_SERVICE_DRAIN_SECONDS`` (default 0;
a few seconds behind a load balancer, long enough for it to stop sending traffic). Then gunicorn's
graceful stop closes the listening socket and lets each worker finish its in-flight requests
(up to ``graceful_timeout``); the production worker (``ops/worker.py``) closes its listening
socket first, so a late client is refused rather than reset, and a drain that ends with requests
still unanswered is logged and makes the exit status 5. SIGINT and SIGQUIT still stop at once.
"""
from __future__ import annotations

import importlib
import logging
import mmap
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from .worker import EXIT_REQUESTS_CUT

log = logging.getLogger(__name__)

CONFIG_MODULE = "model_service.ops.gunicorn_conf"
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class ShutdownFlag:
    """A flag in anonymous shared memory, shared by the master and every forked worker."""

    def __init__(self) -> None:
        self._memory = mmap.mmap(-1, 1)

    def set(self) -> None:
        self._memory[0] = 1

    def __bool__(self) -> bool:
        return self._memory[0] == 1


def prepare_metrics_dir() -> tuple[str, bool]:
    """Point prometheus-client at an empty multiprocess directory; return it and whether it is ours.

    A directory given in ``PROMETHEUS_MULTIPROC_DIR`` is emptied of the ``.db`` files of an
    earlier run (stale values would be added to the new ones); otherwise a temporary directory is
    made, and removed again when the server stops.
    """
    given = os.environ.get(METRICS_DIR_VARIABLE)
    if given:
        directory, owned = Path(given), False
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory, owned = Path(tempfile.mkdtemp(prefix="model-service-metrics-")), True
        os.environ[METRICS_DIR_VARIABLE] = str(directory)
    return str(directory), owned


def level_override() -> dict | None:
    """The log level chosen on the command line, which wins over the configuration class."""
    level = os.environ.get("MODEL_SERVICE_LOG_LEVEL")
    return {"LOG_LEVEL": level.upper()} if level else None


def drain_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("MODEL_SERVICE_DRAIN_SECONDS", 0)))
    except ValueError:
        return 0.0


class DrainingArbiter(Arbiter):
    """Gunicorn's master, with a readiness drain before the graceful stop on SIGTERM."""

    def handle_term(self):
        flag = getattr(self.app, "shutdown_flag", None)
        if flag is not None:
            flag.set()
        delay = drain_seconds()
        if delay:
            self.log.info("SIGTERM: /readyz answers 503; serving for %.1fs more before stopping",
                          delay)
        deadline = time.monotonic() + delay
        while (remaining := deadline - time.monotonic()) > 0:
            for sig in self.wait_for_signals(timeout=min(remaining, 0.5)):
                if sig in (signal.SIGINT, signal.SIGQUIT):
                    self.handle_int()  # a second, impatient signal: stop now
                if sig == signal.SIGCHLD:
                    self.handle_chld()
            self.murder_workers()
            self.manage_workers()
        raise StopIteration

    def kill_workers(self, sig):
        # The graceful stop ends with SIGKILL for every worker still alive: their requests die.
        if sig == signal.SIGKILL and self.WORKERS:
            self.workers_killed = True
        super().kill_workers(sig)

    def halt(self, reason=None, exit_status=0):
        """Stop; exit with status 5 when the drain cut requests (a worker says so through the
        shared flag, ``ops/worker.py``, or had to be killed at the graceful timeout)."""
        try:
            super().halt(reason, exit_status)
        except SystemExit as exiting:
            cut = bool(getattr(self.app, "requests_cut", None)) or getattr(
                self, "workers_killed", False)
            if exiting.code in (0, None) and cut:
                self.log.error("Stopped with requests cut by the graceful timeout (%ss)",
                               self.cfg.graceful_timeout)
                raise SystemExit(EXIT_REQUESTS_CUT) from None
            raise


class ServeApplication(BaseApplication):
    """Gunicorn application serving ``create_app()`` with the shared settings."""

    def __init__(self, options: dict | None = None, gunicorn_args: list[str] | None = None,
                 app_factory=None) -> None:
        self.options = options or {}
        self.gunicorn_args = list(gunicorn_args or [])
        self.app_factory = app_factory
        self.shutdown_flag = ShutdownFlag()
        self.requests_cut = ShutdownFlag()  # set by a worker whose drain cut requests
        super().__init__(usage="model-service serve [OPTIONS] [-- GUNICORN OPTIONS]",
                         prog="model-service serve")

    def load_config(self) -> None:
        settings = vars(importlib.import_module(CONFIG_MODULE))
        for name, value in settings.items():
            if name in self.cfg.settings:
                self.cfg.set(name.lower(), value)
        parser = self.cfg.parser()
        for args in (self.cfg.get_cmd_args_from_env(), self.gunicorn_args):
            parsed = parser.parse_args(args)
            for name, value in vars(parsed).items():
                if value is not None and name != "args":
                    self.cfg.set(name.lower(), value)
        for name, value in self.options.items():
            if value is not None:
                self.cfg.set(name, value)

    def load(self):
        if self.app_factory is None:
            from ..app import create_app

            self.app_factory = create_app
        app = self.app_factory(level_override())
        app.config["SHUTTING_DOWN"] = self.shutdown_flag  # read by /readyz
        return app

    def run(self) -> None:
        try:
            DrainingArbiter(self).run()
        except RuntimeError as error:
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)


def serve(options: dict, gunicorn_args: list[str] | None = None) -> None:
    """Run gunicorn in this process until it is stopped; clean the metrics directory after."""
    master_pid = os.getpid()
    directory, owned = prepare_metrics_dir()
    try:
        ServeApplication(options, gunicorn_args).run()
    finally:
        # Workers are forked from here and leave through this frame too: only the master cleans.
        if owned and os.getpid() == master_pid:
            shutil.rmtree(directory, ignore_errors=True)
