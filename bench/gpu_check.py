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
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(Path(__file__).resolve().parent)]  # the working tree, and compare_pipelines

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from compare_pipelines import common_alternative  # noqa: E402

from resnet_repro.analysis.throughput import BenchSettings, measure  # noqa: E402
from resnet_repro.atomic import write_atomic  # noqa: E402
from resnet_repro.data.pipeline import TrainStream  # noqa: E402
from resnet_repro.data.sources import ImageSet  # noqa: E402
from resnet_repro.data.synthetic import write_cifar10  # noqa: E402
from resnet_repro.models import Layers, build_model  # noqa: E402
from resnet_repro.train.device import describe_device, resolve_device  # noqa: E402
from resnet_repro.train.state import StepSpec, TrainState, train_state  # noqa: E402

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


FULL = Plan(
    train_per_batch=10_000,
    test_images=10_000,
    bench_iterations=30,
    bench_fp32=(
        "resnet20",
        "resnet32",
        "resnet44",
        "resnet56",
        "resnet110",
        "resnet1202",
        "plain20",
        "plain32",
        "plain44",
        "plain56",
    ),
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
    estimates={
        "bench": 0,
        "bench-1202": 0,
        "alternative": 0,
        "checks": 0,
        "profile": 0,
        "compile": 0,
        "jobs": 0,
        "full-run": 0,
        "list": 0,
    },
)


class Check:
    """The shared state of one check: where things go, the deadline, the figures so far."""

    def __init__(
        self, out: Path, work: Path, device: torch.device, plan: Plan, budget_s: float, only: set[str] | None = None
    ):
        self.out, self.work, self.device, self.plan = out, work, device, plan
        self.only = only  # --stages: the stages to run (None: all); time is kept only for those
        self.started = time.monotonic()
        self.deadline = self.started + budget_s
        self.sections: list[tuple[str, str]] = []
        self.bench_rows: list[dict] = []
        self.facts: dict = {}  # figures the goals table reads
        self.data_dir = work / "data"
        self.results = work / "results"

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def fits(self, stage: str, reserve: float = 0.0) -> bool:
        """Whether `stage`'s estimate fits the time left after `reserve` seconds kept for later stages."""
        return self.left() - reserve >= self.plan.estimates[stage]

    def reserve_for_full_run(self) -> float:
        """What every stage before the paper-recipe run leaves: its minimum, `list`, and the exit."""
        e = self.plan.estimates
        return (e["full-run"] if self.runs("full-run") else 0) + e["list"] + EXIT_S

    def reserve_after_full_run(self) -> float:
        """What the paper-recipe run leaves: both --jobs commands, `list`, and the exit."""
        e = self.plan.estimates
        return (2 * e["jobs"] if self.runs("jobs") else 0) + e["list"] + EXIT_S

    def runs(self, stage: str) -> bool:
        return self.only is None or stage in self.only

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)

    def section(self, title: str, markdown: str) -> None:
        self.sections.append((title, markdown))
        self.write_summary()

    def write_summary(self) -> None:
        parts = ["# GPU check\n", _goals_table(self.facts), ""]
        if self.device.type != "cuda":
            parts.insert(1, "_A dry run on the CPU with tiny nets and data: the goals below are a GPU's._\n")
        parts += [f"## {title}\n\n{body.strip()}\n" for title, body in self.sections]
        parts.append(f"_Script wall time so far: {time.monotonic() - self.started:.0f} s._\n")
        _write_text(self.out / "summary.md", "\n".join(parts))

    def cli(self, *args: str, env: dict | None = None, timeout: float | None = None) -> tuple[int, str, float]:
        """`python -m resnet_repro ARGS` from the working tree: (exit code, output, wall seconds)."""
        trains = args[0] == "run"
        command = [sys.executable, "-m", "resnet_repro", *args] + (
            ["--data-dir", str(self.data_dir), "--device", str(self.device)] if trains else []
        )
        full_env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(env or {})}
        start = time.monotonic()
        try:
            done = subprocess.run(command, cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout)
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired as expired:
            partial = expired.stdout.decode(errors="replace") if isinstance(expired.stdout, bytes) else expired.stdout
            code, output = -1, f"{partial or ''}\ntimed out after {timeout:.0f} s: {shlex.join(command)}"
        return code, output, time.monotonic() - start


# ---- stages -------------------------------------------------------------------------------------------------


