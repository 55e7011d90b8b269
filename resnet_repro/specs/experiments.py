"""Targets (one table or figure of the paper) and the runs they need, read from experiments/*.yaml.

A target file lists its runs, per-profile run selections and the paper's numbers; the recipe it
names (`experiments/_recipes/<recipe>.yaml`) holds the training recipe, per-model rules (the
ResNet-110 warm-up) and the profiles. Targets that share a run (fig1, fig6, table6 all train
plain-20) resolve it to the same name and the same config, so it is trained once.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, InstanceOf

from ..basics.errors import PATH_CHARS, UserError, excerpt, shorten
from ..claims.base import Claim
from ..claims.claim import parse_claims, resolve_run_key
from ..readers.validation import STRICT_KEYS, Expect, Flag, Text, Where, at_key, did_you_mean, lines_in, validate
from ..readers.yamlio import LineDict, line_of, read_yaml
from .config import (
    RunConfig,
    RunSettings,
    known_keys,
    merge_layers,
    overrides_tag,
    parse_overrides,
    validate_settings,
)
from .naming import ModelName, default_shortcut, model_label, parse_model_name
from .registry import engine_names, get_engine, section_names
from .run_id import RunId
from .target_checks import (
    MAX_SEEDS,
    TargetSchema,
    at_line,
    check_in_runs,
    check_net,
    check_target_name,
    read_section,
)
from .target_checks import RunSchema as RunEntry  # one net of a target's `runs:`, as typed when the file is read

SHIPPED_EXPERIMENTS = Path(__file__).resolve().parent.parent.parent / "experiments"  # beside an editable install


def experiments_dir() -> Path:
    """experiments/ beside the package (an editable install), or $RESNET_REPRO_EXPERIMENTS."""
    env = os.environ.get("RESNET_REPRO_EXPERIMENTS")
    if env and not Path(env).is_dir():  # else no target is known, and `list` shows none with exit 0
        raise UserError(
            f"RESNET_REPRO_EXPERIMENTS={shorten(env, PATH_CHARS)} is not a folder: point it at a copy of experiments/ (its "
            f"target files and _recipes/), or unset it"
        )
    return Path(env) if env else SHIPPED_EXPERIMENTS


@dataclass(frozen=True)
class Target:
    name: str
    path: Path
    title: str
    engine: str
    recipe: str | None
    runs: tuple[RunEntry, ...]
    selections: dict  # profile -> {"models": [...], "seeds": n}
    claims: tuple[Claim, ...] = ()  # the paper's sentences this target checks
    sections: dict = field(default_factory=dict, repr=False)  # the engine's typed sections (its engine.py's schemas)
    notes: str = ""
    order: int | None = None  # where the report shows it: the paper's order; a target of one's own comes after

    def run_key(self, label: str) -> str | None:
        """The key a run answers to in claims and `table.paper` (resnet20, resnet34-B), from its run folder's label
        (resnet-20-A, resnet-110-A-no-warmup: the label alone tells each entry of `runs:` apart); None if not this
        target's."""
        return next((run_entry_key(entry) for entry in self.runs if folder_label(entry) == label), None)

    def section(self, key: str, default: Any = None) -> Any:
        """One of the engine's sections, parsed and checked when the file was read (`default` if absent)."""
        return self.sections.get(key, default)

    def on_request(self) -> dict[str, str]:
        """Run key -> the `--only` label that trains it, for each net trained only on request."""
        return {run_entry_key(e): folder_label(e) for e in self.runs if e.on_request}

    def run_keys(self) -> dict[str, list[str]]:
        """Each model of `runs:` -> the keys its runs answer to (resnet34 -> [resnet34-A, resnet34-B]). A recipe
        variant is a group of its own, so `resnet110` still names the paper recipe's one run and only
        `resnet110-no-warmup` names the variant."""
        keys: dict[str, list[str]] = {}
        for entry in self.runs:
            group = run_entry_key(entry) if entry.label else parse_model_name(entry.model, entry.family).canonical
            keys.setdefault(group, []).append(run_entry_key(entry))
        return keys

    def paper_table(self, where: Where | None = None) -> dict:
        """`table.paper` keyed by run key, each name resolved as a claim's is (resnet18 where the one run is
        resnet18-A); {} without one. Reading the file calls it with `where`, the file's lines, so a name that is
        none of the runs' is one line at its own."""
        table = self.section("table")
        keys = self.run_keys()
        return {
            resolve_run_key(
                str(name), keys, at_key(where, "table.paper", name) if where else str(self.path), "table.paper"
            ): entry
            for name, entry in (table.paper if table is not None else {}).items()
        }

    @property
    def argument(self) -> str:
        """The target as a command takes it, for the commands a message suggests: its name for a file of the
        experiments folder (fig6), else its file's path as given, quoted for a shell (`resnet-repro run mine` finds
        no /tmp/mine.yaml; `run fig1` would find the shipped fig1, not /tmp/fig1.yaml)."""
        shipped = experiments_dir() / f"{self.name}.yaml"
        try:
            named = self.path == shipped or self.path.samefile(shipped)
        except OSError:  # no shipped file of that name
            named = False
        return self.name if named else shlex.quote(str(self.path))

    @property
    def default_profile(self) -> str | None:
        """The profile a command runs without --profile (None for a target that trains nothing)."""
        return load_recipe_file(self.recipe).default_profile if self.recipe else None

    def profile(self, name: str | None) -> Profile | None:
        """The recipe's profile of that name; None for a variant folder (paper~3f2a1c) or a target without one."""
        return load_recipe_file(self.recipe).profiles.get(name) if self.recipe else None

    def paper_seeds(self) -> dict[str, int]:
        """How many runs each paper number summarises: the target's own seed count for that net (ResNet-110: 5)."""
        return {run_entry_key(entry): entry.seeds for entry in self.runs}


