"""``model-service check [NAME]``: load models as the service would and check each one."""
from __future__ import annotations

import sys

import click

from ..core.selfcheck import check_hosted
from .context import load_registry
from .group import main

EXIT_FAILED = 1
MARKS = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
COLOURS = {"ok": "green", "warn": "yellow", "fail": "red"}


@main.command()
@click.argument("name", required=False)
def check(name: str | None) -> None:
    """Check model NAME (or every model found): contract, examples, outputs, batches, time.

    Loads the models exactly as the server would (the models file and installed packages).
    Exit status 1 when any check fails.
    """
    registry = load_registry()
    models = registry.all()
    if name is not None:
        models = [hosted for hosted in models if hosted.name == name]
        if not models:
            names = ", ".join(sorted(hosted.name for hosted in registry.all())) or "none"
            raise click.ClickException(f"No model named '{name}' was found. Models found: {names}.")
    if not models:
        raise click.ClickException("No models found (no models.yaml here and no installed "
                                   "model packages).")
    failed = 0
    for hosted in models:
        report = check_hosted(hosted)
        click.echo(f"{report.model} ({report.source})")
        for finding in report.findings:
            mark = click.style(MARKS[finding.level], fg=COLOURS[finding.level])
            detail = f": {finding.detail}" if finding.detail else ""
            click.echo(f"  {mark}  {finding.what}{detail}")
        failed += not report.ok
    if failed:
        click.echo(f"{failed} of {len(models)} model(s) failed their checks.", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"{len(models)} model(s) passed every check.")
