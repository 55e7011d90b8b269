"""Claims and verdicts: the noise bands, the strict claim files, per-profile outputs, the report's scoreboard."""

import json
import math
import re
from pathlib import Path

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.claims.base import (
    FAILS,
    HOLDS,
    NOISE,
    NOT_COMPARABLE,
    NOT_RUN,
    PARTIAL,
    REPRODUCED,
    Claim,
    Verdict,
    evaluate_claim,
)
from resnet_repro.claims.numbers import PaperNumber, evaluate_number
from resnet_repro.specs.experiments import load_target

from .conftest import assert_one_line_error, cli_in_process

# ----------------------------------------------------------------------------- verdict bands on constructed results


def test_a_single_run_is_judged_against_the_paper_single_run_with_a_band_of_2_sqrt2_sigma():
    paper = PaperNumber("resnet32", "test_error", 7.51, "single", 1)
    near, far = evaluate_number(paper, [7.81]), evaluate_number(paper, [8.51])
    assert near.status == REPRODUCED and far.status == FAILS
    assert near.detail == "7.81, paper 7.51: +0.30, within seed noise (±0.45)"
    assert "outside seed noise, worse than the paper (±0.45)" in far.detail
    assert evaluate_number(paper, [6.51]).detail.endswith("better than the paper (±0.45)")
    assert math.isclose(2 * math.sqrt(2) * 0.16, 0.4525, abs_tol=1e-4)


def test_n_seeds_against_the_paper_mean_and_best_of_n_said_so():
    mean = PaperNumber("resnet110", "test_error", 6.61, "mean", 5)
    best = PaperNumber("resnet110", "test_error", 6.43, "best", 5)
    ours = [6.70, 6.75, 6.80, 6.65, 6.72]  # spread below the paper's 0.16: the paper's sigma is used
    verdict = evaluate_number(mean, ours)
    band = 2 * 0.16 * math.sqrt(1 / 5 + 1 / 5)  # two means of 5 runs
    assert verdict.detail == f"mean of 5 6.72, paper 6.61 (mean of 5): +0.11, within seed noise (±{band:.2f})"
    assert evaluate_number(mean, [6.70, 6.75, 6.80, 6.65, 7.20]).status == REPRODUCED
    assert evaluate_number(mean, [7.00, 7.05, 7.10, 6.95, 7.02]).status == FAILS  # +0.41 > 0.20
    assert evaluate_number(best, ours).detail.startswith("best of 5 6.65, paper best of 5 6.43: +0.22")
    # the best of fewer seeds than the paper's five is expected to be worse: not compared until five have finished
    two = evaluate_number(best, [6.65, 6.90])
    assert two.status == NOT_COMPARABLE
    assert two.detail == (
        "best of 2 here 6.65, the paper's best of 5 6.43: compared once 5 seeds have finished (`--seeds 5`); "
        "the mean row compares the mean of 2 now"
    )


def test_measured_seeds_that_spread_more_than_the_paper_widen_the_band():
    paper = PaperNumber("resnet20", "test_error", 8.75, "single", 1)
    ours = [8.0, 9.0, 10.0]  # std 1.0
    verdict = evaluate_number(paper, ours)
    band = 2 * 1.0 * math.sqrt(1 + 1 / 3)
    assert (
        verdict.status == REPRODUCED
        and f"(±{band:.2f}); sigma from the measured seed std (1.00, 3 runs)" in verdict.detail
    )


def test_an_ordering_claim_holds_fails_or_is_within_noise():
    claim = Claim("deeper plain nets train worse", "Sec. 4.2", "train_error", ("plain20", "plain56"))
    trained = {"plain20", "plain56"}
    assert evaluate_claim(claim, {"plain20": [10.0], "plain56": [11.0]}, trained).status == HOLDS
    assert evaluate_claim(claim, {"plain20": [10.0], "plain56": [10.3]}, trained).status == NOISE
    assert evaluate_claim(claim, {"plain20": [11.0], "plain56": [10.0]}, trained).status == FAILS
    assert evaluate_claim(claim, {"plain20": [10.0]}, trained).status == NOT_RUN
    # three seeds each: the band shrinks to 2 * 0.16 * sqrt(2/3) = 0.26, so a 0.3 gap holds
    three = evaluate_claim(claim, {"plain20": [10.0, 10.0, 10.0], "plain56": [10.3, 10.3, 10.3]}, trained)
    assert three.status == HOLDS and "band ±0.26" in three.detail


def test_a_chain_is_judged_pair_by_pair_over_the_nets_the_profile_trains():
    claim = Claim("deeper ResNets train better", "Sec. 4.2", "train_error", ("resnet110", "resnet56", "resnet20"))
    values = {"resnet56": [5.0], "resnet20": [8.0]}
    # the cpu profile trains no ResNet-110: the chain is ResNet-56 < ResNet-20, which holds
    assert evaluate_claim(claim, values, {"resnet56", "resnet20"}).status == HOLDS
    # a profile that trains ResNet-110 but has not finished it yet: not all run yet
    partial = evaluate_claim(claim, values, {"resnet110", "resnet56", "resnet20"})
    assert partial.status == PARTIAL and partial.detail.endswith("not run yet: resnet110")
    # one pair against the claim makes the whole claim not hold
    assert evaluate_claim(claim, {**values, "resnet110": [6.0]}, {"resnet110", "resnet56", "resnet20"}).status == FAILS


