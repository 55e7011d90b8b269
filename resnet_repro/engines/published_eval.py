"""`resnet-repro eval`: weights trained elsewhere, tested the way the paper tested its own nets.

ImageNet nets: the 10-crop test (Tables 2-3) or the multi-scale fully convolutional test (Table 4) on the user's
val folder, at the recipe profile's test settings (experiments/_recipes/imagenet.yaml). The rows are written as
the tables' rows are (top-1/top-5 error beside the paper's number for the same net, read from the target files),
marked "published weights, not trained here", under results/eval/<weights>/ (the default profile's test
settings; another profile, or --set, under results/eval/<weights>/<profile>/, as runs are: results/ never loses one
eval's rows to another's). A weights file's folder carries the start of its SHA-256, so two files of one name in
different folders never share one; every row names the profile, the --set pairs and the file's SHA-256.

The weights: torchvision's published ResNet-18..152 (by name) or a state_dict file, read with
torch.load(weights_only=True): tensors and plain containers only, never code. torchvision's names (layer1,
downsample) are renamed to ours (models/torchvision_weights.py). torchvision's weights were trained on inputs scaled
by the channel std after mean subtraction, ours on mean subtraction alone, so their nets get that scaling in front
(StdScaled); the test views stay the paper's.
"""

from __future__ import annotations

import contextlib
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..analysis.imagenet_eval import evaluate_views
from ..basics.atomic import write_atomic
from ..basics.digest import file_digest
from ..basics.errors import UserError, excerpt
from ..data.imagenet import scan_image_folder
from ..models import build_model
from ..models.torchvision_weights import from_torchvision
from ..specs.experiments import entry_key, load_target, resolve_runs
from ..specs.naming import default_shortcut, parse_model_name, variant_problem

MARK = "published weights, not trained here"
# Which targets hold the paper's numbers under each protocol (10-crop: Tables 2 and 3; multi-scale: Table 4).
PAPER_TARGETS = {"10-crop": ("table2", "table3"), "multi-scale": ("table4",)}
COLUMNS = (
    "weights",
    "weights_sha256",
    "model",
    "protocol",
    "profile",
    "set",
    "images",
    "top1_error",
    "top5_error",
    "paper_row",
    "paper_top1_error",
    "paper_top5_error",
    "note",
)


IMAGENET_CLASSES = 1000  # every ImageNet net eval builds has 1000 outputs: ImageNet's wnids in sorted order
WNID = re.compile(r"n[0-9]{8}")  # n01440764
TORCHVISION_DEPTHS = (18, 34, 50, 101, 152)
CHANNEL_STD = (0.229, 0.224, 0.225)  # torchvision's input normalisation, [0, 1] scale


@dataclass
class PublishedNet:
    model: nn.Module
    name: str  # our net's name, e.g. resnet50
    shortcut: str | None
    tag: str = ""  # "-v1.5" for a file's net built with torchvision's stride (run folders name it so), else ""


class StdScaled(nn.Module):
    """Divides mean-subtracted inputs by torchvision's channel std before the net it wraps."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.register_buffer("std", torch.tensor(CHANNEL_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x / self.std)


def read_state_dict(path: Path) -> dict:
    """A state_dict file's tensors, or one line saying why the file is not one."""
    if not path.exists():
        raise UserError(f"weights file {path} does not exist: name a state_dict saved with torch.save")
    if not path.is_file():  # a folder, a pipe (read forever), a device (/dev/zero: read without end)
        what = "a folder" if path.is_dir() else "not a regular file (a pipe or a device)"
        raise UserError(f"weights file {path} is {what}: name a state_dict file saved with torch.save")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:  # weights_only refuses anything that would run code
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(
            f"weights file {path} holds more than tensors ({first[:120]}); it was not loaded: save the model's "
            f"state_dict() alone"
        ) from None
    except Exception:  # not a torch file at all (text, a truncated download)
        raise UserError(
            f"weights file {path} is not a file torch.save wrote: save one with torch.save(model.state_dict(), path)"
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):  # a checkpoint holding one
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not loaded or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise UserError(
            f"weights file {path} is not a state_dict (a mapping of names to tensors): save model.state_dict()"
        )
    return {str(k).removeprefix("module."): v for k, v in loaded.items()}


