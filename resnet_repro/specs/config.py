"""The resolved configuration of one training run, and how it is built from layered YAML.

Layers, later wins: the recipe file's `defaults` < its `model_rules` for the run's model < its
profile < `--set KEY=VALUE`. Every value remembers where it came from, so an unknown key, a
wrong type or a bad value is reported as `file:line: key: what is wrong`.
"""

import dataclasses
import hashlib
import json
import re
import typing
from dataclasses import dataclass
from typing import Callable, Literal, NoReturn

from ..basics.errors import UserError, excerpt, shorten
from ..readers.validation import STRICT_KEYS, Flag, Missing, Number, Where, Whole, validate
from ..readers.yamlio import line_of, load_yaml_text, plain
from .datasets import DATASETS, DEFAULT_IMAGE_SIZE, dataset_info, image_size_problem
from .run_id import RunId

# ----------------------------------------------------------------------------- schema


# Bounds beyond any experiment's, so that a typo or a hostile value is one line before anything is made: a
# 4-pixel pad of 100,000 once tried to allocate 15 TB after the run folder was made.
MAX_ITERATIONS = 10_000_000  # the paper's longest schedule is 600k
MAX_BATCH = 65_536  # the paper's batches are 128 and 256
MAX_IMAGES = 100_000_000  # ImageNet's training set is 1.28M
MAX_SIDE = 2048  # image sides in pixels; the paper's largest test scale is 640
MAX_ARRAY_SIDE = 256  # array datasets (CIFAR-10: 32) are held in memory at this side
MAX_PAD = 64
MAX_LR = 1e30  # the paper's largest is 0.1; tests make runs diverge at 1e30; beyond it a number overflows
MAX_THREADS = 1024


@dataclass(frozen=True)
class Warmup:
    """Train at `lr` until the training error (over the last log window) drops below the threshold."""

    __pydantic_config__ = STRICT_KEYS

    lr: Number(gt=0.0, le=MAX_LR)
    until_train_error_below: Number(ge=0.0, le=100.0)


@dataclass(frozen=True)
class Plateau:
    """Divide the lr by 10 when the evaluated error has not improved by `min_improvement` points for
    `patience` evaluations in a row (the paper's ImageNet rule, made precise)."""

    __pydantic_config__ = STRICT_KEYS

    patience: Whole(1, 1000)
    min_improvement: Number(ge=0.0, le=100.0) = 0.0


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """The training recipe. Every number is required here and set once, in experiments/_recipes/*.yaml,
    so a recipe detail cannot hide in code; only switches that default to "not used" have defaults."""

    __pydantic_config__ = STRICT_KEYS

    batch_size: Whole(1, MAX_BATCH)
    iterations: Whole(1, MAX_ITERATIONS)
    # Every lr the schedule can reach is > 0 (lr, lr_decay, warmup.lr): momentum_form caffe rescales the velocity by
    # old lr / new lr at each change.
    lr: Number(gt=0.0, le=MAX_LR)
    lr_steps: tuple[Whole(), ...]  # check_recipe keeps each inside the run
    lr_decay: Number(gt=0.0, le=1.0)  # the factor the lr is multiplied by
    momentum: Number(ge=0.0, lt=1.0)
    weight_decay: Number(ge=0.0, le=1.0)
    warmup: Warmup | None = None
    lr_plateau: Plateau | None = None
    holdout: Whole(0, MAX_IMAGES)
    # Images per batch-norm group (each GPU's share); null: the whole batch.
    bn_batch: Whole(1, MAX_BATCH) | None
    # How the authors' Caffe applied momentum: "caffe" (v := m*v + lr*g, so the velocity carries the lr and an lr
    # change takes effect gradually) or "torch" (v := m*v + g, w -= lr*v: an lr change rescales the step at once).
    momentum_form: Literal["caffe", "torch"]
    # Batch-norm statistics the final numbers use: the running "moving-average" of training, or "recomputed"
    # after training as an exact average over bn_stats_images training images (the authors' ImageNet models).
    bn_stats: Literal["moving-average", "recomputed"]
    bn_stats_images: Whole(1, MAX_IMAGES)
    # The weight of each batch in BN's running mean and variance (running := (1 - m) running + m batch): torch's
    # 0.1; Caffe's BatchNorm keeps moving_average_fraction 0.999 (a weight of 0.001 per batch, normalised). The
    # tests use these averages where bn_stats is moving-average (CIFAR).
    bn_momentum: Number(gt=0.0, le=1.0)
    weight_decay_on_bn_and_bias: Flag  # decay BN scale/shift and the fc bias too (Caffe's and fb.resnet.torch's choice)
    he_init_fan: Literal["fan_in", "fan_out"]  # He init of every conv
    fc_init: Literal["uniform", "gaussian-0.01"]  # see models/blocks.py init_weights
    # Start each residual branch's last BN scale at zero, so a deep ResNet begins as a shallow one (a deviation from
    # the paper's init, for short schedules where the deep nets' slow start decides the ranking; plain nets have no
    # branch to zero and are unchanged).
    zero_init_residual: Flag = False
    pad: Whole(0, MAX_PAD)
    # What the pad pixels hold: zeros added after the mean is subtracted (so, in the raw image, the mean pixel), the
    # only reading built; the paper says only "4 pixels are padded on each side".
    pad_fill: Literal["zero-after-mean"]
    flip: Flag
    eval_every: Whole(1, MAX_ITERATIONS)
    log_every: Whole(1, MAX_ITERATIONS)
    checkpoint_every: Whole(1, MAX_ITERATIONS)
    eval_batch_size: Whole(1, MAX_BATCH)
    activation_checkpointing: Flag = False  # recompute each block's activations in backward: less memory, same results

    def most_processes(self, limit: int) -> int:
        """The most processes, `limit` at most, that share each batch equally in whole groups of bn_batch images."""
        whole = self.batch_size // (self.bn_batch or 1)  # the shares a batch holds: each process needs a whole number
        return max(d for d in range(1, min(whole, limit) + 1) if whole % d == 0)


