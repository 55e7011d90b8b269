"""The whole target's ETA shown while it trains: run k of n, and the time left for every pending run."""

from __future__ import annotations

from resnet_repro.store.estimate import PendingRun, TargetClock

FIG6 = [PendingRun("plain-20", "plain20", 64000), PendingRun("plain-56", "plain56", 64000),
        PendingRun("resnet-20-A", "resnet20", 64000), PendingRun("resnet-56-A", "resnet56", 64000)]


def test_later_nets_are_scaled_by_depth_from_the_run_in_progress():
    clock = TargetClock("fig6", FIG6, rates={})
    clock.run_started(0)
    # plain-20 at 320 img/s with 32,000 images to go: 100 s; plain-56 at 320*20/56; resnet-20 200 s; resnet-56 560 s.
    assert clock.line(32000, 320.0) == "run 1 of 4, fig6 about 24 min left"  # 100 + 560 + 200 + 560 = 1420 s


def test_measured_rates_win_over_the_depth_scaling():
    clock = TargetClock("fig6", FIG6, rates={"plain-56": 64.0, "resnet-56-A": 64.0})
    clock.run_started(2)
    # resnet-20 live: 64,000 images at 640 img/s = 100 s; resnet-56 measured: 64,000 / 64 = 1000 s.
    assert clock.line(64000, 640.0) == "run 3 of 4, fig6 about 18 min left"


def test_without_any_rate_only_the_count_is_shown():
    clock = TargetClock("table3", [PendingRun("resnet-50-B", "resnet50", 10**6),
                                   PendingRun("resnet-101-B", "resnet101", 10**6)], rates={})
    clock.run_started(0)
    assert clock.line(10**6, None) == "run 1 of 2"
    assert clock.line(10**6, 100.0) == "run 1 of 2"  # ImageNet nets are not scaled by depth: resnet-101 unknown
    clock.run_started(1)
    assert clock.line(500, 50.0) == "run 2 of 2, table3 about 10 s left"
