"""Every number has bounds, checked when it is read: a value out of any sane range is one line naming its key and
where it was set, before anything is created or trained."""

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.experiments import load_target, resolve_runs

from .conftest import assert_one_line_error, cli_in_process, smoke_run_args


@pytest.mark.parametrize(
    "pair,message",
    [
        ("recipe.pad=100000", "--set: recipe.pad: must be at most 64, got 100000"),
        (
            "recipe.batch_size=18446744073709551616",
            "recipe.batch_size: must be at most 65536, got 18446744073709551616",
        ),
        ("recipe.batch_size=2**64", "--set: recipe.batch_size: expected a whole number, got '2**64'"),
        ("recipe.iterations=1e300", "--set: recipe.iterations: must be at most 10000000, got 1e+300"),
        ("recipe.lr=1e31", "--set: recipe.lr: must be at most 1e+30, got 1e+31"),
        ("recipe.lr=1" + "0" * 38, "--set: recipe.lr: must be at most 1e+30, got 1e+38"),
        ("recipe.momentum=1e308", "recipe.momentum: must be less than 1.0, got 1e+308"),
        ("recipe.eval_batch_size=1000000000", "recipe.eval_batch_size: must be at most 65536"),
        ("recipe.bn_stats_images=1" + "0" * 30, "recipe.bn_stats_images: must be at most 100000000"),
        (
            "recipe.lr=1" + "0" * 4300,
            "the value is not valid YAML (--set:1: YAML refused: a number of 4,301 characters",
        ),
        ("train.threads=1000000", "--set: train.threads: must be at most 1024, got 1000000"),
        ("data.image_size=100000", "--set: data.image_size: must be at most 256, got 100000"),
        ("data.train_subset=10000000000", "--set: data.train_subset: must be at most 100000000"),
        ("recipe.warmup={lr: 1e300, until_train_error_below: 80}", "recipe.warmup.lr: must be at most 1e+30"),
        ("recipe.lr_plateau={patience: 1000000}", "recipe.lr_plateau.patience: must be at most 1000"),
    ],
)
def test_a_set_number_out_of_range_is_one_line(pair, message):
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig1"), "paper", overrides=[pair])
    assert message in str(error.value) and "\n" not in str(error.value), str(error.value)


def test_imagenet_view_sizes_are_bounded():
    with pytest.raises(UserError, match="--set: data.crop: must be at most 2048, got 100000"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.crop=100000"])


HEAD = "title: mine\nengine: cifar\nrecipe: cifar\n"


@pytest.mark.parametrize(
    "text,message",
    [
        (
            HEAD + "runs:\n  - {model: plain20, seeds: 100000000}\n",
            "mine.yaml:5: runs[0].seeds: expected a whole number",
        ),
        (HEAD + "runs: [plain20]\nprofiles:\n  smoke: {seeds: 100000000}\n", "mine.yaml:6: profiles.smoke.seeds:"),
        (
            HEAD + "runs: [plain20]\norder: 1000000000\n",
            "mine.yaml:5: order: expected a whole number >= 1 and <= 10000",
        ),
        (
            "title: g\nengine: gradflow\ngradflow: {conv_models: [plain20], fc_depths: [2], seeds: 1, batches: "
            "100000000, batch_size: 8}\n",
            "mine.yaml:3: gradflow.batches: expected a whole number >= 1 and <= 10000, got 100000000",
        ),
        (
            "title: t\nengine: complexity\nnets:\n  - {model: resnet20, input: [3, 100000, 32]}\n",
            "mine.yaml:4: nets[0].input: expected [channels, height, width] of whole numbers from 1 to 4096",
        ),
    ],
)
def test_a_target_file_number_out_of_range_is_one_line(tmp_path, text, message):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert message in str(error.value), str(error.value)


def test_a_huge_pad_is_refused_before_the_run_folder_is_made(cifar_dir, tmp_path):
    results = tmp_path / "results"
    done = cli_in_process(*smoke_run_args("fig1", cifar_dir, results, "--set", "recipe.pad=100000"))
    assert_one_line_error(done, "--set: recipe.pad: must be at most 64, got 100000")
    assert not results.exists()


def test_seeds_in_a_target_file_are_refused_before_anything_is_made(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "runs:\n  - {model: plain20, seeds: 100000000}\n")
    results = tmp_path / "results"
    done = cli_in_process("run", str(path), "--profile", "smoke", "--device", "cpu", "--results", str(results))
    assert_one_line_error(done, "mine.yaml:5: runs[0].seeds: expected a whole number >= 1 and <= 1000, got 100000000")
    assert not results.exists()
