"""Train one CIFAR-style run: SGD on the device-resident pipeline, logged, evaluated, checkpointed.

The hot loop does no host-device syncs: loss and error counts accumulate on the device and are
read once per `log_every` iterations, when a metrics row is written. A RunSession takes the step, then
does the log point's work in the order that is part of the numbers (divergence, warm-up, evaluation, the
plateau rule, the row, checkpoints), with its hooks (run_hooks: the CPU's threads, progress) called at fixed
points between. What changes as the run trains is a TrainState (state.py, whose `step` bench times too);
what does not is a Loop.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from ..basics.errors import UserError
from ..basics.faults import maybe_fault
from ..basics.words import agreeing, counted
from ..data.sources import Splits
from ..models import Layers, ModelInit, build_model
from ..specs.config import RunConfig
from ..store.layout import MetricsLog, RunFiles, read_metrics
from ..store.results_file import MEASURES
from .bn_stats import bn_buffers, recompute_bn_stats
from .checkpoint import load_checkpoint, save_checkpoint
from .context import Reporter
from .distributed import SINGLE, World
from .ghost_bn import norm_layer
from .graphed import GraphedStep
from .optim import load_sgd_state, set_lr
from .schedule import LRSchedule
from .state import StepSpec, TrainState, step, train_state, window_sums
from .streams import make_streams
from .threads import FreeCoreWatch


@dataclass
class StopFlag:
    """Set by a signal handler; the loop checks it after every iteration (a plain attribute read)."""

    requested: str | None = None


@dataclass
class RunReport:
    """How a run ended, with its final.json values: finished, failed or interrupted here, or skipped (it had ended
    before this command; a run that failed then stays failed); `warnings` are what training it met."""

    name: str
    status: str  # finished | failed | interrupted | skipped (already finished)
    final: dict | None
    warnings: list[str] = field(default_factory=list)


def build_run_model(config: RunConfig, splits: Splits) -> nn.Module:
    torch.manual_seed(config.seed)  # the init is part of the run: seeded by the run's seed
    recipe = config.recipe
    return build_model(
        config.model,
        shortcut=config.shortcut,
        variant=config.variant,
        family=config.family,
        num_classes=splits.num_classes,
        in_channels=splits.in_channels,
        init=ModelInit(recipe.he_init_fan, recipe.fc_init, recipe.zero_init_residual, recipe.bn_momentum),
        layers=Layers(norm_layer(recipe.bn_batch), recipe.activation_checkpointing),
    )


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


@dataclass(frozen=True)
class RunInputs:
    """What one run trains from and reports to: made once where the run starts (runner.py, a test), handed whole to
    its session, and kept by its Loop."""

    config: RunConfig
    splits: Splits
    files: RunFiles
    device: torch.device
    reporter: Reporter = field(default_factory=Reporter)
    stop: StopFlag = field(default_factory=StopFlag)
    world: World = SINGLE


class RunSession:
    """One run's training, an iteration at a time: `step` (the SGD update, launched without waiting) and then
    `after_step` (its hooks, and the log point's work when one is due); `outcome` is set once the run has ended.

    A pack of runs (pack.py, a run alone being a pack of one) calls every run's `step` before any run's
    `after_step`, so one run's log point never leaves the GPU without the others' work.
    """

    def __init__(self, run: RunInputs, hooks: list[RunHook] | None = None):
        self.recipe = run.config.recipe
        self.hooks = run_hooks(run.reporter) if hooks is None else hooks
        self.state, self.loop = start(run)
        for hook in self.hooks:
            hook.on_start(self)
        if run.device.type == "cpu":
            self.state.note_threads(torch.get_num_threads())
        self.state.model.train()
        self.outcome: RunReport | None = None
        if self.state.iteration >= self.recipe.iterations:
            self._end(finish(self.state, self.loop))

    def step(self) -> None:
        """This iteration's lr, its batch, one SGD update (the window's sums stay on the device)."""
        state, loop = self.state, self.loop
        set_lr(state.optimizer, state.schedule.lr(state.iteration), self.recipe.momentum_form)
        (state.step_fn or step)(state, *loop.stream.batch(state.iteration))  # advances state.iteration

    def after_step(self) -> None:
        """What follows the step: every hook's `on_step`; at a log point, the window's row, measured, written and
        shown (every hook's `on_log_point`), and the checkpoint. Sets `outcome` when the run ends (finished,
        diverged, interrupted)."""
        outcome = self._after_step()
        if outcome is not None:
            self._end(outcome)

    def due(self, every: int) -> bool:
        """Whether the iteration just done is a multiple of `every`, or the run's last."""
        return self.state.iteration % every == 0 or self.state.iteration == self.recipe.iterations

    def _after_step(self) -> RunReport | None:
        """The log point's work comes in an order that is part of the numbers: the thread count is settled (the
        hooks' `on_step`) before evaluating; the row is complete before it is written and shown; the checkpoint
        holds the written row."""
        state, loop, done = self.state, self.loop, self.state.iteration
        maybe_fault("iteration", done)  # for tests: RESNET_REPRO_FAULT=iteration:N kills the process after step N
        for hook in self.hooks:
            hook.on_step(self)
        if not self.due(self.recipe.log_every):
            # processes that train together stop together, at a log point
            if loop.stop.requested and not loop.world.distributed:
                return interrupt(state, loop, state.elapsed())
            return None
        row = log_point(state, loop)  # the loop's one host-device sync (and, together, its one collective)
        if not math.isfinite(row["train_loss"]):
            reason = f"loss became {row['train_loss']} by iteration {done} (lr {row['lr']:g}); the run diverged"
            return _outcome(state, loop, "failed", state.elapsed(), reason)
        self._learn_from(row)
        # the row, timed to here, into metrics.csv (rank 0) and the run's latest values
        row["elapsed_s"] = state.elapsed()
        if loop.metrics is not None:
            loop.metrics.append(row)
        state.last.update({k: v for k, v in row.items() if v is not None})
        if row.get("test_error") is not None:  # its age: the progress line must not pass an old number off as new
            state.last["test_iteration"] = done
        for hook in self.hooks:
            hook.on_log_point(self, row)
        # rank 0, every checkpoint_every and at the end: everything the run needs to continue exactly
        if self.due(self.recipe.checkpoint_every) and loop.world.is_main:
            checkpoint(state, loop, row["elapsed_s"])
            maybe_fault("after-checkpoint", done)
        if loop.stop.requested and done < self.recipe.iterations:
            return interrupt(state, loop, row["elapsed_s"])
        if done == self.recipe.iterations:
            return finish(state, loop)
        state.window_start = time.perf_counter()  # images/s measures training alone, not the work above
        return None

    def _learn_from(self, row: dict) -> None:
        """What a log point adds to its row, and what the run learns from it: the end of the warm-up, the BN
        statistics agreed over processes, the test error and the plateau rule every eval_every."""
        state, loop, recipe = self.state, self.loop, self.recipe
        # The lr stays low until the training error first falls below the recipe's bar; the schedule is told this
        # log point's training error, and the end of the warm-up is said.
        if state.schedule.observe_train_error(state.iteration, row["train_error"]):
            loop.reporter.message(
                f"{loop.config.name}: warm-up ended at iteration {state.iteration} (training error "
                f"{row['train_error']:.1f}% < {recipe.warmup.until_train_error_below:g}%)"
            )
        evaluating = self.due(recipe.eval_every)
        # Each process's BN running statistics agree before anything reads them (evaluation, checkpoint, a stop).
        if evaluating or self.due(recipe.checkpoint_every) or loop.stop.requested:
            loop.world.average_norm_buffers(state.model)
        if evaluating and loop.world.is_main:  # rank 0 measures
            maybe_fault("eval", state.iteration)
            loop.measure(state, row)
        if not evaluating or recipe.lr_plateau is None:
            return
        # The lr drops when the held-out error stops improving (recipe.lr_plateau). It watches held-out training
        # images, never the reported set (config.check_recipe requires a holdout with the rule); rank 0 measured
        # them and every process takes its number.
        watched = loop.world.sum([row["val_error"] if loop.world.is_main else 0.0])[0]
        if state.schedule.observe_eval_error(watched):
            loop.reporter.message(
                f"{loop.config.name}: error plateaued at {watched:.2f}%; lr divided by "
                f"{1 / recipe.lr_decay:g} from iteration {state.iteration}"
            )

    def _end(self, outcome: RunReport) -> None:
        self.outcome = outcome
        for hook in self.hooks:
            hook.on_end(self, outcome)


