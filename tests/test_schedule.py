"""The iteration schedule and the ResNet-110 warm-up rule."""

import dataclasses

from resnet_repro.specs.config import Warmup
from resnet_repro.specs.experiments import load_target, resolve_runs
from resnet_repro.train.schedule import LRSchedule


def paper_recipe(model="resnet56"):
    return resolve_runs(load_target("fig6"), "paper", only=model)[0].recipe


def test_lr_at_each_boundary():
    schedule = LRSchedule(paper_recipe())
    assert schedule.lr(0) == 0.1 and schedule.lr(31_999) == 0.1
    assert abs(schedule.lr(32_000) - 0.01) < 1e-12 and abs(schedule.lr(47_999) - 0.01) < 1e-12
    assert abs(schedule.lr(48_000) - 0.001) < 1e-12 and abs(schedule.lr(63_999) - 0.001) < 1e-12


def test_warmup_holds_lr_until_training_error_drops_below_80():
    schedule = LRSchedule(paper_recipe("resnet110"))
    assert schedule.warming_up and schedule.lr(0) == 0.01 and schedule.lr(40_000) == 0.01
    assert not schedule.observe_train_error(100, 85.0)
    assert not schedule.observe_train_error(200, 80.0)  # "below 80%": 80 itself is not below
    assert schedule.observe_train_error(400, 79.9)
    assert schedule.warmup_ended_at == 400 and not schedule.warming_up
    # Back to 0.1, then the same step schedule, counted from iteration 0.
    assert schedule.lr(400) == 0.1 and abs(schedule.lr(32_000) - 0.01) < 1e-12


def test_no_warmup_ignores_training_error():
    schedule = LRSchedule(paper_recipe())
    assert not schedule.observe_train_error(100, 10.0) and schedule.warmup_ended_at is None


def test_warmup_state_survives_via_warmup_ended_at():
    recipe = dataclasses.replace(paper_recipe(), warmup=Warmup(lr=0.01, until_train_error_below=80))
    resumed = LRSchedule(recipe, warmup_ended_at=300)
    assert resumed.lr(350) == 0.1


def test_plateau_rule_divides_the_lr_after_patience_evaluations_without_gain():
    from resnet_repro.specs.config import Plateau

    recipe = dataclasses.replace(paper_recipe(), lr_steps=(), lr_plateau=Plateau(patience=2, min_improvement=0.5))
    schedule = LRSchedule(recipe)
    assert not schedule.observe_eval_error(50.0)  # first evaluation: the best so far
    assert not schedule.observe_eval_error(49.0)  # improved by 1 point
    assert not schedule.observe_eval_error(48.8)  # 0.2 < 0.5: no real gain (1 of 2)
    assert schedule.observe_eval_error(48.7)  # 2 of 2: plateau
    assert abs(schedule.lr(10**9) - 0.01) < 1e-12
    resumed = LRSchedule(recipe)
    resumed.load(schedule.state())  # the rule's state survives a checkpoint
    assert not resumed.observe_eval_error(48.6) and resumed.observe_eval_error(48.6)
    assert abs(resumed.lr(0) - 0.001) < 1e-12


def test_imagenet_paper_profile_uses_the_plateau_rule_and_paper_steps_names_the_alternative():
    runs = {p: resolve_runs(load_target("table3"), p, only="resnet-50")[0].recipe for p in ("paper", "paper-steps")}
    assert runs["paper"].lr_plateau is not None and runs["paper"].lr_steps == ()
    assert runs["paper-steps"].lr_plateau is None and runs["paper-steps"].lr_steps == (150000, 300000, 450000)
