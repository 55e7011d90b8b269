"""CPU threads: no more than the cores other work leaves free.

oneDNN splits every convolution evenly over its threads and waits for the slowest, so one thread
on a core that another process keeps busy stalls them all: measured on 2 cores with one busy,
ResNet-20 trains at 86 img/s on 2 threads and 439 img/s on 1. Before training on a CPU we sample
how busy the cores are and use only the free ones. OMP_NUM_THREADS, when set, is the user's
choice and wins (torchrun sets it to 1 for each of its processes).
"""

from __future__ import annotations

import os
import time
from typing import Callable

import torch


def choose_threads(jobs: int, allowed_cores: int, busy_cores: float, torch_default: int,
                   user_choice: str | None) -> int:
    """Threads for each of `jobs` processes: the user's OMP_NUM_THREADS, else the free cores shared out."""
    if user_choice and user_choice.strip().isdigit() and int(user_choice) > 0:
        return int(user_choice)
    free = max(1, int(allowed_cores - busy_cores + 0.5))  # a core more than half busy counts as busy
    return max(1, min(torch_default, free) // jobs)  # torch's default: the physical cores, not hyperthreads


def busy_cores(sample_s: float = 0.2) -> float:
    """How many of the cores this process may use other processes keep busy, from the per-CPU lines of
    /proc/stat over `sample_s` (0 where unknown). Load on CPUs outside our affinity mask is not ours to avoid."""
    cpus = {f"cpu{i}" for i in _allowed_cpu_ids()}

    def snapshot() -> tuple[int, int]:
        total = idle = 0
        with open("/proc/stat") as handle:
            for line in handle:
                name, *fields = line.split()
                if name in cpus:
                    values = [int(v) for v in fields[:8]]
                    total += sum(values)
                    idle += values[3] + values[4]  # idle + iowait
        return total, idle

    try:
        total_a, idle_a = snapshot()
        time.sleep(sample_s)
        total_b, idle_b = snapshot()
    except (OSError, ValueError, IndexError):
        return 0.0
    elapsed = total_b - total_a
    if elapsed <= 0:
        return 0.0
    return (1 - (idle_b - idle_a) / elapsed) * len(cpus)


def _allowed_cpu_ids() -> set[int]:
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def allowed_cores() -> int:
    return len(_allowed_cpu_ids())


def cpu_threads(jobs: int = 1) -> tuple[int, float]:
    """(threads for each of `jobs` CPU processes, busy cores seen)."""
    user = os.environ.get("OMP_NUM_THREADS")
    busy = 0.0 if user else busy_cores()
    return choose_threads(jobs, allowed_cores(), busy, torch.get_num_threads(), user), busy


def use_free_cores(say: Callable[[str], None]) -> int:
    """Set torch's thread count for work on this CPU; say so when busy cores make it fewer than usual."""
    threads, busy = cpu_threads()
    if threads < torch.get_num_threads():
        say(f"using {threads} CPU thread(s): other work keeps {busy:.1f} of {allowed_cores()} cores busy, and a "
            f"thread on a busy core stalls the others (OMP_NUM_THREADS=N overrides)")
    torch.set_num_threads(threads)
    return threads
