"""The training step is one function: `run` trains with it and `bench` times it."""

import torch

from resnet_repro.analysis import throughput
from resnet_repro.data.sources import ImageSet, Splits
from resnet_repro.specs.experiments import load_target, resolve_runs
from resnet_repro.store.layout import RunFiles
from resnet_repro.train import loop, state

from .conftest import train_run


def test_bench_times_the_step_a_run_trains_with(tmp_path, monkeypatch):
    """bench's timed steps and three iterations of a run with bench's recipe (lr 0.01, momentum 0.9, weight decay
    1e-4, BN over 16 of 32 images) end in the same weights and BN statistics, bit for bit."""
    settings = throughput.BenchSettings(
        batch_size=32, iterations=2, warmup=1, eval_batch_size=16, images=96, bn_batch=16
    )
    seen = {}
    real_bench_state, real_timed = throughput.bench_state, throughput._timed

    def spy_bench_state(*args):
        seen["state"], stream, data = real_bench_state(*args)
        seen["data"] = data
        return seen["state"], stream, data

    def spy_timed(work, iterations, warmup, device):
        result = real_timed(work, iterations, warmup, device)
        if "after_training_steps" not in seen:  # the first timing: warm-up + timed steps on the stream's batches
            seen["after_training_steps"] = {k: v.clone() for k, v in seen["state"].model.state_dict().items()}
        return result

    assert throughput.step is loop.step is state.step
    steps = []
    real_step = state.step
    monkeypatch.setattr(throughput, "bench_state", spy_bench_state)
    monkeypatch.setattr(throughput, "_timed", spy_timed)
    monkeypatch.setattr(throughput, "step", lambda *a: (steps.append("bench"), real_step(*a)))
    throughput.measure("resnet20", torch.device("cpu"), settings)
    assert steps == ["bench"] * 6  # 3 on the stream's batches, 3 on one fixed batch

    (config,) = resolve_runs(
        load_target("fig6"),
        "smoke",
        seeds=[0],
        only="resnet-20",
        overrides=["recipe.lr=0.01", "recipe.lr_steps=[]", "recipe.iterations=3", "recipe.momentum_form=torch"],
    )
    assert (config.recipe.batch_size, config.recipe.bn_batch, config.recipe.momentum, config.recipe.weight_decay) == (
        32,
        16,
        0.9,
        1e-4,
    )
    data = seen["data"]
    splits = Splits(data, ImageSet(data.images[:32], data.labels[:32]), None, {})
    files = RunFiles(tmp_path, config.name)
    monkeypatch.setattr(loop, "step", lambda *a: (steps.append("run"), real_step(*a)))
    outcome = train_run(loop.RunInputs(config, splits, files, torch.device("cpu")))
    assert outcome.status == "finished" and steps[6:] == ["run"] * 3
    trained = torch.load(files.checkpoint, weights_only=True)["model"]
    benched = seen["after_training_steps"]
    assert trained.keys() == benched.keys()
    assert all(torch.equal(trained[k], benched[k]) for k in trained)
    assert not torch.equal(trained["fc.weight"], _initial_fc(settings))  # the steps did train


def _initial_fc(settings) -> torch.Tensor:
    fresh, _, _ = throughput.bench_state("resnet20", torch.device("cpu"), settings)
    return fresh.model.state_dict()["fc.weight"]


def test_a_step_updates_the_weights_and_adds_its_loss_and_mistakes_to_the_window():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 3))
    sgd = torch.optim.SGD(model.parameters(), lr=0.1)
    train = state.TrainState(
        model, model, sgd, lambda: torch.autocast("cpu", enabled=False), *state.window_sums(torch.device("cpu"))
    )
    x, y = torch.randn(5, 3, 2, 2), torch.tensor([0, 1, 2, 0, 1])
    before = model[1].weight.detach().clone()
    with torch.no_grad():
        logits = model(x)
    expected_loss = torch.nn.functional.cross_entropy(logits, y).item() * 5
    expected_wrong = int((logits.argmax(1) != y).sum())
    state.step(train, x, y)
    assert (train.iteration, train.seen, int(train.wrong)) == (1, 5, expected_wrong)
    assert abs(float(train.loss_sum) - expected_loss) < 1e-5
    assert not torch.equal(model[1].weight, before)
    carried = state.window_sums(torch.device("cpu"), {"loss_sum": 2.5, "wrong": 3, "seen": 7})
    assert (float(carried[0]), int(carried[1]), carried[2]) == (2.5, 3, 7) and carried[1].dtype == torch.long


def test_the_first_window_after_a_resume_times_only_the_images_trained_since():
    """A run stopped mid-window carries the window's sums over; the images trained before the stop count in the
    window's error but not in its images/s (the new session's clock never saw them)."""
    import time
    from types import SimpleNamespace

    from resnet_repro.train.distributed import SINGLE

    sums = state.window_sums(
        torch.device("cpu"), {"loss_sum": 11 * 128 * 0.5, "wrong": 11 * 128 // 4, "seen": 11 * 128}
    )
    optimizer = SimpleNamespace(param_groups=[{"lr": 0.1}])  # the lr the schedule set for the window's steps
    train = state.TrainState(None, None, optimizer, None, *sums, carried=11 * 128, iteration=12)
    train.seen += 128  # the one iteration trained since the resume
    train.loss_sum += 128 * 0.5
    train.window_start = time.perf_counter() - 2.0
    recipe = SimpleNamespace(batch_size=128)
    run = SimpleNamespace(world=SINGLE, stop=loop.StopFlag(), config=SimpleNamespace(recipe=recipe), stream=range(1280))
    row = loop.log_point(train, run)
    assert row["lr"] == 0.1 and row["train_loss"] == 0.5 and row["train_error"] == 100.0 * (11 * 128 // 4) / (12 * 128)
    assert 50 < row["images_per_s"] <= 64  # 128 images in 2 s, not 1536
    assert (train.seen, train.carried) == (0, 0)