def stage_machine(check: Check) -> None:
    """Device, driver, versions; the generated data, written once to local disk."""
    lines = [
        f"- device: {describe_device(check.device)}",
        f"- torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"cuDNN {torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores",
    ]
    if check.device.type == "cuda":
        smi = _run_text(
            ["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm", "--format=csv,noheader"]
        )
        lines.append(f"- nvidia-smi: {smi.strip()}")
        properties = torch.cuda.get_device_properties(check.device)
        lines.append(f"- {properties.multi_processor_count} SMs, {properties.total_memory / 2**30:.1f} GiB")
    start = time.monotonic()
    write_cifar10(check.data_dir, train_per_batch=check.plan.train_per_batch, test=check.plan.test_images)
    lines.append(
        f"- generated CIFAR-format data: {5 * check.plan.train_per_batch} training and "
        f"{check.plan.test_images} test images in {time.monotonic() - start:.1f} s "
        f"(timing only: these are not CIFAR-10's images)"
    )
    lines.append(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    check.facts["device"] = describe_device(check.device)
    check.section("Machine", "\n".join(lines))


def stage_bench(check: Check) -> None:
    """Eager images/s: fp32 (IEEE) for every table6 net, then tf32, bf16 and ghost BN for the main ones."""
    plan = check.plan
    todo = [(net, "fp32", None) for net in plan.bench_fp32] + list(plan.bench_modes)
    skipped = []
    for net, precision, bn_batch in todo:
        need = "bench-1202" if net == "resnet1202" else "bench"
        if not check.fits(need, reserve=check.reserve_for_full_run()):
            skipped.append(_mode_name(net, precision, bn_batch, False))
            continue
        _bench_one(check, net, precision, bn_batch, compiled=False)
    _write_bench(check)
    note = f"\n\nNot measured (time): {', '.join(skipped)}" if skipped else ""
    check.section(f"Throughput, eager (batch {_batch(check)})", _bench_table(check.bench_rows) + note)


def stage_variants(check: Check) -> None:
    """Eager images/s of the layout (NCHW against channels_last) and of deterministic kernels."""
    rows = []
    for net, precision, channels_last, deterministic in check.plan.variants:
        if not check.fits("bench", reserve=check.reserve_for_full_run()):
            break
        row = _bench_one(check, net, precision, None, False, channels_last, deterministic)
        if row:
            rows.append(row)
    _write_bench(check)
    check.section("Throughput, eager: memory layout and deterministic kernels", _bench_table(rows))


def stage_alternative(check: Check) -> None:
    """The common alternative (torch's defaults: TF32 convolutions on a GPU, no cuDNN benchmark) vs ours."""
    plan = check.plan
    rows = []
    for net in plan.alternative_nets:
        if not check.fits("alternative", reserve=check.reserve_for_full_run()):
            break
        saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark)
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False  # torch's defaults
        torch.backends.cudnn.benchmark = False
        try:
            theirs = common_alternative(net, check.device, 128, plan.alternative_iterations, plan.workers)
        finally:
            (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.benchmark) = (
                saved
            )
        ours = {
            mode: _rate(check, net, precision, None, False) for mode, precision in (("fp32", "fp32"), ("tf32", "tf32"))
        }
        rows.append(
            {
                "model": net,
                "workers": plan.workers,
                "alternative_images_per_s": round(theirs, 1),
                "ours_fp32_images_per_s": _round(ours["fp32"]),
                "ours_tf32_images_per_s": _round(ours["tf32"]),
                "ratio_fp32": _ratio(ours["fp32"], theirs),
                "ratio_tf32": _ratio(ours["tf32"], theirs),
            }
        )
        check.say(
            f"alternative {net}: {theirs:.0f} img/s; ours fp32 {ours['fp32'] or 0:.0f}, tf32 {ours['tf32'] or 0:.0f}"
        )
    _write_csv(check.out / "alternative.csv", rows)
    check.facts["alternative"] = {row["model"]: row["alternative_images_per_s"] for row in rows}
    check.section(
        "Against the common alternative",
        _markdown_table(rows) + "\n\nThe alternative: torchvision's "
        "per-image PIL transforms in DataLoader workers, an NCHW model, torch's default SGD, and torch's "
        "default GPU arithmetic (TF32 convolutions). Its fair counterpart is our tf32 column; our fp32 "
        "is IEEE fp32 (the paper's arithmetic).",
    )


def stage_checks(check: Check) -> None:
    """GPU vs CPU losses, resume exactness on the device, ResNet-1202's memory with and without checkpointing."""
    rows = []
    rows += _gpu_vs_cpu(check)
    rows += _memory(check)
    rows += _resume(check)
    _write_csv(check.out / "checks.csv", rows)
    check.section("Correctness on the device", _markdown_table(rows))


def stage_profile(check: Check) -> None:
    """Where an eager step's time goes: GPU busy time against wall time, and the top kernels."""
    plan = check.plan
    net = plan.profile_net
    state, stream = _training_parts(check, net, check.device)
    step = _sgd_step(state)
    for i in range(5):
        step(*stream.batch(i))
    _sync(check.device)
    activities = [torch.profiler.ProfilerActivity.CPU]
    if check.device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        start = time.perf_counter()
        for i in range(plan.profile_steps):
            step(*stream.batch(5 + i))
        _sync(check.device)
        wall_us = (time.perf_counter() - start) * 1e6
    kernels: dict[str, list[float]] = {}
    for event in profiler.events():
        if check.device.type == "cuda" and event.device_type == torch.autograd.DeviceType.CUDA:
            kernels.setdefault(event.name, []).append(event.time_range.elapsed_us())
    busy_us = sum(sum(times) for times in kernels.values())
    launches = sum(len(times) for times in kernels.values()) / plan.profile_steps
    top = sorted(kernels.items(), key=lambda item: -sum(item[1]))[:12]
    busy = (
        (
            f"GPU kernels busy {busy_us / plan.profile_steps / 1e3:.2f} ms/step ({100 * busy_us / wall_us:.0f}% of "
            f"wall), {launches:.0f} kernels per step"
        )
        if check.device.type == "cuda"
        else "no GPU: kernel time n/a"
    )
    lines = [
        f"{net}, fp32 eager, batch {stream.batch_size}, {plan.profile_steps} steps: wall "
        f"{wall_us / plan.profile_steps / 1e3:.2f} ms/step, {busy}"
    ]
    lines += [
        f"{100 * sum(times) / max(busy_us, 1e-9):5.1f}%  {len(times) // plan.profile_steps:4d}/step  {name[:110]}"
        for name, times in top
    ]
    check.facts["profile"] = {
        "wall_ms": wall_us / plan.profile_steps / 1e3,
        "busy_ms": busy_us / plan.profile_steps / 1e3,
        "kernels": launches,
    }
    _write_text(check.out / "profile.txt", "\n".join(lines) + "\n")
    check.section(
        "Where an eager step's time goes",
        "```\n" + "\n".join(lines[:8]) + "\n```\n\n(full list: "
        "profile.txt) With the GPU busy for only part of the wall time, the rest is the host launching "
        "kernels one by one: what CUDA graphs (`--compile`) remove.",
    )


def stage_compile(check: Check, modes, title: str, reserve: float) -> None:
    """Compiled images/s (CUDA graphs on a GPU): compile time, and whether torch used the graphs."""
    skipped = []
    for net, precision, bn_batch in modes:
        if not check.fits("compile", reserve=reserve):
            skipped.append(_mode_name(net, precision, bn_batch, True))
            continue
        _bench_one(check, net, precision, bn_batch, compiled=True)
    _write_bench(check)
    wanted = {_mode_name(*mode, True) for mode in modes}
    rows = [r for r in check.bench_rows if _row_name(r) in wanted]
    note = f"\n\nNot measured (time): {', '.join(skipped)}" if skipped else ""
    if modes and not rows:
        note += "\n\nNo compiled measurement fitted the time left."
    check.section(title, _bench_table(rows) + note)


def stage_jobs(check: Check) -> None:
    """The same short runs with --jobs 1 and --jobs N, on one device: total images/s."""
    plan = check.plan
    rows = []
    for jobs in (1, plan.jobs):
        if not check.fits("jobs", reserve=check.plan.estimates["list"] + EXIT_S):
            break
        results = check.work / f"jobs{jobs}"
        args = [
            "run",
            "table6",
            "--only",
            "resnet-20",
            "--profile",
            plan.run_profile,
            "--seeds",
            str(plan.jobs),
            "--results",
            str(results),
            "--jobs",
            str(jobs),
            *_sets(plan.short_run),
        ]
        code, output, wall = check.cli(*args, timeout=max(check.left() - 60, 30))
        runs = _finished_runs(results)
        images = sum(r["iterations"] * r["batch"] for r in runs)
        rows.append(
            {
                "jobs": jobs,
                "runs": len(runs),
                "exit": code,
                "wall_s": round(wall, 1),
                "images_per_s_total": round(images / wall, 1) if runs else None,
                "median_run_images_per_s": _round(statistics.median([r["rate"] for r in runs])) if runs else None,
            }
        )
        check.say(f"--jobs {jobs}: exit {code}, {wall:.1f} s, {len(runs)} runs")
        if code != 0:
            rows[-1]["error"] = output.strip().splitlines()[-1][:200] if output.strip() else ""
    _write_csv(check.out / "jobs.csv", rows)
    if len(rows) == 2 and rows[0]["images_per_s_total"] and rows[1]["images_per_s_total"]:
        check.facts["jobs_speedup"] = rows[1]["images_per_s_total"] / rows[0]["images_per_s_total"]
    check.section(
        f"`run --jobs {plan.jobs}` against `--jobs 1`",
        _markdown_table(rows) + "\n\nThe same runs "
        f"(ResNet-20, {plan.jobs} seeds, the short schedule {' '.join(plan.short_run) or 'of the profile'}); "
        "wall time of the whole command, process start-up and data loading included.",
    )


def stage_full_run(check: Check) -> None:
    """The paper-recipe run, end to end if it fits; else stopped cleanly and extrapolated from its steady state."""
    plan = check.plan
    compiled = _compile_pays(check)
    results = check.work / "full"
    args = ["run", *plan.full_run, "--results", str(results)] + (["--compile"] if compiled else [])
    # All the time the later stages can spare; they shrink first, down to this run's minimum.
    allowed = max(
        check.left() - check.reserve_after_full_run(),
        min(plan.estimates["full-run"], check.left() - plan.estimates["list"] - EXIT_S),
    )
    if allowed < plan.estimates["full-run"]:
        check.section(
            "The paper-recipe run",
            f"Not run: {allowed:.0f} s left, it needs at least {plan.estimates['full-run']} s to reach a steady state.",
        )
        return
    command = [
        sys.executable,
        "-m",
        "resnet_repro",
        *args,
        "--data-dir",
        str(check.data_dir),
        "--device",
        str(check.device),
    ]
    check.say(f"paper-recipe run: {shlex.join(args)} (allowed {allowed:.0f} s)")
    log = open(check.work / "full_run.log", "w")
    start = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"},
    )
    stopped = False
    while process.poll() is None:
        time.sleep(1)
        if time.monotonic() - start > allowed and not stopped:
            process.send_signal(signal.SIGTERM)  # finishes the iteration and checkpoints
            stopped = True
            check.say("paper-recipe run: time is up, SIGTERM sent")
        if stopped and time.monotonic() - start > allowed + 45:
            process.kill()
    wall = time.monotonic() - start
    log.close()
    metrics = next(results.glob("runs/**/metrics.csv"), None)
    rows = _read_csv(metrics) if metrics else []
    final = _read_json_file(next(results.glob("runs/**/final.json"), None))
    if metrics:
        _write_text(check.out / "full_run_metrics.csv", metrics.read_text())
    summary = _extrapolate(rows, plan.full_iterations, wall)
    finished = bool(final and final.get("status") == "finished")
    summary.update(
        {
            "command": "resnet-repro " + shlex.join(args),
            "compiled": compiled,
            "exit": process.returncode,
            "finished": finished,
            "end_to_end_s": wall if finished else summary.get("projected_s"),
            "cuda_graphs": (final or {}).get("cuda_graphs") or _graphs_from_log(check.work / "full_run.log", compiled),
        }
    )
    check.facts["full_run"] = summary
    lines = [f"- `{summary['command']}` on generated CIFAR-format data, {'--compile' if compiled else 'eager'}"]
    if summary["finished"]:
        lines.append(
            f"- finished all {plan.full_iterations} iterations: **{wall:.0f} s end to end** "
            f"({wall / 60:.1f} min), training {summary['elapsed_s']:.0f} s"
        )
    else:
        lines.append(
            f"- stopped at iteration {summary.get('iteration', 0)} of {plan.full_iterations} after "
            f"{wall:.0f} s (time budget of this check), exit {process.returncode}"
        )
        if summary.get("projected_s"):
            lines.append(
                f"- **extrapolated** end to end: {summary['projected_s']:.0f} s "
                f"({summary['projected_s'] / 60:.1f} min) = start-up {summary['startup_s']:.0f} s + "
                f"{summary['elapsed_s']:.0f} s trained + {summary['remaining_iterations']} iterations at "
                f"the measured {summary['wall_ms_per_iteration']:.2f} ms each (evaluations and checkpoints "
                f"included)"
            )
    if summary.get("steady_images_per_s"):
        lines.append(
            f"- steady-state training: {summary['steady_images_per_s']:.0f} img/s (median of the logged "
            f"windows after the first {summary['skipped_rows']})"
        )
    lines.append(f"- CUDA graphs: {summary['cuda_graphs']}")
    if not rows:
        lines.append(
            "- no metrics were written; the end of its output:\n\n```\n"
            + _tail(check.work / "full_run.log", 15)
            + "\n```"
        )
    check.section("The paper-recipe run", "\n".join(lines))


