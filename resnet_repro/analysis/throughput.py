"""Training and evaluation throughput of one model on one device, measured the way training runs.

- train: the real step (device-resident pipeline: gather, mean subtraction, per-image crop and
  flip) plus forward, backward and SGD, exactly as train/loop.py does it;
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
import torch.nn.functional as F

from ..data.pipeline import EvalSet, TrainStream
from ..data.sources import ImageSet
from ..models import build_model
from ..train.ghost_bn import use_ghost_batch_norm
from ..train.compiled import CudaGraphCheck, compile_mode, compile_model
from ..train.optim import make_sgd
from ..train.precision import use_precision
from .complexity import count_multiply_adds

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


def _timed(step, iterations: int, warmup: int, device: torch.device) -> tuple[float, float]:
    """(seconds of `iterations` timed steps, seconds of the `warmup` steps before them)."""
    start = time.perf_counter()
    for i in range(warmup):
        step(i)
    _sync(device)
    timed_start = time.perf_counter()
    for i in range(warmup, warmup + iterations):
        step(i)
    _sync(device)
    return time.perf_counter() - timed_start, timed_start - start


def measure(model_name: str, device: torch.device, batch_size: int = 128, iterations: int = 10, warmup: int = 3,
            eval_batch_size: int = 500, images: int = 10_000, channels_last: bool = True,
            precision: str = "fp32", compile: bool = False, compile_backend: str = "inductor",
            bn_batch: int | None = None, deterministic: bool = False) -> Throughput:
    rng = np.random.default_rng(0)
    data = ImageSet(rng.integers(0, 256, (images, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, images))
    autocast = use_precision(device, precision, deterministic)
    torch.manual_seed(0)
    model = build_model(model_name)
    if bn_batch:  # batch norm over groups of bn_batch images, as recipe.bn_batch trains
        use_ghost_batch_norm(model, bn_batch)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = make_sgd(model.parameters(), 0.01, 0.9, 1e-4, device)
    stream = TrainStream(data, batch_size, 4, True, 0, device, channels_last)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    step_model, graphs = model, None
    if compile:  # as a run compiles: the model, with CUDA graphs on a single GPU
        torch._dynamo.reset()  # each measurement compiles afresh: no guard left over from another net
        mode = compile_mode(device, distributed=False)
        graphs = CudaGraphCheck(expected=mode == "reduce-overhead" and compile_backend == "inductor")
        step_model = compile_model(model, mode, compile_backend)
        warmup = max(warmup, 5)  # compile, record the CUDA graph, then replay it before timing

    def sgd_step(x, y):
        if graphs is not None and graphs.expected:
            torch.compiler.cudagraph_mark_step_begin()
        with autocast():
            loss = F.cross_entropy(step_model(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    train_s, warmup_s = _timed(lambda i: sgd_step(*stream.batch(i)), iterations, warmup, device)
    fixed = stream.batch(0)
    model_s, _ = _timed(lambda i: sgd_step(*fixed), iterations, warmup, device)
    cuda_graphs = "off" if graphs is None else graphs.verdict()
    if graphs is not None:
        graphs.close()
    eval_set = EvalSet(ImageSet(data.images[:eval_batch_size * 2], data.labels[:eval_batch_size * 2]), stream.mean,
                       device, eval_batch_size, channels_last)
    model.eval()

    def eval_pass(i):  # runs evaluate the uncompiled model (train/loop.py), so this does too
        with torch.inference_mode(), autocast():
            for x, _ in eval_set.batches():
                model(x)

    eval_s, _ = _timed(eval_pass, 2, 1, device)
    if device.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak RSS (KiB on Linux)
    train_rate = iterations * batch_size / train_s
    flops = 3 * 2 * count_multiply_adds(model, (3, 32, 32)) * train_rate
    peak_key = "bf16" if precision == "bf16" else "fp32" if precision == "fp32" else "tf32"
    peak = next((v[peak_key] for k, v in PEAK_FLOPS.items()
                 if device.type == "cuda" and k in torch.cuda.get_device_name(device)), None)
    return Throughput(model_name, precision, compile, bn_batch, channels_last, deterministic, batch_size, train_rate, iterations * batch_size / model_s,
                      2 * len(eval_set) / eval_s, 1 - train_rate / (iterations * batch_size / model_s), peak_mb,
                      flops / 1e12, flops / peak if peak else None, warmup_s, cuda_graphs)
