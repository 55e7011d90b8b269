"""Training end to end on tiny CIFAR-format data: smoke targets, exact resume, refusals."""

import csv
import dataclasses
import json
import re
import statistics

import pytest
import torch
import yaml

from resnet_repro.train.ghost_bn import GhostBatchNorm2d

from .conftest import (
    assert_one_line_error,
    assert_same_run,
    cli,
    copy_results,
    rows_without_timing,
    smoke_args,
    smoke_run_args,
)

RUN = "runs/cifar10/resnet-20-A/smoke/seed0"


@pytest.fixture(scope="module")
def smoke_results(fig6_smoke, cifar_dir, tmp_path_factory):
    """fig6, table6 and fig1 smoke runs into one results folder (they share runs). table6 trains two seeds of
    every net (the seeds aggregate as five do: test_table6_aggregates_seeds_as_the_paper_reports_them)."""
    results = copy_results(fig6_smoke, tmp_path_factory.mktemp("smoke") / "results")
    outputs = {
        "table6": cli(*smoke_run_args("table6", cifar_dir, results, "--seeds", "2"), check=True),
        "fig1": cli(*smoke_run_args("fig1", cifar_dir, results), check=True),
    }
    return results, outputs


def test_smoke_targets_write_their_outputs(smoke_results):
    results, outputs = smoke_results
    # A profile other than the paper's writes into a folder that names it.
    for path in (
        "fig6/smoke/fig6.png",
        "fig6/smoke/fig6.pdf",
        "fig6/smoke/table.csv",
        "fig1/smoke/fig1.png",
        "table6/smoke/table.csv",
        "table6/smoke/table.md",
        "README.md",
    ):
        assert (results / path).stat().st_size > 0, path
    assert not (results / "fig6/fig6.png").exists()
    with open(results / "table6/smoke/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert list(next(iter(rows.values()))) == [
        "model",
        "params",
        "train_error",
        "test_error",
        "test_error_mean",
        "test_error_std",
        "n_seeds",
        "paper_train_error",
        "paper_test_error",
        "delta",
        "band",
        "verdict",
        "profile",
        "data",
        "iterations",
        "status",
        "reported",
        "paper_reported",
    ]
    assert set(rows) == {"resnet-20-A", "resnet-110-A", "plain-20"}
    assert rows["resnet-110-A"]["n_seeds"] == "2" and rows["resnet-110-A"]["test_error_std"] != ""
    best, mean, std = (float(rows["resnet-110-A"][k]) for k in ("test_error", "test_error_mean", "test_error_std"))
    assert rows["resnet-110-A"]["reported"] == f"{best:.2f} ({mean:.2f} ± {std:.2f})"
    assert rows["resnet-110-A"]["paper_reported"] == "6.43 (6.61 ± 0.16)"  # the paper's own cell, beside ours
    finals = [json.loads(p.read_text()) for p in results.glob("runs/cifar10/resnet-110-A/smoke/seed*/final.json")]
    assert float(rows["resnet-110-A"]["train_error"]) == pytest.approx(
        statistics.fmean(f["train_error"] for f in finals)
    )
    assert rows["resnet-20-A"]["paper_reported"] == "8.75" and rows["resnet-20-A"]["paper_train_error"] == ""
    # The paper's other methods are quoted, apart from the rows we trained
    with open(results / "table6/smoke/quoted.csv") as handle:
        quoted = {row["model"]: row for row in csv.DictReader(handle)}
    assert set(quoted) == {"Maxout", "NIN", "DSN", "FitNet-19", "Highway-19", "Highway-32"}
    assert quoted["Highway-19"]["reported"] == "7.54 (7.72 ± 0.16)" and quoted["FitNet-19"]["params"] == "2500000"
    assert all(row["source"].startswith("quoted from the paper") for row in quoted.values())
    markdown = (results / "table6/smoke/table.md").read_text()
    assert "## Quoted from the paper: other methods, not trained here" in markdown
    assert "lr /10 at fixed iterations (8); no evaluation drove the schedule" in markdown
    assert "BN over groups of 16 images, momentum in caffe's form; final numbers with BN moving averages" in markdown
    assert rows["resnet-20-A"]["params"] == "269722" and rows["resnet-20-A"]["paper_test_error"] == "8.75"
    assert rows["plain-20"]["profile"] == "smoke" and rows["plain-20"]["iterations"] == "12"
    # Runs are shared: table6 and fig1 reused the runs fig6 had already trained.
    assert "resnet-110-A/smoke/seed0: already finished" in outputs["table6"].stdout
    assert "plain-20/smoke/seed0: already finished" in outputs["fig1"].stdout
    # The console ends like the report: the claims with verdicts, each net's training and test error, the report.
    tail = outputs["fig1"].stdout.split("wrote ")[-1]
    assert "the deeper network has higher training error (training error: plain-20 < plain-56)" in tail
    assert re.search(r"\n  net +seeds +training error +test error\n", tail)  # headers stand over their numbers
    assert f"report: {results / 'REPORT.html'}" in tail


