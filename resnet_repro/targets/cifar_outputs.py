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
from ..results.tables import write_table

TABLE_COLUMNS = ["model", "params", "test_error", "test_error_mean", "test_error_std", "n_seeds",
                 "paper_test_error", "delta", "profile", "data", "iterations", "status", "reported"]


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
        errors = [f["test_error"] for f in entry.finished if f.get("test_error") is not None]
        reference = (paper.get(model) or {}).get("test_error")
        best = min(errors) if errors else None
        rows.append({
            "model": entry.label,
            "params": next((f["params"] for f in entry.finals if f.get("params")), None),
            "test_error": best,
            "test_error_mean": statistics.fmean(errors) if errors else None,
            "test_error_std": statistics.stdev(errors) if len(errors) > 1 else None,
            "n_seeds": len(errors),
            "paper_test_error": reference,
            "delta": best - reference if comparable and best is not None and reference is not None else None,
            "profile": profile,
            "data": data_label(dataset, entry),
            "iterations": runs[0].recipe.iterations if runs else None,
            "status": entry.status if entry.status != "partial" else f"partial ({len(errors)}/{entry.expected})",
            "reported": _paper_style(errors),
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
        notes = [profile_note(runs, models), "test_error: final-iteration test error, best over seeds; mean and sample "
                 "std over seeds; delta = best - paper, only for runs on the official CIFAR-10 files."]
        context = (target.section("table") or {}).get("context") or []
        if context:
            notes.append("Other papers' results (context only): " + "; ".join(
                f"{c['model']} {c['test_error']}" for c in context if "test_error" in c) + ".")
        write_table(folder, target.title, rows, TABLE_COLUMNS, notes)
        written += [folder / "table.csv", folder / "table.md"]
    figure = target.section("figure")
    if figure is not None:
        written += plot_error_curves(figure["panels"], models, target.title, profile_note(runs, models),
                                     folder / target.name, tuple(figure.get("ylim", (0, 20))))
    return written