# A layer of settings (data, recipe, train, or a model's rules): a mapping kept as read (its lines locate each value
# merged from it), or null; each key is checked once the layers merge.
_Layer = Annotated[InstanceOf[dict] | None, Expect("expected a mapping (key: value, ...)")]


class _ProfileKeys(BaseModel):
    """A profile as its recipe file writes it: its words, what code asks of it, and its layer of settings."""

    model_config = STRICT_KEYS

    description: Text = ""
    deviations: tuple[Text, ...] = ()
    default: Flag = False  # what a command runs without --profile; its outputs are the target's folder itself
    compared_with_paper: Flag = False  # its numbers stand beside the paper's, with a verdict
    for_tests: Flag = False  # the suite's: never offered to a user as a way to run a target
    data: _Layer = None
    recipe: _Layer = None
    train: _Layer = None


class Profile(_ProfileKeys):
    """A profile as the tool uses it: its typed keys, its name, and its settings as one layer over the recipe's
    defaults (data, recipe and train, with the line of each)."""

    model_config = ConfigDict(frozen=True)

    name: str
    layer: dict


def is_test_profile(profile: str) -> bool:
    """Whether `profile` only tests the tool (seconds on a tiny subset; `for_tests: true` in its recipe file): its
    numbers mean nothing, and every figure and table drawn from it says so. The one place that decides it."""
    recipes = (load_recipe_file(path.stem) for path in sorted(experiments_dir().glob("_recipes/*.yaml")))
    return any(known.for_tests for recipe in recipes if (known := recipe.profiles.get(profile)) is not None)


_Profile = Annotated[_ProfileKeys, BeforeValidator(lambda body: {} if body is None else body)]  # `cpu:` alone: no keys


