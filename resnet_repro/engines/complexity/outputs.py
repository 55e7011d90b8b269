"""Table 1 as the report reads it from table.csv (no torch): the table in one unit down each column, and the
verdicts: the counts against the paper's own figures, option A's shortcuts adding no parameter, ResNet-110's
parameters against the deep and thin nets of Table 6, and the 34-layer baseline's FLOPs as a share of VGG-19's.

The other nets' figures are the paper's: FitNet's and Highway's parameters are Table 6's quoted rows (table6.yaml's
`table.context`), VGG-19's FLOPs and the share Sec. 3.3 states are table1.yaml's `paper:`. Counts are exact, so
there is no noise band: a claim holds or does not.
"""

from __future__ import annotations

from ...claims.base import FAILS, HOLDS, NOT_RUN, Verdict
from ...readers.yamlio import read_yaml
from ...specs.experiments import Target, load_target

SAYS = "parameter counts and FLOPs of every net"
WHERE = "Table 1, Sec. 4.2"
IDENTITY_SAYS = (
    "the identity shortcuts introduce neither extra parameter nor computation complexity (option A: each ResNet "
    "has its plain twin's parameter count; the projections of B and C add the counts shown)"
)
IDENTITY_WHERE = "Sec. 3.2, 3.3, Table 1"
PARAMS_SAYS = "It has fewer parameters than other deep and thin networks such as FitNet and Highway"
PARAMS_WHERE = "Sec. 4.2, Table 6"
FLOPS_SAYS = "Our 34-layer baseline has 3.6 billion FLOPs (multiply-adds), which is only 18% of VGG-19"
FLOPS_WHERE = "Sec. 3.3"


def paper_figures(target: Target) -> dict:
    """table1.yaml's `paper:` mapping: VGG-19's FLOPs, the share the paper states, and which quoted nets ResNet-110
    is said to have fewer parameters than."""
    raw = read_yaml(target.path)
    return dict((raw.get("paper") if isinstance(raw, dict) else None) or {})


def _counted(rows: list[dict], model: str, column: str) -> float | None:
    row = next((r for r in rows if r["model"] == model and r.get(column)), None)
    return float(row[column]) if row else None


def fewer_params_verdict(rows: list[dict], figures: dict) -> Verdict:
    """ResNet-110's counted parameters against each quoted net the paper names (FitNet-19, Highway-19). Highway-32
    has fewer (1.25M) at a worse error; the paper's sentence is of the 19-layer nets, said on the row."""
    ours = _counted(rows, "resnet-110-A", "params")
    if ours is None:
        return Verdict(NOT_RUN, "")
    names = figures.get("fewer_params_than") or []
    quoted = {
        str(c["model"]): float(c["params"]) for c in load_target("table6").section("table").context if c.get("params")
    }
    others = [(name, quoted[name]) for name in names if name in quoted]
    if not others:
        return Verdict(NOT_RUN, "table1.yaml's paper: fewer_params_than names none of Table 6's quoted nets")
    more = [f"{name} {count / 1e6:.2f}M" for name, count in others if count <= ours]
    parts = ", ".join(f"{name} {count / 1e6:.2f}M" for name, count in others)
    left = sorted(set(quoted) - set(names))
    detail = f"ResNet-110 {ours / 1e6:.2f}M (counted) against {parts} (Table 6)"
    detail += f"; not of the sentence: {', '.join(f'{n} {quoted[n] / 1e6:.2f}M' for n in left)}" if left else ""
    return Verdict(FAILS if more else HOLDS, detail)


def vgg_share_verdict(rows: list[dict], figures: dict) -> Verdict:
    """plain-34's counted FLOPs over VGG-19's (the paper's 19.6e9; VGG is not built here), as the paper computes
    it: the count rounded to its 0.1 G (3.64 G is its "3.6 billion"), the share to a whole percent."""
    ours = _counted(rows, "plain-34", "flops")
    vgg, share = figures.get("vgg19_flops"), figures.get("share_of_vgg19")
    if ours is None or not vgg or not share:
        return Verdict(NOT_RUN, "")
    rounded = round(ours / 1e8) * 1e8
    measured = rounded / float(vgg)
    result = HOLDS if round(measured * 100) == round(float(share) * 100) else FAILS
    return Verdict(
        result,
        f"plain-34 {ours / 1e9:.2f} G, the paper's rounding {rounded / 1e9:.1f} G, over VGG-19's {float(vgg) / 1e9:.1f} G "
        f"(the paper's; not built here) = {measured:.1%} ({ours / float(vgg):.1%} unrounded), the paper's "
        f"{float(share):.0%} to a whole percent",
    )


