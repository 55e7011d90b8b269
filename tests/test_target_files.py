"""A target file from anyone: every section is checked when it is read, as one `file:line` error."""

import re

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.experiments import load_target, resolve_runs

from .conftest import assert_one_line_error, cli, cli_in_process, smoke_run_args

HEAD = "title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - model: plain20\n"


def refusal(tmp_path, text: str) -> str:
    """The one-line error of reading a target file mine.yaml that holds `text`."""
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(UserError) as error:
        load_target(str(path))
    return str(error.value)


@pytest.mark.parametrize(
    "text,message",
    [
        ("title: mine\nengine: cifar\nrecipe: cifar\nruns: 5\n", "mine.yaml:4: runs: expected a list of runs"),
        (HEAD + "profiles: [a, b]\n", "mine.yaml:6: profiles: expected a mapping"),
        (HEAD + "profiles:\n  smoke: {seeds: 0}\n", "mine.yaml:7: profiles.smoke.seeds: expected a whole number >= 1"),
        (HEAD + "figure: {panels: 5}\n", "mine.yaml:6: figure.panels: expected a list of panels"),
        (
            HEAD + "figure:\n  panels:\n    - {title: t, metrics: [train_eror], models: [plain20]}\n",
            "mine.yaml:8: figure.panels[0].metrics: 'train_eror' is not one of train_error, test_error, val_error",
        ),
        (
            HEAD + "figure:\n  panels:\n    - {title: t, metrics: [test_error], models: [plain56]}\n",
            "figure.panels[0].models: 'plain56' is not among this target's runs (plain20)",
        ),
        (
            HEAD + "figure:\n  ylim: [20, 0]\n  panels:\n    - {title: t, metrics: [test_error], models: [plain20]}\n",
            "mine.yaml:7: figure.ylim: expected [low, high] with low < high",
        ),
        (HEAD + "table: {paper: 5}\n", "mine.yaml:6: table.paper: expected a mapping"),
        (
            HEAD + "table:\n  paper:\n    plain20: {test_error: low}\n",
            "mine.yaml:8: table.paper.plain20.test_error: expected a number, got 'low'",
        ),
        (HEAD + "table: {protocol: 12-crop}\n", "table.protocol: '12-crop' is not one of 10-crop, multi-scale"),
        (HEAD + "table:\n  context:\n    - {test_error: 9}\n", "table.context[0]: each entry needs a model"),
        (HEAD + "paper: 5\n", "mine.yaml:6: paper: expected a mapping"),
        ("title: mine\nengine: complexity\nnets: 5\n", "mine.yaml:3: nets: expected a non-empty list of mappings"),
        (
            "title: mine\nengine: complexity\nnets:\n  - {model: resnet20, input: 5}\n",
            "mine.yaml:4: nets[0].input: expected [channels, height, width]",
        ),
        (
            "title: mine\nengine: complexity\nnets:\n  - {model: resnet20, input: [3, 32, 32], variant: v2}\n",
            "nets[0].variant: 'v2' is not one of original, v1.5",
        ),
        (
            "title: mine\nengine: gradflow\ngradflow: {conv_models: [plain20], fc_depths: [3], seeds: 0, batches: 1, "
            "batch_size: 2}\n",
            "gradflow.seeds: expected a whole number >= 1",
        ),
        ("title: 5\nengine: cifar\n", "mine.yaml:1: title: expected text"),
        (  # the demo's two-layer residual blocks: measuring an odd depth raised an IndexError traceback
            "title: mine\nengine: gradflow\ngradflow: {conv_models: [plain20], fc_depths: [3], seeds: 1, batches: 1, "
            "batch_size: 2}\n",
            "mine.yaml:3: gradflow.fc_depths: 3 is odd: the demo's residual blocks have two layers each",
        ),
        (
            "title: mine\nengine: gradflow\ngradflow:\n  conv_models: [plain20, plain21]\n  fc_depths: [2]\n  seeds: 1\n"
            "  batches: 1\n  batch_size: 2\n",
            "mine.yaml:4: gradflow.conv_models[1]: unknown model 'plain21'",  # was a line naming no file
        ),
        (  # a key missing from a section is at the section's line (it was the file alone)
            HEAD + "figure:\n  ylim: [0, 20]\n",
            "mine.yaml:6: missing required key 'figure.panels'",
        ),
    ],
)
def test_every_section_is_checked_when_the_file_is_read(tmp_path, text, message):
    assert message in refusal(tmp_path, text)


