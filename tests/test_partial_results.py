"""Results part-way: `list` shows every profile with a run begun, finished or not, and the time left from the img/s its
runs logged; figures and tables tell runs begun from runs not started, and a test profile's say its numbers mean
nothing."""

import csv
import shutil
import statistics

from resnet_repro.basics.words import human_duration
from resnet_repro.specs.experiments import load_target, resolve_runs

from .conftest import PLAIN20_RUN, cli_in_process, copy_results


def half_done(fig1_smoke, folder):
    """fig1's smoke results with plain-20 stopped after its last log point and plain-56 never started."""
    results = copy_results(fig1_smoke, folder)
    (results / PLAIN20_RUN / "final.json").unlink()
    shutil.rmtree(results / "runs/cifar10/plain-56")
    shutil.rmtree(results / "fig1")
    return results


def test_list_shows_a_profile_whose_only_run_is_unfinished_with_its_time_left(fig1_smoke, tmp_path):
    """After a half-finished run, list said only "paper 0/2, time left unknown": the profile in use was hidden."""
    results = half_done(fig1_smoke, tmp_path / "results")
    with open(results / PLAIN20_RUN / "metrics.csv") as handle:
        logged = [float(row["images_per_s"]) for row in csv.DictReader(handle)][1:]
    plain56 = next(run for run in resolve_runs(load_target("fig1"), "smoke") if run.model == "plain56")
    # plain-20 has no iteration left; plain-56 trains at plain-20's logged rate scaled by depth (20/56), and its
    # test passes (at 6 and 12) cost a third of a training image per test image, as a running job's clock counts them
    recipe = plain56.recipe
    assert (recipe.iterations, recipe.eval_every, plain56.data.test_subset) == (12, 6, 128)
    images = recipe.iterations * recipe.batch_size + 2 * 128 / 3
    left = images / (statistics.median(logged) * 20 / 56)
    result = cli_in_process("list", "--results", str(results))
    assert result.returncode == 0, result.stderr
    fig1 = result.stdout[result.stdout.index("fig1") : result.stdout.index("fig4")]
    fig1 = " ".join(fig1.replace("│", " ").split())  # the cell wraps over several lines of the table
    assert f"smoke 0/2 (1 unfinished), {human_duration(left)} left" in fig1
    assert "paper 0/2" in fig1  # the paper's profile is always listed


def test_list_calls_a_run_whose_lock_is_held_running_and_one_left_behind_unfinished(fig1_smoke, tmp_path):
    """`list` during a job called the run it was training "unfinished", as it calls a run a stopped job left."""
    from resnet_repro.store.lock import run_lock

    results = half_done(fig1_smoke, tmp_path / "results")

    def fig1_row():
        listed = cli_in_process("list", "--results", str(results)).stdout
        return " ".join(listed[listed.index("fig1") : listed.index("fig4")].replace("│", " ").split())

    with run_lock(results / PLAIN20_RUN, "cifar10/plain-20/smoke/seed0"):  # as a job training it holds it
        assert "smoke 0/2 (1 running), " in fig1_row()
        shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results)).stdout
        row = next(line for line in shown.splitlines() if "cifar10/plain-20/smoke/seed0" in line)
        assert row.replace("│", " ").split()[:2] == ["cifar10/plain-20/smoke/seed0", "running"]
        assert cli_in_process("plot", "fig1", "--results", str(results)).returncode == 0  # the table says the same
        assert "| running (0/1) |" in (results / "fig1/smoke/table.md").read_text()
    assert "smoke 0/2 (1 unfinished), " in fig1_row()  # the job stopped: its lock died with it


def test_a_figure_drawn_part_way_counts_runs_begun_apart_from_runs_not_started(fig1_smoke, tmp_path):
    """plot said "unfinished: 2 of 2 runs" when one had never started; and a smoke figure (fig7's stds reach 1e11)
    gave no word that its numbers mean nothing."""
    results = half_done(fig1_smoke, tmp_path / "results")
    assert cli_in_process("plot", "fig1", "--results", str(results)).returncode == 0
    note = (results / "fig1/smoke/table.md").read_text().splitlines()[2]
    assert note == (
        "A TEST OF THE TOOL: its numbers mean nothing; profile: smoke; dataset: cifar10 (not the official files: 1 of "
        "2 runs); 12 iterations (of 2 runs: 1 unfinished, logged up to iteration 12; 1 not started)"
    )