# ----------------------------------------------------------------------------- claims in the target files, strictly


@pytest.mark.parametrize(
    "claim, fragments",
    [
        (
            "{says: x, section: y, metric: train_error, order: [plain20, resnet44]}",
            ["claims[0]: order: 'resnet44' is not among this target's runs"],
        ),
        (
            "{says: x, section: y, metric: top1_error, order: [plain20, plain56]}",
            ["metric 'top1_error' is not one a cifar target measures (train_error, test_error)"],
        ),
        # a key's own problem reads as the typed reader words it: the dotted key (claims[0].spread), at its line
        (
            "{says: x, section: y, metric: train_error, order: [plain20, plain56], spread: 1}",
            ["mine.yaml:6: unknown key 'claims[0].spread'; known keys: says, section, metric, order, noise,"],
        ),
        (
            "{says: x, section: y, metric: train_error, order: [plain20, plain56], margin: 1}",
            ["margin: only a claim with relation: level has an equivalence margin"],
        ),
        (
            "{says: x, section: y, metric: test_error, order: [plain20, plain56], relation: level}",
            ["margin: relation: level needs the largest difference it still calls equal", "e.g. margin: 0.5"],
        ),
        (
            "{says: x, section: y, metric: train_error, order: [plain20], below: 0.1}",
            ["noise: a bound on the training error needs the training error's own seed std"],
        ),
        (
            "{says: x, metric: train_error, order: [plain20, plain56]}",
            ["mine.yaml:6: missing required key 'claims[0].section' (a claim has says, section, metric, order)"],
        ),
        ("{says: x, section: y, metric: train_error, order: [plain20]}", ["order: expected a list of two or more"]),
        # a name in the claim's own paper numbers is named as that key's (it said "order:")
        (
            "{says: x, section: y, metric: test_error, order: [plain20, plain56], paper: {plain20: 7, resnet44: 8}}",
            ["claims[0]: paper: 'resnet44' is not among this target's runs"],
        ),
    ],
)
def test_a_bad_claim_is_one_line_naming_the_file(tmp_path, claim, fragments):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n  - " + claim + "\n")
    assert_one_line_error(cli_in_process("show", str(path)), str(path), *fragments)


def test_a_net_of_a_claims_paper_numbers_that_is_no_run_is_named_at_its_own_line(tmp_path):
    # it was named at the line of `paper:`, two lines above the wrong name
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n  - says: x\n    section: y\n"
        "    metric: test_error\n    order: [plain20, plain56]\n    paper:\n      plain20: 7\n      resnet44: 8\n"
    )
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert str(error.value).startswith(f"{path}:12: claims[0]: paper: 'resnet44' is not among this target's runs")


def test_a_bad_claim_key_is_named_at_its_own_line_with_the_words_of_its_type(tmp_path):
    path = tmp_path / "mine.yaml"
    claim = "  - says: x\n    section: y\n    metric: train_error\n    order: [plain20, plain56]\n"
    for extra, line, words in [
        ("noise: -1", 10, "claims[0].noise: expected a positive number (the seed std of its metric), got -1"),
        ("own: 3", 10, "claims[0].own: expected true or false, got 3"),
        ("short: {cpu: ' '}", 10, "claims[0].short.cpu: expected profile: why its schedule is too short for this"),
        ("until: 2", 10, "claims[0].until: expected the share of training the claim looks at, e.g. 0.3, or first_l"),
    ]:
        path.write_text(
            "title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n"
            + claim
            + "    "
            + extra
            + "\n"
        )
        assert_one_line_error(cli_in_process("show", str(path)), f"{path}:{line}: {words}")


def test_a_claim_rule_between_keys_is_named_at_the_line_of_the_key_it_names(tmp_path):
    # a claim written as a block: each rule's line is its key's, not the claim's first (where `says:` is)
    path = tmp_path / "mine.yaml"
    head = "title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n  - says: x\n    section: y\n"
    for body, line, words in [
        ("    metric: top1_error\n    order: [plain20, plain56]\n", 8, "claims[0]: metric 'top1_error' is not one"),
        ("    metric: train_error\n    order:\n      - plain20\n      - resnet44\n", 11, "claims[0]: order: 'resn"),
        ("    metric: train_error\n    order: [plain20]\n", 9, "claims[0]: order: expected a list of two or more"),
        ("    metric: test_error\n    order: [plain20, plain56]\n    margin: 1\n", 10, "claims[0]: margin: only a"),
        ("    metric: test_error\n    order: [plain20, plain56]\n    fraction: 0.9\n", 10, "claims[0]: fraction: only"),
        ("    metric: test_error\n    order: [plain20, plain56]\n    over: curve\n    fraction: 0.9\n", 10, "over: c"),
        ("    metric: train_error\n    order: [plain20, plain56]\n    until: 0.5\n", 10, "claims[0]: until: only"),
        ("    metric: test_error\n    order: [plain20, plain56]\n    gap: 1\n    above: 1\n", 11, "claims[0]: above"),
        ("    metric: train_error\n    order: [plain20]\n    above: 1\n    noise: null\n", 11, "claims[0]: noise: a"),
    ]:
        path.write_text(head + body)
        with pytest.raises(UserError) as error:
            load_target(str(path))
        assert f"mine.yaml:{line}: " in str(error.value) and words in str(error.value), (body, str(error.value))


