"""The ``model-service`` command group; each verb's module adds itself to it."""
from __future__ import annotations

import os

import click

from ..core.errors import ConfigurationError

EXIT_CONFIGURATION = 2


class ServiceGroup(click.Group):
    """Click's group, printing a ``ConfigurationError`` as one line (exit status 2)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigurationError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(EXIT_CONFIGURATION)


@click.group(cls=ServiceGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="model-service", prog_name="model-service")
@click.option("--config", "-c", "config", envvar="MODEL_SERVICE_CONFIG",
              type=click.Path(exists=True, dir_okay=False),
              help="The models file [default: MODEL_SERVICE_CONFIG, else ./models.yaml if "
                   "present, else the built-in iris demo]; installed model packages are found "
                   "either way.")
def main(config: str | None) -> None:
    """Host MLModel implementations behind a validated web service."""
    if config:  # read when the models load, here and in every server process
        os.environ["MODEL_SERVICE_CONFIG"] = os.path.abspath(config)