def _torchvision_weights(depth: int):
    """torchvision's published ImageNet weights for resnet{depth}: the ones its docs quote for the paper's nets."""
    from torchvision.models import get_model_weights

    return get_model_weights(f"resnet{depth}").IMAGENET1K_V1


def torchvision_weights_file(depth: int) -> Path:
    """Where torch hub keeps torchvision's published resnet{depth} weights: $TORCH_HOME/hub/checkpoints/, under the
    name of the file in their URL (it reads that file there without downloading it again)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(_torchvision_weights(depth).url).name


def torchvision_state_dict(depth: int) -> dict:
    """torchvision's published ImageNet weights for resnet{depth}, from the torch hub cache (TORCH_HOME) or the web."""
    weights = _torchvision_weights(depth)
    try:
        return weights.get_state_dict(progress=False, weights_only=True)
    except Exception as error:  # no network, a proxy refusing, a partial file: the download failed
        cached = torchvision_weights_file(depth)
        if cached.exists():  # torch hub reads a file there without downloading: that file is what failed
            raise UserError(
                f"torchvision's resnet{depth} weights in the cache, {cached}, cannot be read ({type(error).__name__}: "
                f"a download cut short?): delete it to download it again, or put an intact copy there"
            ) from None
        raise UserError(
            f"torchvision's resnet{depth} weights are not in the cache ({cached.parent}) and could not be downloaded "
            f"({type(error).__name__}): put {Path(weights.url).name} there, or pass --weights FILE"
        ) from None


