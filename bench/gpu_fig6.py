"""The GPU main job, end to end, timed to fit a short lease of a GPU machine.

    PYTHONPATH=. python3 bench/gpu_fig6.py OUT --data-dir DIR [--device cuda] [--budget-s 540]

Runs from the working tree on a bare machine (python3 with torch, typer, rich, pandas, matplotlib and
pyyaml; Fashion-MNIST's four .gz files under DIR, nothing downloaded) and writes to OUT a few small files:

    summary.md       the wall time of `run fig6 --profile gpu`, the total img/s, the GPU busy fraction,
                     each run's final errors, and the claims as the command printed them
    results.tar.gz   the results folder without checkpoints: fig6/fig7/fig1/table6 outputs, REPORT.md and
                     REPORT.html, every run's config.yaml, metrics.csv, final.json and meta.json
    run.log          everything the commands printed
    fig6-gpu.png, fig7-gpu.png   the two figures, for docs/figures

`run fig6` goes first and gets the time the rest leaves; past it, SIGTERM stops it cleanly (each run
checkpoints) and the figure is drawn from what was logged. Called again with the same `--work` folder (say
`.gpuwork`, git-ignored, which a GPU machine keeps between calls while it is held) and `--no-preflight`, it
resumes every run from its checkpoint; the summary's rates count only this call's iterations. fig7, fig1 and table6 reuse fig6's runs, so
they only measure and write. `--profile smoke --device cpu` is the dry run the test suite makes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the working tree's package, installed or not (its run readers, the data writer)
from stopping import stop_past  # noqa: E402  (bench/, this script's folder)

from resnet_repro.store.layout import read_json, read_run_config  # noqa: E402

AFTER_FIG6_S = 75  # fig7's measurements, fig1/table6's tables, the report, the archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--profile", default="gpu")
    parser.add_argument("--budget-s", type=float, default=540.0, help="the script ends inside this many seconds")
    parser.add_argument("--work", type=Path, help="scratch folder for the results [default: a temporary one]")
    parser.add_argument("--extra", default="", help="more options for every `run`, e.g. '--pack 2'")
    parser.add_argument("--after", default="fig7,fig1,table6", help="targets run after fig6 (they reuse its runs)")
    parser.add_argument("--no-preflight", action="store_true", help="skip the smoke check of the packed GPU step")
    args = parser.parse_args(argv)
    started = time.monotonic()
    args.out.mkdir(parents=True, exist_ok=True)
    work = args.work or Path(tempfile.mkdtemp(prefix="gpu-fig6-"))
    results = work / "results"
    log = args.out / "run.log"
    common = ["--profile", args.profile, "--device", args.device, "--data-dir", str(args.data_dir)]
    common += ["--results", str(results), *args.extra.split()]

    facts = {"machine": machine_facts(args.device)}
    if not args.no_preflight:
        facts["preflight"] = preflight(work, args, log)
        if not facts["preflight"]["finished"]:  # the recorded step failed: the same numbers, launched eagerly
            os.environ["RESNET_REPRO_EAGER"] = "1"
    resumed_from = logged_iterations(results)  # a second call resumes: its rate counts only its own iterations
    sampler = start_gpu_sampler(work / "gpu-util.csv")
    fig6_budget = args.budget_s - AFTER_FIG6_S - (time.monotonic() - started)
    fig6 = timed_command(["run", "fig6", *common], log, fig6_budget)
    stop_gpu_sampler(sampler)
    facts["fig6"] = fig6
    facts["gpu_busy"] = gpu_busy(work / "gpu-util.csv")
    if fig6["finished"]:
        for target in [t for t in args.after.split(",") if t]:
            facts[target] = timed_command(["run", target, *common], log, 60)
    else:  # the curves so far: plot draws from the logs alone
        facts["plot"] = timed_command(["plot", "fig6", "--profile", args.profile, "--results", str(results)], log, 60)
    facts["report"] = timed_command(["report", "--results", str(results)], log, 60)
    facts["runs"] = run_rows(results)
    facts["total_images_per_s"] = total_rate(facts["runs"], resumed_from, fig6["wall_s"])
    write_summary(args.out / "summary.md", facts, log)
    pack_results(results, args.out / "results.tar.gz")
    copy_figures(results, args.profile, args.out)
    print(f"gpu_fig6: done in {time.monotonic() - started:.0f} s; fig6 {'finished' if fig6['finished'] else 'cut'}")
    return 0


def preflight(work: Path, args, log: Path) -> dict:
    """fig6's smoke profile on generated CIFAR-format data, packed, on the device: every net's recorded step, its
    re-recording at the lr step and ResNet-110's warm-up, in seconds. If it fails, the main job runs eagerly."""
    from resnet_repro.data.synthetic import write_cifar10

    data = work / "preflight-data"
    write_cifar10(data)
    arguments = ["run", "fig6", "--profile", "smoke", "--device", args.device, "--data-dir", str(data)]
    return timed_command([*arguments, "--results", str(work / "preflight"), *args.extra.split()], log, 120)


