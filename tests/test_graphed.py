"""The recorded step (train/graphed.py): its decisions, checked on a CPU with a recorder that hands the work back.

A CUDA graph runs the eager step's own kernels, so a recorded run's numbers are the eager run's. On a CPU the
recording is replaced by the work itself (recorded, not run; each replay runs it): what is tested is the logic
around it, when it records, when it records again, when it stays eager, and that none of it changes a number.
"""

import numpy as np
import pytest
import torch

from resnet_repro.data.sources import ImageSet, Splits
from resnet_repro.specs.experiments import load_target, resolve_runs
from resnet_repro.store.layout import RunFiles, read_metrics
from resnet_repro.train.graphed import GraphedStep
from resnet_repro.train.loop import RunInputs, RunSession


def _splits() -> Splits:
    generator = np.random.default_rng(0)
    images = ImageSet(
        generator.integers(0, 256, (64, 3, 32, 32), dtype=np.uint8), generator.integers(0, 10, 64).astype(np.int64)
    )
    return Splits(images, ImageSet(images.images[:32], images.labels[:32]), None, {})


def _train(tmp_path, name: str, step_fn=None):
    (config,) = resolve_runs(load_target("fig6"), "smoke", seeds=[0], only="resnet-20")  # lr /10 at 8 of 12
    files = RunFiles(tmp_path / name, config.name)
    session = RunSession(RunInputs(config, _splits(), files, torch.device("cpu")))
    if step_fn is not None:
        session.state.step_fn = step_fn
    while session.outcome is None:
        session.step()
        session.after_step()
    rows = [
        {k: v for k, v in row.items() if k not in ("images_per_s", "elapsed_s")} for row in read_metrics(files.metrics)
    ]
    return session.outcome, rows


class Recorder:
    """Stands in for a CUDA graph: counts the recordings and hands the recorded work back as its replay."""

    def __init__(self, fail: str | None = None):
        self.recordings, self.fail = 0, fail

    def __call__(self, work):
        self.recordings += 1
        if self.fail:
            raise RuntimeError(self.fail)
        return work


def test_a_recorded_run_records_after_the_eager_steps_and_again_after_each_lr_change(tmp_path):
    eager, eager_rows = _train(tmp_path, "eager")
    recorder = Recorder()
    graphed = GraphedStep(record=recorder)
    outcome, rows = _train(tmp_path, "graphed", graphed)
    assert rows == eager_rows  # every logged number, to the last digit
    assert outcome.final["train_loss"] == eager.final["train_loss"]
    assert outcome.final["test_error"] == eager.final["test_error"]
    assert recorder.recordings == 2  # at step 4 (after 3 eager steps, lr 0.1), and at step 9 (lr 0.01)
    assert outcome.final["cuda_graphs"] == "recorded (eager kernels, 2 recordings)"


def test_a_recording_that_fails_leaves_the_run_eager_and_says_why(tmp_path):
    _, eager_rows = _train(tmp_path, "eager")
    recorder = Recorder(fail="operation not permitted when stream is capturing\nmore detail")
    outcome, rows = _train(tmp_path, "failed", GraphedStep(record=recorder))
    assert rows == eager_rows and recorder.recordings == 1  # tried once, then never again
    assert outcome.final["cuda_graphs"] == (
        "eager: recording failed (operation not permitted when stream is capturing)"
    )


@pytest.mark.parametrize(("batch", "replays"), [(8, 1), (16, 2)])
def test_a_batch_of_another_shape_runs_eagerly(batch, replays):
    from resnet_repro.train.state import TrainState

    calls = []

    def record(work):
        calls.append("record")
        return lambda: (calls.append("replay"), work())

    graphed = GraphedStep(eager_steps=0, record=record)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    state = TrainState(
        model=model,
        step_model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        autocast=lambda: torch.autocast("cpu", enabled=False),
        loss_sum=torch.zeros(()),
        wrong=torch.zeros((), dtype=torch.long),
    )
    x, y = torch.randn(16, 12), torch.randint(0, 3, (16,))
    graphed(state, x, y)  # recorded at this shape
    graphed(state, x[:batch], y[:batch])
    assert calls == ["record"] + ["replay"] * replays  # 8 images: eager; 16 again: the recording
    assert state.iteration == 2 and state.seen == 16 + batch