@pytest.mark.parametrize(
    "order, words",
    [
        ("[[], plain20]", "order: an empty list names no net"),  # was a claim about plain-20 alone
        ("[plain20, plain20]", "order: 'plain20' is named twice; name each net once"),  # was plain-20 < plain-20
        ("[[plain20, plain56], plain56]", "order: 'plain56' is named twice"),
    ],
)
def test_a_claim_order_names_each_net_once(tmp_path, order, words):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n"
        f"  - says: x\n    section: y\n    metric: test_error\n    order: {order}\n"
    )
    with pytest.raises(UserError, match=rf"mine\.yaml:9: claims\[0\]: {re.escape(words)}"):
        load_target(str(path))


@pytest.mark.parametrize(
    "order, line, words",
    [
        ("\n      - plain20\n      - resnet44\n", 11, "order: 'resnet44' is not among this target's runs"),
        ("\n      - plain20\n      - [plain56,\n         resnet44]\n", 12, "order: 'resnet44' is not among"),
        ("\n      - plain20\n      - plain56\n      - plain20\n", 12, "order: 'plain20' is named twice"),
        ("\n      - plain20\n      - []\n      - plain56\n", 11, "order: an empty list names no net"),
        ("\n      - plain20\n      - 5\n", 11, "claims[0].order: expected a list of runs, lowest first"),
    ],
)
def test_a_bad_net_of_a_block_order_is_named_at_its_own_line(tmp_path, order, line, words):
    """`order:` written as `- net` lines: the error's line is the bad net's, not order:'s (line 9)."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: cifar\nrecipe: cifar\nruns: [plain20, plain56]\nclaims:\n"
        f"  - says: x\n    section: y\n    metric: test_error\n    order:{order}"
    )
    with pytest.raises(UserError) as error:
        load_target(str(path))
    assert str(error.value).startswith(f"{path}:{line}: ") and words in str(error.value), str(error.value)


def test_a_response_claim_must_state_its_noise(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: layer_responses\nrecipe: cifar\nruns: [plain20, resnet20]\nclaims:\n"
        "  - {says: x, section: y, metric: response_std, order: [resnet20, plain20]}\n"
    )
    assert_one_line_error(cli_in_process("show", str(path)), "the paper gives no seed spread for response_std")


def test_every_registered_target_loads_with_its_claims():
    from resnet_repro.specs.experiments import load_target, target_names

    claims = {name: load_target(name).claims for name in target_names()}
    assert len(claims["fig6"]) == 8 and len(claims["fig7"]) == 7 and len(claims["table6"]) == 4
    assert claims["table3"][1].order == ("resnet34-B", "resnet34-A")  # B below A in error
    assert claims["table3"][2].relation == "at_most"  # C no higher than B, within noise: a gap the paper calls marginal
    assert claims["table2"][1].order == ("resnet34-A", "resnet18-A")
    assert load_target("FIG6").name == "fig6"  # target names ignore case, as --only does


# ----------------------------------------------------------------------------- per-profile outputs and the report


def fake_run(results, name, train_error, test_error, dataset="fashion-mnist", iterations=500):
    """A finished run's files as training writes them (plot and report read nothing else)."""
    folder = results / "runs" / name
    folder.mkdir(parents=True)
    rows = ["iteration,epoch,lr,train_loss,train_error,test_loss,test_error,val_error,images_per_s,elapsed_s"]
    for step in sorted({iterations * k // 5 for k in range(1, 6)} - {0}):  # 100, 200, ... 500 of 500 iterations
        rows.append(
            f"{step},0.2,0.1,0.5,{train_error + (iterations - step) / 50},0.5,{test_error + (iterations - step) / 50},,"
            f"900,{step / 10}"
        )
    (folder / "metrics.csv").write_text("\n".join(rows) + "\n")
    (folder / "final.json").write_text(
        json.dumps(
            {
                "status": "finished",
                "iterations": iterations,
                "train_error": train_error,
                "test_error": test_error,
                "wall_s": 100.0,
                "params": 269722,
            }
        )
    )
    (folder / "meta.json").write_text(
        json.dumps(
            {
                "device_name": "CPU (x86_64, 2 threads)",
                "data": {
                    "dataset": dataset,
                    "folder": "/usr/share/datasets/fashion-mnist",
                    "official_checksums": None,
                    "train_images": 60000,
                    "test_images": 10000,
                },
            }
        )
    )


CPU_RUNS = {
    "plain-20": (16.29, 16.35),
    "plain-56": (30.59, 30.85),
    "resnet-20-A": (14.61, 15.04),
    "resnet-56-A": (22.85, 22.12),
}


@pytest.fixture
def cpu_results(tmp_path):
    for label, (train, test) in CPU_RUNS.items():
        fake_run(tmp_path, f"fashion-mnist/{label}/cpu/seed0", train, test)
    return tmp_path


def test_plot_without_a_profile_redraws_the_profiles_with_results_and_never_overwrites_them(cpu_results):
    cli_in_process("plot", "fig6", "--profile", "cpu", "--results", str(cpu_results), check=True)
    figure = cpu_results / "fig6/cpu/fig6.png"
    drawn = figure.read_bytes()
    result = cli_in_process("plot", "fig6", "--results", str(cpu_results), check=True)
    assert "fig6/cpu/fig6.png" in result.stdout
    assert figure.read_bytes() == drawn
    assert not (cpu_results / "fig6/fig6.png").exists()  # no empty paper-profile figure beside it
    refused = cli_in_process("plot", "fig6", "--profile", "paper", "--results", str(cpu_results))
    assert_one_line_error(refused, "nothing to draw: fig6 has no paper results", "resnet-repro run fig6")
    assert figure.read_bytes() == drawn
    everything = cli_in_process("plot", "all", "--results", str(cpu_results), check=True)
    assert "fig6/cpu/fig6.png" in everything.stdout and "fig1/cpu/fig1.png" in everything.stdout
    assert (
        cli_in_process("plot", "--results", str(cpu_results), check=True).stdout == everything.stdout
    )  # plot == plot all


def test_every_target_writes_its_table_and_proxy_data_gets_no_paper_numbers(cpu_results):
    cli_in_process("plot", "all", "--results", str(cpu_results), check=True)
    fig6 = (cpu_results / "fig6/cpu/table.csv").read_text().splitlines()
    assert (
        fig6[0] == "model,params,train_error,test_error,test_error_mean,test_error_std,n_seeds,profile,data,"
        "iterations,status"
    )
    assert "plain-56,269722,30.59,30.85,30.85,,1,cpu,fashion-mnist,500,finished" in fig6
    table6 = (cpu_results / "table6/cpu/table.csv").read_text()
    assert "8.75" not in table6 and "6.43" not in table6  # CIFAR-10's numbers never sit beside Fashion-MNIST's
    assert "Fashion-MNIST (a proxy for CIFAR-10)" in (cpu_results / "table6/cpu/table.md").read_text()
    assert (cpu_results / "README.md").read_text().startswith("# resnet-repro results")


def test_training_error_is_the_mean_over_the_last_tenth_of_iterations_weighted_by_window_overlap():
    from resnet_repro.readback.measured import last_tenth_train_error

    def rows(*points):
        return [{"iteration": str(i), "train_error": str(e)} for i, e in points]

    assert last_tenth_train_error(rows((425, 30.0), (450, 20.0), (475, 10.0), (500, 14.0)), 500) == 12.0
    # log every 20: the window 441-460 lies half in 451-500, so it counts for 10 iterations of 50
    assert last_tenth_train_error(rows((440, 50.0), (460, 10.0), (480, 20.0), (500, 30.0)), 500) == 22.0
    assert last_tenth_train_error([], 500) is None and last_tenth_train_error(rows((500, 9.0)), None) is None


def test_tables_and_claims_compare_the_last_tenth_not_the_last_log_window(cpu_results):
    folder = cpu_results / "runs/fashion-mnist/plain-20/cpu/seed0"
    header = (folder / "metrics.csv").read_text().splitlines()[0]
    window = "0.2,0.1,0.5,{},0.5,,,900,1"
    points = [(425, 40.0), (450, 40.0), (475, 20.0), (500, 10.0)]
    (folder / "metrics.csv").write_text("\n".join([header] + [f"{i}," + window.format(e) for i, e in points]) + "\n")
    final = json.loads((folder / "final.json").read_text())
    (folder / "final.json").write_text(json.dumps(final | {"train_error": 10.0}))  # the last window alone
    cli_in_process("report", "--results", str(cpu_results), check=True)
    assert "plain-20,269722,15.0," in (cpu_results / "fig6/cpu/table.csv").read_text()
    assert "plain-20 15.00 < plain-56 30.59: gap +15.59" in (cpu_results / "REPORT.md").read_text()


def test_report_on_a_partly_run_folder_lists_every_target_and_checks_claims_not_numbers(cpu_results):
    from resnet_repro.specs.experiments import load_target, target_names

    cli_in_process("report", "--results", str(cpu_results), check=True)
    report = (cpu_results / "REPORT.md").read_text()
    scoreboard = report.split("## Scoreboard")[1].split("\n## ")[0]
    for name in target_names():  # a target of one's own added to experiments/ is checked the same way
        assert f"({name})\n" in report, name
        if load_target(name).claims:
            assert f"| {name} |" in scoreboard, name
    assert (
        "| fig6 | the deep plain nets suffer from increased depth, and exhibit higher training error when going "
        "deeper (training error: plain-20 < plain-56; not trained by this profile: plain-32, plain-44) <br><sub>Sec. "
        "4.2, Fig. 6 (left)</sub> | cpu | plain-20 16.29 < plain-56 30.59: gap +14.30, band ±0.45; σ: the paper's "
        "seed std of ResNet-110 (0.16, Table 6); the same comparison on the same runs as fig1's row; counted once | "
        "✅ holds |" in scoreboard
    )
    left = scoreboard.split("### Not run yet")[1]  # what is left, each with the command that runs it
    assert (
        "| table3 | the 14 numbers of Table 3 <br><sub>Table 3</sub> | paper | needs ImageNet (you supply it: it cannot "
        "be downloaded) and GPUs for days; `resnet-repro run table3` |" in left
    )
    assert (
        "| fig6 | the testing result of this 1202-layer network is worse than that of our 110-layer network "
        "(overfitting) (test error: ResNet-110 < ResNet-1202) <br><sub>Sec. 4.2, Fig. 6 (right), Table 6</sub> | "
        "paper | needs CIFAR-10 (`--download` fetches it) and a GPU for hours; shares runs with table6's row; "
        "`resnet-repro run fig6` |" in left
    )
    # only the cpu profile has results: the headings name the data it trained on, not the paper's
    assert (
        "\n## Figure 6: training (dashed) and test (bold) error on Fashion-MNIST (a proxy for CIFAR-10) (fig6)\n"
        in (report)
    )
    assert "\n### fig6, profile cpu\n" in report
    assert (
        "ResNet-56 22.85 > ResNet-20 14.61 (the paper: <): gap -8.24, band ±0.45; σ: the paper's seed std of "
        "ResNet-110 (0.16, Table 6); this profile is too short for it: 500 iterations: on Fashion-MNIST the deeper "
        "ResNets start later" in scoreboard
    )  # the verdict stays as measured, with the reason beside it
    assert "pass the shallower ones only after many thousands of iterations (docs/profiles.md) | ❌ does not hold" in (
        scoreboard
    )
    assert "Fashion-MNIST is a proxy for CIFAR-10: only the orderings are checked, never the numbers" in report
    assert "Hardware: CPU (x86_64, 2 threads). Compute: 4 of 4 runs finished, 7 min of training" in report
    assert "![fig6 cpu](fig6/cpu/fig6.png)" in report
    page = (cpu_results / "REPORT.html").read_text()
    assert "<meta name='viewport'" in page and "@media (max-width:760px)" in page
    # fig1's and fig6's figures of the cpu profile (and of any target of one's own that shares their runs): only
    # the cpu profile has run, and the page inlines every figure REPORT.md shows
    figures = re.findall(r"!\[([\w-]+) ([\w-]+)\]\(", report)
    assert {"fig1", "fig6"} <= {name for name, _ in figures} and {profile for _, profile in figures} == {"cpu"}
    assert page.count("data:image/png;base64,") == len(figures)


def test_a_section_over_profiles_on_two_datasets_keeps_the_papers_title_and_names_the_proxy_in_its_part(cpu_results):
    fake_run(cpu_results, "cifar10/plain-20/paper/seed0", 1.0, 8.0, dataset="cifar10")
    cli_in_process("report", "--results", str(cpu_results), check=True)
    report = (cpu_results / "REPORT.md").read_text()
    assert "\n## Figure 6: training (dashed) and test (bold) error on CIFAR-10 (fig6)\n" in report
    assert "\n### fig6, profile cpu, on Fashion-MNIST\n" in report and "\n### fig6, profile paper\n" in report
    assert "<h3>fig6, profile cpu, on Fashion-MNIST</h3>" in (cpu_results / "REPORT.html").read_text()


def test_the_html_reports_means_with_their_spread_align_right_as_every_other_number(cpu_results):
    """A net of two seeds showed "16.34 ± 0.07" left-aligned, under a right-aligned "2/2" and beside single numbers
    aligned right; a paper number saying what it summarises ("6.61 (mean of 5)") likewise."""
    from resnet_repro.report.html_page import _cls

    fake_run(cpu_results, "fashion-mnist/plain-20/cpu/seed1", 16.39, 16.45)
    cli_in_process("report", "--results", str(cpu_results), check=True)
    page = (cpu_results / "REPORT.html").read_text()
    seeds = "<td data-label='seeds' class='num'>2/2</td>"
    assert f"{seeds}<td data-label='training error' class='num'>16.34 ± 0.07</td>" in page
    assert "<td data-label='test error' class='num'>16.40 ± 0.07 (best 16.35)</td>" in page
    assert _cls("6.61 (mean of 5)", frozenset()) == _cls("8.75", frozenset()) == " class='num'"
    assert _cls("plain-20", frozenset()) == _cls("6.61 ± 0.16 of plain-20", frozenset()) == ""


def test_list_says_a_target_whose_nets_are_trained_but_not_measured_is_not_done(cpu_results):
    listed = " ".join(
        cli_in_process("list", "--results", str(cpu_results), check=True).stdout.replace("│", " ").split()
    )
    fig7 = listed[listed.index(" fig7 ") : listed.index(" gradflow ")]
    assert "cpu 4/4, trained, not measured yet (`resnet-repro run fig7 --profile cpu`)" in fig7
    fig6 = listed[listed.index(" fig6 ") : listed.index(" fig7 ")]
    assert fig6.endswith("cpu 4/4") and "not measured yet" not in fig6


def test_list_says_which_runs_are_trained_where_a_further_seed_of_a_measuring_target_is_still_running(cpu_results):
    """With a further seed of a net training (`run --seeds 1`), list said "cpu 4/5 (1 running) trained, not measured
    yet": a count with a run still training, said to be trained. fig7 measures its four runs, which are."""
    from resnet_repro.store.lock import run_lock

    fake_run(cpu_results, "fashion-mnist/plain-20/cpu/seed1", 20.0, 25.0)
    (cpu_results / "runs/fashion-mnist/plain-20/cpu/seed1/final.json").unlink()  # begun, not finished
    with run_lock(cpu_results / "runs/fashion-mnist/plain-20/cpu/seed1", "fashion-mnist/plain-20/cpu/seed1"):
        listed = cli_in_process("list", "--results", str(cpu_results), check=True).stdout
    listed = " ".join(listed.replace("│", " ").split())
    fig7 = listed[listed.index(" fig7 ") : listed.index(" gradflow ")]
    assert "cpu 4/5 (1 running)" in fig7
    assert "the 4 runs it measures are trained, not measured yet (`resnet-repro run fig7 --profile cpu`)" in fig7
    assert "(1 running) trained" not in fig7


def test_the_report_points_a_cpu_user_at_the_cpu_command_that_measures_fig7s_trained_nets(cpu_results):
    """With fig6's cpu nets trained, the report's fig7 offered only `resnet-repro run fig7`, which "needs CIFAR-10 and a
    GPU for hours", where `list` and `plot` say `resnet-repro run fig7 --profile cpu` measures them in minutes."""
    cli_in_process("report", "--results", str(cpu_results), check=True)
    report = (cpu_results / "REPORT.md").read_text()
    command = "`resnet-repro run fig7 --profile cpu`"
    assert f"| cpu | its nets are trained; measuring them takes minutes, no training; {command} |" in report
    assert f"- Its nets are trained under the cpu profile, not measured yet: {command} measures them" in report
    assert "<code>resnet-repro run fig7 --profile cpu</code> measures them" in (cpu_results / "REPORT.html").read_text()


def test_plot_names_a_target_whose_nets_are_trained_but_not_measured_instead_of_passing_it_by(cpu_results):
    said = "fig7 cpu: its nets are trained but not measured yet; `resnet-repro run fig7 --profile cpu` measures them"
    everything = cli_in_process("plot", "all", "--results", str(cpu_results), check=True).stdout
    assert f"skipped {said}" in " ".join(everything.split()) and "fig6/cpu/fig6.png" in everything
    for profile in ([], ["--profile", "cpu"]):
        refused = cli_in_process("plot", "fig7", *profile, "--results", str(cpu_results))
        assert_one_line_error(
            refused, "nothing to draw yet: fig7's cpu nets are trained", "`resnet-repro run fig7 --profile cpu`"
        )
    assert not (cpu_results / "fig7").exists()


def test_the_results_readme_in_the_repository_is_the_one_written_into_a_results_folder():
    from pathlib import Path

    from resnet_repro.store.readme import README

    assert (Path(__file__).resolve().parent.parent / "results/README.md").read_text() == README


def test_counts_agree_with_their_nouns_and_verbs():
    from resnet_repro.basics.words import agreeing, counted

    assert [counted(n, "thread") for n in (0, 1, 2)] == ["0 threads", "1 thread", "2 threads"]
    assert counted(1, "analysis", "analyses") == "1 analysis" and counted(3, "analysis", "analyses") == "3 analyses"
    assert (agreeing(1, "holds", "hold"), agreeing(2, "holds", "hold")) == ("holds", "hold")


def test_the_report_summary_says_1_holds_and_1_unfinished_run():
    from resnet_repro.claims.base import Verdict
    from resnet_repro.readback.report_parts import Score
    from resnet_repro.report.summary import summary_lines

    def score(status: str, number: bool = False) -> Score:
        return Score("fig6", "a claim", "Sec. 4.2", "cpu", Verdict(status, ""), number=number)

    scores = [score(HOLDS), score(FAILS), score(NOISE), score(NOISE), score(REPRODUCED, number=True)]
    summary = {"devices": ["CPU (x86_64, 1 thread)"], "finished": 1, "wall_s": 60.0, "failed": 0, "unfinished": 1}
    summary["unfinished_runs"] = ["fashion-mnist/plain-20/cpu/seed0"]
    summary["started_by"] = {"fashion-mnist/plain-20/cpu/seed0": "fig6"}  # the target its meta.json's command ran
    lines = "\n".join(summary_lines(summary, scores))
    # a number within seed noise is reproduced, in words of its own: a claim's "within noise" is undecided
    assert "Claims: 1 holds, 1 does not hold, 2 within noise. Paper numbers: 1 reproduced." in lines
    assert "Not (all) run yet: 0 of 5 rows." in lines
    assert "Compute: 1 finished run, 0.02 h" in lines
    assert (
        "Also: 1 unfinished run: fashion-mnist/plain-20/cpu/seed0 (`resnet-repro run fig6 --profile cpu` "
        "continues it)." in lines  # the command that began it (the main job), not fig1's, which shares the run
    )
    scores = [score(HOLDS), score(HOLDS), score(FAILS), score(FAILS)]
    assert "Claims: 2 hold, 2 do not hold." in summary_lines(summary, scores)[0]


def test_a_test_profiles_verdicts_are_said_to_test_the_tool_and_left_out_of_the_counts(tmp_path):
    """fig1 at the smoke profile (12 iterations on 256 images) gave "Claims: 2 hold." at the top of the report, its
    rows as findings of the paper's with nothing beside them but the section's profile line."""
    for label, (train, test) in (("plain-20", (82.3, 87.5)), ("plain-56", (89.6, 89.1))):
        fake_run(tmp_path, f"cifar10/{label}/smoke/seed0", train, test, dataset="cifar10", iterations=12)
    fake_run(tmp_path, "fashion-mnist/plain-20/cpu/seed0", 16.29, 16.35)  # a profile that checks the paper's orders
    fake_run(tmp_path, "fashion-mnist/plain-56/cpu/seed0", 30.59, 30.85)
    cli_in_process("report", "--results", str(tmp_path), check=True)
    report = (tmp_path / "REPORT.md").read_text()
    tally = next(line for line in report.splitlines() if line.startswith("Claims: "))
    assert tally.startswith("Claims: 2 hold. Paper numbers: none checked yet.")  # fig1's two, at the cpu profile
    assert tally.endswith(
        "Left out of these counts: 9 rows of the smoke profile, a test profile: its verdicts test the tool, not the "
        "paper.  "
    )
    checked = report.split("### Checked here")[1].split("### Not run yet")[0]
    smoke = [line for line in checked.splitlines() if "| smoke |" in line]
    assert smoke and all(
        line.endswith("; smoke is a test profile: its verdicts test the tool, not the paper | ✅ holds |")
        for line in smoke
    )
    assert not any("test profile" in line for line in checked.splitlines() if "| cpu |" in line)
    fig1 = report.split("### fig1, profile smoke")[1]
    assert (
        "- Profile smoke is a test profile: its verdicts test the tool, not the paper; the report's counts leave"
        in fig1
    )
    # its rows waiting for runs were offered under "Not run yet" as `resnet-repro run fig6 --profile smoke`
    assert "--profile smoke" not in report and "--profile smoke" not in (tmp_path / "REPORT.html").read_text()
    assert "| smoke |" not in report.split("### Not run yet")[1].split("### How verdicts")[0]
    fig6 = report.split("### fig6, profile smoke")[1].split("\n## ")[0]
    assert (
        "| ResNets manage to overcome the optimization difficulty (the 56-layer ResNet against the degraded plain net) "
        "(training error: ResNet-56 < plain-56) | no command offered: smoke is a test profile, not a way to run fig6 "
        "| ⏳ not run yet |" in fig6
    )


def test_the_report_offers_no_command_to_measure_a_test_profiles_trained_nets(tmp_path):
    """With fig6's smoke nets trained, the report's fig7 said `resnet-repro run fig7 --profile smoke` measures them, in
    a note and under "Not run yet": a test profile offered as a way to run a target."""
    for label in ("plain-20", "plain-56", "resnet-20-A", "resnet-56-A", "resnet-110-A"):
        fake_run(tmp_path, f"cifar10/{label}/smoke/seed0", 80.0, 85.0, dataset="cifar10", iterations=12)
    cli_in_process("report", "--results", str(tmp_path), check=True)
    report = (tmp_path / "REPORT.md").read_text()
    assert "fig7 --profile smoke" not in report and "fig7 --profile smoke" not in (tmp_path / "REPORT.html").read_text()
    assert "| smoke |" not in report.split("### Not run yet")[1].split("### How verdicts")[0]
    assert (
        "- Its nets are trained under the smoke profile, not measured yet; no command offered: smoke is a test "
        "profile, not a way to run fig7.\n" in report
    )


@pytest.mark.parametrize("status", [HOLDS, NOT_RUN])
def test_a_test_profiles_row_offers_no_command_even_where_more_seeds_would_resolve_it(status):
    """A smoke verdict whose gap more seeds would resolve was offered `resnet-repro run table6 --profile smoke
    --seeds 15`: a test profile offered as a way to run a target."""
    from resnet_repro.report.scoring import claim_score

    table6 = load_target("table6")
    claim = table6.claims[0]
    assert claim_score(table6, claim, "smoke", Verdict(status, "", seeds=15)).command == ""
    assert claim_score(table6, claim, "paper", Verdict(status, "", seeds=15)).command.endswith(" --seeds 15")


def test_runs_end_says_why_the_papers_numbers_beside_its_own_have_no_verdict(tmp_path):
    """`run table6 --profile quick` ended with the paper's 8.75 beside ResNet-20's number and an empty verdict cell,
    where the report says why; a proxy's line was the only reason run gave."""
    from resnet_repro.report.console import console_summary

    fake_run(tmp_path, "cifar10/resnet-20-A/quick/seed0", 9.1, 9.0, dataset="cifar10")
    lines = console_summary(load_target("table6"), "quick", tmp_path)
    assert any(line.startswith("  ResNet-20 ") and "8.75" in line for line in lines)
    assert (
        lines[-1] == "  Numbers shown without a verdict against the paper: the quick profile is not the paper's recipe."
    )


def test_runs_end_aligns_its_numbers_to_the_right_and_ends_no_line_in_spaces(tmp_path):
    """`run`'s closing table set every number to the left of its column and padded every line with spaces, where
    `show`'s tables set them to the right."""
    from resnet_repro.report.console import console_summary

    fake_run(tmp_path, "cifar10/resnet-20-A/quick/seed0", 9.1, 9.0, dataset="cifar10")
    fake_run(tmp_path, "cifar10/resnet-110-A/quick/seed0", 12.25, 10.5, dataset="cifar10")
    lines = console_summary(load_target("table6"), "quick", tmp_path)
    assert lines[lines.index("  ResNet-20     1/1            9.10        9.00              8.75") + 1 :][:5] == [
        "  ResNet-32     0/1                                          7.51",
        "  ResNet-44     0/1                                          7.17",
        "  ResNet-56     0/1                                          6.97",
        "  ResNet-110    1/1           12.25       10.50  6.61 (mean of 5)",
        "  plain-20      0/1",
    ]
    assert any(
        line.startswith("  net         seeds  training error  test error             paper  ver") for line in lines
    )
    assert not any(line.endswith(" ") for line in lines)


def test_the_report_names_its_folder_when_its_commands_would_run_elsewhere_and_counts_override_runs(
    tmp_path, monkeypatch
):
    from resnet_repro.report.summary import compute_summary, summary_lines

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RESNET_REPRO_RESULTS", raising=False)
    for profile in ("cpu", "cpu~3f2a1c"):  # a run of the profile and one with --set overrides
        folder = tmp_path / "elsewhere/runs/fashion-mnist/plain-20" / profile / "seed0"
        folder.mkdir(parents=True)
        (folder / "meta.json").write_text('{"device_name": "CPU"}')
        (folder / "final.json").write_text('{"status": "finished", "wall_s": 36.0}')
    summary = compute_summary(tmp_path / "elsewhere")
    assert summary["overridden"] == 1 and summary["finished"] == 2
    assert summary["elsewhere"] == str(tmp_path / "elsewhere")
    lines = "\n".join(summary_lines(summary, []))
    assert "Compute: 2 finished runs, 0.02 h of training summed over the runs" in lines
    assert "; 1 run with `--set` overrides among them (their own tables, not the scoreboard's)." in lines
    assert f"add `--results {tmp_path / 'elsewhere'}` to its commands" in lines
    (tmp_path / "results").mkdir()
    assert compute_summary(tmp_path / "results")["elsewhere"] is None  # the default folder: commands need nothing
    assert compute_summary(Path("results"))["elsewhere"] is None


def test_fig7s_default_nets_trained_add_a_note_and_no_row_beside_its_claims_not_run_yet(tmp_path):
    """fig7's paper nets trained (fig6 at the paper recipe), not measured: each of its claims is already a row not run
    yet, with `resnet-repro run fig7`, the command that measures them; a row for the whole profile said it twice."""
    from resnet_repro.specs.experiments import load_target, resolve_runs

    for run in resolve_runs(load_target("fig7"), "paper"):
        fake_run(tmp_path, run.name, 10.0, 8.0, dataset="cifar10")
    cli_in_process("report", "--results", str(tmp_path), check=True)
    report = (tmp_path / "REPORT.md").read_text()
    assert "- Its nets are trained under the paper profile, not measured yet: `resnet-repro run fig7`" in report
    assert "over the paper profile's nets" not in report
