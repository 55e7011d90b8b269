"""Experiment files and overrides: strict validation, provenance in errors, stable run names."""

import re
import shutil
from pathlib import Path

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.config import known_keys
from resnet_repro.specs.experiments import load_recipe_file, load_target, parse_seeds, resolve_runs, target_names

from .conftest import assert_one_line_error, cli, cli_in_process


def test_every_target_is_registered():
    assert {"table1", "fig1", "table2", "fig4", "table3", "table6", "fig6", "fig7", "gradflow"} <= set(target_names())


def test_paper_recipe_is_the_papers():
    run = resolve_runs(load_target("table6"), "paper", only="resnet-56")[0]
    recipe = run.recipe
    assert (recipe.batch_size, recipe.iterations, recipe.lr, recipe.lr_steps) == (128, 64000, 0.1, (32000, 48000))
    assert (recipe.momentum, recipe.weight_decay, recipe.pad, recipe.flip) == (0.9, 1e-4, 4, True)
    assert recipe.warmup is None and run.data.dataset == "cifar10"
    assert run.name == "cifar10/resnet-56-A/paper/seed0"


def test_warmup_applies_to_resnet110_only_among_the_papers_depths():
    runs = resolve_runs(load_target("fig6"), "paper")
    warm = {r.model for r in runs if r.recipe.warmup is not None}
    assert warm == {"resnet110", "resnet1202"}
    r110 = next(r for r in runs if r.model == "resnet110")
    assert (r110.recipe.warmup.lr, r110.recipe.warmup.until_train_error_below) == (0.01, 80.0)


def test_targets_share_runs():
    names = lambda t: {r.name for r in resolve_runs(load_target(t), "paper")}  # noqa: E731
    assert names("fig1") <= names("fig6") and "cifar10/plain-20/paper/seed0" in names("table6")
    same = [r for t in ("fig1", "fig6") for r in resolve_runs(load_target(t), "paper") if r.model == "plain20"]
    assert same[0] == same[1]


def test_table6_trains_resnet110_with_five_seeds():
    runs = resolve_runs(load_target("table6"), "paper", only="resnet110")
    assert [r.seed for r in runs] == [0, 1, 2, 3, 4]


def test_cpu_profile_uses_fashion_mnist_at_depths_20_and_56():
    runs = resolve_runs(load_target("fig6"), "cpu")
    assert {r.model for r in runs} == {"plain20", "plain56", "resnet20", "resnet56"}
    assert {r.data.dataset for r in runs} == {"fashion-mnist"}


@pytest.mark.parametrize("only", ["plain-20", "plain20", "PLAIN_20"])
def test_only_ignores_case_dashes_and_underscores(only):
    runs = resolve_runs(load_target("fig6"), "paper", only=only)
    assert [r.name for r in runs] == ["cifar10/plain-20/paper/seed0"]


def test_only_matching_nothing_is_an_error():
    with pytest.raises(UserError, match="matches none"):
        resolve_runs(load_target("fig1"), "paper", only="resnet-1202")


@pytest.mark.parametrize("only", ["", "-", "_-"])
def test_an_only_with_nothing_to_match_is_refused_not_taken_for_every_run(only, tmp_path):
    """--only "" is a substring of every run's name: it trained every run, as if --only were not given."""
    words = f"--only {only!r} would pick every run (case, '-' and '_' are ignored, and nothing else is left to match)"
    with pytest.raises(UserError, match=re.escape(words)):
        resolve_runs(load_target("fig6"), "smoke", only=only)
    results = tmp_path / "results"
    run = cli_in_process("run", "fig6", "--profile", "smoke", "--only", only, "--results", str(results))
    assert run.returncode == 2
    assert_one_line_error(run, words, "give part of a run's name, e.g. --only resnet56, or leave --only out")
    assert not results.exists()


