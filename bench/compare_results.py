"""Whether two versions of the code give the same outputs, apart from times: the check that a change of the code's
layout changed no number, no table, no figure and no message.

    python bench/compare_results.py BEFORE AFTER [--only STEP,...] [--keep DIR] [--patch-after FILE]
    python bench/compare_results.py --folders RESULTS_A RESULTS_B

BEFORE and AFTER are git revisions of this repository or paths to checkouts. Each is exported into the same
folder in turn (`git archive`; a checkout's files are copied), so every path a run records is the same for both,
and the same commands run from it with this Python on the same generated data, one CPU thread: the smoke targets
(CIFAR and ImageNet), table1, gradflow, `list`, `show`, `plot all`, `report` and a set of bad inputs. The results
folders and each command's exit code, stdout and stderr are then compared file by file. `--folders` compares two
results folders made some other way.

What may differ is left out, and nothing else (two runs of one revision differ in exactly this): the timing
fields of JSON and CSV files (wall and elapsed seconds, images/s, start and end stamps) and meta.json's git
commit and command line; in text (the report, the command output) the training times, throughputs and
progress figures that `TIMED_TEXT` names. Checkpoints are compared tensor by tensor (read with weights_only).
Prints each file that differs with the first lines that differ, and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# --- what is compared -------------------------------------------------------------------------------------------

TIMES = re.compile(r"wall|elapsed|images_per_s|_at$|git_commit|^command$")
SKIPPED = {".lock", "checkpoints.sha256"}  # a lock's owner; the checkpoints' digests (their tensors are compared)
PARSED = {".json": json.loads, ".csv": lambda text: list(csv.DictReader(io.StringIO(text)))}
# Time-dependent phrases in text files and command output, each replaced by a placeholder before comparing.
UNIT = r"\d[\d,]*(\.\d+)? ?(s|min|h)"
TIMED_TEXT = [
    (re.compile(r"\d[\d,]*(\.\d+)? ?img/s"), "<N> img/s"),  # a progress line's throughput
    # its estimate of the time left, and `list`'s, with the padding of the table cell that holds it
    (re.compile(rf"{UNIT} left *"), "<T> left "),
    (re.compile(rf"{UNIT} of training"), "<T> of training"),  # the report's compute time
]
# A log's line of the target's time left ("resnet-56-A seed0: run 2 of 3, fig6 about 2 min left") is printed only
# when its words change, so whether one stands at a log point depends on the machine's speed: two runs of one
# revision differ in these lines alone. They are left out whole (their lines move the others' order too).
TIME_LEFT_LINE = re.compile(r"^.*: run \d+ of \d+, .* about <T> left *\n?", re.MULTILINE)


def same_file(a: Path, b: Path, folders: list[tuple[str, str]]) -> bool:
    raw_a, raw_b = a.read_bytes(), b.read_bytes()
    if raw_a == raw_b:
        return True
    if a.suffix == ".pt":
        return _same_checkpoint(a, b)
    text_a, text_b = raw_a.decode(errors="replace"), raw_b.decode(errors="replace")
    for after, before in folders:  # the results folders, then the folders holding them (the data sits beside)
        text_b = text_b.replace(after, before)
    parse = PARSED.get(a.suffix)
    if parse is None:
        return untimed_text(text_a) == untimed_text(text_b)
    try:
        return _untimed(parse(text_a)) == _untimed(parse(text_b))
    except ValueError:  # a file cut short differs, said as such
        return False


def untimed_text(text: str) -> str:
    for pattern, placeholder in TIMED_TEXT:
        text = pattern.sub(placeholder, text)
    return TIME_LEFT_LINE.sub("", text)


def _untimed(value):
    if isinstance(value, dict):
        return {key: _untimed(v) for key, v in value.items() if not TIMES.search(str(key))}
    if isinstance(value, (list, tuple)):
        return [_untimed(v) for v in value]
    return value


def _same_checkpoint(a: Path, b: Path) -> bool:
    import torch  # only for checkpoints: the rest of the comparison reads text

    def same_with_nans(x, y) -> bool:  # NaN where the other has NaN, the same elsewhere
        if not (x.is_floating_point() and x.dtype == y.dtype and x.shape == y.shape):
            return False
        nan = x.isnan()
        return torch.equal(nan, y.isnan()) and torch.equal(x[~nan], y[~nan])

    def equal(x, y) -> bool:  # as ==, but tensors compare by torch.equal
        if isinstance(x, dict):
            return isinstance(y, dict) and x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
        if isinstance(x, list):
            return isinstance(y, list) and len(x) == len(y) and all(map(equal, x, y))
        if isinstance(x, torch.Tensor):
            return isinstance(y, torch.Tensor) and (torch.equal(x, y) or same_with_nans(x, y))
        return x == y or (x != x and y != y)  # a NaN (a loss that diverged) equals a NaN

    return equal(*(_untimed(torch.load(path, weights_only=True)) for path in (a, b)))


def files_in(folder: Path) -> set[Path]:
    """The files compared, relative to `folder`."""
    return {p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name not in SKIPPED}


def compare(before: Path, after: Path) -> list[str]:
    """What differs between the two folders: a line per file that differs or is in one folder only."""
    files = files_in(before) | files_in(after)
    before_path, after_path = before.resolve(), after.resolve()
    folders = [(str(after_path), str(before_path)), (str(after_path.parent), str(before_path.parent))]
    problems = []
    for relative in sorted(files):
        a, b = before / relative, after / relative
        if not (a.exists() and b.exists()):
            problems.append(f"only in {'after' if b.exists() else 'before'}: {relative}")
        elif not same_file(a, b, folders):
            problems.append(f"differs: {relative}")
    return problems


def first_differences(a: Path, b: Path, lines: int = 8) -> str:
    """The first lines of a text diff of two files (normalised as compared), to show what moved."""
    if a.suffix in {".pt", ".png", ".pdf"}:
        return "    (binary)"
    text_a, text_b = (untimed_text(p.read_text(errors="replace")) for p in (a, b))
    diff = difflib.unified_diff(text_a.splitlines(), text_b.splitlines(), "before", "after", n=0, lineterm="")
    shown = [line[:160] for line in diff if not line.startswith(("---", "+++", "@@"))][:lines]
    return "\n".join(f"    {line}" for line in shown)


# --- what is run ------------------------------------------------------------------------------------------------

SMOKE = ["--profile", "smoke", "--device", "cpu"]
# Each step: its name (for --only) and the commands it runs, in order. `list`, `show`, `plot` and `report` read
# what the runs before them wrote, so a subset that leaves the runs out compares them on fewer results.
STEPS: dict[str, list[list[str]]] = {
    "table1": [["run", "table1"]],
    "gradflow": [["run", "gradflow"]],
    "fig1": [["run", "fig1", *SMOKE]],
    "fig6": [["run", "fig6", *SMOKE]],
    "fig7": [["run", "fig7", *SMOKE]],
    "table6": [["run", "table6", *SMOKE]],
    "imagenet": [["run", target, *SMOKE] for target in ("table2", "table3", "table4", "fig4")],
    "list": [["list"]],
    "show": [["show", "fig1", "--profile", "smoke"], ["show", "table3", "--profile", "smoke"]],
    "plot": [["plot", "all"]],
    "report": [["report"]],
    "errors": [  # bad input: one line each, nothing written
        ["run", "fig1", "--seeds", "0,0"],
        ["run", "fig1", "--set", "recipe.lr=.nan"],
        ["run", "fig1", "--profile", "smokee"],
        ["run", "fig1", "--set", "lr=0.1"],
        ["run", "fig9"],
        ["run", "table1", "--set", "recipe.lr=0.1"],
        ["show", "fig1", "--only", "resnet-9"],
        ["frobnicate"],
    ],
}


def export(revision: str, into: Path, patch: Path | None) -> None:
    """The code of `revision` (a git revision, or a checkout's folder) in `into`, with `patch` applied."""
    if Path(revision).is_dir():
        junk = shutil.ignore_patterns(".git", ".venv", "results", "data", "__pycache__", ".*_cache", "*.egg-info")
        shutil.copytree(revision, into, ignore=junk)
    else:
        into.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", revision], capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    if patch is not None:
        subprocess.run(["git", "apply", str(patch.resolve())], cwd=into, check=True)


def write_data(code: Path, data: Path) -> None:
    """The generated datasets the smoke profiles read, written once by the BEFORE code's own writers."""
    script = (
        "import sys; from pathlib import Path\n"
        "from resnet_repro.data.synthetic import write_cifar10, write_image_folder\n"
        "root = Path(sys.argv[1]); write_cifar10(root); write_image_folder(root / 'imagenet')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(data)], env={**os.environ, "PYTHONPATH": str(code)}, check=True)


def environment(work: Path) -> dict[str, str]:
    """One CPU thread (oneDNN rounds differently with another thread count), fixed folders, no network."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESNET_REPRO_")}
    return {
        **env,
        "PYTHONPATH": str(work / "code"),
        "RESNET_REPRO_RESULTS": str(work / "results"),
        "RESNET_REPRO_DATA": str(work / "data"),
        "RESNET_REPRO_FASHION_MNIST_URL": "file:///nonexistent/fashion-mnist-mirror",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "COLUMNS": "200",
        "TZ": "UTC",
        "PYTHONHASHSEED": "0",
    }


def run_steps(work: Path, steps: list[str], outputs: Path) -> None:
    """Run the steps from work/code into work/results; each command's exit code and output go to `outputs`."""
    env = environment(work)
    for step in steps:
        started = time.monotonic()
        for index, args in enumerate(STEPS[step]):
            done = subprocess.run(
                [sys.executable, "-m", "resnet_repro", *args], capture_output=True, text=True, env=env, cwd=work
            )
            record = f"$ resnet-repro {' '.join(args)}\nexit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
            (outputs / f"{step}-{index}.txt").write_text(record)
            if done.returncode != 0 and step != "errors":  # compared like any output, but worth seeing at once
                print(f"  ! resnet-repro {' '.join(args)} exited {done.returncode}", flush=True)
        print(f"  {step}: {time.monotonic() - started:.0f} s", flush=True)


def run_revision(revision: str, label: str, work: Path, steps: list[str], patch: Path | None) -> Path:
    """Export the revision to work/code, run the steps, and keep what they made in work/<label>/."""
    print(f"{label}: {revision}{' with ' + str(patch) if patch else ''}", flush=True)
    export(revision, work / "code", patch)
    if not (work / "data").exists():
        write_data(work / "code", work / "data")
    kept = work / label
    (kept / "output").mkdir(parents=True)
    run_steps(work, steps, kept / "output")
    (work / "results").mkdir(exist_ok=True)
    (work / "results").rename(kept / "results")
    shutil.rmtree(work / "code")
    return kept


def report(before: Path, after: Path) -> int:
    problems = compare(before, after)
    print(f"compared {len(files_in(before) | files_in(after))} files: {len(problems)} differ")
    for problem in problems:
        print(problem)
        kind, _, relative = problem.partition(": ")
        if kind == "differs":
            print(first_differences(before / relative, after / relative))
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="a git revision or a checkout's folder (with --folders: a results folder)")
    parser.add_argument("after")
    parser.add_argument("--only", help=f"comma-separated steps, of: {', '.join(STEPS)}")
    parser.add_argument("--keep", type=Path, help="work in this (new) folder and keep it: data, outputs, results")
    parser.add_argument("--patch-after", type=Path, help="apply this patch to AFTER's code before running it")
    parser.add_argument("--folders", action="store_true", help="BEFORE and AFTER are results folders: compare only")
    args = parser.parse_args(argv)
    if args.folders:
        return report(Path(args.before), Path(args.after))
    steps = args.only.split(",") if args.only else list(STEPS)
    unknown = [step for step in steps if step not in STEPS]
    if unknown:
        parser.error(f"unknown step {', '.join(unknown)}: the steps are {', '.join(STEPS)}")
    if args.keep is not None and args.keep.exists():
        parser.error(f"--keep {args.keep} exists; name a new folder (it will hold both revisions' outputs)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="compare-results-") as temporary:
        work = args.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        before = run_revision(args.before, "before", work, steps, None)
        after = run_revision(args.after, "after", work, steps, args.patch_after)
        code = report(before, after)
    print(f"{time.monotonic() - started:.0f} s in all")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
