"""Error curves and tables of trained runs, from results/runs alone: all of the CIFAR targets' outputs (fig1,
fig6, table6), and the parts the ImageNet and fig7 engines share (the curve table, the schedule and profile notes).

Used by `run` after training and by `plot` on its own; imports no torch. Reported errors are the
final iteration's test error: no model selection on the test set.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from ..basics.words import counted
from ..claims.numbers import evaluate_number, paper_numbers
from ..plots.curves import plot_error_curves
from ..readback.measured import Measured, measure, title_for_data
from ..specs.config import RunConfig
from ..specs.experiments import Target, is_test_profile
from ..specs.naming import parse_model_name
from ..specs.run_id import RunStatus
from ..store.aggregate import ModelRuns, collect
from ..store.paths import output_dir, runs_profile
from ..store.tables import ExtraTable, write_table

TABLE_COLUMNS = [
    "model",
    "params",
    "train_error",
    "test_error",
    "test_error_mean",
    "test_error_std",
    "n_seeds",
    "paper_train_error",
    "paper_test_error",
    "delta",
    "band",
    "verdict",
    "profile",
    "data",
    "iterations",
    "status",
    "reported",
    "paper_reported",
]
QUOTED_COLUMNS = ["model", "params", "test_error", "reported", "source"]
# A figure's table (fig1, fig6): what each net reached, no paper numbers (the paper gives none for them).
PAPER_COLUMNS = {"paper_train_error", "paper_test_error", "delta", "band", "verdict", "reported", "paper_reported"}
CURVE_COLUMNS = [column for column in TABLE_COLUMNS if column not in PAPER_COLUMNS]


def schedule_note(runs: list[RunConfig]) -> str:
    """Which set, if any, drove the lr schedule, and which BN statistics the final numbers use."""
    if not runs:
        return ""
    recipe = runs[0].recipe
    if recipe.lr_plateau is not None:
        schedule = (
            f"lr /10 when the centre-crop error on {recipe.holdout} held-out training images (a fixed "
            f"seeded choice, not trained on) plateaus; the reported set never drove the schedule"
        )
    else:
        steps = ", ".join(str(s) for s in recipe.lr_steps) or "none"
        schedule = f"lr /10 at fixed iterations ({steps}); no evaluation drove the schedule"
    if recipe.warmup is not None:
        schedule += (
            f"; warm-up at lr {recipe.warmup.lr:g} until the training error is below "
            f"{recipe.warmup.until_train_error_below:g}% (ResNet-110/1202)"
        )
    bn = "BN over the whole batch" if recipe.bn_batch is None else f"BN over groups of {recipe.bn_batch} images"
    stats = (
        f"BN statistics recomputed after training over {recipe.bn_stats_images} training images"
        if recipe.bn_stats == "recomputed"
        else "BN moving averages"
    )
    return f"{schedule}. {bn}, momentum in {recipe.momentum_form}'s form; final numbers with {stats}."


def profile_note(runs: list[RunConfig], models: dict[str, ModelRuns] | None = None) -> str:
    """What made a table or figure: profile, dataset (flagged when some runs' files are not the official
    release), iterations and overrides."""
    if not runs:
        return "profile: none"
    profiles = sorted({r.run_id.profile_folder for r in runs})
    deviations = " (overrides: " + ", ".join(runs[0].overrides) + ")" if runs[0].overrides else ""
    unofficial = sum(m.unofficial_data for m in (models or {}).values())
    data = f" (not the official files: {unofficial} of {counted(len(runs), 'run')})" if unofficial else ""
    test = (
        f"{TEST_WORD}; " if any(is_test_profile(run.profile) for run in runs) else ""
    )  # fig7's stds reach 1e11 after 12 iterations: the reader must not take them for a finding
    return (
        f"{test}profile: {', '.join(profiles)}; dataset: {runs[0].data.dataset}{data}; {runs[0].recipe.iterations} "
        f"iterations{deviations}{_unfinished_note(models or {})}"
    )


TEST_WORD = "A TEST OF THE TOOL: its numbers mean nothing"


def _unfinished_note(models: dict[str, ModelRuns]) -> str:
    """Curves of runs still training (or stopped) say so, and runs never started are counted apart from them: a figure
    drawn mid-way is not the schedule's end."""
    curves = [curve for entry in models.values() for curve in entry.curves if len(curve)]
    expected = sum(entry.expected for entry in models.values())
    ended = sum(status.ended for entry in models.values() for status in entry.statuses)
    statuses = [status for entry in models.values() for status in entry.statuses]
    unfinished, not_started = statuses.count(RunStatus.UNFINISHED), statuses.count(RunStatus.NOT_STARTED)
    if not curves or ended >= expected or not (unfinished or not_started):
        return ""
    # the unfinished runs' own logs: a finished run's last iteration is not how far the others have come
    reached = sorted({at for entry in models.values() for at in entry.unfinished_at})
    span = f"{reached[0]} to {reached[-1]}" if len(reached) > 1 else "".join(map(str, reached))
    # a run a process holds the lock of is training now, as list, show and the tables say: not left unfinished
    running = sum(entry.running for entry in models.values())
    begun = ([f"{running} running"] if running else []) + (
        [f"{unfinished - running} unfinished"] if unfinished > running else []
    )
    parts = [", ".join(begun) + (f", logged up to iteration {span}" if span else "")] if unfinished else []
    if not_started:
        parts.append(f"{not_started} not started")
    return f" (of {counted(expected, 'run')}: {'; '.join(parts)})"


