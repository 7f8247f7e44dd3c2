"""Run the ``model-service`` command as ``python -m model_service``."""
from .cli import main

main(prog_name="model-service")