def stage_list(check: Check) -> None:
    """`resnet-repro list` on these results: each CIFAR target's estimated time on this device."""
    _write_bench(check)
    code, output, _ = check.cli("list", "--results", str(check.results), timeout=60)
    _write_text(check.out / "list.txt", output)
    check.section("`resnet-repro list` (estimates from this bench)", "```\n" + output.strip()[-3000:] + "\n```")


# ---- helpers of the stages ------------------------------------------------------------------------------


def _bench_one(
    check: Check,
    net: str,
    precision: str,
    bn_batch: int | None,
    compiled: bool,
    channels_last: bool = True,
    deterministic: bool = False,
) -> dict | None:
    name = _mode_name(net, precision, bn_batch, compiled, channels_last, deterministic)
    try:
        result = measure(
            net,
            check.device,
            BenchSettings(
                _batch(check),
                check.plan.bench_iterations,
                precision=precision,
                compile=compiled,
                compile_backend=check.plan.compile_backend,
                bn_batch=bn_batch,
                images=10_000 if check.plan is FULL else 256,
                eval_batch_size=500 if check.plan is FULL else 32,
                channels_last=channels_last,
                deterministic=deterministic,
            ),
        )
    except Exception as error:  # one failing mode must not end the check: record it and go on
        check.say(f"{name}: FAILED {type(error).__name__}: {error}")
        check.bench_rows.append(
            {
                "model": net,
                "precision": precision,
                "compiled": compiled,
                "bn_batch": bn_batch,
                "channels_last": channels_last,
                "deterministic": deterministic,
                "error": f"{type(error).__name__}: {str(error)[:200]}",
            }
        )
        return None
    row = {**dataclasses.asdict(result), "device": describe_device(check.device)}
    check.bench_rows.append(row)
    check.say(
        f"{name}: {result.train_images_per_s:.0f} img/s train, {result.model_images_per_s:.0f} model step, "
        f"{result.eval_images_per_s:.0f} eval, {result.peak_memory_mb:.0f} MiB, warm-up {result.warmup_s:.1f} s, "
        f"CUDA graphs {result.cuda_graphs}"
    )
    if check.device.type == "cuda":
        torch.cuda.empty_cache()
    return row


