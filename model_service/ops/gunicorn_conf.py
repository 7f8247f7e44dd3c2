"""Production gunicorn settings, shared by ``make run``, the ``model-service serve`` command,
the container image and the benchmark (``gunicorn -c python:model_service.gunicorn_conf``).

Every value can be overridden from the environment, so one file serves every deployment.
Workers are threaded (``gthread``): concurrent requests inside one process are what the
micro-batcher gathers into one ``predict_batch`` call, and keep-alive connections are kept.
"""
import gc
import multiprocessing
import os
import shutil
import tempfile

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"


def default_workers() -> int:
    """``WEB_CONCURRENCY`` when set, else one worker per usable CPU: at least 2, at most 8."""
    try:
        return max(1, int(os.environ["WEB_CONCURRENCY"]))
    except (KeyError, ValueError):
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = multiprocessing.cpu_count()
    return max(2, min(cpus, 8))


workers = default_workers()
# gthread, with each request read by the worker's event loop before a thread takes it: a slow
# or idle client costs a buffer and a timer, not a thread (ops/worker.py).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "model_service.ops.worker.GuardedThreadWorker")
threads = int(os.environ.get("GUNICORN_THREADS", 16))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
preload_app = True  # models load once in the master; forked workers share their memory
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", 30))
timeout = int(os.environ.get("WORKER_TIMEOUT", 60))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
wsgi_app = "model_service:create_app()"

# Gunicorn's control socket lives under $HOME by default, which a non-root container with a
# read-only root filesystem cannot write; it is off unless a path is asked for.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
# Worker heartbeat files on tmpfs when there is one: never slowed by a disk, and writable under
# a read-only root filesystem.
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"


# `model-service serve` prepares the shared metrics directory before loading this file. When
# gunicorn is started directly with this file, gunicorn sets the variable below before it loads
# the application, so /metrics still adds up every worker; the master removes it on exit.
# (Nothing is created here: importing this file has no side effects.)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics_dir = os.path.join(tempfile.gettempdir(), f"model-service-metrics-{os.getpid()}")
    raw_env = [f"PROMETHEUS_MULTIPROC_DIR={_metrics_dir}"]

    def on_exit(server):
        """Remove the metrics directory named above when the master stops."""
        shutil.rmtree(_metrics_dir, ignore_errors=True)


def on_starting(server):
    """Share the workers' connection counts, so that new connections go to the least loaded."""
    from model_service.ops.balance import ConnectionCounts

    server.connection_counts = ConnectionCounts()


def pre_fork(server, worker):
    """Give the worker about to be forked its slot in the shared connection counts."""
    counts = getattr(server, "connection_counts", None)
    if counts is not None:
        taken = {getattr(other, "balance_slot", None) for other in server.WORKERS.values()}
        worker.balance_slot = counts.claim(taken)
        worker.connection_counts = counts


def child_exit(server, worker):
    """Free a dead worker's connection-count slot; drop its live gauges from the metrics."""
    counts = getattr(server, "connection_counts", None)
    if counts is not None:
        counts.release(getattr(worker, "balance_slot", None))
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# Gunicorn's own messages in the same JSON lines as the service's (MODEL_SERVICE_LOG_FORMAT=text
# keeps gunicorn's usual format). Gunicorn's loggers hand their records to the root handler.
if os.environ.get("MODEL_SERVICE_LOG_FORMAT", "json") != "text":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": os.environ.get("MODEL_SERVICE_LOG_LEVEL", "INFO").upper(),
                 "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},  # model_service.access logs requests
        },
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "json",
                       "stream": "ext://sys.stderr"},
        },
        "formatters": {"json": {"()": "model_service.ops.request_log.JsonFormatter"}},
    }
    # With a logging configuration, gunicorn prepares an access line for every request (a dozen
    # header lookups) even though "gunicorn.access" above has nowhere to write it; this logger
    # skips that work unless a handler was given (e.g. `serve -- --access-logfile -`).
    logger_class = "model_service.ops.gunicorn_logging.ServiceLogger"


# A kept-alive connection stays with the worker that accepted it, so a burst of clients can land
# on one worker and leave another idle. Closing each connection after this many requests lets
# the clients reconnect, and the least busy worker (first back in accept) takes them: the load
# rebalances within a fraction of a second, at the cost of one reconnect per that many requests.
keepalive_requests = int(os.environ.get("GUNICORN_KEEPALIVE_REQUESTS", 100))


def pre_request(worker, req):
    """Ask for ``Connection: close`` on every ``keepalive_requests``-th request of a connection."""
    if keepalive_requests <= 0:
        return
    connection = req.unreader  # one per client connection
    served = getattr(connection, "served_requests", 0) + 1
    connection.served_requests = served
    if served >= keepalive_requests:
        req.must_close = True


def when_ready(server):
    """Freeze the preloaded objects out of the garbage collector's reach before forking.

    Collections then skip the models and libraries loaded at start-up (faster collections during
    large batches), and never write to their pages, so forked workers keep sharing that memory.
    """
    gc.freeze()


def post_worker_init(worker):
    """Make the model runners anew in the worker, and bound the threads their callers may hold.

    gevent's worker patches ``threading`` only once forked: runners made in the master hold
    locks of the unpatched kind, which would block a whole worker instead of one greenlet.
    """
    from gunicorn.workers.gthread import ThreadWorker

    from model_service.core import limits

    limits.reset_all()
    if worker.__class__.__module__.startswith("gunicorn.workers.ggevent"):
        # Runner threads are greenlets there: the model itself runs on a real thread, so that
        # a model computing for a while does not stop the worker's event loop (probes included).
        import gevent

        limits.set_offload(lambda function, *args: gevent.get_hub().threadpool.apply(
            function, args))
    if isinstance(worker, ThreadWorker):
        # Each caller waiting for a model holds one of the worker's threads: keep a quarter of
        # them (at least two) for pages, probes and metrics whatever the models do.
        limits.set_caller_capacity(max(1, worker.cfg.threads - max(2, worker.cfg.threads // 4)))
