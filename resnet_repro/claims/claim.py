"""A claim as a target's YAML states it (`ClaimSchema`), and its parsing into the `Claim` of its kind:

    claims:
      - says: "the deeper plain net has higher training error"
        section: "Sec. 4.2, Fig. 6 (left)"
        metric: train_error
        order: [plain20, plain56]        # lowest first: plain-20 < plain-56

The keys that follow pick its kind (base.py's `Claim`, or a subclass of it in level.py, gap.py, bound.py, curve.py),
which measures, judges and words it. `own: true` marks a check this project adds that the paper does not state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from ..basics.errors import UserError, excerpt
from ..readers.validation import STRICT_KEYS, Expect, Flag, Number, Text, Where, at_key, refuse, validate
from .base import (
    BELOW,
    CURVE,
    END,
    ERROR_METRICS,
    FIRST_LR_STEP,
    LAYERS,
    LEVEL,
    OVER,
    RANKS,
    RELATIONS,
    UNITS,
    Claim,
)
from .bound import Bound
from .curve import Curve, Layers, Ranks
from .gap import Gap
from .level import Level

_HAS = " (a claim has says, section, metric, order)"


def _as_list(value):
    """An entry of `order` is one net or a list of nets compared together ("the 50/101/152-layer ResNets")."""
    return value if isinstance(value, list) else [value]


def _share_or_first_step(value):
    """the share of the schedule an early-stage claim looks at, in (0, 1], or first_lr_step"""
    if value == FIRST_LR_STEP or (type(value) in (int, float) and 0 < value <= 1):
        return value
    raise refuse(
        f"expected the share of training the claim looks at, e.g. 0.3, or {FIRST_LR_STEP}; got {excerpt(value)}"
    )


_SIZE = Expect("expected a number (the paper's, in the claim's metric)")
_SHORT = Expect(
    'expected profile: why its schedule is too short for this claim, e.g. short: {cpu: "too few iterations"}'
)
_PAPER = Expect("expected a mapping of net to the paper's number, e.g. {resnet20: 8.75}")
_FRACTION = Expect("expected a share above 0.5 and at most 1, e.g. 0.9")
_MARGIN = Expect("expected the largest difference it still calls equal, e.g. 0.5")
_NOTE = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1), _SHORT]
_RUNS = Annotated[list[Text], BeforeValidator(_as_list, json_schema_input_type=Text | list[Text])]


class ClaimSchema(BaseModel):
    """A sentence of the paper this target checks: says, section, metric, order, and the keys that pick its kind."""

    model_config = STRICT_KEYS  # the rules that need the rest of the target or join two keys are _parse_claim's

    says: Text = Field(description="the paper's words")
    section: Text = Field(description="where the paper says it")
    metric: Text = Field(description="what it compares: one the target's engine measures")
    order: Annotated[list[_RUNS], Expect("expected a list of runs, lowest first", show=False)]
    noise: Annotated[Number(gt=0), Expect("expected a positive number (the seed std of its metric)")] | None = None
    relation: Literal[RELATIONS] = BELOW
    own: Flag = Field(False, description="this project's check, not a sentence of the paper")
    paper: Annotated[dict[Text, Annotated[Number(), _PAPER]], _PAPER] | None = None
    over: Literal[OVER] = END
    fraction: Annotated[Number(gt=0.5, le=1), _FRACTION] | None = None
    short: Annotated[dict[Text, _NOTE], _SHORT] = {}
    gap: Annotated[Number(gt=0), _SIZE] | None = None
    below: Annotated[Number(), _SIZE] | None = None
    until: Annotated[Any, AfterValidator(_share_or_first_step)] = Field(1.0, description=_share_or_first_step.__doc__)
    above: Annotated[Number(), _SIZE] | None = None
    margin: Annotated[Number(gt=0), _MARGIN] | None = None


# ----------------------------------------------------------------------------- parsing (when a target loads)


def parse_claims(
    raw, where: Where, engine: str, metrics: tuple[str, ...], run_keys: dict[str, list[str]]
) -> tuple[Claim, ...]:
    """`claims:` of a target file, checked strictly; `where` locates a dotted key (claims[0].noise) in the file.
    `metrics`: what the target's engine measures (what a claim may compare); `run_keys`: model -> the keys its
    runs answer to (resnet20 -> [resnet20]; resnet34 -> [resnet34-A, resnet34-B, resnet34-C])."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise UserError(f"{where('claims')}: claims: expected a list of claims (says, section, metric, order)")
    if not metrics:
        raise UserError(f"{where('claims')}: claims: a {engine} target measures nothing a claim can compare")
    return tuple(_parse_claim(entry, f"claims[{i}]", where, engine, metrics, run_keys) for i, entry in enumerate(raw))


