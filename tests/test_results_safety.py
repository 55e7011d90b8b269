"""Results folders from anyone: planted and damaged checkpoints, full disks, stale temp files."""

import dataclasses
import errno
import json
import os
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

from resnet_repro.basics.digest import file_digest
from resnet_repro.basics.errors import UserError
from resnet_repro.store.lock import run_lock
from resnet_repro.train import checkpoint
from resnet_repro.train.checkpoint import load_checkpoint

from .conftest import PLAIN20_RUN as RUN
from .conftest import assert_one_line_error, assert_same_run, cli, cli_in_process, smoke_args, smoke_run_args


@contextmanager
def small_disk(tmp_path, size: str):
    """A real filesystem of `size` (tmpfs), so a full disk is the kernel's ENOSPC, not a mock."""
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the mocked full-disk tests still run")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the filesystem of `folder` until `leave` bytes (rounded to pages) are free."""
    filler = folder / "filler"
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with open(filler, "wb") as handle:
        try:
            handle.write(b"\0" * max(free - leave, 0))
            handle.flush()
        except OSError:
            pass
    return filler


class _Planted:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_planted_checkpoint_is_never_unpickled_with_code(tmp_path):
    marker = tmp_path / "planted-code-ran"
    path = tmp_path / "checkpoint.pt"
    torch.save({"format_version": 2, "iteration": 6, "model": _Planted(marker)}, path)
    (tmp_path / "checkpoints.sha256").write_text(file_digest(path) + "\n")  # even with its digest recorded
    state, warnings = load_checkpoint(path, tmp_path / "checkpoint.prev.pt", torch.device("cpu"))
    assert state is None and not marker.exists()
    assert "checkpoint.pt is unreadable (UnpicklingError)" in warnings[0]


def test_flipped_bytes_in_the_newest_checkpoint_fall_back_to_the_previous_one(alone, cifar_dir, tmp_path):
    cli(*smoke_args(cifar_dir, tmp_path), env={"RESNET_REPRO_FAULT": "after-checkpoint:12"})
    path = tmp_path / RUN / "checkpoint.pt"
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = bytes(b ^ 0xFF for b in data[middle : middle + 400])  # same size, still a zip
    path.write_bytes(bytes(data))
    resumed = cli(*smoke_args(cifar_dir, tmp_path), check=True)
    assert "checkpoint.pt does not match the digest recorded when it was written" in resumed.stdout
    assert "training plain-20" not in resumed.stdout or "from iteration 6" in resumed.stdout
    assert_same_run(alone, tmp_path / RUN)


def test_stale_temp_files_are_removed_when_the_lock_is_taken(tmp_path):
    stale = [tmp_path / ".checkpoint.pt.k3j2.tmp", tmp_path / ".config.yaml.x1.tmp"]
    for path in stale:
        path.write_bytes(b"half written")
    (tmp_path / "metrics.csv").write_text("iteration\n")
    with run_lock(tmp_path, "x"):
        assert not any(p.exists() for p in stale)
    assert (tmp_path / "metrics.csv").exists()


def test_a_full_disk_inside_torchs_zip_writer_is_one_line_and_keeps_the_earlier_checkpoint(
    cifar_dir, tmp_path, monkeypatch
):
    """torch.save swallows the OSError of a full disk and raises RuntimeError('unexpected pos'); mimic it."""
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train.context import RunContext
    from resnet_repro.train.runner import train_runs

    real_save = torch.save

    class FullDisk:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    def save_like_torch_on_a_full_disk(obj, writer):
        if obj["iteration"] != 12:
            return real_save(obj, writer)
        writer.handle = FullDisk()
        try:
            writer.write(b"PK\x03\x04")
        except OSError:
            pass  # torch's C++ writer drops it here ...
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")  # ... and says this

    monkeypatch.setattr(checkpoint.torch, "save", save_like_torch_on_a_full_disk)
    runs = resolve_runs(load_target("fig1"), "smoke", only="plain-20")
    with pytest.raises(UserError, match=r"cannot write .*checkpoint\.pt: No space left on device\. Earlier results"):
        train_runs(runs, RunContext(tmp_path, cifar_dir, torch.device("cpu")))
    folder = tmp_path / RUN
    assert torch.load(folder / "checkpoint.pt", weights_only=True)["iteration"] == 6
    assert not list(folder.glob(".*.tmp")) and not (folder / "final.json").exists()


