"""Inside a Slurm job: train exactly one of a target's runs (the array task's), and nothing else; the target's
outputs are the last job's (`run --slurm-outputs`, which trains nothing)."""

from __future__ import annotations

from ..errors import UserError


def train_named_run(spec, all_runs: list, name: str, context) -> None:
    """Train the run called `name` (resuming it), over every process of the job when it has several."""
    # torch: only inside a job that trains
    from ..engines.base import refuse_links_on_the_way
    from ..train.distributed import finish_training
    from ..train.runner import train_runs

    runs = [config for config in all_runs if config.name == name]
    if not runs:
        raise UserError(f"run {name} is not one of {spec.name}'s runs under these options; submit the target again")
    refuse_links_on_the_way(spec, all_runs, context)
    reports = train_runs(runs, context)
    if not finish_training(context.device):
        return
    for report in reports:
        if report.status == "failed":
            raise UserError(f"run {name} failed: {(report.final or {}).get('reason', 'see its final.json')}")
