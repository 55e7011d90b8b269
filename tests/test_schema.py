"""The JSON Schema of a target file: kept in the repo, current, named by every shipped target file, and the same
typed schema that reads target files."""

import json
import os
from pathlib import Path

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.cli.schema import schema_text
from resnet_repro.specs.experiments import experiments_dir, load_target, target_names

from .conftest import cli_in_process

STORED = experiments_dir() / "target.schema.json"


def test_the_stored_schema_is_current():
    assert STORED.read_text() == schema_text(), "run: resnet-repro schema -o experiments/target.schema.json"


def test_the_schema_command_prints_it():
    done = cli_in_process("schema")
    assert done.returncode == 0 and json.loads(done.stdout) == json.loads(schema_text())


def test_every_shipped_target_file_names_the_schema_on_its_first_line():
    for name in target_names():
        first = (experiments_dir() / f"{name}.yaml").read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=target.schema.json", name


def test_the_schema_states_the_bounds_and_choices_the_reader_enforces(tmp_path):
    schema = json.loads(STORED.read_text())
    run = schema["$defs"]["RunSchema"]
    assert run["additionalProperties"] is False and run["required"] == ["model"]
    assert (run["properties"]["seeds"]["minimum"], run["properties"]["seeds"]["maximum"]) == (1, 1000)
    assert "cifar" in schema["properties"]["engine"]["enum"]
    assert schema["properties"]["order"]["maximum"] == 10_000
    panel = schema["$defs"]["Panel"]["properties"]
    assert panel["metrics"]["items"]["enum"] == ["train_error", "test_error", "val_error"]
    assert schema["properties"]["nets"]["minItems"] == 1 and schema["properties"]["gradflow"]["required"] == [
        "conv_models", "fc_depths", "seeds", "batches", "batch_size",
    ]  # fmt: skip
    claim = schema["$defs"]["ClaimSchema"]
    assert schema["properties"]["claims"]["items"] == {"$ref": "#/$defs/ClaimSchema"}
    assert claim["required"] == ["says", "section", "metric", "order"] and claim["additionalProperties"] is False
    assert claim["properties"]["relation"]["enum"] == ["below", "at_most", "level"]
    assert claim["properties"]["fraction"]["anyOf"][0] == {"exclusiveMinimum": 0.5, "maximum": 1.0, "type": "number"}
    with pytest.raises(UserError, match=r"runs\[0\]\.seeds: expected a whole number >= 1 and <= 1000, got 1001"):
        path = tmp_path / "mine.yaml"
        path.write_text("title: t\nengine: cifar\nrecipe: cifar\nruns:\n  - {model: plain20, seeds: 1001}\n")
        load_target(str(path))


@pytest.mark.parametrize("kind, what", [("pipe", "not a regular file"), ("folder", "a folder")])
def test_schema_refuses_to_write_over_a_pipe_a_device_or_a_folder(tmp_path, monkeypatch, kind, what):
    # -o /dev/full (or /dev/stdout) put a regular file in the device's place; -o on a folder named --results/--data-dir
    monkeypatch.chdir(tmp_path)
    output = Path(kind)
    os.mkfifo(output) if kind == "pipe" else output.mkdir()
    done = cli_in_process("schema", "-o", str(output))
    assert done.returncode == 2 and done.stderr.startswith(f"error: -o {output} is {what}"), done.stderr
    assert "name the file to write the schema to" in done.stderr
    assert output.is_fifo() if kind == "pipe" else output.is_dir()