def test_a_real_full_disk_while_checkpointing_is_one_line_and_the_run_resumes_exactly(alone, cifar_dir, tmp_path):
    size = (alone / "checkpoint.pt").stat().st_size
    with small_disk(tmp_path, "16m") as disk:
        results = disk / "results"
        filler = fill(disk, leave=size * 3 // 2)  # room for the checkpoint at 6, not for the one at 12 beside it
        full = cli(*smoke_args(cifar_dir, results))
        assert_one_line_error(full, "cannot write", "checkpoint.pt: No space left on device", "intact")
        assert torch.load(results / RUN / "checkpoint.pt", weights_only=True)["iteration"] == 6
        assert not list((results / RUN).glob(".*.tmp"))
        filler.unlink()
        cli(*smoke_args(cifar_dir, results), check=True)
        assert_same_run(alone, results / RUN)


def test_a_full_disk_when_a_run_starts_leaves_no_empty_config_behind(alone, cifar_dir, tmp_path):
    with small_disk(tmp_path, "16m") as disk:
        results = disk / "results"
        (results / RUN).mkdir(parents=True)
        filler = fill(disk, leave=4096)  # room for the lock file's pid, none for config.yaml
        full = cli(*smoke_args(cifar_dir, results))
        assert_one_line_error(full, "cannot write", "No space left on device")
        assert not (results / RUN / "config.yaml").exists()
        filler.unlink()
        cli(*smoke_args(cifar_dir, results), check=True)  # not "trained with a different config"
        assert_same_run(alone, results / RUN)


def test_a_figure_redrawn_on_a_full_disk_keeps_the_previous_good_file(tmp_path):
    import matplotlib.pyplot as plt

    from resnet_repro.plots.style import save_figure

    with small_disk(tmp_path, "4m") as disk:
        fig, axis = plt.subplots()
        axis.plot([0, 1], [1, 0])
        png, pdf = save_figure(fig, disk / "fig1" / "fig1", "good", "first draw")
        before = png.read_bytes(), pdf.read_bytes()
        filler = fill(disk)
        fig, axis = plt.subplots()
        axis.plot([0, 1], [0, 1])
        with pytest.raises(OSError):
            save_figure(fig, disk / "fig1" / "fig1", "redrawn", "on a full disk")
        assert (png.read_bytes(), pdf.read_bytes()) == before
        assert not list(png.parent.glob(".*.tmp"))
        filler.unlink()


def damaged_results(root: Path) -> Path:
    """A results folder as a bad copy leaves it: JSON cut short, a table and a metrics row garbled."""
    run = root / RUN.replace("paper", "smoke")
    run.mkdir(parents=True)
    (run / "meta.json").write_text('{"run": "cifar10/plain-20/smoke/seed0", "device_na')
    (run / "final.json").write_text('{"status": "finished", "test_err')
    (run / "metrics.csv").write_text(
        "iteration,epoch,lr,train_loss,train_error,test_loss,test_error,val_error,"
        "images_per_s,elapsed_s\n3,0.375,0.1,2.3,88.0,,,,100,1.0\n6,0.75,\x00\x01,garbage"
        ",,,,,,\n"
    )
    (root / "table1").mkdir()
    (root / "table1" / "table.csv").write_text('model,params\n"resnet')  # cut inside a quoted cell
    return root


def test_report_skips_damaged_files_and_says_so(tmp_path):
    results = damaged_results(tmp_path / "results")
    result = cli_in_process("report", "--results", str(results), check=True)
    assert "Traceback" not in result.stderr
    for name in ("meta.json: unreadable or not JSON", "table1/table.csv: not a readable table"):
        assert f"warning: skipped {results}" in result.stdout and name in result.stdout
    assert (results / "REPORT.md").exists()


def test_plot_and_list_read_around_damaged_files(tmp_path):
    results = damaged_results(tmp_path / "results")
    plotted = cli_in_process("plot", "fig1", "--profile", "smoke", "--results", str(results), check=True)
    assert "fig1.png" in plotted.stdout and "Traceback" not in plotted.stderr
    cli_in_process("list", "--results", str(results), check=True)


def as_user_without_root_bypass(*args: str):
    """`resnet-repro ARGS` with file permissions enforced: root normally reads through a chmod 000."""
    if os.geteuid() != 0:
        return cli(*args)
    import shutil

    if shutil.which("setpriv") is None:
        pytest.skip("root, and no setpriv to drop the capability that ignores file permissions")
    import sys

    from .conftest import REPO

    return subprocess.run(
        ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "resnet_repro", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.parametrize(
    "command",
    [["list"], ["plot", "fig1", "--profile", "smoke"], ["run", "fig1", "--profile", "smoke", "--device", "cpu"]],
)
def test_an_unreadable_runs_folder_is_one_line(tmp_path, command):
    runs = tmp_path / "results" / "runs"
    (runs / "cifar10").mkdir(parents=True)
    runs.chmod(0)
    try:
        result = as_user_without_root_bypass(*command, "--results", str(tmp_path / "results"))
    finally:
        runs.chmod(0o755)
    assert_one_line_error(result, f"cannot access {runs}", "Permission denied", "Fix its permissions")
    assert sorted(p.name for p in runs.iterdir()) == ["cifar10"]


@pytest.mark.timeout(300)
def test_run_over_a_finished_run_whose_final_json_it_cannot_read_is_one_line_and_keeps_it(fig1_smoke, tmp_path):
    from .conftest import copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    final = results / RUN / "final.json"
    kept = {p.name: p.read_bytes() for p in (results / RUN).iterdir() if p.name != ".lock"}
    final.chmod(0)
    try:
        result = as_user_without_root_bypass(*smoke_run_args("fig1", tmp_path / "no-data", results))
    finally:
        final.chmod(0o644)
    assert_one_line_error(result, f"cannot access {final}", "Permission denied", "Fix its permissions")
    assert {p.name: p.read_bytes() for p in (results / RUN).iterdir() if p.name != ".lock"} == kept


def test_report_skips_an_unreadable_folder_and_says_so(tmp_path):
    hidden = tmp_path / "results" / "runs" / "cifar10"
    hidden.mkdir(parents=True)
    hidden.chmod(0)
    try:
        result = as_user_without_root_bypass("report", "--results", str(tmp_path / "results"))
    finally:
        hidden.chmod(0o755)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert f"warning: skipped {hidden}: Permission denied" in result.stdout


def test_a_finished_run_with_a_damaged_final_checkpoint_is_never_measured_with_earlier_weights(
    alone, cifar_dir, tmp_path
):
    import shutil

    from resnet_repro.engines.trained import finished_models
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train.context import RunContext

    run = tmp_path / RUN
    shutil.copytree(alone, run)
    data = bytearray((run / "checkpoint.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (run / "checkpoint.pt").write_bytes(bytes(data))
    runs = resolve_runs(load_target("fig1"), "smoke", only="plain-20")
    with pytest.raises(UserError, match="final checkpoint is damaged .*does not match the digest.*delete .*final.json"):
        list(finished_models(runs, RunContext(tmp_path, cifar_dir, torch.device("cpu"))))


def test_a_finished_run_with_every_checkpoint_damaged_is_not_said_to_resume_from_a_good_one(alone, cifar_dir, tmp_path):
    # it said "delete final.json and run again to retrain it from its last good checkpoint": there was none, and
    # the run trained again from its first iteration
    import shutil

    from resnet_repro.engines.trained import finished_models
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.train.context import RunContext

    run = tmp_path / RUN
    shutil.copytree(alone, run)
    for name in ("checkpoint.pt", "checkpoint.prev.pt"):
        data = bytearray((run / name).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (run / name).write_bytes(bytes(data))
    runs = resolve_runs(load_target("fig1"), "smoke", only="plain-20")
    with pytest.raises(UserError, match="none of its checkpoints is intact .*delete .*final.json.* from the start$"):
        list(finished_models(runs, RunContext(tmp_path, cifar_dir, torch.device("cpu"))))


@pytest.fixture
def linked_results(tmp_path):
    """A results folder whose `fig1/` is a link to a folder outside it, and that outside folder (empty)."""
    from resnet_repro.store.layout import resolve_results_dir

    outside = tmp_path / "outside"
    outside.mkdir()
    results = resolve_results_dir(str(tmp_path / "results"))  # as every command finds its results folder
    results.mkdir()
    (results / "fig1").symlink_to(outside, target_is_directory=True)
    return results, outside


def test_nothing_is_written_through_a_folder_link_inside_results(linked_results):
    from resnet_repro.basics.atomic import write_atomic
    from resnet_repro.store.layout import MetricsLog

    results, outside = linked_results
    writes = [
        lambda: write_atomic(results / "fig1" / "smoke" / "table.csv", "model\n"),  # a folder made below the link
        lambda: write_atomic(results / "fig1" / "table.md", "# t\n"),
        lambda: MetricsLog(results / "fig1" / "metrics.csv", 0),
        lambda: run_lock(results / "fig1" / "seed0", "cifar10/plain-20/smoke/seed0").__enter__(),
    ]
    for write in writes:
        with pytest.raises(UserError, match=f"{results / 'fig1'} is a link \\(to {outside}\\); nothing is written"):
            write()
    assert list(outside.iterdir()) == []


def test_a_file_link_inside_results_is_never_appended_through(tmp_path):
    from resnet_repro.basics.atomic import confine_writes, open_appending

    confine_writes(tmp_path / "results")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    run = tmp_path / "results" / "runs" / "r"
    run.mkdir(parents=True)
    for name in ("metrics.csv", ".lock"):
        (run / name).symlink_to(victim)
        with pytest.raises(UserError, match=f"{run / name} is a link"):
            open_appending(run / name)
    assert victim.read_text() == "precious\n"


def test_the_results_folder_itself_may_be_a_link(tmp_path):
    from resnet_repro.basics.atomic import write_atomic
    from resnet_repro.store.layout import resolve_results_dir

    real = tmp_path / "disk" / "results"
    real.mkdir(parents=True)
    (tmp_path / "results").symlink_to(real, target_is_directory=True)
    results = resolve_results_dir(str(tmp_path / "results"))
    write_atomic(results / "fig1" / "table.md", "# t\n")
    assert (real / "fig1" / "table.md").read_text() == "# t\n"


def test_a_folder_where_a_figure_belongs_is_named_by_the_figures_path_not_the_temp_file(fig1_smoke, tmp_path):
    # it said "cannot access .../fig1/smoke/.fig1.png.4242.x1y2z3.tmp: Is a directory. Fix its permissions or free
    # space": a file that is gone by then, and a fix that is not one
    from resnet_repro.basics.atomic import write_atomic

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    figure = results / "fig1" / "smoke" / "fig1.png"
    figure.unlink()
    figure.mkdir()
    with pytest.raises(IsADirectoryError) as error:
        write_atomic(figure, b"png")
    assert error.value.filename == str(figure)
    plotted = cli_in_process("plot", "fig1", "--results", str(results))
    assert_one_line_error(
        plotted, f"cannot access {figure}: a folder stands where a file must be. Move the folder away, or point"
    )
    assert ".tmp" not in plotted.stderr and "permissions" not in plotted.stderr
    assert figure.is_dir() and not list(figure.parent.glob(".*.tmp"))


def test_a_run_into_a_linked_runs_folder_is_one_line_and_writes_nothing_outside(cifar_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    results = tmp_path / "results"
    results.mkdir()
    (results / "runs").symlink_to(outside, target_is_directory=True)
    result = cli_in_process(*smoke_args(cifar_dir, results))
    assert_one_line_error(
        result,
        f"damaged run cifar10/plain-20/smoke/seed0: its folder is below a link (runs leads to {outside}); no link "
        f"inside results is followed. Remove the link itself, not the folder it leads to: `rm {results / 'runs'}`",
    )
    assert list(outside.iterdir()) == []


def test_a_linked_output_folder_is_refused_before_anything_trains(cifar_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    results = tmp_path / "results"
    results.mkdir()
    (results / "fig1").symlink_to(outside, target_is_directory=True)  # where the figure and tables would go
    result = cli_in_process(*smoke_args(cifar_dir, results))
    assert_one_line_error(result, f"{results / 'fig1'} is a link (to {outside})")
    assert "training" not in result.stdout  # refused first, not after the training it would waste
    assert sorted(p.name for p in results.iterdir()) == ["fig1"] and list(outside.iterdir()) == []


HEADER = "iteration,epoch,lr,train_loss,train_error,test_loss,test_error,val_error,images_per_s,elapsed_s\n"


def tamper_log(run: Path, how: str) -> str:
    """Make a finished run's metrics.csv disagree with its final.json, as a bad copy or a forger would; the reason
    tables must give."""
    log = run / "metrics.csv"
    if how == "rows past the end":
        log.write_text(log.read_text() + "15,1.9,0.1,0.01,0.0,,,,100,9.0\n18,2.2,0.1,0.01,0.0,,,,100,9.5\n")
        return "metrics.csv row 5 is at iteration 15, past the run's 12 iterations"
    if how == "not a number":
        lines = log.read_text().splitlines(keepends=True)
        lines[2] = lines[2].replace(lines[2].split(",")[4], "lots", 1)
        log.write_text("".join(lines))
        return "metrics.csv row 2 has train_error = 'lots', not a number"
    if how == "a million rows":
        with open(log, "a") as handle:
            handle.writelines(f"{12 + i},1.0,0.1,0.01,0.0,,,,100,9.0\n" for i in range(1, 1_000_000))
        return "metrics.csv row 5 is at iteration 13, past the run's 12 iterations"  # the first of a million
    assert how == "another last row"
    lines = log.read_text().splitlines(keepends=True)
    parts = lines[-1].split(",")
    parts[4] = "0.5"
    log.write_text("".join(lines[:-1]) + ",".join(parts))
    return "metrics.csv's last row has train_error 0.5, final.json"


@pytest.mark.parametrize("how", ["rows past the end", "not a number", "a million rows", "another last row"])
def test_a_log_that_disagrees_with_final_json_marks_the_run_damaged(fig1_smoke, tmp_path, how, monkeypatch):
    import csv

    from resnet_repro.cli.common import console

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 400)  # show's table cells whole, whatever COLUMNS this worker started with
    results = copy_results(fig1_smoke, tmp_path / "results")
    reason = tamper_log(results / RUN, how)
    plotted = cli_in_process("plot", "fig1", "--profile", "smoke", "--results", str(results))
    assert plotted.returncode == 0, plotted.stderr
    rows = {row["model"]: row for row in csv.DictReader(open(results / "fig1" / "smoke" / "table.csv"))}
    status = rows["plain-20"]["status"]
    assert status.startswith("damaged: run cifar10/plain-20/smoke/seed0: ") and reason in status, status
    assert rows["plain-20"]["train_error"] == "" and rows["plain-56"]["status"] == "finished"
    reported = cli_in_process("report", "--results", str(results))
    assert reported.returncode == 0, reported.stderr
    report = (results / "REPORT.md").read_text()
    assert f"Damaged: run cifar10/plain-20/smoke/seed0: {reason}" in report
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results))
    assert shown.returncode == 0, shown.stderr
    shown = " ".join(shown.stdout.split())  # show, the table and the report agree: damaged, not "finished"
    assert f"│ cifar10/plain-20/smoke/seed0 │ damaged: run cifar10/plain-20/smoke/seed0: {reason}" in shown, shown


def test_run_over_a_damaged_run_ends_with_one_line_saying_what_is_left_out(fig1_smoke, cifar_dir, tmp_path):
    from .conftest import copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    reason = tamper_log(results / RUN, "rows past the end")
    tamper_log(results / RUN.replace("plain-20", "plain-56"), "not a number")
    result = cli_in_process(*smoke_run_args("fig1", cifar_dir, results))
    assert_one_line_error(result, "damaged run cifar10/plain-20/smoke/seed0", reason, "delete")
    # the second damaged run named in the same line: not met only once the first is fixed
    assert result.stderr.strip().endswith("(and 1 more damaged run: cifar10/plain-56/smoke/seed0)"), result.stderr
    assert result.stdout.count("already finished") == 2  # nothing was retrained over it


def test_run_over_several_damaged_run_folders_names_them_all_in_one_line(fig1_smoke, tmp_path):
    import shutil

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    for seed in range(1, 6):  # seed 0's folder copied under five other seeds: five damaged runs
        shutil.copytree(results / RUN, results / RUN.replace("seed0", f"seed{seed}"))
    before = sorted(str(p.relative_to(results)) for p in results.rglob("*"))
    ran = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results, "--seeds", "0,1,2,3,4,5"))
    reason = "final.json is the record of run cifar10/plain-20/smoke/seed0, not of this folder's run"
    others = "; ".join(f"cifar10/plain-20/smoke/seed{seed}: {reason}" for seed in (2, 3, 4))
    assert_one_line_error(
        ran, f"damaged run cifar10/plain-20/smoke/seed1: {reason}", f"(and 4 more damaged runs: {others}; and 1 more)"
    )
    assert sorted(str(p.relative_to(results)) for p in results.rglob("*")) == before


def test_reading_a_huge_log_stops_at_the_runs_own_bound(tmp_path):
    import time
    import tracemalloc

    from resnet_repro.store.layout import scan_metrics

    log = tmp_path / "metrics.csv"
    with open(log, "w") as handle:
        handle.write(HEADER)
        handle.writelines(f"{i},1.0,0.1,0.01,50.0,,,,100,9.0\n" for i in range(1, 2_000_001))
    long_line = tmp_path / "long.csv"
    long_line.write_text(HEADER + "3," + "9" * 50_000_000 + "\n")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        read = scan_metrics(log, iterations=12, log_every=3)
        long_read = scan_metrics(long_line, iterations=12, log_every=3)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5 and peak < 2**20, (elapsed, peak)
    assert [int(r["iteration"]) for r in read.rows] == [1, 2, 3, 4, 5]
    assert read.problem == "metrics.csv has more rows than a run of 12 iterations logged every 3 can write"
    assert long_read.problem == "metrics.csv row 1 is longer than any row this tool writes"


def test_a_planted_alias_bomb_in_a_run_config_is_one_line_in_bounded_time(cifar_dir, tmp_path):
    folder = tmp_path / RUN
    folder.mkdir(parents=True)
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]" for p, c in zip("abcdefgh", "bcdefghi")
    ]
    (folder / "config.yaml").write_text("\n".join(bomb) + "\n")
    started = time.monotonic()
    result = cli(*smoke_args(cifar_dir, tmp_path))
    assert time.monotonic() - started < 30  # the interpreter's start and torch's import, not an expansion
    assert_one_line_error(result, "config.yaml is unreadable", "Delete its folder")
    assert sorted(p.name for p in folder.iterdir()) == ["config.yaml"]