def _rate(check: Check, net: str, precision: str, bn_batch, compiled: bool) -> float | None:
    for row in check.bench_rows:
        if (
            (row["model"], row["precision"], row["bn_batch"], row["compiled"]) == (net, precision, bn_batch, compiled)
            and row["channels_last"]
            and not row["deterministic"]
        ):
            return row.get("train_images_per_s")
    return None


def _compile_pays(check: Check) -> bool:
    """--compile for the paper-recipe run only if it measured faster than eager on the same net and mode."""
    if check.plan.compile_backend != "inductor":
        return False
    net, precision, bn_batch = check.plan.compile_first
    eager, compiled = _rate(check, net, precision, bn_batch, False), _rate(check, net, precision, bn_batch, True)
    return bool(eager and compiled and compiled > 1.05 * eager)


def _training_parts(check: Check, net: str, device: torch.device, seed: int = 0):
    """A run's state (fp32, channels_last, lr 0.1) for `net`, and training batches for it."""
    images = 5 * check.plan.train_per_batch
    data = _cifar_like(min(images, 10_000))
    torch.manual_seed(seed)
    state = train_state(build_model(net), device, StepSpec(0.1))
    stream = TrainStream(data, _batch(check), 4, True, seed, device, True)
    return state, stream


def _sgd_step(state: TrainState):
    """The step's forward, backward and update (as train/state.py's `step`), returning the batch's loss."""

    def step(x, y):
        with state.autocast():
            loss = F.cross_entropy(state.step_model(x).float(), y)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        state.optimizer.step()
        return loss.detach()

    return step


