"""The iteration-based learning-rate schedule, with the ResNet-110 warm-up as a declared rule.

Iteration i is the (i+1)-th SGD update. The lr of update i is lr * decay^(number of steps <= i),
so with steps at 32k and 48k updates 0..31999 use 0.1, 32000..47999 use 0.01, then 0.001.
While the warm-up is active, every update uses warmup.lr; it ends at the first log point whose
window training error is below the threshold, after which the same step schedule applies.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from ..config import Recipe


@dataclass
class LRSchedule:
    recipe: Recipe
    warmup_ended_at: int | None = None  # iteration from which the warm-up no longer applies

    @property
    def warming_up(self) -> bool:
        return self.recipe.warmup is not None and self.warmup_ended_at is None

    def lr(self, iteration: int) -> float:
        if self.warming_up:
            return self.recipe.warmup.lr
        return self.recipe.lr * self.recipe.lr_decay ** bisect_right(self.recipe.lr_steps, iteration)

    def observe_train_error(self, next_iteration: int, train_error: float) -> bool:
        """Feed a log window's training error (%); True when this ends the warm-up."""
        if self.warming_up and train_error < self.recipe.warmup.until_train_error_below:
            self.warmup_ended_at = next_iteration
            return True
        return False
