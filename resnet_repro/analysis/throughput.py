"""Training and evaluation throughput of one model on one device, measured the way training runs.

- train: the real step (device-resident pipeline: gather, mean subtraction, per-image crop and
  flip) plus train/state.py's `step`, the forward, backward and SGD update every run takes;
- model: the same step on one pre-made batch, so the pipeline's cost is train vs model;
- eval: inference-mode forward passes at the evaluation batch size.
With `compile`, the model is compiled as `run --compile` compiles it (CUDA graphs on a GPU), and the
result says whether torch used the graphs.
Synthetic uint8 images stand in for CIFAR: throughput does not depend on the pixels.
"""

from __future__ import annotations

import resource
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..data.pipeline import EvalSet, TrainStream
from ..data.sources import ImageSet
from ..models import Layers, build_model
from ..train.ghost_bn import norm_layer
from ..train.schedule import FixedLR
from ..train.state import StepSpec, TrainState, step, train_state
from .complexity import count_multiply_adds
from .memory import meta_shapes

# Dense peak FLOP/s by device-name fragment (vendor figures), for the achieved fraction.
PEAK_FLOPS = {
    "H100": {"fp32": 67e12, "tf32": 494e12, "bf16": 989e12},
    "H200": {"fp32": 67e12, "tf32": 494e12, "bf16": 989e12},
    "A100": {"fp32": 19.5e12, "tf32": 156e12, "bf16": 312e12},
}


@dataclass
class Throughput:
    model: str
    precision: str
    compiled: bool
    bn_batch: int | None  # None: batch norm over the whole batch
    channels_last: bool
    deterministic: bool
    batch_size: int
    image_size: int  # the side of the square training images
    train_images_per_s: float
    model_images_per_s: float
    eval_images_per_s: float
    pipeline_overhead: float  # 1 - train / model
    peak_memory_mb: float
    achieved_tflops: float  # training FLOP/s (multiply-add = 2 FLOPs; backward = 2x forward)
    peak_fraction: float | None
    warmup_s: float  # the untimed first steps: cuDNN's algorithm search, and compilation with --compile
    cuda_graphs: str  # "used", "skipped: <reason>", or "off" (eager, CPU)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(work, iterations: int, warmup: int, device: torch.device) -> tuple[float, float]:
    """(seconds of `iterations` timed steps, seconds of the `warmup` steps before them)."""
    start = time.perf_counter()
    for i in range(warmup):
        work(i)
    _sync(device)
    timed_start = time.perf_counter()
    for i in range(warmup, warmup + iterations):
        work(i)
    _sync(device)
    return time.perf_counter() - timed_start, timed_start - start


@dataclass(frozen=True)
class BenchSettings:
    """How a model is measured: the batch, how long, and the run options that change the step's speed."""

    batch_size: int = 128
    iterations: int = 10
    warmup: int = 3
    eval_batch_size: int = 500
    images: int = 10_000
    channels_last: bool = True
    precision: str = "fp32"
    compile: bool = False
    compile_backend: str = "inductor"
    bn_batch: int | None = None  # batch norm over groups of bn_batch images, as recipe.bn_batch trains
    deterministic: bool = False
    image_size: int = 32  # CIFAR's; data.image_size trains a CIFAR net at another side (Fashion-MNIST's own 28)


def smallest_bn_map(model_name: str, image_size: int) -> int:
    """The fewest values per image (height x width) that any batch norm of `model_name` sees at `image_size`: with
    a batch of one image, batch norm in training needs more than one (resnet18's last stage is 1x1 at 32x32).
    Shapes alone, on the meta device: nothing is allocated, whatever the image size."""
    shapes = meta_shapes(model_name, image_size, torch.nn.modules.batchnorm._BatchNorm, taken_in=True)
    return min((shape[-2] * shape[-1] for shape in shapes), default=2)


def bench_state(
    model_name: str, device: torch.device, settings: BenchSettings
) -> tuple[TrainState, TrainStream, ImageSet]:
    """The model and optimizer a run of `model_name` trains with, as the TrainState the loop's `step` takes (at a
    fixed lr), its training batches, and the synthetic images behind them."""
    rng = np.random.default_rng(0)
    data = ImageSet(
        rng.integers(0, 256, (settings.images, 3, settings.image_size, settings.image_size), dtype=np.uint8),
        rng.integers(0, 10, settings.images),
    )
    torch.manual_seed(0)
    model = build_model(model_name, layers=Layers(norm_layer(settings.bn_batch)))
    if settings.compile:
        torch._dynamo.reset()  # each measurement compiles afresh: no guard left over from another net
    spec = StepSpec(
        precision=settings.precision,
        deterministic=settings.deterministic,
        channels_last=settings.channels_last,
        compile=settings.compile,
        compile_backend=settings.compile_backend,
    )
    state = train_state(model, device, spec, FixedLR(0.01))
    return state, TrainStream(data, settings.batch_size, 4, True, 0, device, settings.channels_last), data


def measure(model_name: str, device: torch.device, settings: BenchSettings = BenchSettings()) -> Throughput:
    state, stream, data = bench_state(model_name, device, settings)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    iterations = settings.iterations
    warmup = max(settings.warmup, 5) if settings.compile else settings.warmup  # compile, record, replay, then time
    train_s, warmup_s = _timed(lambda i: step(state, *stream.batch(i)), iterations, warmup, device)
    fixed = stream.batch(0)
    model_s, _ = _timed(lambda i: step(state, *fixed), iterations, warmup, device)
    cuda_graphs = "off" if state.graphs is None else state.graphs.verdict()
    if state.graphs is not None:
        state.graphs.close()
    eval_s, eval_images = _eval_time(state, data, stream.mean, settings, device)
    train_rate = iterations * settings.batch_size / train_s
    model_rate = iterations * settings.batch_size / model_s
    flops = 3 * 2 * count_multiply_adds(state.model, (3, settings.image_size, settings.image_size)) * train_rate
    peak = _peak_flops(device, settings.precision)
    return Throughput(
        model_name,
        settings.precision,
        settings.compile,
        settings.bn_batch,
        settings.channels_last,
        settings.deterministic,
        settings.batch_size,
        settings.image_size,
        train_rate,
        model_rate,
        eval_images / eval_s,
        1 - train_rate / model_rate,
        _peak_memory_mb(device),
        flops / 1e12,
        flops / peak if peak else None,
        warmup_s,
        cuda_graphs,
    )


def _eval_time(
    state: TrainState, data: ImageSet, mean: torch.Tensor, settings: BenchSettings, device: torch.device
) -> tuple[float, int]:
    """(seconds, images) of two inference passes over two evaluation batches."""
    two_batches = data.head(settings.eval_batch_size * 2)
    eval_set = EvalSet(two_batches, mean, device, settings.eval_batch_size, settings.channels_last)
    model = state.model
    model.eval()

    def eval_pass(i):  # runs evaluate the uncompiled model (train/loop.py), so this does too
        with torch.inference_mode(), state.autocast():
            for x, _ in eval_set.batches():
                model(x)

    eval_s, _ = _timed(eval_pass, 2, 1, device)
    return eval_s, 2 * len(eval_set)


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS (KiB on Linux)


def _peak_flops(device: torch.device, precision: str) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    peak_key = "bf16" if precision == "bf16" else "fp32" if precision == "fp32" else "tf32"
    return next((peaks[peak_key] for fragment, peaks in PEAK_FLOPS.items() if fragment in name), None)
