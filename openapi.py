"""Write ``openapi.yaml``: the API document of the models this repository's ``models.yaml`` hosts.

    python openapi.py [PATH]        # default: openapi.yaml beside this file

The committed document must not depend on the machine that wrote it, so it documents exactly
the models listed in ``models.yaml``, with entry-point discovery switched off (in a clean install
discovery only finds the iris model, which ``models.yaml`` already lists). A running service
documents the models it actually loaded at ``/api/openapi.json``.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from model_service import create_app
from model_service.protocols.openapi import build_spec, to_yaml

ROOT = Path(__file__).resolve().parent
MODELS_FILE = ROOT / "models.yaml"
OUTPUT = ROOT / "openapi.yaml"


def reference_app():
    """Create the app that hosts the models of ``models.yaml`` and nothing discovered."""
    data = yaml.safe_load(MODELS_FILE.read_text(encoding="utf-8")) or {}
    data["discover_entry_points"] = False
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "models.yaml"
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        return create_app({"MODEL_SERVICE_CONFIG": str(config)}, settings="production")


def render() -> str:
    """Return the text of the reference ``openapi.yaml``."""
    return to_yaml(build_spec(reference_app()))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else OUTPUT
    text = render()
    path.write_text(text, encoding="utf-8")
    paths = yaml.safe_load(text)["paths"]
    print(f"Wrote {path} ({len(paths)} paths).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
