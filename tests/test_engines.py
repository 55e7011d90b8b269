"""The engine registry: an engine of one's own is one object and one target file, with no other code touched;
no code outside resnet_repro/engines/ asks which engine a target uses; a bad section stops a run at its line."""

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from typer.testing import CliRunner

from resnet_repro import engines
from resnet_repro.cli.app import app
from resnet_repro.engines import Engine, Outcome, get_engine, register
from resnet_repro.readers.validation import STRICT_KEYS, Expect, Whole
from resnet_repro.specs import registry
from resnet_repro.specs.naming import FAMILY_DEFAULTS
from resnet_repro.store.layout import write_atomic

PACKAGE = Path(engines.__file__).resolve().parent.parent
MODEL_FAMILIES = set(FAMILY_DEFAULTS)  # cifar and imagenet also name the two families of nets (specs/naming.py)


@dataclass(frozen=True)
class Knots:
    """The toy engine's own section: how many knots to tie, typed as the built-in sections are."""

    __pydantic_config__ = STRICT_KEYS

    count: Annotated[Whole(1), Expect("expected a whole number >= 1")]


class KnotEngine(Engine):
    """Writes one CSV (run) and draws a Markdown table from it (plot), without training."""

    name = "knots"
    description = "tying knots, no training"
    sections = {"knots": Knots}
    trains = False

    def run(self, target, runs, all_runs, context) -> Outcome:
        lines = ["knot"] + [str(k) for k in range(target.section("knots").count)]
        write_atomic(context.results / target.name / "knots.csv", "\n".join(lines) + "\n")
        return Outcome(self.write_outputs(target, [], context.results))

    def write_outputs(self, target, runs, results: Path) -> list[Path]:
        knots = (results / target.name / "knots.csv").read_text().split()[1:]
        path = results / target.name / "table.md"
        write_atomic(path, f"# {target.title}\n\n{len(knots)} knots\n")
        return [results / target.name / "knots.csv", path]

    def drawable_profiles(self, target, results: Path) -> list:
        return [None] if (results / target.name / "knots.csv").exists() else []


@pytest.fixture
def knot_target(tmp_path, monkeypatch) -> Path:
    """A registered knots engine and an experiments folder holding one target of it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # registered for this test only
    register(KnotEngine())
    folder = tmp_path / "experiments"
    folder.mkdir()
    (folder / "knots.yaml").write_text("title: 'Knots: a toy target'\nengine: knots\nknots:\n  count: 3\n")
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(folder))
    return folder / "knots.yaml"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_a_new_engine_is_one_object_that_run_plot_and_list_use(knot_target, tmp_path):
    results = tmp_path / "results"
    listed = invoke("list", "--results", str(results))
    assert listed.exit_code == 0 and "knots" in listed.stdout and "Knots: a toy target" in listed.stdout
    ran = invoke("run", "knots", "--results", str(results))
    assert ran.exit_code == 0, ran.stdout
    assert (results / "knots/knots.csv").read_text() == "knot\n0\n1\n2\n"
    assert f"wrote {results / 'knots/table.md'}" in ran.stdout.replace("\n", "")
    (results / "knots/table.md").unlink()
    plotted = invoke("plot", "knots", "--results", str(results))
    assert plotted.exit_code == 0, plotted.stdout
    assert (results / "knots/table.md").read_text() == "# Knots: a toy target\n\n3 knots\n"
    assert get_engine("knots").description in invoke("show", "knots").stdout


def test_a_bad_section_of_a_new_engine_is_one_line_with_its_file_and_line(knot_target, tmp_path):
    from resnet_repro.basics.errors import UserError
    from resnet_repro.specs.experiments import load_target

    knot_target.write_text("title: knots\nengine: knots\nknots:\n  count: many\n")
    with pytest.raises(UserError) as error:
        load_target("knots")
    assert str(error.value) == f"{knot_target}:4: knots.count: expected a whole number >= 1, got 'many'"
    knot_target.write_text("title: knots\nengine: knots\nfigure:\n  panels: []\n")
    with pytest.raises(UserError) as error:
        load_target("knots")
    assert str(error.value) == f"{knot_target}:3: figure: engine knots does not read this section (it reads knots)"
    knot_target.write_text("title: knots\nengine: knots\nknotz:\n  count: 3\n")
    with pytest.raises(UserError, match=r":3: unknown key 'knotz'; did you mean knots\?"):
        load_target("knots")


def test_a_bad_section_stops_a_run_before_anything_trains(tmp_path):
    from .conftest import assert_one_line_error, cli

    target = tmp_path / "mine.yaml"
    target.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns: [resnet20]\nfigure:\n  panels:\n"
        "    - {title: a, metrics: [test_error], models: [resnet20]}\n  ylim: [20, 0]\n"
    )
    results = tmp_path / "results"
    assert_one_line_error(
        cli("run", str(target), "--profile", "smoke", "--results", str(results)),
        f"{target}:8: figure.ylim: expected [low, high] with low < high, got [20, 0]",
    )
    assert not results.exists()


def test_sections_arrive_typed():
    from resnet_repro.engines.complexity.engine import Net
    from resnet_repro.engines.gradflow.engine import GradflowSection
    from resnet_repro.engines.sections import FigureSection, TableSection
    from resnet_repro.specs.experiments import load_target

    table6 = load_target("table6").section("table")
    assert isinstance(table6, TableSection) and table6.paper["resnet110"]["test_error"] == 6.43
    assert isinstance(load_target("fig6").section("figure"), FigureSection)
    assert load_target("table4").section("table").protocol == "multi-scale"
    assert isinstance(load_target("gradflow").section("gradflow"), GradflowSection)
    assert all(isinstance(net, Net) for net in load_target("table1").section("nets"))


def _engine_comparisons(path: Path, names: set[str]) -> list[str]:
    """`x.engine == "cifar"`, `kind in ("cifar", "imagenet")`, `TABLE[x.engine]` and tables keyed by engine names."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            about_engine = any(
                isinstance(o, ast.Attribute) and o.attr == "engine" or isinstance(o, ast.Name) and o.id == "engine"
                for o in operands
            )
            literals = {
                c.value
                for o in operands
                for c in ast.walk(o)
                if isinstance(c, ast.Constant) and isinstance(c.value, str)
            }
            named = literals & names
            if about_engine and literals or len(named) >= 2 and named - MODEL_FAMILIES:
                found.append(f"{path}:{node.lineno}")
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Attribute) and node.slice.attr == "engine":
            found.append(f"{path}:{node.lineno}")
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if len(keys & names) >= 3:
                found.append(f"{path}:{node.lineno}")
    return sorted(found, key=lambda hit: int(hit.rsplit(":", 1)[1]))