class RunHook:
    """A concern of a run that acts between log points too, called by the loop at fixed points, in list order
    (run_hooks); each method does nothing unless overridden."""

    def on_start(self, session: RunSession) -> None:
        """Once the run is built (or resumed), before its first step."""

    def on_step(self, session: RunSession) -> None:
        """After every step, before the log point's work (session.due(recipe.log_every) says whether one follows)."""

    def on_log_point(self, session: RunSession, row: dict) -> None:
        """At a log point, with the window's metrics row, complete and written, before the checkpoint."""

    def on_end(self, session: RunSession, outcome: RunReport) -> None:
        """Once, when the run has ended (finished, failed, interrupted)."""


def run_hooks(reporter: Reporter, threads: FreeCoreWatch | None = None) -> list[RunHook]:
    """A run's hooks, in the order the loop calls them: the CPU's threads, where watched, then progress."""
    watch = [ThreadWatch(threads)] if threads is not None else []
    return [*watch, Progress(reporter)]


class ThreadWatch(RunHook):
    """On a CPU: follow the cores other work leaves free, changing the thread count only for a large gain. Between
    log points a look when due, else a clock read; at a log point a look, before the row is measured."""

    def __init__(self, watch: FreeCoreWatch):
        self.watch = watch

    def on_step(self, session: RunSession) -> None:
        at_log_point = session.due(session.recipe.log_every)
        session.state.note_threads(self.watch.log_point() if at_log_point else self.watch.look_if_due())


