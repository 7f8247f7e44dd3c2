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


class RequestTimeout(ModelServiceError):
    """The client sent its request too slowly."""

    status = 408


class Unauthorized(ModelServiceError):
    status = 401


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


class ModelBusy(ModelServiceError):
    """Every slot of the model is taken and its queue is full: refused at once, retry later."""

    status = 503

    def __init__(self, name: str, running: int, waiting: int, retry_after: int) -> None:
        super().__init__(
            f"Model '{name}' is busy: {running} calls running and {waiting} requests waiting, "
            f"its limit. Retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)})
        self.name, self.retry_after = name, retry_after


class ModelTimeout(ModelServiceError):
    """The model did not answer within its ``timeout_s``; a late result is dropped."""

    status = 504

    def __init__(self, name: str, timeout_s: float, started: bool) -> None:
        where = ("its call did not finish" if started
                 else "the request waited for a free slot and was not run")
        super().__init__(f"Model '{name}' did not answer within its limit of {timeout_s:g} s "
                         f"({where}).")
        self.name, self.timeout_s, self.started = name, timeout_s, started


class ClientGone(ModelServiceError):
    """The client closed its connection while its request waited: the request is not run."""

    status = 499  # nobody reads the answer; the request log says what happened

    def __init__(self, name: str) -> None:
        super().__init__(f"The client left while its request for model '{name}' waited.")


class ModelFailure(ModelServiceError):
    """The model raised, or broke its own output contract: a 500 for that request only."""

    status = 500


class BatchItemsFailed(ModelFailure):
    """Some items of a batch failed in the model; ``errors`` names each by its index."""

    def __init__(self, name: str, failures: dict[int, str], size: int,
                 results: list | None = None) -> None:
        super().__init__(
            f"Model '{name}' failed on {len(failures)} of {size} batch items; "
            "the errors have been logged.",
            {str(index): [message] for index, message in sorted(failures.items())})
        self.failures = failures
        self.results = results  # each item's result, None where it failed (for the CLI)


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
