"""A claim: a sentence of the paper that a target can check, stored in the target's YAML, and its parsing:

    claims:
      - says: "the deeper plain net has higher training error"
        section: "Sec. 4.2, Fig. 6 (left)"
        metric: train_error
        order: [plain20, plain56]        # lowest first: plain-20 < plain-56

The keys that follow pick its kind (order.py, level.py, gap.py, bound.py, curve.py), which measures, judges and
words it. `own: true` marks a check this project adds that the paper does not state.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import UserError, excerpt
from .base import (
    BELOW,
    CURVE,
    END,
    ERROR_METRICS,
    FIRST_LR_STEP,
    LAYERS,
    LEVEL,
    RANKS,
    RELATIONS,
    Judging,
    Kind,
    Verdict,
)
from .bound import Bound
from .curve import Curve, Layers, Ranks
from .gap import Gap
from .level import Level
from .order import Order

_ORDER, _LEVEL, _GAP, _BOUND = Order(), Level(), Gap(), Bound()
_OVER = {CURVE: Curve(), LAYERS: Layers(), RANKS: Ranks()}


@dataclass(frozen=True)
class Claim:
    says: str  # the paper's words
    section: str  # where the paper says it
    metric: str
    order: tuple[str, ...]  # run keys, lowest value first
    noise: float | None = None  # sigma for a metric the paper gives no spread for
    groups: tuple[tuple[str, ...], ...] = ()  # `order` as its entries, where an entry names several nets
    relation: str = BELOW
    own: bool = False  # this project's check, not a sentence of the paper
    paper: tuple[tuple[str, float], ...] = ()  # the paper's value of each net, where the claim states them
    over: str = END
    fraction: float = 0.0  # over the curve: the share of log windows in the claimed order for it to hold
    short: tuple[tuple[str, str], ...] = ()  # (profile, why its schedule is too short for the claim, with the evidence)
    gap: float | None = None  # the paper's stated size of the gap between the two nets of `order`
    below: float | None = None  # a bound each net's value stays under, where the paper states one
    until: float = 1.0  # over the curve: the share of the schedule it looks at, from the start ("at the early stage")
    above: float | None = None  # a bound each net's value stays over ("plain-110 is higher than 60%")
    margin: float | None = None  # relation: level: the largest difference still "comparable" (an equivalence test)
    early: bool = False  # over the curve: only the windows before the first lr step of the profile's own schedule

    def too_short(self, profile: str) -> str:
        """Why `profile` (or a `--set` variant of it) cannot be expected to show the claim; "" if nothing is said."""
        return dict(self.short).get(profile.split("~")[0], "")

    @property
    def kind(self) -> Kind:
        """What kind of claim this is, from the keys that state it: the class that measures, judges and words it."""
        if self.over != END:
            return _OVER[self.over]
        if self.bound is not None:
            return _BOUND
        if self.gap is not None:
            return _GAP
        return _LEVEL if self.relation == LEVEL else _ORDER

    @property
    def needs(self) -> int:
        """How many of its nets a profile must train for the claim to check anything."""
        return self.kind.needs

    def measure(self, found) -> dict:
        """What this claim judges of `found` (a Measured, or None where nothing is planned)."""
        return self.kind.measure(self, found)

    def judge(self, measured: dict, trained: set[str], label, judging: Judging) -> Verdict:
        return self.kind.judge(self, measured, trained, label, judging)

    @property
    def bound(self) -> tuple[str, float] | None:
        """("<", 0.1) for `below: 0.1`, (">", 60) for `above: 60`; None for a claim between nets."""
        if self.below is not None:
            return "<", self.below
        return (">", self.above) if self.above is not None else None

    @property
    def steps(self) -> tuple[tuple[str, ...], ...]:
        """The entries of `order`, each a tuple of run keys."""
        return self.groups or tuple((key,) for key in self.order)


CLAIM_KEYS = {f.name for f in fields(Claim)} - {
    "groups",
    "early",
}  # what a target file may say of a claim: groups is `order`'s


# ----------------------------------------------------------------------------- parsing (when a target loads)


def parse_claims(
    raw, where: str, engine: str, metrics: tuple[str, ...], run_keys: dict[str, list[str]]
) -> tuple[Claim, ...]:
    """`claims:` of a target file, checked strictly. `metrics`: what the target's engine measures (what a claim
    may compare); `run_keys`: model -> the keys its runs answer to (resnet20 -> [resnet20]; resnet34 ->
    [resnet34-A, resnet34-B, resnet34-C])."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UserError(f"{where}: claims: expected a list of claims (says, section, metric, order)")
    if not metrics:
        raise UserError(f"{where}: claims: a {engine} target measures nothing a claim can compare")
    return tuple(
        _parse_claim(entry, f"{where}: claims[{index}]", engine, metrics, run_keys) for index, entry in enumerate(raw)
    )