@dataclass(frozen=True)
class DataSpec:
    __pydantic_config__ = STRICT_KEYS

    dataset: Literal[tuple(DATASETS)]
    train_subset: Whole(1, MAX_IMAGES) | None = None
    test_subset: Whole(1, MAX_IMAGES) | None = None
    # ImageNet views: shorter side random in [scale_min, scale_max], crop x crop; tests at test_short_side.
    # The paper's values live in experiments/_recipes/imagenet.yaml; CIFAR-style sets leave them unset.
    crop: Whole(8, MAX_SIDE) | None = None
    scale_min: Whole(8, MAX_SIDE) | None = None
    scale_max: Whole(8, MAX_SIDE) | None = None
    test_short_side: Whole(8, MAX_SIDE) | None = None
    # Mean subtracted from every input: a mean image ("per-pixel") or one value per colour channel.
    # Required of every recipe file (check_data); optional here only so a bare DataSpec("cifar10") still builds.
    mean: Literal["per-pixel", "per-channel"] | None = None
    # Table 4's multi-scale test: whether each scale's image is also tested flipped (scores averaged).
    multiscale_flip: Flag | None = None
    # How ImageNet images are resized (training scales, 10-crop and multi-scale tests): PIL's bilinear filter,
    # which antialiases when shrinking (torchvision's resize of a PIL image), the only one built; the paper is silent.
    resize_interpolation: Literal["bilinear-antialias"] | None = None
    # Table 4's multi-scale test: the shorter sides each image is tested at, scores averaged.
    test_scales: tuple[Whole(8, MAX_SIDE), ...] | None = None
    # AlexNet's PCA colour augmentation (Sec. 3.4): the std of each component's random weight; 0 turns it off.
    colour_std: Number(ge=0.0, le=10.0) | None = None
    # Array datasets: the side images are trained and tested at (data/image_size.py: a zero border up, or k x k
    # block means down). None is 32, CIFAR-10's own size; a smaller side is a CPU speed lever (docs/benchmarks.md).
    image_size: Whole(4, MAX_ARRAY_SIDE) | None = None


