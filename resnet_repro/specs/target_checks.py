"""A target file checked when it is read, so a mistake is one `file:line` line before anything trains, not a
traceback after hours of training. No torch here (plot and report code use it).

This holds the target's name rule, `TargetSchema` (the typed keys every target file shares, and the JSON Schema
editors read), `read_section`, which reads an engine's section as its typed schema, and the checks of the nets a
file names against the nets that exist (`check_net`) and against its runs (`check_in_runs`). A built-in engine's own
sections are typed in its folder's engine.py; figure and table, which two engines read, in engines/sections.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from ..basics.errors import UserError, excerpt
from ..readers.validation import Expect, Flag, Text, Whole, lines_in, refuse, validate
from ..readers.yamlio import line_of
from .naming import parse_model_name, shortcut_problem, variant_problem
from .registry import engine_names

# A target's name becomes a folder under --results beside runs/ and bench/, so it must be a plain name.
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
VARIANT_LABEL = re.compile(r"[a-z][a-z0-9-]*")  # a recipe variant's label: part of a run folder's name
RESERVED_NAMES = {"runs", "bench"}  # folders of results/ that are not targets
# Upper bounds, checked when the file is read: a count is turned into a list (of runs, of batches) before any work.
MAX_SEEDS = 1000  # more is a typo, not an experiment (and a count of 10^20 cannot even be listed)
MAX_ORDER = 10_000
MAX_INPUT_SIDE = 4096  # a net's input channels, height or width (the paper's largest is 224)
_RUN_NEEDS_A_MODEL = "each run needs a model, e.g. '- model: resnet56'"


def check_target_name(name: str, path: Path) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(
            f"{path}: the target name {excerpt(name)} (the file's name) must be letters, digits, '-' and '_', "
            f"starting with a letter: it names a folder under --results. Rename the file"
        )
    if name.lower() in RESERVED_NAMES:
        raise UserError(
            f"{path}: a target cannot be called {excerpt(name)}: results/{name.lower()}/ holds "
            f"{'every run' if name.lower() == 'runs' else 'benchmarks'}. Rename the file"
        )


def _run_from_name(value: Any) -> Any:
    """`- resnet56` is short for `- model: resnet56`."""
    return {"model": value} if isinstance(value, str) else value


def _plain_label(label: str) -> str:
    """A recipe variant's label is part of a run folder's name, so it must be a plain name."""
    if not VARIANT_LABEL.fullmatch(label):
        raise refuse(
            f"{excerpt(label)} must be lowercase letters, digits and '-', starting with a letter (it names the "
            f"variant's run folder), e.g. no-warmup"
        )
    return label


# An entry of `runs:` as the file says it, typed; Target.runs holds these (experiments.RunEntry).
class RunSchema(BaseModel):
    """One net a target trains."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: Text = Field(description="the net: resnet20 ... resnet1202, plain20 ..., resnet18 ... resnet152")
    shortcut: Text | None = Field(None, description="a ResNet's projection shortcuts: A, B or C")
    seeds: Annotated[Whole(1, MAX_SEEDS), Expect(f"expected a whole number >= 1 and <= {MAX_SEEDS}")] = 1
    family: Text | None = Field(None, description="cifar or imagenet, where a name is in both (resnet50)")
    variant: Text = Field("original", description="ImageNet bottleneck nets: original or v1.5")
    on_request: Flag = Field(False, description="trained only when --only names it (fig6's plain-110)")
    label: (
        Annotated[Text, Expect("expected a name: lowercase letters, digits and '-'"), AfterValidator(_plain_label)]
        | None
    ) = Field(
        None, description="a recipe variant's name (no-warmup): run key resnet110-no-warmup, a run folder of its own"
    )
    without: Annotated[tuple[Text, ...], Expect("expected a list of recipe keys, e.g. [warmup]")] | None = Field(
        None, description="with label: the recipe keys this variant switches off (set to null), e.g. [warmup]"
    )


class SelectionSchema(BaseModel):
    """Which of the target's runs a profile trains, and how many seeds."""

    model_config = ConfigDict(extra="forbid")

    models: Annotated[list[Text], Expect("expected a list of names")] | None = None
    seeds: Annotated[Whole(1, MAX_SEEDS), Expect(f"expected a whole number >= 1 and <= {MAX_SEEDS}")] | None = None


_TEXT = Expect("expected text")
_MAPPING = Expect("expected a mapping (key: value, ...)")
_SECTION = "checked by the engine that reads it when the file is read"


