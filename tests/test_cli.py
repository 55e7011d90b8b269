"""The command line as a user meets it: outputs, and one clear line for each bad input."""

import csv
import re
import shutil
from pathlib import Path

import pytest

from .conftest import assert_one_line_error, cli, cli_in_process


def test_table1_writes_exact_counts(table1_run):
    tmp_path, result = table1_run
    assert "Table 1" in result.stdout
    with open(tmp_path / "table1/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    # half a minute of counting is not silent: a line per net as it is counted
    counted = [line for line in result.stdout.splitlines() if line.startswith("counted ")]
    assert len(counted) == len(rows)
    assert f"counted resnet-34-B: 21,797,672 parameters, 3.66 G multiply-adds (6 of {len(rows)})" in counted
    assert any(line.startswith("counted resnet-20-A: 269,722 parameters, 40.6 M multiply-adds") for line in counted)
    assert list(next(iter(rows.values())))[:5] == ["model", "params", "flops", "paper_params", "paper_flops"]
    assert rows["resnet-110-A"]["params"] == "1727962" and rows["plain-110"]["params"] == "1727962"
    # the paper gives no ImageNet parameter counts: torchvision's stand beside them, in their own column
    assert rows["resnet-50-B"]["paper_params"] == "" and rows["resnet-50-B"]["torchvision_params"] == "25557032"
    assert rows["resnet-50-B"]["flops"] == "3857973248" and rows["plain-34"]["paper_flops"] == "3600000000"
    assert rows["plain-18"]["paper_flops"] == "1800000000"  # Table 1's 18-layer column, as for plain-34
    assert rows["resnet-1202-A"]["params"] == "19421274" and rows["plain-20"]["paper_params"] == ""
    # 3.6 GFLOPs is the paper's figure for the 34-layer net without projections: not option C's
    assert rows["resnet-34-B"]["paper_flops"] == "3600000000" and rows["resnet-34-C"]["paper_flops"] == ""
    assert (tmp_path / "table1/table.md").read_text().startswith("# Table 1")
    from resnet_repro.engines.complexity.outputs import identity_verdict

    identity = identity_verdict([{k: str(v) for k, v in row.items()} for row in rows.values()])
    assert identity.status == "holds" and identity.detail.startswith(
        "8 of 8 option-A ResNets have their plain twin's count exactly; projections add (not judged): ResNet-18 B +"
    )
    assert "no plain twin" not in identity.detail  # ResNet-1202's too
    # Table 1's per-stage layout, read from the built nets
    with open(tmp_path / "table1/layout.csv") as handle:
        layout = [(r["model"], r["stage"], r["output_size"], r["block"], r["blocks"]) for r in csv.DictReader(handle)]
    assert [r for r in layout if r[0] == "resnet-50"] == [
        ("resnet-50", "conv1", "112x112", "7x7, 64, stride 2", "1"),
        ("resnet-50", "conv2_x", "56x56", "3x3 max pool, stride 2; [1x1, 64; 3x3, 64; 1x1, 256]", "3"),
        ("resnet-50", "conv3_x", "28x28", "[1x1, 128 (stride 2 in the first block); 3x3, 128; 1x1, 512]", "4"),
        ("resnet-50", "conv4_x", "14x14", "[1x1, 256 (stride 2 in the first block); 3x3, 256; 1x1, 1024]", "6"),
        ("resnet-50", "conv5_x", "7x7", "[1x1, 512 (stride 2 in the first block); 3x3, 512; 1x1, 2048]", "3"),
        ("resnet-50", "pool, fc", "1x1", "global average pool, 1000-way fc", "1"),
    ]
    assert (
        "resnet-50 v1.5",
        "conv3_x",
        "28x28",
        "[1x1, 128; 3x3, 128 (stride 2 in the first block); 1x1, 512]",
        "4",
    ) in layout
    assert [r[4] for r in layout if r[0] == "resnet-34"] == ["1", "3", "4", "6", "3", "1"]
    assert ("resnet-110", "stage 3", "8x8", "[3x3, 64 (stride 2 in the first block); 3x3, 64]", "18") in layout
    assert "## Layer layout per stage" in (tmp_path / "table1/table.md").read_text()


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["run", "tabel6"], ["unknown target 'tabel6'", "Did you mean table6"]),
        (["run", "fig1", "--set", "recipe.lrr=1"], ["unknown --set key 'recipe.lrr'", "did you mean recipe.lr"]),
        (["run", "fig1", "--set", "recipe.lr=abc"], ["recipe.lr: expected a number, got 'abc'"]),
        (["run", "fig1", "--profile", "fastest"], ["unknown profile 'fastest'"]),
        (["run", "fig1", "--device", "tpu"], ["unknown device 'tpu'"]),
        (["show", "fig1", "--seeds", "x"], ["bad --seeds 'x'"]),
    ],
)
def test_bad_input_is_one_clear_line(args, fragments, tmp_path):
    assert_one_line_error(cli_in_process(*args, "--results", str(tmp_path)), *fragments)


def test_cuda_without_a_gpu_is_one_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert_one_line_error(
        cli_in_process("run", "fig1", "--device", "cuda", "--profile", "smoke", "--results", str(tmp_path)),
        "asks for a GPU",
        "--device cpu",
    )


def test_malformed_user_yaml_is_one_line_with_file_and_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("engine: cifar\nruns: [resnet20\n")
    assert_one_line_error(cli_in_process("run", str(path)), "mine.yaml:", "malformed YAML")


def test_unknown_model_in_user_yaml_is_one_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("engine: cifar\nrecipe: cifar\nruns: [resnet21]\n")
    assert_one_line_error(cli_in_process("show", str(path)), "unknown model 'resnet21'")


def test_debug_shows_the_traceback(tmp_path):
    result = cli("run", "tabel6", "--debug")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_show_prints_runs_and_resolved_recipe():
    result = cli_in_process("show", "table6", check=True)
    assert "cifar10/resnet-110-A/paper/seed4" in result.stdout and "lr_steps" in result.stdout
    assert "warm-up" in result.stdout


def test_list_shows_every_target(tmp_path):
    result = cli_in_process("list", "--results", str(tmp_path), check=True)
    for name in ("table1", "fig1", "fig6", "table6", "fig7", "gradflow", "table2", "table3", "fig4"):
        assert name in result.stdout


