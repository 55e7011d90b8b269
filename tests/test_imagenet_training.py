"""ImageNet targets end to end on a generated ImageFolder of real JPEGs (smoke profile, 32x32 crops)."""

import csv
import json
import re

import pytest

from resnet_repro.data.synthetic import write_image_folder

from .conftest import (
    assert_one_line_error,
    cli,
    cli_in_process,
    copy_results,
    final,
    rows_without_timing,
    smoke_run_args,
)


@pytest.fixture(scope="module")
def imagenet_dir(tmp_path_factory):
    root = write_image_folder(tmp_path_factory.mktemp("imagenet") / "imagenet")
    (root / "train" / "n00000000" / "zz_broken.JPEG").write_bytes(b"\xff\xd8 truncated")
    return root.parent


@pytest.fixture(scope="module")
def table3(imagenet_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    cli(
        *smoke_run_args("table3", imagenet_dir, results),
        check=True,
    )
    with open(results / "table3/smoke/table.csv") as handle:
        return results, {row["model"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def plain18(imagenet_dir, tmp_path_factory):
    """table2's smoke plain-18 trained alone to its end, once for the module: its results folder. Read it; a test that
    changes it works on a copy (`copy_results`)."""
    results = tmp_path_factory.mktemp("plain18") / "r"
    cli(*smoke_run_args("table2", imagenet_dir, results, "--only", "plain-18"), check=True)
    return results


def test_table3_smoke_has_every_row_with_top1_and_top5(table3):
    _, rows = table3
    assert list(rows) == [
        "plain-34",
        "resnet-34-A",
        "resnet-34-B",
        "resnet-34-C",
        "resnet-50-B",
        "resnet-101-B",
        "resnet-152-B",
    ]
    for row in rows.values():
        assert row["status"] == "finished" and 0 <= float(row["top1_error"]) <= 100
        assert float(row["top5_error"]) <= float(row["top1_error"])
    assert rows["resnet-34-C"]["paper_top1_error"] == "24.19" and rows["resnet-152-B"]["paper_top5_error"] == "5.71"
    assert rows["resnet-50-B"]["delta_top1"] == ""  # smoke numbers are never compared with the paper's
    assert int(rows["resnet-34-B"]["params"]) - int(rows["resnet-34-A"]["params"]) > 0


def test_unreadable_training_image_was_skipped_not_fatal(table3):
    results, _ = table3
    metrics = rows_without_timing(next(results.glob("runs/imagenet/plain-34/smoke/seed0")) / "metrics.csv")
    assert len(metrics) == 4


def test_skipped_images_are_counted_in_final_json(tmp_path):
    import json

    root = write_image_folder(tmp_path / "data" / "imagenet", classes=2, train_per_class=2, val_per_class=2)
    broken = root / "train" / "n00000000" / "zz_broken.JPEG"
    broken.write_bytes(b"\xff\xd8 truncated")
    images = len(list((root / "train").rglob("*.JPEG")))  # every batch is the whole set, broken file included
    cli(
        *smoke_run_args("table2", tmp_path / "data", tmp_path / "r", "--only", "plain-18"),
        "--set",
        f"recipe.batch_size={images}",
        "--set",
        "recipe.bn_batch=null",
        "--set",
        f"recipe.bn_stats_images={images}",
        check=True,
    )
    final_json = json.loads(next((tmp_path / "r").glob("runs/imagenet/plain-18/*/seed0/final.json")).read_text())
    assert final_json["status"] == "finished"
    assert final_json["skipped_images"] == {"count": 1, "paths": [str(broken)]}


def test_fig4_smoke_draws_from_the_shared_runs(imagenet_dir, table3):
    results, _ = table3
    out = cli(
        *smoke_run_args("fig4", imagenet_dir, results),
        check=True,
    )
    assert (results / "fig4/smoke/fig4.png").stat().st_size > 0
    assert "plain-34/smoke/seed0: already finished" in out.stdout


def test_imagenet_run_resumes_exactly(imagenet_dir, plain18, tmp_path):
    def args(folder: str) -> list[str]:
        return smoke_run_args("table2", imagenet_dir, tmp_path / folder, "--only", "plain-18")

    copy_results(plain18, tmp_path / "alone")  # trained alone from start to end
    # Killed mid-run, and killed after the last checkpoint, before the BN statistics are recomputed (the smoke
    # profile recomputes them, as the paper profile does).
    for killed, at in (("killed", 2), ("killed-at-the-end", 4)):
        crashed = cli(*args(killed), env={"RESNET_REPRO_FAULT": f"after-checkpoint:{at}"})
        assert crashed.returncode == -9
        cli(*args(killed), check=True)
    a, b, c = (tmp_path / d / "runs/imagenet/plain-18/smoke/seed0" for d in ("alone", "killed", "killed-at-the-end"))
    assert rows_without_timing(a / "metrics.csv") == rows_without_timing(b / "metrics.csv")
    assert final(a / "final.json") == final(b / "final.json")
    alone, at_the_end = (json.loads((d / "final.json").read_text()) for d in (a, c))
    assert alone["bn_stats"] == at_the_end["bn_stats"] == "recomputed over 16 training images"
    for key in ("test_error", "test_loss", "test_error_moving_average"):  # recomputed again, to the bit
        assert alone[key] == at_the_end[key], key
    # (a run resumed after its last checkpoint takes its training loss from metrics.csv, to 6 digits)
    assert at_the_end["train_loss"] == pytest.approx(alone["train_loss"], rel=1e-5)


def test_missing_imagenet_says_it_cannot_be_downloaded(tmp_path):
    result = cli_in_process(
        *smoke_run_args("table2", tmp_path, tmp_path / "r"),
    )
    assert_one_line_error(result, "ImageNet not found", "cannot be downloaded", "--data-dir")


# slow: about 2.5 min on 2 cores (multi-scale test of every ImageNet net); table3 stays in every suite
@pytest.mark.slow
def test_table4_reports_the_multiscale_protocol(imagenet_dir, table3):
    results, _ = table3  # table4 shares its runs with table3 (same names, same configs)
    cli(
        *smoke_run_args("table4", imagenet_dir, results),
        check=True,
    )
    with open(results / "table4/smoke/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"resnet-34-B", "resnet-34-C", "resnet-50-B"}  # the smoke profile's selection
    assert all(r["top1_error"] != "" and r["status"] == "finished" for r in rows.values())
    assert next(results.glob("runs/imagenet/resnet-50-B/smoke/seed0/multi-scale.json")).exists()
    assert rows["resnet-50-B"]["paper_top5_error"] == "5.25"
    markdown = (results / "table4/smoke/table.md").read_text()
    assert "fully convolutional" in markdown and "no flipped views" in markdown
    with open(results / "table4/smoke/quoted.csv") as handle:
        quoted = {row["model"]: row for row in csv.DictReader(handle)}
    assert quoted["PReLU-net"]["top1_error"] == "21.59" and quoted["BN-inception"]["top5_error"] == "5.81"
    assert "## Quoted from the paper: other methods, not trained here" in markdown
    assert "BN statistics recomputed after training over 16 training images" in markdown


def test_the_imagenet_plateau_rule_reads_only_held_out_training_images(imagenet_dir, tmp_path, monkeypatch):
    import torch

    from resnet_repro.data.sources import load_image_sets
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train import loop
    from resnet_repro.train.context import RunContext
    from resnet_repro.train.runner import train_runs
    from resnet_repro.train.schedule import LRSchedule

    (config,) = resolve_runs(
        load_target("table2"),
        "smoke",
        only="plain-18",
        overrides=["recipe.lr_plateau={patience: 1}", "recipe.holdout=16", "recipe.eval_every=1"],
    )
    evaluated, watched = [], []
    real_evaluate, real_observe = loop.evaluate, LRSchedule.observe_eval_error

    def spy_evaluate(model, data, autocast):
        result = real_evaluate(model, data, autocast)
        evaluated.append(([str(path) for path, _ in data.index.samples], result[1]))
        return result

    def spy_observe(schedule, error):
        watched.append(error)
        return real_observe(schedule, error)

    monkeypatch.setattr(loop, "evaluate", spy_evaluate)
    monkeypatch.setattr(LRSchedule, "observe_eval_error", spy_observe)
    train_runs([config], RunContext(tmp_path, imagenet_dir, torch.device("cpu")))

    splits = load_image_sets(config.data, imagenet_dir, config.recipe.holdout)
    held_out = [str(path) for path, _ in splits.val.samples]
    trained_on = {str(path) for path, _ in splits.train.samples}
    assert len(held_out) == 16 and all("/imagenet/train/" in path for path in held_out)
    assert not trained_on & set(held_out)
    # Every error the rule saw is the held-out set's, evaluation by evaluation; the val folder's errors never.
    held_out_errors = [error for paths, error in evaluated if paths == held_out]
    assert len(watched) == 4 and watched == held_out_errors[:4]
    reported = [error for paths, error in evaluated if all("/imagenet/val/" in p for p in paths)]
    assert len(reported) == 5  # 4 curve points and the final number (with recomputed BN statistics)


def damage_imagenet_run(run, how: str) -> str:
    """Damage a finished ImageNet run's folder as a bad copy or a forger would; the reason tables must give."""
    import os

    crops = run / "10-crop.json"
    if how == "meta.json: a link to /dev/zero":
        (run / "meta.json").unlink()
        (run / "meta.json").symlink_to("/dev/zero")
        return "meta.json is a link (to /dev/zero); no link inside results is followed"
    if how == "10-crop.json: a named pipe":
        crops.unlink()
        os.mkfifo(crops)
        return "10-crop.json is a named pipe, not a regular file"
    if how == "10-crop.json: a link":
        crops.rename(run / "elsewhere.json")
        crops.symlink_to(run / "elsewhere.json")
        return "10-crop.json is a link"
    if how == "10-crop.json: a string for an error":
        crops.write_text(json.dumps({**json.loads(crops.read_text()), "top1_error": "low"}))
        return '10-crop.json has top1_error "low", not a number'
    if how == "10-crop.json: an error above 100":
        crops.write_text(json.dumps({**json.loads(crops.read_text()), "top5_error": 250}))
        return "10-crop.json has top5_error 250, not an error rate (0 to 100)"
    assert how == "a log that disagrees with final.json"
    lines = (run / "metrics.csv").read_text().splitlines(keepends=True)
    parts = lines[-1].split(",")
    parts[4] = "0.5"  # train_error
    (run / "metrics.csv").write_text("".join(lines[:-1]) + ",".join(parts))
    return "metrics.csv's last row has train_error 0.5, final.json"


@pytest.mark.timeout(300)  # a read that waits on a pipe would never end: this ends the test instead
@pytest.mark.parametrize(
    "how",
    [
        "meta.json: a link to /dev/zero",
        "10-crop.json: a named pipe",
        "10-crop.json: a link",
        "10-crop.json: a string for an error",
        "10-crop.json: an error above 100",
        "a log that disagrees with final.json",
    ],
)
def test_a_damaged_imagenet_run_is_left_out_of_the_protocols_errors_too(table3, tmp_path, how):
    from resnet_repro.readback.measured import measure
    from resnet_repro.specs.experiments import load_target

    from .conftest import cli_in_process, copy_results

    results = copy_results(table3[0], tmp_path / "results", link_checkpoints=True)
    reason = damage_imagenet_run(results / "runs/imagenet/resnet-34-B/smoke/seed0", how)
    note = f"run imagenet/resnet-34-B/smoke/seed0: {reason}"
    plotted = cli_in_process("plot", "table3", "--profile", "smoke", "--results", str(results))
    assert plotted.returncode == 0 and "Traceback" not in plotted.stdout + plotted.stderr, plotted.stderr
    with open(results / "table3/smoke/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    damaged = rows["resnet-34-B"]
    assert damaged["status"].startswith(f"damaged: {note}"), damaged["status"]
    assert damaged["top1_error"] == damaged["top5_error"] == damaged["params"] == ""
    assert rows["resnet-34-A"]["status"] == "finished" and rows["resnet-34-A"]["top1_error"] != ""
    found = measure(load_target("table3"), "smoke", results)
    assert [d[: len(note)] for d in found.damaged] == [note]
    for metric in ("top1_error", "top5_error", "test_error"):
        assert "resnet34-B" not in found.per_key(metric) and "resnet34-A" in found.per_key(metric), metric
    reported = cli_in_process("report", "--results", str(results))
    assert reported.returncode == 0 and "Traceback" not in reported.stdout + reported.stderr, reported.stderr
    assert f"Damaged: {note}" in (results / "REPORT.md").read_text()


def test_a_run_trained_again_has_its_protocol_errors_measured_again(imagenet_dir, plain18, tmp_path):
    """A protocol record measured the weights the run had when it finished: a run trained again in its folder (its
    final.json deleted, as a damaged checkpoint's error advises, or its checkpoints too) never keeps the old one."""
    args = smoke_run_args("table2", imagenet_dir, tmp_path / "r", "--only", "plain-18")
    copy_results(plain18, tmp_path / "r")  # what `cli(*args)` trains, trained once for the module
    run = tmp_path / "r/runs/imagenet/plain-18/smoke/seed0"
    crops = run / "10-crop.json"
    old = {**json.loads(crops.read_text()), "top1_error": 12.5, "top5_error": 2.5}  # the old weights' errors
    crops.write_text(json.dumps(old))
    for name in ("final.json", "checkpoint.pt", "checkpoint.prev.pt", "metrics.csv"):
        (run / name).unlink(missing_ok=True)
    crashed = cli(*args, env={"RESNET_REPRO_FAULT": "after-checkpoint:2"})  # killed while trained again
    assert crashed.returncode == -9
    assert not crops.exists()  # the old errors are not the new weights'
    cli(*args, check=True)
    measured = json.loads(crops.read_text())
    assert (measured["top1_error"], measured["top5_error"]) != (12.5, 2.5)
    with open(tmp_path / "r/table2/smoke/table.csv") as handle:
        row = next(row for row in csv.DictReader(handle) if row["model"] == "plain-18")
    assert float(row["top1_error"]) == measured["top1_error"]


def test_a_protocol_record_cut_short_or_damaged_is_measured_again_not_the_run_deleted(imagenet_dir, plain18, tmp_path):
    # a cut-short 10-crop.json was taken as measured (it exists) and never measured again, the table blank for
    # good; a damaged one had `run` say "Delete its folder", a trained net thrown away for a record derived from it
    from .conftest import cli_in_process

    args = smoke_run_args("table2", imagenet_dir, tmp_path / "r", "--only", "plain-18")
    copy_results(plain18, tmp_path / "r")  # what `cli(*args)` trains, trained once for the module
    run = tmp_path / "r/runs/imagenet/plain-18/smoke/seed0"
    crops = run / "10-crop.json"
    measured = json.loads(crops.read_text())
    checkpoint = (run / "checkpoint.pt").read_bytes()
    crops.write_text(crops.read_text()[:20])  # a copy cut short
    cli(*args, check=True)
    assert json.loads(crops.read_text()) == measured  # the same weights, measured again
    crops.write_text(json.dumps({**measured, "top5_error": 250}))
    refused = cli_in_process(*args)
    assert_one_line_error(
        refused, "damaged run imagenet/plain-18/smoke/seed0: 10-crop.json has top5_error 250", f"Remove {crops} ("
    )
    assert "Delete its folder" not in refused.stderr
    assert json.loads(crops.read_text())["top5_error"] == 250  # nothing touched
    plotted = cli_in_process("plot", "table2", "--profile", "smoke", "--results", str(tmp_path / "r"))
    assert plotted.returncode == 0, plotted.stderr
    with open(tmp_path / "r/table2/smoke/table.csv") as handle:
        row = next(row for row in csv.DictReader(handle) if row["model"] == "plain-18")
    assert row["status"].endswith("(remove its 10-crop.json alone and run it to measure it again)"), row["status"]
    crops.unlink()  # as the error says
    cli(*args, check=True)
    assert json.loads(crops.read_text()) == measured
    assert (run / "checkpoint.pt").read_bytes() == checkpoint  # the run was not trained again


def test_a_damaged_protocol_record_of_a_run_without_checkpoints_asks_for_the_folder_not_the_record(
    imagenet_dir, plain18, tmp_path
):
    # it said "Remove 10-crop.json (... its checkpoints and other records stay) and run again to measure it again":
    # with the checkpoints deleted (to save space) nothing measured it again, and the table stayed blank for good
    from .conftest import cli_in_process

    args = smoke_run_args("table2", imagenet_dir, tmp_path / "r", "--only", "plain-18")
    copy_results(plain18, tmp_path / "r")  # what `cli(*args)` trains, trained once for the module
    run = tmp_path / "r/runs/imagenet/plain-18/smoke/seed0"
    crops = run / "10-crop.json"
    crops.write_text(json.dumps({**json.loads(crops.read_text()), "top5_error": 250}))
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        (run / name).unlink()
    refused = cli_in_process(*args)
    assert_one_line_error(
        refused,
        "damaged run imagenet/plain-18/smoke/seed0: 10-crop.json has top5_error 250",
        f"The run keeps no checkpoint to measure 10-crop.json again from: delete its folder {run} to train it again",
    )
    assert f"Remove {crops}" not in refused.stderr
    plotted = cli_in_process("plot", "table2", "--profile", "smoke", "--results", str(tmp_path / "r"))
    assert plotted.returncode == 0, plotted.stderr
    with open(tmp_path / "r/table2/smoke/table.csv") as handle:
        row = next(row for row in csv.DictReader(handle) if row["model"] == "plain-18")
    assert row["status"].endswith(
        "(it keeps no checkpoint to measure 10-crop.json again from: delete its folder to train it again)"
    ), row["status"]
    crops.unlink()  # no record, and none can be measured: the table says why its errors are blank
    plotted = cli_in_process("plot", "table2", "--profile", "smoke", "--results", str(tmp_path / "r"))
    assert plotted.returncode == 0, plotted.stderr
    with open(tmp_path / "r/table2/smoke/table.csv") as handle:
        row = next(row for row in csv.DictReader(handle) if row["model"] == "plain-18")
    assert row["top1_error"] == "" and row["status"] == (
        "finished, not measured (10-crop): it keeps no checkpoint to measure it from (delete its folder to train it "
        "again)"
    )


def test_an_imagenet_table_drawn_while_a_run_trains_says_running_as_show_does(tmp_path):
    # the table said "unfinished" of the run a job was training, while show said "running"
    from resnet_repro.engines.imagenet.outputs import table_status
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.store.layout import RunFiles, read_run
    from resnet_repro.store.lock import run_lock

    target = load_target("table2")
    config = resolve_runs(target, "smoke")[0]
    files = RunFiles(tmp_path, config.name)
    files.dir.mkdir(parents=True)
    files.metrics.write_text("iteration\n")
    with run_lock(files.dir, config.name):  # as `run` holds it while the net trains
        assert table_status(read_run(tmp_path, config), {}, config, tmp_path, target) == "running"
    assert table_status(read_run(tmp_path, config), {}, config, tmp_path, target) == "unfinished"


def test_show_says_a_run_that_keeps_no_checkpoint_to_measure_it_from_is_not_measured_as_the_table_does(
    table3, tmp_path, monkeypatch
):
    # show said "finished" while the table said "finished, not measured (10-crop): it keeps no checkpoint ..."
    from resnet_repro.cli.common import console

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 400)  # show's table cells whole, whatever COLUMNS this worker started with
    results = copy_results(table3[0], tmp_path / "results", link_checkpoints=True)
    for net in ("resnet-50-B", "plain-34"):
        run = results / f"runs/imagenet/{net}/smoke/seed0"
        for name in ("checkpoint.pt", "checkpoint.prev.pt", "10-crop.json", "multi-scale.json"):
            (run / name).unlink(missing_ok=True)  # deleted to save space before its errors were measured
    for target, protocol in (("table3", "10-crop"), ("table4", "multi-scale")):
        shown = cli_in_process("show", target, "--profile", "smoke", "--results", str(results))
        said = f"finished, not measured ({protocol}): it keeps no checkpoint to measure it from (delete its folder"
        shown = " ".join(shown.stdout.split())
        assert f"│ imagenet/resnet-50-B/smoke/seed0 │ {said}" in shown, shown
        assert "│ imagenet/resnet-34-B/smoke/seed0 │ finished │" in shown, shown
    shown = cli_in_process("show", "fig4", "--profile", "smoke", "--results", str(results))  # curves: no protocol
    assert "│ imagenet/plain-34/smoke/seed0 │ finished │" in " ".join(shown.stdout.split()), shown.stdout


def test_list_counts_a_run_that_keeps_no_checkpoint_to_measure_it_from_as_not_done_as_its_table_does(
    table3, tmp_path, monkeypatch
):
    # list said "smoke 7/7" with no time left, while the table and show said "finished, not measured (10-crop): it
    # keeps no checkpoint to measure it from (delete its folder to train it again)"
    from resnet_repro.cli.common import console
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train.clock import measured_throughput, seconds_left

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 600)  # list's cells whole, whatever COLUMNS this worker started with
    results = copy_results(table3[0], tmp_path / "results", link_checkpoints=True)
    for net in ("resnet-50-B", "plain-34"):
        run = results / f"runs/imagenet/{net}/smoke/seed0"
        for name in ("checkpoint.pt", "checkpoint.prev.pt", "10-crop.json", "multi-scale.json"):
            (run / name).unlink(missing_ok=True)  # deleted to save space before its errors were measured
    listed = {
        line.split("│")[1].strip(): line
        for line in cli_in_process("list", "--results", str(results)).stdout.splitlines()
        if line.count("│") > 3
    }
    # only training them again measures them: their whole training is time left (none was said)
    assert re.search(r"smoke 5/7 \(2 not measurable\), [^,]+ left", listed["table3"]), listed["table3"]
    # fig4's curves need no protocol: plain-34 counts as done (fig4's own nets are on disk once its test has run)
    fig4 = resolve_runs(load_target("fig4"), "smoke")
    done = sum((results / "runs" / run.name / "final.json").exists() for run in fig4)
    assert f"smoke {done}/{len(fig4)}" in listed["fig4"] and "measurable" not in listed["fig4"], listed["fig4"]
    (resnet50,) = [r for r in resolve_runs(load_target("table3"), "smoke") if r.model == "resnet50"]
    rates = measured_throughput(results)
    assert seconds_left([resnet50], results, rates) == 0
    assert seconds_left([resnet50], results, rates, [resnet50.name]) > 0
