"""Weights trained elsewhere, in our nets: torchvision's published ResNet-18..152 (by name) or a state_dict file.

A file is read with torch.load(weights_only=True): tensors and plain containers only, never code. torchvision's
names (layer1, downsample) are renamed to ours (models/torchvision_weights.py). torchvision's weights were trained
on inputs scaled by the channel std after mean subtraction, ours on mean subtraction alone, so their nets get that
scaling in front (StdScaled); the test views stay the paper's.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..basics.errors import UserError
from ..models import build_model
from ..models.torchvision_weights import from_torchvision

TORCHVISION_DEPTHS = (18, 34, 50, 101, 152)
CHANNEL_STD = (0.229, 0.224, 0.225)  # torchvision's input normalisation, [0, 1] scale


@dataclass
class PublishedNet:
    model: nn.Module
    name: str  # our net's name, e.g. resnet50
    shortcut: str | None
    source: str  # "torchvision:resnet50" or the file's path


class StdScaled(nn.Module):
    """Divides mean-subtracted inputs by torchvision's channel std before the net it wraps."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.register_buffer("std", torch.tensor(CHANNEL_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x / self.std)


def read_state_dict(path: Path) -> dict:
    """A state_dict file's tensors, or one line saying why the file is not one."""
    if not path.is_file():
        raise UserError(f"weights file {path} does not exist: name a state_dict saved with torch.save")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:  # weights_only refuses anything that would run code
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(
            f"weights file {path} holds more than tensors ({first[:120]}); it was not loaded: save the model's "
            f"state_dict() alone"
        ) from None
    except Exception:  # not a torch file at all (text, a truncated download)
        raise UserError(
            f"weights file {path} is not a file torch.save wrote: save one with torch.save(model.state_dict(), path)"
        ) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("state_dict"), dict):  # a checkpoint holding one
        loaded = loaded["state_dict"]
    if not isinstance(loaded, dict) or not loaded or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise UserError(
            f"weights file {path} is not a state_dict (a mapping of names to tensors): save model.state_dict()"
        )
    return {str(k).removeprefix("module."): v for k, v in loaded.items()}


def torchvision_state_dict(depth: int) -> dict:
    """torchvision's published ImageNet weights for resnet{depth}, from the torch hub cache (TORCH_HOME) or the web."""
    from torchvision.models import get_model_weights

    weights = get_model_weights(
        f"resnet{depth}"
    ).IMAGENET1K_V1  # the weights torchvision's docs quote for the paper's nets
    try:
        return weights.get_state_dict(progress=False, weights_only=True)
    except Exception as error:  # no network, a proxy refusing, a partial file: the download failed
        cache = Path(torch.hub.get_dir()) / "checkpoints"
        raise UserError(
            f"torchvision's resnet{depth} weights are not in the cache ({cache}) and could not be downloaded "
            f"({type(error).__name__}): put {Path(weights.url).name} there, or pass --weights FILE"
        ) from None


def load_into(model: nn.Module, state_dict: dict, source: str, name: str) -> None:
    """Strict load: every key present and of its shape, or one line naming the first mismatch."""
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if missing or unexpected:
        what = f"lacks {missing[0]}" if missing else f"has {unexpected[0]}, which {name} has not"
        raise UserError(
            f"weights {source} do not fit {name}: it {what} ({len(missing)} missing, {len(unexpected)} unexpected "
            f"keys); check --model and --shortcut"
        )
    for key, tensor in own.items():
        if tuple(state_dict[key].shape) != tuple(tensor.shape):
            raise UserError(
                f"weights {source} do not fit {name}: {key} is {tuple(state_dict[key].shape)}, the net's "
                f"{tuple(tensor.shape)}; check --model and --shortcut"
            )
    model.load_state_dict(state_dict)


def published_net(weights: str, model: str | None, shortcut: str | None, variant: str = "original") -> PublishedNet:
    """`torchvision:resnetN` (option B shortcuts, v1.5 bottlenecks, std-scaled inputs) or a state_dict file for
    `model` (torchvision's names are renamed to ours where the file uses them)."""
    if weights.startswith("torchvision:"):
        name = weights.removeprefix("torchvision:")
        depths = {f"resnet{d}": d for d in TORCHVISION_DEPTHS}
        if name not in depths:
            raise UserError(f"--weights {weights}: torchvision publishes {', '.join(depths)}; use torchvision:resnet50")
        if model is not None and model != name:
            raise UserError(f"--weights {weights} is {name}; leave --model out or give --model {name}")
        variant = "v1.5" if depths[name] >= 50 else "original"
        net = build_model(name, "B", variant=variant, family="imagenet")
        load_into(net, from_torchvision(torchvision_state_dict(depths[name])), weights, name)
        return PublishedNet(StdScaled(net), name, "B", weights)
    if model is None:
        raise UserError(
            f"--weights {weights}: name the net these weights are for with --model (e.g. resnet50, resnet110)"
        )
    net = build_model(model, shortcut, variant=variant)
    state_dict = read_state_dict(Path(weights))
    if any(key.startswith("layer1.") for key in state_dict):  # saved from torchvision's ResNet
        state_dict = from_torchvision(state_dict)
    load_into(net, state_dict, weights, model)
    return PublishedNet(net, model, shortcut, weights)