def _parse_claim(entry, at: str, engine: str, metrics: tuple[str, ...], run_keys: dict[str, list[str]]) -> Claim:
    if not isinstance(entry, dict):
        raise UserError(f"{at}: expected a mapping with says, section, metric, order")
    unknown = sorted(set(entry) - CLAIM_KEYS)
    if unknown:
        raise UserError(f"{at}: unknown key {excerpt(unknown[0])}; a claim has {', '.join(sorted(CLAIM_KEYS))}")
    missing = [k for k in ("says", "section", "metric", "order") if k not in entry]
    if missing:
        raise UserError(f"{at}: missing {', '.join(missing)} (a claim has says, section, metric, order)")
    if entry["metric"] not in metrics:
        raise UserError(
            f"{at}: metric {excerpt(entry['metric'])} is not one a {engine} target measures ({', '.join(metrics)})"
        )
    order = entry["order"]
    fewest = 1 if "below" in entry or "above" in entry else 2  # a bound is on each net by itself
    if not isinstance(order, list) or len(order) < fewest:
        what = "one or more runs" if fewest == 1 else f"two or more runs, lowest {entry['metric']} first"
        raise UserError(f"{at}: order: expected a list of {what}")
    groups = tuple(
        tuple(resolve_run_key(str(name), run_keys, at) for name in (item if isinstance(item, list) else [item]))
        for item in order
    )
    noise = _noise(entry, at)
    relation = entry.get("relation", BELOW)
    if relation not in RELATIONS:
        raise UserError(f"{at}: relation: {excerpt(relation)} is not one of {', '.join(RELATIONS)}")
    gap, below, above = _size_keys(entry, at, groups, relation)
    if not isinstance(entry.get("own", False), bool):
        raise UserError(f"{at}: own: expected true or false, got {excerpt(entry['own'])}")
    over, fraction = Curve.parse_over(entry, at)
    short = entry.get("short", {})
    if not isinstance(short, dict) or not all(isinstance(v, str) and v.strip() for v in short.values()):
        raise UserError(
            f"{at}: short: expected profile: why its schedule is too short for this claim, e.g. "
            f'short: {{cpu: "ResNet-56 passes ResNet-20 only past 16k iterations"}}'
        )
    return Claim(  # by keyword, in the order the checks run: a kind's new field can go anywhere in Claim
        says=str(entry["says"]),
        section=str(entry["section"]),
        metric=entry["metric"],
        order=tuple(key for group in groups for key in group),
        noise=float(noise) if noise is not None else None,
        groups=groups if any(len(group) > 1 for group in groups) else (),
        relation=relation,
        own=entry.get("own", False),
        paper=_paper_values(entry.get("paper"), run_keys, at),
        over=over,
        fraction=fraction,
        short=tuple((str(profile), text.strip()) for profile, text in short.items()),
        gap=gap,
        below=below,
        until=Curve.parse_until(entry, at, over),
        above=above,
        margin=Level.parse_margin(entry, at, relation),
        early=entry.get("until") == FIRST_LR_STEP,
    )