def test_a_hard_link_or_a_pipe_in_a_run_folder_is_never_written_in_place(tmp_path):
    from resnet_repro.basics.atomic import confine_writes
    from resnet_repro.store.layout import MetricsLog

    confine_writes(tmp_path / "results")
    victim = tmp_path / "victim.txt"  # outside --results: the lock's truncate and write would land here
    victim.write_text("precious\n")
    run = tmp_path / "results" / "runs" / "r"
    run.mkdir(parents=True)
    os.link(victim, run / ".lock")
    with pytest.raises(UserError, match=f"{run / '.lock'} is a hard link \\(2 names share its bytes"):
        with run_lock(run, "r"):
            pass
    log = MetricsLog(run / "metrics.csv", 0)  # written atomically: a new file of its own
    (run / "metrics.csv").unlink()
    os.link(victim, run / "metrics.csv")
    with pytest.raises(UserError, match="metrics.csv is a hard link"):
        log.append({"iteration": 3})
    assert victim.read_text() == "precious\n"
    (run / ".lock").unlink()
    os.mkfifo(run / ".lock")  # opened without waiting: refused, not waited on
    with pytest.raises(UserError, match=f"{run / '.lock'} is not a regular file"):
        with run_lock(run, "r"):
            pass


def plant(run: Path, how: str) -> str:
    """Put in a finished run's folder a file the tool could never have written; the reason its damage note gives."""
    if how == "final.json: a named pipe":
        (run / "final.json").unlink()
        os.mkfifo(run / "final.json")
        return "final.json is a named pipe, not a regular file"
    if how == "meta.json: a link to /dev/zero":
        (run / "meta.json").unlink()
        (run / "meta.json").symlink_to("/dev/zero")
        return "meta.json is a link (to /dev/zero); no link inside results is followed"
    if how == "config.yaml: a named pipe":
        (run / "config.yaml").unlink()
        os.mkfifo(run / "config.yaml")
        return "config.yaml is a named pipe, not a regular file"
    if how == "checkpoint.pt: a named pipe":
        (run / "checkpoint.pt").unlink()
        os.mkfifo(run / "checkpoint.pt")
        return "checkpoint.pt is a named pipe, not a regular file"
    if how == "final.json: 100,000 nested arrays":
        (run / "final.json").write_text("[" * 100_000 + "]" * 100_000)
        return "final.json is nested deeper than 32 levels"
    if how == "final.json: a 4,000-digit number":
        record = json.loads((run / "final.json").read_text())
        (run / "final.json").write_text(json.dumps({**record, "wall_s": 10**3999}))
        return "final.json holds a number of 4,000 characters"
    if how == "final.json: a string for a number":
        record = json.loads((run / "final.json").read_text())
        (run / "final.json").write_text(json.dumps({**record, "test_error": "low"}))
        return 'final.json has test_error "low", not a number'
    if how == "final.json: a negative error":
        record = json.loads((run / "final.json").read_text())
        (run / "final.json").write_text(json.dumps({**record, "test_error": -5}))
        return "final.json has test_error -5, not an error rate (0 to 100)"
    if how == "final.json: NaN for an error":
        record = json.loads((run / "final.json").read_text())
        (run / "final.json").write_text(json.dumps({**record, "train_error": float("nan")}))
        return "final.json has train_error nan, not an error rate (0 to 100)"
    if how.startswith("meta.json: text for"):  # show, plot and report ended in a traceback reading it
        record = json.loads((run / "meta.json").read_text())
        data = "cifar" if how.endswith("its data report") else {**record["data"], "train_images": "many"}
        (run / "meta.json").write_text(json.dumps({**record, "data": data}))
        return (
            'meta.json has data "cifar", not an object'
            if data == "cifar"
            else ('meta.json has data.train_images "many", not a number')
        )
    assert how == "final.json: 100 MB"
    with open(run / "final.json", "r+b") as handle:
        handle.truncate(100 << 20)
    return "final.json is 104,857,600 bytes, more than any such file the tool writes"


