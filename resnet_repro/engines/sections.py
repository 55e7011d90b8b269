"""The typed sections of a target file (`figure`, `table`, `nets`, `gradflow`), built when the file is read.

Each type's `parse(check, raw)` runs the strict checks of target_checks.py (a bad value is one `file:line`
error, before anything trains) and returns the dataclass the engine reads; engines declare which of these
they read in `Engine.sections`. No torch here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..target_checks import Checker, check_figure, check_gradflow, check_nets, check_table, run_models


@dataclass(frozen=True)
class Panel:
    title: str
    metrics: tuple[str, ...]  # train_error, test_error, val_error
    models: tuple[str, ...]  # model names of the target's runs


@dataclass(frozen=True)
class FigureSection:
    """`figure:` curves of error against iterations, one panel per group of nets."""

    panels: tuple[Panel, ...]
    ylim: tuple[float, float] | None = None  # None: the engine's default

    @classmethod
    def parse(cls, check: Checker, raw: dict) -> "FigureSection":
        check_figure(check, raw, run_models(raw))
        figure = raw["figure"]
        panels = tuple(Panel(p["title"], tuple(p["metrics"]), tuple(p["models"])) for p in figure["panels"])
        ylim = tuple(float(v) for v in figure["ylim"]) if "ylim" in figure else None
        return cls(panels, ylim)

    def panel_specs(self) -> list[dict]:
        """The panels as plots/curves.py takes them ({title, metrics, models})."""
        return [{"title": p.title, "metrics": list(p.metrics), "models": list(p.models)} for p in self.panels]


@dataclass(frozen=True)
class TableSection:
    """`table:` the paper's numbers per net, other methods' rows quoted from the paper, the test protocol."""

    paper: dict[str, dict[str, Any]] = field(default_factory=dict)  # net -> {test_error, mean, std, ...}
    context: tuple[dict[str, Any], ...] = ()  # other methods' rows: {model, test_error | top1_error, ...}
    protocol: str | None = None  # ImageNet tables: 10-crop (None: not given, the standard) or multi-scale

    @classmethod
    def parse(cls, check: Checker, raw: dict) -> "TableSection":
        check_table(check, raw)
        table = raw["table"]
        paper = {str(net): dict(numbers) for net, numbers in (table.get("paper") or {}).items()}
        return cls(paper, tuple(dict(entry) for entry in table.get("context") or []), table.get("protocol"))


@dataclass(frozen=True)
class Net:
    """One entry of `nets:` (Table 1): a net to count, its input, and the paper's figures where it gives them."""

    model: str
    input: tuple[int, int, int]
    shortcut: str | None = None
    variant: str | None = None  # None: not given (the paper's original)
    family: str | None = None
    paper_params: float | None = None
    paper_flops: float | None = None
    torchvision_params: float | None = None  # a reference count where the paper gives none (ImageNet nets)

    @classmethod
    def parse(cls, check: Checker, raw: dict) -> tuple["Net", ...]:
        check_nets(check, raw)
        return tuple(
            cls(
                n["model"],
                tuple(n["input"]),
                n.get("shortcut"),
                n.get("variant"),
                n.get("family"),
                _number(n.get("paper_params")),
                _number(n.get("paper_flops")),
                _number(n.get("torchvision_params")),
            )
            for n in raw["nets"]
        )


@dataclass(frozen=True)
class GradflowSection:
    """`gradflow:` which nets to measure at initialisation, over how many seeds and batches."""

    conv_models: tuple[str, ...]
    fc_depths: tuple[int, ...]
    seeds: int
    batches: int
    batch_size: int

    @classmethod
    def parse(cls, check: Checker, raw: dict) -> "GradflowSection":
        check_gradflow(check, raw)
        settings = raw["gradflow"]
        return cls(
            tuple(settings["conv_models"]),
            tuple(settings["fc_depths"]),
            settings["seeds"],
            settings["batches"],
            settings["batch_size"],
        )


def _number(value) -> float | None:
    return None if value is None else float(value)