class TargetSchema(BaseModel):
    """A target file (experiments/*.yaml, or your own): one table or figure of the paper and the runs it needs.
    Its keys are checked here; an engine's sections (figure, table, nets, gradflow) by that engine, and claims by
    claims/, all when the file is read. `resnet-repro schema` writes this as JSON Schema for editors."""

    model_config = ConfigDict(extra="allow", title="resnet-repro target file")  # other keys: _check_keys

    title: Annotated[Text, _TEXT] = Field(None, description="the heading in tables and the report")
    order: Annotated[Whole(1, MAX_ORDER), Expect(f"expected a whole number >= 1 and <= {MAX_ORDER}")] = Field(
        None, description="where the report shows it: the paper's order; a target of one's own comes after"
    )
    engine: Any = Field(
        None,
        description="what computes it",
        json_schema_extra=lambda schema: schema.update(type="string", enum=engine_names()),
    )
    recipe: Annotated[Text, _TEXT] = Field(None, description="experiments/_recipes/<recipe>.yaml: how its runs train")
    notes: Annotated[Text, _TEXT] = Field(None, description="shown under the table in the report")
    runs: Annotated[
        list[
            Annotated[
                RunSchema,
                BeforeValidator(_run_from_name, json_schema_input_type=RunSchema | str),
                Expect(_RUN_NEEDS_A_MODEL, show=False),
            ]
        ],
        Expect("expected a list of runs, e.g. '- model: resnet56'"),
    ] = Field(None, description="the nets it trains: '- resnet56' or '- {model: resnet110, seeds: 5}'")
    profiles: Annotated[
        dict[str, Annotated[SelectionSchema, Expect("expected a mapping (models: [...], seeds: N)")]], _MAPPING
    ] = Field(None, description="per profile, which runs it trains (models) and how many seeds")
    paper: Annotated[dict[str, Any], _MAPPING] = Field(None, description="the paper's numbers")
    claims: Any = Field(None, description="the paper's sentences this target checks; see docs")
    figure: Any = Field(None, description=f"curves, one panel per group of nets; {_SECTION}")
    table: Any = Field(None, description=f"the paper's numbers per net and the test protocol; {_SECTION}")
    nets: Any = Field(None, description=f"the nets Table 1 counts; {_SECTION}")
    gradflow: Any = Field(None, description=f"nets measured at initialisation; {_SECTION}")


def read_section(schema: Any, raw: dict, key: str, path: Path) -> Any:
    """The section `key` of the target file `raw` as its engine's typed `schema` (a dataclass or model whose fields
    use validation's types), or one `file:line` line. A schema with rules that need the rest of the file (a panel's
    nets must be the target's runs) has a `parse(raw, path)` classmethod, which calls this and then checks them."""
    return validate(schema, raw[key], lines_in(raw, str(path)), prefix=key)


def check_net(net: Any, variant: str, items: list, index: int, path: Path, section: str) -> None:
    """A net the target file names, as typed (one of its runs, a net Table 1 counts): its model name and family, then
    its `variant` ("original" where none is given) and its shortcut checked against the net, each problem one line at
    that key's line in the net's mapping, `items[index]` of the list `section` (runs, nets); at the item's line where
    it is a name alone (`- resnet56`)."""
    raw = items[index]
    key = f"{section}[{index}]"

    def at(name: str) -> str:
        return at_line(path, raw, name) if isinstance(raw, dict) else at_line(path, items, index)

    try:
        model = parse_model_name(net.model, net.family)
    except UserError as error:  # no such net, or no such family
        name = "family" if str(error).startswith("unknown model family") else "model"
        raise UserError(f"{at(name)}: {key}.{name}: {error}") from None
    for name, problem in (
        ("variant", variant_problem(model, variant)),
        ("shortcut", shortcut_problem(model, net.shortcut)),
    ):
        if problem:
            raise UserError(f"{at(name)}: {key}.{name}: {problem}")


def at_line(path: Path, mapping: Any, key: Any) -> str:
    """`file:line` of a key read from the file (the file alone where the line is unknown)."""
    line = line_of(mapping, key)
    return f"{path}:{line}" if line else str(path)


def at_item(path: Path, mapping: Any, key: Any, index: int) -> str:
    """`file:line` of item `index` of the list at `key` (`- plain56` below `models:`), the key's where the item's
    line is unknown."""
    items = mapping.get(key) if isinstance(mapping, dict) else None
    return at_line(path, items, index) if line_of(items, index) else at_line(path, mapping, key)


def check_in_runs(mapping: dict, raw: dict, path: Path, key: str) -> None:
    """Each net a mapping of the target file `raw` lists under `models:` (a profile's selection, a figure panel) is
    the model of one of the runs the file lists; else one line at that net's `file:line`, naming `key`, the list."""
    runs = raw.get("runs") if isinstance(raw.get("runs"), list) else []
    listed = {str(e.get("model") if isinstance(e, dict) else e) for e in runs}
    for index, model in enumerate(mapping.get("models") or []):
        if model not in listed:
            raise UserError(
                f"{at_item(path, mapping, 'models', index)}: {key}: {excerpt(model)} is not among this target's runs "
                f"({', '.join(sorted(listed))})"
            )
