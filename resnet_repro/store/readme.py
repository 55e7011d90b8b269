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
  (fig1, fig6 and table6 train the same plain-20 once). `<net>` is a label such as `resnet-56-A` or
  `plain-20` (`resnet-50-B-v1.5` for torchvision's stride placement). A run changed with `--set`,
  `--precision` or `--compile` gets its own folder, `<profile>~<tag>` (`paper~3f2a1c`: six hex digits
  naming the overrides, which its config.yaml lists), so it never mixes with the profile's own runs.
  - `config.yaml`: the run's fully resolved recipe; a run with another config is refused, never mixed in.
  - `metrics.csv`: one row per log point (iteration, lr, training loss and error, test error at each
    evaluation, images/s, seconds); the curves of Fig. 1, 4 and 6 are drawn from it.
  - `final.json`: the final numbers and the status (finished or failed, with the reason).
  - `meta.json`: versions, device, thread count, command line, data files used and their checksums.
  - `checkpoint.pt` and `checkpoint.prev.pt`: the newest state to resume from and the one before it (used
    when the newest is damaged); `checkpoints.sha256`: their digests, checked before loading.
  - `.lock`: locked (with the trainer's pid inside) while a process trains the run, so that a second one
    is refused; the lock dies with its process, so a killed run leaves none held.
  - `10-crop.json`, `multi-scale.json` (ImageNet): the run's errors under the tables' test protocols.
- `<target>/`: the outputs of one table or figure (`table1`, `fig6`, `table6`, `fig7`, ...) for the paper
  profile; `<target>/<profile>/` for any other profile (`fig6/cpu/`), and `<target>/<profile>~<tag>/`
  for overridden runs, so no profile or variant overwrites another's.
  - `table.csv`, `table.md`: the numbers per net (every target but gradflow writes them; gradflow's numbers
    are per layer, in `gradflow.csv`), beside the paper's where the data are the paper's; `quoted.csv`: the
    other methods' rows the paper quotes (never trained here).
  - `<target>.png`, `<target>.pdf`: the figure in the paper's style.
  - `responses.csv` and `caption.md` (fig7), `gradflow.csv` (gradflow): per-layer measurements the figures
    are drawn from, and how they were measured.
- `bench/bench.csv` and `bench/table.md`: `resnet-repro bench`'s throughput per net on this machine (`list`
  estimates training times from it where no run logged its own).

## Redraw, resume, report
- `resnet-repro plot` redraws every figure and table from these files alone (no training, no GPU), for
  every profile that has results; `resnet-repro plot fig6 --profile cpu` redraws one.
- `resnet-repro run TARGET [--profile P]` again resumes unfinished runs from their last checkpoint and
  skips finished ones; a killed run continues where it stopped, with identical results.
- `resnet-repro report` rewrites REPORT.md and REPORT.html; `resnet-repro list` shows what is done
  and the training time left.
"""


def ensure_results_readme(results: Path) -> None:
    """Write results/README.md if the folder has none (a user's own edits are kept)."""
    path = results / "README.md"
    if not path.exists():
        write_atomic(path, README)
