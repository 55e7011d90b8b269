"""Values a user can mistype on the command line: range-checked before anything runs, one line each."""

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.experiments import load_target, parse_seeds, resolve_runs

from .conftest import assert_one_line_error, cli, cli_in_process


@pytest.mark.parametrize(
    "pair,message",
    [
        ("recipe.lr=.nan", "--set: recipe.lr: expected a finite number, got nan"),
        ("recipe.lr=.inf", "--set: recipe.lr: expected a finite number, got inf"),
        ("recipe.weight_decay=-.inf", "recipe.weight_decay: expected a finite number"),
        ("recipe.lr=0", "recipe.lr: must be greater than 0.0, got 0.0"),
        ("recipe.lr_decay=1e300", "recipe.lr_decay: must be at most 1.0, got 1e+300"),
        ("recipe.lr_decay=0", "recipe.lr_decay: must be greater than 0.0"),
        ("recipe.momentum=50", "recipe.momentum: must be less than 1.0, got 50.0"),
        ("recipe.momentum=1", "recipe.momentum: must be less than 1.0, got 1.0"),
        ("recipe.momentum=-0.1", "recipe.momentum: must be at least 0.0"),
        (
            "recipe.lr_steps=[-5]",
            "recipe.lr_steps: every step must fall inside the run (1 to 63999, recipe.iterations is 64000), got -5",
        ),
        ("recipe.lr_steps=[32000, 64000]", "got 64000"),
        ("recipe.warmup={lr: 0, until_train_error_below: 80}", "recipe.warmup.lr: must be greater than 0.0"),
    ],
)
def test_out_of_range_values_name_the_key(pair, message):
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig1"), "paper", overrides=[pair])
    assert message in str(error.value)


def test_in_range_edge_values_are_accepted():
    run = resolve_runs(
        load_target("fig1"), "paper", overrides=["recipe.momentum=0", "recipe.lr_decay=1", "recipe.lr_steps=[1, 63999]"]
    )[0]
    assert (run.recipe.momentum, run.recipe.lr_decay, run.recipe.lr_steps) == (0.0, 1.0, (1, 63999))


@pytest.mark.parametrize(
    "text,message",
    [
        ("99999999999999999999", "at most 1000 seeds at once"),
        ("1001", "at most 1000 seeds at once"),
        ("0,99999999999999999999", "seeds are whole numbers from 0 to 4294967295"),
    ],
)
def test_huge_seeds_are_refused(text, message):
    with pytest.raises(UserError, match=message):
        parse_seeds(text)


@pytest.mark.parametrize(
    "text,message",
    [
        ("0,,0", "an empty item between commas"),
        (",3", "an empty item between commas"),
        ("1, ,2", "an empty item between commas"),
        ("0,3,0", "seed 0 is listed twice"),
        ("7,7,", "seed 7 is listed twice"),
    ],
)
def test_seed_lists_with_holes_or_repeats_are_refused(text, message):
    with pytest.raises(UserError, match=message):
        parse_seeds(text)


def test_a_seed_list_may_end_with_one_comma():
    assert parse_seeds("5,") == [5]
    assert parse_seeds("0, 3,7") == [0, 3, 7]


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["run", "fig1", "--seeds", "99999999999999999999"], ["bad --seeds", "at most 1000 seeds"]),
        (["run", "fig1", "--seeds", "0,,0"], ["bad --seeds '0,,0'", "an empty item"]),
        (["run", "fig1", "--seeds", "0,0"], ["bad --seeds '0,0'", "seed 0 is listed twice"]),
        (["run", "fig1", "--set", "recipe.lr=.nan"], ["recipe.lr: expected a finite number, got nan"]),
        (["run", "fig1", "--jobs", "abc"], ["Invalid value for '--jobs'", "run --help"]),
        (["frobnicate"], ["No such command 'frobnicate'", "--help"]),
        (["run"], ["Missing argument 'target'", "run --help"]),
        (["run", "fig1", "--bogus"], ["No such option: --bogus"]),
        (["run", "table1", "--set", "recipe.nonsense=1"], ["unknown --set key 'recipe.nonsense'"]),
        (["run", "table1", "--set", "recipe.lr=0.1"], ["table1 trains nothing", "leave --set out"]),
        (["run", "gradflow", "--set", "recipe.lr=0.1"], ["gradflow trains nothing"]),
        # ignored as --set was: table1 counted all its nets, gradflow measured with its own seeds
        (["run", "table1", "--seeds", "0,3"], ["--seeds: table1 trains nothing", "leave --seeds out"]),
        (["run", "gradflow", "--only", "plain20"], ["--only 'plain20': gradflow trains nothing", "leave --only out"]),
    ],
)
def test_usage_and_range_errors_are_one_line_and_write_nothing(args, fragments, tmp_path):
    results = tmp_path / "results"
    run = cli_in_process(*args, "--results", str(results)) if args[0] != "frobnicate" else cli_in_process(*args)
    assert_one_line_error(run, *fragments)
    assert not results.exists()


def test_help_still_prints_usage():
    result = cli_in_process("run", "--help", check=True)
    assert "Usage" in result.stdout and "--profile" in result.stdout


def test_a_results_folder_whose_name_is_not_utf8_is_one_line_and_nothing_is_made(tmp_path):
    import os

    results = os.path.join(os.fsdecode(bytes(tmp_path)), os.fsdecode(b"r\xe9sultats"))  # as Python passes it
    run = cli_in_process("run", "fig1", "--profile", "smoke", "--results", results)
    assert_one_line_error(run, "the argument", "is not UTF-8 text (byte 0xe9)", "use a UTF-8 name")
    assert list(tmp_path.iterdir()) == []


