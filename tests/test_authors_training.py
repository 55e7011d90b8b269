"""The paper profile trains as the authors did: Caffe's momentum, batch norm over each GPU's share, BN statistics
recomputed after training, the ImageNet lr rule on held-out training images, and the net the config names."""

import copy
import types

import pytest
import torch
from torch import nn

from resnet_repro.basics.errors import UserError
from resnet_repro.models import CifarResNet, ImageNetResNet, Layers, ModelInit, build_model
from resnet_repro.specs.config import Recipe
from resnet_repro.specs.experiments import load_target, resolve_runs
from resnet_repro.train import loop
from resnet_repro.train.bn_stats import recompute_bn_stats
from resnet_repro.train.distributed import World
from resnet_repro.train.ghost_bn import norm_layer
from resnet_repro.train.optim import decay_groups, load_sgd_state, make_sgd, set_lr

from .conftest import assert_one_line_error, cli_in_process

MOMENTUM, DECAY = 0.9, 1e-4
# The ResNet-110 warm-up (0.01 -> 0.1), then the /10 steps: every kind of lr change the recipes make.
LRS = [0.01] * 3 + [0.1] * 5 + [0.01] * 4 + [0.001] * 3


def gradient(w: torch.Tensor) -> torch.Tensor:
    """A fixed, position-dependent gradient (of a quadratic), so every step's update differs."""
    scale = torch.linspace(0.5, 2.0, len(w), dtype=w.dtype)
    return scale * (w - 1.0) + 0.3


def caffe_reference(w0: torch.Tensor, lrs: list[float]) -> list[torch.Tensor]:
    """Caffe's SGDSolver, written out: v := m*v + lr*(g + wd*w); w := w - v."""
    w, v, path = w0.clone(), torch.zeros_like(w0), []
    for lr in lrs:
        v = MOMENTUM * v + lr * (gradient(w) + DECAY * w)
        w = w - v
        path.append(w.clone())
    return path


def torch_sgd_path(
    w0: torch.Tensor, lrs: list[float], form: str, implementation: str, resume_after: int | None = None
) -> list[torch.Tensor]:
    param = nn.Parameter(w0.clone())
    optimizer = make_sgd([param], lrs[0], MOMENTUM, DECAY, torch.device("cpu"), implementation)
    path = []
    for step, lr in enumerate(lrs):
        if step == resume_after:  # a checkpoint and a fresh optimizer, as a resumed run does
            saved = copy.deepcopy(optimizer.state_dict())
            param = nn.Parameter(param.detach().clone())
            optimizer = make_sgd([param], LRS[0], MOMENTUM, DECAY, torch.device("cpu"), implementation)
            load_sgd_state(optimizer, saved)
        set_lr(optimizer, lr, form)
        param.grad = gradient(param.detach())
        optimizer.step()
        path.append(param.detach().clone())
    return path


W0 = torch.linspace(-1.0, 1.0, 7, dtype=torch.float64)


@pytest.mark.parametrize("implementation", ["fused", "foreach", "loop"])
def test_caffe_momentum_matches_a_step_by_step_caffe_update_across_lr_changes(implementation):
    expected = caffe_reference(W0, LRS)
    got = torch_sgd_path(W0, LRS, "caffe", implementation)
    for step, (a, b) in enumerate(zip(expected, got)):
        assert torch.allclose(a, b, rtol=0, atol=1e-12), (step, a, b)


def test_torchs_momentum_form_differs_from_caffes_right_after_an_lr_change():
    expected = caffe_reference(W0, LRS)
    got = torch_sgd_path(W0, LRS, "torch", "foreach")
    assert all(torch.allclose(a, b, atol=1e-12) for a, b in zip(expected[:3], got[:3]))  # same until the change
    assert (expected[3] - got[3]).abs().max() > 1e-3  # 0.01 -> 0.1: torch scales the old velocity by 10 at once


