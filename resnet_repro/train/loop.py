"""Train one CIFAR-style run: SGD on the device-resident pipeline, logged, evaluated, checkpointed.

The hot loop does no host-device syncs: loss and error counts accumulate on the device and are
read once per `log_every` iterations, when a metrics row is written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
import torch.nn.functional as F

from ..config import RunConfig
from ..data.sources import Splits
from ..errors import UserError
from ..faults import maybe_fault
from ..models import build_model
from ..store.layout import MetricsLog, RunFiles
from .checkpoint import load_checkpoint, save_checkpoint
from .compiled import CudaGraphCheck, compile_mode, compile_model
from .ghost_bn import use_ghost_batch_norm
from .bn_stats import bn_buffers, recompute_bn_stats
from .optim import decay_groups, load_sgd_state, make_sgd, set_lr
from .precision import use_precision
from .schedule import LRSchedule
from .distributed import SINGLE, World
from .streams import make_streams


class Reporter:
    """Progress callbacks; the CLI supplies a rich progress bar, tests use this silent one."""

    def start(self, run_name: str, total: int, done: int) -> None: ...

    def update(self, iteration: int, stats: dict) -> None: ...

    def message(self, text: str) -> None: ...

    def finish(self) -> None: ...

    def lane(self, run_name: str) -> "Reporter":
        """The reporter for one of several runs training at once (run --jobs)."""
        return self


class StopFlag:
    """Set by a signal handler; the loop checks it after every iteration (a plain attribute read)."""

    def __init__(self):
        self.requested: str | None = None


@dataclass
class RunOutcome:
    status: str  # finished | failed | interrupted
    final: dict
    warnings: list[str] = field(default_factory=list)


def build_run_model(config: RunConfig, splits: Splits) -> nn.Module:
    torch.manual_seed(config.seed)  # the init is part of the run: seeded by the run's seed
    recipe = config.recipe
    model = build_model(config.model, shortcut=config.shortcut, variant=config.variant, family=config.family,
                        num_classes=splits.num_classes, in_channels=splits.in_channels,
                        he_init_fan=recipe.he_init_fan, fc_init=recipe.fc_init)
    if config.recipe.bn_batch:
        use_ghost_batch_norm(model, config.recipe.bn_batch)
    model.activation_checkpointing = config.recipe.activation_checkpointing
    return model


def evaluate(model: nn.Module, data, autocast) -> tuple[float, float]:
    """(mean loss, error %) over every image the set yields, in eval mode."""
    was_training = model.training
    model.eval()
    loss_sum, wrong, seen = 0.0, 0, 0
    with torch.inference_mode(), autocast():
        for x, y in data.batches():
            logits = model(x).float()
            loss_sum = loss_sum + F.cross_entropy(logits, y, reduction="sum")
            wrong = wrong + (logits.argmax(1) != y).sum()
            seen += len(y)
    model.train(was_training)
    return float(loss_sum) / max(seen, 1), 100.0 * float(wrong) / max(seen, 1)


def train_run(config: RunConfig, splits: Splits, files: RunFiles, device: torch.device,
              reporter: Reporter | None = None, stop: StopFlag | None = None, world: World = SINGLE) -> RunOutcome:
    reporter = reporter or Reporter()
    stop = stop or StopFlag()
    recipe, options = config.recipe, config.settings.train
    channels_last = options.channels_last
    model = build_run_model(config, splits).to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters())
    check_bn_share(config, world)
    optimizer = make_sgd(decay_groups(model, recipe.weight_decay, recipe.weight_decay_on_bn_and_bias), recipe.lr,
                         recipe.momentum, recipe.weight_decay, device)
    schedule = LRSchedule(recipe)
    stream, test_set, val_set = make_streams(config, splits, device, world)

    start, elapsed_before, window_carry, last = 0, 0.0, {"loss_sum": 0.0, "wrong": 0, "seen": 0}, {}
    state, warnings = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
    if state is not None:
        if state.get("config") != config.to_dict():
            raise UserError(f"{files.checkpoint} belongs to a different config than run {config.name}; delete "
                            f"{files.dir} to retrain it")
        model.load_state_dict(state["model"])
        load_sgd_state(optimizer, state["optimizer"])
        schedule.load(state["schedule"])
        start, elapsed_before = state["iteration"], state["elapsed_s"]
        window_carry = state["window"]
        torch.set_rng_state(state["rng_cpu"].cpu())  # loaded onto the training device with everything else
        last = dict(state.get("last") or {})  # the exact final values, should the kill fall just before final.json
    metrics = MetricsLog(files.metrics, resume_from=start) if world.is_main else None
    step_model = model
    if world.distributed:  # gradients averaged over processes; BN buffers are averaged at log points instead
        step_model = world.wrap(model, device)
    graphs = None  # with --compile: did CUDA graphs run? (decided while the first iterations compile)
    if options.compile:
        mode = compile_mode(device, world.distributed)
        graphs = CudaGraphCheck(expected=mode == "reduce-overhead")
        step_model = compile_model(step_model, mode)
    cuda_graphs = "off" if graphs is None else None
    autocast = use_precision(device, options.precision, options.deterministic)

    reporter.start(config.name, recipe.iterations, start)
    model.train()
    # Training loss and mistakes of the current log window, accumulated on the device. An interrupted
    # run checkpoints mid-window, so it carries the partial sums over.
    loss_sum = torch.tensor(window_carry["loss_sum"], device=device)
    wrong = torch.tensor(window_carry["wrong"], device=device, dtype=torch.long)
    seen = window_carry["seen"]  # images in the window (batches can be short where unreadable files were skipped)
    window_start = time.perf_counter()
    session_start = window_start
    for iteration in range(start, recipe.iterations):
        lr = schedule.lr(iteration)
        set_lr(optimizer, lr, recipe.momentum_form)
        x, y = stream.batch(iteration)
        if graphs is not None and graphs.expected:  # a new step: the previous replay's outputs may be reused
            torch.compiler.cudagraph_mark_step_begin()
        with autocast():
            logits = step_model(x)
            loss = F.cross_entropy(logits.float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss.detach() * len(y)
        wrong += (logits.detach().argmax(1) != y).sum()
        seen += len(y)
        maybe_fault("iteration", iteration + 1)

        done = iteration + 1
        if done % recipe.log_every and done != recipe.iterations:
            if stop.requested and not world.distributed:  # together, processes stop at a log point
                return _interrupt(config, files, model, optimizer, schedule, done, loss_sum, wrong, seen,
                                  elapsed_before + time.perf_counter() - session_start, params, last, reporter, stop,
                                  warnings)
            continue
        # ---- a log point: the only host-device sync of the loop (and, together, the only collective)
        total_loss, total_wrong, total_seen, stopping = world.sum(
            [loss_sum.item(), float(wrong.item()), float(seen), 1.0 if stop.requested else 0.0])
        if stopping and not stop.requested:
            stop.requested = "a signal to another process"
        train_loss = total_loss / total_seen
        train_error = 100.0 * total_wrong / total_seen
        window_images, seen = int(total_seen), 0
        if cuda_graphs is None:  # the first log point: compilation is over
            cuda_graphs = graphs.verdict()
            graphs.close()
            if cuda_graphs.startswith("skipped"):  # said now, not after 64k iterations; final.json keeps it
                reporter.message(f"{config.name}: warning: torch.compile trains without CUDA graphs "
                                 f"({cuda_graphs}); results are unaffected, only speed")
        loss_sum.zero_()
        wrong.zero_()
        now = time.perf_counter()
        # The window restarts after evaluation and checkpointing, so this is training throughput alone.
        images_per_s = window_images / max(now - window_start, 1e-9)
        if not math.isfinite(train_loss):
            reason = f"loss became {train_loss} by iteration {done} (lr {lr:g}); the run diverged"
            final = _final(config, "failed", done, params, last, elapsed_before + now - session_start, schedule,
                           reason)
            reporter.finish()
            return RunOutcome("failed", final, warnings)
        row = {"iteration": done, "epoch": done * recipe.batch_size / len(stream), "lr": lr,
               "train_loss": train_loss, "train_error": train_error}
        if schedule.observe_train_error(done, train_error):
            reporter.message(f"{config.name}: warm-up ended at iteration {done} "
                             f"(training error {train_error:.1f}% < {recipe.warmup.until_train_error_below:g}%)")
        evaluating = done % recipe.eval_every == 0 or done == recipe.iterations
        checkpoint_due = done % recipe.checkpoint_every == 0 or done == recipe.iterations
        if evaluating or checkpoint_due or stop.requested:  # BN stats are consistent before anyone reads them
            world.average_norm_buffers(model)
        if evaluating and world.is_main:
            maybe_fault("eval", done)
            row["test_loss"], row["test_error"] = evaluate(model, test_set, autocast)
            if val_set is not None:
                row["val_error"] = evaluate(model, val_set, autocast)[1]
        if evaluating and recipe.lr_plateau is not None:
            # The plateau rule watches held-out training images, never the reported set (config.check_recipe
            # requires a holdout with the rule); rank 0 measured it.
            watched = row["val_error"] if world.is_main else 0.0
            watched = world.sum([watched])[0]
            if schedule.observe_eval_error(watched):
                reporter.message(f"{config.name}: error plateaued at {watched:.2f}%; lr divided by "
                                 f"{1 / recipe.lr_decay:g} from iteration {done}")
        row["images_per_s"] = images_per_s
        row["elapsed_s"] = elapsed_before + time.perf_counter() - session_start
        if metrics is not None:
            metrics.append(row)
        last.update({k: v for k, v in row.items() if v is not None})
        reporter.update(done, {"lr": lr, "loss": train_loss, "error": train_error,
                               "test_error": last.get("test_error"), "images_per_s": images_per_s})
        if checkpoint_due and world.is_main:
            _checkpoint(files, config, model, optimizer, schedule, done, row["elapsed_s"], last=last)
            maybe_fault("after-checkpoint", done)
        if stop.requested and done < recipe.iterations:
            return _interrupt(config, files, model, optimizer, schedule, done, loss_sum, wrong, 0, row["elapsed_s"],
                              params, last, reporter, stop, warnings, world.is_main)
        window_start = time.perf_counter()

    reporter.finish()
    elapsed = elapsed_before + time.perf_counter() - session_start
    if start >= recipe.iterations and not last:  # a final checkpoint from before they were stored in it
        last = _last_row(files)
    final = _final(config, "finished", recipe.iterations, params, last, elapsed, schedule)
    final["bn_stats"] = "moving-average"
    if recipe.bn_stats == "recomputed":
        _final_with_recomputed_bn(final, config, files, model, stream, test_set, val_set, autocast, world)
    final["cuda_graphs"] = cuda_graphs
    skipped = sorted(set(getattr(stream, "skipped", [])))  # unreadable images the ImageNet stream left out
    if skipped:
        final["skipped_images"] = {"count": len(skipped), "paths": skipped[:100]}
        warnings.append(f"{len(skipped)} unreadable training image(s) were skipped, e.g. {skipped[0]} "
                        f"(listed in final.json)")
    return RunOutcome("finished", final, warnings)


def check_bn_share(config: RunConfig, world: World) -> None:
    """Under torchrun each process normalises its own slice: it must hold whole groups of recipe.bn_batch, or
    batch norm would silently see fewer images than the recipe says."""
    bn_batch = config.recipe.bn_batch
    share = config.recipe.batch_size // world.size
    if world.distributed and bn_batch and share % bn_batch:
        raise UserError(f"recipe.bn_batch={bn_batch} does not divide each process's share of the batch ({share} "
                        f"images on {world.size} processes); run on {config.recipe.batch_size // bn_batch} processes "
                        f"or fewer, or set --set recipe.bn_batch={share} (a deviation)")


def _final_with_recomputed_bn(final: dict, config: RunConfig, files: RunFiles, model: nn.Module, stream, test_set,
                              val_set, autocast, world: World) -> None:
    """Recompute BN statistics over recipe.bn_stats_images training images, evaluate with them, and keep them
    beside the final checkpoint (the weights' moving averages stay in it: a rerun recomputes the same)."""
    recipe = config.recipe
    count = recipe.bn_stats_images // recipe.batch_size
    # Batches the run never trained on, keyed like the rest: iterations past the last one, the recipe's
    # augmentation; each process takes its slice and the averages are averaged over processes.
    batches = (stream.batch(recipe.iterations + k)[0] for k in range(count))
    recompute_bn_stats(model, batches, autocast)
    world.average_norm_buffers(model)
    final["bn_stats"] = f"recomputed over {recipe.bn_stats_images} training images"
    final["test_error_moving_average"] = final["test_error"]
    final["val_error_moving_average"] = final["val_error"]
    if not world.is_main:
        return
    final["test_loss"], final["test_error"] = evaluate(model, test_set, autocast)
    if val_set is not None:
        final["val_error"] = evaluate(model, val_set, autocast)[1]
    state, _ = load_checkpoint(files.checkpoint, files.previous_checkpoint, model.fc.weight.device)
    save_checkpoint(files.checkpoint, files.previous_checkpoint, {**state, "bn_recomputed": bn_buffers(model)})


def _checkpoint(files: RunFiles, config: RunConfig, model: nn.Module, optimizer, schedule: LRSchedule, done: int,
                elapsed: float, loss_sum: float = 0.0, wrong: int = 0, seen: int = 0, last: dict | None = None) -> None:
    save_checkpoint(files.checkpoint, files.previous_checkpoint, {
        "iteration": done, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "schedule": schedule.state(), "elapsed_s": elapsed, "rng_cpu": torch.get_rng_state(),
        "window": {"loss_sum": loss_sum, "wrong": wrong, "seen": seen}, "config": config.to_dict(),
        "last": dict(last or {})})  # full precision: metrics.csv keeps 6 significant digits


def _interrupt(config, files, model, optimizer, schedule, done, loss_sum, wrong, seen, elapsed, params, last,
               reporter, stop, warnings, writes: bool = True) -> RunOutcome:
    """Checkpoint where we are (mid-window sums included) so the next `run` continues exactly."""
    if writes:
        _checkpoint(files, config, model, optimizer, schedule, done, elapsed, loss_sum.item(), int(wrong.item()),
                    seen, last)
    reporter.finish()
    reason = f"stopped by {stop.requested} at iteration {done}"
    return RunOutcome("interrupted", _final(config, "interrupted", done, params, last, elapsed, schedule, reason),
                      warnings)


def _final(config: RunConfig, status: str, iterations: int, params: int, last: dict, wall_s: float,
           schedule: LRSchedule, reason: str | None = None) -> dict:
    return {"status": status, "run": config.name, "model": config.model, "shortcut": config.shortcut,
            "seed": config.seed, "profile": config.profile, "dataset": config.data.dataset,
            "iterations": iterations, "params": params,
            "train_loss": last.get("train_loss"), "train_error": last.get("train_error"),
            "test_loss": last.get("test_loss"), "test_error": last.get("test_error"),
            "val_error": last.get("val_error"), "warmup_ended_at": schedule.warmup_ended_at,
            "wall_s": wall_s, "reason": reason}


def _last_row(files: RunFiles) -> dict:
    from ..store.layout import read_metrics

    rows = read_metrics(files.metrics)
    last = {}
    for row in rows:
        last.update({k: float(v) for k, v in row.items() if v not in ("", None)})
    return last
