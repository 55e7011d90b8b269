"""A run's identity (RunId <-> its folder path) and its status (RunStatus), each made in one place."""

import json

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.config import overrides_tag, parse_overrides
from resnet_repro.specs.experiments import MAX_SEED, load_recipe_file, load_target, resolve_runs, target_names
from resnet_repro.specs.run_id import RunId, RunStatus, seeds_status
from resnet_repro.store.aggregate import collect
from resnet_repro.store.layout import RunFiles, run_status
from resnet_repro.train.clock import measured_throughput, seconds_left, unmeasured_models


def _every_run_shape():
    """Every (target, profile, with or without overrides) the shipped YAML resolves, at seeds 0, 7 and the
    largest seed there is."""
    for name in target_names():
        target = load_target(name)
        if target.recipe is None:
            continue
        for profile in load_recipe_file(target.recipe).profiles:
            for overrides in ((), ("recipe.lr=0.05",)):
                yield from resolve_runs(target, profile, seeds=[0, 7, MAX_SEED], overrides=list(overrides))


def test_every_run_folder_renders_and_parses_back_to_the_same_id():
    runs = list(_every_run_shape())
    assert len(runs) > 100 and {r.data.dataset for r in runs} >= {"cifar10", "imagenet"}
    tag = overrides_tag(parse_overrides(["recipe.lr=0.05"]))
    for config in runs:
        run_id = config.run_id
        assert run_id.path == str(run_id) == config.name
        assert RunId.parse(config.name) == run_id
        assert (run_id.dataset, run_id.profile, run_id.seed) == (config.data.dataset, config.profile, config.seed)
        assert run_id.tag == (tag if config.overrides else None)
        assert run_id.profile_folder == (f"{config.profile}~{tag}" if config.overrides else config.profile)


def test_a_run_id_parses_into_its_parts():
    parsed = RunId.parse("fashion-mnist/resnet-20-A/cpu~282253/seed1")
    assert parsed == RunId("fashion-mnist", "resnet-20-A", "cpu", "282253", 1)
    assert parsed.profile_folder == "cpu~282253"
    assert RunId.parse("imagenet/resnet-50-B-v1.5/paper/seed0") == RunId(
        "imagenet", "resnet-50-B-v1.5", "paper", None, 0
    )


@pytest.mark.parametrize(
    "path",
    [
        "cifar10/resnet-56-A/paper",  # no seed folder
        "cifar10/resnet-56-A/paper/seed",  # no seed number
        "cifar10/resnet-56-A/paper/seed01",  # would not render back the same
        "cifar10/resnet-56-A/paper/seed-1",
        "cifar10/resnet-56-A/paper/run0",
        "cifar10/resnet-56-A/paper~/seed0",  # an empty tag
        "cifar10/resnet-56-A/paper~a~b/seed0",
        "cifar10//paper/seed0",
        "/cifar10/resnet-56-A/paper/seed0",
        "cifar10/resnet-56-A/paper/seed0/",
        "runs/cifar10/resnet-56-A/paper/seed0",
        "",
    ],
)
def test_a_malformed_run_folder_is_one_clear_error(path):
    with pytest.raises(UserError) as error:
        RunId.parse(path)
    assert str(error.value) == (
        f"{path!r} is not a run folder: expected <dataset>/<label>/<profile>[~<tag>]/seed<k>, "
        f"e.g. cifar10/resnet-56-A/paper/seed0"
    )


@pytest.mark.parametrize(
    "parts",
    [
        ("cifar 10", "resnet-20-A", "paper", None, 0),
        ("cifar10", "resnet/20", "paper", None, 0),
        ("cifar10", "resnet-20-A", "paper~x", None, 0),
        ("cifar10", "resnet-20-A", "paper", "", 0),
        ("cifar10", "resnet-20-A", "paper", None, -1),
    ],
)
def test_a_run_id_that_cannot_be_a_folder_is_refused(parts):
    with pytest.raises(UserError, match="cannot name a run folder"):
        RunId(*parts)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_run_status_reads_the_run_folder(tmp_path):
    files = RunFiles(tmp_path, "cifar10/resnet-20-A/paper/seed0")
    assert run_status(files) is RunStatus.NOT_STARTED
    _write(files.checkpoint, "x")
    assert run_status(files) is RunStatus.UNFINISHED
    files.checkpoint.unlink()
    _write(files.metrics, "iteration\n")
    assert run_status(files) is RunStatus.UNFINISHED
    _write(files.final, "{cut sh")  # a damaged final.json: the run has not ended as far as anyone can tell
    assert run_status(files) is RunStatus.UNFINISHED
    _write(files.final, json.dumps({"status": "failed"}))
    assert run_status(files) is RunStatus.FAILED and run_status(files).ended
    _write(files.final, json.dumps({"status": "finished"}))
    assert run_status(files) is RunStatus.FINISHED and run_status(files).ended
    assert not RunStatus.UNFINISHED.ended and not RunStatus.NOT_STARTED.ended
    assert str(RunStatus.NOT_STARTED) == "not started"