PLANTED = [
    "final.json: a named pipe",
    "meta.json: a link to /dev/zero",
    "config.yaml: a named pipe",
    "checkpoint.pt: a named pipe",
    "final.json: 100,000 nested arrays",
    "final.json: a 4,000-digit number",
    "final.json: a string for a number",
    "final.json: a negative error",
    "final.json: NaN for an error",
    "final.json: 100 MB",
    "meta.json: text for its data report",
    "meta.json: text for its image count",
]


@pytest.mark.timeout(120)  # a read that waits on a pipe would never end: this ends the test instead
@pytest.mark.parametrize("how", PLANTED)
def test_a_file_no_run_writes_marks_its_run_damaged_with_the_reason(fig1_smoke, tmp_path, how):
    import tracemalloc

    from resnet_repro.readback.measured import measure
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.specs.run_id import RunStatus
    from resnet_repro.store.aggregate import collect
    from resnet_repro.store.layout import RunFiles, read_json, run_damage, run_status

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    reason = plant(results / RUN, how)
    runs = resolve_runs(load_target("fig1"), "smoke")
    files = RunFiles(results, "cifar10/plain-20/smoke/seed0")
    tracemalloc.start()
    started = time.monotonic()
    try:
        damage = run_damage(files)
        final, meta, status = read_json(files.final), read_json(files.meta), run_status(files)
        grouped = collect(runs, results)
        measured = measure(load_target("fig1"), "smoke", results)
        elapsed, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 5 and peak < 50 * 2**20, (elapsed, peak)
    assert damage is not None and damage.startswith(reason), damage
    if how.startswith("final.json"):  # read as absent: the run counts as unfinished (it has a checkpoint)
        assert final is None and status is RunStatus.UNFINISHED
    if how.startswith("meta.json"):
        assert meta is None and final is not None and status is RunStatus.FINISHED
    note = f"run cifar10/plain-20/smoke/seed0: {reason}"
    assert grouped["plain20"].status.startswith(f"damaged: {note}") and grouped["plain56"].status == "finished"
    assert [d[: len(note)] for d in measured.damaged] == [note]
    # run: one line before the data is even looked for, and nothing written
    before = sorted(str(p.relative_to(results)) for p in results.rglob("*"))
    ran = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results))
    assert_one_line_error(ran, f"damaged run cifar10/plain-20/smoke/seed0: {reason}", "Delete its folder")
    assert sorted(str(p.relative_to(results)) for p in results.rglob("*")) == before


