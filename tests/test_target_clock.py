"""The whole target's ETA shown while it trains: run k of n, and the time left for every pending run."""

from __future__ import annotations

import random
import re

import pytest

from resnet_repro.train.clock import HALF_LIFE_S, PendingRun, TargetClock

FIG6 = [
    PendingRun("plain-20", "plain20", 500, 128),
    PendingRun("plain-56", "plain56", 500, 128),
    PendingRun("resnet-20-A", "resnet20", 500, 128),
    PendingRun("resnet-56-A", "resnet56", 500, 128),
]


def test_later_nets_are_scaled_by_depth_from_the_run_in_progress():
    clock = TargetClock("fig6", FIG6, rates={})
    clock.run_started(0)
    # plain-20 at 320 img/s with 32,000 images to go: 100 s; plain-56 at 320*20/56; resnet-20 200 s; resnet-56 560 s.
    assert clock.line(250, 320.0) == "run 1 of 4, fig6 about 24 min left"  # 100 + 560 + 200 + 560 = 1420 s


def test_measured_rates_win_over_the_depth_scaling():
    clock = TargetClock("fig6", FIG6, rates={"plain-56": 64.0, "resnet-56-A": 64.0})
    clock.run_started(2)
    # resnet-20 live: 64,000 images at 640 img/s = 100 s; resnet-56 measured: 64,000 / 64 = 1000 s.
    assert clock.line(0, 640.0) == "run 3 of 4, fig6 about 18 min left"


def test_a_net_not_measured_yet_is_scaled_from_the_rate_measured_last():
    clock = TargetClock("fig6", FIG6, rates={})
    clock.run_started(0)
    clock.line(500, 320.0)  # plain-20 on one busy core
    clock.run_started(2)
    # a core came free: resnet-20 at 640 img/s, 100 s left; resnet-56 scaled from it, not from plain-20's 320:
    # 64,000 images at 640 * 20 / 56 img/s = 280 s. 100 + 280 = 380 s.
    assert clock.line(0, 640.0) == "run 3 of 4, fig6 about 6 min left"


def test_without_any_rate_only_the_count_is_shown():
    clock = TargetClock(
        "table3",
        [
            PendingRun("resnet-50-B", "resnet50", 1000, 256),
            PendingRun("resnet-101-B", "resnet101", 1000, 256, done=998),
        ],
        rates={},
    )
    clock.run_started(0)
    assert clock.line(0, None) == "run 1 of 2"
    assert clock.line(0, 100.0) == "run 1 of 2"  # ImageNet nets are not scaled by depth: resnet-101 unknown
    clock.run_started(1)
    assert clock.line(998, 51.2) == "run 2 of 2, table3 about 10 s left"  # a resumed run: 2 iterations of 256


def test_runs_side_by_side_share_the_work_left_over_the_jobs_but_never_beat_the_longest_run():
    named = [PendingRun(r.label, r.model, r.iterations, r.batch_size, name=f"fm/{r.label}/cpu/seed0") for r in FIG6]
    clock = TargetClock("fig6", named, rates={"plain-20": 640.0, "plain-56": 64.0, "resnet-56-A": 64.0}, jobs=2)
    # plain-20 100 s, plain-56 1000 s, resnet-20 (live) 64,000 / 640 = 100 s, resnet-56 1000 s: 2200 s over 2 jobs
    assert clock.line(0, 640.0, run="fm/resnet-20-A/cpu/seed0") == "run 3 of 4, fig6 about 18 min left"
    clock.line(500, 640.0, run="fm/plain-20/cpu/seed0")
    clock.line(500, 640.0, run="fm/resnet-20-A/cpu/seed0")
    # plain-56 500 s and resnet-56 1000 s left: 750 s each over 2 jobs, but resnet-56 alone takes 1000 s
    assert clock.line(250, 64.0, run="fm/plain-56/cpu/seed0") == "run 2 of 4, fig6 about 17 min left"
    assert clock.line(250, 64.0, run="some/other/run") is None


def test_a_runs_log_says_which_run_of_the_target_and_the_time_left_whenever_it_changes(fig1_smoke_run):
    _, result = fig1_smoke_run
    lines = result.stdout.splitlines()
    for label, k in (("plain-20 seed0", 1), ("plain-56 seed0", 2)):
        numbers = [i for i, line in enumerate(lines) if line.startswith(f"{label} ") and line.endswith(" img/s")]
        clock = [i for i, line in enumerate(lines) if line.startswith(f"{label}: ")]
        assert len(numbers) == 4 and clock, label
        assert clock[0] == numbers[0] + 1  # the first log point says it at once
        assert all(lines[i - 1].startswith(f"{label} ") and lines[i - 1].endswith(" img/s") for i in clock)
        assert all(re.fullmatch(rf"{label}: run {k} of 2, fig1 about \d+ s left", lines[i]) for i in clock), label
        # a line only when the time left changed since the last one said (an estimate may go 6 s, 5 s, 6 s: each
        # a change)
        assert all(lines[a] != lines[b] for a, b in zip(clock, clock[1:]))