@pytest.mark.parametrize(
    "profiles, words",
    [
        (
            "profiles:\n  smoke: {models: [plain110]}\n",
            ":9: profiles.smoke.models: every net it selects is trained only on request (plain-110), so profile smoke "
            "trains nothing; ask for it with --only plain-110",
        ),
        (
            "",
            ": runs: every net of the target is trained only on request (plain-110), so profile smoke trains nothing; "
            "ask for it with --only plain-110",
        ),
    ],
)
def test_a_profile_of_nets_trained_only_on_request_is_refused_not_an_empty_success(tmp_path, profiles, words):
    """It trained nothing and exited 0; --only still asks for the nets."""
    path, results = tmp_path / "mine.yaml", tmp_path / "results"
    runs = "  - model: plain110\n    on_request: true\n"
    path.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns:\n" + ("  - plain20\n" if profiles else "") + runs + profiles
    )
    run = cli_in_process("run", str(path), "--profile", "smoke", "--results", str(results))
    assert run.returncode == 2
    assert_one_line_error(run, f"{path}{words}")
    assert not results.exists()
    asked = resolve_runs(load_target(str(path)), "smoke", only="plain-110")
    assert [r.name for r in asked] == ["cifar10/plain-110/smoke/seed0"]


def test_set_overrides_reach_the_config_and_rename_the_run():
    run = resolve_runs(load_target("fig1"), "paper", overrides=["recipe.lr=0.05", "recipe.lr_steps=[10, 20]"])[0]
    assert run.recipe.lr == 0.05 and run.recipe.lr_steps == (10, 20)
    assert run.name.startswith("cifar10/plain-20/paper~") and run.overrides == (
        "recipe.lr=0.05",
        "recipe.lr_steps=[10, 20]",
    )


@pytest.mark.parametrize("text,value", [("1e-3", 0.001), ("5E-4", 0.0005), ("1.5e2", 150.0)])
def test_scientific_notation_is_a_number(text, value):
    run = resolve_runs(load_target("fig1"), "paper", overrides=[f"recipe.lr={text}", "recipe.iterations=64e3"])[0]
    assert run.recipe.lr == value and run.recipe.iterations == 64000


def test_unknown_set_key_suggests_the_close_one():
    with pytest.raises(UserError, match=r"unknown --set key 'recipe\.lrr'; did you mean recipe\.lr\?"):
        resolve_runs(load_target("fig1"), "paper", overrides=["recipe.lrr=0.1"])