@pytest.mark.parametrize(
    "section, line, words",
    [
        (
            "figure:\n  ylim:\n    - 0\n    - high\n  panels: [{title: t, metrics: [test_error], models: [plain20]}]\n",
            9,
            "figure.ylim: expected [low, high] with low < high",
        ),
        (
            "figure:\n  panels:\n    - title: t\n      metrics:\n        - test_error\n        - train_eror\n"
            "      models: [plain20]\n",
            11,
            "figure.panels[0].metrics: 'train_eror' is not one of train_error, test_error, val_error",
        ),
        (
            "figure:\n  panels:\n    - title: t\n      metrics: [test_error]\n      models:\n        - plain20\n"
            "        - plain57\n",
            12,
            "figure.panels[0].models: 'plain57' is not among this target's runs (plain20)",
        ),
        (
            "profiles:\n  smoke:\n    models:\n      - plain20\n      - plain57\n",
            10,
            "profiles.smoke.models: 'plain57'",
        ),
    ],
)
def test_a_bad_item_of_a_block_list_is_named_at_its_own_line(tmp_path, section, line, words):
    """A list written as `- item` lines: the error's line is the bad item's, not the list's key's."""
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + section)
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert str(error.value).startswith(f"{path}:{line}: ") and words in str(error.value), str(error.value)


@pytest.mark.parametrize(
    "lists, line, words",
    [
        ("  conv_models:\n    - plain20\n    - plain21\n  fc_depths: [2]\n", 6, "conv_models[1]: unknown model"),
        ("  conv_models: [plain20]\n  fc_depths:\n    - 2\n    - 3\n", 7, "gradflow.fc_depths: 3 is odd"),
    ],
)
def test_a_bad_item_of_a_block_list_of_gradflow_is_named_at_its_own_line(tmp_path, lists, line, words):
    path = tmp_path / "mine.yaml"
    path.write_text(f"title: mine\nengine: gradflow\ngradflow:\n{lists}  seeds: 1\n  batches: 1\n  batch_size: 2\n")
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert str(error.value).startswith(f"{path}:{line}: ") and words in str(error.value), str(error.value)


def test_a_file_that_is_not_utf8_is_one_line_with_its_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_bytes(b"title: mine\nengine: cifar\nnotes: caf\xe9\n")
    assert_one_line_error(cli("show", str(path)), "mine.yaml:3: not UTF-8 text (byte 0xe9)")


def test_a_bad_figure_fails_before_anything_trains(cifar_dir, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(HEAD + "figure: {panels: 5}\n")
    result = cli(*smoke_run_args(str(path), cifar_dir, tmp_path / "results"))
    assert_one_line_error(result, "mine.yaml:6: figure.panels")
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    "name,message",
    [
        ("..", "must be letters, digits"),
        ("runs", "cannot be called 'runs'"),
        ("Bench", "cannot be called 'Bench'"),
        (".hidden", "must be letters, digits"),
        ("my table", "must be letters, digits"),
    ],
)
def test_a_target_name_is_a_plain_name_and_not_a_results_folder(tmp_path, name, message):
    path = tmp_path / f"{name}.yaml"
    path.write_text("title: t\nengine: complexity\nnets:\n  - {model: resnet20, input: [3, 32, 32]}\n")
    result = cli("run", str(path), "--results", str(tmp_path / "results"))
    assert_one_line_error(result, message, "Rename the file")
    assert not (tmp_path / "results").exists()


