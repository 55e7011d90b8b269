"""What the GPU check measures, and how big: FULL for a GPU, TINY for the dry run on a CPU."""

from __future__ import annotations

import os
from dataclasses import dataclass

from resnet_repro.specs.experiments import load_target

GHOST_BN = 64  # the paper's per-GPU batch norm: 128 images on two GPUs
EXIT_S = 15  # the last summary, freeing the GPU, the interpreter's exit


@dataclass(frozen=True)
class Plan:
    """What to measure, and how big. FULL for a GPU, TINY for the CPU dry run."""

    train_per_batch: int  # generated CIFAR-format data: 5 training batches of this, and a test batch
    test_images: int
    bench_iterations: int
    bench_fp32: tuple[str, ...]  # every net of table6, so `list` can estimate each CIFAR target
    bench_modes: tuple[tuple[str, str, int | None], ...]  # (net, precision, bn_batch) beyond plain fp32
    variants: tuple[tuple[str, str, bool, bool], ...]  # (net, precision, channels_last, deterministic), eager
    alternative_nets: tuple[str, ...]
    alternative_iterations: int
    workers: int
    compare_net: str  # GPU vs CPU, first iterations
    compare_steps: int
    memory_net: str
    memory_batch: int
    profile_net: str
    profile_steps: int
    compile_first: tuple[str, str, int | None]  # decides whether the paper-recipe run compiles
    compile_extras: tuple[tuple[str, str, int | None], ...]
    compile_backend: str
    run_profile: str  # the CLI profile of the short runs (resume, jobs)
    short_run: tuple[str, ...]  # --set overrides of the --jobs runs
    resume_run: tuple[str, ...]  # --set overrides of the resume check's runs
    resume_fault: str
    jobs: int
    full_run: tuple[str, ...]  # CLI arguments of the paper-recipe run
    full_iterations: int
    estimates: dict  # seconds each stage needs at least, for the skip decisions

    def resnet20_run(self, overrides: tuple[str, ...]) -> list[str]:
        """`run table6` on ResNet-20 alone, in the short runs' profile, with these `--set` overrides."""
        sets = [part for pair in overrides for part in ("--set", pair)]
        return ["run", "table6", "--only", "resnet-20", "--profile", self.run_profile, *sets]


FULL = Plan(
    train_per_batch=10_000,
    test_images=10_000,
    bench_iterations=30,
    bench_fp32=tuple(run.model for run in load_target("table6").runs),
    bench_modes=tuple((net, "tf32", None) for net in ("resnet20", "resnet56", "resnet110", "resnet1202"))
    + tuple((net, "bf16", None) for net in ("resnet20", "resnet56", "resnet110", "resnet1202", "plain20", "plain56"))
    + tuple((net, "fp32", GHOST_BN) for net in ("resnet20", "resnet56", "resnet110")),
    variants=(
        ("resnet20", "fp32", False, False),
        ("resnet56", "fp32", False, False),
        ("resnet56", "bf16", False, False),
        ("resnet56", "fp32", True, True),
        ("resnet20", "fp32", True, True),
    ),
    alternative_nets=("resnet20", "resnet56", "resnet110"),
    alternative_iterations=30,
    workers=min(8, os.cpu_count() or 1),
    compare_net="resnet20",
    compare_steps=5,
    memory_net="resnet1202",
    memory_batch=128,
    profile_net="resnet56",
    profile_steps=10,
    compile_first=("resnet56", "fp32", GHOST_BN),
    # In the order they are wanted; each compile costs about a minute (ResNet-1202's far more), so a lease
    # reaches the first few and `--stages compile-extras` the rest.
    compile_extras=(
        ("resnet56", "bf16", GHOST_BN),
        ("resnet56", "fp32", None),
        ("resnet20", "fp32", GHOST_BN),
        ("resnet110", "fp32", GHOST_BN),
        ("resnet20", "bf16", GHOST_BN),
        ("resnet110", "bf16", GHOST_BN),
        ("plain20", "fp32", GHOST_BN),
        ("plain56", "fp32", GHOST_BN),
        ("plain56", "bf16", GHOST_BN),
        ("resnet1202", "fp32", GHOST_BN),
        ("resnet1202", "bf16", GHOST_BN),
    ),
    compile_backend="inductor",
    run_profile="paper",
    short_run=(
        "recipe.iterations=600",
        "recipe.lr_steps=[300,450]",
        "recipe.eval_every=300",
        "recipe.checkpoint_every=600",
        "recipe.log_every=100",
    ),
    resume_run=(
        "recipe.iterations=400",
        "recipe.lr_steps=[300]",
        "recipe.eval_every=200",
        "recipe.checkpoint_every=200",
        "recipe.log_every=50",
        "train.deterministic=true",
    ),
    resume_fault="after-checkpoint:200",
    jobs=4,
    full_run=("table6", "--only", "resnet-56"),
    full_iterations=64_000,  # the paper profile: BN over 64 images
    estimates={
        "bench": 3,
        "bench-1202": 12,
        "alternative": 15,
        "checks": 50,
        "profile": 15,
        "compile": 100,
        "jobs": 60,
        "full-run": 90,
        "list": 20,
    },
)


TINY = Plan(
    train_per_batch=64,
    test_images=64,
    bench_iterations=2,
    bench_fp32=("resnet8",),
    bench_modes=(("resnet8", "bf16", None), ("resnet8", "fp32", 8)),
    variants=(("resnet8", "fp32", False, False),),
    alternative_nets=("resnet8",),
    alternative_iterations=2,
    workers=0,
    compare_net="resnet8",
    compare_steps=2,
    memory_net="resnet8",
    memory_batch=16,
    profile_net="resnet8",
    profile_steps=2,
    compile_first=("resnet8", "fp32", None),
    compile_extras=(),
    compile_backend="eager",
    run_profile="smoke",
    short_run=(),
    resume_run=("train.deterministic=true",),
    resume_fault="after-checkpoint:6",
    jobs=2,
    full_run=("table6", "--only", "resnet-20", "--profile", "smoke"),
    full_iterations=12,
    estimates=dict.fromkeys(FULL.estimates, 0),  # every stage runs whenever it is reached
)