class RecipeFile(BaseModel):
    """A recipe file's keys, typed, so a mapping where a list stands (or a number for a profile) is one line. As
    `load_recipe_file` returns it, `profiles` maps each name to its `Profile` ({} without any)."""

    model_config = STRICT_KEYS

    description: Text = ""
    defaults: _Layer = None
    model_rules: dict[str, _Layer] | None = None  # model -> its layer over the defaults
    profiles: dict[str, _Profile] | None = None

    @property
    def default_profile(self) -> str | None:
        return next((name for name, profile in self.profiles.items() if profile.default), None)

    def iterations(self, profile: str) -> int | None:
        """The iterations `profile` trains for, as its recipe file sets them: its own layer's, else the defaults'
        (None where neither sets a whole number)."""
        for layer in (self.profiles[profile].layer, self.defaults or {}):
            recipe = layer.get("recipe")
            value = recipe.get("iterations") if isinstance(recipe, dict) else None
            if value is not None:
                return value if isinstance(value, int) and not isinstance(value, bool) else None
        return None


# ----------------------------------------------------------------------------- loading


def profile_names() -> list[str]:
    """Every recipe's profiles, each once, in the files' order (the command line's help, the report's page)."""
    names = (load_recipe_file(path.stem).profiles for path in sorted(experiments_dir().glob("_recipes/*.yaml")))
    return list(dict.fromkeys(name for profiles in names for name in profiles))


def target_names() -> list[str]:
    folder = experiments_dir()
    names = sorted(p.stem for p in folder.glob("*.yaml"))
    # RESNET_REPRO_EXPERIMENTS at the repo's root, or an empty copy: else `list` shows no target with exit 0
    if not names and folder != SHIPPED_EXPERIMENTS:
        raise UserError(
            f"RESNET_REPRO_EXPERIMENTS={shorten(str(folder), PATH_CHARS)} holds no target file (*.yaml): point it at a "
            f"copy of experiments/ (its target files and _recipes/), or unset it"
        )
    return names


def load_target(name_or_path: str) -> Target:
    """A registered target by name, or a user's own experiment YAML by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise UserError(f"experiment file {path} not found")
        return _parse_target(path.stem, path)
    names = target_names()
    given = name_or_path.lower()  # FIG6 and Fig6 name fig6, as --only ignores case; mine names a file Mine.yaml
    name = name_or_path if name_or_path in names else next((n for n in names if n.lower() == given), None)
    if name is None:
        close = difflib.get_close_matches(given, names, n=3, cutoff=0.5)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise UserError(
            f"unknown target {excerpt(given)}.{hint} Targets: {', '.join(names)} "
            f"(or a path to your own experiment .yaml)"
        )
    return _parse_target(name, experiments_dir() / f"{name}.yaml")


def _parse_runs(typed: TargetSchema, raw: dict, path: Path) -> list[RunEntry]:
    """The target's `runs:` (typed by TargetSchema): each net's name, shortcut and variant checked against the net,
    and a recipe variant's keys against each other."""
    for index, entry in enumerate(typed.runs or []):
        check_net(entry, entry.variant, raw["runs"], index, path, "runs")
        if (entry.label is None) != (not entry.without):  # a variant needs its own run folder and what it drops
            key = "without" if entry.label is None else "label"
            raise UserError(
                f"{at_line(path, raw['runs'][index], key)}: runs[{index}]: a recipe variant needs both `label` (its "
                f"own run folder) and `without` (the recipe keys it switches off), e.g. label: no-warmup, "
                f"without: [warmup]"
            )
    first: dict[str, int] = {}  # a run folder -> the entry that trains it: two would count each seed twice
    for index, entry in enumerate(typed.runs or []):
        earlier = first.setdefault(folder_label(entry), index)
        if earlier != index:
            raise UserError(
                f"{at_line(path, raw['runs'], index)}: runs[{index}]: {excerpt(entry.model)} is listed twice "
                f"(runs[{earlier}] trains the same run folders, {folder_label(entry)}); list each net once, "
                f"with seeds: N for more seeds"
            )
    return list(typed.runs or [])