@pytest.mark.parametrize("resume_after", [3, 8])  # at the warm-up's end, at a /10 step
def test_caffe_momentum_resumes_exactly_across_an_lr_change(resume_after):
    alone = torch_sgd_path(W0, LRS, "caffe", "foreach")
    resumed = torch_sgd_path(W0, LRS, "caffe", "foreach", resume_after=resume_after)
    assert all(torch.equal(a, b) for a, b in zip(alone, resumed))


def test_weight_decay_can_spare_bn_and_biases():
    model = build_model("resnet20")
    (everything,) = decay_groups(model, 1e-4, on_bn_and_bias=True)
    assert everything["weight_decay"] == 1e-4 and len(everything["params"]) == len(list(model.parameters()))
    weights, rest = decay_groups(model, 1e-4, on_bn_and_bias=False)
    assert rest["weight_decay"] == 0.0
    assert {id(p) for p in rest["params"]} == {id(model.fc.bias)} | {
        id(p) for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in (m.weight, m.bias)
    }
    assert all(p.ndim == 4 for p in weights["params"] if p is not model.fc.weight)


def test_recomputed_bn_statistics_are_the_direct_average_over_the_sample():
    torch.manual_seed(0)
    model = build_model("resnet20", layers=Layers(norm_layer=norm_layer(8))).double()
    batches = [torch.randn(16, 3, 32, 32, dtype=torch.float64) for _ in range(3)]
    reference = copy.deepcopy(model)
    recompute_bn_stats(model, iter(batches))

    # Direct: every BN layer's input in a training-mode forward (running stats left alone), each group of 8
    # images' mean and unbiased variance, averaged over the 6 groups.
    inputs: dict[str, list[torch.Tensor]] = {}
    norms = {name: m for name, m in reference.named_modules() if isinstance(m, nn.BatchNorm2d)}
    for name, module in norms.items():
        module.momentum = 0.0
        module.register_forward_pre_hook(lambda m, args, name=name: inputs.setdefault(name, []).append(args[0]))
    reference.train()
    with torch.no_grad():
        for x in batches:
            reference(x)
    recomputed = dict(model.named_modules())
    for name, captured in inputs.items():
        groups = [g for x in captured for g in x.split(8)]
        mean = torch.stack([g.mean((0, 2, 3)) for g in groups]).mean(0)
        var = torch.stack([g.var((0, 2, 3), unbiased=True) for g in groups]).mean(0)
        assert torch.allclose(recomputed[name].running_mean, mean, atol=1e-12), name
        assert torch.allclose(recomputed[name].running_var, var, atol=1e-12), name
        assert torch.allclose(mean, torch.cat(captured).mean((0, 2, 3)), atol=1e-12)  # the mean over every image
    assert model.training and all(m.momentum == 0.1 for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_paper_profiles_state_every_open_choice():
    cifar = resolve_runs(load_target("table6"), "paper", only="resnet-110")[0]
    imagenet = resolve_runs(load_target("table3"), "paper", only="resnet-50")[0]
    for config, bn_batch in ((cifar, 64), (imagenet, 32)):
        recipe = config.recipe
        assert recipe.bn_batch == bn_batch and recipe.momentum_form == "caffe"
        assert recipe.weight_decay_on_bn_and_bias and recipe.he_init_fan == "fan_out" and recipe.fc_init == "uniform"
    assert cifar.recipe.bn_stats == "moving-average" and cifar.data.mean == "per-pixel"
    assert imagenet.recipe.bn_stats == "recomputed" and imagenet.recipe.bn_stats_images == 51200
    assert imagenet.data.mean == "per-channel" and imagenet.data.multiscale_flip is False
    assert imagenet.recipe.holdout == 10000 and imagenet.recipe.lr_plateau is not None
    # the choices that are not the paper's are named as deviations of the profile, not only in comments
    from resnet_repro.specs.experiments import load_recipe_file

    named = " ".join(load_recipe_file("imagenet").profiles["paper"].deviations)
    assert "10k training images held out" in named and "per-channel mean" in named
    data = imagenet.to_dict()["settings"]["data"]
    assert data["colour_std"] == 0.1 and list(data["test_scales"]) == [224, 256, 384, 480, 640]
    # every one of them is in the run's stored config
    stored = cifar.to_dict()["settings"]["recipe"]
    for key in (
        "bn_batch",
        "momentum_form",
        "bn_stats",
        "bn_stats_images",
        "weight_decay_on_bn_and_bias",
        "he_init_fan",
        "fc_init",
    ):
        assert key in stored


def test_the_plateau_rule_without_a_holdout_is_refused():
    with pytest.raises(UserError, match="never the reported set: set recipe.holdout"):
        resolve_runs(load_target("table3"), "paper", overrides=["recipe.holdout=0"])


def test_bn_groups_must_fit_each_processs_share():
    config = resolve_runs(load_target("table6"), "smoke", only="resnet-20")[0]  # batch 32, BN over 16
    loop.check_bn_share(config, World(0, 2))  # 16 each: the paper's two GPUs
    with pytest.raises(
        UserError,
        match=r"recipe.bn_batch=16 does not divide each process's share of the batch "
        r"\(8 images on 4 processes\)",
    ):
        loop.check_bn_share(config, World(0, 4))


def test_the_bn_share_refusal_counts_one_process_and_one_image_in_the_singular():
    """It said "run on 1 processes or fewer" (bn_batch the whole batch) and "(1 images on 32 processes)"."""
    config = resolve_runs(load_target("table6"), "smoke", only="resnet-20", overrides=["recipe.bn_batch=32"])[0]
    with pytest.raises(UserError) as error:
        loop.check_bn_share(config, World(0, 2))
    assert str(error.value) == (
        "recipe.bn_batch=32 does not divide each process's share of the batch (16 images on 2 processes); run on "
        "1 process, or set --set recipe.bn_batch=16 (a deviation)"
    )
    config = resolve_runs(load_target("table6"), "smoke", only="resnet-20", overrides=["recipe.bn_batch=2"])[0]
    with pytest.raises(UserError, match=r"\(1 image on 32 processes\); run on 16 processes \(or another number"):
        loop.check_bn_share(config, World(0, 32))


@pytest.mark.parametrize(
    "bn_batch, processes, says",
    [
        (
            32,
            3,
            "recipe.batch_size=128 does not split equally among 3 processes in whole groups of recipe.bn_batch=32; "
            "run on 2 processes (or another number that divides 4)",
        ),
        (32, 6, "run on 4 processes (or another number that divides 4)"),
        (16, 12, "run on 8 processes (or another number that divides 8)"),
        (32, 8, "run on 4 processes (or another number that divides 4), or set --set recipe.bn_batch=16 (a deviation)"),
    ],
)
def test_the_bn_share_refusal_names_a_number_of_processes_that_trains(bn_batch, processes, says):
    """3 processes of a batch of 128 in groups of 32 were told "run on 4 processes or fewer" (3 is fewer, and does
    not divide it) or "set --set recipe.bn_batch=42" (128 does not split in three). The layout named now trains."""
    config = resolve_runs(load_target("fig1"), "paper", only="plain-20", overrides=[f"recipe.bn_batch={bn_batch}"])[0]
    with pytest.raises(UserError) as error:
        loop.check_bn_share(config, World(0, processes))
    assert str(error.value).endswith(says), str(error.value)
    named = int(says.split("run on ")[1].split(" ")[0])
    loop.check_bn_share(config, World(0, named))  # the layout it names trains


def _net_of(config):
    return loop.build_run_model(config, types.SimpleNamespace(num_classes=10, in_channels=3))


def test_family_reaches_the_built_net(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: cifar\nrecipe: cifar\nruns:\n  - {model: resnet50, family: cifar}\n")
    (config,) = resolve_runs(load_target(str(path)), "smoke")
    assert config.name == "cifar10/resnet-50-A/smoke/seed0" and config.family == "cifar"
    net = _net_of(config)
    assert isinstance(net, CifarResNet) and net.depth == 50
    assert (
        sum(p.numel() for p in net.parameters()) == 755802
    )  # 8 blocks a stage (ResNet-44 + 2 x 97,216); ImageNet's has 23.5M


def test_variant_reaches_the_built_net(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "title: mine\nengine: imagenet\nrecipe: imagenet\nruns:\n  - {model: resnet50, variant: v1.5}\n"
        "  - {model: resnet50}\n"
    )
    v15, original = resolve_runs(load_target(str(path)), "smoke")
    assert v15.name == "imagenet/resnet-50-B-v1.5/smoke/seed0" and v15.variant == "v1.5"
    assert original.name == "imagenet/resnet-50-B/smoke/seed0" and original.variant == "original"
    net = _net_of(v15)
    assert isinstance(net, ImageNetResNet)
    first = net.stages[1][0]
    assert first.conv1.stride == (1, 1) and first.conv2.stride == (2, 2)  # v1.5: the stride on the 3x3
    first = _net_of(original).stages[1][0]
    assert first.conv1.stride == (2, 2) and first.conv2.stride == (1, 1)


def test_a_variant_of_a_net_without_bottlenecks_is_one_line(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\nengine: imagenet\nrecipe: imagenet\nruns:\n  - {model: resnet34, variant: v1.5}\n")
    result = cli_in_process("show", str(path))
    assert_one_line_error(result, "mine.yaml:5", "runs[0].variant: v1.5 applies to the ImageNet bottleneck nets only")


def test_stated_init_choices_reach_the_net():
    torch.manual_seed(0)
    fan_in = build_model("resnet20", init=ModelInit("fan_in", "gaussian-0.01"))
    conv = fan_in.stages[1][0].conv1  # 16 -> 32 channels: fan_in 144, fan_out 288
    assert 0.8 < conv.weight.std().item() / (2 / 144) ** 0.5 < 1.2
    assert fan_in.fc.bias.abs().max() == 0 and 0.008 < fan_in.fc.weight.std().item() < 0.012
    fan_out = build_model("resnet20").stages[1][0].conv1
    assert 0.8 < fan_out.weight.std().item() / (2 / 288) ** 0.5 < 1.2


def test_zero_init_residual_reaches_the_residual_branches_alone():
    def last_bn_scales(config):
        net = _net_of(config)
        return [block.last_bn.weight for stage in net.stages for block in stage]

    zeroed = ["recipe.zero_init_residual=true"]
    (resnet,) = resolve_runs(load_target("fig6"), "smoke", only="resnet-20", overrides=zeroed)
    # fig6 as a whole (a plain net alone is refused: the setting would do nothing there)
    plain = next(r for r in resolve_runs(load_target("fig6"), "smoke", overrides=zeroed) if r.model == "plain20")
    assert all(scale.abs().max() == 0 for scale in last_bn_scales(resnet))  # the nine branches start as zero
    assert all(scale.min() == 1 for scale in last_bn_scales(plain))  # no shortcut: zeroing would kill the signal
    (paper,) = resolve_runs(load_target("fig6"), "smoke", only="resnet-20")
    assert all(scale.min() == 1 for scale in last_bn_scales(paper)) and not paper.recipe.zero_init_residual


def test_recipe_has_no_code_defaults_for_the_stated_choices():
    import dataclasses

    required = {f.name for f in dataclasses.fields(Recipe) if f.default is dataclasses.MISSING}
    assert {
        "bn_batch",
        "momentum_form",
        "bn_stats",
        "bn_stats_images",
        "weight_decay_on_bn_and_bias",
        "he_init_fan",
        "fc_init",
    } <= required