def test_list_estimates_a_target_from_bench_before_any_run(tmp_path):
    """fig1's paper profile: 64k iterations of 128 images for plain-20 (1000 img/s) and plain-56 (500 img/s), and a
    pass over the 10,000 test images every 1000 iterations (64 of them, a test image a third of a training one)."""
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench/bench.csv").write_text(
        "model,precision,batch_size,train_images_per_s\nplain20,fp32,128,1000\nplain56,fp32,128,500\n"
        "plain56,bf16,128,900\nresnet50,fp32,128,99999\n"
    )
    result = cli_in_process("list", "--results", str(tmp_path), check=True)
    fig1 = next(line for line in result.stdout.splitlines() if "fig1" in line)
    assert "paper 0/2, 7.0 h left" in fig1  # (8192 + 213 + 16384 + 427) s
    table3 = next(line for line in result.stdout.splitlines() if "table3" in line)
    assert "time left unknown" in table3  # bench measures 32x32 images: no ImageNet estimate from it
    fig6 = result.stdout[result.stdout.index("fig6") : result.stdout.index("fig7")]
    fig6 = " ".join(fig6.replace("│", " ").split())  # the cell wraps over several lines of the table
    assert "time left unknown (no img/s measured here for plain32," in fig6
    assert "`resnet-repro bench --model plain32 --model plain44" in fig6  # the nets bench has not measured yet


def _list_into_a_pipe(results, stdin, command=("list",)):
    """`resnet-repro list` (or `command`) in its own process, stdout a pipe and COLUMNS unset, reading `stdin` (a
    terminal or none)."""
    import os
    import subprocess
    import sys

    from .conftest import REPO

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    command = [sys.executable, "-m", "resnet_repro", *command, "--results", str(results)]
    return subprocess.run(
        command, stdin=stdin, capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=True
    )


def test_tables_piped_to_a_file_are_not_cut_at_80_columns(tmp_path):
    import subprocess

    result = _list_into_a_pipe(
        tmp_path, subprocess.DEVNULL
    )  # no terminal at all, whichever the tests were started from
    assert "runs done (per profile), training time left on this machine" in result.stdout
    assert "…" not in result.stdout