def test_run_folder_holds_config_metrics_final_meta(smoke_results):
    results, _ = smoke_results
    folder = results / RUN
    rows = rows_without_timing(folder / "metrics.csv")
    assert [int(r["iteration"]) for r in rows] == [3, 6, 9, 12]
    assert rows[1]["test_error"] != "" and rows[0]["test_error"] == ""
    assert [float(r["lr"]) for r in rows] == [0.1, 0.1, 0.01, 0.01]  # smoke: lr /10 at iteration 8
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["data"]["official_checksums"] is False and meta["versions"]["torch"] == torch.__version__
    assert meta["seed"] == 0 and "resnet-repro run" in meta["command"]
    assert json.loads((folder / "final.json").read_text())["status"] == "finished"


def test_warmup_is_recorded_for_resnet110(smoke_results):
    results, _ = smoke_results
    data = json.loads((results / "runs/cifar10/resnet-110-A/smoke/seed0/final.json").read_text())
    rows = rows_without_timing(results / "runs/cifar10/resnet-110-A/smoke/seed0/metrics.csv")
    ended = data["warmup_ended_at"]
    for row in rows:  # lr 0.01 up to and including the log point that ends the warm-up
        if ended is None or int(row["iteration"]) <= ended:
            assert float(row["lr"]) == 0.01


def test_plot_redraws_from_csvs_alone(smoke_results):
    results, _ = smoke_results
    (results / "fig6/smoke/fig6.png").unlink()
    cli("plot", "fig6", "--profile", "smoke", "--results", str(results), check=True)
    assert (results / "fig6/smoke/fig6.png").exists()


def test_killed_run_resumes_to_identical_results(alone, cifar_dir, tmp_path):
    crashed = cli(*smoke_args(cifar_dir, tmp_path), env={"RESNET_REPRO_FAULT": "after-checkpoint:6"})
    assert crashed.returncode == -9  # SIGKILL right after checkpoint 6 was written
    killed = tmp_path / "runs/cifar10/plain-20/smoke/seed0"
    assert not (killed / "final.json").exists()
    cli(*smoke_args(cifar_dir, tmp_path), check=True)
    assert_same_run(alone, killed)
    weights_a = torch.load(alone / "checkpoint.pt", weights_only=True)["model"]
    weights_b = torch.load(killed / "checkpoint.pt", weights_only=True)["model"]
    assert all(torch.equal(weights_a[k], weights_b[k]) for k in weights_a)


def test_a_finished_run_is_skipped(smoke_results, cifar_dir):
    results, _ = smoke_results
    again = cli(
        *smoke_run_args("fig1", cifar_dir, results),
        check=True,
    )
    assert again.stdout.count("already finished") == 2


def test_changed_config_is_refused_and_nothing_changes(smoke_results, cifar_dir):
    results, _ = smoke_results
    config = results / "runs/cifar10/plain-20/smoke/seed0/config.yaml"
    original = config.read_text()
    config.write_text(original.replace("lr: 0.1", "lr: 0.2"))
    try:
        before = (results / "runs/cifar10/plain-20/smoke/seed0/metrics.csv").read_text()
        refused = cli(
            *smoke_run_args("fig1", cifar_dir, results),
        )
        assert_one_line_error(refused, "different config", "recipe.lr: stored 0.2, requested 0.1", "--results")
        assert (results / "runs/cifar10/plain-20/smoke/seed0/metrics.csv").read_text() == before
    finally:
        config.write_text(original)


def test_missing_data_is_one_line(tmp_path):
    (tmp_path / "none").mkdir()  # a folder that exists but holds no dataset
    result = cli(*smoke_run_args("fig1", tmp_path / "none", tmp_path / "r"))
    assert_one_line_error(
        result,
        "CIFAR-10 not found",
        "--download",
        "--data-dir",
        "--profile cpu trains on",
        "data.dataset=fashion-mnist",
    )


def test_ghost_batch_norm_normalises_each_group_alone():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(4)
    ghost = GhostBatchNorm2d(4, 8)
    x = torch.randn(16, 4, 5, 5) * 3 + 1
    expected = torch.cat([bn(x[:8]), torch.nn.BatchNorm2d(4)(x[8:])])
    assert torch.allclose(ghost(x), expected, atol=1e-5)
    # Running stats: the average of the two groups' updates.
    reference = torch.stack([x[:8].mean((0, 2, 3)), x[8:].mean((0, 2, 3))]).mean(0) * 0.1
    assert torch.allclose(ghost.running_mean, reference, atol=1e-5)


