"""The README as a front page: two commands that exist and that CI runs, tables that render as tables, a length a
newcomer reads, and numbers that come from the one committed results summary (docs/results-cpu.json)."""

import json
import re
import warnings
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SUMMARY = json.loads((REPO / "docs" / "results-cpu.json").read_text())
WORDS_WARNED_ABOVE = 1600
MARKED = re.compile(r"<!-- numbers from [^>]*results-cpu\.json -->(.*?)<!-- end of numbers from", re.S)


def first_screen_commands() -> list[str]:
    """The commands of the README's first code block (what a newcomer copies), comments cut."""
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_the_first_screen_has_two_commands_that_exist_and_ci_runs_the_test_one():
    text = README.read_text()
    assert text.index("```bash") < text.index("## What you will see") < text.index("## Targets")
    assert first_screen_commands() == ["scripts/setup.sh", "scripts/test.sh"]
    for command in first_screen_commands():
        assert (REPO / command).is_file() and (REPO / command).stat().st_mode & 0o111, command
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "scripts/test.sh" in ci  # the README's test command, which installs as the README's set-up does
    assert not any(line.startswith(("python -m pytest", "pip install", "python -m pip")) for line in ci)
    assert "scripts/setup.sh --no-run" in (REPO / "scripts" / "test.sh").read_text()


def test_every_table_row_of_the_readme_is_on_one_source_line():
    """A row broken across two source lines renders as two rows (the report row once did)."""
    lines = README.read_text().splitlines()
    for number, (line, following) in enumerate(zip(lines, lines[1:]), start=1):
        if line.startswith("|"):
            assert line.rstrip().endswith("|"), f"README.md:{number} is a table row cut in two"
            assert following == "" or following.startswith("|"), f"README.md:{number + 1} continues a table row"


def test_the_readme_is_short_enough_to_read(recwarn):
    words = len(README.read_text().split())
    if words > WORDS_WARNED_ABOVE:
        warnings.warn(f"README.md has {words} words; a newcomer's front page reads best under {WORDS_WARNED_ABOVE}")
    assert words > 300  # the front page still says what the tool does, how to run it and what it shows


def summary_numbers() -> tuple[set[str], set[str]]:
    """The decimals a page may quote from the summary (to 2 or 1 places) and its wall times ("281 s")."""
    values = [v for net in SUMMARY["fig6"].values() for v in (net["train_error"], net["test_error"])]
    values += list(SUMMARY["fig7_mean_response_std"].values())
    # To one place as a reader rounds the two-place figure (34.05 -> 34.1), not as binary floats do (34.0).
    decimals = {f"{v:.2f}" for v in values}
    decimals |= {str(Decimal(f"{v:.2f}").quantize(Decimal("0.1"), ROUND_HALF_UP)) for v in values}
    return decimals, {f"{net['wall_s']} s" for net in SUMMARY["fig6"].values()}


def summary_key(label: str) -> str:
    """A table's net label as the summary names it: "ResNet-20 (A)" or "ResNet-20" -> resnet-20-A."""
    depth = re.search(r"\d+", label).group(0)
    return f"plain-{depth}" if label.lower().startswith("plain") else f"resnet-{depth}-A"


def test_the_readme_and_docs_quote_the_main_job_numbers_of_the_results_summary():
    decimals, walls = summary_numbers()
    pages = [README, *sorted((REPO / "docs").glob("*.md"))]
    blocks = {page.name: MARKED.findall(page.read_text()) for page in pages}
    assert blocks["README.md"] and blocks["results.md"]  # the pages that quote the main job mark what they quote
    for name, found in blocks.items():
        for block in found:
            stray = [n for n in re.findall(r"(?<![\d.])\d+\.\d+(?![\d.])", block) if n not in decimals]
            assert stray == [], f"{name} quotes {stray}, which docs/results-cpu.json does not hold"
            assert [w for w in re.findall(r"\b\d+ s\b", block) if w not in walls] == [], name
            for row in re.findall(r"(?m)^\| ((?:plain|ResNet)-\d+[^|]*)\|([^|]+)\|([^|]+)\|", block):
                net = SUMMARY["fig6"][summary_key(row[0])]
                quoted = [cell.strip().strip("*") for cell in row[1:]]
                assert quoted == [f"{net['train_error']:.2f}", f"{net['test_error']:.2f}"], (name, row)
    rows = re.findall(r"(?m)^\| ((?:plain|ResNet)-\d+)", blocks["README.md"][0])
    assert sorted(map(summary_key, rows)) == sorted(SUMMARY["fig6"])  # every net of the main job, none left out


