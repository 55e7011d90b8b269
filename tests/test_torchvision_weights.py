"""torchvision's own ResNets, randomly initialised, saved and reloaded with weights_only=True, give the same logits
in our nets: the nets are torchvision's, layer for layer, not only in their parameter counts."""

import pytest
import torch
import torchvision

from resnet_repro.models import build_model
from resnet_repro.models.torchvision_weights import from_torchvision


@pytest.mark.parametrize("depth", [18, 34, 50, 101, 152])
def test_a_torchvision_state_dict_gives_the_same_logits_in_our_net(tmp_path, depth):
    torch.manual_seed(depth)
    theirs = getattr(torchvision.models, f"resnet{depth}")(weights=None).eval()
    for module in theirs.modules():  # running statistics away from 0/1, so eval-mode BN is tested too
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    torch.save(theirs.state_dict(), tmp_path / "weights.pt")
    loaded = torch.load(tmp_path / "weights.pt", weights_only=True)
    ours = build_model(f"resnet{depth}", "B", variant="v1.5").eval()
    ours.load_state_dict(from_torchvision(loaded), strict=True)
    image = torch.randn(2, 3, 64, 64)  # small: the nets are fully convolutional up to the average pool
    with torch.no_grad():
        expected, got = theirs(image), ours(image)
    assert got.shape == (2, 1000)
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-5)