def table_rows(target: Target, models: dict[str, ModelRuns], runs: list[RunConfig], found: Measured) -> list[dict]:
    paper = target.paper_table()
    profile = runs_profile(runs) or ""
    dataset = runs[0].data.dataset if runs else ""
    comparable, _ = found.numbers_comparable()
    numbers = {(n.key, n.kind): n for n in paper_numbers(paper, ("test_error",), target.paper_seeds())}
    rows = []
    for model, entry in models.items():
        key = found.keys.get(next((r.name for r in runs if r.model == model), ""), model)
        errors = [f["test_error"] for f in entry.finished if f.get("test_error") is not None]
        train = found.per_key("train_error").get(key, [])
        # The paper's number beside ours only on the paper's data; a delta and a verdict only where comparable.
        quoted = (paper.get(key) or {}) if not found.proxy else {}
        reference = quoted.get("test_error")
        best = min(errors) if errors else None
        judged = numbers.get((key, "mean")) or numbers.get((key, "single"))
        verdict = evaluate_number(judged, errors) if comparable and judged and errors else None
        rows.append(
            {
                "model": entry.label,
                "params": next((f["params"] for f in entry.finals if f.get("params")), None),
                "train_error": statistics.fmean(train) if train else None,
                "test_error": best,
                "test_error_mean": statistics.fmean(errors) if errors else None,
                "test_error_std": statistics.stdev(errors) if len(errors) > 1 else None,
                "n_seeds": len(errors),
                "paper_train_error": quoted.get("train_error"),
                "paper_test_error": reference,
                "delta": best - reference if comparable and best is not None and reference is not None else None,
                "band": round(verdict.band, 2) if verdict else None,  # to the two places the verdict states it
                "verdict": verdict.status if verdict else None,
                "profile": profile,
                "data": data_label(dataset, entry),
                "iterations": runs[0].recipe.iterations if runs else None,
                "status": entry.status,
                "reported": _paper_style(errors),
                "paper_reported": _quoted_style(quoted),
            }
        )
    return sorted(rows, key=lambda r: _order(models, r["model"]))


def write_curve_table(
    target: Target,
    runs: list[RunConfig],
    results: Path,
    models: dict[str, ModelRuns],
    found: Measured | None = None,
) -> list[Path]:
    """A figure's table (fig1, fig4, fig6): each net's final training and test error, iterations, seeds."""
    found = found if found is not None else measure(target, runs_profile(runs), results, runs)
    folder = output_dir(results, target, runs_profile(runs))
    rows = table_rows(target, models, runs, found)  # write_table keeps CURVE_COLUMNS alone
    notes = [
        profile_note(runs, models),
        "train_error: the mean over the last 10% of iterations (augmented batches), mean over seeds; "
        "test_error: the final iteration's, best over seeds, with mean and std.",
    ]
    write_table(folder, runs_title(target, runs), rows, CURVE_COLUMNS, notes)
    return [folder / "table.csv", folder / "table.md"]


def data_label(dataset: str, entry: ModelRuns) -> str:
    if entry.unofficial_data:
        return f"{dataset} (not the official files: {entry.unofficial_data} of {counted(entry.expected, 'run')})"
    return dataset


