"""`resnet-repro bench`: training and eval throughput per model on this machine -> results/bench/bench.csv."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Optional

import typer

from ..store.layout import resolve_results_dir
from ..store.tables import write_table
from .common import DeviceOption, ResultsOption, check_writable, console, say
from .run import print_rows


def bench_command(
    model: Optional[list[str]] = typer.Option(
        None, "--model", help="Model(s) to measure [default: resnet20, resnet56, resnet110]."
    ),
    device: str = DeviceOption,
    batch_size: int = typer.Option(128, "--batch-size", min=1, help="Training batch size."),
    iterations: int = typer.Option(10, "--iterations", min=1, help="Timed training iterations per model."),
    precision: str = typer.Option(
        "fp32", "--precision", help="fp32 (IEEE), tf32 (GPU matrix units), or bf16 (autocast, fp32 master weights)."
    ),
    compile_: bool = typer.Option(
        False,
        "--compile",
        help="Compile the model as `run --compile` does (CUDA graphs "
        "on a GPU); the table says whether torch used them.",
    ),
    image_size: int = typer.Option(
        32, "--image-size", min=4, help="Side of the square images (CIFAR's 32; a profile's data.image_size)."
    ),
    results: Optional[Path] = ResultsOption,
) -> None:
    """Measure images/s of the real training step, the pure model step, and evaluation, per model."""
    # torch loads only when bench runs: the other commands share this module's app
    from ..analysis.memory import check_batch_fits
    from ..analysis.throughput import BenchSettings, measure, smallest_bn_map
    from ..basics.errors import UserError
    from ..specs.naming import parse_model_name
    from ..train.device import describe_device, resolve_device
    from ..train.precision import check_precision

    names = model or ["resnet20", "resnet56", "resnet110"]
    for name in names:
        parse_model_name(name)  # a typo fails before anything is measured
    for name in names if batch_size == 1 else ():  # batch norm trains on more than one value per channel
        if smallest_bn_map(name, image_size) == 1:
            raise UserError(
                f"--batch-size 1: {name}'s last stage is 1x1 at --image-size {image_size}, so its batch norm would "
                f"see one value per channel and cannot train; use --batch-size 2 or more, or a larger --image-size"
            )
    # a results path that cannot be written is said before the minutes of measuring, not after them
    folder = resolve_results_dir(str(results) if results else None) / "bench"
    check_writable(folder, files=("bench.csv", "table.md"))
    torch_device = resolve_device(device)
    check_precision(torch_device, precision)
    settings = BenchSettings(batch_size, iterations, precision=precision, compile=compile_, image_size=image_size)
    check_batch_fits(names, batch_size, image_size, precision, torch_device, settings.images)  # before any is made
    if torch_device.type == "cpu":
        from ..train.threads import FreeCoreWatch  # torch: only when bench runs

        FreeCoreWatch(console.print).start_run()  # the count at a run's start, not watched after
    device_name = describe_device(torch_device)
    rows = []
    for name in names:
        console.print(f"measuring {name} on {device_name} ...")
        rows.append({**dataclasses.asdict(measure(name, torch_device, settings)), "device": device_name})
    columns = list(rows[0])
    write_table(folder, "Training throughput", rows, columns, [f"device: {rows[0]['device']}"], csv_name="bench.csv")
    # on the console, every measured column but the settings bench holds fixed, two the CSV alone keeps, and the
    # device (the CSV's note)
    hidden = ("bn_batch", "channels_last", "deterministic", "peak_fraction", "warmup_s", "device")
    print_rows("Training throughput (images/s)", rows, [column for column in columns if column not in hidden])
    say(f"wrote {folder / 'bench.csv'}")  # a folder named results[old]: its [old] is no style