@pytest.mark.timeout(300)
def test_a_run_folder_copied_under_another_seed_is_damaged_not_a_second_seed(fig1_smoke, tmp_path):
    import shutil

    from resnet_repro.readback.measured import measure
    from resnet_repro.specs.experiments import load_target, resolve_runs

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    shutil.copytree(results / RUN, results / RUN.replace("seed0", "seed1"))  # seed 0's numbers, counted twice
    measured = measure(load_target("fig1"), "smoke", results)
    reason = "final.json is the record of run cifar10/plain-20/smoke/seed0, not of this folder's run"
    # seed 1 is beyond the profile's seeds: deleting its folder and running fig1 again would not train it again
    assert measured.damaged == [
        f"run cifar10/plain-20/smoke/seed1: {reason}; its numbers are left out (delete its folder and run with "
        f"`--seeds 1, --only plain-20` to train it again; without --seeds, run leaves seed 1 out)"
    ]
    asked = measure(load_target("fig1"), "smoke", results, resolve_runs(load_target("fig1"), "smoke", [0, 1]))
    assert asked.damaged == [  # trained with --seeds 0,1: that command trains it again once its folder is deleted
        f"run cifar10/plain-20/smoke/seed1: {reason}; its numbers are left out (delete its folder to train it again)"
    ]
    assert [len(seeds) for seeds in measured.per_key("test_error").values()] == [1, 1]
    before = sorted(str(p.relative_to(results)) for p in results.rglob("*"))
    ran = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results, "--seeds", "0,1"))
    assert_one_line_error(ran, f"damaged run cifar10/plain-20/smoke/seed1: {reason}", "Delete its folder")
    assert sorted(str(p.relative_to(results)) for p in results.rglob("*")) == before


