"""`resnet-repro schema`: the JSON Schema of a target file, for an editor's YAML language server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..atomic import write_atomic
from ..target_checks import target_json_schema


def schema_text() -> str:
    """The schema as experiments/target.schema.json holds it (tests/test_schema.py checks that it is current)."""
    return json.dumps(target_json_schema(), indent=2, sort_keys=True) + "\n"


def schema_command(
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write it to this file (e.g. experiments/target.schema.json); else print it."
    ),
) -> None:
    """Print (or write) the JSON Schema of a target file. A YAML file whose first line is
    `# yaml-language-server: $schema=PATH` is then completed and checked by an editor as it is typed."""
    if output is None:
        typer.echo(schema_text(), nl=False)
    else:
        write_atomic(output, schema_text())
