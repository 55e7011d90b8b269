"""`resnet-repro eval`: published or given weights under the paper's ImageNet test protocols."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..basics.errors import UserError, excerpt
from ..store.layout import resolve_results_dir
from .common import DeviceOption, ProfileOption, ResultsOption, SetOption, check_writable, console, say, sets


def eval_command(
    weights: str = typer.Option(
        ..., "--weights", help="torchvision:resnet18 .. torchvision:resnet152, or a state_dict file."
    ),
    val: Optional[Path] = typer.Option(
        None, "--val", help="ImageNet's val folder (val/<wnid>/*.JPEG), for an ImageNet net."
    ),
    cifar: Optional[Path] = typer.Option(
        None, "--cifar", help="The cifar-10-batches-py folder, for a CIFAR net (Table 6)."
    ),
    model: Optional[str] = typer.Option(
        None, "--model", help="The net a state_dict file is for (resnet50); implied by torchvision:."
    ),
    shortcut: Optional[str] = typer.Option(None, "--shortcut", help="A, B or C for a state_dict file [default: B]."),
    variant: Optional[str] = typer.Option(
        None,
        "--variant",
        help="original or v1.5 (torchvision's bottleneck stride), for a state_dict file [default: original].",
    ),
    protocol: Optional[str] = typer.Option(
        None, "--protocol", help="10-crop (Tables 2-3) or multi-scale (Table 4), for --val [default: 10-crop]."
    ),
    profile: Optional[str] = ProfileOption,
    set_: Optional[list[str]] = SetOption,
    device: str = DeviceOption,
    results: Optional[Path] = ResultsOption,
) -> None:
    """Test weights trained elsewhere with the paper's 10-crop or multi-scale test, beside the paper's numbers."""
    # torch loads only when eval runs: the other commands share this module's app
    from ..engines.published_eval import EvalRequest, evaluate_cifar, evaluate_imagenet
    from ..train.device import resolve_device

    if (val is None) == (cifar is None):
        raise UserError(
            "eval needs one test set: --val IMAGENET_VAL_FOLDER for an ImageNet net, or --cifar FOLDER for a CIFAR net"
        )
    if cifar is not None:
        refuse_imagenet_options(protocol, profile, set_)
    results_dir = resolve_results_dir(str(results) if results else None)
    check_writable(results_dir / "eval")  # said before the test, which on a CPU can take hours, not after it
    request = EvalRequest(
        weights,
        model,
        shortcut,
        variant,
        "10-crop" if protocol is None else protocol,
        val,
        profile,
        sets(set_),
        results_dir,
        resolve_device(device),
    )
    path = evaluate_imagenet(request) if val is not None else evaluate_cifar(request, cifar)
    # the rows name the weights file, and a path's [old] (a folder named so) is text, not rich's markup
    console.print(path.with_suffix(".md").read_text(), end="", markup=False)
    say(f"wrote {path} and {path.with_suffix('.md')}")


def refuse_imagenet_options(protocol: str | None, profile: str | None, set_: list[str] | None) -> None:
    """--protocol, --profile and --set set the ImageNet test (its views and their sizes); --cifar's test is the test
    batch's one 32x32 view, which none of them changes: given with --cifar they would be ignored, a typo or a wrong
    test set passing unseen, so they are refused, as `run` refuses an option that does not apply to a target."""
    why = "--cifar tests a CIFAR net on the one 32x32 view of its test batch (Table 6), so no"
    for option, given, what in (
        ("--protocol", protocol, "ImageNet protocol"),
        ("--profile", profile, "profile"),
        ("--set", set_[0] if set_ else None, "--set key"),
    ):
        if given is not None:
            raise UserError(f"{option} {excerpt(given)}: {why} {what} applies to it; leave {option} out")