def test_the_unfinished_note_counts_each_kind_of_run():
    import pandas as pd

    from resnet_repro.engines.curves_tables import _unfinished_note
    from resnet_repro.specs.run_id import RunStatus
    from resnet_repro.store.aggregate import ModelRuns

    curve = pd.DataFrame({"iteration": [3, 6]})
    begun = ModelRuns("plain20", "plain-20", 2, [{"status": "finished"}], [curve, curve])
    begun.statuses = [RunStatus.FINISHED, RunStatus.UNFINISHED]
    begun.unfinished_at = [6]
    waiting = ModelRuns("plain56", "plain-56", 1, [], [], statuses=[RunStatus.NOT_STARTED])
    assert _unfinished_note({"plain20": begun, "plain56": waiting}) == (
        " (of 3 runs: 1 unfinished, logged up to iteration 6; 1 not started)"
    )
    assert _unfinished_note({"plain20": begun}) == " (of 2 runs: 1 unfinished, logged up to iteration 6)"
    # a run whose lock a process holds is training now: running, as list, show and the tables say
    begun.running = 1
    assert _unfinished_note({"plain20": begun, "plain56": waiting}) == (
        " (of 3 runs: 1 running, logged up to iteration 6; 1 not started)"
    )
    begun.statuses, begun.unfinished_at = [RunStatus.UNFINISHED, RunStatus.UNFINISHED], [4, 6]
    assert (
        _unfinished_note({"plain20": begun}) == " (of 2 runs: 1 running, 1 unfinished, logged up to iteration 4 to 6)"
    )
    begun.running = 0
    begun.statuses = [RunStatus.FINISHED, RunStatus.FINISHED]
    assert _unfinished_note({"plain20": begun}) == ""


def test_the_unfinished_note_says_how_far_the_unfinished_runs_have_come_not_the_finished_ones(fig1_smoke, tmp_path):
    """Mid-way, with plain-20 finished at its last iteration and plain-56 at its first log point, the note said
    "logged up to iteration" plain-20's last: the furthest of any run, finished ones included."""
    from resnet_repro.engines.curves_tables import _unfinished_note
    from resnet_repro.specs.run_id import RunStatus
    from resnet_repro.store.aggregate import collect

    results = copy_results(fig1_smoke, tmp_path / "results")
    log = next((results / "runs/cifar10/plain-56/smoke").glob("seed0")) / "metrics.csv"
    header, first, *_ = log.read_text().splitlines()
    log.write_text(f"{header}\n{first}\n")  # plain-56 stopped at its first log point
    (log.parent / "final.json").unlink()
    at = int(first.split(",")[header.split(",").index("iteration")])
    models = collect(resolve_runs(load_target("fig1"), "smoke"), results)
    assert models["plain20"].statuses == [RunStatus.FINISHED] and models["plain56"].unfinished_at == [at]
    assert _unfinished_note(models) == f" (of 2 runs: 1 unfinished, logged up to iteration {at})"
    models["plain20"].statuses, models["plain20"].unfinished_at = [RunStatus.UNFINISHED], [12]
    assert _unfinished_note(models) == f" (of 2 runs: 2 unfinished, logged up to iteration {at} to 12)"


def test_only_a_test_profile_is_marked_as_meaning_nothing():
    from resnet_repro.engines.curves_tables import profile_note
    from resnet_repro.specs.experiments import is_test_profile

    fig1 = load_target("fig1")
    assert is_test_profile("smoke") and not is_test_profile("cpu") and not is_test_profile("paper")
    assert profile_note(resolve_runs(fig1, "smoke")).startswith("A TEST OF THE TOOL: its numbers mean nothing; ")
    assert profile_note(resolve_runs(fig1, "cpu")).startswith("profile: cpu; dataset: fashion-mnist")
