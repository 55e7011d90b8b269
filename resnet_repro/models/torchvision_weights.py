"""torchvision's ResNet state_dicts in our nets' names: `layerN` is our `stages.N-1`, `downsample` our `shortcut`.

torchvision's nets are the v1.5 bottlenecks with option-B shortcuts, so its weights load into
build_model(f"resnet{depth}", "B", variant="v1.5") for 50/101/152 (the basic-block nets have no stride choice).
No torch here: a state_dict is a mapping of names to tensors, renamed, never copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_STAGE = re.compile(r"^layer([1-4])\.")


def from_torchvision(state_dict: Mapping) -> dict:
    """The same tensors under our names (torchvision's conv1, bn1 and fc are ours too)."""
    renamed = {}
    for name, tensor in state_dict.items():
        name = _STAGE.sub(lambda match: f"stages.{int(match.group(1)) - 1}.", name)
        renamed[name.replace(".downsample.", ".shortcut.")] = tensor
    return renamed
