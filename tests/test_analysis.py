"""fig7 layer responses, gradflow, and the report on complete and incomplete results."""

import csv
import json
import math
import os
import shutil

import pytest
import torch

from resnet_repro.engines.gradflow.measure import fc_gradient_norms
from resnet_repro.engines.layer_responses.measure import ResponseStats, measure_response_stds, response_layers
from resnet_repro.models import build_model

from .conftest import cli, cli_in_process, copy_results, smoke_run_args


@pytest.mark.parametrize("name,count", [("resnet20", 18), ("plain20", 18), ("resnet56", 54), ("resnet110", 108)])
def test_one_response_per_block_3x3_conv(name, count):
    with torch.device("meta"):
        layers = response_layers(build_model(name))
    assert len(layers) == count and [layer.index for layer in layers] == list(range(1, count + 1))
    assert [layer.stage for layer in layers].count(1) == count // 3


def test_the_response_is_taken_before_the_addition_and_relu():
    torch.manual_seed(0)
    model = build_model("resnet20").eval()
    block = model.stages[0][0]
    seen = {}
    block.bn2.register_forward_hook(lambda m, i, o: seen.update(bn2=o.clone()))  # returns None: output kept
    x = torch.randn(4, 3, 32, 32)
    stem = torch.relu(model.bn1(model.conv1(x)))
    out = block(stem)
    # The block output is relu(response + shortcut): the response itself has negatives, the output none.
    assert (seen["bn2"] < 0).any() and torch.allclose(out, torch.relu(seen["bn2"] + stem), atol=1e-6)


def test_std_of_a_known_tensor_pools_over_every_element():
    layer = torch.nn.Identity()

    class Holder:
        module = layer
        index, stage, name = 1, 1, "id"

    stats = ResponseStats([Holder()])
    values = torch.tensor([[1.0, 2.0], [3.0, 4.0]]).view(2, 2, 1, 1)
    with stats:
        layer(values[:1])
        layer(values[1:])  # two batches pool into one std
    assert math.isclose(stats.stds()[0], math.sqrt(1.25), rel_tol=1e-12)  # population std of 1, 2, 3, 4


def test_measure_response_stds_runs_in_eval_mode():
    torch.manual_seed(0)
    model = build_model("plain20").train()
    result = measure_response_stds(model, [(torch.randn(8, 3, 32, 32), None)])
    assert len(result) == 18 and all(std > 0 for _, std in result) and model.training


def test_plain_fc_gradients_vanish_and_residual_ones_do_not():
    plain = fc_gradient_norms(30, residual=False, seed=0)
    residual = fc_gradient_norms(30, residual=True, seed=0)
    assert plain[0] / plain[-1] < 1e-6  # the classic vanishing gradient at the input end
    assert 0.1 < residual[0] / residual[-1] < 1e3


@pytest.fixture(scope="module")
def fig7_results(fig6_smoke, cifar_dir, tmp_path_factory):
    """fig7 measures the runs fig6 trained (the same five nets and configs): no training of its own."""
    results = copy_results(fig6_smoke, tmp_path_factory.mktemp("fig7") / "results")
    run = cli(
        *smoke_run_args("fig7", cifar_dir, results),
        check=True,
    )
    return results, run


def test_smoke_fig7_writes_responses_figure_and_caption(fig7_results):
    results, run = fig7_results
    assert run.stdout.count("already finished") == 5  # measured fig6's runs, trained nothing
    measuring = [line for line in run.stdout.splitlines() if line.startswith("measuring the layer responses of ")]
    assert len(measuring) == 5 and measuring[0].endswith(" on 64 test images")  # a line per net, not silence
    with open(results / "fig7/smoke/responses.csv") as handle:
        rows = list(csv.DictReader(handle))
    counts = {}
    for row in rows:
        counts[row["model"]] = counts.get(row["model"], 0) + 1
    assert counts == {"plain-20": 18, "plain-56": 54, "resnet-20-A": 18, "resnet-56-A": 54, "resnet-110-A": 108}
    assert {row["profile"] for row in rows} == {"smoke"}
    assert (results / "fig7/smoke/fig7.png").stat().st_size > 0
    assert "eval mode over the whole test set" in (results / "fig7/smoke/caption.md").read_text()
    assert (results / "fig7/smoke/table.csv").read_text().startswith("model,response_std,n_seeds,profile,data\n")


