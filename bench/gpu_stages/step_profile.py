"""Where an eager step's time goes: GPU busy time against wall time, and the top kernels (torch.profiler)."""

from __future__ import annotations

import time

import torch

from resnet_repro.train.state import step

from .check import Check
from .files import write_text
from .training import sync, training_parts


def stage_profile(check: Check) -> None:
    """Where an eager step's time goes: GPU busy time against wall time, and the top kernels."""
    plan = check.plan
    net = plan.profile_net
    state, stream = training_parts(check, net, check.device)
    for i in range(5):
        step(state, *stream.batch(i))
    sync(check.device)
    activities = [torch.profiler.ProfilerActivity.CPU]
    if check.device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as profiler:
        start = time.perf_counter()
        for i in range(plan.profile_steps):
            step(state, *stream.batch(5 + i))
        sync(check.device)
        wall_us = (time.perf_counter() - start) * 1e6
    kernels: dict[str, list[float]] = {}
    for event in profiler.events():
        if check.device.type == "cuda" and event.device_type == torch.autograd.DeviceType.CUDA:
            kernels.setdefault(event.name, []).append(event.time_range.elapsed_us())
    busy_us = sum(sum(times) for times in kernels.values())
    wall_ms, busy_ms = wall_us / plan.profile_steps / 1e3, busy_us / plan.profile_steps / 1e3
    launches = sum(len(times) for times in kernels.values()) / plan.profile_steps
    top = sorted(kernels.items(), key=lambda item: -sum(item[1]))[:12]
    busy = "no GPU: kernel time n/a"
    if check.device.type == "cuda":
        busy = f"GPU kernels busy {busy_ms:.2f} ms/step ({100 * busy_us / wall_us:.0f}% of wall), "
        busy += f"{launches:.0f} kernels per step"
    lines = [
        f"{net}, fp32 eager, batch {stream.batch_size}, {plan.profile_steps} steps: wall {wall_ms:.2f} ms/step, {busy}"
    ]
    lines += [
        f"{100 * sum(times) / max(busy_us, 1e-9):5.1f}%  {len(times) // plan.profile_steps:4d}/step  {name[:110]}"
        for name, times in top
    ]
    check.facts["profile"] = {"wall_ms": wall_ms, "busy_ms": busy_ms, "kernels": launches}
    write_text(check.out / "profile.txt", "\n".join(lines) + "\n")
    check.section(
        "Where an eager step's time goes",
        "```\n" + "\n".join(lines[:8]) + "\n```\n\n(full list: "
        "profile.txt) With the GPU busy for only part of the wall time, the rest is the host launching "
        "kernels one by one: what CUDA graphs (`--compile`) remove.",
    )