def _parse_selections(raw: dict, path: Path, recipe: str | None) -> dict:
    """The target's `profiles:` mapping (typed by TargetSchema): each names a profile of its recipe (a misspelt one
    would leave the real one training every net), and the models it names are its runs', at least one."""
    selections = raw.get("profiles") or {}
    if selections and recipe is None:
        raise UserError(f"{at_line(path, raw, 'profiles')}: profiles: a target without a recipe has no profiles")
    offered = list(load_recipe_file(recipe).profiles) if recipe is not None else []
    for profile, selection in selections.items():
        if profile not in offered:
            raise UserError(
                f"{at_line(path, selections, profile)}: profiles: {excerpt(profile)} is not a profile of recipe "
                f"{recipe} ({', '.join(offered)}){did_you_mean(profile, offered)}"
            )
        if selection.get("models") == []:
            raise UserError(
                f"{at_line(path, selection, 'models')}: profiles.{profile}.models: an empty list selects no run; list "
                f"the nets {profile} trains, or leave models out to train every run"
            )
        check_in_runs(selection, raw, path, f"profiles.{profile}.models")
    return selections


def _parse_target(name: str, path: Path) -> Target:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise UserError(f"{path}: an experiment file must be a mapping of keys (title, engine, runs, ...)")
    _check_keys(raw, set(TargetSchema.model_fields) | section_names(), path)  # a plugin's sections too
    check_target_name(name, path)
    typed = validate(TargetSchema, raw, lines_in(raw, str(path)))  # the keys every target has; sections below
    engine = typed.engine
    if engine not in engine_names():
        raise UserError(
            f"{at_line(path, raw, 'engine')}: engine: {excerpt(engine)} is not one of {', '.join(engine_names())}"
        )
    if get_engine(engine).trains and (typed.recipe is None or not typed.runs):  # else run trains nothing, exit 0
        key = "recipe" if typed.recipe is None else "runs"
        raise UserError(
            f"{at_line(path, raw, key if key in raw else 'engine')}: {key}: engine {engine} trains the nets of runs: "
            f"with a recipe; name both, e.g. recipe: cifar and runs: [resnet56]"
        )
    if typed.recipe is not None and not _plain_recipe_name(typed.recipe):  # ../fig6 read a target as a recipe
        folder = experiments_dir() / "_recipes"
        names = sorted(recipe.stem for recipe in folder.glob("*.yaml"))
        raise UserError(
            f"{at_line(path, raw, 'recipe')}: recipe {excerpt(typed.recipe)}: recipe names are plain names, of a file "
            f"in {folder} without .yaml: {', '.join(names) or 'none there'}"
        )
    if typed.recipe is not None and not recipe_path(typed.recipe).is_file():  # else every command fails nameless
        raise UserError(
            f"{at_line(path, raw, 'recipe')}: recipe {excerpt(typed.recipe)} not found: expected "
            f"{recipe_path(typed.recipe)}"
        )
    kinds = get_engine(engine).sections  # each section is checked by its engine's parser, and only there
    for key in sorted(section_names() & set(raw) - set(kinds)):
        reads = ", ".join(kinds) or "no sections"
        raise UserError(
            f"{at_line(path, raw, key)}: {key}: engine {engine} does not read this section (it reads {reads})"
        )
    runs = _parse_runs(typed, raw, path)  # a misspelt net is named at its line, before a panel misses it
    sections = {
        key: kind.parse(raw, path) if hasattr(kind, "parse") else read_section(kind, raw, key, path)
        for key, kind in kinds.items()
        if key in raw
    }
    selections = _parse_selections(raw, path, typed.recipe)
    target = Target(
        name,
        path,
        name if typed.title is None else typed.title,
        engine,
        typed.recipe,
        tuple(runs),
        selections,
        (),  # its claims name its runs by their keys: read next
        sections,
        (typed.notes or "").strip(),
        typed.order,
    )
    metrics = get_engine(engine).metrics
    claims = parse_claims(raw.get("claims"), lines_in(raw, str(path)), engine, metrics, target.run_keys())
    target.paper_table(lines_in(raw, str(path)))  # a paper number names its net as a claim does
    return replace(target, claims=claims)