def test_claims_of_fig6_fig7_table6_on_smoke_results(fig7_results):
    """Every claim the smoke profile can check gets a verdict with its numbers; the rest name why not."""
    from resnet_repro.claims.base import FAILS, HOLDS, NOISE, NOT_RUN, PARTIAL
    from resnet_repro.readback.measured import measure
    from resnet_repro.report.scoring import claim_scores, claim_text
    from resnet_repro.specs.experiments import load_target

    results, _ = fig7_results
    for name in ("fig6", "fig7", "table6"):
        target = load_target(name)
        scores = claim_scores(target, measure(target, "smoke", results))
        found = measure(target, "smoke", results)
        checked = {s.what for s in scores}
        skipped = [c for c in target.claims if claim_text(c, found.trained_keys) not in checked]
        # only the claims on ResNet-1202 and on the nets trained on request (plain-110, ResNet-110 without the
        # warm-up), which smoke does not train, are left out
        asked = set(target.on_request())
        assert all("resnet1202" in c.order or asked & set(c.order) for c in skipped), (name, skipped)
        for score in scores:
            if score.verdict.status == NOT_RUN:  # ResNet-110 without the warm-up waits; smoke, a test profile, is
                assert score.command == "" and score.for_tests, score  # offered as no way to run it
                continue
            assert score.verdict.status in (HOLDS, FAILS, NOISE, PARTIAL), (name, score)
            if " layer by layer" in score.what or " rank by rank" in score.what:  # a share of layers, no band
                assert " below " in score.verdict.detail and "; holds from 75%)" in score.verdict.detail
                continue
            # the measured relation, with the paper's where they disagree
            assert (
                " < " in score.verdict.detail or "(the paper: <)" in score.verdict.detail
            ) and "band ±" in score.verdict.detail
        assert len(scores) == {"fig6": 5, "fig7": 7, "table6": 2}[name]  # table6: one waits on its run


def test_smoke_gradflow(gradflow_run):
    tmp_path, _ = gradflow_run
    with open(tmp_path / "gradflow/gradflow.csv") as handle:
        rows = list(csv.DictReader(handle))
    nets = {row["net"] for row in rows}
    assert {"plain-110", "resnet-110-A", "plainfc-50", "resfc-50"} <= nets
    assert (tmp_path / "gradflow/gradflow.png").exists()
    assert not (tmp_path / "gradflow/table.csv").exists()
    assert "every target but gradflow writes them" in " ".join((tmp_path / "README.md").read_text().split())


def test_report_covers_targets_and_says_what_is_missing(fig7_results, table1_run, cifar_dir):
    results, _ = fig7_results
    # table6 smoke: trains resnet-20 and plain-20 now; resnet-110's 5 seeds were never all trained.
    cli(
        *smoke_run_args("table6", cifar_dir, results, "--only", "resnet-20"),
        check=True,
    )
    shutil.copytree(table1_run[0] / "table1", results / "table1")  # what `run table1` wrote
    cli_in_process("report", "--results", str(results), check=True)
    report = (results / "REPORT.md").read_text()
    assert "(fig7)\n" in report and "(table6)\n" in report and "(table1)\n" in report
    assert "| ResNet-110 | 1/5 |" in report  # fig7 trained resnet-110 seed 0; table6 asks for 5 seeds
    # The tests' CIFAR-format files are generated, not the official release: no verdict, and the report says why.
    assert (
        "Numbers shown without a verdict against the paper: 3 runs used CIFAR-10 files that are not the "
        "official release." in report
    )
    assert "Deviation from the paper" in report and "Hardware: CPU" in report
    # ResNet-34 C has no paper mult-adds (the paper's 3.6 G is the net without projections), so every figure matches
    # (plain-18 and plain-34 take the paper's 18- and 34-layer FLOPs);
    # the ImageNet parameter counts are torchvision's, not the paper's: said beside the verdict, not in it.
    assert (
        "| table1 | parameter counts and FLOPs of every net <br><sub>Table 1, Sec. 4.2</sub> | — | 15 of 15 of the "
        "paper's figures match to its rounding (2%); not in this verdict: 8 of 8 ImageNet parameter counts equal "
        "torchvision's (the paper gives none) | ✅ holds |" in report
    )
    assert (
        "| table1 | the identity shortcuts introduce neither extra parameter nor computation complexity (option A: "
        in report
    )
    assert "8 of 8 option-A ResNets have their plain twin's count exactly; projections add (not judged): " in report
    page = (results / "REPORT.html").read_text()
    assert page.count("data:image/png;base64,") >= 1 and "<table" in page