def _paper_style(errors: list[float]) -> str | None:
    """As the paper shows a multi-seed result: "best (mean +- std)"; None for a single run (its error is shown)."""
    if len(errors) < 2:
        return None
    return f"{min(errors):.2f} ({statistics.fmean(errors):.2f} ± {statistics.stdev(errors):.2f})"


def _quoted_style(quoted: dict) -> str:
    """The paper's own cell: "6.43 (6.61 ± 0.16)" where it gives a mean and std, else the error."""
    if quoted.get("test_error") is None:
        return ""
    if quoted.get("mean") is not None and quoted.get("std") is not None:
        return f"{quoted['test_error']:.2f} ({quoted['mean']:.2f} ± {quoted['std']:.2f})"
    return f"{quoted['test_error']:.2f}"


def quoted_rows(target: Target) -> list[dict]:
    """The paper's rows of other methods, quoted as published (never trained here)."""
    return [
        {
            "model": c["model"],
            "params": int(float(c["params"])) if c.get("params") is not None else None,
            "test_error": c.get("test_error"),
            "reported": _quoted_style(c),
            "source": "quoted from the paper (other papers' results, not trained here)",
        }
        for c in target.section("table").context
    ]


def write_with_quoted(folder: Path, title: str, rows, columns, notes: list[str], quoted, quoted_columns) -> list[Path]:
    """A table of our runs and, below it and in quoted.csv, the other methods' rows the paper quotes: the files
    written."""
    extra = [ExtraTable("Quoted from the paper: other methods, not trained here", "quoted.csv", quoted, quoted_columns)]
    write_table(folder, title, rows, columns, notes, extra=extra)
    return [folder / "table.csv", folder / "table.md"] + ([folder / "quoted.csv"] if quoted else [])


def _order(models: dict[str, ModelRuns], label: str) -> tuple[bool, int]:
    """ResNets first, then plain nets, each by depth (the paper's Table 6 order)."""
    model = next(parse_model_name(m) for m, e in models.items() if e.label == label)
    return (not model.residual, model.depth)


def write_cifar_outputs(target: Target, runs: list[RunConfig], results: Path) -> list[Path]:
    """Write the target's table (every CIFAR target has one) and its figure (`figure:`), in the profile's folder."""
    models = collect(runs, results)
    profile = runs_profile(runs)
    found = measure(target, profile, results, runs) if profile else None
    written = []
    if target.section("table") is not None and found is not None:
        rows = table_rows(target, models, runs, found)
        _, why = found.numbers_comparable()
        notes = [
            profile_note(runs, models),
            schedule_note(runs),
            "test_error: final-iteration test error, best over seeds; train_error: training error over the last 10% "
            "of iterations (augmented batches), mean over seeds; mean and sample std over seeds; delta = best - "
            "paper; band: the seed noise a verdict allows (2 sigma of the difference, sigma 0.16 from the paper's "
            "ResNet-110); paper_* and paper_reported: the paper's own numbers.",
        ]
        if why:
            notes.append(f"No delta or verdict: {why}.")
        quoted = [] if found.proxy else quoted_rows(target)
        folder = output_dir(results, target, profile)
        written += write_with_quoted(
            folder, runs_title(target, runs), rows, TABLE_COLUMNS, notes, quoted, QUOTED_COLUMNS
        )
    elif found is not None:
        written += write_curve_table(target, runs, results, models, found)
    return written + draw_curves(target, runs, results, models, top=20)


def draw_curves(target: Target, runs: list[RunConfig], results: Path, models: dict[str, ModelRuns], top: float):
    """The target's `figure:` of error curves, if it has one, in the profile's folder; the y axis from 0 to `top`
    unless the figure sets its own."""
    figure = target.section("figure")
    if figure is None:
        return []
    return plot_error_curves(
        figure.panel_specs(),
        models,
        runs_title(target, runs),
        profile_note(runs, models),
        output_dir(results, target, runs_profile(runs)) / target.name,
        figure.ylim or (0, top),
    )


def runs_title(target: Target, runs: list[RunConfig]) -> str:
    """The target's title, naming the data its runs used where that stands in for the paper's."""
    return title_for_data(target.title, runs[0].data.dataset if runs else "")