def entry_key(canonical: str, shortcut: str | None) -> str:
    return f"{canonical}-{shortcut}" if shortcut else canonical


def run_entry_key(entry: RunEntry) -> str:
    """The key one entry of `runs:` answers to: resnet34-B, or a recipe variant's resnet110-no-warmup."""
    key = entry_key(parse_model_name(entry.model, entry.family).canonical, entry.shortcut)
    return f"{key}-{entry.label}" if entry.label else key


def folder_label(entry: RunEntry) -> str:
    """The label of the entry's run folders: resnet-50-B-v1.5, resnet-110-A-no-warmup (never the paper run's)."""
    label = model_label(entry.model, entry.shortcut, entry.family)
    if entry.variant != "original":
        label = f"{label}-{entry.variant}"  # another net than the paper's
    return f"{label}-{entry.label}" if entry.label else label


def _plain_recipe_name(name: str) -> bool:
    """A recipe is named by its file in _recipes/ alone: no folder (../fig6 is a target file, /tmp/x anyone's)."""
    return name not in ("", ".", "..") and not any(sep in name for sep in ("/", "\\", "\0"))


def recipe_path(name: str) -> Path:
    return experiments_dir() / "_recipes" / f"{name}.yaml"


def load_recipe_file(name: str) -> RecipeFile:
    path = recipe_path(name)
    if not path.is_file():
        raise UserError(f"recipe {excerpt(name)} not found: expected {path}")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise UserError(f"{path}: a recipe file must be a mapping (defaults, model_rules, profiles)")
    typed = validate(RecipeFile, raw, lines_in(raw, str(path)))
    profiles = {}
    for pname, keys in (typed.profiles or {}).items():
        body = raw["profiles"][pname] or {}
        layer = LineDict({k: body[k] for k in ("data", "recipe", "train") if k in body})
        layer.lines = {k: line_of(body, k) for k in layer if line_of(body, k)}
        default = keys.default or len(typed.profiles) == 1  # a recipe's only profile: runs without --profile
        profiles[pname] = Profile.model_construct(**dict(keys) | dict(default=default, name=pname, layer=layer))
    defaults = [name for name, profile in profiles.items() if profile.default]
    if profiles and len(defaults) != 1:
        raise UserError(
            f"{path}: mark exactly one profile `default: true` (the one a command runs without --profile); "
            f"found {len(defaults)}{': ' + ', '.join(defaults) if defaults else ''}"
        )
    return typed.model_copy(update={"profiles": profiles})


# ----------------------------------------------------------------------------- resolving runs


