"""--device auto|cpu|cuda[:N] -> a torch.device, with a clear error when the GPU is not there."""

from __future__ import annotations

import re

import torch

from ..basics.errors import UserError
from ..basics.words import counted


def resolve_device(text: str = "auto") -> torch.device:
    text = (text or "auto").strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if text == "cpu":
        return torch.device("cpu")
    match = re.fullmatch(r"cuda(?::(\d+))?", text)
    if not match:
        raise UserError(f"unknown device {text!r}: use auto, cpu, cuda or cuda:N")
    if not torch.cuda.is_available():
        raise UserError(
            f"--device {text} asks for a GPU, but torch sees none here (torch {torch.__version__}, "
            f"CUDA build: {torch.version.cuda or 'no'}); use --device cpu or auto"
        )
    index = int(match.group(1) or 0)
    if index >= torch.cuda.device_count():
        raise UserError(
            f"--device {text}: this machine has {counted(torch.cuda.device_count(), 'GPU')}, numbered from 0"
        )
    return torch.device("cuda", index)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    import platform

    return f"CPU ({platform.processor() or platform.machine()}, {counted(torch.get_num_threads(), 'thread')})"


def resolve_job_devices(devices: str | None, device: torch.device, device_text: str = "cuda") -> list[torch.device]:
    """--devices 0,1,... -> the GPUs `run --jobs` spreads runs over; without it, the one --device (`device_text` as
    given: a GPU it names by number would be left unused, unseen, by --devices)."""
    if not devices:
        return [device]
    if re.fullmatch(r"cuda:\d+", (device_text or "").strip().lower()):
        raise UserError(
            f"--device {device_text.strip()} names one GPU, --devices {devices} the GPUs to spread runs over; give "
            f"--device cuda with --devices, or leave --devices out"
        )
    if device.type != "cuda":
        if not torch.cuda.is_available():  # --device cuda would fail in turn: the one way is without --devices
            raise UserError(
                f"--devices {devices} spreads runs over GPUs, but torch sees none here; leave --devices out"
            )
        raise UserError(
            f"--devices {devices} spreads runs over GPUs, but the device is {device}; leave --devices "
            f"out, or use --device cuda"
        )
    try:
        indices = [int(part) for part in devices.split(",") if part.strip()]
    except ValueError:
        raise UserError(f"--devices {devices!r}: give GPU numbers separated by commas, e.g. --devices 0,1") from None
    count = torch.cuda.device_count()
    wrong = [i for i in indices if not 0 <= i < count]
    if not indices or wrong:
        raise UserError(f"--devices {devices}: this machine has {counted(count, 'GPU')}, numbered 0 to {count - 1}")
    if len(set(indices)) != len(indices):
        raise UserError(f"--devices {devices} names a GPU twice; to put several runs on one GPU, raise --jobs")
    return [torch.device("cuda", i) for i in indices]
