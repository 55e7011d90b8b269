"""The layers written in pyproject.toml ([tool.importlinter]) hold on this tree, and `lint-imports` names an import
that runs up them: each check reads a tree's imports without running it, in well under a second."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the package and pyproject.toml in `tree` (the console script beside this interpreter)."""
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([script, "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_tree_keeps_its_layers():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 7 kept, 0 broken." in result.stdout


# (module, code appended to it, what the failed check must say)
PLANTED = [
    (
        "basics/errors.py",
        "\nfrom ..cli import app  # noqa: E402\n",
        [
            "resnet_repro.basics is not allowed to import resnet_repro.cli",
            "- resnet_repro.basics.errors -> resnet_repro.cli",
        ],
    ),
    (
        "plots/curves.py",
        "\n\ndef device():\n    import torch\n\n    return torch.device('cpu')\n",
        ["resnet_repro.plots is not allowed to import torch", "resnet_repro.plots.curves -> torch"],
    ),
    (
        "engines/layer_responses/outputs.py",
        "\n\ndef device():\n    from .measure import MEASUREMENT\n\n    return MEASUREMENT\n",
        [
            "resnet_repro.engines.layer_responses.outputs is not allowed to import torch",
            "resnet_repro.engines.layer_responses.measure -> torch",
        ],
    ),
]


@pytest.mark.parametrize(
    "module, code, named",
    PLANTED,
    ids=["up the layers", "torch inside a figure function", "an engine's outputs reaching its measuring"],
)
def test_a_planted_import_is_named(tmp_path, module, code, named):
    shutil.copytree(REPO / "resnet_repro", tmp_path / "resnet_repro", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with open(tmp_path / "resnet_repro" / module, "a") as handle:
        handle.write(code)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert all(line in result.stdout for line in named), result.stdout


def contract_layers() -> list[list[str]]:
    """pyproject.toml's layers, top down, each a list of module names without the package (cli, report, ...)."""
    import tomllib

    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c["layers"] for c in config if c["type"] == "layers")
    return [[name.strip().removeprefix("resnet_repro.") for name in line.split("|")] for line in layers]


def documented_modules() -> list[str]:
    """The module column of docs/architecture.md's layer table, top down (cli, report, measured, ...)."""
    text = (REPO / "docs" / "architecture.md").read_text()
    table = text.split("| layer (top down) | module | what it is |")[1].split("\n\n")[0]
    names = []
    for row in table.splitlines()[2:]:
        cell = row.split("|")[2].strip().strip("`")
        name = cell.split("/")[0].removesuffix(".py")  # specs/config.py is a row of specs
        if not names or names[-1] != name:
            names.append(name)
    return names


def test_the_architecture_table_follows_the_contracts_and_names_every_module():
    """docs/architecture.md's layer table is checked against the contracts: every layer's modules in it, in the
    contracts' order, and every module of the package in it."""
    layer_of = {name: index for index, line in enumerate(contract_layers()) for name in line}
    documented = [name for name in documented_modules() if name != "bench"]  # the scripts sit outside the package
    assert sorted(documented) == sorted(layer_of), set(documented) ^ set(layer_of)
    order = [layer_of[name] for name in documented]
    assert order == sorted(order), list(zip(documented, order))
    package = REPO / "resnet_repro"
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert modules == set(layer_of), modules ^ set(layer_of)


def test_no_function_is_over_60_lines_or_8_parameters():
    """Small functions with few parameters: a long one is split into named steps, a long parameter list becomes an
    object (RunContext, StepSpec). A command's options are its parameters, so the CLI's count its body alone."""
    import ast

    too_big = []
    for path in sorted([*(REPO / "resnet_repro").rglob("*.py"), *(REPO / "bench").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            command = path.parent.name == "cli"
            first = node.body[0].lineno if command else node.lineno
            lines = node.end_lineno - first + 1
            names = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]
            parameters = sum(a is not None and a.arg not in ("self", "cls") for a in names)
            if lines > 60 or (parameters > 8 and not command):
                too_big.append(
                    f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {lines} lines, {parameters} parameters"
                )
    assert not too_big, "\n".join(too_big)
