"""Gunicorn settings under their published name: ``gunicorn -c python:model_service.gunicorn_conf``.

The settings live in ``model_service.ops.gunicorn_conf``; deployments keep naming this module.
"""
from model_service.ops.gunicorn_conf import *  # noqa: F401,F403  (gunicorn reads every name)
from model_service.ops.gunicorn_conf import (  # noqa: F401
    child_exit, on_starting, post_worker_init, pre_fork, pre_request, when_ready)