def resolve_runs(
    target: Target,
    profile: str | None = None,
    seeds: list[int] | None = None,
    overrides: list[str] = (),
    only: str | None = None,
    train: dict | None = None,
    requested: bool | str = False,
) -> list[RunConfig]:
    """The runs a target needs under a profile, each with its fully resolved and validated config. `overrides` are
    --set's KEY=VALUE texts; `train` the typed options (--precision, --compile, --threads), taken as they are and
    recorded as the --set that would give them, after the --set pairs they override. A net trained only on request
    is among them when `only` or `requested` (an --only text) names it, or with `requested=True` (what could be on
    disk)."""
    if target.recipe is None:
        _refuse_options_of_nothing(target, overrides, seeds, only)
        return []
    for text in (only, requested):
        if isinstance(text, str):
            _check_only(text)
    recipe_file = load_recipe_file(target.recipe)
    profile = _known_profile(target, recipe_file, profile)
    override_tree, overrides = _override_tree(overrides, train)
    selection = target.selections.get(profile, {})
    wanted_models = selection.get("models")
    tag = overrides_tag(override_tree) if override_tree else None
    runs = []
    for entry in target.runs:
        if wanted_models is not None and entry.model not in wanted_models:
            continue
        label = folder_label(entry)  # a variant (v1.5, no-warmup) has its own run folder
        if entry.on_request and not _asked_for(label, only or requested, entry.label):
            continue
        model = parse_model_name(entry.model, entry.family)
        settings = _net_settings(target, recipe_file, profile, entry, model, override_tree)
        shortcut = (entry.shortcut or default_shortcut(model)) if model.residual else None
        count = selection.get("seeds") or entry.seeds  # `seeds: null` in a profile is no count: the run's own
        for seed in seeds if seeds is not None else range(count):
            runs.append(
                RunConfig(
                    RunId(settings.data.dataset, label, profile, tag, seed).path,
                    model.canonical,
                    shortcut,
                    model.family,
                    entry.variant,
                    seed,
                    profile,
                    tuple(overrides),
                    settings,
                )
            )
    return pick_runs(runs, only)


def _net_settings(
    target: Target, recipe_file: RecipeFile, profile: str, entry: RunEntry, model: ModelName, override_tree: dict
) -> RunSettings:
    """A net's settings: the recipe's defaults, then its rules for this net, the profile, the target's recipe variant
    (`without: [warmup]`, from the target file) and --set, each layer over the last, checked with the file and line
    (or --set) every value came from."""
    source = str(recipe_path(target.recipe))
    layers = [
        (recipe_file.defaults, source),
        ((recipe_file.model_rules or {}).get(model.canonical), source),
        (recipe_file.profiles[profile].layer, source),
        ({"recipe": dict.fromkeys(entry.without or ())}, str(target.path)),
        (override_tree, "--set"),
    ]
    return validate_settings(*merge_layers(layers))


def only_on_request(target: Target, profile: str | None, runs: list[RunConfig]) -> str | None:
    """Why a target that trains resolves to no runs, where every net its profile selects is trained only on request
    and none was asked for (`run` refuses it, `show` says it); None where it resolves to runs."""
    if runs or target.recipe is None:
        return None
    profile = target.default_profile if profile is None else profile
    selection = target.selections.get(profile) or {}
    wanted = selection.get("models")
    held = [folder_label(e) for e in target.runs if e.on_request and (wanted is None or e.model in wanted)]
    if not held:
        return None
    if wanted is None:
        at, key, which = str(target.path), "runs", "every net of the target"
    else:
        at, key, which = at_line(target.path, selection, "models"), f"profiles.{profile}.models", "every net it selects"
    return (
        f"{at}: {key}: {which} is trained only on request ({', '.join(held)}), so profile {profile} trains nothing; "
        f"ask for {'it' if len(held) == 1 else 'one'} with --only {held[0]}"
    )


def _refuse_options_of_nothing(target: Target, overrides: list[str], seeds: list[int] | None, only: str | None) -> None:
    """--set, --seeds and --only given for a target that trains nothing: ignoring them would let a typo or a wrong
    target pass unseen."""
    if overrides:
        _check_override_keys(parse_overrides(list(overrides)))
        raise UserError(
            f"--set {overrides[0]}: {target.name} trains nothing "
            f"({get_engine(target.engine).description}), so no "
            f"--set key applies to it; leave --set out"
        )
    for option, given in (("--seeds", seeds), ("--only", only)):
        if given is not None:
            raise UserError(
                f"{option}{'' if option == '--seeds' else ' ' + excerpt(given)}: {target.name} trains nothing "
                f"({get_engine(target.engine).description}), so it has no runs to pick; leave {option} out"
            )


