"""The report's first screen: what it covers, what a CPU alone checks and what every other row needs; rows not run
yet say what running them takes; an unfinished run is named with the command that continues it."""

import json
from types import SimpleNamespace

from resnet_repro.claims.base import NOISE, Verdict
from resnet_repro.report import scoring
from resnet_repro.report.sections import collect_sections
from resnet_repro.report.summary import compute_summary, opening_lines, summary_lines
from resnet_repro.specs.experiments import load_target

from .conftest import cli_in_process


def test_the_report_opens_with_its_scope_and_what_each_row_needs(tmp_path):
    assert opening_lines(collect_sections(tmp_path)) == [
        "Scope: Table 1, Figure 1, Table 2, Figure 4, Table 3, Table 4, Table 6, Figure 6, Figure 7, Gradient flow at "
        "initialisation; Table 5 (ensembles) and Tables 7-14 (detection and localization) are out of scope.",
        "A CPU alone checks table1 and gradflow (no training: minutes); fig1, table6, fig6 and fig7 as orderings on "
        "Fashion-MNIST (`--profile cpu`: tens of minutes per net). The other rows need CIFAR-10 and a GPU for hours "
        "(the paper's recipe of fig1, table6, fig6 and fig7) or ImageNet, which you supply (it cannot be downloaded), "
        "and GPUs for days (table2, fig4, table3 and table4).",
    ]


def test_a_row_not_run_yet_says_what_running_it_takes(tmp_path):
    assert cli_in_process("report", "--results", str(tmp_path)).returncode == 0
    page = (tmp_path / "REPORT.md").read_text()
    assert page.splitlines()[2].startswith("Scope: Table 1,")  # the first words under the title
    waiting = page[page.index("### Not run yet") :]
    table2 = next(line for line in waiting.splitlines() if line.startswith("| table2 |"))
    assert table2.endswith(
        "| paper | needs ImageNet (you supply it: it cannot be downloaded) and GPUs for days; `resnet-repro run table2` |"
    )
    fig1 = next(line for line in waiting.splitlines() if line.startswith("| fig1 |"))
    assert fig1.endswith(
        "| paper | needs CIFAR-10 (`--download` fetches it) and a GPU for hours; `resnet-repro run fig1` |"
    )
    html_page = (tmp_path / "REPORT.html").read_text()
    assert "needs CIFAR-10 (<code>--download</code> fetches it)" in html_page  # code in the page, as in REPORT.md
    assert "`" not in html_page[html_page.index("<body") :]  # no Markdown backtick shown as a character
    assert page.index("### How verdicts are made") > page.index("### Not run yet")  # the rules after the scoreboard
    assert (
        "Not run yet; it needs ImageNet (you supply it: it cannot be downloaded) and GPUs for days: "
        "`resnet-repro run table2` (or a shorter profile:" in page
    )  # the target's own section says it too


def test_an_unfinished_run_is_named_with_the_command_that_continues_it(tmp_path):
    summary = {**compute_summary(tmp_path), "unfinished": 1, "unfinished_runs": ["cifar10/plain-20/smoke/seed0"]}
    assert summary_lines(summary, [])[-1] == (
        "Also: 1 unfinished run: cifar10/plain-20/smoke/seed0 (`resnet-repro run table6 --profile smoke` continues it)."
    )  # no command recorded: of the targets that train it, the one that trains the most runs (fig1's 2, table6's 7)


def test_an_unfinished_run_is_continued_by_the_command_that_began_it(tmp_path):
    """The main job's run is shared by fig1, table6, fig6 and fig7: the report names the target its command ran."""
    for command, named in [("resnet-repro run fig6 --profile cpu", "fig6"), ("resnet-repro run fig1", "fig1")]:
        folder = tmp_path / command.split()[2] / "runs/fashion-mnist/plain-20/cpu/seed0"
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"device_name": "CPU (test)", "command": command}))
        summary = compute_summary(folder.parents[4])
        assert summary_lines(summary, [])[-1].endswith(f"(`resnet-repro run {named} --profile cpu` continues it).")