@dataclass(frozen=True)
class TrainOptions:
    """How the recipe is executed. Defaults keep the paper's numerics; others are recorded deviations."""

    __pydantic_config__ = STRICT_KEYS

    precision: Literal["fp32", "tf32", "bf16"] = "fp32"  # train/precision.py
    channels_last: Flag = True
    compile: Flag = False
    # GPU kernels that give the same bits every time (cuDNN's deterministic algorithms, no autotuning): a
    # resumed GPU run then equals the uninterrupted one bit for bit, at a measured cost (docs/benchmarks.md).
    deterministic: Flag = False
    # CPU threads, pinned: oneDNN rounds differently with each thread count, so the same seed gives other last digits
    # on another count. None follows the cores other work leaves free (train/threads.py), which keeps a resume
    # exact only while the count stays the same; a number gives the same digits on any load (`run --threads N`).
    threads: Whole(1, MAX_THREADS) | None = None


@dataclass(frozen=True)
class RunSettings:
    """Everything a run's layers may set (the keys `--set` accepts)."""

    __pydantic_config__ = STRICT_KEYS

    data: DataSpec
    recipe: Recipe
    train: TrainOptions = TrainOptions()


@dataclass(frozen=True)
class RunConfig:
    """One run: (dataset, model, recipe, seed). Stored as the run's config.yaml."""

    name: str  # the run folder's path under results/runs/: str(RunId), see run_id
    model: str
    shortcut: str | None
    family: str  # cifar or imagenet: resnet50 and resnet152 exist in both
    variant: str  # ImageNet bottleneck nets: "original" (stride on the first 1x1) or "v1.5"; else "original"
    seed: int
    profile: str
    overrides: tuple[str, ...]
    settings: RunSettings
    # a seed trained into results/ beyond those the command plans (`run --seeds 0,1` earlier; readback's
    # with_seeds_on_disk): a `run` without --seeds does not train it again. Not the run's: never stored (to_dict)
    further: bool = dataclasses.field(default=False, compare=False)

    @property
    def recipe(self) -> Recipe:
        return self.settings.recipe

    @property
    def data(self) -> DataSpec:
        return self.settings.data

    @property
    def run_id(self) -> RunId:
        """Dataset, label, profile (+ overrides tag) and seed, read back from `name`, the run folder's path."""
        return RunId.parse(self.name)

    def to_dict(self) -> dict:
        return {key: value for key, value in dataclasses.asdict(self).items() if key != "further"}


# ----------------------------------------------------------------------------- layers


def merge_layers(layers: list[tuple[dict | None, str]]) -> tuple[dict, Where, Missing]:
    """Deep-merge mappings in order; return the result, where a dotted key was set (by the last layer that set it,
    else its nearest parent, the first layer's source where no layer set either) and where a key missing from a
    mapping belongs: with the layer that made the mapping (a later layer only adds to it), said so that it fits
    that layer (the first layer is the recipe file's defaults, the last `--set`)."""
    merged: dict = {}
    provenance: dict[str, str] = {}  # dotted key -> "file:line" (or "--set")
    made: dict[str, int] = {}  # dotted key of a mapping -> the layer that made it
    for index, (mapping, source) in enumerate(layers):
        if mapping:
            _merge_into(merged, mapping, index, source, "", provenance, made)

    def where(dotted: str) -> str:  # a list's item (recipe.lr_steps[1]) was set with its list
        parts = dotted.split(".")
        keys = (".".join(parts[:i]) for i in range(len(parts), 0, -1))
        found = (provenance.get(key) or provenance.get(re.sub(r"(\[\d+\])+$", "", key)) for key in keys)
        return next(filter(None, found), layers[0][1])

    def missing(mapping: str, key: str) -> tuple[str, str]:
        layer = made.get(mapping, 0)
        if layer == 0:  # the defaults' own mapping (or none of any layer's): the defaults are where it belongs
            return layers[0][1], ": set it under the file's defaults"
        if layers[layer][1] == "--set":
            return "--set", (
                f": this run's recipe has no {mapping}, so the one --set makes needs every key of it: "
                f"add --set {key}=VALUE"
            )
        return where(mapping), f": add it to the {mapping} set at this line"

    return merged, where, missing


