"""The iteration-based learning-rate schedule, with the ResNet-110 warm-up as a declared rule.

Iteration i is the (i+1)-th SGD update. The lr of update i is lr * decay^(number of steps <= i),
so with steps at 32k and 48k updates 0..31999 use 0.1, 32000..47999 use 0.01, then 0.001.
While the warm-up is active, every update uses warmup.lr; it ends at the first log point whose
window training error is below the threshold, after which the same step schedule applies.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, fields

from ..specs.config import Recipe


@dataclass(frozen=True)
class FixedLR:
    """One lr for every update: what bench and the GPU check time the step at."""

    value: float

    def lr(self, iteration: int) -> float:
        return self.value


@dataclass
class LRSchedule:
    recipe: Recipe
    warmup_ended_at: int | None = None  # iteration from which the warm-up no longer applies
    plateau_drops: int = 0  # lr divisions made by the plateau rule so far
    best_error: float | None = None
    evals_since_best: int = 0

    @property
    def warming_up(self) -> bool:
        return self.recipe.warmup is not None and self.warmup_ended_at is None

    def lr(self, iteration: int) -> float:
        if self.warming_up:
            return self.recipe.warmup.lr
        decays = bisect_right(self.recipe.lr_steps, iteration) + self.plateau_drops
        return self.recipe.lr * self.recipe.lr_decay**decays

    def observe_eval_error(self, error: float) -> bool:
        """Feed an evaluation's error (%); True when the plateau rule divides the lr from now on."""
        rule = self.recipe.lr_plateau
        if rule is None:
            return False
        if self.best_error is None or error < self.best_error - rule.min_improvement:
            self.best_error, self.evals_since_best = error, 0
            return False
        self.evals_since_best += 1
        if self.evals_since_best >= rule.patience:
            self.plateau_drops += 1
            self.evals_since_best = 0
            self.best_error = error  # a new lr starts a new plateau
            return True
        return False

    def state(self) -> dict:
        """What a checkpoint keeps: every field but the recipe (the run's config is saved beside it)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "recipe"}

    def load(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)

    def observe_train_error(self, next_iteration: int, train_error: float) -> bool:
        """Feed a log window's training error (%); True when this ends the warm-up."""
        if self.warming_up and train_error < self.recipe.warmup.until_train_error_below:
            self.warmup_ended_at = next_iteration
            return True
        return False