def test_a_pack_moves_in_step_so_one_runs_rate_is_every_runs_and_a_pack_lasts_its_longest_run():
    named = [PendingRun(r.label, r.model, r.iterations, r.batch_size, name=f"fm/{r.label}/cpu/seed0") for r in FIG6]
    clock = TargetClock("fig6", named, rates={}, jobs=2, lockstep=True)  # two packs: plain-20/56, resnet-20/56
    # plain-20 at 320 img/s: plain-56 beside it too (not 320*20/56), 200 s each; resnet-20/56 scaled from plain-20's
    # rate by depth: 200 s and 560 s, the second pack as long as resnet-56. 200 + 560 = 760 s.
    first = clock.line(0, 320.0, run="fm/plain-20/cpu/seed0")
    assert first == "run 1 of 4, fig6 about 13 min left"
    assert clock.line(0, 320.0, run="fm/plain-56/cpu/seed0") == "run 2 of 4, fig6 about 13 min left"  # the same


def test_starting_each_run_of_a_pack_marks_none_of_the_pack_as_ended():
    """The runner says each run of a pack has started; the runs of a pack train together, so none of them has ended:
    the first line counts the whole pack, and its longest run (only the packs before it are done)."""
    runs = [
        PendingRun("plain-20", "plain20", 500, 128, name="fm/plain-20/cpu/seed0"),
        PendingRun("plain-56", "plain56", 1000, 128, name="fm/plain-56/cpu/seed0"),  # the pack's longest
        PendingRun("resnet-20-A", "resnet20", 500, 128, name="fm/resnet-20-A/cpu/seed0"),
        PendingRun("resnet-56-A", "resnet56", 500, 128, name="fm/resnet-56-A/cpu/seed0"),
    ]
    clock = TargetClock("fig6", runs, rates={}, jobs=3, lockstep=True)  # two packs: the first three, resnet-56
    for index in (0, 1, 2):
        clock.run_started(index)
    # 320 img/s for every run of the first pack: plain-56's 128,000 images take 400 s; resnet-56, scaled by depth
    # from plain-20's rate, 560 s. 400 + 560 = 960 s.
    assert clock.line(0, 320.0, run="fm/plain-20/cpu/seed0") == "run 1 of 4, fig6 about 16 min left"
    assert clock.seconds_left() == pytest.approx(960.0)
    clock.run_started(3)  # the second pack: the first has ended
    assert clock.seconds_left() == pytest.approx(560.0)


def test_the_test_passes_left_count_in_the_time_left():
    run = PendingRun("resnet-20-A", "resnet20", 500, 128, eval_every=100, test_images=9_000)
    assert run.test_passes_left(0) == 5 and run.test_passes_left(250) == 3 and run.test_passes_left(500) == 0
    odd = PendingRun("resnet-20-A", "resnet20", 450, 128, eval_every=100, test_images=9_000)
    assert odd.test_passes_left(0) == 5  # 100, 200, 300, 400 and the last iteration, 450
    clock = TargetClock("fig6", [run], rates={})
    # 64,000 training images and 5 passes of 9,000 test images at a third of the cost: 64,000 + 15,000 at 790/s
    assert clock.line(0, 790.0) == "run 1 of 1, fig6 about 2 min left"  # 100 s; training alone 81 s


def test_a_runs_rate_is_its_windows_images_over_their_seconds():
    clock = TargetClock("fig1", [PendingRun("plain-20", "plain20", 10_000, 100)], rates={"plain-20": 50.0})
    clock.line(100, 100.0)  # the first rate seen replaces the bench's: 10,000 images in 100 s
    assert clock.rates["plain-20"] == 100.0
    clock.line(200, 200.0)  # 10,000 more in 50 s; the first window fades by 50 s of the half-life
    fade = 0.5 ** (50 / HALF_LIFE_S)
    assert clock.rates["plain-20"] == (10_000 * fade + 10_000) / (100 * fade + 50)  # about 134, not the mean 150


def thread_flips(seed: int, windows: int) -> list[float]:
    """A window's img/s as other work moves the thread count between 1 (60 img/s) and 2 (100 img/s), each count
    lasting 1 to 6 log windows (half a minute each): what the time left saw go 34, 20, 28 min within 3 minutes."""
    rates, generator, rate = [], random.Random(seed), 100.0
    while len(rates) < windows:
        rate = 60.0 if rate == 100.0 else 100.0
        rates += [rate] * generator.randint(1, 6)
    return rates[:windows]


@pytest.mark.parametrize("seed", range(12))
def test_the_time_left_holds_steady_and_within_a_quarter_as_the_thread_count_flips(seed):
    every, batch, windows = 20, 128, 100  # 2,560 images a window, about 55 min in all
    rates = thread_flips(seed, windows)
    clock = TargetClock("fig1", [PendingRun("plain-20", "plain20", every * windows, batch)], rates={})
    shown = []
    for k, rate in enumerate(rates):
        clock.line((k + 1) * every, rate)
        shown.append(clock.seconds_left())
        truth = sum(every * batch / later for later in rates[k + 1 :])  # what the rest of the run took
        if windows // 10 <= k < windows - windows // 10:
            assert abs(shown[k] / truth - 1) < 0.25, (k, shown[k], truth)
        if (
            2 <= k < windows - windows // 10
        ):  # from the third log point: the predicted finish moves < 1/4 of the time left
            expected = shown[k - 1] - every * batch / rate
            assert abs(shown[k] - expected) < 0.25 * shown[k - 1], (k, shown[k - 1], shown[k])
