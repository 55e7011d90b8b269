"""Profiles are data: what code asks of a profile is a field of it in its recipe file, never a test of its name.

The scan reads every module of the package and fails on any place that decides by a profile's name: a
comparison (`==`, `!=`, `in`) of something that names a profile with a profile's name, a literal collection of
several profile names, a `profile=` argument or parameter default that names one, a dict keyed by one, or a
`match` case on one. The names are read from the recipe files, so a new profile is covered without an edit here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.experiments import load_recipe_file, load_target, profile_names, resolve_runs

from .conftest import cli_in_process

PACKAGE = Path(__file__).resolve().parent.parent / "resnet_repro"


def _names_a_profile(node: ast.AST) -> bool:
    """Whether an expression reads as a profile: `profile`, `runs[0].profile`, `profiles`, `found.profile`..."""
    return "profile" in ast.unparse(node).lower()


def _constants(node: ast.AST, names: set[str]) -> list[str]:
    """The profile names an expression spells out: a string, or the strings of a literal tuple, list or set."""
    if isinstance(node, ast.Constant) and node.value in names:
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and e.value in names]
    return []


def _loop_over_profiles(tree: ast.AST) -> set[str]:
    """The variables of the loops and comprehensions that iterate over profiles."""
    over: set[str] = set()
    for node in ast.walk(tree):
        pairs = [(node.target, node.iter)] if isinstance(node, (ast.For, ast.comprehension)) else []
        for target, iterable in pairs:
            if _names_a_profile(iterable):
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        over.add(name.id)
    return over


def name_decisions(source: str, names: set[str]) -> list[str]:
    """`line: code` for every place in `source` that decides by a profile's name."""
    tree = ast.parse(source)
    loop_names = _loop_over_profiles(tree)

    def profile_like(node: ast.AST) -> bool:
        return _names_a_profile(node) or (isinstance(node, ast.Name) and node.id in loop_names)

    found = []
    for node in ast.walk(tree):
        hit = False
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            hit = any(_constants(side, names) for side in sides) and any(profile_like(side) for side in sides)
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            hit = len(_constants(node, names)) >= 2  # a typed list of profiles
        elif isinstance(node, ast.Dict):
            hit = any(key is not None and _constants(key, names) for key in node.keys)
        elif isinstance(node, ast.keyword):
            hit = node.arg is not None and "profile" in node.arg and bool(_constants(node.value, names))
        elif isinstance(node, ast.arguments):
            positional = [*node.posonlyargs, *node.args]
            pairs = list(zip(positional[len(positional) - len(node.defaults) :], node.defaults))
            pairs += [(arg, default) for arg, default in zip(node.kwonlyargs, node.kw_defaults) if default]
            hit = any("profile" in arg.arg and _constants(default, names) for arg, default in pairs)
        elif isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            hit = ("command" in called or "profile" in called) and any(_constants(a, names) for a in node.args)
        elif isinstance(node, ast.match_case):
            hit = any(isinstance(p, ast.MatchValue) and _constants(p.value, names) for p in ast.walk(node.pattern))
        if hit:
            found.append(f"{node.lineno}: {ast.unparse(node)}" if hasattr(node, "lineno") else ast.unparse(node))
    return found


def test_no_module_decides_by_a_profiles_name():
    names = set(profile_names())
    assert {"paper", "smoke"} <= names  # read from the recipes: the scan below is not vacuous
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{where}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for where in name_decisions(path.read_text(), names)
    ]
    assert offences == []


@pytest.mark.parametrize(
    "code",
    [
        'comparable = runs[0].profile == "paper"',
        'if "paper" not in profiles: pass',
        'others = [p for p in recipe.profiles if p not in ("paper", "smoke")]',
        'KEYS = ("paper", "quick", "cpu")',
        'def run_command(target, profile="paper"): pass',
        'run_command(target, "paper")',
        'measure(target, profile="smoke")',
        'match profile:\n    case "smoke": pass',
        'FLAGS = {"smoke": True}',
    ],
)
def test_the_scan_finds_each_way_of_deciding_by_name(code):
    assert name_decisions(code, set(profile_names())) != []