def test_no_code_outside_the_engines_compares_engine_names():
    names = set(engines.engine_names())
    assert {"complexity", "cifar", "imagenet", "layer_responses", "gradflow"} <= names
    outside = [p for p in PACKAGE.rglob("*.py") if "engines" not in p.relative_to(PACKAGE).parts]
    assert len(outside) > 50
    assert [hit for path in outside for hit in _engine_comparisons(path, names)] == []


def test_the_check_finds_an_engine_comparison(tmp_path):
    names = set(engines.engine_names())
    code = tmp_path / "sample.py"
    code.write_text(
        'if target.engine == "cifar":\n    pass\nX = {"cifar": 1, "imagenet": 2, "gradflow": 3}\n'
        'y = PAPER[target.engine]\nz = kind in ("cifar", "layer_responses")\n'
    )
    assert _engine_comparisons(code, names) == [f"{code}:1", f"{code}:3", f"{code}:4", f"{code}:5"]


def test_no_code_compares_dataset_names_outside_the_dataset_table():
    """What a dataset is (its title, class folders or arrays, what it stands in for) comes from specs/datasets.py."""
    from resnet_repro.specs.datasets import DATASETS

    hits = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            about_data = any("dataset" in ast.unparse(o) for o in operands)
            literals = {c.value for o in operands for c in ast.walk(o) if isinstance(c, ast.Constant)}
            if about_data and literals & set(DATASETS):
                hits.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert hits == []


def test_the_registry_and_every_engine_module_import_no_torch():
    """plot, report and list look engines up: an engine imports torch only inside the methods that train or measure."""
    import subprocess
    import sys

    code = (
        "import sys; import resnet_repro.engines as e, resnet_repro.train.context, resnet_repro.specs.datasets, "
        "resnet_repro.cli.catalog; e.get_engine('cifar'); print(sorted(e.engine_names()), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    names, torch_imported = out.stdout.strip().rsplit(" ", 1)
    assert {"cifar", "complexity", "gradflow", "imagenet", "layer_responses"} <= set(ast.literal_eval(names)), (
        out.stderr
    )
    assert torch_imported == "False"


PLUGIN = """
from resnet_repro.engines import Engine, Outcome, register
from resnet_repro.store.layout import write_atomic
from resnet_repro.readers.validation import STRICT_KEYS, Expect, Whole


class Bells(Engine):
    name = "bells"
    description = "ringing bells, no training"
    trains = False

    def run(self, target, runs, all_runs, context):
        write_atomic(context.results / target.name / "bells.csv", "bell\\n1\\n")
        return Outcome([context.results / target.name / "bells.csv"])

    def drawable_profiles(self, target, results):
        return []


register(Bells())
"""


def installed_plugin(site: Path, module: str, code: str) -> None:
    """A package installed into `site` as pip would leave it: the module and a dist-info naming its engine."""
    (site / f"{module}.py").write_text(code)
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[resnet_repro.engines]\n{module} = {module}\n")


def test_an_engine_from_an_installed_package_plugs_in_without_touching_this_one(tmp_path):
    from .conftest import assert_one_line_error, cli

    site, experiments = tmp_path / "site", tmp_path / "experiments"
    site.mkdir(), experiments.mkdir()
    installed_plugin(site, "bells_engine", PLUGIN)
    (experiments / "bells.yaml").write_text("title: 'Bells: a plugin target'\nengine: bells\n")
    env = {"PYTHONPATH": str(site), "RESNET_REPRO_EXPERIMENTS": str(experiments)}
    results = tmp_path / "results"
    ran = cli("run", "bells", "--results", str(results), env=env)
    assert ran.returncode == 0, ran.stderr
    assert (results / "bells/bells.csv").read_text() == "bell\n1\n"

    installed_plugin(site, "broken_engine", "raise ImportError('needs the bell-ringers package')\n")
    assert_one_line_error(
        cli("run", "bells", "--results", str(results), env=env),
        "engine plugin 'broken_engine' (broken_engine) failed to import: needs the bell-ringers",
    )