def test_the_advice_for_a_damaged_seed_beyond_the_planned_ones_names_the_seeds_that_train_it_again(tmp_path):
    # every note said "delete its folder to train it again" (or "run it to measure it again"), where a run without
    # --seeds leaves such a seed out: the folder deleted, the seed was gone for good
    from resnet_repro.engines.imagenet.outputs import table_status
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.specs.run_id import RunStatus
    from resnet_repro.store.layout import RunFiles, RunRecord, damage_note

    files = RunFiles(tmp_path, "imagenet/plain-18/smoke/seed1")
    files.dir.mkdir(parents=True)
    then = "and run with `--seeds 1, --only plain-18` to train it again; without --seeds, run leaves seed 1 out)"
    notes = {
        "metrics.csv row 3 is at iteration 5, not after the row before it (8)": f"(delete its folder {then}",
        "its folder is a link (to /x); no link inside results is followed": f"not the folder it leads to, {then}",
        "10-crop.json has top5_error 250, not an error rate (0 to 100)": f"again from: delete its folder {then}",
        ".lock is a folder, not a regular file": "(remove its .lock alone, which holds nothing of the run, to read",
    }
    for problem, advice in notes.items():
        note = damage_note(files, problem, further=1)
        assert note.startswith(f"run imagenet/plain-18/smoke/seed1: {problem}; ") and advice in note, note
    files.checkpoint.write_bytes(b"")  # a checkpoint to measure the record again from
    assert damage_note(files, "10-crop.json has top5_error 250", further=1).endswith(
        "(remove its 10-crop.json alone and run with `--seeds 1, --only plain-18` to measure it again; without --seeds, "
        "run leaves seed 1 out)"
    )
    assert damage_note(files, "10-crop.json has top5_error 250").endswith("alone and run it to measure it again)")
    files.checkpoint.unlink()  # a finished seed whose checkpoints were deleted before it was measured
    target = load_target("table2")
    planned = resolve_runs(target, "smoke", [1], only="plain-18")[0]
    record = RunRecord(None, status=RunStatus.FINISHED)
    assert table_status(record, {}, planned, tmp_path, target).endswith("(delete its folder to train it again)")
    further = dataclasses.replace(planned, further=True)
    assert table_status(record, {}, further, tmp_path, target).endswith(f"(delete its folder {then}")


@pytest.mark.parametrize("link", [RUN, "runs/cifar10/plain-20"], ids=["the run folder", "a folder above it"])
def test_a_linked_run_folder_is_damaged_everywhere_and_only_the_link_is_to_be_removed(
    link, fig1_smoke, tmp_path, monkeypatch
):
    # show, list, plot and report read through the link and counted the numbers of wherever it led as the run's, while
    # run refused to write through it; and "delete its folder" would lead to `rm -r link/`, the folder it leads to gone.
    # A link above the run folder (runs/cifar10/plain-20) was read through as well, and run gave no word of removing
    # the link alone.
    import csv

    from resnet_repro.cli.common import console

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 400)  # show's table cells whole, whatever COLUMNS this worker started with
    results = copy_results(fig1_smoke, tmp_path / "results")
    linked, elsewhere = results / link, tmp_path / "elsewhere"
    linked.rename(elsewhere)
    linked.symlink_to(elsewhere, target_is_directory=True)
    where = f"a link (to {elsewhere})" if link == RUN else f"below a link ({link} leads to {elsewhere})"
    reason = f"its folder is {where}; no link inside results is followed"
    before = sorted(str(p) for p in [*results.rglob("*"), *elsewhere.rglob("*")])
    ran = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results))
    assert_one_line_error(
        ran,
        f"damaged run cifar10/plain-20/smoke/seed0: {reason}. Remove the link itself, not the folder it leads to: "
        f"`rm {linked}` (no -r, no trailing /)",
    )
    assert "Delete its folder" not in ran.stderr
    assert sorted(str(p) for p in [*results.rglob("*"), *elsewhere.rglob("*")]) == before
    note = f"damaged: run cifar10/plain-20/smoke/seed0: {reason}; its numbers are left out (remove the link alone"
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results))
    assert f"│ cifar10/plain-20/smoke/seed0 │ {note}" in " ".join(shown.stdout.split()), shown.stdout
    listed = cli_in_process("list", "--results", str(results))
    assert "smoke 1/2 (1 damaged)" in " ".join(listed.stdout.split()), listed.stdout
    assert cli_in_process("plot", "fig1", "--profile", "smoke", "--results", str(results)).returncode == 0
    rows = {row["model"]: row for row in csv.DictReader(open(results / "fig1" / "smoke" / "table.csv"))}
    assert rows["plain-20"]["status"].startswith(note) and rows["plain-20"]["n_seeds"] == "0"
    assert cli_in_process("report", "--results", str(results)).returncode == 0
    assert f"Damaged: run cifar10/plain-20/smoke/seed0: {reason}" in (results / "REPORT.md").read_text()
    assert (elsewhere / Path(RUN).relative_to(link) / "final.json").exists()  # the folder it leads to is left alone


