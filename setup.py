"""Packaging: the service, the demo iris model, templates, static assets and the iris artifact."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent


def _files_under(folder: str) -> list[str]:
    root = HERE / folder
    return [str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()]


setup(
    name="model-service",
    version="0.1.0",
    description="Host any MLModel behind a documented, validated web service.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["model_service", "model_service.*", "iris_model"])
    + ["model_service.templates", "model_service.static"],
    package_dir={
        "model_service.templates": "templates",
        "model_service.static": "static",
    },
    package_data={
        "model_service.core": ["README.md"],
        "model_service.cli": ["scaffold/*.tmpl"],
        "model_service.templates": _files_under("templates"),
        "model_service.static": _files_under("static"),
        "iris_model": ["artifacts/*"],
    },
    install_requires=[
        "Flask>=3.1",
        "Bootstrap-Flask>=2.6",
        "Flask-WTF>=1.3",
        "marshmallow>=4.4",
        "apispec[yaml]>=6.10",
        "apispec-webframeworks>=1.2",
        "Jinja2>=3.1",
        "jsonschema>=4.26",
        "fastjsonschema>=2.22",
        "orjson>=3.13",
        "PyYAML>=6.0",
        "Pillow>=13.0",  # media fields: Image.open(formats=), ImageOps.exif_transpose(in_place=)
        "scikit-learn>=1.9",
        "joblib>=1.6",
        "numpy>=2.4",
        "gunicorn>=27.0",  # control socket settings
        "blinker>=1.9",
        "click>=8.5",  # progressbar(hidden=)
        "prometheus-client>=0.26",
        "flask-swagger-ui>=5.34",
    ],
    extras_require={
        # What the example models (examples/*) need beyond the service itself; `make demo` and
        # `make test` install the examples' own packages beside .venv (see the Makefile).
        "examples": [
            "opencv-python-headless>=4.14,<5",  # face_emoji; 5.x dropped the Haar cascades
        ],
        # Sampling profiler for a running worker: py-spy record --gil -p <worker pid>
        "profile": ["py-spy>=0.4.3"],
        "test": [
            "pytest>=9.2",
            "playwright>=1.65",
            "requests>=2.34",
            "openapi-spec-validator>=0.9",
            "kubernetes-validate>=1.37",
            "setuptools>=84",
            "schemathesis>=4.32",
            "openapi-python-client>=0.29",
            # Open Inference Protocol (V2) clients, the ones the /v2 endpoints must satisfy
            "tritonclient[http]>=2.73",
            "open-inference-openapi>=2.0.0.1",
            # `model-service new --from-joblib` of a pipeline fitted on a DataFrame
            "pandas>=2.2",
        ],
    },
    entry_points={
        "console_scripts": ["model-service = model_service.cli:main"],
    },
)
