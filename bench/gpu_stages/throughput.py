"""Images/s of the CIFAR nets, eager and compiled, through the package's own `bench` measurement."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import torch

from resnet_repro.analysis.throughput import BenchSettings, measure
from resnet_repro.train.device import describe_device

from .check import Check
from .files import markdown_table, write_csv
from .plan import FULL


class Mode(NamedTuple):
    """What a bench row measured: its first columns, in their order."""

    model: str
    precision: str
    compiled: bool = False
    bn_batch: int | None = None
    channels_last: bool = True
    deterministic: bool = False

    @classmethod
    def of(cls, row: dict) -> Mode:
        return cls(*(row[field] for field in cls._fields))

    def name(self) -> str:
        return (
            f"{self.model} {self.precision}{f' bn{self.bn_batch}' if self.bn_batch else ''}"
            f"{' compiled' if self.compiled else ''}{'' if self.channels_last else ' NCHW'}"
            f"{' deterministic' if self.deterministic else ''}"
        )


def stage_bench(check: Check) -> None:
    """Eager images/s: fp32 (IEEE) for every table6 net, then tf32, bf16 and ghost BN for the main ones."""
    modes = [(net, "fp32", None) for net in check.plan.bench_fp32] + list(check.plan.bench_modes)
    note = bench_modes(check, modes, compiled=False, reserve=check.reserve_for_full_run())
    check.section(f"Throughput, eager (batch {batch_size(check)})", bench_table(check.bench_rows) + note)


def stage_variants(check: Check) -> None:
    """Eager images/s of the layout (NCHW against channels_last) and of deterministic kernels."""
    rows = []
    for net, precision, channels_last, deterministic in check.plan.variants:
        if not check.fits("bench", reserve=check.reserve_for_full_run()):
            break
        row = bench_one(check, Mode(net, precision, channels_last=channels_last, deterministic=deterministic))
        if row:
            rows.append(row)
    write_bench(check)
    check.section("Throughput, eager: memory layout and deterministic kernels", bench_table(rows))


def stage_compile_first(check: Check) -> None:
    """The compiled mode that decides whether the paper-recipe run compiles; the time for that run kept."""
    modes = (check.plan.compile_first,)
    stage_compile(check, modes, "Throughput, compiled (`--compile`)", reserve=check.reserve_for_full_run())


def stage_compile_extras(check: Check) -> None:
    """The other compiled modes, in the order they are wanted, as many as the time left allows (`list` kept)."""
    stage_compile(check, check.plan.compile_extras, "Throughput, compiled (more modes)", check.reserve_for_list())


def stage_compile(check: Check, modes, title: str, reserve: float) -> None:
    """Compiled images/s (CUDA graphs on a GPU): compile time, and whether torch used the graphs."""
    note = bench_modes(check, modes, compiled=True, reserve=reserve)
    wanted = {Mode(net, precision, True, bn_batch) for net, precision, bn_batch in modes}
    rows = [r for r in check.bench_rows if Mode.of(r) in wanted]
    if modes and not rows:
        note += "\n\nNo compiled measurement fitted the time left."
    check.section(title, bench_table(rows) + note)


def bench_modes(check: Check, modes, compiled: bool, reserve: float) -> str:
    """Each (net, precision, bn_batch) mode whose estimate fits the time left after `reserve`, into the bench rows
    and bench.csv; the note naming those that did not fit."""
    skipped = []
    for net, precision, bn_batch in modes:
        need = "compile" if compiled else "bench-1202" if net == "resnet1202" else "bench"
        if check.fits(need, reserve=reserve):
            bench_one(check, Mode(net, precision, compiled, bn_batch))
        else:
            skipped.append(Mode(net, precision, compiled, bn_batch).name())
    write_bench(check)
    return f"\n\nNot measured (time): {', '.join(skipped)}" if skipped else ""


def bench_one(check: Check, mode: Mode) -> dict | None:
    name = mode.name()
    try:
        result = measure(
            mode.model,
            check.device,
            BenchSettings(
                batch_size(check),
                check.plan.bench_iterations,
                precision=mode.precision,
                compile=mode.compiled,
                compile_backend=check.plan.compile_backend,
                bn_batch=mode.bn_batch,
                images=10_000 if check.plan is FULL else 256,
                eval_batch_size=500 if check.plan is FULL else 32,
                channels_last=mode.channels_last,
                deterministic=mode.deterministic,
            ),
        )
    except Exception as error:  # one failing mode must not end the check: record it and go on
        check.say(f"{name}: FAILED {type(error).__name__}: {error}")
        check.bench_rows.append({**mode._asdict(), "error": f"{type(error).__name__}: {str(error)[:200]}"})
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


def bench_rate(check: Check, mode: Mode) -> float | None:
    """Training images/s of the first bench row of `mode`, None if there is none."""
    return next((row.get("train_images_per_s") for row in check.bench_rows if Mode.of(row) == mode), None)


def compile_pays(check: Check) -> bool:
    """--compile for the paper-recipe run only if it measured faster than eager on the same net and mode."""
    if check.plan.compile_backend != "inductor":
        return False
    net, precision, bn_batch = check.plan.compile_first
    eager = bench_rate(check, Mode(net, precision, False, bn_batch))
    compiled = bench_rate(check, Mode(net, precision, True, bn_batch))
    return bool(eager and compiled and compiled > 1.05 * eager)


def bench_table(rows: list[dict]) -> str:
    shown = []
    for r in rows:
        if "error" in r:
            shown.append({"mode": Mode.of(r).name(), "train img/s": "FAILED: " + r["error"]})
            continue
        shown.append(
            {
                "mode": Mode.of(r).name(),
                "train img/s": f"{r['train_images_per_s']:.0f}",
                "model step img/s": f"{r['model_images_per_s']:.0f}",
                "eval img/s": f"{r['eval_images_per_s']:.0f}",
                "peak MiB": f"{r['peak_memory_mb']:.0f}",
                "TFLOP/s": f"{r['achieved_tflops']:.2f}",
                "warm-up s": f"{r['warmup_s']:.1f}",
                "CUDA graphs": r["cuda_graphs"],
            }
        )
    return markdown_table(shown)


def write_bench(check: Check) -> None:
    rows = [r for r in check.bench_rows if "error" not in r]
    write_csv(check.out / "bench.csv", check.bench_rows)
    write_csv(check.results / "bench" / "bench.csv", rows)  # what `resnet-repro list` estimates from


def batch_size(check: Check) -> int:
    return 128 if check.plan is FULL else 16  # the paper's batch; tiny nets on a CPU in the dry run
