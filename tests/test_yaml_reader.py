"""The one strict YAML reader: plain data only, every other YAML feature one `file:line` line, bounded time and
memory whatever a file holds."""

import subprocess
import sys
import textwrap

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.readers.yamlio import MAX_DEPTH, MAX_NODES, line_of, load_yaml_text
from resnet_repro.specs.config import parse_overrides
from resnet_repro.specs.experiments import load_target
from resnet_repro.store.layout import read_run_config

from .conftest import REPO, assert_one_line_error, cli_in_process

HEAD = "title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - model: plain20\n"


def test_plain_data_loads_with_the_line_of_every_key_and_item():
    data = load_yaml_text("a: 1\nb: [0.5, 1e-4, -3, .inf]\nc:\n  - x\n  - ~\nd: true\ne: '0x1f'\nf: 2001-12-14\n", "f")
    assert data == {
        "a": 1,
        "b": [0.5, 1e-4, -3, float("inf")],
        "c": ["x", None],
        "d": True,
        "e": "0x1f",
        "f": "2001-12-14",
    }
    assert [line_of(data, key) for key in "abcdef"] == [1, 2, 3, 6, 7, 8]
    assert [line_of(data["c"], index) for index in (0, 1)] == [4, 5]
    assert load_yaml_text("yes", "f") == "yes"  # YAML 1.2 text, not YAML 1.1's true


def test_a_list_item_written_over_several_lines_is_located_at_its_first_line():
    data = load_yaml_text("a:\n  - x: 1\n    y: 2\n  - x: 3\n    y: 4\nb:\n  - 5\n  - [6,\n     7]\n", "f")
    assert [line_of(data["a"], index) for index in (0, 1)] == [2, 4]  # not 4 and 6, where each item ended
    assert [line_of(data["b"], index) for index in (0, 1)] == [7, 8]


def test_a_bad_claim_written_as_a_block_names_its_own_line(tmp_path):
    claim = "  - says: {}\n    section: Fig. 1\n    metric: {}\n    order: [plain20, plain56]\n"
    claims = "claims:\n" + claim.format("first", "top9_error") + claim.format("second", "train_error")
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "  - model: plain56\n" + claims)
    with pytest.raises(UserError) as error:
        load_target(str(path))
    # the line of its metric: not the next claim's (12), nor its own first line (8)
    assert str(error.value).startswith(f"{path}:10: claims[0]: metric 'top9_error' is not one")


@pytest.mark.parametrize(
    "text,message",
    [
        ("a: 1\nb: !!int ''\n", "f:2: YAML refused: tag !!int: tags are not accepted here"),
        ("a: !!bool maybe\n", "f:1: YAML refused: tag !!bool: tags are not accepted here"),
        ("a: !!timestamp 2001-12-14\n", "f:1: YAML refused: tag !!timestamp: tags are not accepted here"),
        ("a: !custom x\n", "f:1: YAML refused: tag !custom: tags are not accepted here"),
        ("a: !!python/object:os.system x\n", "f:1: YAML refused: tag !!python/object:os.system:"),
        ("a:\n  b: &x 1\n", "f:2: YAML refused: anchor &x: anchors and aliases are not accepted here"),
        ("a: *x\n", "f:1: YAML refused: alias *x: anchors and aliases are not accepted here"),
        ("a: 1:0:0\n", "f:1: YAML refused: '1:0:0' is a sexagesimal (base 60) number; write it in decimal"),
        ("a: [1, 0x1f]\n", "f:1: YAML refused: '0x1f' is a hexadecimal number"),
        ("a: 0o17\n", "f:1: YAML refused: '0o17' is an octal number"),
        ("a: 017\n", "f:1: YAML refused: '017' is an octal number (YAML 1.1 reads a leading 0 so)"),
        ("a: -0b101\n", "f:1: YAML refused: '-0b101' is a binary number"),
        ("a: 1_000\n", "f:1: YAML refused: '1_000' is a number with '_' or leading zeros"),
        ("a: 1\nb: 2\na: 3\n", "f:3: YAML refused: duplicate key 'a' (first at line 1); keep one of them"),
        ("a: {model: x, model: y}\n", "f:1: YAML refused: duplicate key 'model' (first at line 1)"),
        ("? [a]\n: 1\n", "f:1: YAML refused: a mapping or list used as a key"),
        ("a: 1\n---\nb: 2\n", "f:2: YAML refused: a second document (---); a file holds one"),
        ("a: " + "9" * 4300 + "\n", "f:1: YAML refused: a number of 4,300 characters; write at most 40"),
        ("a: " + "[" * 40 + "]" * 40 + "\n", f"f:1: YAML refused: nested too deeply (more than {MAX_DEPTH} levels)"),
        ("a: [1,\n", "f:2: malformed YAML:"),
    ],
)
def test_anything_but_plain_data_is_one_line_at_its_line(text, message):
    with pytest.raises(UserError) as error:
        load_yaml_text(text, "f")
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value) and len(str(error.value)) < 300


