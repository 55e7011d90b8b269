"""`resnet-repro schema`: the JSON Schema of a target file, for an editor's YAML language server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from pydantic import TypeAdapter

from ..basics.atomic import write_atomic
from ..basics.errors import UserError, shorten
from ..claims.claim import ClaimSchema
from ..engines.complexity.engine import Nets
from ..engines.gradflow.engine import GradflowSection
from ..engines.sections import FigureSection, TableSection
from ..specs.target_checks import TargetSchema

# Each built-in section's schema under its key, each from the engine folder that reads it (figure and table: shared).
SECTION_SCHEMAS = {"figure": FigureSection, "table": TableSection, "nets": Nets, "gradflow": GradflowSection}


def schema_text() -> str:
    """The schema as experiments/target.schema.json holds it (tests/test_schema.py checks that it is current): the
    target's own keys, the claims' schema, and each built-in engine section's schema under its key."""
    schema = TypeAdapter(TargetSchema).json_schema()
    for key, section in {**SECTION_SCHEMAS, "claims": list[ClaimSchema]}.items():
        part = TypeAdapter(section).json_schema()
        schema.setdefault("$defs", {}).update(part.pop("$defs", {}))
        description = schema["properties"][key].get("description")
        schema["properties"][key] = {**part, "description": description} if description else part
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def schema_command(
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write it to this file (e.g. experiments/target.schema.json); else print it."
    ),
) -> None:
    """Print (or write) the JSON Schema of a target file. A YAML file whose first line is
    `# yaml-language-server: $schema=PATH` is then completed and checked by an editor as it is typed."""
    if output is None:
        typer.echo(schema_text(), nl=False)
    elif output.exists() and not output.is_file():  # a rename would put a file in the place of the folder or device
        what = "a folder" if output.is_dir() else "not a regular file (a device, a pipe or a terminal)"
        raise UserError(
            f"-o {shorten(str(output))} is {what}: name the file to write the schema to (e.g. "
            f"experiments/target.schema.json), or leave -o out to print it"
        )
    else:
        write_atomic(output, schema_text())
