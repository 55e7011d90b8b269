"""The common alternative (PIL transforms, DataLoader workers, NCHW, torch's defaults) on the same GPU."""

from __future__ import annotations

import torch
from compare_pipelines import common_alternative

from .check import Check
from .files import markdown_table, ratio_of, round_or_none, write_csv
from .throughput import Mode, bench_rate


def stage_alternative(check: Check) -> None:
    """The common alternative (torch's defaults: TF32 convolutions on a GPU, no cuDNN benchmark) vs ours."""
    plan = check.plan
    cudnn, matmul = torch.backends.cudnn, torch.backends.cuda.matmul
    rows = []
    for net in plan.alternative_nets:
        if not check.fits("alternative", reserve=check.reserve_for_full_run()):
            break
        saved = (cudnn.allow_tf32, matmul.allow_tf32, cudnn.benchmark)
        cudnn.allow_tf32, matmul.allow_tf32, cudnn.benchmark = True, False, False  # torch's defaults
        try:
            theirs = common_alternative(net, check.device, 128, plan.alternative_iterations, plan.workers)
        finally:
            cudnn.allow_tf32, matmul.allow_tf32, cudnn.benchmark = saved
        ours = {precision: bench_rate(check, Mode(net, precision)) for precision in ("fp32", "tf32")}
        rows.append(
            {
                "model": net,
                "workers": plan.workers,
                "alternative_images_per_s": round(theirs, 1),
                "ours_fp32_images_per_s": round_or_none(ours["fp32"]),
                "ours_tf32_images_per_s": round_or_none(ours["tf32"]),
                "ratio_fp32": ratio_of(ours["fp32"], theirs),
                "ratio_tf32": ratio_of(ours["tf32"], theirs),
            }
        )
        check.say(
            f"alternative {net}: {theirs:.0f} img/s; ours fp32 {ours['fp32'] or 0:.0f}, tf32 {ours['tf32'] or 0:.0f}"
        )
    write_csv(check.out / "alternative.csv", rows)
    check.facts["alternative"] = {row["model"]: row["alternative_images_per_s"] for row in rows}
    check.section(
        "Against the common alternative",
        markdown_table(rows) + "\n\nThe alternative: torchvision's "
        "per-image PIL transforms in DataLoader workers, an NCHW model, torch's default SGD, and torch's "
        "default GPU arithmetic (TF32 convolutions). Its fair counterpart is our tf32 column; our fp32 "
        "is IEEE fp32 (the paper's arithmetic).",
    )
