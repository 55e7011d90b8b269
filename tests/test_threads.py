"""The CPU thread count follows the machine while a run trains, and changes only for a large gain."""

from __future__ import annotations

import pytest

from resnet_repro.train.threads import CpuTimes, FreeCoreWatch


class Machine:
    """A 2-core machine whose other work we script: each `tick` is `window` seconds in which other
    processes keep `others` cores busy and this process uses `own` cores."""

    def __init__(self):
        self.times = CpuTimes(busy=0.0, own=0.0, wall=0.0)

    def tick(self, others: float, own: float, window: float = 5.0) -> None:
        t = self.times
        self.times = CpuTimes(t.busy + (others + own) * window, t.own + own * window, t.wall + window)

    def read(self) -> CpuTimes:
        return self.times


def watch(machine: Machine, said: list[str], user: str | None = "") -> tuple[FreeCoreWatch, list[int]]:
    applied: list[int] = []
    w = FreeCoreWatch(said.append, user_choice=user, cores=2, default=2, read=machine.read, set_threads=applied.append)
    return w, applied


def test_a_core_that_comes_free_is_taken_after_two_looks_and_said():
    machine, said = Machine(), []
    w, applied = watch(machine, said)
    assert w.start_run(busy=1.0) == 1 and applied == [1]  # another job holds one core at the start
    assert "using 1 CPU thread:" in said[0]
    machine.tick(others=1.0, own=1.0)
    assert w.log_point() is None  # still busy: keep one thread
    machine.tick(others=0.0, own=1.0)
    assert w.log_point() is None  # free once: not yet a trend
    machine.tick(others=0.0, own=1.0)
    assert w.log_point() == 2 and applied == [1, 2]
    assert said[-1].startswith("CPU threads 1 -> 2: a core came free")


def test_other_work_arriving_takes_a_thread_back():
    machine, said = Machine(), []
    w, applied = watch(machine, said)
    assert w.start_run(busy=0.0) == 2
    for _ in range(2):
        machine.tick(others=1.0, own=1.0)  # our two threads get one core between them
        changed = w.log_point()
    assert changed == 1 and applied[-1] == 1
    assert "other work now keeps 1.0 of 2 cores busy" in said[-1]


def test_a_count_that_rises_at_a_runs_start_is_said_so_the_next_change_follows_from_it():
    # "using 1 CPU thread" at the first run, nothing at the second's start (2 again), then "CPU threads 2 -> 1"
    machine, said = Machine(), []
    w, applied = watch(machine, said)
    assert w.start_run(busy=1.0) == 1 and "using 1 CPU thread:" in said[-1]
    assert w.start_run(busy=0.0) == 2 and applied == [1, 2]  # the next run: the core is free again
    assert said[-1] == "CPU threads 1 -> 2 at this run's start: a core came free"
    for _ in range(2):
        machine.tick(others=1.0, own=1.0)
        w.log_point()
    assert said[-1].startswith("CPU threads 2 -> 1: other work now keeps 1.0 of 2 cores busy")
    assert w.start_run(busy=1.0) == 1 and len(said) == 3  # 1 again, as last said: nothing new to say
    assert w.start_run(busy=0.0) == 2 and said[-1] == "CPU threads 1 -> 2 at this run's start: a core came free"


def test_between_log_points_the_watch_looks_every_15_seconds_of_wall_time():
    machine, said, now = Machine(), [], [0.0]
    applied: list[int] = []
    w = FreeCoreWatch(
        said.append,
        user_choice="",
        cores=2,
        default=2,
        read=machine.read,
        set_threads=applied.append,
        clock=lambda: now[0],
    )
    assert w.start_run(busy=0.0) == 2
    machine.tick(others=1.0, own=1.0, window=10.0)  # a job arrives; no log point for minutes
    now[0] = 10.0
    assert w.look_if_due() is None and w.wanted == []  # 10 s: not due, nothing read
    machine.tick(others=1.0, own=1.0, window=6.0)
    now[0] = 16.0
    assert w.look_if_due() is None and w.wanted == [1]  # the first look
    machine.tick(others=1.0, own=1.0, window=15.0)
    now[0] = 31.0
    assert w.look_if_due() == 1 and applied == [2, 1]  # the second, 15 s later: one thread
    assert said[-1].startswith("CPU threads 2 -> 1: other work now keeps 1.0 of 2 cores busy")


def test_a_blip_or_a_short_window_changes_nothing():
    machine, said = Machine(), []
    w, applied = watch(machine, said)
    w.start_run(busy=0.0)
    machine.tick(others=1.0, own=1.0)
    assert w.log_point() is None
    machine.tick(others=0.0, own=2.0)  # the other work left again: no trend
    assert w.log_point() is None
    machine.tick(others=1.0, own=1.0, window=0.5)  # too short a sample to judge
    machine.tick(others=1.0, own=1.0, window=0.5)
    assert w.log_point() is None and w.log_point() is None
    assert applied == [2] and said == []