@pytest.mark.parametrize(
    "code",
    [
        'on_cpu = device.type == "cpu"',  # a device, not a profile
        'if "paper" in raw: pass',  # a target file's `paper:` key
        'header = ["paper", "verdict (band)"]',
    ],
)
def test_the_scan_leaves_what_is_no_profile(code):
    assert name_decisions(code, set(profile_names())) == []


def test_the_profile_list_is_read_from_the_recipes():
    assert profile_names() == [*load_recipe_file("cifar").profiles, "paper-steps"]


def test_a_profiles_fields_say_what_code_asks_of_it():
    cifar = load_recipe_file("cifar").profiles
    assert [name for name, p in cifar.items() if p.default] == ["paper"]
    assert [name for name, p in cifar.items() if p.compared_with_paper] == ["paper"]
    assert [name for name, p in cifar.items() if p.for_tests] == ["smoke"]
    fig6 = load_target("fig6")
    assert fig6.default_profile == "paper" and load_target("table1").default_profile is None
    assert {run.profile for run in resolve_runs(fig6)} == {"paper"}  # no --profile: the recipe's default


def test_help_lists_the_recipes_profiles():
    help_text = " ".join(cli_in_process("run", "--help").stdout.split())
    assert ", ".join(profile_names()) in help_text.replace(" ,", ",")


def _recipes_with(tmp_path, monkeypatch, old: str, new: str) -> None:
    experiments = Path(__file__).resolve().parent.parent / "experiments"
    (tmp_path / "_recipes").mkdir()
    for path in (experiments / "_recipes").glob("*.yaml"):
        (tmp_path / "_recipes" / path.name).write_text(path.read_text().replace(old, new, 1))
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))


def test_a_recipe_without_one_default_profile_is_one_line(tmp_path, monkeypatch):
    _recipes_with(tmp_path, monkeypatch, "    default: true\n", "")
    with pytest.raises(UserError) as error:
        load_recipe_file("cifar")
    assert str(error.value) == (
        f"{tmp_path / '_recipes' / 'cifar.yaml'}: mark exactly one profile `default: true` "
        "(the one a command runs without --profile); found 0"
    )


def test_a_profile_flag_must_be_true_or_false(tmp_path, monkeypatch):
    _recipes_with(tmp_path, monkeypatch, "    for_tests: true\n", "    for_tests: maybe\n")
    with pytest.raises(UserError, match=r"cifar\.yaml:\d+: profiles\.smoke\.for_tests: expected true or false, got"):
        load_recipe_file("cifar")


@pytest.mark.parametrize(
    "text, message",
    [
        ("profiles: [paper]\n", ":1: profiles must be a mapping, got ['paper']"),
        ("profiles:\n  paper: 5\n", ":2: profiles.paper must be a mapping, got 5"),
        ("defaults: 5\n", ":1: defaults: expected a mapping (key: value, ...), got 5"),
        ("model_rules: [resnet110]\n", ":1: model_rules must be a mapping, got ['resnet110']"),
        ("model_rules:\n  resnet110: 5\n", ":2: model_rules.resnet110: expected a mapping (key: value, ...), got 5"),
        (
            "profiles:\n  paper: {descriptio: x}\n",
            ":2: unknown key 'profiles.paper.descriptio'; did you mean profiles.paper.description?",
        ),
    ],
)
def test_a_recipe_file_of_the_wrong_shape_is_one_line(tmp_path, monkeypatch, text, message):
    (tmp_path / "_recipes").mkdir()
    (tmp_path / "_recipes" / "mine.yaml").write_text(text)
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    with pytest.raises(UserError) as error:
        load_recipe_file("mine")
    assert str(error.value) == f"{tmp_path / '_recipes' / 'mine.yaml'}{message}"


def test_a_profile_with_seeds_null_trains_each_runs_own_seed_count(tmp_path):
    """`seeds: null` under a profile is no count (as `models: null` is no selection): each run's own seeds, not a
    traceback."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        "engine: cifar\nrecipe: cifar\nruns:\n  - model: plain20\n  - {model: plain56, seeds: 3}\n"
        "profiles:\n  gpu: {seeds: null}\n"
    )
    runs = resolve_runs(load_target(str(path)), "gpu")
    assert [(run.model, run.seed) for run in runs] == [("plain20", 0), ("plain56", 0), ("plain56", 1), ("plain56", 2)]
