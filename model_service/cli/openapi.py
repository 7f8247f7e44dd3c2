"""``model-service openapi``: write the OpenAPI document the server publishes."""
from __future__ import annotations

import click

from .group import main
from .context import build_app


@main.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              show_default=True, help="File to write ('-': standard output).")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="Document format [default: from the file's extension, else yaml].")
def openapi(output: str, fmt: str | None) -> None:
    """Write the OpenAPI document (the one served at /api/openapi.json)."""
    from ..protocols.docs import get_document

    document = get_document(build_app())  # the very bytes served at /api/openapi.json|yaml
    fmt = fmt or ("json" if output.endswith(".json") else "yaml")
    text = document.json.decode() + "\n" if fmt == "json" else document.yaml
    with click.open_file(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    if output != "-":
        click.echo(f"Wrote {output}", err=True)
