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
