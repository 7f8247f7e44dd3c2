"""The contract a model package implements: the abstract ``MLModel`` base class.

Importing it costs the standard library only: a model package that subclasses ``MLModel`` pays
nothing for the web stack, nor for a schema library it does not use (marshmallow or pydantic;
``tests/unit/test_package_shape.py`` holds that).
"""
from __future__ import annotations

import abc
import re
from typing import Any, ClassVar

from .core.errors import ModelContractError

QUALIFIED_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_\-]{0,63}$")

_REQUIRED_STRINGS = ("qualified_name", "display_name", "description", "version")
_REQUIRED_SCHEMAS = ("input_schema", "output_schema")


class MLModel(abc.ABC):
    """Base class of every hosted model.

    Subclasses set the class attributes below and implement ``predict``. The service validates
    input against ``input_schema`` before calling ``predict`` and checks the result against
    ``output_schema`` afterwards, so ``predict`` only ever sees clean, deserialized data.
    """

    qualified_name: ClassVar[str]
    display_name: ClassVar[str]
    description: ClassVar[str]
    version: ClassVar[str]
    input_schema: ClassVar[type]  # a marshmallow Schema or a pydantic BaseModel subclass
    output_schema: ClassVar[type]
    #: Valid input objects: request examples in the API document, the form's first values, the
    #: curl line of the metadata page. One that breaks the input schema is logged and left out.
    examples: ClassVar[list[dict]] = []

    def __init__(self, **configuration: Any) -> None:
        """Load artifacts once; ``configuration`` comes from the models file."""
        self.configuration = configuration

    @abc.abstractmethod
    def predict(self, data: dict) -> dict:
        """Return one prediction for one validated input object."""

    def predict_batch(self, items: list[dict]) -> list[dict]:
        """Return one prediction per item, in order; override to vectorise."""
        return [self.predict(item) for item in items]

    @classmethod
    def overrides_predict_batch(cls) -> bool:
        """Tell whether the subclass vectorises batches (worth micro-batching for)."""
        return cls.predict_batch is not MLModel.predict_batch

    @classmethod
    def check_contract(cls, name: str | None = None) -> None:
        """Raise ``ModelContractError`` naming the class and every broken part of the contract.

        Called by the registry before instantiating, so a broken model package fails to load with a
        message that says what to fix instead of an ``AttributeError`` at the first request.
        """
        problems = []
        for attribute in _REQUIRED_STRINGS:
            value = getattr(cls, attribute, None)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"missing attribute '{attribute}' (a non-empty string)")
        from .core.schema import is_schema_class  # the converters load only when models do

        for attribute in _REQUIRED_SCHEMAS:
            if not is_schema_class(getattr(cls, attribute, None)):
                problems.append(f"attribute '{attribute}' must be a marshmallow Schema class "
                                "or a pydantic BaseModel class")
        qualified = name or getattr(cls, "qualified_name", None)
        if isinstance(qualified, str) and not QUALIFIED_NAME_PATTERN.match(qualified):
            problems.append(
                f"qualified name '{qualified}' is not URL-safe "
                f"(it must match {QUALIFIED_NAME_PATTERN.pattern})"
            )
        abstract = sorted(getattr(cls, "__abstractmethods__", ()))
        if abstract:
            problems.append("missing method(s): " + ", ".join(abstract))
        if problems:
            raise ModelContractError(f"{cls.__module__}.{cls.__qualname__}: " + "; ".join(problems))
