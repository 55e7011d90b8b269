"""The tables and figures of the CIFAR targets (fig1, fig6, table6), from results/runs alone.

Used by `run` after training and by `plot` on its own; imports no torch. Reported errors are the
final iteration's test error: no model selection on the test set.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ..config import RunConfig
from ..experiments import Target
from ..naming import parse_model_name
from ..plots.curves import plot_error_curves
from ..results.aggregate import ModelRuns, collect
from ..results.tables import ExtraTable, write_table

TABLE_COLUMNS = ["model", "params", "train_error", "test_error", "test_error_mean", "test_error_std", "n_seeds",
                 "paper_train_error", "paper_test_error", "delta", "profile", "data", "iterations", "status", "reported",
                 "paper_reported"]
QUOTED_COLUMNS = ["model", "params", "test_error", "reported", "source"]
DATASET_NAMES = {"cifar10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST", "imagenet": "ImageNet"}


def title_for_data(title: str, runs: list[RunConfig]) -> str:
    """The target's title, naming the data its runs actually used (the cpu profile trains on Fashion-MNIST)."""
    if not runs or runs[0].data.dataset == "cifar10":
        return title
    return title.replace("CIFAR-10", DATASET_NAMES.get(runs[0].data.dataset, runs[0].data.dataset))


def schedule_note(runs: list[RunConfig]) -> str:
    """Which set, if any, drove the lr schedule, and which BN statistics the final numbers use."""
    if not runs:
        return ""
    recipe = runs[0].recipe
    if recipe.lr_plateau is not None:
        schedule = (f"lr /10 when the centre-crop error on {recipe.holdout} held-out training images (a fixed "
                    f"seeded choice, not trained on) plateaus; the reported set never drove the schedule")
    else:
        steps = ", ".join(str(s) for s in recipe.lr_steps) or "none"
        schedule = f"lr /10 at fixed iterations ({steps}); no evaluation drove the schedule"
    if recipe.warmup is not None:
        schedule += (f"; warm-up at lr {recipe.warmup.lr:g} until the training error is below "
                     f"{recipe.warmup.until_train_error_below:g}% (ResNet-110/1202)")
    bn = "BN over the whole batch" if recipe.bn_batch is None else f"BN over groups of {recipe.bn_batch} images"
    stats = ("BN statistics recomputed after training over "
             f"{recipe.bn_stats_images} training images" if recipe.bn_stats == "recomputed"
             else "BN moving averages")
    return f"{schedule}. {bn}, momentum in {recipe.momentum_form}'s form; final numbers with {stats}."


def profile_note(runs: list[RunConfig], models: dict[str, ModelRuns] | None = None) -> str:
    """What made a table or figure: profile, dataset (flagged when some runs' files are not the official
    release), iterations and overrides."""
    if not runs:
        return "profile: none"
    profiles = sorted({r.name.split("/")[2] for r in runs})
    deviations = " (overrides: " + ", ".join(runs[0].overrides) + ")" if runs[0].overrides else ""
    unofficial = sum(m.unofficial_data for m in (models or {}).values())
    data = f" (not the official files: {unofficial} of {len(runs)} runs)" if unofficial else ""
    return f"profile: {', '.join(profiles)}; dataset: {runs[0].data.dataset}{data}; {runs[0].recipe.iterations} " \
           f"iterations{deviations}"


