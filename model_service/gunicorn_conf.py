"""Production gunicorn settings, shared by ``make run``, the ``model-service serve`` command,
the container image and the benchmark (``gunicorn -c python:model_service.gunicorn_conf``).

Every value can be overridden from the environment, so one file serves every deployment.
Workers are threaded (``gthread``): concurrent requests inside one process are what the
micro-batcher gathers into one ``predict_batch`` call, and keep-alive connections are kept.
"""
import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count(), 4)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", 16))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
preload_app = True  # models load once in the master; forked workers share their memory
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", 30))
timeout = int(os.environ.get("WORKER_TIMEOUT", 60))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
wsgi_app = "model_service:create_app()"
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