def test_a_profile_too_short_for_a_claim_says_so_without_a_stray_separator(monkeypatch):
    target = load_target("fig6")
    claim = next(claim for claim in target.claims if claim.too_short("cpu"))
    monkeypatch.setattr(scoring, "judge_claim", lambda *args: Verdict(NOISE, ""))  # a verdict with no numbers to show
    found = SimpleNamespace(trained_keys=set(claim.order), profile="cpu", keys={}, per_key=lambda metric: {})
    score = next(
        s for s in scoring.claim_scores(target, found) if s.what == scoring.claim_text(claim, set(claim.order))
    )
    assert score.verdict.detail == f"this profile is too short for it: {claim.too_short('cpu')}"


def test_the_rules_under_their_heading_do_not_repeat_it():
    """`### How verdicts are made` was followed by a paragraph opening "How verdicts are made: ...", in both pages."""
    from resnet_repro.report.html_page import html_page
    from resnet_repro.report.markdown_page import markdown_page

    markdown = markdown_page([], [])
    assert "### How verdicts are made\n\nA claim orders nets by a measured number;" in markdown
    assert markdown.count("How verdicts are made") == 1
    page = html_page([], [])
    assert "<h3>How verdicts are made</h3><p class='rules'>A claim orders nets" in page
    assert page.count("How verdicts are made") == 1


def test_a_target_not_run_yet_offers_only_profiles_that_train_for_fewer_iterations():
    """The ImageNet targets offered `--profile paper-steps` as "a shorter profile": the paper's 600k iterations with
    fixed lr steps, as long as the default. A profile is offered where its recipe trains for fewer iterations."""
    from resnet_repro.report.sections import other_profiles
    from resnet_repro.specs.experiments import load_recipe_file

    for name in ("table2", "fig4", "table3", "table4"):
        assert other_profiles(load_target(name)) == " (or a shorter profile: `--profile quick`)"
    recipe = load_recipe_file("imagenet")
    assert recipe.iterations("paper-steps") == recipe.iterations("paper") == 600000
    assert recipe.iterations("quick") == 60000
    assert "`--profile cpu`" in other_profiles(load_target("fig6"))  # CIFAR's: every one shorter than 64k
    assert other_profiles(load_target("table1")) == ""  # trains nothing


def test_the_report_says_running_for_a_run_training_now_and_leaves_out_no_failures(tmp_path):
    """With one run training (its lock held) the report said "Also: 0 failed and 1 unfinished run: ..." where list,
    show and the tables say running: no zero count, and a run training now is running, not unfinished."""
    from resnet_repro.store.lock import run_lock

    for name in ("cifar10/plain-20/smoke/seed0", "cifar10/plain-56/smoke/seed0", "cifar10/plain-56/smoke/seed1"):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text(json.dumps({"device_name": "CPU (test)"}))
    (tmp_path / "runs/cifar10/plain-56/smoke/seed1/final.json").write_text(json.dumps({"status": "failed"}))
    with run_lock(tmp_path / "runs/cifar10/plain-56/smoke/seed0", "cifar10/plain-56/smoke/seed0"):
        last = summary_lines(compute_summary(tmp_path), [])[-1]
    assert last == (
        "Also: 1 failed run; 1 run still running: cifar10/plain-56/smoke/seed0; 1 unfinished run: "
        "cifar10/plain-20/smoke/seed0 (`resnet-repro run table6 --profile smoke` continues it)."
    )
    assert summary_lines(compute_summary(tmp_path), [])[-1].startswith("Also: 1 failed run; 2 unfinished runs: ")
    (tmp_path / "runs/cifar10/plain-56/smoke/seed1/final.json").unlink()
    (tmp_path / "runs/cifar10/plain-56/smoke/seed1/meta.json").unlink()
    assert summary_lines(compute_summary(tmp_path), [])[-1].startswith("Also: 2 unfinished runs: ")