def alias_bomb(levels: int) -> str:
    """A "billion laughs" target file: each level's list holds nine aliases of the level below, so `levels` short
    lines stand for 9**levels values once anything walks them."""
    lines = [HEAD.rstrip("\n"), "paper:", '  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        below = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"  l{level}: &l{level} [{below}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [5, 9])
def test_an_alias_bomb_is_refused_in_bounded_time_and_memory(tmp_path, levels):
    import time
    import tracemalloc

    path = tmp_path / "mine.yaml"
    path.write_text(alias_bomb(levels))
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(UserError) as error:
            load_target(str(path))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0 and peak < 200 * 2**20, (elapsed, peak)
    message = str(error.value)
    assert message.startswith(f"{path}:7: YAML refused: anchor &l0: anchors and aliases are not accepted here")
    assert len(message) < 300


def test_an_alias_bomb_on_the_command_line_is_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(alias_bomb(9))
    results = tmp_path / "results"
    assert_one_line_error(
        cli("run", str(path), "--profile", "smoke", "--device", "cpu", "--results", str(results)),
        "mine.yaml:7: YAML refused: anchor &l0: anchors and aliases are not accepted here",
    )
    assert not results.exists()


def test_an_alias_in_a_set_value_is_refused():
    with pytest.raises(UserError, match=r"bad --set 'recipe\.lr_steps=\[&a 1, \*a\]'.*aliases are not accepted"):
        resolve_runs(load_target("fig1"), "paper", overrides=["recipe.lr_steps=[&a 1, *a]"])


@pytest.mark.parametrize(
    "text,fragment",
    [
        (HEAD + "title: [" + ", ".join(["'" + "x" * 1000 + "'"] * 2000) + "]\n", "larger than 1,000,000 bytes"),
        ("title: [" + "x" * 500_000 + "]\nengine: cifar\n", "title: expected text, got ['xxxxxxxxx"),
        ("title: mine\nengine: " + "e" * 500_000 + "\n", "engine: 'eeeeeeee"),
        (HEAD + "notes: !!timestamp 2001-13-45\n", "mine.yaml:6: YAML refused: tag !!timestamp: tags are not"),
        (HEAD + "notes: " + "1" * 5000 + "\n", "mine.yaml:6: YAML refused: a number of 5,000 characters; write at"),
        (HEAD + "notes: " + "[" * 100_000 + "\n", "nested too deeply"),
    ],
)
def test_a_huge_or_odd_value_is_one_short_line(tmp_path, text, fragment):
    message = refusal(tmp_path, text)
    assert fragment in message and len(message) < 400, message[:400]
    assert "\n" not in message


RUNS = "title: mine\nengine: cifar\nrecipe: cifar\nruns:\n"


@pytest.mark.parametrize(
    "text,message",
    [
        (RUNS + "  - {model: plain20, shortcut: Z}\n", "mine.yaml:5: runs[0].shortcut: 'Z' cannot apply: plain20 is a"),
        (RUNS + "  - {model: plain20, shortcut: A}\n", "runs[0].shortcut: 'A' cannot apply: plain20 is a plain net"),
        (RUNS + "  - {model: resnet20, shortcut: Z}\n", "mine.yaml:5: runs[0].shortcut: 'Z' is not one of A, B, C"),
        (RUNS + "  - {model: resnet20, variant: v1.5}\n", "runs[0].variant: v1.5 applies to the ImageNet bottleneck"),
        (
            "title: mine\nengine: complexity\nnets:\n  - {model: plain18, shortcut: B, input: [3, 224, 224]}\n",
            "mine.yaml:4: nets[0].shortcut: 'B' cannot apply: plain18 is a plain net",
        ),
        (
            "title: mine\nengine: complexity\nnets:\n  - {model: resnet20, variant: v1.5, input: [3, 32, 32]}\n",
            "nets[0].variant: v1.5 applies to the ImageNet bottleneck nets only",
        ),
    ],
)
def test_a_setting_that_cannot_apply_to_its_net_is_refused(tmp_path, text, message):
    assert message in refusal(tmp_path, text)


def test_a_shortcut_on_a_plain_net_is_one_line_and_trains_nothing(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(RUNS + "  - {model: plain20, shortcut: Z}\n")
    results = tmp_path / "results"
    assert_one_line_error(
        cli("run", str(path), "--profile", "smoke", "--device", "cpu", "--results", str(results)),
        "runs[0].shortcut: 'Z' cannot apply: plain20 is a plain net, which has no shortcuts",
    )
    assert not results.exists()


def test_zeroing_residual_branches_of_plain_nets_only_is_refused():
    with pytest.raises(UserError, match="recipe.zero_init_residual=true cannot apply: plain-20, plain-56 are plain"):
        resolve_runs(load_target("fig1"), "smoke", overrides=["recipe.zero_init_residual=true"])
    with pytest.raises(UserError, match="plain-20 are plain nets"):
        resolve_runs(load_target("fig6"), "smoke", overrides=["recipe.zero_init_residual=true"], only="plain20")
    fig6 = resolve_runs(load_target("fig6"), "smoke", overrides=["recipe.zero_init_residual=true"])
    assert any(r.shortcut for r in fig6)  # a target with ResNets takes it (its plain nets are unchanged)


@pytest.mark.parametrize("value", ["0", "first", "2.5", "[1]"])
def test_an_order_that_is_not_a_whole_number_from_one_is_a_file_line_error(tmp_path, value):
    path = tmp_path / "mine.yaml"
    path.write_text(f"title: mine\norder: {value}\nengine: cifar\n")
    with pytest.raises(UserError, match=r"mine\.yaml:2: order: expected a whole number >= 1"):
        load_target(str(path))


def test_the_report_shows_targets_in_their_files_order_and_ones_own_after_them(tmp_path, monkeypatch):
    """Where a target sits in the report is said in its own file: adding one touches no code."""
    import shutil
    from pathlib import Path

    from resnet_repro.report.sections import collect_sections

    experiments = Path(__file__).parents[1] / "experiments"
    folder = tmp_path / "experiments"
    shutil.copytree(experiments / "_recipes", folder / "_recipes")
    for name, order in (("table1", "order: 2"), ("gradflow", "order: 1"), ("fig6", "")):
        text = "\n".join(
            line for line in (experiments / f"{name}.yaml").read_text().splitlines() if not line.startswith("order:")
        )
        (folder / f"{name}.yaml").write_text(f"{order}\n{text}\n")
    (folder / "aaa.yaml").write_text("title: mine\nengine: complexity\n")  # no order: after the paper's, by name
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(folder))
    names = [section.target.name for section in collect_sections(tmp_path / "results")]
    assert names == ["gradflow", "table1", "aaa", "fig6"]


@pytest.mark.parametrize(
    "entries",
    [
        "  - model: resnet20\n  - model: resnet20\n",
        "  - resnet20\n  - {model: resnet20, seeds: 3}\n",
        "  - resnet20\n  - {model: resnet20, shortcut: A}\n",  # A is resnet20's own shortcut: the same folders
    ],
)
def test_a_net_listed_twice_in_runs_is_one_line_at_the_second(tmp_path, entries):
    # Both entries trained the same run folders, so each seed counted twice: "2/2 seeds, ± 0.00" from one run.
    path = tmp_path / "mine.yaml"
    path.write_text(RUNS + entries)
    with pytest.raises(UserError, match=r"mine\.yaml:6: runs\[1\]: 'resnet20' is listed twice \(runs\[0\]"):
        load_target(str(path))


def test_one_net_with_two_shortcuts_is_two_runs(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(RUNS + "  - resnet20\n  - {model: resnet20, shortcut: B}\n")
    assert len(resolve_runs(load_target(str(path)), "smoke")) == 2


@pytest.mark.parametrize(
    "entries,message",
    [
        ("  - resnt20\n", "mine.yaml:5: runs[0].model: unknown model 'resnt20'"),
        ("  - plain20\n  - {model: resnet21}\n", "mine.yaml:6: runs[1].model: unknown model 'resnet21'"),
        ("  - model: resnet20\n    family: cifr\n", "mine.yaml:6: runs[0].family: unknown model family 'cifr'"),
        # named at its own line, not as the panel that names the net the typo lost
        (
            "  - plane20\nfigure:\n  panels:\n    - {title: t, metrics: [test_error], models: [plain20]}\n",
            "mine.yaml:5: runs[0].model: unknown model 'plane20'",
        ),
    ],
)
def test_an_unknown_net_in_runs_is_named_at_its_line(tmp_path, entries, message):
    assert message in refusal(tmp_path, RUNS + entries)


def test_an_unknown_net_table1_counts_is_named_at_its_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: complexity\nnets:\n  - {model: resnet19, input: [3, 32, 32]}\n")
    with pytest.raises(UserError, match=r"mine\.yaml:4: nets\[0\]\.model: unknown model 'resnet19'"):
        load_target(str(path))


def test_a_recipe_that_does_not_exist_is_named_at_its_line_when_the_file_is_read(tmp_path):
    # it was found missing only when runs were resolved, as a line naming no target file: `list` and `report`, which
    # read every target, could not say which file held the typo
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifra\nruns: [resnet20]\n")
    with pytest.raises(UserError, match=r"mine\.yaml:3: recipe 'cifra' not found: expected .*_recipes/cifra\.yaml"):
        load_target(str(path))


@pytest.mark.parametrize("name", ["../fig6", "../_recipes/cifar", "/tmp/cifar", "..", "sub\\\\cifar"])
def test_a_recipe_name_with_a_folder_in_it_is_refused_at_its_line(tmp_path, name):
    # ../fig6 read the target file fig6.yaml as a recipe (an unknown key in it), ../_recipes/cifar ran as cifar
    path = tmp_path / "mine.yaml"
    path.write_text(f'title: mine\nengine: cifar\nrecipe: "{name}"\nruns: [resnet20]\n')
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert re.fullmatch(
        rf"{re.escape(str(path))}:3: recipe '.*': recipe names are plain names, of a file in "
        r"\S*experiments/_recipes without \.yaml: cifar, imagenet",
        str(error.value),
    ), str(error.value)


@pytest.mark.parametrize(
    "text,message",
    [
        # a misspelt profile was ignored: `--profile smoke` then trained every net
        (
            RUNS + "  - plain20\n  - plain56\nprofiles:\n  smok: {models: [plain20]}\n",
            "mine.yaml:8: profiles: 'smok' is",
        ),
        # no run at all: `run` said every run was trained and wrote nothing
        (RUNS + "  - plain20\nprofiles:\n  smoke: {models: []}\n", "mine.yaml:7: profiles.smoke.models: an empty list"),
        (
            "title: mine\nengine: complexity\nnets:\n  - {model: resnet20, input: [3, 32, 32]}\nprofiles:\n  smoke: {}\n",
            "mine.yaml:5: profiles: a target without a recipe has no profiles",
        ),
    ],
)
def test_a_profile_selection_names_a_profile_of_the_recipe_and_some_run(tmp_path, text, message):
    assert message in refusal(tmp_path, text)


@pytest.mark.parametrize(
    "text,message",
    [
        ("title: mine\nengine: cifar\nruns: [plain20]\n", "mine.yaml:2: recipe: engine cifar trains the nets of runs:"),
        ("title: mine\nengine: cifar\nrecipe: cifar\nruns: []\n", "mine.yaml:4: runs: engine cifar trains the nets"),
        ("title: mine\nengine: imagenet\nrecipe: imagenet\n", "mine.yaml:2: runs: engine imagenet trains the nets"),
        ("title: mine\nengine: layer_responses\nrecipe: cifar\n", "mine.yaml:2: runs: engine layer_responses"),
    ],
)
def test_a_target_of_an_engine_that_trains_names_a_recipe_and_runs(tmp_path, text, message):
    # without either, `run` said every run was trained and exited 0 with nothing trained (or an empty table or figure)
    assert message in refusal(tmp_path, text)


def test_an_experiments_folder_without_target_files_is_one_line_and_the_report_is_kept(tmp_path, monkeypatch):
    # RESNET_REPRO_EXPERIMENTS at the repo's root (not experiments/) listed no target with exit 0, and `report`
    # replaced the results folder's REPORT.md with one of 0 targets
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "REPORT.md").write_text("mine")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    for args in (["list"], ["report", "--results", str(tmp_path / "results")]):
        assert_one_line_error(
            cli_in_process(*args), "holds no target file (*.yaml): point it at a copy of experiments/"
        )
    assert (tmp_path / "results" / "REPORT.md").read_text() == "mine"


def test_a_suggested_command_names_a_target_file_of_ones_own_by_its_path(tmp_path, monkeypatch):
    # `plot /tmp/mine.yaml`, `show` and what `run` ends with suggested `resnet-repro run mine`: "unknown target 'mine'"
    from pathlib import Path

    from resnet_repro.cli.common import console
    from resnet_repro.readback.report_parts import run_command

    monkeypatch.setattr(console, "width", 400)
    experiments = Path(__file__).parents[1] / "experiments"
    folder = tmp_path / "my files"  # a shell splits the path at its space: quoted
    folder.mkdir()
    (folder / "mine.yaml").write_text((experiments / "table6.yaml").read_text())
    (folder / "fig1.yaml").write_text((experiments / "fig1.yaml").read_text())  # `run fig1` runs the shipped one
    monkeypatch.chdir(tmp_path)
    assert (
        run_command(load_target(str(folder / "mine.yaml")), "cpu")
        == f"resnet-repro run '{folder}/mine.yaml' --profile cpu"
    )
    assert run_command(load_target(str(folder / "fig1.yaml"))) == f"resnet-repro run '{folder}/fig1.yaml'"
    assert run_command(load_target("my files/mine.yaml")) == "resnet-repro run 'my files/mine.yaml'"  # as given
    for shipped in ("fig1", "FIG1", str(experiments / "fig1.yaml")):  # a shipped target keeps its name
        assert run_command(load_target(shipped), "cpu") == "resnet-repro run fig1 --profile cpu"
    (tmp_path / "results/runs").mkdir(parents=True)
    results = ("--results", str(tmp_path / "results"))
    plot = cli_in_process("plot", "my files/mine.yaml", "--profile", "cpu", *results)
    assert_one_line_error(plot, "(`resnet-repro run 'my files/mine.yaml' --profile cpu` trains them)")
    shown = cli_in_process("show", "my files/mine.yaml", "--profile", "smoke", *results, check=True).stdout
    assert "`resnet-repro run 'my files/mine.yaml' --profile smoke --only resnet-110-A-no-warmup`" in shown
