"""Peak memory of one training step per model, with and without activation checkpointing: no GPU needed.

    python bench/activation_memory.py --model resnet110 --model resnet1202 [--batch-size 128]

See resnet_repro/analysis/memory.py for what is counted; results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import time

from resnet_repro.analysis.memory import step_peak_mib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="a net (repeatable) [default: resnet20, resnet56, resnet110]")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    print(f"{'model':<12}{'checkpointed':>13}{'peak MiB':>10}{'activations':>13}{'params+grads+opt':>18}{'s':>7}")
    for name in args.model or ["resnet20", "resnet56", "resnet110"]:
        for checkpointed in (False, True):
            start = time.perf_counter()
            peak = step_peak_mib(name, args.batch_size, checkpointed)
            states = peak.get("param", 0) + peak.get("grad", 0) + peak.get("opt", 0)
            print(
                f"{name:<12}{str(checkpointed):>13}{peak['total']:>10.0f}{peak.get('act', 0):>13.0f}{states:>18.1f}"
                f"{time.perf_counter() - start:>7.1f}"
            )


if __name__ == "__main__":
    main()
