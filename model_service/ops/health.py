"""Liveness and readiness probes for load balancers and orchestrators."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify

from ..hosting import get_registry
from ..protocols.errors import claim_paths, register_error_handlers
from ..protocols.native.problems import problem_response

bp = Blueprint("health", __name__)
register_error_handlers(bp, problem_response)
#: Paths for machines (probes, scrapes): their errors are problem+json, like the API's.
OPERATIONS_PATHS = ("/healthz", "/readyz", "/metrics")


def init_app(app: Flask) -> None:
    """Register the probes; errors on operations paths answer problem+json."""
    claim_paths(app, OPERATIONS_PATHS, problem_response)
    app.register_blueprint(bp)


@bp.get("/healthz")
def healthz():
    """Report that the process is alive.
    ---
    get:
      operationId: healthz
      summary: Liveness; 200 while the process can answer.
      tags: [operations]
      responses:
        "200":
          description: Alive.
          content:
            application/json:
              schema:
                type: object
                properties:
                  status: {type: string, enum: [ok]}
    """
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Report whether every model is ready to serve.
    ---
    get:
      operationId: readyz
      summary: Readiness; 200 only when every hosted model is ready.
      description: >-
        A model that is busy, or stuck in calls past its timeout, is still ready (its callers
        get 503 or 504 at once); `stuck` names the models with such calls in this process.
      tags: [operations]
      responses:
        "200":
          description: Every model is ready.
          content:
            application/json:
              schema: ReadinessSchema
        "503":
          description: At least one model is not ready, or the server is shutting down.
          content:
            application/json:
              schema: ReadinessSchema
    """
    registry = get_registry(current_app)
    statuses = {hosted.name: hosted.status for hosted in registry.all()}
    shutting_down = current_app.config.get("SHUTTING_DOWN", False)
    ready = registry.all_ready and not shutting_down
    status = "ready" if ready else ("shutting down" if shutting_down else "not ready")
    # A busy or stuck model does not make the service unready: that would take every model of
    # this instance out of rotation for one model's fault, and its own callers already get a
    # 503 or 504 at once. The body names the models with calls past their timeout_s instead.
    stuck = sorted(hosted.name for hosted in registry.all()
                   if hosted.runner is not None and hosted.runner.state()["stuck"])
    return jsonify(status=status, models=statuses, stuck=stuck), 200 if ready else 503