class Progress(RunHook):
    """The progress line: started, updated at each log point with the latest values, finished. Between log points
    (a minute apart for a deep net on a busy CPU) its bar moves every `every_s` seconds: a clock read per step."""

    def __init__(self, reporter: Reporter, every_s: float = 1.0):
        self.reporter, self.every_s = reporter, every_s
        self.next_advance = 0.0

    def on_start(self, session: RunSession) -> None:
        self.reporter.start(session.loop.config.name, session.recipe.iterations, session.state.iteration)
        self.next_advance = time.monotonic() + self.every_s

    def on_step(self, session: RunSession) -> None:
        now = time.monotonic()
        if now >= self.next_advance and not session.due(session.recipe.log_every):  # a log point has its update
            self.reporter.advance(session.state.iteration)
            self.next_advance = now + self.every_s

    def on_log_point(self, session: RunSession, row: dict) -> None:
        last = session.state.last  # the latest test error, with its age, should this row have none
        self.reporter.update(
            session.state.iteration,
            {
                "lr": row["lr"],
                "loss": row["train_loss"],
                "error": row["train_error"],
                "test_error": last.get("test_error"),
                "test_iteration": last.get("test_iteration"),
                "images_per_s": row["images_per_s"],
            },
        )

    def on_end(self, session: RunSession, outcome: RunReport) -> None:
        self.reporter.finish()


# built by name: several fields share the type `object`, so an order slip would pass
@dataclass(frozen=True, kw_only=True)
class Loop(RunInputs):
    """What the loop works with that does not change while it runs: the run's inputs, and what is built from them."""

    stream: object  # the training batches by iteration (TrainStream, ImageNetTrainStream)
    test_set: object  # the reported set
    val_set: object | None  # held-out training images, or None
    metrics: MetricsLog | None  # rank 0 writes metrics.csv
    warnings: list[str]  # what resuming met (a damaged checkpoint skipped for the one before it), and more

    def measure(self, state: TrainState, into: dict) -> None:
        """The test loss and error, and the held-out error where the recipe holds some training images out."""
        into["test_loss"], into["test_error"] = evaluate(state.model, self.test_set, state.autocast)
        if self.val_set is not None:
            into["val_error"] = evaluate(state.model, self.val_set, state.autocast)[1]


def start(run: RunInputs) -> tuple[TrainState, Loop]:
    """The model, optimizer and schedule, resumed from the run's checkpoint if it has one; compiled and wrapped
    as the run's options say."""
    config, splits, device, world = run.config, run.splits, run.device, run.world
    model = build_run_model(config, splits)
    check_bn_share(config, world)
    state = train_state(model, device, StepSpec.of(config), LRSchedule(config.recipe), world)
    stream, test_set, val_set = make_streams(config, splits, device, world)
    warnings = resume(state, run)  # into the weights the wrapped and compiled step shares
    loop = Loop(
        **vars(run),
        stream=stream,
        test_set=test_set,
        val_set=val_set,
        metrics=MetricsLog(run.files.metrics, resume_from=state.iteration) if world.is_main else None,
        warnings=warnings,
    )
    if graphs_wanted(device, config.settings.train.compile, world.distributed):
        state.step_fn = GraphedStep()
    state.session_start = state.window_start = time.perf_counter()
    return state, loop


def graphs_wanted(device: torch.device, compiled: bool, distributed: bool) -> bool:
    """Whether the eager step is replayed as a CUDA graph (graphed.py): on a GPU, unless torch.compile brings its
    own graphs or several processes share the run (DDP's gradient hooks cannot be replayed).
    RESNET_REPRO_EAGER=1 launches every kernel from Python instead (the same numbers, for debugging)."""
    return device.type == "cuda" and not compiled and not distributed and os.environ.get("RESNET_REPRO_EAGER") != "1"