def load_into(model: nn.Module, state_dict: dict, source: str, name: str) -> None:
    """Strict load: every key present and of its shape, or one line naming the first mismatch."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if missing or unexpected:
        what = f"lacks {missing[0]}" if missing else f"has {unexpected[0]}, which {name} has not"
        raise UserError(
            f"weights {source} do not fit {name}: it {what} ({len(missing)} missing, {len(unexpected)} unexpected "
            f"keys); check --model and --shortcut"
        )
    for key, tensor in own.items():
        if tuple(state_dict[key].shape) != tuple(tensor.shape):
            raise UserError(
                f"weights {source} do not fit {name}: {key} is {tuple(state_dict[key].shape)}, the net's "
                f"{tuple(tensor.shape)}; check --model and --shortcut"
            )
        kind = _unloadable_kind(state_dict[key])
        if kind:  # the right shape, but not values a net's tensor can be copied from
            raise UserError(
                f"weights {source} do not fit {name}: {key} is {kind}; save a state_dict of dense tensors "
                f"(.to_dense(), .dequantize())"
            )
        if state_dict[key].is_floating_point() and not torch.isfinite(state_dict[key]).all():
            raise UserError(  # its scores would be NaN, and the error computed from them a number of no meaning
                f"weights {source} hold NaN or infinite values in {key}: not trained weights (a diverged run, a "
                f"damaged file); name weights whose every value is a finite number"
            )
    model.load_state_dict(state_dict)


def _unloadable_kind(tensor: torch.Tensor) -> str | None:
    """What makes a tensor of the right shape unloadable into a net's dense tensor: sparse, meta (no values) or
    quantized; None for a dense tensor."""
    if tensor.is_meta:
        return "a meta tensor, which holds no values"
    if tensor.layout != torch.strided:
        return "a sparse tensor"
    if tensor.is_quantized:
        return "a quantized tensor"
    return None


def published_net(weights: str, model: str | None, shortcut: str | None, variant: str | None = None) -> PublishedNet:
    """`torchvision:resnetN` (option B shortcuts, v1.5 bottlenecks, std-scaled inputs) or a state_dict file for
    `model` (torchvision's names are renamed to ours where the file uses them; `variant` None: original)."""
    if weights.startswith("torchvision:"):
        name = weights.removeprefix("torchvision:")
        depths = {f"resnet{d}": d for d in TORCHVISION_DEPTHS}
        if name not in depths:
            raise UserError(f"--weights {weights}: torchvision publishes {', '.join(depths)}; use torchvision:resnet50")
        if model is not None and model != name:
            raise UserError(f"--weights {weights} is {name}; leave --model out or give --model {name}")
        if shortcut not in (None, "B"):  # else the net would be built with B and the row said B, the A asked unseen
            raise UserError(f"--weights {weights} has option B shortcuts; leave --shortcut out or give --shortcut B")
        own = "v1.5" if depths[name] >= 50 else "original"
        if variant not in (None, own):  # else the net would be built as torchvision's, the variant asked unseen
            raise UserError(
                f"--variant {variant} does not apply to torchvision's weights: {weights} is the {own} net; leave "
                f"--variant out"
            )
        net = build_model(name, "B", variant=own, family="imagenet")
        load_into(net, from_torchvision(torchvision_state_dict(depths[name])), weights, name)
        return PublishedNet(StdScaled(net), name, "B")
    if model is None:
        raise UserError(
            f"--weights {weights}: name the net these weights are for with --model (e.g. resnet50, resnet110)"
        )
    net = build_model(model, shortcut, variant=variant or "original")
    problem = variant_problem(parse_model_name(model), variant or "original")
    if problem:  # a basic-block ImageNet net, which build_model builds alike under either variant
        raise UserError(f"--variant {problem}, not {model}; leave --variant out")
    state_dict = read_state_dict(Path(weights))
    if any(key.startswith("layer1.") for key in state_dict):  # saved from torchvision's ResNet
        state_dict = from_torchvision(state_dict)
    load_into(net, state_dict, weights, model)
    return PublishedNet(net, model, shortcut, "" if variant in (None, "original") else f"-{variant}")


@dataclass
class EvalRequest:
    weights: str
    model: str | None
    shortcut: str | None
    variant: str | None  # None: original (a state_dict file); torchvision's weights fix their own
    protocol: str
    val_dir: Path
    profile: str | None
    overrides: list[str]  # --set pairs for the test settings (data.test_scales=[224,256])
    results_dir: Path
    device: torch.device


def paper_row(protocol: str, model: str, shortcut: str | None) -> tuple[str, dict] | None:
    """The paper's row for this net under this protocol: the same net and shortcut, else the same net's one row
    (the paper's ResNet-18 is option A, torchvision's B), named so the reader sees which it is."""
    canonical = parse_model_name(model).canonical
    papers = [load_target(target).paper_table() for target in PAPER_TARGETS[protocol]]
    for paper in papers:  # the same net and shortcut first, in any of the tables
        if entry_key(canonical, shortcut) in paper:
            return entry_key(canonical, shortcut), paper[entry_key(canonical, shortcut)]
    for paper in papers:
        same_net = [key for key in paper if key == canonical or key.startswith(f"{canonical}-")]
        if len(same_net) == 1:
            return same_net[0], paper[same_net[0]]
    return None


def weights_sha256(weights: str) -> str:
    """A weights file's SHA-256 (what the row is of, wherever the file lies); for torchvision's named weights, the
    file torch hub read them from in its cache ("" where it is not there)."""
    if weights.startswith("torchvision:"):
        cached = torchvision_weights_file(int(weights.removeprefix("torchvision:resnet")))
        return file_digest(cached) if cached.is_file() else ""
    return file_digest(Path(weights))


def weights_slug(weights: str, model: str, sha256: str = "") -> str:
    """A folder name for these weights: torchvision-resnet50, or the file's stem, the net and the start of the
    file's SHA-256 (mine-resnet50-3f2a1c9e0b7d): two files of one name never share a folder."""
    if weights.startswith("torchvision:"):
        return "torchvision-" + weights.removeprefix("torchvision:")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{Path(weights).stem}-{model}") + (f"-{sha256[:12]}" if sha256 else "")


def check_val_classes(val_dir: Path) -> None:
    """The val folder's class folders, sorted, are its images' labels, compared with the net's outputs (ImageNet's
    1000 wnids in sorted order): a subset or an extra folder shifts the labels and the error means nothing. The
    weights carry no wnid list, so the folders' count and form are checked, in one line, before any image is read."""
    folders = sorted(p.name for p in val_dir.iterdir() if p.is_dir())
    expected = f"ImageNet's val/<wnid>/ with {IMAGENET_CLASSES} wnid folders (n + 8 digits, e.g. n01440764)"
    if len(folders) != IMAGENET_CLASSES:
        raise UserError(
            f"--val {val_dir} has {len(folders)} class folders, not the net's {IMAGENET_CLASSES}: its labels would "
            f"not be the net's outputs; nothing was written. Name {expected}"
        )
    odd = next((name for name in folders if not WNID.fullmatch(name)), None)
    if odd is not None:
        raise UserError(
            f"--val {val_dir}: class folder {excerpt(odd)} is not a wnid, so the labels would not be the net's "
            f"outputs; nothing was written. Name {expected}"
        )


def evaluate_imagenet(request: EvalRequest) -> Path:
    """Evaluate, write results/eval/<slug>/<protocol>.csv and .md atomically; returns the CSV's path."""
    if request.protocol not in PAPER_TARGETS:
        raise UserError(f"--protocol {request.protocol}: use one of {', '.join(PAPER_TARGETS)}")
    if not request.val_dir.is_dir():
        raise UserError(f"--val {request.val_dir} is not a folder: name ImageNet's val folder (val/<wnid>/*.JPEG)")
    target = load_target(PAPER_TARGETS[request.protocol][-1])  # a mistyped --profile or --set said before the
    run = resolve_runs(target, request.profile, overrides=request.overrides)[0]  # weights are fetched, not after
    data, profile_folder = run.data, run.run_id.profile_folder
    check_val_classes(request.val_dir)
    index = scan_image_folder(request.val_dir)
    net = published_net(request.weights, request.model, request.shortcut, request.variant)
    if parse_model_name(net.name).family != "imagenet":
        raise UserError(
            f"--model {net.name} is a CIFAR net: the ImageNet protocols need an ImageNet net (resnet18..152)"
        )
    sha256 = weights_sha256(request.weights)
    errors = evaluate_views(net.model.to(request.device), index, request.protocol, request.device, data)
    if not errors.images:  # no error to give: a row of nan would replace an earlier row of these weights
        raise UserError(
            f"--val {request.val_dir}: none of its {errors.skipped} images could be read (empty, cut short or not "
            f"JPEG/PNG); nothing was written. Name ImageNet's val folder (val/<wnid>/*.JPEG)"
        )
    shortcut = net.shortcut or default_shortcut(parse_model_name(net.name))
    found = paper_row(request.protocol, net.name, shortcut)
    row = {
        "weights": request.weights,
        "weights_sha256": sha256,
        "model": entry_key(parse_model_name(net.name).canonical, shortcut) + net.tag,
        "protocol": request.protocol,
        "profile": profile_folder,
        "set": " ".join(run.overrides),
        "images": errors.images,
        "top1_error": round(errors.top1_error, 2),
        "top5_error": round(errors.top5_error, 2),
        "paper_row": found[0] if found else "",
        "paper_top1_error": found[1].get("top1_error", "") if found else "",
        "paper_top5_error": found[1].get("top5_error", "") if found else "",
        "note": MARK + (f"; {errors.skipped} unreadable images skipped" if errors.skipped else ""),
    }
    folder = request.results_dir / "eval" / weights_slug(request.weights, net.name + net.tag, sha256)
    # results/eval/<slug>/ for the default profile's own settings, results/eval/<slug>/<profile>[~tag]/ otherwise (as
    # a run folder names a profile and its --set), so a smoke or --set eval never replaces a full one
    if profile_folder != target.default_profile:
        folder /= profile_folder
    return write_rows(folder, request.protocol, [row])


def evaluate_cifar(request: EvalRequest, cifar_dir: Path) -> Path:
    """Table 6's protocol: test error (%) on the CIFAR-10 test batch, the single 32x32 view, minus the training
    set's per-pixel mean image (as the nets were trained); results/eval/<slug>/cifar10-test.csv and .md."""
    from ..data.cifar import read_cifar10
    from ..data.pipeline import EvalSet, mean_image
    from ..data.sources import ImageSet
    from ..train.loop import evaluate

    if request.weights.startswith("torchvision:"):  # not "--model naming a CIFAR net", which it then refuses
        raise UserError(
            f"--weights {request.weights}: torchvision publishes ImageNet nets, tested with --val "
            f"IMAGENET_VAL_FOLDER; --cifar tests a state_dict file of a CIFAR net (--weights FILE --model resnet20)"
        )
    if request.model is None:
        raise UserError(
            f"--weights {request.weights}: name the CIFAR net these weights are for with --model (e.g. resnet20, "
            f"resnet110)"
        )
    if parse_model_name(request.model).family != "cifar":
        raise UserError(
            f"--cifar needs --model naming a CIFAR net (resnet20 .. resnet1202, plain20 ..), not {request.model}"
        )
    if not (cifar_dir / "test_batch").is_file():
        raise UserError(f"--cifar {cifar_dir} holds no test_batch: name the cifar-10-batches-py folder")
    net = published_net(request.weights, request.model, request.shortcut, request.variant)  # a CIFAR net: original
    (train_x, _), (test_x, test_y), _ = read_cifar10(cifar_dir)
    mean = mean_image(torch.from_numpy(train_x)).to(request.device)
    test = EvalSet(ImageSet(test_x, test_y), mean, request.device, 500)
    _, error = evaluate(net.model.to(request.device), test, contextlib.nullcontext)  # as training tests its nets
    canonical = parse_model_name(net.name).canonical
    paper = load_target("table6").paper_table().get(canonical, {})
    sha256 = weights_sha256(request.weights)
    row = {
        "weights": request.weights,
        "weights_sha256": sha256,
        "model": canonical,
        "protocol": "CIFAR-10 test batch",
        "profile": "",  # no profile's settings: the single 32x32 view, as training tests its nets
        "set": "",
        "images": len(test_y),
        "top1_error": round(error, 2),
        "top5_error": "",
        "paper_row": canonical if paper else "",
        "paper_top1_error": paper.get("test_error", ""),
        "paper_top5_error": "",
        "note": MARK,
    }
    slug = weights_slug(request.weights, net.name, sha256)
    return write_rows(request.results_dir / "eval" / slug, "cifar10-test", [row])


def write_rows(folder: Path, name: str, rows: list[dict]) -> Path:
    """<name>.csv and <name>.md, each written atomically (in `folder`, made where it is not there yet)."""
    csv = [",".join(COLUMNS)] + [",".join(_csv_cell(row[c]) for c in COLUMNS) for row in rows]
    markdown = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    markdown += ["| " + " | ".join(str(row[c]) for c in COLUMNS) + " |" for row in rows]
    write_atomic(folder / f"{name}.csv", "\n".join(csv) + "\n")
    write_atomic(folder / f"{name}.md", "\n".join(markdown) + "\n")
    return folder / f"{name}.csv"


def _csv_cell(value) -> str:
    text = str(value)
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text
