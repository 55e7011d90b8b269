"""Table 1's comparisons with nets not built here, judged on the counts table1 wrote (no torch): ResNet-110's
parameters against the deep and thin nets of Table 6, and the 34-layer baseline's FLOPs as a share of VGG-19's.

The other nets' figures are the paper's: FitNet's and Highway's parameters are Table 6's quoted rows (table6.yaml's
`table.context`), VGG-19's FLOPs and the share Sec. 3.3 states are table1.yaml's `paper:`. Counts are exact, so
there is no noise band: a claim holds or does not.
"""

from __future__ import annotations

from ...claims import FAILS, HOLDS, NOT_RUN, Verdict
from ...experiments import Target, load_target
from ...yamlio import read_yaml

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
