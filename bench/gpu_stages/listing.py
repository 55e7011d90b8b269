"""`resnet-repro list` on the check's results: each CIFAR target's time on this device, from its bench."""

from __future__ import annotations

from .check import Check
from .files import write_text
from .throughput import write_bench


def stage_list(check: Check) -> None:
    """`resnet-repro list` on these results: each CIFAR target's estimated time on this device."""
    write_bench(check)
    code, output, _ = check.cli("list", "--results", str(check.results), timeout=60)
    write_text(check.out / "list.txt", output)
    check.section("`resnet-repro list` (estimates from this bench)", "```\n" + output.strip()[-3000:] + "\n```")