def _known_profile(target: Target, recipe_file: RecipeFile, profile: str | None) -> str:
    """The profile asked for (the recipe's default without one), or one line naming those the recipe offers."""
    profile = recipe_file.default_profile if profile is None else profile
    if profile not in recipe_file.profiles:
        raise unknown_profile(profile, list(recipe_file.profiles), f"{target.name} offers")
    return profile


def unknown_profile(profile: str | None, offered: list[str], offering: str) -> UserError:
    """The one line for a profile none of `offered` is, with the closest as a guess; `offering` says whose they are
    ("fig6 offers", "the targets offer")."""
    hint = did_you_mean(profile, offered)
    return UserError(f"unknown profile {excerpt(profile)}: {offering} {', '.join(offered)}{hint}")


def _asked_for(label: str, asked: bool | str | None, variant: str | None = None) -> bool:
    """Whether a net trained only on request is asked for: by an --only text that names it, or by True (every one).
    A recipe variant's text must name the variant too: `--only resnet110` asks for the paper's runs alone."""
    if not isinstance(asked, str):
        return asked is True
    text = normalise_run_text(asked)
    return text in normalise_run_text(label) and (variant is None or normalise_run_text(variant) in text)


def _override_tree(overrides: list[str], train: dict | None) -> tuple[dict, list[str]]:
    """--set's pairs parsed, the typed options merged in as they are, and the pairs a run records for both."""
    tree = parse_overrides(list(overrides))
    if train:
        typed = [f"train.{key}={_as_set_value(value)}" for key, value in train.items()]
        if not isinstance(tree.setdefault("train", {}), dict):  # --set train=5: the conflict, as two --set say it
            raise UserError(f"bad --set {excerpt(typed[0])}: {typed[0].partition('=')[0]} conflicts with another --set")
        tree["train"].update(train)
        overrides = [*overrides, *typed]
    _check_override_keys(tree)
    return tree, overrides


def pick_runs(runs: list[RunConfig], only: str | None) -> list[RunConfig]:
    """The runs --only names (all without it), checked as a set of runs to train together. --only is a
    case-insensitive substring of the run name, ignoring '-' and '_' (plain-20 == plain20)."""
    if only is not None:
        _check_only(only)
        needle = normalise_run_text(only)
        chosen = [r for r in runs if needle in normalise_run_text(r.name)]
        if not chosen:
            names = ", ".join(r.name for r in runs) or "none"
            raise UserError(f"--only {excerpt(only)} matches none of this target's runs: {names}")
        runs = chosen
    check_settings_apply(runs)
    return runs


def _check_only(only: str) -> None:
    """--only "" (or "-") is a substring of every run's name: it would pick every run, as if --only were not there."""
    if not normalise_run_text(only):
        raise UserError(
            f"--only {excerpt(only)} would pick every run (case, '-' and '_' are ignored, and nothing else is left "
            f"to match): give part of a run's name, e.g. --only resnet56, or leave --only out"
        )