def test_the_seeds_of_a_model_are_summed_up_from_each_seeds_status(tmp_path):
    S = RunStatus
    assert seeds_status([S.FINISHED, S.FINISHED], 2) == "finished"
    assert seeds_status([S.FINISHED, S.FAILED], 2) == "failed"
    assert seeds_status([S.FINISHED, S.NOT_STARTED], 2) == "partial (1/2)"
    assert seeds_status([S.UNFINISHED, S.NOT_STARTED], 2) == "partial (0/2)"
    assert seeds_status([S.NOT_STARTED, S.NOT_STARTED], 2) == "missing"
    runs = resolve_runs(load_target("fig6"), "smoke", seeds=[0, 1], only="plain-20")
    _write(RunFiles(tmp_path, runs[0].name).final, json.dumps({"status": "finished"}))
    (model,) = collect(runs, tmp_path).values()
    assert model.statuses == [S.FINISHED, S.NOT_STARTED] and model.status == "partial (1/2)"


def test_a_table_drawn_while_a_seed_trains_says_running_as_list_and_show_do(tmp_path):
    """A table drawn while plain-20 trained said "partial (0/1)", as of a run a stopped job left, while `show` and
    `list` said "running". A seed whose lock a process holds is running; once the lock is gone it is partial again."""
    from resnet_repro.store.lock import run_lock

    (run,) = resolve_runs(load_target("fig6"), "smoke", only="plain-20")
    folder = RunFiles(tmp_path, run.name).dir
    _write(RunFiles(tmp_path, run.name).metrics, "iteration\n")
    with run_lock(folder, run.name):  # as `run` holds it while the net trains
        assert collect([run], tmp_path)["plain20"].status == "running (0/1)"
    assert collect([run], tmp_path)["plain20"].status == "partial (0/1)"  # stopped: its lock died with it
    S = RunStatus
    assert seeds_status([S.FINISHED, S.UNFINISHED], 2, running=1) == "running (1/2)"
    assert seeds_status([S.FAILED, S.UNFINISHED], 2, running=1) == "failed"


def test_a_models_damaged_seeds_are_each_named_in_its_status_the_first_three_and_the_rest_counted(tmp_path):
    # it said "damaged: run .../seed0: ... (and 4 more)", the other seeds named nowhere in the table
    runs = resolve_runs(load_target("fig6"), "smoke", seeds=[0, 1, 2, 3, 4], only="plain-20")
    for config in runs:
        RunFiles(tmp_path, config.name).dir.mkdir(parents=True)
        RunFiles(tmp_path, config.name).meta.symlink_to("/dev/zero")
    (model,) = collect(runs, tmp_path).values()
    first = f"run {runs[0].name}: meta.json is a link (to /dev/zero)"
    assert model.status.startswith(f"damaged: {first}")
    others = "; ".join(config.name for config in runs[1:4])
    assert model.status.endswith(f" (and 4 more damaged runs: {others}; and 1 more)"), model.status
    (model,) = collect(runs[:2], tmp_path).values()
    assert model.status.endswith(f" (and 1 more damaged run: {runs[1].name})"), model.status


def test_time_left_counts_only_runs_that_have_not_ended_and_rates_by_dataset_label_and_profile(tmp_path):
    runs = resolve_runs(load_target("fig6"), "smoke", seeds=[0, 1, 2], only="plain-20")  # 12 iterations of 32
    header = "iteration,images_per_s\n"
    _write(RunFiles(tmp_path, runs[0].name).final, json.dumps({"status": "finished"}))
    _write(RunFiles(tmp_path, runs[1].name).final, json.dumps({"status": "failed"}))
    _write(RunFiles(tmp_path, runs[2].name).metrics, header + "3,10\n6,16\n9,16\n")
    _write(tmp_path / "runs" / "notes" / "metrics.csv", header + "3,99999\n6,99999\n")  # not a run folder
    rates = measured_throughput(tmp_path)
    dataset = runs[0].run_id.dataset
    assert rates == {f"{dataset}/plain-20/smoke": 16.0}  # the median of a run's rates after its first row
    # 3 iterations of 32 and the last test pass over the 128 test images (at a third of a training image each)
    assert seconds_left(runs, tmp_path, rates) == ((12 - 9) * 32 + 128 / 3) / 16.0
    # Another profile's rate is not this one's; bench's (measured at 32x32) stands only for runs at 32x32.
    other = resolve_runs(load_target("fig6"), "smoke", seeds=[0], only="plain-20", overrides=["data.image_size=16"])
    bench = {**rates, "plain20/fp32": 64.0}
    assert seconds_left(other, tmp_path, rates) is None and seconds_left(other, tmp_path, bench) is None
    assert unmeasured_models(other, bench) == ["plain20"] and unmeasured_models(runs, rates) == []
    assert seconds_left(other, tmp_path, {**bench, "plain20/fp32@16": 256.0}) == (12 * 32 + 2 * 128 / 3) / 256.0
    at_32 = resolve_runs(load_target("fig6"), "smoke", seeds=[0], only="plain-20", overrides=["recipe.iterations=20"])
    assert seconds_left(at_32, tmp_path, bench) == (20 * 32 + 4 * 128 / 3) / 64.0  # tested at 6, 12, 18 and 20


