"""`run` for targets that train: train what is missing, then measure (fig7) and write outputs."""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import RunConfig
from ..experiments import Target
from ..train.loop import Reporter
from ..train.runner import RunReport, train_runs
from .outputs import write_outputs


def run_training_target(target: Target, runs: list[RunConfig], all_runs: list[RunConfig], results: Path,
                        data_dir: Path, device: torch.device, download: bool, reporter: Reporter,
                        command: str, jobs: int = 1,
                        job_devices: list[torch.device] | None = None) -> tuple[list[RunReport], list[Path] | None]:
    """Train `runs` (a selection of `all_runs`), `jobs` at a time; outputs always cover all of the target's runs."""
    from ..train.distributed import init_world, leave_world

    if jobs > 1:
        from ..train.jobs import train_runs_concurrently

        reports = train_runs_concurrently(runs, results, data_dir, job_devices or [device], jobs, download, reporter,
                                          command)
    else:
        reports = train_runs(runs, results, data_dir, device, download, reporter, command)
    is_main = init_world(device).is_main
    leave_world()  # the measurements and outputs below are rank 0's alone
    if not is_main:
        return reports, None
    if target.engine == "imagenet" and target.section("table") is not None:
        from .imagenet_protocol import measure_protocol
        from .imagenet_outputs import table_protocol

        measure_protocol(all_runs, results, data_dir, device, table_protocol(target))
    if target.engine == "responses":
        from .layer_responses_measure import measure_runs, write_responses

        write_responses(target, measure_runs(all_runs, results, data_dir, device), results, all_runs)
    return reports, write_outputs(target, all_runs, results)
