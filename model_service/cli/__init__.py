"""The ``model-service`` command: ``serve``, ``list``, ``check``, ``new``, ``openapi``, ``predict``.

``serve`` is the production server (gunicorn, preloaded models, shared metrics, draining
shutdown), or Flask's reloader with ``--dev``. ``list`` and ``predict`` load the models through
the registry directly, as the server would, without building a web application. A setting or
models file the service cannot use is one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

from .group import main
from . import check, list_models, new, openapi, predict, serve  # noqa: E402,F401  (each adds its verb)

__all__ = ["main"]

if __name__ == "__main__":  # pragma: no cover
    main()
