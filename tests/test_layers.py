"""The layers written in pyproject.toml ([tool.importlinter]) hold on this tree, and `lint-imports` names an import
that runs up them: each check reads a tree's imports without running it, in well under a second."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """`lint-imports` on the package and pyproject.toml in `tree` (the console script beside this interpreter)."""
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([script, "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "resnet_repro", tmp_path / "resnet_repro", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_its_layers():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_import_up_the_layers_is_named(tmp_path):
    tree = copy_of_the_package(tmp_path)
    with open(tree / "resnet_repro/errors.py", "a") as handle:
        handle.write("\nfrom .cli import app  # noqa: E402\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "resnet_repro.errors is not allowed to import resnet_repro.cli" in result.stdout
    assert "- resnet_repro.errors -> resnet_repro.cli" in result.stdout


def test_torch_in_a_figure_module_is_named(tmp_path):
    tree = copy_of_the_package(tmp_path)
    with open(tree / "resnet_repro/plots/curves.py", "a") as handle:
        handle.write("\n\ndef device():\n    import torch\n\n    return torch.device('cpu')\n")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "resnet_repro.plots is not allowed to import torch" in result.stdout
    assert "resnet_repro.plots.curves -> torch" in result.stdout
