"""bench/compare_results.py, the check that a change of layout changed no output: times and the folders' own paths
aside, every number must match."""

import importlib.util
import json

import pytest
import torch

from .conftest import REPO


def compare_results():
    spec = importlib.util.spec_from_file_location("compare_results", REPO / "bench" / "compare_results.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def results(root, train_error="12.5", elapsed="3.1", weight=1.0):
    run = root / "results" / "runs" / "cifar10" / "resnet-20-A" / "smoke" / "seed0"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text(f"iteration,train_error,elapsed_s\n3,{train_error},{elapsed}\n")
    meta = {"started_at": elapsed, "data": {"folder": str(root / "data")}, "git_commit": elapsed}
    (run / "meta.json").write_text(json.dumps(meta))
    torch.save({"model": {"w": torch.tensor([weight])}, "elapsed_s": float(elapsed)}, run / "checkpoint.pt")
    return root / "results"


def test_times_commits_and_the_folders_paths_are_not_differences(tmp_path):
    before = results(tmp_path / "before")
    after = results(tmp_path / "after", elapsed="9.9")
    assert compare_results().compare(before, after) == []


@pytest.mark.parametrize(
    "change, named",
    [
        ({"train_error": "12.6"}, "differs: runs/cifar10/resnet-20-A/smoke/seed0/metrics.csv"),
        ({"weight": 1.0 + 1e-7}, "differs: runs/cifar10/resnet-20-A/smoke/seed0/checkpoint.pt"),
    ],
)
def test_a_number_that_moved_is_named(tmp_path, change, named):
    before = results(tmp_path / "before")
    after = results(tmp_path / "after", **change)
    assert compare_results().compare(before, after) == [named]


def test_a_file_in_one_folder_only_is_named(tmp_path):
    before, after = results(tmp_path / "before"), results(tmp_path / "after")
    (after / "REPORT.md").write_text("# report\n")
    assert compare_results().compare(before, after) == ["only in after: REPORT.md"]


def test_two_results_folders_side_by_side_compare_by_their_own_paths(tmp_path):
    """results-before and results-after in one folder: a file naming its own results folder is not a difference, and
    a file cut short is one (said, not a crash)."""
    before, after = tmp_path / "results-before", tmp_path / "results-after"
    for folder in (before, after):
        folder.mkdir()
        (folder / "meta.json").write_text(json.dumps({"results": str(folder / "runs")}))
        (folder / "final.json").write_text('{"test_error": 9.5}')
    (after / "final.json").write_text('{"test_error": 9')
    assert compare_results().compare(before, after) == ["differs: final.json"]


def output_and_report(root, error="6.43", seconds="17 s", rate="812.4", left="about 9 s"):
    """A command's recorded output and a report, as the comparison keeps them for one revision."""
    (root / "output").mkdir(parents=True)
    progress = f"cifar10/resnet-20-A/smoke/seed0 3/12: loss 2.514  err {error}%  {rate} img/s  (fig6 {left} left)\n"
    (root / "output" / "fig6-0.txt").write_text(f"$ resnet-repro run fig6\nexit 0\n--- stdout\n{progress}")
    (root / "REPORT.md").write_text(f"Compute: 4 of 4 runs finished, {seconds} of training.\n| ResNet-20 | {error} |\n")
    return root


def test_training_times_throughputs_and_time_left_in_text_are_not_differences(tmp_path):
    before = output_and_report(tmp_path / "before")
    after = output_and_report(tmp_path / "after", seconds="2 min", rate="1,204", left="about 3.5 min")
    assert compare_results().compare(before, after) == []


def test_an_error_that_moved_in_text_is_named_with_its_line(tmp_path):
    module = compare_results()
    before = output_and_report(tmp_path / "before")
    after = output_and_report(tmp_path / "after", error="6.44", seconds="18 s")
    assert module.compare(before, after) == ["differs: REPORT.md", "differs: output/fig6-0.txt"]
    assert module.first_differences(before / "REPORT.md", after / "REPORT.md").split("\n") == [
        "    -| ResNet-20 | 6.43 |",
        "    +| ResNet-20 | 6.44 |",
    ]


def test_a_checkpoint_whose_loss_is_nan_in_both_is_the_same(tmp_path):
    """The files' bytes differ (their timings do), so the tensors are compared, NaN alike."""
    for seconds, side in enumerate(("before", "after")):
        (tmp_path / side).mkdir()
        last = {"test_loss": float("nan"), "elapsed_s": float(seconds)}
        state = {"last": last, "model": {"w": torch.tensor([1.0, float("nan")])}}
        torch.save(state, tmp_path / side / "checkpoint.pt")
    assert compare_results().compare(tmp_path / "before", tmp_path / "after") == []


def test_a_time_left_in_a_table_cell_is_the_same_whatever_the_padding():
    """`list` pads its cells: a shorter estimate leaves more spaces before the border."""
    untimed = compare_results().untimed_text
    assert untimed("│ smoke 2/5, 58 s left        │") == untimed("│ smoke 2/5, 3 min left       │")
    assert untimed("│ smoke 2/5, 58 s left │") != untimed("│ smoke 3/5, 58 s left │")


def test_a_time_left_line_is_left_out_but_a_progress_line_that_moved_is_not():
    """The target's time left prints only when its words change (machine speed decides where): two runs of one
    revision differ in those lines alone. A log point's numbers still count."""
    untimed = compare_results().untimed_text
    log = "plain-20 seed0 3/12: lr 0.1 loss 2.320 err 86.5% 275 img/s\n"
    with_clock = "plain-20 seed0: run 1 of 2, fig1 about 2 min left\n" + log
    assert untimed(with_clock) == untimed(log.replace("275", "301"))
    assert untimed(log) != untimed(log.replace("2.320", "2.321"))