def _as_set_value(value: Any) -> str:
    """A typed option as the --set value that gives it (how a run records its options: one form for both)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def check_settings_apply(runs: list[RunConfig]) -> None:
    """A setting none of the runs can use is an error, not a silent no-op. recipe.bn_stats_images counts the images
    batch-norm statistics are recomputed over after training; under the moving-average statistics nothing is
    recomputed, so a --set of it would be recorded (and tag the run's folder) while changing nothing. Zeroing the
    residual branches' last BN scale applies to the ResNets of a target; where every run is a plain net there is no
    branch to zero, and the runs would train, recording a setting that did nothing."""
    for run in runs:
        given = any(pair.partition("=")[0].strip() == "recipe.bn_stats_images" for pair in run.overrides)
        if given and run.recipe.bn_stats == "moving-average":
            raise UserError(
                f"--set recipe.bn_stats_images={run.recipe.bn_stats_images} cannot apply: {run.run_id.profile} uses "
                f"moving-average batch-norm statistics, which are not recomputed; leave it out, or add "
                f"--set recipe.bn_stats=recomputed"
            )
    if not runs or not any(r.recipe.zero_init_residual for r in runs) or any(r.shortcut for r in runs):
        return
    nets = ", ".join(sorted({r.run_id.label for r in runs}))
    raise UserError(
        f"recipe.zero_init_residual=true cannot apply: {nets} are plain nets, which have no residual branch "
        f"to zero; leave the setting out"
    )


def normalise_run_text(text: str) -> str:
    return text.lower().replace("-", "").replace("_", "")


MAX_SEED = 2**32 - 1  # seeds numpy and torch both take as they are


def parse_seeds(text: str | None) -> list[int] | None:
    """'3' -> seeds 0, 1, 2; '0,4,7' -> exactly those; None -> each run's own count."""
    if text is None:
        return None
    try:
        if "," in text:
            seeds = _seed_list(text)
        else:
            count = _whole(text)
            if count < 1:
                raise ValueError
            seeds = list(range(min(count, MAX_SEEDS + 1)))  # one beyond the bound is enough to refuse it below
    except ValueError:
        raise UserError(
            f"bad --seeds {excerpt(text)}: give a count (--seeds 5 runs seeds 0-4) or a list "
            f"(--seeds 0,3,7; --seeds 0, for seed 0 alone)"
        ) from None
    if any(s < 0 or s > MAX_SEED for s in seeds) or not seeds:
        raise UserError(f"bad --seeds {excerpt(text)}: seeds are whole numbers from 0 to {MAX_SEED}")
    if len(seeds) > MAX_SEEDS:
        raise UserError(f"bad --seeds {excerpt(text)}: at most {MAX_SEEDS} seeds at once")
    # a repeat would train once and then report "already finished", hiding the typo
    if repeated := sorted(seed for seed, times in Counter(seeds).items() if times > 1):
        raise UserError(f"bad --seeds {excerpt(text)}: seed {repeated[0]} is listed twice; list each seed once")
    return seeds


def _seed_list(text: str) -> list[int]:
    """'0,4,7' -> [0, 4, 7]. One trailing comma makes a list of one ('5,'); any other empty item is a typo
    ('0,,4' most likely lost a digit), so it is refused rather than skipped."""
    items = text.split(",")
    if items[-1].strip() == "" and len(items) > 1:
        items = items[:-1]
    if any(not item.strip() for item in items):
        raise UserError(
            f"bad --seeds {excerpt(text)}: an empty item between commas; write each seed once, e.g. --seeds 0,3,7"
        )
    return [_whole(item) for item in items]


def _whole(text: str) -> int:
    """A whole number in ASCII digits: int() also reads other scripts' digits ('٣' is 3) and '_' between digits
    ('3_0' is 30), which no one types as a seed on purpose. ValueError on anything else."""
    if not re.fullmatch(r"[-+]?[0-9]+", text.strip()):
        raise ValueError(text)
    return int(text)


def _check_override_keys(tree: dict, prefix: str = "") -> None:
    keys = known_keys()
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and any(k.startswith(f"{dotted}.") for k in keys):
            _check_override_keys(value, f"{dotted}.")
        elif dotted not in keys:
            # a typo of the whole key, else the key under its section (lr is recipe.lr)
            close = difflib.get_close_matches(dotted, keys, n=1) or [
                k for k in sorted(keys) if k.endswith(f".{dotted}")
            ]
            hint = f"; did you mean {close[0]}?" if close else "; `resnet-repro show TARGET` lists the keys"
            raise UserError(f"unknown --set key {excerpt(dotted)}{hint}")


def _check_keys(mapping: dict, allowed: set, path: Path) -> None:
    for key in mapping:
        if key not in allowed:
            hint = did_you_mean(key, sorted(allowed), f"; known keys: {', '.join(sorted(allowed))}")
            raise UserError(f"{at_line(path, mapping, key)}: unknown key {excerpt(key)}{hint}")
