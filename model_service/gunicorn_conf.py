"""Production gunicorn settings, shared by ``make run``, the ``model-service serve`` command,
the container image and the benchmark (``gunicorn -c python:model_service.gunicorn_conf``).

Every value can be overridden from the environment, so one file serves every deployment.
"""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count(), 4)))
preload_app = True  # models load once in the master; forked workers share their memory
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", 30))
timeout = int(os.environ.get("WORKER_TIMEOUT", 60))
keepalive = 5
wsgi_app = "model_service:create_app()"
