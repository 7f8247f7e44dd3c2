"""Domain errors: each carries the HTTP status it maps to and builds its message from data.

They know nothing of response bodies. Each protocol renders them in its own shape
(``protocols/native/problems.py``: problem+json; ``web/errors.py``: an HTML page), so the same
error reads the same everywhere.
"""
from __future__ import annotations

from typing import Any


class ModelServiceError(Exception):
    """Base of the errors a request can end with; ``status`` is the HTTP status it maps to."""

    status = 500

    def __init__(self, detail: str, errors: Any = None, headers: dict | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(ModelServiceError):
    status = 400


class ModelNotFound(ModelServiceError):
    """No hosted model has this name."""

    status = 404

    def __init__(self, name: str) -> None:
        super().__init__(f"No model named '{name}' is hosted here.")
        self.name = name


class ModelVersionNotFound(ModelNotFound):
    """The model is hosted, but not in the version asked for."""

    def __init__(self, name: str, version: str, served: str) -> None:
        ModelServiceError.__init__(self, f"Model '{name}' has no version '{version}'; "
                                         f"it serves version '{served}'.")
        self.name = name


class NotAcceptable(ModelServiceError):
    """The client's ``Accept`` header allows nothing the model produced."""

    status = 406


class PayloadTooLarge(ModelServiceError):
    status = 413


class BatchTooLarge(PayloadTooLarge):
    """A batch holds more items than the service takes in one request."""

    def __init__(self, limit: int, size: int) -> None:
        super().__init__(f"A batch holds at most {limit} items; this one has {size}.")


class UnsupportedMediaType(ModelServiceError):
    status = 415

    def __init__(self, expected: str, got: str | None) -> None:
        shown = got or "none"
        super().__init__(f"Content-Type must be {expected}; got {shown}.",
                         {"Content-Type": [f"Unsupported media type: {shown}."]})


class ValidationFailed(ModelServiceError):
    status = 422


class InvalidInput(ValidationFailed):
    """Input that breaks a model's input schema; ``errors`` names each field and why."""

    def __init__(self, name: str, errors: Any) -> None:
        super().__init__(f"Input does not match the input schema of model '{name}'.", errors)


class InputRefused(Exception):
    """Raised by a model's ``predict`` for input that matches its schema but that it cannot take.

    ``errors`` are field messages (``{"_schema": [...]}`` for the whole input; for a batch, keyed
    by item index). The pipeline answers ``InvalidInput`` (422) with them, naming the model: an
    ml_base model's ``MLModelSchemaValidationException`` arrives as one.
    """

    def __init__(self, errors: Any) -> None:
        super().__init__(str(errors))
        self.errors = errors


class ModelNotReady(ModelServiceError):
    """The model failed to load (``reason`` says why) and cannot serve."""

    status = 503

    def __init__(self, name: str, reason: str | None) -> None:
        super().__init__(f"Model '{name}' is not ready: {reason}")
        self.name = name


class ModelFailure(ModelServiceError):
    """The model raised, or broke its own output contract: a 500 for that request only."""

    status = 500


class ModelContractError(Exception):
    """A model class does not implement the ``MLModel`` contract (a load-time error)."""


class ModelLoadError(Exception):
    """A configured or discovered model could not be loaded."""


class ConfigurationError(Exception):
    """A setting the service cannot use: names where it came from, the key, and what was expected.

    Raised before anything is served; the command line prints the message alone and exits 2.
    """

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {problem}")
        self.source, self.key, self.problem = source, key, problem