def timed_command(arguments: list[str], log: Path, budget_s: float) -> dict:
    """`resnet-repro ARGS` from the working tree, output appended to `log`; SIGTERM past the budget."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "COLUMNS": "160"}
    begin = time.monotonic()
    with log.open("a") as handle:
        handle.write(f"\n$ resnet-repro {' '.join(arguments)}\n")
        handle.flush()
        process = subprocess.Popen(
            [sys.executable, "-m", "resnet_repro", *arguments], stdout=handle, stderr=subprocess.STDOUT, env=env
        )
        code, cut = stop_past(process, budget_s)
    wall = time.monotonic() - begin
    return {"command": " ".join(arguments), "exit": code, "wall_s": round(wall, 1), "finished": code == 0 and not cut}


def machine_facts(device: str) -> dict:
    import torch

    facts = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": sys.version.split()[0]}
    if device.startswith("cuda") and torch.cuda.is_available():
        facts["gpu"] = torch.cuda.get_device_name(0)
        facts["cudnn"] = torch.backends.cudnn.version()
    facts["cpus"] = os.cpu_count()
    return facts


def start_gpu_sampler(path: Path):
    """nvidia-smi's utilization (the fraction of each sample period a kernel ran) once a second, if it exists."""
    if shutil.which("nvidia-smi") is None:
        return None
    handle = path.open("w")
    query = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits", "-lms", "1000"]
    return subprocess.Popen(query, stdout=handle, stderr=subprocess.DEVNULL), handle


def stop_gpu_sampler(sampler) -> None:
    if sampler is not None:
        process, handle = sampler
        process.terminate()
        process.wait()
        handle.close()


def gpu_busy(path: Path) -> dict | None:
    """Mean utilization over the samples where the GPU held our memory (the run's start-up excluded)."""
    if not path.exists():
        return None
    samples = []
    for line in path.read_text().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and all(p.replace(".", "").isdigit() for p in parts):
            samples.append((float(parts[0]), float(parts[1])))
    busy = [u for u, memory in samples if memory > 1000]
    if not busy:
        return None
    return {
        "mean_percent": round(sum(busy) / len(busy), 1),
        "samples": len(busy),
        "peak_memory_mib": max(m for _, m in samples),
    }


def run_rows(results: Path) -> list[dict]:
    """Each run's final numbers (or, if cut short, how far its log got)."""
    rows = []
    for metrics in sorted(results.glob("runs/*/*/*/seed*/metrics.csv")):
        folder = metrics.parent
        with metrics.open() as handle:
            logged = list(csv.DictReader(handle))
        final = read_json(folder / "final.json") or {}
        config = read_run_config(folder / "config.yaml")
        last = logged[-1] if logged else {}
        rows.append(
            {
                "run": str(folder.relative_to(results / "runs")),
                "status": final.get("status", "cut"),
                "iteration": int(float(last.get("iteration", 0) or 0)),
                "batch_size": config["settings"]["recipe"]["batch_size"],
                "train_error_last_window": _float(last.get("train_error")),
                "test_error": final.get("test_error", _float(last.get("test_error"))),
                "images_per_s": _float(last.get("images_per_s")),
                "cuda_graphs": final.get("cuda_graphs"),
            }
        )
    return rows


def logged_iterations(results: Path) -> dict[str, int]:
    """How far each run's log got before this call: {run: iteration}."""
    return {row["run"]: row["iteration"] for row in run_rows(results)} if results.exists() else {}


def total_rate(rows: list[dict], resumed_from: dict[str, int], wall_s: float) -> float | None:
    """The training images of this call's fig6 command over its wall time (start-up and evaluations included)."""
    if not rows or not wall_s:
        return None
    trained = sum((row["iteration"] - resumed_from.get(row["run"], 0)) * row["batch_size"] for row in rows)
    return round(trained / wall_s)


def write_summary(path: Path, facts: dict, log: Path) -> None:
    lines = [
        "# run fig6 on the device",
        "",
        "```json",
        json.dumps({k: v for k, v in facts.items() if k != "runs"}, indent=1),
        "```",
        "",
        "| run | status | iteration | train (last window) | test | img/s | graphs |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in facts["runs"]:
        lines.append(
            f"| {row['run']} | {row['status']} | {row['iteration']} | {row['train_error_last_window']} | "
            f"{row['test_error']} | {row['images_per_s']} | {row['cuda_graphs']} |"
        )
    claims = [line for line in log.read_text().splitlines() if "hold" in line or "within noise" in line]
    lines += ["", "## claims as printed", "", *[f"    {line}" for line in claims[-60:]], ""]
    path.write_text("\n".join(lines))


def pack_results(results: Path, archive: Path) -> None:
    """The results folder as one archive, without checkpoints or locks (they stay behind on the machine)."""

    def keep(info: tarfile.TarInfo):
        name = Path(info.name).name
        return None if name.endswith(".pt") or name == ".lock" else info

    with tarfile.open(archive, "w:gz") as tar:
        if results.exists():
            tar.add(results, arcname="results", filter=keep)


def copy_figures(results: Path, profile: str, out: Path) -> None:
    for target in ("fig6", "fig7"):
        figure = results / target / profile / f"{target}.png"
        if figure.exists():
            shutil.copy(figure, out / f"{target}-{profile}.png")


def _float(value):
    try:
        return round(float(value), 3)
    except (TypeError, ValueError):
        return None


if __name__ == "__main__":
    sys.exit(main())