@pytest.mark.parametrize("groups", [2, 4])
@pytest.mark.parametrize("momentum", [0.1, 0.5, 1.0])  # 1.0 and others: recompute_bn_stats's 1/(k+1)
def test_ghost_batch_norm_running_stats_are_the_average_of_the_groups_updates(groups, momentum):
    torch.manual_seed(0)
    ghost = GhostBatchNorm2d(3, 8).double()
    ghost.momentum = momentum
    ghost.running_mean.uniform_(-1, 1)
    ghost.running_var.uniform_(0.5, 2)
    old_mean, old_var = ghost.running_mean.clone(), ghost.running_var.clone()
    x = torch.randn(8 * groups, 3, 4, 4, dtype=torch.float64) * 2 + 0.5
    ghost(x)
    parts = x.split(8)
    # Each group's own update of a copy of the buffers (as each GPU's BN did), then their average.
    means = torch.stack([(1 - momentum) * old_mean + momentum * g.mean((0, 2, 3)) for g in parts]).mean(0)
    variances = torch.stack([(1 - momentum) * old_var + momentum * g.var((0, 2, 3), unbiased=True) for g in parts])
    assert torch.allclose(ghost.running_mean, means, rtol=0, atol=1e-12)
    assert torch.allclose(ghost.running_var, variances.mean(0), rtol=0, atol=1e-12)
    assert ghost.num_batches_tracked.item() == 1


def test_table6_aggregates_seeds_as_the_paper_reports_them(tmp_path):
    """Five seeds of ResNet-110 give "best (mean ± std)" and the mean training error; one run of ResNet-20 gives its
    test error alone. Redrawn by `plot` from final.json files alone (the smoke runs above train two seeds)."""
    test_errors, train_errors = [6.9, 6.5, 7.3, 6.7, 7.1], [0.4, 0.2, 0.6, 0.3, 0.5]
    runs = [("resnet-110-A", seed, test, train) for seed, (test, train) in enumerate(zip(test_errors, train_errors))]
    for model, seed, test, train in runs + [("resnet-20-A", 0, 8.8, 1.9)]:
        folder = tmp_path / f"runs/cifar10/{model}/paper/seed{seed}"
        folder.mkdir(parents=True)
        (folder / "final.json").write_text(
            json.dumps(
                {
                    "status": "finished",
                    "test_error": test,
                    "train_error": train,
                    "params": 1727962 if "110" in model else 269722,
                }
            )
        )
        (folder / "meta.json").write_text(json.dumps({"device_name": "test", "data": {"official_checksums": True}}))
    cli("plot", "table6", "--results", str(tmp_path), check=True)
    with open(tmp_path / "table6/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    resnet110, resnet20 = rows["resnet-110-A"], rows["resnet-20-A"]
    assert resnet110["n_seeds"] == "5" and float(resnet110["test_error"]) == 6.5
    mean, std = statistics.fmean(test_errors), statistics.stdev(test_errors)
    assert resnet110["reported"] == f"6.50 ({mean:.2f} ± {std:.2f})" == "6.50 (6.90 ± 0.32)"
    assert float(resnet110["train_error"]) == pytest.approx(statistics.fmean(train_errors))
    assert resnet110["paper_reported"] == "6.43 (6.61 ± 0.16)"
    assert (resnet20["n_seeds"], resnet20["test_error"], resnet20["reported"]) == ("1", "8.8", "")


def test_the_results_readme_names_every_file_a_run_folder_holds(smoke_results):
    from resnet_repro.store.readme import README

    results, _ = smoke_results
    names = {path.name for path in (results / RUN).iterdir()}
    assert {"checkpoint.pt", "checkpoint.prev.pt", ".lock", "metrics.csv"} <= names
    assert [name for name in sorted(names) if f"`{name}`" not in README] == []


def test_the_cpu_profile_trains_on_fashion_mnist_files_at_its_image_size(fashion_dir, tmp_path):
    """The main job's recipe, end to end on a slice: the cpu profile's data settings and init, four iterations
    on the tiny Fashion-MNIST in its real IDX files."""
    from resnet_repro.specs.experiments import load_target, resolve_runs

    short = ["recipe.iterations=4", "recipe.lr_steps=[2]", "recipe.eval_every=2", "recipe.log_every=2"]
    short.append("recipe.checkpoint_every=2")
    sets = [arg for pair in short for arg in ("--set", pair)]
    cli(*smoke_run_args("fig6", fashion_dir, tmp_path, "--only", "resnet-20", *sets, profile="cpu"), check=True)
    (expected,) = resolve_runs(load_target("fig6"), "cpu", only="resnet-20", overrides=short)
    folder = tmp_path / "runs" / expected.name
    stored = yaml.safe_load((folder / "config.yaml").read_text())
    assert stored["profile"] == "cpu" and stored["settings"]["data"] == dataclasses.asdict(expected.data)
    assert stored["settings"]["recipe"]["zero_init_residual"] == expected.recipe.zero_init_residual
    final = json.loads((folder / "final.json").read_text())
    assert (final["status"], final["dataset"], final["iterations"]) == ("finished", "fashion-mnist", 4)
    row = next(csv.DictReader(open(tmp_path / "fig6" / expected.run_id.profile_folder / "table.csv")))
    assert (row["model"], row["data"], row["status"]) == ("resnet-20-A", "fashion-mnist", "finished")
