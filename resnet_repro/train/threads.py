"""CPU threads: no more than the cores other work leaves free.

oneDNN splits every convolution evenly over its threads and waits for the slowest, so one thread
on a core that another process keeps busy stalls them all: measured on 2 cores with one busy,
ResNet-20 trains at 86 img/s on 2 threads and 439 img/s on 1. Before training on a CPU we sample
how busy the cores are and use only the free ones, again at every run's start, and follow the
machine while a run trains (`FreeCoreWatch`). OMP_NUM_THREADS, when set, is the user's choice and
wins (torchrun sets it to 1 for each of its processes).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import torch

from ..basics.words import counted

# torch's own choice before we change it: the physical cores (set_num_threads would hide it later).
DEFAULT_THREADS = torch.get_num_threads()


def choose_threads(
    jobs: int, allowed_cores: int, busy_cores: float, torch_default: int, user_choice: str | None
) -> int:
    """Threads for each of `jobs` processes: the user's OMP_NUM_THREADS, else the free cores shared out."""
    if user_choice and user_choice.strip().isdigit() and int(user_choice) > 0:
        return int(user_choice)
    free = max(1, int(allowed_cores - busy_cores + 0.5))  # a core more than half busy counts as busy
    return max(1, min(torch_default, free) // jobs)  # torch's default: the physical cores, not hyperthreads


def busy_cores(sample_s: float = 0.2) -> float:
    """How many of the cores this process may use other processes keep busy, from the per-CPU lines of
    /proc/stat over `sample_s` (0 where unknown). Load on CPUs outside our affinity mask is not ours to avoid."""
    try:
        total_a, idle_a = _jiffies()
        time.sleep(sample_s)
        total_b, idle_b = _jiffies()
    except (OSError, ValueError, IndexError):
        return 0.0
    elapsed = total_b - total_a
    if elapsed <= 0:
        return 0.0
    return (1 - (idle_b - idle_a) / elapsed) * len(_allowed_cpu_ids())


def _jiffies() -> tuple[int, int]:
    """(all, idle + iowait) clock ticks since boot, summed over the CPUs this process may use."""
    cpus = {f"cpu{i}" for i in _allowed_cpu_ids()}
    total = idle = 0
    with open("/proc/stat") as handle:
        for line in handle:
            name, *fields = line.split()
            if name in cpus:
                values = [int(v) for v in fields[:8]]
                total += sum(values)
                idle += values[3] + values[4]
    return total, idle


def _allowed_cpu_ids() -> set[int]:
    if hasattr(os, "sched_getaffinity"):
        return set(os.sched_getaffinity(0))
    return set(range(os.cpu_count() or 1))


def allowed_cores() -> int:
    return len(_allowed_cpu_ids())


def cpu_threads(jobs: int) -> int:
    """Threads for each of `jobs` CPU processes (`run --jobs`)."""
    user = os.environ.get("OMP_NUM_THREADS")
    return choose_threads(jobs, allowed_cores(), 0.0 if user else busy_cores(), DEFAULT_THREADS, user)


@dataclass
class CpuTimes:
    """Seconds since boot: every allowed core's busy time summed, this process's CPU time, the wall clock."""

    busy: float
    own: float
    wall: float


def read_cpu_times() -> CpuTimes | None:
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    try:
        total, idle = _jiffies()
    except (OSError, ValueError, IndexError):
        return None
    own = os.times()
    return CpuTimes((total - idle) / ticks, own.user + own.system, time.monotonic())


class FreeCoreWatch:
    """Follows the cores other work leaves free while one run trains on this CPU.

    At each log point, and every LOOK_EVERY_S between them, it compares the machine's busy time with this
    process's own CPU time since the last look (no sleeping: the time between looks is the sample), so it
    sees other work arrive and leave. The thread count changes only when the better count differs by a
    factor of 1.5 or more for two looks in a row: oneDNN's rounding depends on the thread count, so a run
    keeps its count unless the gain is large (a thread on a busy core stalls the others; a free core left
    idle halves the speed on two). Each change is said in the output. OMP_NUM_THREADS, when set, is never
    overridden.
    """

    MIN_WINDOW_S = 2.0  # shorter samples mistake a blip for a trend
    LOOKS = 2
    LARGE = 1.5
    LOOK_EVERY_S = 15.0  # between log points too: a run that other work slows reaches its next log point late

    def __init__(
        self,
        say: Callable[[str], None],
        user_choice: str | None = None,
        cores: int | None = None,
        default: int = DEFAULT_THREADS,
        read: Callable[[], CpuTimes | None] = read_cpu_times,
        set_threads: Callable[[int], None] = torch.set_num_threads,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.say, self.read, self.set_threads, self.clock = say, read, set_threads, clock
        self.looked_at = clock()
        self.user_choice = user_choice if user_choice is not None else os.environ.get("OMP_NUM_THREADS")
        self.cores = cores if cores is not None else allowed_cores()
        self.default = default
        self.threads = torch.get_num_threads()
        self.last: CpuTimes | None = None
        self.wanted: list[int] = []
        self.started = False  # a run has started: a later run's count is said where it differs from the last one

    def start_run(self, busy: float | None = None) -> int:
        """At a run's start: a fresh sample (0.2 s) decides the count outright. The count is said where it is fewer than
        usual, and at a later run's start where it differs from the count before it, so that each `CPU threads a -> b`
        line follows from the one said before."""
        if busy is None:
            busy = 0.0 if self.user_choice else busy_cores()
        threads = choose_threads(1, self.cores, busy, self.default, self.user_choice)
        chosen_here = not self.user_choice  # a count the user gave (OMP_NUM_THREADS, --threads) needs no reason
        if chosen_here and threads < self.default and (not self.started or threads != self.threads):  # once
            self.say(
                f"using {counted(threads, 'CPU thread')}: other work keeps {busy:.1f} of {self.cores} cores busy, "
                f"and a thread on a busy core stalls the others (OMP_NUM_THREADS=N overrides)"
            )
        elif chosen_here and self.started and threads != self.threads:  # back up after a count said: said too
            self.say(f"CPU threads {self.threads} -> {threads} at this run's start: a core came free")
        self.started = True
        self._use(threads)
        self.last, self.wanted, self.looked_at = self.read(), [], self.clock()
        return threads

    def look_if_due(self) -> int | None:
        """Every iteration between log points: a look once LOOK_EVERY_S have passed since the last, else only a
        clock read. Two threads sharing a core with other work can train eight times slower, and the next log
        point is then minutes away."""
        if self.user_choice or self.clock() - self.looked_at < self.LOOK_EVERY_S:
            return None
        return self.log_point()

    def log_point(self) -> int | None:
        """At a log point: the new thread count when it changed, else None."""
        if self.user_choice:
            return None
        self.looked_at = self.clock()
        now = self.read()
        if now is None or self.last is None:
            self.last = now
            return None
        window = now.wall - self.last.wall
        if window < self.MIN_WINDOW_S:
            return None
        others = max(0.0, ((now.busy - self.last.busy) - (now.own - self.last.own)) / window)
        self.last = now
        wanted = choose_threads(1, self.cores, others, self.default, None)
        self.wanted = (self.wanted + [wanted])[-self.LOOKS :]
        ratio = max(wanted, self.threads) / min(wanted, self.threads)
        if ratio < self.LARGE or len(self.wanted) < self.LOOKS or len(set(self.wanted)) != 1:
            return None
        before = self.threads
        self._use(wanted)
        self.wanted = []
        why = "a core came free" if wanted > before else f"other work now keeps {others:.1f} of {self.cores} cores busy"
        self.say(f"CPU threads {before} -> {wanted}: {why} (the last digits of the numbers follow the thread count)")
        return wanted

    def _use(self, threads: int) -> None:
        self.threads = threads
        self.set_threads(threads)