def test_the_summary_is_written_from_a_results_folder(tmp_path):
    """scripts/results_summary.py: each net's errors from the figures' tables, its time from final.json."""
    import subprocess
    import sys

    def table(path, header, rows):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([header, *rows]) + "\n")

    table(
        tmp_path / "fig6/cpu/table.csv",
        "model,train_error,test_error",
        ["plain-20,14.953,13.66", "resnet-20-A,15.1,14.714"],
    )
    table(tmp_path / "fig7/cpu/table.csv", "model,response_std", ["plain-20,0.9812", "resnet-20-A,0.92"])
    for net, wall, started in (
        ("plain-20", 281.4, "2026-12-06T09:08:50"),
        ("resnet-20-A", 287.6, "2026-12-06T09:40:00"),
    ):
        run = tmp_path / "runs/fashion-mnist" / net / "cpu/seed0"
        run.mkdir(parents=True)
        (run / "final.json").write_text(json.dumps({"wall_s": wall}))
        meta = {"started_at": started, "git_commit": "52a69bb0123", "versions": {"torch": "2.14.1+cpu"}}
        (run / "meta.json").write_text(json.dumps(meta))
    script = REPO / "scripts" / "results_summary.py"
    written = json.loads(subprocess.run([sys.executable, script, tmp_path], capture_output=True, check=True).stdout)
    assert {key: written[key] for key in ("started_at", "git_commit", "torch")} == {
        "started_at": "2026-12-06T09:08:50",
        "git_commit": "52a69bb",
        "torch": "2.14.1+cpu",
    }
    assert written["fig6"] == {
        "plain-20": {"train_error": 14.95, "test_error": 13.66, "wall_s": 281},
        "resnet-20-A": {"train_error": 15.1, "test_error": 14.71, "wall_s": 288},
    }
    assert written["fig7_mean_response_std"] == {"plain-20": 0.98, "resnet-20-A": 0.92}


def test_setup_stops_on_a_torch_torchvision_pair_that_does_not_run_with_one_line(tmp_path):
    """scripts/check_torch_pair.py (setup.sh runs it before anything trains), with a torchvision whose operators
    are missing, as one built for another torch is."""
    import subprocess
    import sys
    from importlib.metadata import version

    fake = tmp_path / "torchvision"
    fake.mkdir()
    (fake / "__init__.py").write_text(
        "class ops:\n"
        "    @staticmethod\n"
        "    def nms(*args):\n"
        "        raise RuntimeError('operator torchvision::nms does not exist')\n"
    )
    script = REPO / "scripts" / "check_torch_pair.py"
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    broken = subprocess.run([sys.executable, script], capture_output=True, text=True, env=env)
    minor = int(version("torch").split(".")[1])
    assert broken.returncode == 1 and broken.stdout == ""
    assert broken.stderr == (
        f"setup: torch {version('torch')} and torchvision {version('torchvision')} do not work together (operator "
        f'torchvision::nms does not exist). Fix: .venv/bin/pip install --force-reinstall "torchvision==0.{minor + 15}.*", '
        "then run scripts/setup.sh again\n"
    )
    working = subprocess.run([sys.executable, script], capture_output=True, text=True)
    assert working.returncode == 0 and working.stdout.endswith("work together\n")


def test_the_readme_profile_table_names_every_profile_the_recipes_offer():
    """`--help` lists the recipes' profiles; the README's table left one out (an ImageNet recipe's), so a newcomer met
    a profile the front page never named."""
    from resnet_repro.specs.experiments import profile_names

    section = README.read_text().split("## Profiles", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `([^`]+)` \|", section, re.M)
    assert sorted(named) == sorted(profile_names())
