"""results/README.md: written once, on first use, so a results folder explains itself. No torch here."""

from __future__ import annotations

from pathlib import Path

from .layout import write_atomic

README = """# resnet-repro results

Written by `resnet-repro` (He et al. 2015, *Deep Residual Learning for Image Recognition*). Everything here
is plain files: CSV, JSON, YAML, Markdown, PNG/PDF. Only `checkpoint*.pt` needs torch.

## Start here
- `REPORT.html` (self-contained, one file to share) and `REPORT.md`: written by `resnet-repro report`
  and at the end of every `run`. They open with a scoreboard of every claim and number of the paper, run
  or not, each with its verdict against the seed noise, then one section per table or figure.

## Layout
- `runs/<dataset>/<net>/<profile>/seed<k>/`: one training run. Runs are shared between targets
  (fig1, fig6 and table6 train the same plain-20 once).
  - `config.yaml`: the run's fully resolved recipe; a run with another config is refused, never mixed in.
  - `metrics.csv`: one row per log point (iteration, lr, training loss and error, test error at each
    evaluation, images/s, seconds); the curves of Fig. 1, 4 and 6 are drawn from it.
  - `final.json`: the final numbers and the status (finished or failed, with the reason).
  - `meta.json`: versions, device, thread count, command line, data files used and their checksums.
  - `checkpoint.pt`, `checkpoint.prev.pt`: the state to resume from.
- `<target>/`: the outputs of one table or figure (`table1`, `fig6`, `table6`, `fig7`, ...) for the paper
  profile; `<target>/<profile>/` for any other profile (`fig6/cpu/`), so no profile overwrites another's.
  - `table.csv`, `table.md`: the numbers per net (every target writes them), beside the paper's where
    the data are the paper's.
  - `<target>.png`, `<target>.pdf`: the figure in the paper's style.
  - `responses.csv` (fig7), `gradflow.csv` (gradflow): per-layer measurements the figures are drawn from.
- `bench/bench.csv`: `resnet-repro bench`'s throughput per net on this machine.

## Redraw, resume, report
- `resnet-repro plot` redraws every figure and table from these files alone (no training, no GPU), for
  every profile that has results; `resnet-repro plot fig6 --profile cpu` redraws one.
- `resnet-repro run TARGET [--profile P]` again resumes unfinished runs from their last checkpoint and
  skips finished ones; a killed run continues where it stopped, with identical results.
- `resnet-repro report` rewrites REPORT.md and REPORT.html; `resnet-repro list` shows what is done
  and the training time left.
"""


def ensure_results_readme(results: Path) -> Path:
    """Write results/README.md if the folder has none (a user's own edits are kept)."""
    path = results / "README.md"
    if not path.exists():
        write_atomic(path, README)
    return path