def test_report_on_an_empty_folder(tmp_path):
    cli_in_process("report", "--results", str(tmp_path), check=True)
    assert "No results yet" in (tmp_path / "REPORT.md").read_text()


def test_unfinished_run_is_reported_not_fatal(tmp_path):
    folder = tmp_path / "runs/cifar10/resnet-20-A/smoke/seed0"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"device_name": "CPU (test)"}))
    cli_in_process("report", "--results", str(tmp_path), check=True)
    assert (
        "1 unfinished run: cifar10/resnet-20-A/smoke/seed0 (`resnet-repro run table6 --profile smoke` continues it)"
        in (tmp_path / "REPORT.md").read_text()
    )


@pytest.mark.parametrize(
    "official, delta, verdict",
    [
        (True, "0.05", "| ResNet-20 | 1/1 |  | 8.80 | 8.75 | ✅ reproduced (±0.45) |"),
        (
            False,
            "",
            "Numbers shown without a verdict against the paper: 1 run used CIFAR-10 files that are not the "
            "official release.",
        ),
    ],
)
def test_a_delta_to_the_paper_only_on_the_official_cifar10_files(tmp_path, official, delta, verdict):
    from resnet_repro.report import write_report
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.specs.registry import get_engine

    target = load_target("table6")
    runs = resolve_runs(target, "paper", only="resnet-20")
    folder = tmp_path / "runs" / runs[0].name
    folder.mkdir(parents=True)
    (folder / "final.json").write_text(json.dumps({"status": "finished", "test_error": 8.80, "params": 269722}))
    (folder / "meta.json").write_text(json.dumps({"device_name": "test", "data": {"official_checksums": official}}))
    get_engine(target.engine).write_outputs(target, runs, tmp_path)
    with open(tmp_path / "table6/table.csv") as handle:
        row = next(csv.DictReader(handle))
    assert (row["model"], row["paper_test_error"]) == ("resnet-20-A", "8.75")
    assert (row["delta"][:4], row["data"].split(" ")[0]) == (delta, "cifar10")
    flagged = "dataset: cifar10 (not the official files: 1 of 1 run)" in (tmp_path / "table6/table.md").read_text()
    assert flagged == (not official)
    write_report(tmp_path)
    assert verdict in (tmp_path / "REPORT.md").read_text()


def test_the_fig7_caption_names_the_data_the_nets_were_measured_on(tmp_path):
    from resnet_repro.engines.layer_responses.measure import write_responses
    from resnet_repro.specs.experiments import load_target, resolve_runs

    target = load_target("fig7")
    write_responses(target, [], tmp_path, resolve_runs(target, "cpu"))
    caption = (tmp_path / "fig7/cpu/caption.md").read_text()
    assert caption.startswith(
        "Figure 7: standard deviations of layer responses on Fashion-MNIST (a proxy for CIFAR-10)."
    )


def drawn_figure(monkeypatch, module) -> list:
    """The figures `module` would save, kept open for a test to look at instead of written."""
    figures = []
    monkeypatch.setattr(module, "save_figure", lambda fig, *args: figures.append(fig))
    return figures


