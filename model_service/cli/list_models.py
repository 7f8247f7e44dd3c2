"""``model-service list``: the models found, their status and where each comes from."""
from __future__ import annotations

import click
import orjson

from .group import main
from .context import load_registry


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_models(as_json: bool) -> None:
    """List the models found: name, version, status and where each comes from."""
    models = load_registry().all()
    rows = [{"name": m.name, "version": m.version, "status": m.status, "source": m.source,
             "class_path": m.class_path, "error": m.error} for m in models]
    if as_json:
        click.echo(orjson.dumps({"models": rows}, option=orjson.OPT_INDENT_2).decode())
        return
    if not rows:
        click.echo("No models found (no models.yaml here and no installed model packages).",
                   err=True)
        return
    headers = ("NAME", "VERSION", "STATUS", "SOURCE")
    table = [headers] + [(r["name"], r["version"], r["status"], r["source"]) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for row in table:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())
    for row in rows:
        if row["error"]:
            click.echo(f"{row['name']}: {row['error']}", err=True)
