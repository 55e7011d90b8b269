"""The cifar engine (fig1, fig6, table6): train the CIFAR-10 nets, then tables and error curves from their runs."""

from __future__ import annotations

from ...specs.registry import register
from ..base import Engine
from ..curves_tables import write_cifar_outputs
from ..sections import FigureSection, TableSection


class CifarEngine(Engine):
    name = "cifar"
    description = "CIFAR-10 training"
    sections = {"table": TableSection, "figure": FigureSection}
    metrics = ("train_error", "test_error")
    paper_metrics = ("test_error",)
    seeds_metric = "test_error"
    report_columns = (("training error", "train_error", False), ("test error", "test_error", True))
    paper_data = "cifar10"
    write_outputs = staticmethod(write_cifar_outputs)  # (target, runs, results): its tables and curves


ENGINE = register(CifarEngine())