def test_a_damaged_seed_beyond_the_planned_ones_counts_in_list_and_run_as_in_the_table(
    fig1_smoke, cifar_dir, tmp_path, monkeypatch
):
    # after `run --seeds 0,1`, a damaged seed 1 marked the table's net damaged, while list said 2/2 and run exited 0
    import csv
    import shutil

    from resnet_repro.cli.common import console

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 400)  # list's cells whole, whatever COLUMNS this worker started with
    results = copy_results(fig1_smoke, tmp_path / "results")
    shutil.copytree(results / RUN, results / RUN.replace("seed0", "seed1"))  # not seed 1's record: damaged
    reason = "final.json is the record of run cifar10/plain-20/smoke/seed0, not of this folder's run"
    listed = cli_in_process("list", "--results", str(results))
    assert "smoke 2/3 (1 damaged)" in " ".join(listed.stdout.split()), listed.stdout
    ran = cli(*smoke_run_args("fig1", cifar_dir, results))  # the planned seed 0 alone, finished: nothing trains
    assert_one_line_error(
        ran, f"damaged run cifar10/plain-20/smoke/seed1: {reason}", "and run with `--seeds 1, --only plain-20` to train"
    )
    assert ran.stdout.count("already finished") == 2
    rows = {row["model"]: row for row in csv.DictReader(open(results / "fig1" / "smoke" / "table.csv"))}
    assert rows["plain-20"]["status"].startswith(f"damaged: run cifar10/plain-20/smoke/seed1: {reason}")


def test_a_lock_that_is_a_folder_asks_to_remove_the_lock_alone_not_the_run_folder(fig1_smoke, tmp_path):
    # it said "Delete its folder .../seed0 to train it again": the run's checkpoints and records lost over a lock
    from resnet_repro.readback.measured import measure
    from resnet_repro.specs.experiments import load_target

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    lock = results / RUN / ".lock"
    lock.unlink(missing_ok=True)
    (lock / "inside").mkdir(parents=True)
    before = sorted(str(p.relative_to(results)) for p in results.rglob("*"))
    ran = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results))
    reason = ".lock is a folder, not a regular file"
    assert_one_line_error(ran, f"damaged run cifar10/plain-20/smoke/seed0: {reason}", f"Remove {lock} (the run's lock")
    assert "Delete its folder" not in ran.stderr
    assert sorted(str(p.relative_to(results)) for p in results.rglob("*")) == before
    (note,) = measure(load_target("fig1"), "smoke", results).damaged
    assert note.endswith(
        "its numbers are left out (remove its .lock alone, which holds nothing of the run, to read them again)"
    )


@pytest.mark.timeout(600)
def test_plot_show_and_report_name_planted_pipes_and_device_links_as_damage(fig1_smoke, tmp_path, monkeypatch):
    import csv

    from resnet_repro.cli.common import console

    from .conftest import cli_in_process, copy_results

    monkeypatch.setattr(console, "width", 400)  # show's table cells whole, whatever COLUMNS this worker started with

    results = copy_results(fig1_smoke, tmp_path / "results")
    pipe = plant(results / RUN, "final.json: a named pipe")
    device = plant(results / RUN.replace("plain-20", "plain-56"), "meta.json: a link to /dev/zero")
    plotted = cli_in_process("plot", "fig1", "--profile", "smoke", "--results", str(results))
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results))
    reported = cli_in_process("report", "--results", str(results))
    assert plotted.returncode == 0 and shown.returncode == 0 and reported.returncode == 0, plotted.stderr
    rows = {row["model"]: row for row in csv.DictReader(open(results / "fig1" / "smoke" / "table.csv"))}
    assert rows["plain-20"]["status"].startswith(f"damaged: run cifar10/plain-20/smoke/seed0: {pipe}")
    assert rows["plain-56"]["status"].startswith(f"damaged: run cifar10/plain-56/smoke/seed0: {device}")
    shown = " ".join(shown.stdout.split())  # each damaged run named, as the tables and the report name it
    assert f"damaged: run cifar10/plain-20/smoke/seed0: {pipe}" in shown, shown
    assert f"damaged: run cifar10/plain-56/smoke/seed0: {device}" in shown, shown
    report = (results / "REPORT.md").read_text()
    assert f"Damaged: run cifar10/plain-20/smoke/seed0: {pipe}" in report
    said = f"warning: skipped {results / RUN / 'final.json'}: it {pipe.split(' ', 1)[1]}"
    assert said in " ".join(reported.stdout.split())  # the console wraps long lines


@pytest.mark.timeout(60)
def test_a_checkpoint_that_is_not_a_regular_file_is_skipped_not_read(tmp_path):
    os.mkfifo(tmp_path / "checkpoint.pt")
    (tmp_path / "checkpoint.prev.pt").symlink_to("/dev/zero")
    state, warnings = load_checkpoint(tmp_path / "checkpoint.pt", tmp_path / "checkpoint.prev.pt", torch.device("cpu"))
    assert state is None
    assert warnings[0] == (
        f"{tmp_path / 'checkpoint.pt'} is a named pipe, not a regular file; the tool writes only regular files; "
        f"trying an older checkpoint"
    )
    assert warnings[1].startswith(f"{tmp_path / 'checkpoint.prev.pt'} is a link (to /dev/zero)")


@pytest.mark.timeout(60)
def test_report_inputs_that_are_not_regular_files_are_skipped_and_said(tmp_path):
    from resnet_repro.readback.report_parts import csv_rows

    os.mkfifo(tmp_path / "table.csv")
    said = []
    assert csv_rows(tmp_path / "table.csv", ("model",), said.append) is None
    assert said == [
        f"skipped {tmp_path / 'table.csv'}: it is a named pipe, not a regular file; the tool writes only regular "
        f"files; the command that made it redraws it"
    ]


@pytest.mark.parametrize("text", ["", "model,params,flops\n"])
def test_a_table_without_rows_is_skipped_and_said_not_judged(tmp_path, text):
    from resnet_repro.readback.report_parts import csv_rows

    (tmp_path / "table.csv").write_text(text)
    said = []
    assert csv_rows(tmp_path / "table.csv", ("model",), said.append) is None
    assert said == [
        f"skipped {tmp_path / 'table.csv'}: not a readable table (ValueError); the command that made it redraws it"
    ]


