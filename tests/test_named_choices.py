"""Choices the paper leaves open are named in the recipe with the reading each takes, and the named value is the
one the code uses: BN's running-average momentum, what the CIFAR pad pixels hold, how ImageNet images are resized."""

import pytest

from resnet_repro.models import build_model
from resnet_repro.models.blocks import ModelInit
from resnet_repro.specs.experiments import load_target, resolve_runs

from .conftest import assert_one_line_error, cli_in_process


def test_every_recipe_names_the_bn_momentum_the_pad_fill_and_the_resize_filter():
    cifar = resolve_runs(load_target("fig6"), "paper")[0]
    imagenet = resolve_runs(load_target("table2"), "paper")[0]
    for config in (cifar, imagenet):
        assert (config.recipe.bn_momentum, config.recipe.pad_fill) == (0.1, "zero-after-mean")
    assert imagenet.data.resize_interpolation == "bilinear-antialias" and cifar.data.resize_interpolation is None


def test_the_recipes_bn_momentum_is_every_bn_layers():
    net = build_model("resnet20", init=ModelInit(bn_momentum=0.001))  # Caffe's moving_average_fraction 0.999
    momenta = {m.momentum for m in net.modules() if hasattr(m, "running_mean")}
    assert momenta == {0.001}


@pytest.mark.parametrize(
    "setting, fragment",
    [
        ("recipe.bn_momentum=0", "recipe.bn_momentum"),
        ("recipe.pad_fill=reflect", "recipe.pad_fill"),
        ("data.resize_interpolation=bilinear-antialias", "data.resize_interpolation: applies to ImageNet only"),
    ],
)
def test_a_bad_named_choice_is_one_line(setting, fragment):
    assert_one_line_error(cli_in_process("show", "fig1", "--set", setting), fragment)