@pytest.mark.parametrize(
    "pair,message",
    [
        ("recipe.lr=fast", "--set: recipe.lr: expected a number, got 'fast'"),
        ("recipe.batch_size=0", "recipe.batch_size: must be at least 1"),
        ("recipe.lr_steps=[500, 100]", "must be strictly increasing"),
        ("recipe.eval_every=150", "must be a multiple of recipe.log_every"),
        ("data.dataset=mnist", "'mnist' is not one of cifar10, fashion-mnist, imagenet"),
        ("recipe.lr", "write it as KEY=VALUE"),
    ],
)
def test_bad_values_name_the_key(pair, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        resolve_runs(load_target("fig1"), "paper", overrides=[pair])


def test_imagenet_view_sizes_are_the_papers_and_belong_to_imagenet_alone():
    run = resolve_runs(load_target("table2"), "paper")[0]
    assert (run.data.crop, run.data.scale_min, run.data.scale_max, run.data.test_short_side) == (224, 256, 480, 256)
    with pytest.raises(UserError, match="--set: data.crop: applies to ImageNet only"):
        resolve_runs(load_target("fig1"), "paper", overrides=["data.crop=32"])
    with pytest.raises(UserError, match="--set: data.crop: ImageNet runs need it"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.crop=null"])
    with pytest.raises(UserError, match=r"data.scale_min: must not exceed data.scale_max \(480\), got 500"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.scale_min=500"])
    with pytest.raises(UserError, match=r"^--set: data.test_short_side: data.crop \(224\) must not exceed data.test"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.test_short_side=200"])  # eval's 10-crop test
    with pytest.raises(UserError, match=r"^--set: data.crop: data.crop \(300\) must not exceed data.test_short_side"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.crop=300", "data.scale_min=300"])
    with pytest.raises(UserError, match=r"^--set: data.scale_min: data.crop \(224\) must not exceed data.scale_min"):
        resolve_runs(load_target("table2"), "paper", overrides=["data.scale_min=200"])  # a training crop cut from less
    with pytest.raises(UserError, match=r"--set: data.test_scales: list at least one shorter side to test at"):
        resolve_runs(load_target("table4"), "smoke", overrides=["data.test_scales=[]"])  # eval's multi-scale test


def test_image_size_must_be_made_exactly_from_the_datasets_own_side():
    assert resolve_runs(load_target("fig6"), "cpu", overrides=["data.image_size=14"])[0].data.image_size == 14
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig6"), "cpu", overrides=["data.image_size=20"])
    assert str(error.value) == (
        "--set: data.image_size: 20x20 cannot be made exactly from 28x28 images: pool them to 14, 7, 4, or pad them "
        "to an even margin (28, 30, 32, ...)"
    )
    with pytest.raises(
        UserError, match="data.image_size: 15x15 cannot be made exactly from 32x32 images: pool them to 16, 8, 4"
    ):
        resolve_runs(load_target("fig1"), "paper", overrides=["data.image_size=15"])
    with pytest.raises(
        UserError, match="data.image_size: applies to array datasets; ImageNet's view sizes are data.crop"
    ):
        resolve_runs(load_target("table2"), "paper", overrides=["data.image_size=32"])


def test_unknown_profile_lists_the_profiles():
    offered = ", ".join(load_recipe_file("cifar").profiles)  # the recipe's list: a new profile needs no edit here
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig1"), "fast")
    assert str(error.value) == f"unknown profile 'fast': fig1 offers {offered}"
    assert offered.startswith("paper, ") and offered.endswith(", smoke")
    with pytest.raises(UserError) as typo:
        resolve_runs(load_target("fig6"), "cpus")
    assert str(typo.value).endswith("; did you mean cpu?")


def test_a_set_key_without_its_section_is_named_with_it():
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig1"), "paper", overrides=["lr=0.05"])
    assert str(error.value) == "unknown --set key 'lr'; did you mean recipe.lr?"


def test_unknown_target_suggests_close_names():
    with pytest.raises(UserError, match="Did you mean table6"):
        load_target("tabel6")


def test_malformed_yaml_names_file_and_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nruns:\n  - model: resnet20\n   bad: [\n")
    with pytest.raises(UserError, match=r"mine\.yaml:5: malformed YAML"):
        load_target(str(path))


def test_schema_error_names_file_and_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifar\nrunz:\n  - model: resnet20\n")
    with pytest.raises(UserError, match=r"mine\.yaml:4: unknown key 'runz'; did you mean runs\?"):
        load_target(str(path))


def test_unknown_model_in_a_user_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - model: resnet21\n")
    with pytest.raises(UserError, match="unknown model 'resnet21'"):
        load_target(str(path))


def test_a_users_own_experiment_file_resolves(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - {model: resnet32, shortcut: B}\n")
    run = resolve_runs(load_target(str(path)), "smoke")[0]
    assert run.name == "cifar10/resnet-32-B/smoke/seed0" and run.shortcut == "B"


def test_recipe_file_errors_carry_its_line(tmp_path, monkeypatch):
    (tmp_path / "_recipes").mkdir()
    (tmp_path / "_recipes" / "r.yaml").write_text(
        "defaults:\n  data: {dataset: cifar10}\n  recipe:\n    batch_size: 128\n    iterations: 10\n"
        "    lr: 'high'\nprofiles:\n  paper: {}\n"
    )
    (tmp_path / "t.yaml").write_text("engine: cifar\nrecipe: r\nruns: [resnet20]\n")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    with pytest.raises(UserError, match=r"r\.yaml:6: recipe\.lr: expected a number, got 'high'"):
        resolve_runs(load_target("t"), "paper")


def test_a_target_file_named_in_capitals_is_found_by_list_and_report(tmp_path, monkeypatch):
    """A folder of one's own with Mine.yaml: `list` and `report` asked for `mine` and stopped at "unknown target
    'mine'. Did you mean Mine?"."""
    shipped = Path(__file__).parents[1] / "experiments"
    shutil.copytree(shipped / "_recipes", tmp_path / "_recipes")
    shutil.copy(shipped / "table6.yaml", tmp_path / "Mine.yaml")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    assert load_target("Mine").name == load_target("mine").name == load_target("MINE").name == "Mine"
    results = tmp_path / "results"
    results.mkdir()
    listed = cli_in_process("list", "--results", str(results), check=True)
    assert "Mine" in listed.stdout
    cli_in_process("report", "--results", str(results), check=True)
    assert "Mine" in (results / "REPORT.md").read_text()


def test_a_bad_item_of_a_recipe_list_is_named_at_the_lists_line(tmp_path, monkeypatch):
    """A layer's list is set whole, at its key's line: not at the line of the mapping above it."""
    recipe = tmp_path / "_recipes"
    recipe.mkdir()
    full = (Path(__file__).parents[1] / "experiments" / "_recipes" / "cifar.yaml").read_text()
    text = full.replace("lr_steps: [32000, 48000]", "lr_steps: [32000, soon]")
    (recipe / "r.yaml").write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "lr_steps: [32000, soon]" in row)
    (tmp_path / "t.yaml").write_text("engine: cifar\nrecipe: r\nruns: [resnet20]\n")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("t"), "paper")
    assert str(error.value) == (
        f"{recipe / 'r.yaml'}:{line}: recipe.lr_steps: expected a list of whole numbers, got [32000, 'soon']"
    )


def test_a_recipe_number_left_out_of_the_recipe_file_is_an_error_not_a_code_default(tmp_path, monkeypatch):
    recipe = tmp_path / "_recipes"
    recipe.mkdir()
    full = (Path(__file__).parents[1] / "experiments" / "_recipes" / "cifar.yaml").read_text()
    (recipe / "r.yaml").write_text(full.replace("    momentum: 0.9\n", ""))
    (tmp_path / "t.yaml").write_text("engine: cifar\nrecipe: r\nruns: [resnet20]\n")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    with pytest.raises(
        UserError, match=r"r\.yaml: missing required key 'recipe\.momentum': set it under the file's defaults"
    ):
        resolve_runs(load_target("t"), "paper")


def test_a_key_left_out_of_a_mapping_made_by_set_is_blamed_on_set():
    """--set recipe.warmup.lr on a net without a warm-up makes recipe.warmup anew: its other key is for --set to add,
    not for the recipe file's defaults."""
    with pytest.raises(UserError) as error:
        resolve_runs(load_target("fig6"), "smoke", overrides=["recipe.warmup.lr=0.01"])
    assert str(error.value) == (
        "--set: missing required key 'recipe.warmup.until_train_error_below': this run's recipe has no "
        "recipe.warmup, so the one --set makes needs every key of it: add "
        "--set recipe.warmup.until_train_error_below=VALUE"
    )


def test_a_key_left_out_of_a_mapping_is_blamed_on_the_layer_that_made_it_not_on_a_later_one(tmp_path, monkeypatch):
    """A profile that turns a warm-up on without its threshold is the line to fix, even where --set changes the
    warm-up's lr afterwards."""
    recipe = tmp_path / "_recipes"
    recipe.mkdir()
    full = (Path(__file__).parents[1] / "experiments" / "_recipes" / "cifar.yaml").read_text()
    assert "  paper:\n    default: true\n" in full
    text = full.replace(
        "  paper:\n    default: true\n", "  paper:\n    default: true\n    recipe:\n      warmup: {lr: 0.01}\n"
    )
    (recipe / "r.yaml").write_text(text)
    line = text.splitlines().index("      warmup: {lr: 0.01}") + 1
    (tmp_path / "t.yaml").write_text("engine: cifar\nrecipe: r\nruns: [resnet20]\n")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    expected = (
        f"{recipe / 'r.yaml'}:{line}: missing required key 'recipe.warmup.until_train_error_below': "
        "add it to the recipe.warmup set at this line"
    )
    for overrides in ([], ["recipe.warmup.lr=0.02"]):
        with pytest.raises(UserError) as error:
            resolve_runs(load_target("t"), "paper", overrides=overrides)
        assert str(error.value) == expected


@pytest.mark.parametrize("text,seeds", [("3", [0, 1, 2]), ("0,4,7", [0, 4, 7]), ("5,", [5])])
def test_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["0", "-1", "two", "1,-2"])
def test_bad_seeds(text):
    with pytest.raises(UserError, match="--seeds"):
        parse_seeds(text)


@pytest.mark.parametrize("text", ["\u0663", "0,\u0664", "\uff13", "3_0", "1,2_0"])
def test_seeds_are_ascii_digits(text):
    """int() reads other scripts' digits ('\u0663' is 3) and '_' between digits ('3_0' is 30)."""
    with pytest.raises(UserError) as error:
        parse_seeds(text)
    assert str(error.value) == (
        f"bad --seeds {text!r}: give a count (--seeds 5 runs seeds 0-4) or a list (--seeds 0,3,7; --seeds 0, for "
        "seed 0 alone)"
    )


def test_every_recipe_key_of_the_paper_is_settable():
    keys = set(known_keys())
    for key in (
        "batch_size",
        "iterations",
        "lr",
        "lr_steps",
        "momentum",
        "weight_decay",
        "warmup",
        "eval_every",
        "log_every",
        "checkpoint_every",
        "holdout",
        "bn_batch",
    ):
        assert f"recipe.{key}" in keys


def test_a_refused_run_folder_names_the_changed_settings_before_keys_an_older_version_lacked():
    from resnet_repro.store.layout import _first_difference

    stored = {"model": "plain20", "settings": {"recipe": {"bn_batch": None, "lr": 0.1}}}
    requested = {
        "model": "plain20",
        "family": "cifar",
        "settings": {"recipe": {"bn_batch": 64, "lr": 0.1, "momentum_form": "caffe"}},
    }
    assert _first_difference(stored, requested) == (
        "recipe.bn_batch: stored None, requested 64; family: stored (absent: an older version), requested 'cifar'; "
        "recipe.momentum_form: stored (absent: an older version), requested 'caffe'"
    )
    assert _first_difference(requested, requested) is None
    # A setting added since whose unset value is the old behaviour does not orphan the runs made before it.
    before = {"model": "plain20", "settings": {"data": {"dataset": "fashion-mnist"}}}
    newer = {"model": "plain20", "settings": {"data": {"dataset": "fashion-mnist", "image_size": None}}}
    assert _first_difference(before, newer) is None
    newer["settings"]["data"]["image_size"] = 14
    assert _first_difference(before, newer) == "data.image_size: stored (absent: an older version), requested 14"


@pytest.mark.parametrize("target", ["fig1", "fig6", "fig7", "table6"])
def test_the_gpu_long_profile_is_the_gpu_profile_with_the_longer_schedule_only(target):
    """gpu-long is named as the gpu profile at 28k iterations: the same runs, data, batch norm, precision and
    cadence, the schedule alone stretched (lr /10 at half and three quarters, as the gpu profile's 6k/9k of 12k)."""
    import dataclasses

    short, long = (resolve_runs(load_target(target), profile) for profile in ("gpu", "gpu-long"))
    assert [(r.model, r.shortcut, r.seed) for r in short] == [(r.model, r.shortcut, r.seed) for r in long]
    for a, b in zip(short, long):
        assert (b.recipe.iterations, b.recipe.lr_steps) == (28000, (14000, 21000))
        stretched = dataclasses.replace(b.recipe, iterations=a.recipe.iterations, lr_steps=a.recipe.lr_steps)
        assert dataclasses.replace(b.settings, recipe=stretched) == a.settings


def test_an_experiments_folder_that_is_not_there_is_one_line_not_an_empty_list(tmp_path):
    # `list` showed no target and exited 0; `show fig6` said "unknown target 'fig6'. Targets:  (...)"
    env = {"RESNET_REPRO_EXPERIMENTS": str(tmp_path / "nowhere")}
    for args in (["list"], ["show", "fig6"]):
        result = cli(*args, env=env)
        assert result.returncode == 2
        assert_one_line_error(result, f"RESNET_REPRO_EXPERIMENTS={tmp_path / 'nowhere'} is not a folder")


def test_show_of_a_profile_of_nets_trained_only_on_request_says_why_it_lists_no_runs(tmp_path, monkeypatch):
    # it printed the target, the profile and nothing else, exit 0, where `run` refuses the same in one line
    from resnet_repro.cli.common import console

    monkeypatch.setattr(console, "width", 400)  # the line whole, whatever COLUMNS this worker started with
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - plain20\n  - model: plain110\n    on_request: true\n"
        "profiles:\n  smoke: {models: [plain110]}\n"
    )
    shown = cli_in_process("show", str(path), "--profile", "smoke", "--results", str(tmp_path / "results"))
    assert shown.returncode == 0, shown.stderr
    words = " ".join(shown.stdout.split())
    assert (
        f"runs: none: {path}:9: profiles.smoke.models: every net it selects is trained only on request (plain-110), "
        "so profile smoke trains nothing; ask for it with --only plain-110"
    ) in words, words
    asked = cli_in_process("show", str(path), "--profile", "smoke", "--only", "plain-110", "--results", str(tmp_path))
    assert "runs: none" not in asked.stdout and "cifar10/plain-110/smoke/seed0" in asked.stdout