def write_responses(path, stds: dict[str, list[float]]):
    rows = [
        {"model": m, "layer": i + 1, "seed": 0, "std": s} for m, values in stds.items() for i, s in enumerate(values)
    ]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, ["model", "layer", "seed", "std"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_fig7_takes_a_log_axis_past_two_decades_and_names_the_nets_as_fig6_does(monkeypatch, tmp_path):
    from resnet_repro.engines.layer_responses import outputs as fig7

    figures = drawn_figure(monkeypatch, fig7)
    wide = write_responses(tmp_path / "wide.csv", {"plain-110": [3e10, 1e11], "resnet-20-A": [0.9, 1.1]})
    fig7.plot_responses(wide, tmp_path / "fig7", "t", "s")
    axes = figures[-1].axes
    assert [ax.get_yscale() for ax in axes] == ["log", "log"]
    assert [t.get_text() for t in axes[0].get_legend().get_texts()] == ["ResNet-20", "plain-110"]
    narrow = write_responses(tmp_path / "narrow.csv", {"plain-20": [0.5, 40.0], "resnet-20-A": [0.9, 1.1]})
    fig7.plot_responses(narrow, tmp_path / "fig7", "t", "s")
    assert [ax.get_yscale() for ax in figures[-1].axes] == ["linear", "linear"]


def test_fig6_keeps_0_to_20_where_the_data_past_the_start_allow_and_says_what_it_cuts_off(monkeypatch, tmp_path):
    import pandas as pd

    from resnet_repro.plots import curves
    from resnet_repro.store.aggregate import ModelRuns

    def runs(model: str, label: str, errors: list[float], every: int = 25) -> ModelRuns:
        frame = pd.DataFrame({"iteration": [every * (i + 1) for i in range(len(errors))], "train_error": errors})
        return ModelRuns(model, label, 1, [], [frame])

    drawn = []
    monkeypatch.setattr(curves, "save_figure", lambda fig, out, title, subtitle: drawn.append((fig, subtitle)))
    panel = {"title": "ResNets", "metrics": ["train_error"], "models": ["resnet20", "resnet110"]}
    shallow = runs("resnet20", "resnet-20-A", [90.0, 19.0, 12.0, 9.0, 8.0, 7.0, 7.0, 6.0, 6.0, 6.0, 5.0, 5.0])
    curves.plot_error_curves([panel], {"resnet20": shallow}, "t", "s", tmp_path / "f")
    assert drawn[-1][0].axes[0].get_ylim() == (0.0, 20.0)  # the paper's range: only the first point lies above it
    assert drawn[-1][1] == "s; early points above 20% are off the axis"
    # A deep net still high past the first tenth of the schedule: its curve stays in view (60, rounded up to 65)
    deep = runs("resnet110", "resnet-110-A", [90.0, 60.0, 40.0, 30.0, 25.0, 20.0, 18.0, 16.0, 15.0, 14.0, 13.0, 12.0])
    curves.plot_error_curves([panel], {"resnet20": shallow, "resnet110": deep}, "t", "s", tmp_path / "f")
    assert drawn[-1][0].axes[0].get_ylim() == (0.0, 65.0)
    # On a long schedule a warm-up's near-chance points inside the first tenth do not squash the rest
    tail = [16.0, 14.0, 12.0, 10.0, 9.0, 8.0, 7.0, 6.0, 6.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    warm = runs("resnet110", "resnet-110-A", [85.0, 80.0, 18.0, *tail], every=50)  # logged up to 1,000
    long_shallow = runs("resnet20", "resnet-20-A", [60.0, 30.0, 15.0, *tail], every=50)
    curves.plot_error_curves([panel], {"resnet20": long_shallow, "resnet110": warm}, "t", "s", tmp_path / "f")
    assert drawn[-1][0].axes[0].get_ylim() == (
        0.0,
        20.0,
    )  # 80 at iteration 100 of 1,000 is cut off; 18 is the highest past it
    assert drawn[-1][1] == "s; early points above 20% are off the axis"
    flat = runs("resnet20", "resnet-20-A", [15.0, 12.0, 9.0])
    curves.plot_error_curves([panel], {"resnet20": flat}, "t", "s", tmp_path / "f")
    assert drawn[-1][1] == "s"  # nothing cut off, nothing said


def test_a_net_still_training_in_the_first_tenth_of_the_schedule_keeps_its_newest_point_in_view(monkeypatch, tmp_path):
    """A figure drawn while plain-56 trains (logged at 25 and 50, 83% and 71%) beside plain-20 finished at 500: the
    y-axis stopped at 20%, so plain-56 was in the legend with no line in view. Its newest point is now inside it."""
    import pandas as pd

    from resnet_repro.plots import curves
    from resnet_repro.store.aggregate import ModelRuns

    drawn = []
    monkeypatch.setattr(curves, "save_figure", lambda fig, out, title, subtitle: drawn.append((fig, subtitle)))
    done = pd.DataFrame({"iteration": [25 * (i + 1) for i in range(20)], "train_error": [90.0] + [15.0] * 19})
    begun = pd.DataFrame({"iteration": [25, 50], "train_error": [83.0, 71.0]})
    models = {
        "plain20": ModelRuns("plain20", "plain-20", 1, [{"status": "finished"}], [done]),
        "plain56": ModelRuns("plain56", "plain-56", 1, [], [begun], unfinished_at=[50]),
    }
    panel = {"title": "plain", "metrics": ["train_error"], "models": ["plain20", "plain56"]}
    curves.plot_error_curves([panel], models, "t", "s", tmp_path / "f")
    fig, subtitle = drawn[-1]
    low, high = fig.axes[0].get_ylim()
    assert (low, high) == (0.0, 75.0)  # 71 rounded up to a multiple of 5; 83, its first point, is off the axis
    assert subtitle == "s; early points above 75% are off the axis"
    assert curves.curve_top([25], [88.0], 500, unended=True) == 90.0  # a single point: in view too
    # a run that failed early (its training ended) does not set the axis: the finished nets' last tenth does
    models["plain56"] = ModelRuns("plain56", "plain-56", 1, [{"status": "failed"}], [begun])
    curves.plot_error_curves([panel], models, "t", "s", tmp_path / "f")
    assert drawn[-1][0].axes[0].get_ylim() == (0.0, 20.0)
    assert curves.curve_top([25], [88.0], 500) == 0.0


def test_a_figure_drawn_twice_is_the_same_bytes(monkeypatch, tmp_path):
    from resnet_repro.engines.layer_responses import outputs as fig7

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)  # matplotlib would take a fixed date from it
    responses = write_responses(tmp_path / "r.csv", {"plain-20": [1.0, 2.0], "resnet-20-A": [0.9, 1.1]})
    first = [p.read_bytes() for p in fig7.plot_responses(responses, tmp_path / "a" / "fig7", "t", "s")]
    second = [p.read_bytes() for p in fig7.plot_responses(responses, tmp_path / "b" / "fig7", "t", "s")]
    assert first == second
    assert b"/CreationDate" not in first[1]  # the PDF: no drawing time in it, whenever it is redrawn


def test_a_figure_of_runs_still_training_says_so_and_names_the_nets_its_profile_leaves_out(monkeypatch, tmp_path):
    import pandas as pd

    from resnet_repro.engines.curves_tables import _unfinished_note
    from resnet_repro.plots import curves
    from resnet_repro.specs.run_id import RunStatus
    from resnet_repro.store.aggregate import ModelRuns

    curve = pd.DataFrame({"iteration": [100, 200], "train_error": [50.0, 40.0], "test_error": [None, 45.0]})
    done = ModelRuns("resnet20", "resnet-20-A", 2, [{"status": "finished"}] * 2, [curve, curve])
    done.statuses = [RunStatus.FINISHED] * 2
    training = ModelRuns("resnet110", "resnet-110-A", 2, [], [curve, curve], statuses=[RunStatus.UNFINISHED] * 2)
    training.unfinished_at = [200, 200]
    assert _unfinished_note({"resnet20": done}) == ""
    assert _unfinished_note({"resnet20": done, "resnet110": training}) == (
        " (of 4 runs: 2 unfinished, logged up to iteration 200)"
    )
    titles = []
    monkeypatch.setattr(curves, "save_figure", lambda fig, *a: titles.extend(ax.get_title() for ax in fig.axes))
    panel = {"title": "ResNet-110 and ResNet-1202", "metrics": ["train_error"], "models": ["resnet110", "resnet1202"]}
    curves.plot_error_curves([panel], {"resnet110": training}, "t", "s", tmp_path / "f")
    assert titles == ["ResNet-110 and ResNet-1202\n(ResNet-1202: not in this profile)"]


def test_a_net_the_profile_leaves_out_is_named_once_in_the_figure(monkeypatch, tmp_path):
    """fig6 of the cpu profile named ResNet-110 twice: in the subtitle, as the panel left out, and under the ResNet
    panel's title. Each net not drawn is named once."""
    import pandas as pd

    from resnet_repro.plots import curves
    from resnet_repro.store.aggregate import ModelRuns

    drawn = []
    monkeypatch.setattr(
        curves,
        "save_figure",
        lambda fig, out, title, subtitle: drawn.append((subtitle, [a.get_title() for a in fig.axes])),
    )
    curve = pd.DataFrame({"iteration": [100, 200], "train_error": [15.0, 12.0]})  # within the y range
    models = {"resnet20": ModelRuns("resnet20", "resnet-20-A", 1, [{"status": "finished"}], [curve])}
    panels = [
        {"title": "ResNet", "metrics": ["train_error"], "models": ["resnet20", "resnet32", "resnet110"]},
        {"title": "ResNet-110 and ResNet-1202", "metrics": ["train_error"], "models": ["resnet110", "resnet1202"]},
    ]
    curves.plot_error_curves(panels, models, "Figure 6", "profile: cpu", tmp_path / "f")
    subtitle, titles = drawn[0]
    assert subtitle == "profile: cpu; not drawn (this profile trains none of its nets): ResNet-110 and ResNet-1202"
    assert titles == ["ResNet\n(ResNet-32: not in this profile)"]


def test_a_long_subtitle_wraps_and_a_single_evaluation_is_drawn_as_a_point(monkeypatch, tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd

    from resnet_repro.plots import curves
    from resnet_repro.plots.style import save_figure
    from resnet_repro.store.aggregate import ModelRuns

    fig = plt.figure(figsize=(4, 3))
    save_figure(fig, tmp_path / "f", "title", "overrides: " + ", ".join(f"recipe.key{k}=value{k}" for k in range(12)))
    lines = fig._suptitle.get_text().split("\n")
    assert lines[0] == "title" and len(lines) > 2 and max(len(line) for line in lines[1:]) <= 60

    drawn = []
    monkeypatch.setattr(curves, "save_figure", lambda figure, *a: drawn.extend(figure.axes[0].lines))
    one = pd.DataFrame({"iteration": [40], "test_error": [77.5]})
    two = pd.DataFrame({"iteration": [20, 40], "test_error": [80.0, 77.5]})
    panel = {"title": "test error", "metrics": ["test_error"], "models": ["plain20", "plain56"]}
    models = {
        "plain20": ModelRuns("plain20", "plain-20", 1, [], [one]),
        "plain56": ModelRuns("plain56", "plain-56", 1, [], [two]),
    }
    curves.plot_error_curves([panel], models, "t", "s", tmp_path / "g")
    assert [line.get_marker() for line in drawn] == ["o", "None"]


def test_measuring_says_how_far_it_got_every_few_seconds(monkeypatch):
    from resnet_repro.engines.layer_responses import measure as measuring

    clock = iter(range(0, 100, 6))  # each batch "takes" 6 s
    monkeypatch.setattr(measuring.time, "monotonic", lambda: next(clock))
    said = []
    batches = [(list(range(100)), None)] * 5
    assert list(measuring.said_every(iter(batches), 500, said.append)) == batches  # every batch, unchanged
    assert said == ["  200 of 500 test images measured", "  400 of 500 test images measured"]  # not after the last


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "how,said",
    [
        ("a named pipe", "is a named pipe, not a regular file; the tool writes only regular files"),
        ("a std that is no number", "has std = 'abc' on line 3, not a number"),
        ("a layer that is no whole number", "has layer = '2.5' on line 3, not a whole number"),
        ("a copy cut inside a row", "has 4 values on line 3, the header names 6 columns"),
        ("an empty file", "has no header row naming its columns"),
    ],
)
def test_a_damaged_responses_csv_is_one_line_for_plot_and_a_note_in_the_report(tmp_path, how, said):
    from resnet_repro.engines.layer_responses.outputs import read_responses
    from resnet_repro.readback.measured import planned
    from resnet_repro.specs.experiments import load_target, resolve_runs

    from .conftest import assert_one_line_error, cli_in_process

    folder = tmp_path / "results" / "fig7" / "smoke"
    folder.mkdir(parents=True)
    (tmp_path / "results" / "runs" / "cifar10" / "plain-20" / "smoke" / "seed0").mkdir(parents=True)  # a run begun
    path = folder / "responses.csv"
    good = "model,seed,layer,stage,std,profile\nplain-20,0,1,1,1.5,smoke\n"
    planted = {
        "a std that is no number": good + "plain-20,0,2,1,abc,smoke\n",
        "a layer that is no whole number": good + "plain-20,0,2.5,1,2.5,smoke\n",
        "a copy cut inside a row": good + "plain-20,0,2,1",
        "an empty file": "",
    }
    if how == "a named pipe":
        os.mkfifo(path)
    else:
        path.write_text(planted[how])
    plotted = cli_in_process("plot", "fig7", "--profile", "smoke", "--results", str(tmp_path / "results"))
    assert plotted.returncode == 2
    assert_one_line_error(plotted, f"{path} {said}; `resnet-repro run fig7 --profile smoke` measures it again")
    target = load_target("fig7")
    found = planned(target, "smoke", resolve_runs(target, "smoke"))
    read_responses(found, path)
    assert found.damaged == [f"{path} {said}; `resnet-repro run fig7 --profile smoke` measures it again"]
    assert not found.values


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "how,said",
    [
        ("a named pipe", "is a named pipe, not a regular file; the tool writes only regular files"),
        ("an empty norm", "has grad_norm = '' on line 3, not a number"),
        ("a layer that is no whole number", "has layer = '2.5' on line 3, not a whole number"),
        ("an empty file", "has no header row naming its columns"),
    ],
)
def test_a_damaged_gradflow_csv_is_one_line_for_plot_and_skipped_by_the_report(tmp_path, how, said):
    from .conftest import assert_one_line_error, cli_in_process

    results = tmp_path / "results"
    (results / "gradflow").mkdir(parents=True)
    path = results / "gradflow" / "gradflow.csv"
    good = "family,net,residual,layer,grad_norm,grad_norm_std\nconv,plain-20,False,1,2.0,0.1\n"
    planted = {
        "an empty norm": good + "conv,plain-20,False,2,,0.1\n",
        "a layer that is no whole number": good + "conv,plain-20,False,2.5,1.0,0.1\n",
        "an empty file": "",
    }
    if how == "a named pipe":
        os.mkfifo(path)
    else:
        path.write_text(planted[how])
    plotted = cli_in_process("plot", "gradflow", "--results", str(results))
    assert plotted.returncode == 2
    assert_one_line_error(plotted, f"{path} {said}; `resnet-repro run gradflow` measures it again")
    reported = cli_in_process("report", "--results", str(results))
    assert reported.returncode == 0 and "Traceback" not in reported.stderr
    assert f"warning: skipped {path}: " in reported.stdout  # why: plot's line above, the path whole
    assert "| gradflow |" in (results / "REPORT.md").read_text()