def _parse_claim(raw, key: str, where: Where, engine: str, metrics: tuple[str, ...], run_keys: dict) -> Claim:
    entry = validate(ClaimSchema, raw, where, missing=_HAS, prefix=key)

    def at(name: str) -> str:
        """`file:line: claims[i]`, the line of the claim's key `name` (the claim's own where it is absent)."""
        return f"{where(f'{key}.{name}')}: {key}"

    if entry.metric not in metrics:
        raise UserError(
            f"{at('metric')}: metric {excerpt(entry.metric)} is not one a {engine} target measures ({', '.join(metrics)})"
        )
    kind = _kind(entry)
    if len(entry.order) < kind.needs:
        what = "one or more runs" if kind.needs == 1 else f"two or more runs, lowest {entry.metric} first"
        raise UserError(f"{at('order')}: order: expected a list of {what}")

    def at_net(index: int, inner: int) -> str:
        """`file:line: claims[i]`, the line of a net of `order` (`- plain20` below `order:`, or in a group)."""
        return f"{where(f'{key}.order[{index}][{inner}]')}: {key}"

    groups = tuple(
        tuple(resolve_run_key(name, run_keys, at_net(index, inner)) for inner, name in enumerate(item))
        for index, item in enumerate(entry.order)
    )
    _check_order(groups, at_net)
    _check_noise(entry, at)
    _check_sizes(entry, at, groups)
    fraction = _fraction(entry, at)
    return kind(  # the keys as read, but those that parsing resolves to run keys, fills in or joins to others
        **dict(entry)
        | dict(
            order=tuple(key for group in groups for key in group),
            groups=groups if any(len(group) > 1 for group in groups) else (),
            paper=tuple(
                (resolve_run_key(name, run_keys, f"{at_key(where, f'{key}.paper', name)}: {key}", "paper"), value)
                for name, value in (entry.paper or {}).items()
            ),
            fraction=fraction,
            short=tuple(entry.short.items()),
            until=_until(entry, at),
            margin=_margin(entry, at),
            early=entry.until == FIRST_LR_STEP,
        )
    )


def _kind(entry: ClaimSchema) -> type[Claim]:
    """The class that measures, judges and words a claim, from the keys that state it. A bound comes first: it holds
    of each net by itself, so its `needs` lets `order` name one net (a size beside another kind's keys is refused
    by _check_sizes)."""
    if entry.below is not None or entry.above is not None:
        return Bound
    if entry.over != END:
        return {CURVE: Curve, LAYERS: Layers, RANKS: Ranks}[entry.over]
    if entry.gap is not None:
        return Gap
    return Level if entry.relation == LEVEL else Claim


def _check_order(groups: tuple, at: Callable[[int, int], str]) -> None:
    """Each entry of `order` names at least one net, and each net once: an empty group, or a net compared with
    itself, would make a claim about fewer nets than it shows (plain-20 < plain-20). `at(i, j)`: where the j-th net
    of the i-th entry is."""
    for index, group in enumerate(groups):
        if not group:
            raise UserError(
                f"{at(index, 0)}: order: an empty list names no net; write each net, or a list of nets compared together"
            )
    seen = set()
    for index, group in enumerate(groups):
        for inner, name in enumerate(group):
            if name in seen:
                raise UserError(f"{at(index, inner)}: order: {excerpt(name)} is named twice; name each net once")
            seen.add(name)