def resume(state: TrainState, run: RunInputs) -> list[str]:
    """Continue from the run's checkpoint, if it has a readable one, exactly where it stopped; returns the warnings
    of reading it (a damaged checkpoint skipped for the one before it)."""
    files, config, device = run.files, run.config, run.device
    saved, warnings = load_checkpoint(files.checkpoint, files.previous_checkpoint, device)
    if saved is None:
        return warnings
    if saved.get("config") != config.to_dict():
        raise UserError(
            f"{files.checkpoint} belongs to a different config than run {config.name}; delete {files.dir} to retrain it"
        )
    state.model.load_state_dict(saved["model"])
    load_sgd_state(state.optimizer, saved["optimizer"])
    state.schedule.load(saved["schedule"])
    state.iteration = saved["iteration"]
    state.elapsed_before = saved["elapsed_s"]
    # An interrupted run checkpoints mid-window, so it carries the window's partial sums over.
    state.loss_sum, state.wrong, state.seen = window_sums(device, saved["window"])
    state.carried = state.seen  # trained in the last session: this session's clock did not see them
    torch.set_rng_state(saved["rng_cpu"].cpu())  # loaded onto the training device with everything else
    state.last = dict(saved.get("last") or {})  # the exact final values, should the kill fall just before final.json
    state.thread_segments = [list(segment) for segment in saved.get("cpu_threads") or []]
    return warnings


def log_point(state: TrainState, loop: Loop) -> dict:
    """The metrics row of the window just ended: its training loss and error summed over processes (the loop's
    one host-device sync), and the images/s it trained at. The window's sums restart from zero."""
    sums = [state.loss_sum.item(), float(state.wrong.item()), float(state.seen), float(state.carried)]
    total_loss, total_wrong, total_seen, carried, stopping = loop.world.sum([*sums, float(bool(loop.stop.requested))])
    if stopping and not loop.stop.requested:
        loop.stop.requested = "a signal to another process"
    state.seen = state.carried = 0
    if state.cuda_graphs is None:  # the first log point: compilation is over
        note_cuda_graphs(state, loop)
    state.loss_sum.zero_()
    state.wrong.zero_()
    done = state.iteration
    return {
        "iteration": done,
        "epoch": done * loop.config.recipe.batch_size / len(loop.stream),
        "lr": state.optimizer.param_groups[0]["lr"],  # the schedule's, as the window's last step used it
        "train_loss": total_loss / total_seen,
        "train_error": 100.0 * total_wrong / total_seen,
        "images_per_s": int(total_seen - carried) / max(time.perf_counter() - state.window_start, 1e-9),
    }


def note_cuda_graphs(state: TrainState, loop: Loop) -> None:
    state.cuda_graphs = state.graphs.verdict()
    state.graphs.close()
    if state.cuda_graphs.startswith("skipped"):  # said now, not after 64k iterations; final.json keeps it
        loop.reporter.message(
            f"{loop.config.name}: warning: torch.compile trains without CUDA graphs "
            f"({state.cuda_graphs}); results are unaffected, only speed"
        )


def finish(state: TrainState, loop: Loop) -> RunReport:
    """The run's final.json values (after recomputing BN statistics where the recipe says so)."""
    elapsed = state.elapsed()
    if not state.last:  # resumed at the end from a final checkpoint written before checkpoints held these values
        for row in read_metrics(loop.files.metrics):
            state.last.update({k: float(v) for k, v in row.items() if v not in ("", None)})
    outcome = _outcome(state, loop, "finished", elapsed)  # at recipe.iterations: the checkpoint's config is the run's
    final = outcome.final
    final["bn_stats"] = "moving-average"
    if loop.config.recipe.bn_stats == "recomputed":
        _final_with_recomputed_bn(final, state, loop)
    final["cuda_graphs"] = state.step_fn.verdict() if isinstance(state.step_fn, GraphedStep) else state.cuda_graphs
    skipped = sorted(set(getattr(loop.stream, "skipped", [])))  # unreadable images the ImageNet stream left out
    if skipped:
        final["skipped_images"] = {"count": len(skipped), "paths": skipped[:100]}
        loop.warnings.append(
            f"{counted(len(skipped), 'unreadable training image')} {agreeing(len(skipped), 'was', 'were')} skipped, e.g. {skipped[0]} (listed in final.json)"
        )
    return outcome