@pytest.mark.parametrize("user", ["1", "2"])
def test_omp_num_threads_is_never_overridden(user):
    machine, said = Machine(), []
    w, applied = watch(machine, said, user=user)
    assert w.start_run() == int(user)
    for others in (1.0, 1.0, 0.0, 0.0, 0.0):
        machine.tick(others=others, own=1.0)
        assert w.log_point() is None
    assert applied == [int(user)]


def test_the_real_reader_sees_this_process_work():
    from resnet_repro.train.threads import read_cpu_times

    before = read_cpu_times()
    if before is None:
        pytest.skip("no /proc/stat here")
    deadline = before.wall + 20
    while (now := read_cpu_times()).own - before.own < 0.2 and now.wall < deadline:
        pass  # spin until this process has used 0.2 s of CPU, however busy the machine is
    assert now.own - before.own >= 0.2
    assert now.busy - before.busy >= (now.own - before.own) * 0.5  # the machine's busy time includes ours


def test_a_training_run_follows_the_free_cores_at_its_log_points(tmp_path):
    """The loop asks the watch at every log point; a core that comes free mid-run is taken and said."""
    import numpy as np
    import torch

    from resnet_repro.data.sources import ImageSet, Splits
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.store.layout import RunFiles
    from resnet_repro.train.loop import Reporter, RunInputs

    from .conftest import train_run

    class Machine:  # every look sees 5 more seconds in which no other work ran
        def __init__(self):
            self.times = CpuTimes(0.0, 0.0, 0.0)

        def read(self):
            t = self.times
            self.times = CpuTimes(t.busy + 5.0, t.own + 5.0, t.wall + 5.0)
            return t

    class Recorder(Reporter):
        def __init__(self):
            self.messages = []

        def message(self, text):
            self.messages.append(text)

    (config,) = resolve_runs(load_target("fig6"), "smoke", seeds=[0], only="plain-20")
    generator = np.random.default_rng(0)
    images = ImageSet(
        generator.integers(0, 256, (64, 3, 32, 32), dtype=np.uint8), generator.integers(0, 10, 64).astype(np.int64)
    )
    splits = Splits(images, ImageSet(images.images[:32], images.labels[:32]), None, {})
    reporter, applied = Recorder(), []
    threads = FreeCoreWatch(
        reporter.message, user_choice="", cores=2, default=2, read=Machine().read, set_threads=applied.append
    )
    threads.start_run(busy=1.0)
    outcome = train_run(
        RunInputs(config, splits, RunFiles(tmp_path, config.name), torch.device("cpu"), reporter), threads
    )
    assert outcome.status == "finished"
    assert applied == [1, 2]  # one thread at the start; two from the second log point on
    assert outcome.final["cpu_threads"] == [[0, 1], [6, 2]]  # each stretch of one count, where it began
    assert [m for m in reporter.messages if m.startswith("CPU threads")] == [
        "CPU threads 1 -> 2: a core came free (the last digits of the numbers follow the thread count)"
    ]


def test_threads_pins_the_count_records_it_in_the_run_name_and_each_stretch(cifar_dir, tmp_path):
    import json

    import yaml

    from .conftest import cli, smoke_args

    result = cli(*smoke_args(cifar_dir, tmp_path, "--threads", "1"), env={"OMP_NUM_THREADS": ""})
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "runs/cifar10/plain-20").iterdir()
    assert folder.name.startswith("smoke~")  # a numerics switch: its own folder, never the profile's
    run = folder / "seed0"
    assert yaml.safe_load((run / "config.yaml").read_text())["settings"]["train"]["threads"] == 1
    assert json.loads((run / "final.json").read_text())["cpu_threads"] == [[0, 1]]
    assert json.loads((run / "meta.json").read_text())["cpu_threads"] == [[0, 1]]
    assert "using" not in result.stdout  # no free-core choice was made: the count was given


def test_the_report_says_which_runs_trained_on_several_thread_counts(fig1_smoke, tmp_path):
    import json

    from .conftest import cli_in_process, copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    final = results / "runs/cifar10/plain-20/smoke/seed0/final.json"
    final.write_text(json.dumps({**json.loads(final.read_text()), "cpu_threads": [[0, 2], [6, 1]]}))
    assert cli_in_process("report", "--results", str(results)).returncode == 0
    report = (results / "REPORT.md").read_text()
    assert "CPU thread counts changed while training" in report
    assert "cifar10/plain-20/smoke/seed0 (2 threads from iteration 0, 1 from 6)" in report
    assert "plain-56/smoke/seed0 (" not in report


def test_one_thread_is_named_in_the_singular():
    import torch

    from resnet_repro.readback.measured import thread_stretches
    from resnet_repro.train.device import describe_device

    assert thread_stretches([[0, 1], [300, 2]]) == "1 thread from iteration 0, 2 from 300"
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert describe_device(torch.device("cpu")).endswith(", 1 thread)")
    finally:
        torch.set_num_threads(before)
