"""The data streams of a run: training batches by iteration number, and held-out sets to evaluate.

CIFAR-style sets (uint8 arrays) use the device-resident pipeline; ImageNet (a class-folder index)
decodes JPEGs in DataLoader workers. Both give `batch(iteration)`, `len()` and `batches()`.
"""

from __future__ import annotations

import torch

from ..data.pipeline import EvalSet, TrainStream
from ..data.sources import Splits
from ..specs.config import RunConfig
from ..specs.datasets import dataset_info
from .distributed import SINGLE, World


def make_streams(config: RunConfig, splits: Splits, device: torch.device, world: World = SINGLE):
    """(train stream, test set, val set or None) for this run's dataset; training batches are this process's
    share of the global batch."""
    recipe, channels_last = config.recipe, config.settings.train.channels_last
    part = world.local_slice(recipe.batch_size)
    if dataset_info(config.data.dataset).class_folders:
        # torchvision loads only for ImageNet: a CIFAR run trains even where the torch/torchvision pair is broken
        from ..data.imagenet_stream import ImageNetEvalSet, ImageNetTrainStream

        train = ImageNetTrainStream(
            splits.train, recipe.batch_size, device, config.data, channels_last, seed=config.seed, part=part
        )

        def held_out(images) -> ImageNetEvalSet:  # centre crops, like the curves
            return ImageNetEvalSet(images, recipe.eval_batch_size, device, config.data, channels_last)
    else:
        train = TrainStream(
            splits.train, recipe.batch_size, recipe.pad, recipe.flip, config.seed, device, channels_last, part
        )

        def held_out(images) -> EvalSet:  # mean-subtracted with the training mean
            return EvalSet(images, train.mean, device, recipe.eval_batch_size, channels_last)

    # val: held-out training images, where the recipe holds some out (a non-empty set, or None)
    return train, held_out(splits.test), None if splits.val is None else held_out(splits.val)
