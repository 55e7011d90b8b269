"""The paper's ImageNet test protocols: top-1/top-5 error from averaged softmax scores.

- 10-crop (Tables 2-3): the four corners, the centre and their flips of the image resized to
  shorter side 256; the ten softmax score vectors are averaged per image.
- multi-scale (Table 4): the whole image at each shorter side of the recipe's data.test_scales (the paper's
  {224, 256, 384, 480, 640}) through the fully convolutional net (global average pooling makes any size
  valid); scores averaged over scales.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from ..data.imagenet import ImageFolderIndex, multiscale_views, open_rgb, ten_crop_views
from ..specs.config import DataSpec


@dataclass
class TopErrors:
    top1_error: float  # percent
    top5_error: float
    images: int
    skipped: int


def top_k_errors(scores: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    """(top-1 mistakes, top-5 mistakes) for N x classes scores."""
    top = scores.topk(min(5, scores.shape[1]), dim=1).indices  # the five best classes (all, where fewer)
    return int((top[:, 0] != labels).sum()), int((~(top == labels[:, None]).any(dim=1)).sum())


def _averaged_scores(model: nn.Module, views: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    """Mean softmax over views; same-size views go through the net as one batch."""
    if all(v.shape == views[0].shape for v in views):
        return model(torch.stack(views).to(device)).softmax(1).mean(0)
    return torch.stack([model(v[None].to(device)).softmax(1)[0] for v in views]).mean(0)


def evaluate_views(
    model: nn.Module, index: ImageFolderIndex, protocol: str, device: torch.device, data: DataSpec
) -> TopErrors:
    """Top-1/top-5 error (%) over every readable image of `index` under '10-crop' or 'multi-scale', with the views
    the recipe's `data` settings name (test_short_side and crop; test_scales and multiscale_flip)."""
    make_views = {
        "10-crop": lambda image: list(ten_crop_views(image, data.test_short_side, data.crop)),
        "multi-scale": lambda image: multiscale_views(image, data.test_scales, bool(data.multiscale_flip)),
    }[protocol]
    was_training = model.training
    model.eval()
    scores, labels, skipped = [], [], 0
    with torch.inference_mode():
        for path, label in index.samples:
            image = open_rgb(path)
            if image is None:
                skipped += 1
                continue
            scores.append(_averaged_scores(model, make_views(image), device).cpu())
            labels.append(label)
    model.train(was_training)
    if not scores:
        return TopErrors(float("nan"), float("nan"), 0, skipped)
    top1, top5 = top_k_errors(torch.stack(scores), torch.tensor(labels))
    return TopErrors(100.0 * top1 / len(labels), 100.0 * top5 / len(labels), len(labels), skipped)