def _merge_into(
    target: dict, mapping: dict, index: int, source: str, prefix: str, provenance: dict[str, str], made: dict[str, int]
) -> None:
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        line = line_of(mapping, key)
        # A mapping merges into a mapping (a new one where the key held none); anything else (warmup: null, a
        # list) replaces it. A mapping merged into stays where its maker set it: a key missing from it is the
        # maker's to add.
        if isinstance(value, dict):
            if not isinstance(target.get(key), dict):
                target[key] = {}
                provenance[dotted] = f"{source}:{line}" if line else source
                made[dotted] = index
            _merge_into(target[key], value, index, source, f"{dotted}.", provenance, made)
        else:
            provenance[dotted] = f"{source}:{line}" if line else source
            target[key] = plain(value)  # a copy: a later layer never changes an earlier one's data


def parse_overrides(pairs: list[str]) -> dict:
    """['recipe.lr=0.05', 'recipe.lr_steps=[100,200]'] -> {'recipe': {'lr': 0.05, 'lr_steps': [100, 200]}}."""
    tree: dict = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"bad --set {excerpt(pair)}: write it as KEY=VALUE, e.g. --set recipe.lr=0.05")
        try:  # the same bounded reader as the files: no aliases, so a value cannot expand as it is merged
            value = plain(load_yaml_text(raw, "--set")) if raw.strip() else None
        except UserError as error:
            raise UserError(f"bad --set {excerpt(pair)}: the value is not valid YAML ({error})") from None
        node = tree
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UserError(f"bad --set {excerpt(pair)}: {shorten(key)} conflicts with another --set")
        node[parts[-1]] = value
    return tree


def known_keys(cls: type = RunSettings, prefix: str = "") -> list[str]:
    """Every dotted key of a settings dataclass: data.dataset, recipe.lr, recipe.warmup, recipe.warmup.lr, ..."""
    keys = []
    for name, tp in typing.get_type_hints(cls).items():
        dotted = f"{prefix}{name}"
        inner = next((t for t in (tp, *typing.get_args(tp)) if dataclasses.is_dataclass(t)), None)
        if inner is None or inner is not tp:  # a leaf, or an optional section (warmup: null)
            keys.append(dotted)
        if inner is not None:
            keys.extend(known_keys(inner, f"{dotted}."))
    return keys


def overrides_tag(overrides: dict) -> str:
    """A short stable tag naming a set of overrides, so an overridden run never reuses a paper run's folder."""
    return hashlib.sha1(json.dumps(overrides, sort_keys=True, default=str).encode()).hexdigest()[:6]


# ----------------------------------------------------------------------------- validation


def validate_settings(data: dict, where: Where, missing: Missing) -> RunSettings:
    """The merged layers (merge_layers) as RunSettings: every problem one line naming its key and where it was set."""
    settings = validate(RunSettings, data, where, missing=missing)

    def fail(key: str, message: str, *also: str) -> NoReturn:  # one line naming the key and where it was set
        # a rule between keys (`also`): the one a --set changed is the one to name, else `key`
        key = next((k for k in (key, *also) if where(k) == "--set"), key)
        raise UserError(f"{where(key)}: {key}: {message}")

    check_recipe(settings.recipe, fail)
    check_data(settings.data, fail)
    return settings


Fail = Callable[..., NoReturn]  # (dotted key, what is wrong with it, *other keys of the rule) -> a UserError where set


