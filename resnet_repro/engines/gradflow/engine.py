"""The gradflow engine: measure gradient norms at initialisation (seconds on a CPU), write gradflow.csv, plot it."""

from __future__ import annotations

import io
from pathlib import Path

from ...claims import FAILS, HOLDS, NOT_COMPARABLE, NOT_RUN, Verdict
from ...errors import UserError
from ...experiments import Target
from ...registry import register
from ...report_parts import Score, csv_rows, run_command
from ...store.layout import write_atomic
from ...store.paths import output_dir
from ..base import Engine, Outcome
from ..outputs import measured_csv
from ..sections import GradflowSection
from .figure import plot_gradflow
from .outputs import CRITERION, VERDICT_COLUMNS, net_verdicts, plain_bn_nets_healthy

SAYS = "with BN, the plain nets' backward propagated gradients exhibit healthy norms"
WHERE = "Sec. 4.1 (no figure or number in the paper; measured here at initialisation)"


def run_gradflow(target: Target, results: Path) -> list[Path]:
    import pandas as pd

    from .measure import gradflow_rows  # torch: only when gradflow runs

    settings = target.section("gradflow")
    rows = gradflow_rows(
        list(settings.conv_models), list(settings.fc_depths), settings.seeds, settings.batches, settings.batch_size
    )
    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    write_atomic(measured_csv(target, results), buffer.getvalue())

    return ENGINE.write_outputs(target, [], results)


class GradflowEngine(Engine):
    name = "gradflow"
    description = "gradient flow at initialisation"
    sections = {"gradflow": GradflowSection}
    trains = False
    measured_file = "gradflow.csv"

    def run(self, target, runs, all_runs, context) -> Outcome:
        from ...train.threads import use_free_cores  # torch: only when gradflow runs

        # The measurement runs on this CPU: only its free cores, as `run` trains (2 threads on 2 cores with one
        # busy measured 68-98 s here, 1 thread 6 s).
        use_free_cores(context.reporter.message)
        return Outcome(run_gradflow(target, context.results))

    def write_outputs(self, target, runs, results: Path) -> list[Path]:
        csv_path = measured_csv(target, results)
        if not csv_path.exists():
            raise UserError(f"{csv_path} does not exist yet: `resnet-repro run {target.name}` measures it")
        folder = output_dir(results, target, None)
        return [
            csv_path,
            *write_verdicts(csv_path, folder),
            *plot_gradflow(csv_path, folder / target.name, target.title),
        ]

    def has_results(self, target, profile, results: Path) -> bool:
        return measured_csv(target, results).exists()

    def report_section(self, section, results: Path, warn):
        csv_path = measured_csv(section.target, results)
        rows = csv_rows(csv_path, ("net", "layer", "grad_norm"), warn) if csv_path.exists() else None
        if rows is None:
            section.not_run = run_command(section.target)
            section.scores.append(Score(section.target.name, SAYS, WHERE, "—", Verdict(NOT_RUN, ""), section.not_run))
            return section
        image = csv_path.parent / f"{section.target.name}.png"
        if not image.exists():
            self.write_outputs(section.target, [], results)
        section.images = [image]
        verdicts = net_verdicts(rows)
        detail = "; ".join(f"{v['net']} {v['first_to_last']} ({v['verdict']})" for v in verdicts)
        judged = plain_bn_nets_healthy(verdicts)
        if judged is None:
            verdict = Verdict(NOT_COMPARABLE, f"no plain conv net measured; {detail}")
        else:
            holds, plain = judged
            names = ", ".join(v["net"] for v in plain)
            verdict = Verdict(
                HOLDS if holds else FAILS,
                f"plain conv nets with BN ({names}) judged by {CRITERION}; every net: {detail}",
            )
        section.scores.append(Score(section.target.name, SAYS, WHERE, "—", verdict))
        section.notes = [section.target.notes] if section.target.notes else []
        return section


def write_verdicts(csv_path: Path, folder: Path) -> list[Path]:
    """gradflow_verdicts.csv and .md: each net's first-to-last ratio and its verdict, with the criterion."""
    import pandas as pd

    verdicts = net_verdicts(pd.read_csv(csv_path).to_dict("records"))
    frame = pd.DataFrame(verdicts, columns=list(VERDICT_COLUMNS))
    write_atomic(folder / "gradflow_verdicts.csv", frame.to_csv(index=False))
    lines = [f"Verdict per net: {CRITERION}.", "", "| " + " | ".join(VERDICT_COLUMNS) + " |"]
    lines += ["|" + "---|" * len(VERDICT_COLUMNS)]
    lines += ["| " + " | ".join(str(v[c]) for c in VERDICT_COLUMNS) + " |" for v in verdicts]
    write_atomic(folder / "gradflow_verdicts.md", "\n".join(lines) + "\n")
    return [folder / "gradflow_verdicts.csv", folder / "gradflow_verdicts.md"]


ENGINE = register(GradflowEngine())