def _check_noise(entry: ClaimSchema, at: Callable[[str], str]) -> None:
    """`noise`: the seed std a claim assumes, required where the paper gives no spread for its metric."""
    if entry.noise is None and entry.metric == "train_error" and (entry.below, entry.above) != (None, None):
        raise UserError(
            f"{at('noise')}: noise: a bound on the training error needs the training error's own seed std (the paper's "
            f"0.16 is the test error's); state the std this claim assumes, e.g. noise: 0.05"
        )
    if entry.noise is None and entry.metric not in ERROR_METRICS and entry.over == END:
        raise UserError(
            f"{at('noise')}: noise: the paper gives no seed spread for {entry.metric}; state the std "
            f"this claim assumes, e.g. noise: 0.02"
        )


def _check_sizes(entry: ClaimSchema, at: Callable[[str], str], groups: tuple) -> None:
    """`gap` (the paper's size of one gap between two nets), `below` and `above` (a bound on each net), each a
    plain ordering's refinement: none goes with another relation, a curve, or another of them."""
    sizes = [key for key in ("gap", "below", "above") if getattr(entry, key) is not None]
    if sizes and (entry.relation != BELOW or entry.over != END or len(sizes) > 1):
        raise UserError(
            f"{at(sizes[-1])}: {sizes[-1]}: states a size of its own; it goes with no relation, over or other size"
        )
    if entry.gap is not None and (len(groups) != 2 or any(len(group) != 1 for group in groups)):
        raise UserError(f"{at('gap')}: gap: the size of one gap needs exactly two nets in order, lower first")


def _fraction(entry: ClaimSchema, at: Callable[[str], str]) -> float:
    """`over: curve` with the `fraction` of log windows that must be in order (a claim "throughout training");
    `over: layers` or `ranks` with the fraction of layers (fig7's "generally smaller", per layer or sorted)."""
    if entry.over == END and entry.fraction is not None:
        raise UserError(f"{at('fraction')}: fraction: only a claim over: curve counts log windows")
    if entry.over != END and entry.fraction is None:
        raise UserError(
            f"{at('fraction')}: fraction: over: {entry.over} needs the share of {UNITS[entry.over].split(' (')[0]} "
            f"that must be in order, above 0.5 and at most 1, e.g. fraction: 0.9; got nothing (null)"
        )
    if entry.over == CURVE and entry.metric != "train_error":
        raise UserError(f"{at('over')}: over: curve: only the training error is logged through training")
    if entry.over in (LAYERS, RANKS) and entry.metric != "response_std":
        raise UserError(f"{at('over')}: over: {entry.over}: only the response std is measured layer by layer")
    return entry.fraction or 0.0


def _until(entry: ClaimSchema, at: Callable[[str], str]) -> float:
    """`until`: a claim of the early curve looks at the windows up to this share of the schedule."""
    if (entry.until == FIRST_LR_STEP or entry.until < 1) and entry.over != CURVE:
        raise UserError(f"{at('until')}: until: only a claim over: curve looks at part of training")
    return 1.0 if entry.until == FIRST_LR_STEP else float(entry.until)


def _margin(entry: ClaimSchema, at: Callable[[str], str]) -> float | None:
    """`margin`: an equality claim is an equivalence test, which needs the largest difference it still calls
    equal; no other relation has one."""
    if entry.relation != LEVEL and entry.margin is not None:
        raise UserError(f"{at('margin')}: margin: only a claim with relation: level has an equivalence margin")
    if entry.relation == LEVEL and entry.margin is None:
        raise UserError(
            f"{at('margin')}: margin: relation: level needs the largest difference it still calls equal, in "
            f"{entry.metric} points, e.g. margin: 0.5; got nothing (null)"
        )
    return entry.margin


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