def _gpu_vs_cpu(check: Check) -> list[dict]:
    """The same init and the same batches on the CPU and on the device, fp32 (IEEE) on both."""
    plan = check.plan
    cpu = torch.device("cpu")
    on_cpu, stream = _training_parts(check, plan.compare_net, cpu)
    torch.manual_seed(0)
    model_dev = build_model(plan.compare_net)
    model_dev.load_state_dict(on_cpu.model.state_dict())
    step_cpu, step_dev = _sgd_step(on_cpu), _sgd_step(train_state(model_dev, check.device, StepSpec(0.1)))
    rows = []
    for i in range(plan.compare_steps):
        x, y = stream.batch(i)
        loss_cpu = float(step_cpu(x, y))
        loss_dev = float(step_dev(x.to(check.device), y.to(check.device)))
        rows.append(
            {
                "check": "gpu_vs_cpu_loss",
                "item": f"{plan.compare_net} iteration {i + 1}",
                "value": f"cpu {loss_cpu:.7f}, device {loss_dev:.7f}",
                "difference": f"{abs(loss_cpu - loss_dev) / abs(loss_cpu):.2e} relative",
            }
        )
    worst = max(float(r["difference"].split()[0]) for r in rows)
    check.facts["gpu_vs_cpu"] = worst
    check.say(f"GPU vs CPU: largest relative loss difference over {plan.compare_steps} iterations {worst:.2e}")
    return rows


def _memory(check: Check) -> list[dict]:
    """Peak allocated memory of one training step, with and without activation checkpointing."""
    plan = check.plan
    rows = []
    if check.device.type != "cuda":
        return [{"check": "memory", "item": plan.memory_net, "value": "n/a on the CPU", "difference": ""}]
    for checkpointed in (False, True):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(check.device)
        base = torch.cuda.memory_allocated(check.device)
        torch.manual_seed(0)
        model = build_model(plan.memory_net, layers=Layers(activation_checkpointing=checkpointed))
        state = train_state(model, check.device, StepSpec(0.1))
        x = torch.randn(plan.memory_batch, 3, 32, 32, device=check.device).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 10, (plan.memory_batch,), device=check.device)
        start = time.perf_counter()
        for _ in range(2):  # the second step holds momentum buffers too
            _sgd_step(state)(x, y)
        torch.cuda.synchronize(check.device)
        seconds = (time.perf_counter() - start) / 2
        peak = (torch.cuda.max_memory_allocated(check.device) - base) / 2**20
        label = "checkpointed per block" if checkpointed else "plain"
        rows.append(
            {
                "check": "memory",
                "item": f"{plan.memory_net} batch {plan.memory_batch}, {label}",
                "value": f"{peak:.0f} MiB peak allocated",
                "difference": f"{seconds * 1e3:.0f} ms/step",
            }
        )
        check.facts[f"memory_{'checkpointed' if checkpointed else 'plain'}_mib"] = peak
        check.say(f"memory {plan.memory_net} {label}: {peak:.0f} MiB")
        del model, state, x, y
    torch.cuda.empty_cache()
    return rows