def test_folder_names_from_the_environment_that_are_not_utf8_are_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from .conftest import REPO

    for variable, what in (("RESNET_REPRO_RESULTS", "the results folder"), ("RESNET_REPRO_DATA", "the data folder")):
        env = {**os.environb, variable.encode(): bytes(tmp_path) + b"/caf\xe9"}
        done = subprocess.run(
            [sys.executable, "-m", "resnet_repro", "run", "fig1", "--profile", "smoke", "--device", "cpu"],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=300,
        )
        assert_one_line_error(done, f"{what} {tmp_path}/caf\\xe9 is not UTF-8 text (byte 0xe9)")
    assert list(tmp_path.iterdir()) == []


def test_no_name_is_recorded_with_surrogate_escapes(tmp_path):
    from resnet_repro.store.layout import write_json

    with pytest.raises(UserError, match=r"meta.json: the name data/caf\\xe9 is not UTF-8 text"):
        write_json(tmp_path / "meta.json", {"data": {"folder": "data/caf\udce9"}})
    assert not (tmp_path / "meta.json").exists()


def test_a_data_folder_that_does_not_exist_is_one_line_naming_it_and_nothing_is_written(tmp_path, monkeypatch):
    missing, results = tmp_path / "nonexistent", tmp_path / "results"
    run = cli_in_process("run", "fig1", "--profile", "smoke", "--data-dir", str(missing), "--results", str(results))
    assert_one_line_error(run, f"no data folder at {missing} ", "the only place looked in")
    monkeypatch.setenv("RESNET_REPRO_DATA", str(missing))
    run = cli_in_process("run", "fig1", "--profile", "smoke", "--results", str(results))
    assert_one_line_error(run, f"no data folder at {missing} ")
    assert list(tmp_path.iterdir()) == []


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["--threads", "1", "--set", "train.threads=2"],
            "--threads and --set 'train.threads=2' both set train.threads; give one of them",
        ),
        (
            ["--precision", "bf16", "--set", "train.precision=fp32"],
            "--precision and --set 'train.precision=fp32' both set train.precision; give one of them",
        ),
        # named as the option given, not as the --set it is short for
        (["--precision", "fp16"], "--precision 'fp16': use one of fp32, tf32, bf16"),
        (["--threads", "2000"], "--threads 2000: give the number of CPU threads to train on, at most 1024"),
        (
            ["--compile", "--set", "train.compile=false"],
            "--compile and --set 'train.compile=false' both set train.compile; give one of them",
        ),
        (
            ["--set", "recipe.lr=0.1", "--set", "recipe.lr=0.2"],
            "--set 'recipe.lr=0.1' and --set 'recipe.lr=0.2' both set recipe.lr; give each key once",
        ),
        (
            ["--set", "recipe.warmup=null", "--set", "recipe.warmup.lr=0.01"],
            "--set 'recipe.warmup=null' and --set 'recipe.warmup.lr=0.01' both set recipe.warmup; give each key once",
        ),
        (
            ["--set", "recipe.bn_stats_images=5120"],
            "--set recipe.bn_stats_images=5120 cannot apply: smoke uses moving-average batch-norm statistics, which "
            "are not recomputed; leave it out, or add --set recipe.bn_stats=recomputed",
        ),
        (
            ["--threads", str(_cores() + 1)],
            f"--threads {_cores() + 1}: this machine lets the command use {_cores()} CPU core",
        ),
        (
            ["--set", "train.threads=999"],
            f"--set train.threads 999: this machine lets the command use {_cores()} CPU core",
        ),
    ],
)
def test_settings_that_contradict_or_cannot_apply_are_one_line_and_write_nothing(args, message, tmp_path):
    results = tmp_path / "results"
    result = cli_in_process(
        "run", "fig1", "--profile", "smoke", "--device", "cpu", "--results", str(results), *args
    )  # checked before the data is looked for: none is given
    assert_one_line_error(result, message)
    assert not results.exists()


def test_settings_that_agree_still_resolve():
    runs = resolve_runs(
        load_target("fig1"), "smoke", overrides=["recipe.bn_stats=recomputed", "recipe.bn_stats_images=1024"]
    )
    assert {run.recipe.bn_stats_images for run in runs} == {1024}


@pytest.mark.parametrize(
    "args,shown",
    [
        (["run", "fig1", "--profile", "smoke", "--device", "cpu", "--data-dir", "{tmp}/no\nwhere"], "no\\nwhere"),
        (["plot", "fig1", "--results", "{tmp}/no\nwhere\r"], "no\\nwhere\\r"),
        (["report", "--results", "{tmp}/a\x1b[2Jb"], "a\\x1b[2Jb"),
        (["run", "{tmp}/my\ntarget.yaml"], "my\\ntarget.yaml"),
        (["run", "{tmp}/recipe.yaml"], "recipe 'no\\nsuch' not found"),  # a name read from a YAML file
    ],
)
def test_a_control_character_in_a_path_keeps_the_error_on_one_line(args, shown, tmp_path):
    (tmp_path / "recipe.yaml").write_text('title: t\nengine: cifar\nrecipe: "no\\nsuch"\nruns:\n  - model: resnet20\n')
    result = cli(*[arg.replace("{tmp}", str(tmp_path)) for arg in args])
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and shown in result.stderr, result.stderr
