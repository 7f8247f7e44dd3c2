"""Test helpers for model packages: ``check_model`` and ``ModelClient``.

In a model package's own tests::

    from model_service.testing import ModelClient, check_model
    from my_model import MyModel

    def test_the_model_keeps_its_contract():
        check_model(MyModel)            # the checks of `model-service check`, as assertions

    def test_the_api_answers():
        client = ModelClient(MyModel)   # the real application, in-process, hosting MyModel
        assert client.predict({"x": 1.0})["label"] in ("a", "b")
"""
from __future__ import annotations

from typing import Any

from .core.selfcheck import CheckReport, check_hosted


def _hosting_app(model_class: type, configuration: dict):
    from .app import create_app

    return create_app({"TESTING": True, "MODEL_CLASSES": [(model_class, configuration)],
                       "LOG_LEVEL": "WARNING"}, settings="testing")


def check_model(model_class: type, **configuration: Any) -> CheckReport:
    """Load ``model_class`` as the service does and run every check; raise ``AssertionError``.

    The error lists each failure in the words of ``model-service check``; on success the report
    is returned (its findings include the timings).
    """
    from .core.registry import ModelRegistry
    from .core.specs import ModelSpec

    registry = ModelRegistry()
    registry.load([ModelSpec(name=None, class_path=f"{model_class.__module__}."
                             f"{model_class.__qualname__}", configuration=configuration,
                             source="test", model_class=model_class)])
    (hosted,) = registry.all()
    report = check_hosted(hosted)
    if not report.ok:
        lines = [f"{finding.what}: {finding.detail}" for finding in report.failures()]
        raise AssertionError(f"{report.model} fails {len(lines)} check(s):\n  " + "\n  ".join(lines))
    return report


class ModelClient:
    """The real application hosting one model class, answering in-process (no server, no port).

    ``predict`` and ``predict_batch`` return the decoded JSON answer and raise ``AssertionError``
    with the problem's details on any other status than 200; ``request`` gives the raw response.
    """

    def __init__(self, model_class: type, **configuration: Any) -> None:
        self.app = _hosting_app(model_class, configuration)
        self.client = self.app.test_client()
        from .app import get_registry

        # The name it is hosted under: an ml_base model's qualified_name exists only on its instance.
        (hosted,) = get_registry(self.app).all()
        self.name = hosted.name

    def request(self, method: str, path: str, **kwargs: Any):
        """Send any request to the application (``client.request("GET", "/readyz")``)."""
        return self.client.open(path, method=method, **kwargs)

    def _ok(self, response) -> Any:
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {response.get_data(as_text=True)}")
        return response.get_json()

    def predict(self, data: dict) -> dict:
        return self._ok(self.client.post(f"/api/models/{self.name}/predict", json=data))

    def predict_batch(self, items: list[dict]) -> list[dict]:
        return self._ok(self.client.post(f"/api/models/{self.name}/predict_batch", json=items))

    def metadata(self) -> dict:
        return self._ok(self.client.get(f"/api/models/{self.name}/metadata"))