def _resume(check: Check) -> list[dict]:
    """A short run killed after a checkpoint and resumed, against the same run uninterrupted (twice: the
    second uninterrupted run shows how far two identical runs on this device differ)."""
    plan = check.plan
    base = ["run", "table6", "--only", "resnet-20", "--profile", plan.run_profile, *_sets(plan.resume_run)]
    folders = {name: check.work / f"resume-{name}" for name in ("whole", "killed", "again")}
    check.cli(*base, "--results", str(folders["whole"]), timeout=120)
    code_killed, _, _ = check.cli(
        *base, "--results", str(folders["killed"]), env={"RESNET_REPRO_FAULT": plan.resume_fault}, timeout=120
    )
    code_resumed, output, _ = check.cli(*base, "--results", str(folders["killed"]), timeout=120)
    whole, resumed = _metric_rows(folders["whole"]), _metric_rows(folders["killed"])
    rows = [
        {
            "check": "resume",
            "item": f"killed at {plan.resume_fault} (exit {code_killed}), resumed (exit {code_resumed})",
            "value": f"{len(resumed)} rows vs {len(whole)}",
            "difference": _rows_difference(whole, resumed),
        }
    ]
    if rows[0]["difference"] != "identical":  # is it the resume, or does the device differ run to run?
        check.cli(*base, "--results", str(folders["again"]), timeout=120)
        rows.append(
            {
                "check": "resume",
                "item": "two uninterrupted runs (same seed)",
                "value": "",
                "difference": _rows_difference(whole, _metric_rows(folders["again"])),
            }
        )
    check.facts["resume"] = rows[0]["difference"]
    check.say(f"resume: {rows[0]['difference']}")
    if code_resumed != 0:
        rows[0]["value"] += "; " + output.strip().splitlines()[-1][:200]
    return rows


def _metric_rows(results: Path) -> list[dict]:
    path = next(results.glob("runs/**/metrics.csv"), None)
    return _read_csv(path) if path else []


def _rows_difference(a: list[dict], b: list[dict]) -> str:
    """'identical', or the largest relative difference of any metric (timing columns aside)."""
    if not a or not b or len(a) != len(b):
        return f"different row counts ({len(a)} vs {len(b)})"
    worst, where = 0.0, ""
    for row_a, row_b in zip(a, b):
        for key in row_a:
            if key in ("images_per_s", "elapsed_s") or row_a[key] == row_b.get(key):
                continue
            try:
                va, vb = float(row_a[key]), float(row_b[key])
            except (TypeError, ValueError):
                return f"{key} differs at iteration {row_a.get('iteration')}"
            relative = abs(va - vb) / max(abs(va), 1e-12)
            if relative > worst:
                worst, where = relative, f"{key} at iteration {row_a.get('iteration')}"
    return "identical" if not where else f"largest relative difference {worst:.2e} ({where})"


def _finished_runs(results: Path) -> list[dict]:
    runs = []
    for metrics in results.glob("runs/**/metrics.csv"):
        rows = _read_csv(metrics)
        final = _read_json_file(metrics.parent / "final.json")
        if not rows or not final or final.get("status") != "finished":
            continue
        config = (metrics.parent / "config.yaml").read_text()
        batch = int(next(line.split(":")[1] for line in config.splitlines() if line.strip().startswith("batch_size")))
        rates = [float(r["images_per_s"]) for r in rows[1:] if r.get("images_per_s")] or [
            float(rows[0]["images_per_s"])
        ]
        runs.append({"iterations": int(final["iterations"]), "batch": batch, "rate": statistics.median(rates)})
    return runs


def _extrapolate(rows: list[dict], total_iterations: int, wall: float) -> dict:
    """Steady-state time per iteration from the logged rows (evaluations and checkpoints included), and the
    end-to-end time it projects."""
    if len(rows) < 3:
        return {"iteration": int(float(rows[-1]["iteration"])) if rows else 0}
    skip = min(5, len(rows) - 2)  # the first windows hold compilation and cuDNN's search
    first, last = rows[skip], rows[-1]
    iterations = [int(float(r["iteration"])) for r in (first, last)]
    elapsed = [float(r["elapsed_s"]) for r in (first, last)]
    per_iteration = (elapsed[1] - elapsed[0]) / max(iterations[1] - iterations[0], 1)
    remaining = total_iterations - iterations[1]
    startup = max(wall - elapsed[1], 0.0) if remaining > 0 else max(wall - elapsed[1], 0.0)
    rates = [float(r["images_per_s"]) for r in rows[skip:] if r.get("images_per_s")]
    return {
        "iteration": iterations[1],
        "elapsed_s": elapsed[1],
        "startup_s": startup,
        "wall_ms_per_iteration": per_iteration * 1e3,
        "remaining_iterations": remaining,
        "projected_s": startup + elapsed[1] + remaining * per_iteration,
        "steady_images_per_s": statistics.median(rates) if rates else None,
        "skipped_rows": skip,
    }


