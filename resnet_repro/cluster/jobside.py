"""Inside a Slurm job: train exactly the target's runs the job was given (one, or a pack of them with --pack), and
nothing else; the target's outputs are the last job's (`run --slurm-outputs`, which trains nothing)."""

from __future__ import annotations

from ..basics.errors import UserError


def train_named_runs(spec, all_runs: list, names: list[str], context) -> None:
    """Train the runs called `names` (resuming them), `context.pack` at a time, over every process of the job when it
    has several."""
    # torch: only inside a job that trains
    from ..engines.base import refuse_links_on_the_way
    from ..train.distributed import finish_training
    from ..train.runner import train_runs

    runs = [config for config in all_runs if config.name in names]
    if len(runs) != len(set(names)):
        missing = sorted(set(names) - {config.name for config in runs})
        raise UserError(f"run {missing[0]} is not one of {spec.name}'s runs under these options; submit it again")
    refuse_links_on_the_way(spec, all_runs, context)
    reports = train_runs(runs, context)
    if not finish_training(context.device):
        return
    failed = [report for report in reports if report.status == "failed"]
    if failed:
        reason = (failed[0].final or {}).get("reason", "see its final.json")
        raise UserError(f"run {failed[0].name} failed: {reason}")
