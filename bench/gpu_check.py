"""One prepared check of every GPU path, timed to fit a short lease of a GPU machine.

    PYTHONPATH=. python3 bench/gpu_check.py OUT [--device cuda] [--budget-s 470]

Runs from the working tree on a bare machine (python3 with torch, torchvision, typer, rich, pandas,
matplotlib and pyyaml; nothing to install or download) and writes to OUT:

    summary.md            every figure below, and the goals met or missed
    bench.csv             images/s per net and mode: fp32 (IEEE), tf32, bf16, ghost BN, compiled
    alternative.csv       the common alternative (PIL transforms, DataLoader workers, NCHW) on the same GPU
    checks.csv            GPU vs CPU loss, resume exactness, ResNet-1202 memory with/without checkpointing
    jobs.csv              `run --jobs N` against `--jobs 1`, total images/s
    full_run_metrics.csv  the paper-recipe ResNet-56 run's metrics.csv (end to end, or as far as it got)
    profile.txt           where a step's time goes: GPU busy fraction, top kernels
    list.txt              `resnet-repro list` on these results: every CIFAR target's estimated time here

Stages run most-needed first; each checks the time left against its own estimate and is skipped with
the reason when it does not fit, and the summary is rewritten after every stage, so a cut-short run
keeps what it measured. The paper-recipe run takes the time the other stages leave; if it cannot
finish, it is stopped with SIGTERM (a clean checkpoint) and its end-to-end time is extrapolated from
its measured steady state, stated as such. The data is generated at CIFAR-10's full size in its
on-disk format (a run's time does not depend on the pixels), so no error here is a CIFAR-10 result.

`--tiny` is the dry run the test suite makes on a CPU: tiny nets, data and schedules, the same code.
Each stage is a module of bench/gpu_stages/ (its __init__ says how to add one); this file only starts them.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]  # the working tree, and bench/ (gpu_stages, compare_pipelines, gpu_fig6)

from gpu_stages.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