def _graphs_from_log(log: Path, compiled: bool) -> str:
    if not compiled:
        return "off (eager run)"
    text = log.read_text(errors="replace") if log.exists() else ""
    marker = "torch.compile trains without CUDA graphs"
    return "skipped (see full_run.log)" if marker in text else "used (no skip reported before the stop)"


def _goals_table(facts: dict) -> str:
    """The goals, each met, missed or not measured, from the figures gathered so far."""
    rows = []
    run = facts.get("full_run") or {}
    r56 = run.get("end_to_end_s")
    rows.append(
        (
            "paper-recipe ResNet-56 under 5 min",
            r56,
            300,
            f"{r56 / 60:.1f} min{'' if run.get('finished') else ' (extrapolated)'}" if r56 else None,
        )
    )
    r110 = facts.get("resnet110_estimate_s")
    rows.append(
        ("paper-recipe ResNet-110 under 10 min", r110, 600, f"{r110 / 60:.1f} min (estimated)" if r110 else None)
    )
    ratio = facts.get("best_ratio")
    rows.append(
        (
            "at least 5x the common alternative",
            None if ratio is None else -ratio,
            -5,
            f"{ratio:.1f}x ({facts.get('best_ratio_how', '')})" if ratio else None,
        )
    )
    graphs = run.get("cuda_graphs") or facts.get("cuda_graphs")
    memory = facts.get("memory_checkpointed_mib")
    lines = ["| goal | measured | met |", "|---|---|---|"]
    for goal, value, limit, shown in rows:
        lines.append(
            f"| {goal} | {shown or 'not measured'} | "
            f"{'' if value is None else ('yes' if value <= limit else '**no**')} |"
        )
    lines.append(
        f"| CUDA graphs not skipped under --compile | {graphs or 'not measured'} | "
        f"{'' if not graphs else ('yes' if str(graphs).startswith('used') else '**no**')} |"
    )
    lines.append(
        f"| ResNet-1202 with checkpointing under 6 GB | "
        f"{f'{memory:.0f} MiB' if memory else 'not measured'} | "
        f"{'' if not memory else ('yes' if memory < 6 * 1024 else '**no**')} |"
    )
    return "\n".join(lines)


def _derive_goals(check: Check) -> None:
    """Figures the goals need that come from several stages: the best ratio, ResNet-110's time."""
    alternative = check.facts.get("alternative") or {}
    best = None
    for net, theirs in alternative.items():
        for row in check.bench_rows:
            if (
                row.get("model") == net
                and row.get("precision") in ("fp32", "tf32")
                and row.get("train_images_per_s")
                and not row.get("deterministic")
            ):
                ratio = row["train_images_per_s"] / theirs
                if best is None or ratio > best[0]:
                    best = (ratio, f"{net}, ours {_row_name(row)}")
    if best:
        check.facts["best_ratio"], check.facts["best_ratio_how"] = best
    graphs = [r["cuda_graphs"] for r in check.bench_rows if r.get("compiled") and r.get("cuda_graphs")]
    if graphs:
        check.facts["cuda_graphs"] = graphs[0]
    run = check.facts.get("full_run") or {}
    per_iteration_56 = run.get("wall_ms_per_iteration")
    _, precision, bn_batch = check.plan.compile_first
    candidates = [(precision, bn_batch, bool(run.get("compiled"))), (precision, bn_batch, False), ("fp32", None, False)]
    r56 = r110 = None
    for mode in candidates:  # the two nets' ratio in the same mode, the run's own if measured
        r56, r110 = _rate(check, "resnet56", *mode), _rate(check, "resnet110", *mode)
        if r56 and r110:
            break
    if per_iteration_56 and r56 and r110 and check.plan is FULL:
        # ResNet-110's step scales ResNet-56's wall time per iteration by their measured bench ratio.
        check.facts["resnet110_estimate_s"] = run.get(
            "startup_s", 0
        ) + check.plan.full_iterations * per_iteration_56 / 1e3 * (r56 / r110)


# ---- small utilities ---------------------------------------------------------------------------------------


def _mode_name(
    net: str, precision: str, bn_batch, compiled: bool, channels_last: bool = True, deterministic: bool = False
) -> str:
    return (
        f"{net} {precision}{f' bn{bn_batch}' if bn_batch else ''}{' compiled' if compiled else ''}"
        f"{'' if channels_last else ' NCHW'}{' deterministic' if deterministic else ''}"
    )


def _row_name(row: dict) -> str:
    return _mode_name(
        row["model"], row["precision"], row["bn_batch"], row["compiled"], row["channels_last"], row["deterministic"]
    )


