"""The machine: device, driver and versions; and the generated CIFAR-format data every later stage reads."""

from __future__ import annotations

import os
import platform
import time

import torch

from resnet_repro.data.synthetic import write_cifar10
from resnet_repro.train.device import describe_device

from .check import Check
from .files import run_text


def stage_machine(check: Check) -> None:
    """Device, driver, versions; the generated data, written once to local disk."""
    lines = [
        f"- device: {describe_device(check.device)}",
        f"- torch {torch.__version__}, CUDA {torch.version.cuda}, "
        f"cuDNN {torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}, Python "
        f"{platform.python_version()}, {os.cpu_count()} CPU cores",
    ]
    if check.device.type == "cuda":
        smi = run_text(
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