READ_COLUMNS = ("model", "input", "params", "paper_params", "flops", "paper_flops")


def report_table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The report's table of table.csv's rows: counts in one unit down each column."""
    header = ["net", "input", "params", "paper params", "torchvision params (not the paper's)", "mult-adds"]
    return (
        header + ["paper mult-adds"],
        [
            [
                r["model"],
                r["input"],
                count_text(r["params"]),
                count_text(r["paper_params"]),
                count_text(r.get("torchvision_params") or ""),
                giga_text(r["flops"]),
                giga_text(r["paper_flops"]),
            ]
            for r in rows
        ],
    )


def verdicts(target: Target, rows: list[dict]) -> list[tuple[str, str, Verdict]]:
    """Table 1's scoreboard rows, (what the paper says, where, the verdict), judged on the counts table1 wrote."""
    figures = paper_figures(target)
    return [
        (SAYS, WHERE, complexity_verdict(rows)),
        (IDENTITY_SAYS, IDENTITY_WHERE, identity_verdict(rows)),
        (PARAMS_SAYS, PARAMS_WHERE, fewer_params_verdict(rows, figures)),
        (FLOPS_SAYS, FLOPS_WHERE, vgg_share_verdict(rows, figures)),
    ]


def complexity_verdict(rows: list[dict]):
    """The paper's own figures against the counts: they match when they round to the paper's (0.27M, 3.6e9, 2%).
    torchvision's parameter counts are said beside the verdict, never in it: the paper gives no ImageNet counts."""

    checked, off = 0, []
    for row in rows:
        for what, ours, theirs, shown in (
            ("params", row["params"], row["paper_params"], count_text),
            ("mult-adds", row["flops"], row["paper_flops"], giga_text),
        ):
            if ours and theirs:
                checked += 1
                if abs(float(ours) / float(theirs) - 1) > 0.02:
                    off.append(f"{row['model']} {what} {shown(ours)} vs {shown(theirs)}")
    reference = [r for r in rows if r.get("torchvision_params") and r["params"]]
    same = sum(int(float(r["params"])) == int(float(r["torchvision_params"])) for r in reference)
    detail = f"{checked - len(off)} of {checked} of the paper's figures match to its rounding (2%)"
    detail += f"; off: {', '.join(off)}" if off else ""
    if reference:
        detail += (
            f"; not in this verdict: {same} of {len(reference)} ImageNet parameter counts equal torchvision's "
            f"(the paper gives none)"
        )
    return Verdict(HOLDS if not off else FAILS, detail)


def identity_verdict(rows: list[dict]) -> Verdict:
    """Each ResNet's parameter count against its plain twin's (same depth and input): option A's must be equal,
    exactly (its shortcuts are parameter-free); B's and C's extra parameters, the projections', are reported
    beside it, not judged (the paper gives no count for them). v1.5 rows repeat the original's count."""
    plain = {(r["model"].split("-")[1], r["input"]): int(float(r["params"])) for r in rows if _is(r, "plain")}
    equal, unequal, extra, alone = [], [], [], []
    for row in rows:
        if not _is(row, "resnet") or row["model"].endswith("v1.5"):
            continue
        _, depth, shortcut = row["model"].split("-")
        twin = plain.get((depth, row["input"]))
        if twin is None:
            alone.append(row["model"])
            continue
        added = int(float(row["params"])) - twin
        if shortcut == "A":
            (equal if added == 0 else unequal).append(f"{row['model']} {added:+,}")
        else:
            extra.append(f"ResNet-{depth} {shortcut} {added:+,}")
    if not equal and not unequal:
        return Verdict(NOT_RUN, "no option-A ResNet beside its plain twin")
    detail = f"{len(equal)} of {len(equal) + len(unequal)} option-A ResNets have their plain twin's count exactly"
    detail += f"; off: {', '.join(unequal)}" if unequal else ""
    detail += f"; projections add (not judged): {', '.join(extra)}" if extra else ""
    detail += f"; no plain twin counted: {', '.join(alone)}" if alone else ""
    return Verdict(FAILS if unequal else HOLDS, detail)


def _is(row: dict, family: str) -> bool:
    return bool(row.get("params")) and row["model"].startswith(f"{family}-")


def giga_text(text: str) -> str:
    """Multiply-adds in one unit down the column, so 0.04 G and 3.66 G compare at a glance."""
    return f"{float(text) / 1e9:.2f} G" if text else ""


def count_text(text: str) -> str:
    if not text:
        return ""
    value = float(text)
    return f"{value / 1e9:.2f} G" if value >= 1e8 else f"{int(value):,}"