@pytest.mark.parametrize(
    "line,message",
    [
        ("engine: cifar", "mine.yaml:6: YAML refused: duplicate key 'engine' (first at line 2)"),
        ("order: !!int ''", "mine.yaml:6: YAML refused: tag !!int"),
        ("order: 0x10", "mine.yaml:6: YAML refused: '0x10' is a hexadecimal number"),
    ],
)
def test_a_target_file_beyond_plain_data_is_one_line_and_exit_code(tmp_path, line, message):
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + line + "\n")
    assert_one_line_error(cli_in_process("show", str(path)), message)


@pytest.mark.parametrize(
    "value,message",
    [
        ("recipe.lr=!!float 0.1", "tag !!float: tags are not accepted here"),
        ("recipe.iterations=1:0:0", "'1:0:0' is a sexagesimal (base 60) number"),
        ("recipe.lr_steps=[0x10]", "'0x10' is a hexadecimal number"),
        ("recipe.warmup={lr: 0.01, lr: 0.1}", "duplicate key 'lr'"),
    ],
)
def test_a_set_value_beyond_plain_data_is_refused(value, message):
    with pytest.raises(UserError, match="^bad --set .*" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_overrides([value])


def test_a_stored_config_with_a_tag_is_unreadable_in_one_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("name: x\nseed: !!int ''\n")
    with pytest.raises(UserError) as error:
        read_run_config(path)
    assert str(error.value).startswith(f"{path} is unreadable (") and "tag !!int" in str(error.value)


HOSTILE = {
    "sexagesimal": "x: [" + "1:0:0, " * 140_000 + "]\n",
    "flow numbers": "x: [" + "1, " * 330_000 + "]\n",
    "block list": "x:\n" + "- 1\n" * 240_000,
    "flow mappings": "x: [" + "{a: 1}, " * 120_000 + "]\n",
    "mapping keys": "".join(f"k{i}: 1\n" for i in range(90_000)),
    "empty lists": "x: [" + "[], " * 240_000 + "]\n",
    "nesting": "x: " + "[" * 300_000 + "\n",
    "long text": "x: " + "a" * 990_000 + "\n",
}

# Read in a fresh process, so that its peak memory (ru_maxrss) is the reader's and not the test session's.
_MEASURE = textwrap.dedent(
    """
    import resource, sys, time
    from resnet_repro.basics.errors import UserError
    from resnet_repro.readers.yamlio import read_yaml
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        read_yaml(sys.argv[1])
    except UserError as error:
        assert "\\n" not in str(error)
    print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """
)


def test_a_hostile_one_megabyte_file_is_read_or_refused_in_well_under_a_second_and_little_memory(tmp_path):
    for name, text in HOSTILE.items():
        assert len(text) <= 1_000_000, name
        path = tmp_path / "f.yaml"
        path.write_text(text)
        done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 0, done.stderr
        seconds, grown_kib = done.stdout.split()
        # About 0.2 s and no measurable growth on a busy 2-core machine; it was 12-37 s and 100-340 MB before.
        assert float(seconds) < 2 and int(grown_kib) < 50 * 1024, (name, seconds, grown_kib)


def test_the_node_bound_counts_values_not_bytes():
    load_yaml_text("x: [" + "1, " * (MAX_NODES - 3) + "]", "f")  # the mapping, x and its list are 3 more
    with pytest.raises(UserError, match=f"f:1: YAML refused: more than {MAX_NODES:,} values"):
        load_yaml_text("x: [" + "1, " * (MAX_NODES - 2) + "]", "f")


def test_the_shipped_targets_still_load():
    for name in ("table1", "table6", "fig1", "gradflow"):
        assert load_target(name).name == name


def test_a_named_pipe_given_as_a_yaml_file_is_refused_not_waited_on(tmp_path):
    """`--resources FILE` (or $RESNET_REPRO_SLURM_RESOURCES) naming a pipe waited forever for a writer."""
    import os
    import threading

    from resnet_repro.cluster.resources import engine_defaults, read_resources

    pipe = tmp_path / "cluster.yaml"
    os.mkfifo(pipe)
    said = {}

    def read() -> None:
        try:
            read_resources(pipe, [], engine_defaults(1))
        except UserError as error:
            said["error"] = str(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "read_yaml waited on the pipe"
    assert said == {"error": f"cannot read {pipe}: a named pipe, not a file; name the YAML file itself"}