def test_the_responses_of_a_damaged_run_count_nowhere_as_its_errors_do_not(tmp_path):
    # fig7's table, figure and claims used them, under a report that said the run's numbers were left out
    from resnet_repro.engines.layer_responses.outputs import left_out_runs, read_responses
    from resnet_repro.readback.measured import planned
    from resnet_repro.specs.experiments import load_target, resolve_runs

    from .conftest import cli_in_process

    results = tmp_path / "results"
    target = load_target("fig7")
    runs = resolve_runs(target, "smoke")
    rows = ["model,seed,layer,stage,std,profile"]
    for config in runs:
        run = results / "runs" / config.name
        run.mkdir(parents=True)
        (run / "final.json").write_text(json.dumps({"status": "finished", "run": config.name}))
        rows += [f"{config.run_id.label},0,{layer},1,{layer + 0.5},smoke" for layer in (1, 2)]
    (results / "runs" / runs[0].name / "meta.json").symlink_to("/dev/zero")  # plain-20's folder is damaged
    (results / "fig7" / "smoke").mkdir(parents=True)
    path = results / "fig7" / "smoke" / "responses.csv"
    path.write_text("\n".join(rows) + "\n")
    assert left_out_runs(runs, results) == {("plain-20", "0")}
    found = planned(target, "smoke", runs)
    read_responses(found, path, left_out_runs(runs, results))
    assert "plain20" not in found.per_key("response_std") and "plain20" not in found.layers
    assert len(found.per_key("response_std")) == len(runs) - 1
    plotted = cli_in_process("plot", "fig7", "--profile", "smoke", "--results", str(results))
    assert plotted.returncode == 0, plotted.stderr
    with open(results / "fig7" / "smoke" / "table.csv") as handle:
        drawn = [row["model"] for row in csv.DictReader(handle)]
    assert "plain-20" not in drawn and len(drawn) == len(runs) - 1