def test_list_piped_on_an_80_column_terminal_fits_it_and_still_names_every_engine(tmp_path):
    """`resnet-repro list | less` on an 80-column terminal printed lines 160 columns wide, each wrapping in two."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    from resnet_repro.specs.experiments import load_target, target_names

    terminal, side = pty.openpty()
    fcntl.ioctl(side, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))  # 40 rows, 80 columns
    try:
        result = _list_into_a_pipe(tmp_path, side)  # the terminal the command was typed in; stdout is the pipe to less
        # any other command's output piped from that terminal is a log (`run ... | tee log`): its tables keep 160
        shown = _list_into_a_pipe(tmp_path, side, ("show", "fig6"))
    finally:
        os.close(side)
        os.close(terminal)
    assert max(len(line) for line in result.stdout.splitlines()) <= 80, result.stdout
    words = " ".join(result.stdout.replace("│", " ").split())
    assert "runs done (per" in result.stdout and "paper 0/10, time left unknown" in words  # fig6's cell
    for name in target_names():  # the engine column folded into the title's cell, not dropped
        assert f"(engine: {load_target(name).engine})" in words
    assert max(len(line) for line in shown.stdout.splitlines()) > 80, shown.stdout


@pytest.mark.parametrize("width", [80, 50])
def test_show_on_a_narrow_terminal_keeps_each_run_name_whole(width, monkeypatch):
    # at 80 columns show cut the longer names ("cifar10/resnet-1202-A/paper/…"); where the status and what differs
    # have too little room beside the names, what differs joins the status's cell
    from resnet_repro.cli.common import console

    monkeypatch.setattr(console, "width", width)
    shown = cli_in_process("show", "fig6", "--profile", "paper", check=True).stdout.split("resolved config")[0]
    rows: list[list[str]] = []  # each run's cells, its lines joined
    for line in shown.splitlines():
        if line.startswith("│ "):
            cells = [cell.strip() for cell in line.split("│")[1:-1]]
            if cells[0]:
                rows.append(cells)
            else:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
    assert [row[0] for row in rows] == [
        f"cifar10/{net}/paper/seed0"
        for net in ("plain-20", "plain-32", "plain-44", "plain-56")
        + tuple(f"resnet-{depth}-A" for depth in (20, 32, 44, 56, 110, 1202))
    ]
    assert max(len(line) for line in shown.splitlines() if line.startswith(("│", "┃"))) <= width
    cells = " ".join(next(row for row in rows if "resnet-110-" in row[0])[1:])
    header = " ".join(line for line in shown.splitlines() if line.startswith("┃"))
    assert ("differs" in header) == (width == 80), shown  # a column of its own where there is room for it
    assert "warm-up: lr 0.01" in cells and ("differs from the first run" in cells) == (width == 50), cells


def test_help_on_every_command(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # the width `cli` gives its process
    for command in ("list", "show", "run", "plot", "report"):
        assert "Usage" in cli_in_process(command, "--help", check=True).stdout
    run_help = cli_in_process("run", "--help", check=True).stdout
    assert "<bool>" not in run_help and "--set KEY=VALUE" in run_help  # flags take no value
    assert "[default: 1, or one per GPU of --devices]" in " ".join(run_help.split())  # not eaten as markup
    precision = " ".join(run_help.split()).split("--precision")[1].split(" --")[0]
    assert all(mode in precision for mode in ("fp32 (IEEE", "tf32 (", "bf16 (")), precision


def test_show_prints_the_paper_numbers_as_a_table_and_the_data_used():
    shown = cli_in_process("show", "table6", "--profile", "cpu", check=True).stdout
    assert shown.startswith(
        "table6: Table 6: classification error on the Fashion-MNIST (a proxy for CIFAR-10) test set"
    )
    assert "data: Fashion-MNIST, a proxy for CIFAR-10: the claims (orderings) are checked, never the numbers" in shown
    assert "│ resnet110  │ 6.43 (mean 6.61 ± 0.16) │  1.70M │" in shown
    assert (
        "demonstrate accuracy gains when the depth increases (test error: ResNet-56 < ResNet-20; not trained by this "
        "profile: ResNet-32, ResNet-44, ResNet-110) [Sec. 4.2, Table 6]" in " ".join(shown.split())
    )
    paper = cli_in_process("show", "TABLE6", check=True).stdout  # target names ignore case
    assert paper.startswith("table6: Table 6: classification error on the CIFAR-10 test set")
    assert "warm-up: lr 0.01 until training error < 80%" in paper and "Warmup(" not in paper


def test_show_prints_a_target_files_path_and_title_as_written(tmp_path):
    """A target file in a folder named [x] was shown as ".../my.yaml", the [x] read as markup and dropped; a title's
    [red] likewise."""
    folder = tmp_path / "[x]"
    folder.mkdir()
    text = (Path(__file__).parents[1] / "experiments/fig1.yaml").read_text()
    (folder / "my.yaml").write_text(re.sub(r"(?m)^title: .*$", 'title: "Mine [red]x[/red] of [1]"', text))
    shown = cli("show", str(folder / "my.yaml"), "--results", str(tmp_path / "results"), env={"COLUMNS": "1000"})
    assert shown.returncode == 0, shown.stderr  # (a console wide enough that no line wraps, whatever the tmp path)
    lines = shown.stdout.splitlines()
    assert lines[0] == "my: Mine [red]x[/red] of [1]"
    assert lines[1] == f"engine: cifar (CIFAR-10 training); file: {folder}/my.yaml"


def test_plot_and_report_import_no_torch():
    import subprocess
    import sys

    code = (
        "import sys; import resnet_repro.cli.plot, resnet_repro.cli.report, resnet_repro.plots.curves, resnet_repro.engines, "
        "resnet_repro.engines.curves_tables, resnet_repro.engines.outputs, resnet_repro.engines.layer_responses.outputs, "
        "resnet_repro.report, resnet_repro.report.console, resnet_repro.claims, resnet_repro.readback.measured, resnet_repro.engines.layer_responses.engine, "
        "resnet_repro.engines.gradflow.outputs; print('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_plot_all_on_an_empty_results_folder_writes_nothing(tmp_path):
    result = cli_in_process("plot", "all", "--results", str(tmp_path), check=True)
    assert "nothing to draw" in result.stdout and not any(tmp_path.iterdir())


def test_plot_all_of_one_profile_passes_by_the_targets_without_profiles(tmp_path):
    # it stopped at gradflow ("gradflow has no profiles: leave --profile out"), so `plot all --profile P` never drew
    (tmp_path / "runs").mkdir()
    result = cli_in_process("plot", "all", "--profile", "smoke", "--results", str(tmp_path))
    assert result.returncode == 0 and "nothing to draw" in result.stdout, result.stderr
    assert cli_in_process("plot", "gradflow", "--profile", "smoke", "--results", str(tmp_path)).returncode == 2


def measured_results(results):
    """A results folder with a run begun and fig7's and gradflow's measurements, drawn by `plot all` alone."""
    (results / "runs" / "cifar10" / "plain-20" / "smoke" / "seed0").mkdir(parents=True)
    for folder in ("fig7/smoke", "gradflow"):
        (results / folder).mkdir(parents=True)
    (results / "fig7/smoke/responses.csv").write_text("model,seed,layer,stage,std,profile\nplain-20,0,1,1,1.5,smoke\n")
    (results / "gradflow/gradflow.csv").write_text(
        "family,net,residual,layer,grad_norm,grad_norm_std\nconv,plain-20,False,1,2.0,0.1\nconv,plain-20,False,2,1.0,0.1\n"
    )
    return results


@pytest.mark.parametrize(
    "damaged,drawn,said",
    [
        ("fig7/smoke/responses.csv", "gradflow/gradflow.png", "skipped fig7 smoke: {path} has std = 'abc' on line 3"),
        ("gradflow/gradflow.csv", "table6/smoke/table.csv", "skipped gradflow: {path} has no header row naming"),
    ],
)
def test_plot_all_names_a_damaged_measured_csv_draws_the_other_targets_and_exits_2(tmp_path, damaged, drawn, said):
    # it stopped at the damaged target with its one line (exit 2), and the targets after it were never drawn
    results = measured_results(tmp_path / "results")
    path = results / damaged
    path.write_text("" if damaged.startswith("gradflow") else path.read_text() + "plain-20,0,2,1,abc,smoke\n")
    result = cli_in_process("plot", "all", "--results", str(results))
    assert_one_line_error(result, "could not draw ", "the other targets are drawn")
    assert result.returncode == 2
    assert said.format(path=path) in result.stdout and "measures it again" in result.stdout
    assert (results / drawn).exists()


def test_plot_all_passes_by_a_target_whose_output_a_folder_or_file_stands_in_the_way_of(tmp_path):
    # a folder at fig1.png stopped plot all there with its one line, and fig6, fig7, gradflow, table6 were never drawn
    results = measured_results(tmp_path / "results")
    (results / "fig1/smoke/fig1.png").mkdir(parents=True)
    (results / "fig6").mkdir()
    (results / "fig6/smoke").write_text("a file where fig6's folder belongs\n")
    result = cli_in_process("plot", "all", "--results", str(results))
    assert_one_line_error(result, "could not draw fig1 smoke, fig6 smoke (said above, with how to fix it)")
    assert result.returncode == 2
    assert (
        f"skipped fig1 smoke: cannot write {results}/fig1/smoke/fig1.png: a folder stands where a file must be; move "
        "the folder away" in result.stdout
    )
    assert (
        f"skipped fig6 smoke: cannot write {results}/fig6/smoke: a file stands where a folder must be" in result.stdout
    )
    for drawn in ("fig7/smoke/fig7.png", "gradflow/gradflow.png", "table6/smoke/table.csv"):
        assert (results / drawn).exists(), drawn
    assert (results / "fig1/smoke/fig1.png").is_dir() and (results / "fig6/smoke").is_file()
    single = cli_in_process("plot", "fig6", "--results", str(results))  # it said "File exists. Fix its permissions"
    assert_one_line_error(single, f"cannot access {results}/fig6/smoke: a file stands where a folder must be")


@pytest.mark.parametrize("code", ["ENOSPC", "EROFS"])
def test_plot_all_stops_at_once_on_a_full_disk_or_a_read_only_results_folder(tmp_path, monkeypatch, code):
    # every target would fail alike: one line at the first, never a skipped line per target
    import errno
    import os

    results = measured_results(tmp_path / "results")
    cli_in_process("plot", "all", "--results", str(results))  # README.md written
    replace = os.replace
    number = getattr(errno, code)

    def full(source, destination):
        if os.path.basename(destination) == "README.md":
            return replace(source, destination)
        raise OSError(number, os.strerror(number), destination)

    monkeypatch.setattr(os, "replace", full)
    result = cli_in_process("plot", "all", "--results", str(results))
    assert_one_line_error(result, f": {os.strerror(number)}. Fix its permissions or free space")
    assert "skipped" not in result.stdout and "could not draw" not in result.stderr


def test_plot_of_a_profile_no_recipe_offers_says_so(tmp_path):
    # it said "fig1 has no nope results ... (`resnet-repro run fig1 --profile nope` trains them)", a command that fails
    (tmp_path / "runs").mkdir()
    result = cli_in_process("plot", "fig1", "--profile", "nope", "--results", str(tmp_path))
    assert_one_line_error(result, "unknown profile 'nope': fig1 offers paper, quick, cpu")


def test_plot_all_that_finds_nothing_says_what_it_was_asked_for(tmp_path):
    # with fig1's smoke runs there, it said "nothing to draw: no target has results under ...", as of an empty folder
    (tmp_path / "runs/cifar10/plain-20/smoke/seed0").mkdir(parents=True)
    for asked, said in [
        (["--profile", "quick"], "no target has quick results under"),
        (["--set", "recipe.lr=0.07"], "no target has runs with --set recipe.lr=0.07 under"),
        (["--profile", "smoke", "--set", "recipe.lr=0.07"], "no target has runs of profile smoke with --set recipe"),
    ]:
        result = cli_in_process("plot", "all", *asked, "--results", str(tmp_path))
        assert result.returncode == 0 and f"nothing to draw: {said}" in result.stdout, result.stdout + result.stderr


def test_plot_names_the_files_it_wrote_as_they_are_in_a_folder_with_brackets(tmp_path):
    # a results folder named results[old] read as rich markup: it said "wrote .../results/fig1/smoke/fig1.png"
    results = tmp_path / "results[old]"
    (results / "runs/cifar10/plain-20/smoke/seed0").mkdir(parents=True)
    result = cli_in_process("plot", "fig1", "--results", str(results))
    assert result.returncode == 0, result.stderr
    assert f"wrote {results}/fig1/smoke/fig1.png\n" in result.stdout
    nothing = cli_in_process("plot", "all", "--profile", "quick", "--results", str(results))
    assert f"nothing to draw: no target has quick results under {results}/\n" in nothing.stdout


def test_run_names_the_files_it_wrote_as_they_are_in_a_folder_with_brackets(monkeypatch, capsys):
    # `run fig1 --results 'run[old]'` said "wrote .../run/fig1/smoke/fig1.png" and "report: .../run/REPORT.html"
    from types import SimpleNamespace

    from resnet_repro.cli.common import console
    from resnet_repro.cli.run import _summary, show_outcome
    from resnet_repro.engines.base import Outcome

    monkeypatch.setattr(console, "width", 400)
    results = Path("/tmp/run[old]")
    failed = SimpleNamespace(name="cifar10/plain-20/smoke/seed0", status="failed", final={"reason": f"{results}: gone"})
    show_outcome(Outcome([results / "fig1/smoke/fig1.png"], [failed]))
    _summary([], results / "REPORT.html")
    assert capsys.readouterr().out.splitlines() == [
        f"  cifar10/plain-20/smoke/seed0: FAILED, {results}: gone",
        f"wrote {results}/fig1/smoke/fig1.png",
        "",
        f"report: {results}/REPORT.html (and REPORT.md beside it)",
    ]


def test_list_and_show_print_a_profile_named_with_brackets_as_written(tmp_path, monkeypatch):
    # a recipe's profile smoke[x] was read as rich's markup: list said "smoke 0/7", show "cifar10/plain-20/smoke/seed0"
    # and "over the nets the smoke profile trains"; a target file's context "Maxout [x]" was shown as "Maxout "
    from resnet_repro.cli.common import console

    experiments = Path(__file__).resolve().parent.parent / "experiments"
    (tmp_path / "_recipes").mkdir()
    recipe = (experiments / "_recipes/cifar.yaml").read_text()
    (tmp_path / "_recipes/cifar.yaml").write_text(recipe.replace("\n  smoke:\n", "\n  smoke[x]:\n"))
    target = (experiments / "table6.yaml").read_text().replace("\n  smoke:", "\n  smoke[x]:")
    (tmp_path / "table6.yaml").write_text(target.replace("model: Maxout,", 'model: "Maxout [x]",'))
    monkeypatch.setenv("RESNET_REPRO_EXPERIMENTS", str(tmp_path))
    (tmp_path / "results/runs/cifar10/plain-20/smoke[x]/seed0").mkdir(parents=True)
    (tmp_path / "results/runs/cifar10/plain-20/smoke[x]/seed0/metrics.csv").touch()  # begun: list names the profile
    monkeypatch.setattr(console, "width", 400)
    results = ("--results", str(tmp_path / "results"))
    listed = re.sub(r"[│\s]+", " ", cli_in_process("list", *results, check=True).stdout)  # a cell's lines joined
    assert " smoke[x] 0/7 (1 unfinished)" in listed
    shown = cli_in_process("show", "table6", "--profile", "smoke[x]", *results, check=True).stdout
    assert "│ cifar10/plain-20/smoke[x]/seed0 " in shown and "context only): Maxout [x] 9.38;" in shown
    assert "claims checked (lowest first), over the nets the smoke[x] profile trains:" in shown


def test_plot_all_of_a_profile_no_recipe_offers_says_so(tmp_path):
    # it said "nothing to draw" and exited 0, the typo unseen
    (tmp_path / "runs").mkdir()
    result = cli_in_process("plot", "all", "--profile", "cpuu", "--results", str(tmp_path))
    assert_one_line_error(result, "unknown profile 'cpuu': the targets offer paper, quick, cpu", "did you mean cpu?")


def test_plot_of_a_set_variant_never_trained_draws_no_empty_figure(tmp_path):
    # it wrote fig6/smoke~<tag>/ with a table of missing runs and an empty figure, and exited 0
    (tmp_path / "runs").mkdir()
    result = cli_in_process("plot", "fig6", "--profile", "smoke", "--set", "recipe.lr=0.05", "--results", str(tmp_path))
    assert_one_line_error(result, "fig6 has no runs of profile smoke with --set recipe.lr=0.05 under")
    assert not (tmp_path / "fig6").exists()


def test_plot_of_a_set_variant_never_trained_gives_a_command_a_shell_reads_back(tmp_path):
    # it said `resnet-repro run fig6 --set recipe.lr_steps=[100, 200]`: pasted, the shell split the value in two
    (tmp_path / "runs").mkdir()
    result = cli_in_process("plot", "fig6", "--set", "recipe.lr_steps=[100, 200]", "--results", str(tmp_path))
    assert_one_line_error(result, "(`resnet-repro run fig6 --set 'recipe.lr_steps=[100, 200]'` trains them)")


@pytest.mark.parametrize("target", ["fig6", "all"])
def test_plot_refuses_a_set_run_refuses_on_an_empty_results_folder(tmp_path, target):
    # it said "nothing to draw ... (`resnet-repro run fig6 --set garbage` trains them)", a command that fails, or for
    # `all`, "nothing to draw" and exit 0: the --set was looked at only under the profiles with results
    (tmp_path / "runs").mkdir()
    for given, said in [
        ("garbage", "bad --set 'garbage': write it as KEY=VALUE, e.g. --set recipe.lr=0.05"),
        ("recipe.lrr=0.05", "unknown --set key 'recipe.lrr'; did you mean recipe.lr?"),
    ]:
        assert_one_line_error(cli_in_process("plot", target, "--set", given, "--results", str(tmp_path)), said)
        assert_one_line_error(cli_in_process("run", "fig6", "--set", given, "--results", str(tmp_path)), said)


def test_plot_of_a_set_finds_the_variant_of_a_profile_with_no_runs_without_it(tmp_path):
    # `run fig1 --profile smoke --set recipe.lr=0.05` alone: `plot fig1` drew its variant, `plot fig1 --set
    # recipe.lr=0.05` said "nothing to draw" (only the profiles with runs of their own were looked in)
    from resnet_repro.specs.experiments import load_target, resolve_runs

    run_id = resolve_runs(load_target("fig1"), "smoke", None, ["recipe.lr=0.05"])[0].run_id
    (tmp_path / "runs" / run_id.path).mkdir(parents=True)
    result = cli_in_process("plot", "fig1", "--set", "recipe.lr=0.05", "--results", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path}/fig1/{run_id.profile_folder}/fig1.png" in result.stdout


def test_plot_all_with_a_set_draws_where_it_applies_and_names_the_targets_it_does_not(tmp_path):
    # it stopped at fig4 with imagenet.yaml's line (fashion-mnist is no ImageNet data), at gradflow ("trains nothing"),
    # or at fig1 with --profile paper-steps (ImageNet's alone), and drew none of the variants the --set applies to
    from resnet_repro.specs.experiments import load_target, resolve_runs

    results = measured_results(tmp_path / "results")  # gradflow's measurements among them
    (results / "runs/imagenet/plain-18/smoke/seed0").mkdir(parents=True)
    given = "data.dataset=fashion-mnist"
    variant = resolve_runs(load_target("fig1"), "smoke", None, [given])[0].run_id  # plain-20's, fig7 not measured
    (results / "runs" / variant.path).mkdir(parents=True)
    tag = variant.profile_folder
    result = cli_in_process("plot", "all", "--set", given, "--results", str(results))
    assert result.returncode == 0, result.stderr
    (skipped,) = [line for line in result.stdout.splitlines() if line.startswith("skipped what the --set")]
    assert skipped.startswith("skipped what the --set does not apply to: fig4, table2")
    assert skipped.endswith(
        "imagenet.yaml:15: data.mean: only per-pixel (the paper's mean image) is built for fashion-mnist)"
    )
    assert f"wrote {results}/fig1/{tag}/fig1.png" in result.stdout and "gradflow" not in result.stdout
    # fig7's variant, not measured yet, is named as `plot all` names it, not an error (it exited 2)
    assert f"skipped fig7 {tag}: {results}/fig7/{tag}/responses.csv does not exist yet" in result.stdout
    paper_steps = cli_in_process(
        "plot", "all", "--profile", "paper-steps", "--set", "recipe.lr=0.05", "--results", str(results)
    )
    assert paper_steps.returncode == 0 and "nothing to draw" in paper_steps.stdout, paper_steps.stderr
    # one target the --set does not apply to: that refusal
    assert_one_line_error(
        cli_in_process("plot", "fig4", "--set", given, "--results", str(results)), "imagenet.yaml:15: data.mean"
    )


def test_ctrl_c_outside_a_run_says_interrupted_and_exits_130(monkeypatch, capsys, tmp_path):
    from resnet_repro.cli import app, catalog

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "load_target", interrupted)  # list_command is already registered; patch what it calls
    monkeypatch.setattr("sys.argv", ["resnet-repro", "list", "--results", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_:
        app.main()
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == "interrupted"


def test_the_command_list_shows_each_summary_whole():
    result = cli("--help", env={"COLUMNS": "80"})
    assert result.returncode == 0
    commands = result.stdout.split("Commands:", 1)[1]
    for name in ("list", "show", "run", "plot", "report", "bench", "eval", "schema"):
        assert f"  {name} " in commands
    assert "..." not in commands  # click cuts a long docstring to 45 characters and "..."


def test_show_lists_each_claim_over_the_nets_the_profile_trains(tmp_path):
    result = cli_in_process("show", "fig6", "--profile", "cpu", "--only", "resnet-20", "--results", str(tmp_path))
    assert result.returncode == 0
    claims = " ".join(result.stdout.split("claims checked", 1)[1].split())  # unwrapped
    assert "over the nets the cpu profile trains" in claims
    # --only does not narrow claims
    assert "(training error: plain-20 < plain-56; not trained by this profile: plain-32, plain-44)" in claims
    assert "(training error: ResNet-56 < ResNet-20; not trained by this profile: ResNet-32, ResNet-44, ResNet-110)" in (
        claims
    )
    assert "not checked by this profile (it trains 0 of ResNet-110, ResNet-1202)" in claims
    paper = cli_in_process("show", "fig6", "--profile", "paper", "--results", str(tmp_path)).stdout
    assert "(training error: ResNet-110 < ResNet-56 < ResNet-44 < ResNet-32 < ResNet-20)" in " ".join(paper.split())


def test_report_and_plot_refuse_a_results_folder_that_does_not_exist(tmp_path):
    """A mistyped --results reads as an error, not as "nothing run yet"; report does not create the folder."""
    missing = tmp_path / "resluts"
    for args in (("report",), ("plot", "all"), ("plot", "fig6")):
        assert_one_line_error(
            cli_in_process(*args, "--results", str(missing)),
            f"no results folder at {missing}: pass the folder `resnet-repro run` wrote into",
        )
    assert not missing.exists()


def test_a_log_line_gives_the_test_error_only_at_the_iteration_it_was_measured(fig1_smoke_run):
    _, result = fig1_smoke_run  # smoke: a line every 3 iterations, the test set every 6
    lines = {}
    for line in result.stdout.splitlines():
        if line.startswith("plain-20 seed0 ") and "img/s" in line:
            lines[int(line.split()[2].split("/")[0])] = line
    assert sorted(lines) == [3, 6, 9, 12]
    for stale in (3, 9):  # nothing measured yet, then the test error of 6: the line before says it
        assert " test " not in lines[stale], lines[stale]
    for fresh in (6, 12):
        assert re.fullmatch(rf"plain-20 seed0 {fresh}/12: lr .* test \d+\.\d\d% \d+ img/s", lines[fresh]), lines[fresh]


def test_the_datas_warning_is_said_once_however_many_runs_read_it(fig1_smoke_run):
    """The suite's CIFAR-10 is generated: each of fig1's two runs said that its folder is not the official release."""
    _, result = fig1_smoke_run
    assert result.stdout.count("differs from the official CIFAR-10 release") == 1


def test_runs_verdicts_of_a_test_profile_say_they_test_the_tool(fig1_smoke_run):
    """`run fig1 --profile smoke` ended with "✅ holds" twice and nothing to say that 12 iterations on 256 images
    say nothing of the paper."""
    _, result = fig1_smoke_run
    lines = result.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if line.endswith("(fig1), profile smoke"))
    assert lines[title + 1] == "  smoke is a test profile: its verdicts test the tool, not the paper"
    assert lines[title + 2][2] in "✅❌🟡"  # then the verdicts, as measured
    from resnet_repro.report.console import console_summary
    from resnet_repro.specs.experiments import load_target

    variant = console_summary(load_target("fig1"), "smoke~3f2a1c", fig1_smoke_run[0])  # run with --set overrides
    assert variant[1] == "  smoke is a test profile: its verdicts test the tool, not the paper"


def test_a_test_error_of_unknown_age_says_so():
    from resnet_repro.cli.progress import shown_test_error

    assert shown_test_error(400, 12.5, 400.0) == " test 12.50%"
    assert shown_test_error(450, 12.5, 400.0) == " test 12.50% (at 400)"
    assert shown_test_error(450, 12.5, None) == " test 12.50% (earlier)"  # a run resumed from an older checkpoint
    assert shown_test_error(450, None, None) == ""


def test_after_the_last_iteration_the_output_says_what_still_runs(fig1_smoke_run):
    _, result = fig1_smoke_run
    lines = result.stdout.splitlines()
    said = lines.index("fig1: every run is trained; writing its outputs and the report")
    last_progress = max(i for i, line in enumerate(lines) if "img/s" in line)
    assert last_progress < said < next(i for i, line in enumerate(lines) if line.startswith("report: "))


def test_plot_draws_a_measured_variant_and_names_the_profile_whose_nets_wait_to_be_measured(
    fig6_smoke, cifar_dir, tmp_path
):
    from .conftest import copy_results, smoke_run_args

    results = copy_results(fig6_smoke, tmp_path / "results")  # fig6 trained fig7's nets; fig7 measured none
    variant = smoke_run_args("fig7", cifar_dir, results, "--only", "plain-20", "--set", "recipe.lr=0.05")
    assert cli(*variant).returncode == 0
    for profile in ([], ["--profile", "smoke"]):
        drawn = cli_in_process("plot", "fig7", *profile, "--results", str(results))
        assert drawn.returncode == 0, drawn.stderr
        assert "/fig7/smoke~" in drawn.stdout and "fig7.png" in drawn.stdout
        said = " ".join(drawn.stdout.split())
        assert (
            "skipped fig7 smoke: its nets are trained but not measured yet; `resnet-repro run fig7 --profile smoke`"
            in said
        )


def test_a_target_that_measures_after_training_says_so():
    from resnet_repro.engines import get_engine
    from resnet_repro.engines.base import after_training
    from resnet_repro.specs.experiments import load_target

    said = after_training(get_engine("layer_responses"), load_target("fig7"))
    assert said == "fig7: every run is trained; measuring the trained nets, then writing its outputs and the report"
    assert after_training(get_engine("cifar"), load_target("fig6"), report=False) == (
        "fig6: every run is trained; writing its outputs"  # a --set run's own table and figure: no report to promise
    )


def test_plot_all_redraws_the_set_variants_too_with_the_overrides_their_runs_kept(cifar_dir, tmp_path):
    from .conftest import smoke_run_args

    results = tmp_path / "results"
    # plain-20 alone: a variant of one run redraws as one of two does (plain-56 would triple the training)
    trained = cli(*smoke_run_args("fig1", cifar_dir, results, "--only", "plain-20", "--set", "recipe.lr=0.05"))
    assert trained.returncode == 0, trained.stderr
    (variant,) = [p for p in (results / "fig1").iterdir() if p.name.startswith("smoke~")]
    shutil.rmtree(variant)
    redrawn = cli_in_process("plot", "all", "--results", str(results))
    assert redrawn.returncode == 0, redrawn.stderr
    assert (variant / "fig1.png").exists() and (variant / "table.csv").exists()
    assert f"skipped fig7 {variant.name}: " in redrawn.stdout  # measured targets are named, not drawn empty
    # with the command that measures it: the runs' profile and overrides, never the variant's folder name; it trains
    # the variant's nets first (only plain-20 is), not only measures them
    said = " ".join(redrawn.stdout.split())  # the console wraps long lines
    assert "`resnet-repro run fig7 --profile smoke --set recipe.lr=0.05` trains and measures them" in said


def test_between_log_points_the_bar_moves_and_the_numbers_stay_the_log_points(monkeypatch, tmp_path):
    """A deep net on a busy CPU logs a minute apart: the loop moves the bar in between (every second; here every
    step), the board's count follows, and its numbers and a log's lines change only at log points."""
    import io

    import numpy as np
    import torch
    from rich.console import Console

    from resnet_repro.cli import progress
    from resnet_repro.data.sources import ImageSet, Splits
    from resnet_repro.specs.experiments import load_target, resolve_runs
    from resnet_repro.store.layout import RunFiles
    from resnet_repro.train.loop import Progress, RunInputs, RunSession, run_hooks

    class Recorder(progress.RichReporter):  # the real board, with every call noted
        def __init__(self):
            super().__init__()
            self.interactive, self.calls = True, []
            self.shown = ""  # the numbers on the board after the last log point

        def update(self, iteration, stats):
            self.calls.append(("update", iteration))
            super().update(iteration, stats)
            self.shown = self.progress.tasks[0].fields["stats"]

        def advance(self, iteration):
            self.calls.append(("advance", iteration))
            super().advance(iteration)
            task = self.progress.tasks[0]
            assert task.completed == iteration and task.fields["stats"] == self.shown

    monkeypatch.setattr(progress, "console", Console(width=120, force_terminal=True, file=io.StringIO()))
    (config,) = resolve_runs(load_target("fig6"), "smoke", seeds=[0], only="plain-20")  # 12 iterations, log every 3
    generator = np.random.default_rng(0)
    images = ImageSet(
        generator.integers(0, 256, (64, 3, 32, 32), dtype=np.uint8), generator.integers(0, 10, 64).astype(np.int64)
    )
    splits = Splits(images, ImageSet(images.images[:32], images.labels[:32]), None, {})
    reporter = Recorder()
    hooks = run_hooks(reporter)
    next(hook for hook in hooks if isinstance(hook, Progress)).every_s = 0.0
    session = RunSession(
        RunInputs(config, splits, RunFiles(tmp_path, config.name), torch.device("cpu"), reporter), hooks
    )
    while session.outcome is None:
        session.step()
        session.after_step()
    assert reporter.calls == [(kind, i) for i in range(1, 13) for kind in ["update" if i % 3 == 0 else "advance"]]
    log = io.StringIO()  # off a terminal: a line per log point, none in between
    monkeypatch.setattr(progress, "console", Console(width=120, file=log))
    plain = progress.RichReporter()
    plain.start_run(config.name, 12, 0)
    plain.advance_run(config.name, 1)
    assert log.getvalue() == f"training {config.name} from iteration 0 of 12\n"


def test_between_log_points_the_bar_moves_at_most_once_a_second(monkeypatch):
    from types import SimpleNamespace

    from resnet_repro.train import loop
    from resnet_repro.train.context import Reporter

    moves = []

    class Recorder(Reporter):
        def advance(self, iteration):
            moves.append(iteration)

    now = [0.0]
    monkeypatch.setattr(loop.time, "monotonic", lambda: now[0])
    state = SimpleNamespace(iteration=0)
    session = SimpleNamespace(
        recipe=SimpleNamespace(iterations=40, log_every=10),
        state=state,
        loop=SimpleNamespace(config=SimpleNamespace(name="run")),
        due=lambda every: state.iteration % every == 0,
    )
    hook = loop.Progress(Recorder(), every_s=1.0)
    hook.on_start(session)
    for iteration in range(1, 41):  # 0.3 s a step
        now[0] += 0.3
        state.iteration = iteration
        hook.on_step(session)
    # at 1.2 s (step 4), then a second after each move; never at a log point (step 20 has its own update)
    assert moves == [4, 8, 12, 16, 21, 25, 29, 33, 37]


def render(renderables, width: int = 80) -> list[str]:
    """What the board shows on a terminal `width` columns wide, a line each."""
    import io

    from rich.console import Console, Group

    page = Console(width=width, force_terminal=True, file=io.StringIO(), record=True)
    page.print(Group(*renderables))
    return [line.rstrip() for line in page.export_text().splitlines()]


def test_eighteen_packed_runs_take_a_line_each_and_the_target_clock_one_more(monkeypatch):
    """A pack of 18 (the gpu profile's fig6) on an 80-column terminal: 19 lines, each run's net, seed and bar on its
    own, the whole target's time left once; a run that ends leaves the board to the runs still training."""
    import io

    from rich.console import Console

    from resnet_repro.cli import progress

    monkeypatch.setattr(progress, "console", Console(width=80, force_terminal=True, file=io.StringIO()))

    class Clock:
        def line(self, iteration, rate, run):
            return "run 1 of 18, fig6 about 9 min left"

    reporter = progress.RichReporter()
    reporter.follow_target(Clock())
    nets = [f"resnet-{depth}-A" for depth in (20, 32, 44, 56, 110)] + [f"plain-{depth}" for depth in (20, 32, 44, 56)]
    names = [f"fashion-mnist/{net}/gpu/seed{seed}" for net in nets for seed in (0, 1)]
    stats = {"lr": 0.1, "loss": 0.5, "error": 9.0, "images_per_s": 2878.0, "test_error": None}
    for name in names:
        reporter.lane(name).start(name, 12000, 0)
        reporter.lane(name).update(600, stats)
    lines = render(reporter.progress.get_renderables())
    assert len(lines) == 19 and lines[-1].strip() == "(run 1 of 18, fig6 about 9 min left)"
    for net, seed, line in zip([n for n in nets for _ in (0, 1)], [0, 1] * 9, lines):
        assert line.startswith(f"{net} seed{seed}") and "━" in line and "600/12000" in line and "err 9.0%" in line
    reporter.lane(names[0]).finish()
    assert len(render(reporter.progress.get_renderables())) == 18  # 17 runs left, and the clock
    for name in names[1:]:
        reporter.lane(name).finish()
    assert reporter.progress is None


def test_a_printed_table_wraps_its_long_column_names_instead_of_cutting_them(monkeypatch):
    """bench's twelve columns in a pipe (160 columns): every name readable (spaced, so it wraps), a flag as yes/no."""
    import io

    from rich.console import Console

    from resnet_repro.cli import run

    page = Console(width=160, file=io.StringIO(), record=True)
    monkeypatch.setattr(run, "console", page)
    columns = ["model", "compiled", "train_images_per_s", "model_images_per_s", "eval_images_per_s", "peak_memory_mb"]
    columns += ["pipeline_overhead", "achieved_tflops", "cuda_graphs", "batch_size", "image_size", "precision"]
    row = dict.fromkeys(columns, 1.5) | {"model": "resnet20", "compiled": True, "cuda_graphs": "off"}
    run.print_rows("Training throughput (images/s)", [row], columns)
    text = page.export_text()
    assert "…" not in text and "yes" in text
    words = " ".join(text.replace("┃", " ").split())
    assert all(word in words for word in ("train", "images", "per", "pipeline", "overhead", "tflops"))


def test_show_lists_every_seed_trained_as_list_and_the_tables_count_them(fig1_smoke, tmp_path, monkeypatch):
    # after `run fig1 --seeds 0,1`, list and the table counted plain-20's seed 1, and `show fig1` listed seed 0 alone
    import json

    from resnet_repro.cli.common import console

    from .conftest import copy_results

    monkeypatch.setattr(console, "width", 200)  # show's table cells whole, whatever COLUMNS this worker started with
    results = copy_results(fig1_smoke, tmp_path / "results")
    seed1 = results / "runs" / "cifar10" / "plain-20" / "smoke" / "seed1"
    shutil.copytree(seed1.parent / "seed0", seed1)
    for record in ("final.json", "meta.json"):  # seed 1's own records, as training it writes them
        data = json.loads((seed1 / record).read_text())
        (seed1 / record).write_text(json.dumps({**data, "run": "cifar10/plain-20/smoke/seed1", "seed": 1}))
    config = (seed1 / "config.yaml").read_text()  # and its config, else show says run refuses the folder
    config = config.replace("name: cifar10/plain-20/smoke/seed0\n", "name: cifar10/plain-20/smoke/seed1\n")
    (seed1 / "config.yaml").write_text(config.replace("\nseed: 0\n", "\nseed: 1\n"))
    shown = cli_in_process("show", "fig1", "--profile", "smoke", "--results", str(results)).stdout
    listed = [line.split("│")[1].strip() for line in shown.splitlines() if "/smoke/seed" in line]
    assert listed == [f"cifar10/plain-{depth}/smoke/seed{seed}" for depth, seed in ((20, 0), (20, 1), (56, 0))]
    assert "3 runs" in shown and "│ cifar10/plain-20/smoke/seed1 │ finished" in shown, shown
    asked = cli_in_process("show", "fig1", "--profile", "smoke", "--seeds", "0,", "--results", str(results)).stdout
    assert "2 runs" in asked and "seed1" not in asked  # the seeds named, and no other


def test_an_empty_folder_of_a_further_seed_is_no_seed_trained(fig1_smoke, tmp_path, monkeypatch):
    # an empty seed1 folder (a copy cut short, `run --seeds 0,1` stopped before seed 1's first log row) held plain-20's
    # row at "partial (1/2)" and list at "smoke 2/3" for good, while `run fig1` ended as if all were trained
    from resnet_repro.cli.common import console
    from resnet_repro.readback.measured import measure
    from resnet_repro.specs.experiments import load_target

    from .conftest import copy_results

    monkeypatch.setattr(console, "width", 400)  # list's cells whole, whatever COLUMNS this worker started with
    results = copy_results(fig1_smoke, tmp_path / "results")
    net = results / "runs" / "cifar10" / "plain-20" / "smoke"
    (net / "seed1").mkdir()
    (net / "seed1" / ".lock").write_text("12345\n")  # a lock and nothing else: no run began
    (net / "seed2" / "final.json").mkdir(parents=True)  # nothing began either, but a folder where a record belongs
    measured = measure(load_target("fig1"), "smoke", results)
    assert [run.name for run in measured.runs] == [
        "cifar10/plain-20/smoke/seed0",
        "cifar10/plain-56/smoke/seed0",
        "cifar10/plain-20/smoke/seed2",  # damage is said, not hidden
    ]
    assert measured.damaged[0].startswith("run cifar10/plain-20/smoke/seed2: final.json is a folder")
    listed = " ".join(cli_in_process("list", "--results", str(results)).stdout.split())
    assert "smoke 2/3 (1 damaged)" in listed, listed


def test_plot_draws_every_seed_trained_as_the_report_does(fig1_smoke, tmp_path):
    # a second seed trained (`run fig1 --seeds 0,1`) was counted by run and report, and dropped again by `plot fig1`
    import json

    from .conftest import copy_results

    results = copy_results(fig1_smoke, tmp_path / "results")
    for net in ("plain-20", "plain-56"):
        seed0 = results / "runs" / "cifar10" / net / "smoke" / "seed0"
        seed1 = seed0.parent / "seed1"
        shutil.copytree(seed0, seed1)
        for record in ("final.json", "meta.json"):  # seed 1's own records, as training it writes them
            data = json.loads((seed1 / record).read_text())
            (seed1 / record).write_text(json.dumps({**data, "run": f"cifar10/{net}/smoke/seed1", "seed": 1}))
        config = (seed1 / "config.yaml").read_text()  # and its config, else the table says run refuses the folder
        config = config.replace(f"name: cifar10/{net}/smoke/seed0\n", f"name: cifar10/{net}/smoke/seed1\n")
        (seed1 / "config.yaml").write_text(config.replace("\nseed: 0\n", "\nseed: 1\n"))
    plotted = cli_in_process("plot", "fig1", "--results", str(results))
    assert plotted.returncode == 0, plotted.stderr
    with open(results / "fig1" / "smoke" / "table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert {model: (row["n_seeds"], row["status"]) for model, row in rows.items()} == {
        "plain-20": ("2", "finished"),
        "plain-56": ("2", "finished"),
    }


def test_show_and_list_count_a_net_trained_on_request_as_plot_tables_it(tmp_path, monkeypatch):
    # after `run fig6 --only plain-110`, plot tabled plain-110 while show listed 10 runs without it and list said 0/10
    import json

    from resnet_repro.cli.common import console

    monkeypatch.setattr(console, "width", 400)  # the cells whole, whatever COLUMNS this worker started with
    results = tmp_path / "results"
    folder = results / "runs/cifar10/plain-110/paper/seed0"
    folder.mkdir(parents=True)
    record = {"status": "finished", "iterations": 64000, "train_error": 62.0, "test_error": 63.0, "wall_s": 1.0}
    (folder / "final.json").write_text(json.dumps(record))
    shown = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert "11 runs" in shown and "│ cifar10/plain-110/paper/seed0     │ finished" in shown, shown
    picked = cli_in_process("show", "fig6", "--only", "plain-20", "--results", str(results), check=True).stdout
    assert "1 run" in picked and "plain-110/paper" not in picked  # the net --only names, and no other
    listed = cli_in_process("list", "--results", str(results), check=True).stdout
    assert "paper 1/11" in next(line for line in listed.splitlines() if line.startswith("│ fig6 ")), listed
    cli_in_process("plot", "fig6", "--results", str(results), check=True)
    assert "| plain-110 |  | 62.00 |" in (results / "fig6/table.md").read_text()


def test_show_says_the_papers_data_only_where_the_runs_trained_on_the_official_files(tmp_path):
    # show said "CIFAR-10 (the paper's data)" of runs whose meta.json records files that differ from the release
    import json

    results = tmp_path / "results"
    for net, official in (("plain-20", True), ("plain-32", False)):
        folder = results / f"runs/cifar10/{net}/paper/seed0"
        folder.mkdir(parents=True)
        (folder / "final.json").write_text(json.dumps({"status": "finished", "iterations": 64000, "wall_s": 1.0}))
        (folder / "meta.json").write_text(json.dumps({"data": {"dataset": "cifar10", "official_checksums": official}}))
    shown = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert (
        "data: CIFAR-10 (not the official files: 1 of 2 runs trained on files that differ from the official release, "
        "so not the paper's data)" in shown
    ), shown
    shutil.rmtree(results / "runs/cifar10/plain-32")
    official = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert "data: CIFAR-10 (the paper's data)\n" in official, official


def test_show_without_a_profile_names_the_profile_whose_runs_are_here(tmp_path):
    # after the main job (`run fig6 --profile cpu`), `show fig6` listed ten paper runs "not started", and no word of
    # the four cpu runs beside them
    results = tmp_path / "results"
    results.mkdir()
    shown = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert "runs are:" not in shown
    (results / "runs/fashion-mnist/plain-20/cpu/seed0").mkdir(parents=True)
    shown = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert "no run of the paper profile is here; cpu runs are: `resnet-repro show fig6 --profile cpu`\n" in shown
    cpu = cli_in_process("show", "fig6", "--profile", "cpu", "--results", str(results), check=True).stdout
    assert "runs are:" not in cpu


@pytest.mark.parametrize("overrides", ["5", "true", "recipe.lr=0.05"])
def test_a_variant_config_whose_overrides_are_no_list_is_no_variant_to_draw(overrides, tmp_path):
    # plot and plot all ended in a traceback (TypeError: 'int' object is not iterable) on `overrides: 5`
    from resnet_repro.specs.experiments import load_target
    from resnet_repro.store.variants import override_variants

    folder = tmp_path / "runs/cifar10/plain-20/smoke~abc123/seed0"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(f"profile: smoke\noverrides: {overrides}\n")
    assert override_variants(load_target("fig1"), tmp_path) == []


def test_show_says_a_claim_of_a_net_trained_on_request_is_trained_on_request_only_until_its_folder_is_there(
    tmp_path, monkeypatch
):
    # show said "trained on request, `run fig6 --only plain-110`" of fig6's plain-110 claim with its run on disk
    import json

    from resnet_repro.cli.common import console

    monkeypatch.setattr(console, "width", 400)
    results = tmp_path / "results"
    claim = (
        "the error of the 110-layer plain net is higher than 60% (and not displayed) (training error: plain-110 > 60)"
    )
    before = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert f"{claim}: trained on request, `resnet-repro run fig6 --only plain-110` [" in before, before
    folder = results / "runs/cifar10/plain-110/paper/seed0"
    folder.mkdir(parents=True)
    record = {"status": "finished", "iterations": 64000, "train_error": 62.0, "test_error": 63.0, "wall_s": 1.0}
    (folder / "final.json").write_text(json.dumps(record))
    after = cli_in_process("show", "fig6", "--results", str(results), check=True).stdout
    assert f"  - {claim} [Sec. 4.2, Fig. 6 (caption)]" in after and "trained on request" not in after, after
