"""Each gradflow net's verdict from its first-to-last gradient-norm ratio, and the claim "healthy norms with BN"
judged on the plain conv nets, from hand-written gradflow.csv files (no measuring)."""

import csv

from resnet_repro.engines.gradflow.outputs import net_verdicts

from .conftest import cli_in_process

COLUMNS = ("family", "net", "residual", "layer", "grad_norm", "grad_norm_std")


def rows(family: str, net: str, norms: list[float]) -> list[dict]:
    residual = not net.startswith("plain")
    return [
        {"family": family, "net": net, "residual": residual, "layer": i, "grad_norm": n, "grad_norm_std": 0.0}
        for i, n in enumerate(norms, start=1)
    ]


def test_each_net_gets_its_verdict_from_the_first_to_last_ratio():
    measured = (
        rows("demo", "plainfc-10-he", [1.2, 1.1, 1.0])
        + rows("fc", "plainfc-10", [0.000302, 0.1, 1.0])
        + rows("fc", "resfc-10", [0.1, 0.5, 1.0])  # exactly the floor: healthy
        + rows("fc", "resfc-50", [44.1, 2.0, 1.0])
        + rows("conv", "plain-20", [20.2, 3.0, 1.0])
        + rows("conv", "resnet-20-A", [6.44, 2.0, 1.0])
        + rows("conv", "plain-56", [0.099, 1.0, 1.0])
    )
    assert [(v["net"], v["first_to_last"], v["verdict"]) for v in net_verdicts(measured)] == [
        ("plainfc-10-he", "1.2", "healthy norms"),
        ("plainfc-10", "0.000302", "vanishing"),
        ("resfc-10", "0.1", "healthy norms"),
        ("resfc-50", "44.1", "healthy norms, growing toward the input"),
        ("plain-20", "20.2", "healthy norms with BN, growing toward the input"),
        ("resnet-20-A", "6.44", "healthy norms with BN"),
        ("plain-56", "0.099", "vanishing despite BN"),
    ]


def write_gradflow(results, measured):
    folder = results / "gradflow"
    folder.mkdir(parents=True)
    with open(folder / "gradflow.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(measured)
    return folder


def report_line(results) -> str:
    report = cli_in_process("report", "--results", str(results))
    assert report.returncode == 0, report.stderr
    return next(line for line in (results / "REPORT.md").read_text().splitlines() if "exhibit healthy norms" in line)


def test_the_claim_holds_when_every_plain_bn_net_keeps_its_gradient(tmp_path):
    folder = write_gradflow(tmp_path, rows("conv", "plain-20", [20.2, 1.0]) + rows("fc", "plainfc-10", [1e-4, 1.0]))
    line = report_line(tmp_path)
    assert line.endswith("| ✅ holds |") and "plain conv nets with BN (plain-20) judged by healthy when" in line
    with open(folder / "gradflow_verdicts.csv") as handle:
        assert [(r["net"], r["verdict"]) for r in csv.DictReader(handle)] == [
            ("plain-20", "healthy norms with BN, growing toward the input"),
            ("plainfc-10", "vanishing"),
        ]


def test_the_claim_does_not_hold_when_a_plain_bn_net_vanishes(tmp_path):
    write_gradflow(tmp_path, rows("conv", "plain-20", [20.2, 1.0]) + rows("conv", "plain-56", [0.05, 1.0]))
    line = report_line(tmp_path)
    assert line.endswith("| ❌ does not hold |") and "plain-56 0.05 (vanishing despite BN)" in line