def test_time_left_counts_a_damaged_run_whole_where_its_fix_trains_it_again(tmp_path):
    # list counted each of these finished runs as done, no time left, while `run` refused them and said to delete
    # their folders and train them again; a lock alone, removed, leaves the finished run as it was
    runs = resolve_runs(load_target("fig6"), "smoke", seeds=[0, 1, 2], only="plain-20")  # 12 iterations of 32
    for config in runs:
        _write(RunFiles(tmp_path, config.name).final, json.dumps({"status": "finished", "iterations": 12}))
    RunFiles(tmp_path, runs[0].name).meta.symlink_to("/dev/zero")  # damaged: delete its folder to train it again
    RunFiles(tmp_path, runs[1].name).lock.mkdir()  # damaged, but only its lock: it stays finished
    final = {"status": "finished", "iterations": 12, "train_error": 50.0}
    _write(RunFiles(tmp_path, runs[2].name).final, json.dumps(final))
    _write(RunFiles(tmp_path, runs[2].name).metrics, "iteration,train_error\n6,60\n12,40\n")  # disagrees with final
    rates = {f"{runs[0].run_id.dataset}/plain-20/smoke": 16.0}
    whole = (12 * 32 + 2 * 128 / 3) / 16.0  # tested at 6 and 12
    assert seconds_left(runs, tmp_path, rates) == 2 * whole


def test_a_measuring_target_over_a_damaged_run_is_not_said_to_be_trained_and_waiting(tmp_path):
    # list and plot said fig7's nets were "trained, not measured yet (`resnet-repro run fig7`)", and that command
    # refused the damaged run
    from resnet_repro.engines.outputs import trained_not_measured

    target = load_target("fig7")
    runs = resolve_runs(target, "smoke")
    for config in runs:
        _write(RunFiles(tmp_path, config.name).final, json.dumps({"status": "finished"}))
    assert "smoke" in trained_not_measured(target, tmp_path)
    RunFiles(tmp_path, runs[0].name).meta.symlink_to("/dev/zero")
    assert "smoke" not in trained_not_measured(target, tmp_path)


def test_a_variants_measured_file_not_there_yet_says_its_command_trains_nets_not_yet_trained(tmp_path):
    """plot all said of a --set variant's fig7 folder "responses.csv does not exist yet: `resnet-repro run fig7
    --profile smoke --set data.dataset=fashion-mnist` measures it", where that variant's nets were not trained: the
    command trains them first."""
    from resnet_repro.engines.outputs import measured_csv_of

    target = load_target("fig7")
    runs = resolve_runs(target, "smoke", overrides=["data.dataset=fashion-mnist"])
    command = "`resnet-repro run fig7 --profile smoke --set data.dataset=fashion-mnist`"
    with pytest.raises(UserError) as untrained:
        measured_csv_of(target, tmp_path, runs, lambda path: "")
    assert str(untrained.value).endswith(
        "responses.csv does not exist yet, and the nets it measures are not all trained: "
        f"{command} trains and measures them"
    )
    for config in runs:
        _write(RunFiles(tmp_path, config.name).final, json.dumps({"status": "finished"}))
    with pytest.raises(UserError) as trained:
        measured_csv_of(target, tmp_path, runs, lambda path: "")
    assert str(trained.value).endswith(f"responses.csv does not exist yet: {command} measures it")


def test_a_logged_or_benched_speed_that_is_no_speed_gives_no_estimate(tmp_path):
    # a hand-edited log's img/s of nan made list say "nan h left", and a negative one a time below zero
    runs = resolve_runs(load_target("fig6"), "smoke", seeds=[0, 1, 2], only="plain-20")
    for seed, rate in enumerate(("nan", "-50", "inf")):
        _write(RunFiles(tmp_path, runs[seed].name).metrics, f"iteration,images_per_s\n3,{rate}\n6,{rate}\n9,{rate}\n")
    _write(tmp_path / "bench" / "bench.csv", "model,train_images_per_s\nplain20,nan\nplain56,0\nresnet20,-1\n")
    assert measured_throughput(tmp_path) == {}
    assert seconds_left(runs, tmp_path, measured_throughput(tmp_path)) is None
