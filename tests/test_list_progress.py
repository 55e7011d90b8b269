"""`list` shows every profile with a run begun, finished or not, and the time left from the img/s its runs logged."""

import csv
import shutil
import statistics

from resnet_repro.experiments import load_target, resolve_runs
from resnet_repro.words import human_duration

from .conftest import PLAIN20_RUN, cli_in_process, copy_results


def test_list_shows_a_profile_whose_only_run_is_unfinished_with_its_time_left(fig1_smoke, tmp_path):
    """After a half-finished run, list said only "paper 0/2, time left unknown": the profile in use was hidden."""
    results = copy_results(fig1_smoke, tmp_path / "results")
    (results / PLAIN20_RUN / "final.json").unlink()  # plain-20 stopped after its last log point
    shutil.rmtree(results / "runs/cifar10/plain-56")  # plain-56 never started
    with open(results / PLAIN20_RUN / "metrics.csv") as handle:
        logged = [float(row["images_per_s"]) for row in csv.DictReader(handle)][1:]
    plain56 = next(run for run in resolve_runs(load_target("fig1"), "smoke") if run.model == "plain56")
    # plain-20 has no iteration left; plain-56 trains at plain-20's logged rate scaled by depth (20/56)
    left = plain56.recipe.iterations * plain56.recipe.batch_size / (statistics.median(logged) * 20 / 56)
    result = cli_in_process("list", "--results", str(results))
    assert result.returncode == 0, result.stderr
    fig1 = result.stdout[result.stdout.index("fig1") : result.stdout.index("fig4")]
    fig1 = " ".join(fig1.replace("│", " ").split())  # the cell wraps over several lines of the table
    assert f"smoke 0/2 (1 unfinished), {human_duration(left)} left" in fig1
    assert "paper 0/2" in fig1  # the paper's profile is always listed