def check_recipe(recipe: Recipe, fail: Fail) -> None:
    """Cross-field rules a single key's type cannot express."""
    if list(recipe.lr_steps) != sorted(set(recipe.lr_steps)):
        fail("recipe.lr_steps", f"must be strictly increasing, got {list(recipe.lr_steps)}")
    if outside := [step for step in recipe.lr_steps if not 0 < step < recipe.iterations]:
        fail(
            "recipe.lr_steps",
            f"every step must fall inside the run (1 to {recipe.iterations - 1}, "
            f"recipe.iterations is {recipe.iterations}), got {outside[0]}; a shortened run "
            f"needs its own steps, e.g. --set 'recipe.lr_steps=[...]'",
        )
    for key in ("eval_every", "checkpoint_every"):
        every = getattr(recipe, key)
        if every % recipe.log_every:
            fail(f"recipe.{key}", f"must be a multiple of recipe.log_every ({recipe.log_every}), got {every}")
    if recipe.bn_batch is not None and recipe.batch_size % recipe.bn_batch:
        fail("recipe.bn_batch", f"must divide recipe.batch_size ({recipe.batch_size}), got {recipe.bn_batch}")
    if recipe.bn_stats == "recomputed" and recipe.bn_stats_images % recipe.batch_size:
        # whole batches only, so every image (and every batch-norm group) weighs the same in the average
        fail(
            "recipe.bn_stats_images",
            f"must be a multiple of recipe.batch_size ({recipe.batch_size}), got {recipe.bn_stats_images}",
        )
    if recipe.lr_plateau is not None and recipe.holdout == 0:
        fail(
            "recipe.lr_plateau",
            "the plateau rule watches held-out training images, never the reported set: "
            "set recipe.holdout to the number of training images to hold out",
        )


IMAGE_VIEW_KEYS = ("crop", "scale_min", "scale_max", "test_short_side", "test_scales", "colour_std")


def check_data(data: DataSpec, fail: Fail) -> None:
    """ImageNet needs its view sizes; the other datasets are arrays, brought to data.image_size (default 32)."""
    if data.mean is None:
        fail("data.mean", "say which mean is subtracted (per-pixel or per-channel) in the recipe file")
    info = dataset_info(data.dataset)
    if info.class_folders:
        if data.image_size is not None:
            fail("data.image_size", "applies to array datasets; ImageNet's view sizes are data.crop and data.scale_*")
        for key in IMAGE_VIEW_KEYS:
            if getattr(data, key) is None:
                fail(
                    f"data.{key}",
                    "ImageNet runs need it (the paper's values are in experiments/_recipes/imagenet.yaml)",
                )
        if data.scale_min > data.scale_max:
            fail("data.scale_min", f"must not exceed data.scale_max ({data.scale_max}), got {data.scale_min}")
        for side, why in (  # crop x crop views are cut from images of these shorter sides
            ("scale_min", "training cuts its views from images of a shorter side in [scale_min, scale_max]"),
            ("test_short_side", "the 10-crop test cuts its views from images of that shorter side"),
        ):
            if data.crop > getattr(data, side):
                message = f"data.crop ({data.crop}) must not exceed data.{side} ({getattr(data, side)}): {why}"
                fail("data.crop", message, f"data.{side}")
        if not data.test_scales:  # the multi-scale test averages the scores of these views: none is no score
            fail(
                "data.test_scales", "list at least one shorter side to test at (the paper's: [224, 256, 384, 480, 640])"
            )
        if data.mean != "per-channel":
            fail("data.mean", "only per-channel is built for ImageNet (the paper's per-pixel mean image is not)")
        if data.multiscale_flip is None:
            fail(
                "data.multiscale_flip",
                "ImageNet runs need it (true or false; the paper's value is in experiments/_recipes/imagenet.yaml)",
            )
        if data.resize_interpolation is None:
            fail(
                "data.resize_interpolation",
                "ImageNet runs need it (bilinear-antialias; the reading is in experiments/_recipes/imagenet.yaml)",
            )
    else:
        if data.mean != "per-pixel":
            fail("data.mean", f"only per-pixel (the paper's mean image) is built for {data.dataset}")
        if data.multiscale_flip is not None:
            fail("data.multiscale_flip", "applies to ImageNet only (Table 4's multi-scale test)")
        if data.resize_interpolation is not None:
            fail("data.resize_interpolation", f"applies to ImageNet only; {data.dataset} images are never resized")
        size = data.image_size or DEFAULT_IMAGE_SIZE
        for key in IMAGE_VIEW_KEYS:
            if getattr(data, key) is not None:
                fail(f"data.{key}", f"applies to ImageNet only; {data.dataset} images are used whole at {size}x{size}")
        if info.native_side and (problem := image_size_problem(info.native_side, size)):
            fail("data.image_size", problem)