def _noise(entry: dict, at: str) -> float | None:
    """`noise`: the seed std a claim assumes, required where the paper gives no spread for its metric."""
    noise = entry.get("noise")
    if noise is not None and (isinstance(noise, bool) or not isinstance(noise, (int, float)) or noise <= 0):
        raise UserError(
            f"{at}: noise: expected a positive number (the seed std of {entry['metric']}), got {excerpt(noise)}"
        )
    if noise is None and entry["metric"] == "train_error" and (entry.get("below"), entry.get("above")) != (None, None):
        raise UserError(
            f"{at}: noise: a bound on the training error needs the training error's own seed std (the paper's "
            f"0.16 is the test error's); state the std this claim assumes, e.g. noise: 0.05"
        )
    if noise is None and entry["metric"] not in ERROR_METRICS and entry.get("over", END) == END:
        raise UserError(
            f"{at}: noise: the paper gives no seed spread for {entry['metric']}; state the std "
            f"this claim assumes, e.g. noise: 0.02"
        )
    return noise


def _size_keys(entry: dict, at: str, groups: tuple, relation: str) -> tuple[float | None, ...]:
    """`gap` (the paper's size of one gap between two nets), `below` and `above` (a bound on each net), each a
    plain ordering's refinement: none goes with another relation, a curve, or another of them."""
    found = {}
    for key in ("gap", "below", "above"):
        value = entry.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key == "gap" and value <= 0):
            raise UserError(f"{at}: {key}: expected a number (the paper's, in {entry['metric']}), got {excerpt(value)}")
        if relation != BELOW or entry.get("over", END) != END or len(found):
            raise UserError(f"{at}: {key}: states a size of its own; it goes with no relation, over or other size")
        found[key] = float(value)
    if "gap" in found and (len(groups) != 2 or any(len(group) != 1 for group in groups)):
        raise UserError(f"{at}: gap: the size of one gap needs exactly two nets in order, lower first")
    return found.get("gap"), found.get("below"), found.get("above")


def _paper_values(raw, run_keys: dict[str, list[str]], at: str) -> tuple[tuple[str, float], ...]:
    """A claim's own `paper:` values (net -> number), for a claim whose target has no table of them."""
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw.values()
    ):
        raise UserError(f"{at}: paper: expected a mapping of net to the paper's number, e.g. {{resnet20: 8.75}}")
    return tuple((resolve_run_key(str(name), run_keys, at), float(value)) for name, value in raw.items())


def resolve_run_key(name: str, run_keys: dict[str, list[str]], at: str, field: str = "order") -> str:
    """The run key a target file's net name answers to: a key itself (resnet34-B), or a model with one run
    (resnet18 where the only run is resnet18-A). Claims and `table.paper` both name nets this one way, so a
    paper number finds the same runs its claims do."""
    every = [key for keys in run_keys.values() for key in keys]
    if name in every:
        return name
    candidates = run_keys.get(name, [])
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise UserError(f"{at}: {field}: {excerpt(name)} is ambiguous here; name one of {', '.join(candidates)}")
    raise UserError(f"{at}: {field}: {excerpt(name)} is not among this target's runs ({', '.join(every)})")


def claim_paper_values(claim: Claim, table_paper: dict) -> dict[str, float]:
    """The paper's number of each net of a claim: the claim's own `paper:`, else the target's `table.paper`
    (for test error, the mean where the paper gives one: the claims compare seed means)."""
    values = {}
    for key, entry in (table_paper or {}).items():
        number = entry.get("mean") if claim.metric == "test_error" and "mean" in entry else entry.get(claim.metric)
        if isinstance(number, (int, float)) and not isinstance(number, bool):
            values[key] = float(number)
    return values | dict(claim.paper)