def check_bn_share(config: RunConfig, world: World) -> None:
    """Under torchrun each process normalises its own slice: it must hold whole groups of recipe.bn_batch, or
    batch norm would silently see fewer images than the recipe says."""
    bn_batch, batch = config.recipe.bn_batch, config.recipe.batch_size
    share = batch // world.size
    if not (world.distributed and bn_batch and (share % bn_batch or batch % world.size)):
        return
    groups, fits = batch // bn_batch, config.recipe.most_processes(world.size)  # the most, up to this many
    layout = counted(fits, "process", "processes") + (
        f" (or another number that divides {groups})" if groups > 2 else ""
    )
    if batch % world.size:  # no bn_batch makes the shares whole
        raise UserError(
            f"recipe.batch_size={batch} does not split equally among {world.size} processes in whole groups of "
            f"recipe.bn_batch={bn_batch}; run on {layout}"
        )
    raise UserError(
        f"recipe.bn_batch={bn_batch} does not divide each process's share of the batch ({counted(share, 'image')} "
        f"on {world.size} processes); run on {layout}, or set --set recipe.bn_batch={share} (a deviation)"
    )


def _final_with_recomputed_bn(final: dict, state: TrainState, loop: Loop) -> None:
    """Recompute BN statistics over recipe.bn_stats_images training images, evaluate with them, and keep them
    beside the final checkpoint (the weights' moving averages stay in it: a rerun recomputes the same)."""
    recipe, model, files = loop.config.recipe, state.model, loop.files
    count = recipe.bn_stats_images // recipe.batch_size
    # Batches the run never trained on, keyed like the rest: iterations past the last one, the recipe's
    # augmentation; each process takes its slice and the averages are averaged over processes.
    batches = (loop.stream.batch(recipe.iterations + k)[0] for k in range(count))
    recompute_bn_stats(model, batches, state.autocast)
    loop.world.average_norm_buffers(model)
    final["bn_stats"] = f"recomputed over {recipe.bn_stats_images} training images"
    final["test_error_moving_average"] = final["test_error"]
    final["val_error_moving_average"] = final["val_error"]
    if not loop.world.is_main:
        return
    loop.measure(state, final)
    saved, _ = load_checkpoint(files.checkpoint, files.previous_checkpoint, model.fc.weight.device)
    save_checkpoint(files.checkpoint, files.previous_checkpoint, {**saved, "bn_recomputed": bn_buffers(model)})


def checkpoint(state: TrainState, loop: Loop, elapsed: float) -> None:
    """Everything the run needs to continue exactly: weights, momentum, schedule, RNG, the window's sums so far."""
    save_checkpoint(
        loop.files.checkpoint,
        loop.files.previous_checkpoint,
        {
            "iteration": state.iteration,
            "model": state.model.state_dict(),
            "optimizer": state.optimizer.state_dict(),
            "schedule": state.schedule.state(),
            "elapsed_s": elapsed,
            "rng_cpu": torch.get_rng_state(),
            "window": {"loss_sum": state.loss_sum.item(), "wrong": int(state.wrong.item()), "seen": state.seen},
            "config": loop.config.to_dict(),
            "last": dict(state.last),
            "cpu_threads": state.thread_segments,
        },
    )  # full precision: metrics.csv keeps 6 significant digits


def interrupt(state: TrainState, loop: Loop, elapsed: float) -> RunReport:
    """Checkpoint where we are (mid-window sums included, rank 0) so the next `run` continues exactly."""
    if loop.world.is_main:
        checkpoint(state, loop, elapsed)
    reason = f"stopped by {loop.stop.requested} at iteration {state.iteration}"
    return _outcome(state, loop, "interrupted", elapsed, reason)


def _outcome(state: TrainState, loop: Loop, status: str, wall_s: float, reason: str | None = None) -> RunReport:
    """The run's ending, with its final.json values."""
    config, last = loop.config, state.last
    final = {
        "status": status,
        "run": config.name,
        "model": config.model,
        "shortcut": config.shortcut,
        "seed": config.seed,
        "profile": config.profile,
        "dataset": config.data.dataset,
        "iterations": state.iteration,
        "params": sum(p.numel() for p in state.model.parameters()),
        **{key: last.get(key) for key in MEASURES},  # the last values of metrics.csv's columns of the same names
        "warmup_ended_at": state.schedule.warmup_ended_at,
        "cpu_threads": state.thread_segments or None,
        "wall_s": wall_s,
        "reason": reason,
    }
    return RunReport(config.name, status, final, loop.warnings)