@pytest.mark.timeout(60)
def test_a_deeply_nested_run_config_is_refused_before_the_yaml_parser_sees_it(tmp_path):
    from resnet_repro.store.layout import read_run_config

    (tmp_path / "config.yaml").write_text("[" * 30_000 + "]" * 30_000)  # 60 kB: under the size cap
    started = time.monotonic()
    with pytest.raises(UserError) as error:
        read_run_config(tmp_path / "config.yaml")
    assert time.monotonic() - started < 1
    assert str(error.value) == (
        f"{tmp_path / 'config.yaml'} is unreadable (it is nested deeper than 32 levels; a run's config nests four)"
    )


def test_list_names_a_damaged_run_as_it_names_running_and_unfinished_ones(fig1_smoke, tmp_path):
    # it said "smoke 1/2" and nothing of the other run, which show and the tables call damaged
    import itertools

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    plant(results / RUN, "final.json: a named pipe")
    listed = cli_in_process("list", "--results", str(results))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("│ fig1 "))
    rows = [lines[start], *itertools.takewhile(lambda line: line.startswith("│          │"), lines[start + 1 :])]
    done = " ".join(" ".join(line.split("│")[4] for line in rows).split())  # the cell wraps over lines
    assert "smoke 1/2 (1 damaged)" in done, done


def test_show_calls_a_finished_run_with_an_empty_config_damaged_as_run_refuses_it(
    fig1_smoke, cifar_dir, tmp_path, monkeypatch
):
    # show said "finished" where run refused the folder ("delete" it): the two now agree, with the same fix
    from resnet_repro.cli.common import console

    from .conftest import copy_results

    monkeypatch.setattr(console, "width", 400)
    results = copy_results(fig1_smoke, tmp_path / "results")
    (results / RUN / "config.yaml").write_text("")
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results), check=True)
    row = next(line for line in shown.stdout.splitlines() if "plain-20/smoke/seed0" in line)
    assert "damaged: run cifar10/plain-20/smoke/seed0: config.yaml is unreadable (not a mapping)" in row, row
    assert "(delete its folder to train it again)" in row, row
    refused = cli_in_process(*smoke_run_args("fig1", cifar_dir, results))
    assert_one_line_error(refused, "config.yaml is unreadable (not a mapping)", f"Delete its folder {results / RUN}")


def test_show_list_and_tables_say_a_run_trained_with_another_config_than_the_recipes_as_run_refuses_it(
    fig1_smoke, cifar_dir, tmp_path, monkeypatch
):
    # show and list said "finished" of a folder whose config.yaml was edited (or whose recipe changed since), while
    # run refused it: its numbers stay in the tables, said to be of another config, and show gives run's advice
    import csv
    import itertools

    from resnet_repro.cli.common import console

    from .conftest import copy_results

    monkeypatch.setattr(console, "width", 400)
    results = copy_results(fig1_smoke, tmp_path / "results")
    config = results / RUN / "config.yaml"
    config.write_text(config.read_text().replace("\n    lr: 0.1\n", "\n    lr: 0.2\n"))
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results), check=True)
    row = next(line for line in shown.stdout.splitlines() if "plain-20/smoke/seed0" in line)
    fix = f"To keep it, train the new config into another folder with --results DIR; to replace it, delete {results / RUN}"
    assert "finished, trained with a different config (recipe.lr: stored 0.2, requested 0.1); `run` refuses it. " in row
    assert fix in row, row
    refused = cli_in_process(*smoke_run_args("fig1", cifar_dir, results))
    assert_one_line_error(refused, "was trained with a different config (recipe.lr: stored 0.2, requested 0.1)", fix)
    lines = cli_in_process("list", "--results", str(results), check=True).stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("│ fig1 "))
    rows = [lines[start], *itertools.takewhile(lambda line: line.startswith("│          │"), lines[start + 1 :])]
    done = " ".join(" ".join(line.split("│")[4] for line in rows).split())  # the cell wraps over lines
    assert "smoke 2/2 (1 trained with a different config)" in done, done
    cli_in_process("plot", "fig1", "--profile", "smoke", "--results", str(results), check=True)
    with open(results / "fig1/smoke/table.csv") as handle:
        tabled = {row["model"]: row for row in csv.DictReader(handle)}
    assert tabled["plain-20"]["status"] == (
        "finished, trained with a different config than the recipe's: cifar10/plain-20/smoke/seed0"
    )
    assert tabled["plain-20"]["train_error"] and tabled["plain-56"]["status"] == "finished"  # its numbers kept


def test_show_and_list_call_a_run_whose_folder_a_file_blocks_damaged_as_run_refuses_it(tmp_path, monkeypatch):
    # a file where a run's folder (or one above it) must be: show and list said "not started", while run stopped on it
    import itertools

    from resnet_repro.cli.common import console

    monkeypatch.setattr(console, "width", 400)
    results = tmp_path / "results"
    (results / "runs/cifar10").mkdir(parents=True)
    (results / "runs/cifar10/plain-56").write_text("not a folder\n")
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results), check=True)
    row = next(line for line in shown.stdout.splitlines() if "plain-56/smoke/seed0" in line)
    assert (
        "damaged: run cifar10/plain-56/smoke/seed0: its folder cannot be made: runs/cifar10/plain-56 is a file, not a "
        "folder; it has no numbers (move the file away to train it)"
    ) in row, row
    assert "│ cifar10/plain-20/smoke/seed0 │ not started" in shown.stdout
    lines = cli_in_process("list", "--results", str(results), check=True).stdout.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("│ fig1 "))
    rows = [lines[start], *itertools.takewhile(lambda line: line.startswith("│          │"), lines[start + 1 :])]
    done = " ".join(" ".join(line.split("│")[4] for line in rows).split())  # the cell wraps over lines
    assert "smoke 0/2 (1 damaged)" in done, done
    refused = cli_in_process(*smoke_run_args("fig1", tmp_path / "no-data", results))
    assert_one_line_error(
        refused,
        "damaged run cifar10/plain-56/smoke/seed0: its folder cannot be made: runs/cifar10/plain-56 is a file",
        f"Move {results / 'runs/cifar10/plain-56'} away (a file where a folder must be) and run again",
    )
    assert (results / "runs/cifar10/plain-56").read_text() == "not a folder\n"
