"""Correctness on the device: GPU against CPU losses, activation checkpointing's memory, resume exactness."""

from __future__ import annotations

import time
from pathlib import Path

import torch

from resnet_repro.models import Layers, build_model
from resnet_repro.train.schedule import FixedLR
from resnet_repro.train.state import StepSpec, step, train_state

from .check import Check
from .files import markdown_table, read_csv, write_csv
from .training import step_loss, training_parts


def stage_checks(check: Check) -> None:
    """GPU vs CPU losses, resume exactness on the device, ResNet-1202's memory with and without checkpointing."""
    rows = gpu_vs_cpu_rows(check) + memory_rows(check) + resume_rows(check)
    write_csv(check.out / "checks.csv", rows)
    check.section("Correctness on the device", markdown_table(rows))


def gpu_vs_cpu_rows(check: Check) -> list[dict]:
    """The same init and the same batches on the CPU and on the device, fp32 (IEEE) on both."""
    plan = check.plan
    cpu = torch.device("cpu")
    on_cpu, stream = training_parts(check, plan.compare_net, cpu)
    torch.manual_seed(0)
    model_dev = build_model(plan.compare_net)
    model_dev.load_state_dict(on_cpu.model.state_dict())
    on_device = train_state(model_dev, check.device, StepSpec(), FixedLR(0.1))
    rows = []
    for i in range(plan.compare_steps):
        x, y = stream.batch(i)
        loss_cpu = step_loss(on_cpu, x, y)
        loss_dev = step_loss(on_device, x.to(check.device), y.to(check.device))
        value = f"cpu {loss_cpu:.7f}, device {loss_dev:.7f}"
        difference = f"{abs(loss_cpu - loss_dev) / abs(loss_cpu):.2e} relative"
        rows.append(check_row("gpu_vs_cpu_loss", f"{plan.compare_net} iteration {i + 1}", value, difference))
    worst = max(float(r["difference"].split()[0]) for r in rows)
    check.facts["gpu_vs_cpu"] = worst
    check.say(f"GPU vs CPU: largest relative loss difference over {plan.compare_steps} iterations {worst:.2e}")
    return rows


def memory_rows(check: Check) -> list[dict]:
    """Peak allocated memory of one training step, with and without activation checkpointing."""
    plan = check.plan
    if check.device.type != "cuda":
        return [check_row("memory", plan.memory_net, "n/a on the CPU")]
    rows = []
    for checkpointed in (False, True):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(check.device)
        base = torch.cuda.memory_allocated(check.device)
        torch.manual_seed(0)
        model = build_model(plan.memory_net, layers=Layers(activation_checkpointing=checkpointed))
        state = train_state(model, check.device, StepSpec(), FixedLR(0.1))
        x = torch.randn(plan.memory_batch, 3, 32, 32, device=check.device).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 10, (plan.memory_batch,), device=check.device)
        start = time.perf_counter()
        for _ in range(2):  # the second step holds momentum buffers too
            step(state, x, y)
        torch.cuda.synchronize(check.device)
        seconds = (time.perf_counter() - start) / 2
        peak = (torch.cuda.max_memory_allocated(check.device) - base) / 2**20
        label = "checkpointed per block" if checkpointed else "plain"
        item = f"{plan.memory_net} batch {plan.memory_batch}, {label}"
        rows.append(check_row("memory", item, f"{peak:.0f} MiB peak allocated", f"{seconds * 1e3:.0f} ms/step"))
        check.facts[f"memory_{'checkpointed' if checkpointed else 'plain'}_mib"] = peak
        check.say(f"memory {plan.memory_net} {label}: {peak:.0f} MiB")
        del model, state, x, y
    torch.cuda.empty_cache()
    return rows


def resume_rows(check: Check) -> list[dict]:
    """A short run killed after a checkpoint and resumed, against the same run uninterrupted (twice: the
    second uninterrupted run shows how far two identical runs on this device differ)."""
    plan = check.plan
    base = plan.resnet20_run(plan.resume_run)
    folders = {name: check.work / f"resume-{name}" for name in ("whole", "killed", "again")}
    check.cli(*base, "--results", str(folders["whole"]), timeout=120)
    code_killed, _, _ = check.cli(
        *base, "--results", str(folders["killed"]), env={"RESNET_REPRO_FAULT": plan.resume_fault}, timeout=120
    )
    code_resumed, output, _ = check.cli(*base, "--results", str(folders["killed"]), timeout=120)
    whole, resumed = metric_rows(folders["whole"]), metric_rows(folders["killed"])
    item = f"killed at {plan.resume_fault} (exit {code_killed}), resumed (exit {code_resumed})"
    rows = [check_row("resume", item, f"{len(resumed)} rows vs {len(whole)}", rows_difference(whole, resumed))]
    if rows[0]["difference"] != "identical":  # is it the resume, or does the device differ run to run?
        check.cli(*base, "--results", str(folders["again"]), timeout=120)
        again = rows_difference(whole, metric_rows(folders["again"]))
        rows.append(check_row("resume", "two uninterrupted runs (same seed)", "", again))
    check.facts["resume"] = rows[0]["difference"]
    check.say(f"resume: {rows[0]['difference']}")
    if code_resumed != 0:
        rows[0]["value"] += "; " + output.strip().splitlines()[-1][:200]
    return rows


def check_row(kind: str, item: str, value: str, difference: str = "") -> dict:
    """A row of checks.csv."""
    return {"check": kind, "item": item, "value": value, "difference": difference}


def metric_rows(results: Path) -> list[dict]:
    path = next(results.glob("runs/**/metrics.csv"), None)
    return read_csv(path) if path else []


def rows_difference(a: list[dict], b: list[dict]) -> str:
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