def _bench_table(rows: list[dict]) -> str:
    shown = []
    for r in rows:
        if "error" in r:
            shown.append({"mode": _row_name(r), "train img/s": "FAILED: " + r["error"]})
            continue
        shown.append(
            {
                "mode": _row_name(r),
                "train img/s": f"{r['train_images_per_s']:.0f}",
                "model step img/s": f"{r['model_images_per_s']:.0f}",
                "eval img/s": f"{r['eval_images_per_s']:.0f}",
                "peak MiB": f"{r['peak_memory_mb']:.0f}",
                "TFLOP/s": f"{r['achieved_tflops']:.2f}",
                "warm-up s": f"{r['warmup_s']:.1f}",
                "CUDA graphs": r["cuda_graphs"],
            }
        )
    return _markdown_table(shown)


def _write_bench(check: Check) -> None:
    rows = [r for r in check.bench_rows if "error" not in r]
    _write_csv(check.out / "bench.csv", check.bench_rows)
    _write_csv(check.results / "bench" / "bench.csv", rows)  # what `resnet-repro list` estimates from


def _markdown_table(rows: list[dict]) -> str:
    if not rows:
        return "(nothing measured)"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if row.get(c) is None else str(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def _write_csv(path: Path, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    _write_text(path, buffer.getvalue())


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _read_json_file(path: Path | None) -> dict | None:
    import json

    try:
        return json.loads(path.read_text()) if path else None
    except (OSError, ValueError):
        return None


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _run_text(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"({command[0]}: {error})"


def _cifar_like(count: int) -> ImageSet:
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (count, 3, 32, 32), generator=generator, dtype=torch.uint8).numpy()
    labels = torch.randint(0, 10, (count,), generator=generator).numpy()
    return ImageSet(images, labels)


def _sets(pairs: tuple[str, ...]) -> list[str]:
    return [part for pair in pairs for part in ("--set", pair)]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _batch(check: Check) -> int:
    return 128 if check.plan is FULL else 16  # the paper's batch; tiny nets on a CPU in the dry run


def _round(value):
    return None if value is None else round(value, 1)


def _ratio(ours, theirs):
    return None if not ours or not theirs else round(ours / theirs, 2)


# ---- the whole check ------------------------------------------------------------------------------------------


def run_check(
    out: Path, device: torch.device, plan: Plan, budget_s: float, work: Path, only: set[str] | None = None
) -> Check:
    check = Check(out, work, device, plan, budget_s, only)
    e = plan.estimates
    before_full_run = check.reserve_for_full_run()
    stages = [  # most-needed first; (name, the stage, its minimum time, kept for the stages after it)
        ("machine", lambda: stage_machine(check), 0, 0),
        ("bench", lambda: stage_bench(check), 0, 0),  # checks the time per measurement
        ("variants", lambda: stage_variants(check), 0, 0),
        ("alternative", lambda: stage_alternative(check), 0, 0),
        ("checks", lambda: stage_checks(check), e["checks"], before_full_run),
        ("profile", lambda: stage_profile(check), e["profile"], before_full_run),
        (
            "compile",
            lambda: stage_compile(
                check, (plan.compile_first,), "Throughput, compiled (`--compile`)", reserve=before_full_run
            ),
            0,
            0,
        ),
        ("full-run", lambda: stage_full_run(check), 0, 0),  # takes what the later stages can spare
        ("jobs", lambda: stage_jobs(check), 0, 0),
        (
            "compile-extras",
            lambda: stage_compile(
                check, plan.compile_extras, "Throughput, compiled (more modes)", reserve=e["list"] + EXIT_S
            ),
            0,
            0,
        ),
        ("list", lambda: stage_list(check), -float("inf"), 0),  # always: seconds, and it reads the bench
    ]
    for name, stage, minimum, reserve in stages:
        if not check.runs(name):
            continue
        check.say(f"== {name} ({check.left():.0f} s left)")
        if check.left() - reserve < minimum:
            check.section(
                f"{name}: not run",
                f"{check.left():.0f} s were left; it needs about {minimum} s and "
                f"{reserve:.0f} s are kept for the paper-recipe run and what follows it.",
            )
            continue
        try:
            stage()
        except Exception:  # a stage that breaks is reported, and the next one still runs
            trace = traceback.format_exc()
            check.say(f"{name} FAILED:\n{trace}")
            check.section(f"{name}: FAILED", "```\n" + trace[-2500:] + "\n```")
        _derive_goals(check)
        check.write_summary()
    check.say(f"done in {time.monotonic() - check.started:.0f} s; summary in {out / 'summary.md'}")
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for summary.md and the CSVs (created)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--budget-s", type=float, default=470.0, help="the script ends inside this many seconds")
    parser.add_argument("--tiny", action="store_true", help="tiny nets, data and schedules: the CPU dry run")
    parser.add_argument("--work", type=Path, help="scratch folder for data and runs [default: a temporary one]")
    parser.add_argument(
        "--stages",
        help="run only these stages, comma-separated (machine always runs: it writes "
        "the data), e.g. machine,checks,jobs",
    )
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu_check_"))
    only = {"machine", *args.stages.split(",")} if args.stages else None
    run_check(args.out, device, TINY if args.tiny else FULL, args.budget_s, work, only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