def table_rows(target: Target, models: dict[str, ModelRuns], runs: list[RunConfig]) -> list[dict]:
    paper = (target.section("table") or {}).get("paper") or {}
    profile = runs[0].name.split("/")[2] if runs else ""
    dataset = runs[0].data.dataset if runs else ""
    rows = []
    for model, entry in models.items():
        # A delta to the paper means something only on the paper's data: CIFAR-10, and the official files.
        comparable = dataset == "cifar10" and not entry.unofficial_data
        scored = [f for f in entry.finished if f.get("test_error") is not None]
        errors = [f["test_error"] for f in scored]
        quoted = paper.get(model) or {}
        reference = quoted.get("test_error")
        best = min(errors) if errors else None
        best_run = min(scored, key=lambda f: f["test_error"]) if scored else {}
        rows.append({
            "model": entry.label,
            "params": next((f["params"] for f in entry.finals if f.get("params")), None),
            "train_error": best_run.get("train_error"),
            "test_error": best,
            "test_error_mean": statistics.fmean(errors) if errors else None,
            "test_error_std": statistics.stdev(errors) if len(errors) > 1 else None,
            "n_seeds": len(errors),
            "paper_train_error": quoted.get("train_error"),
            "paper_test_error": reference,
            "delta": best - reference if comparable and best is not None and reference is not None else None,
            "profile": profile,
            "data": data_label(dataset, entry),
            "iterations": runs[0].recipe.iterations if runs else None,
            "status": entry.status if entry.status != "partial" else f"partial ({len(errors)}/{entry.expected})",
            "reported": _paper_style(errors),
            "paper_reported": _quoted_style(quoted),
        })
    rows.sort(key=lambda r: _order(models, r["model"]))
    return rows


def data_label(dataset: str, entry: ModelRuns) -> str:
    if entry.unofficial_data:
        return f"{dataset} (not the official files: {entry.unofficial_data} of {entry.expected} runs)"
    return dataset


def _paper_style(errors: list[float]) -> str:
    """As the paper shows a multi-seed result: "best (mean +- std)"; a single run is just its error."""
    if not errors:
        return ""
    if len(errors) == 1:
        return f"{errors[0]:.2f}"
    return f"{min(errors):.2f} ({statistics.fmean(errors):.2f} ± {statistics.stdev(errors):.2f})"


def _quoted_style(quoted: dict) -> str:
    """The paper's own cell: "6.43 (6.61 ± 0.16)" where it gives a mean and std, else the error."""
    if quoted.get("test_error") is None:
        return ""
    if quoted.get("mean") is not None and quoted.get("std") is not None:
        return f"{quoted['test_error']:.2f} ({quoted['mean']:.2f} ± {quoted['std']:.2f})"
    return f"{quoted['test_error']:.2f}"


def quoted_rows(target: Target, source: str) -> list[dict]:
    """The paper's rows of other methods, quoted as published (never trained here)."""
    return [{"model": c["model"], "params": int(float(c["params"])) if c.get("params") is not None else None,
             "test_error": c.get("test_error"),
             "reported": _quoted_style(c), "source": source}
            for c in (target.section("table") or {}).get("context") or []]


def _order(models: dict[str, ModelRuns], label: str) -> tuple[bool, int]:
    """ResNets first, then plain nets, each by depth (the paper's Table 6 order)."""
    model = next(parse_model_name(m) for m, e in models.items() if e.label == label)
    return (not model.residual, model.depth)


def write_cifar_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    """Write whatever the target declares: a table (`table:`) and/or a figure (`figure:`)."""
    models = collect(runs, results)
    folder = results / target.name
    written = []
    if target.section("table") is not None:
        rows = table_rows(target, models, runs)
        notes = [profile_note(runs, models), schedule_note(runs),
                 "test_error: final-iteration test error, best over seeds; mean and sample std over seeds; delta = "
                 "best - paper, only for runs on the official CIFAR-10 files. train_error: the training error (%) "
                 "of the last log window (augmented batches) of the run whose test error is shown; paper_* and "
                 "paper_reported: the paper's own numbers."]
        quoted = quoted_rows(target, "quoted from the paper (other papers' results, not trained here)")
        extra = [ExtraTable("Quoted from the paper: other methods, not trained here", "quoted.csv", quoted,
                            QUOTED_COLUMNS)]
        write_table(folder, title_for_data(target.title, runs), rows, TABLE_COLUMNS, notes, extra=extra)
        written += [folder / "table.csv", folder / "table.md"] + ([folder / "quoted.csv"] if quoted else [])
    figure = target.section("figure")
    if figure is not None:
        written += plot_error_curves(figure["panels"], models, title_for_data(target.title, runs),
                                     profile_note(runs, models),
                                     folder / target.name, tuple(figure.get("ylim", (0, 20))))
    return written
