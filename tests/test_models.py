"""The model zoo against the paper's and torchvision's exact numbers."""

import pytest
import torch
import torchvision

from resnet_repro.analysis.complexity import count_multiply_adds, count_parameters
from resnet_repro.basics.errors import UserError
from resnet_repro.models import ModelInit, build_model
from resnet_repro.models.blocks import Bottleneck, ProjectionShortcut, ZeroPadShortcut

CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962, 1202: 19_421_274}
TORCHVISION_PARAMS = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}
PAPER_FLOPS = {18: 1.8e9, 34: 3.6e9, 50: 3.8e9, 101: 7.6e9, 152: 11.3e9}


def meta_model(*args, **kwargs):
    with torch.device("meta"):
        return build_model(*args, **kwargs)


@pytest.mark.parametrize("depth,params", CIFAR_PARAMS.items())
def test_cifar_option_a_parameter_counts_are_exact(depth, params):
    assert count_parameters(meta_model(f"resnet{depth}", shortcut="A")) == params


@pytest.mark.parametrize("depth", CIFAR_PARAMS)
def test_plain_twin_has_the_same_parameters_and_no_shortcuts(depth):
    plain = meta_model(f"plain{depth}")
    assert count_parameters(plain) == CIFAR_PARAMS[depth]
    assert all(block.shortcut is None for stage in plain.stages for block in stage)


@pytest.mark.parametrize("depth", [20, 56, 110])
def test_cifar_option_b_adds_two_projections(depth):
    assert count_parameters(meta_model(f"resnet{depth}", shortcut="B")) == CIFAR_PARAMS[depth] + 2_752


def test_cifar_option_c_projects_every_block():
    model = meta_model("resnet20", shortcut="C")
    shortcuts = [block.shortcut for stage in model.stages for block in stage]
    assert len(shortcuts) == 9 and all(isinstance(s, ProjectionShortcut) for s in shortcuts)


@pytest.mark.parametrize("depth,params", TORCHVISION_PARAMS.items())
def test_imagenet_option_b_v15_matches_torchvision(depth, params):
    ours = meta_model(f"resnet{depth}", shortcut="B", variant="v1.5", num_classes=1000)
    with torch.device("meta"):
        theirs = getattr(torchvision.models, f"resnet{depth}")()
    assert count_parameters(ours) == params == count_parameters(theirs)
    # Stride placement moves no parameters.
    assert count_parameters(meta_model(f"resnet{depth}", shortcut="B", variant="original")) == params


@pytest.mark.parametrize("depth,flops", PAPER_FLOPS.items())
def test_imagenet_flops_within_3_percent_of_the_paper(depth, flops):
    measured = count_multiply_adds(meta_model(f"resnet{depth}", shortcut="B"), (3, 224, 224))
    assert abs(measured - flops) / flops < 0.03, measured


def test_v15_costs_more_than_the_original_stride_placement():
    original = count_multiply_adds(meta_model("resnet50", variant="original"), (3, 224, 224))
    v15 = count_multiply_adds(meta_model("resnet50", variant="v1.5"), (3, 224, 224))
    assert 4.0e9 < v15 < 4.2e9 and original < v15


def test_original_bottleneck_strides_on_the_first_1x1():
    block = meta_model("resnet50").stages[1][0]
    assert isinstance(block, Bottleneck)
    assert block.conv1.stride == (2, 2) and block.conv2.stride == (1, 1)
    block = meta_model("resnet50", variant="v1.5").stages[1][0]
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)


def test_option_a_shortcut_subsamples_and_zero_pads():
    shortcut = ZeroPadShortcut(2, 4, stride=2)
    x = torch.arange(2 * 4 * 4, dtype=torch.float32).view(1, 2, 4, 4)
    out = shortcut(x)
    assert out.shape == (1, 4, 2, 2)
    assert torch.equal(out[:, :2], x[:, :, ::2, ::2])
    assert not out[:, 2:].any()


@pytest.mark.parametrize(
    "name,shape,classes",
    [("resnet20", (2, 3, 32, 32), 10), ("plain56", (2, 1, 32, 32), 10), ("resnet18", (1, 3, 64, 64), 1000)],
)
def test_forward_shapes(name, shape, classes):
    model = build_model(name, in_channels=shape[1]).eval()
    assert model(torch.randn(shape)).shape == (shape[0], classes)


def test_zero_init_residual_zeroes_each_residual_branch_last_bn():
    model = build_model("resnet20", init=ModelInit(zero_init_residual=True))
    assert all(not block.bn2.weight.any() for stage in model.stages for block in stage)
    assert build_model("resnet20").stages[0][0].bn2.weight.all()


@pytest.mark.parametrize("name", ["resnet57", "vgg16", "resnet", "resnet10"])
def test_unknown_model_names_are_user_errors(name):
    with pytest.raises(UserError, match="unknown model"):
        build_model(name)


def test_family_forces_the_cifar_net_where_a_depth_is_ambiguous():
    assert count_parameters(meta_model("resnet50", family="cifar")) < 1_000_000


# ---- Contract tests: every net the tool can build trains one step on a tiny batch -----------------------------
# Each case is (name, shortcut, variant). CIFAR nets take every shortcut option (the paper trains A; B and C are
# opt-in); the ImageNet nets too, and the bottleneck nets also with torchvision's v1.5 stride placement.
CIFAR_DEPTHS = (20, 32, 44, 56, 110, 1202)
IMAGENET_DEPTHS = (18, 34, 50, 101, 152)
# 5-17 s each on a 2-core CPU: opt-in (RESNET_REPRO_SLOW=1); the nets built of the same blocks at smaller depth
# (CIFAR up to 110 layers, ImageNet 18/34/50 with every shortcut and variant) run in every suite.
HEAVY = {"plain1202", "resnet1202", "resnet101", "plain101", "resnet152", "plain152"}
# Nets the tool builds but no target trains, whose gradients at initialisation overflow fp32: a 1202-layer plain
# net (with BN, plain nets' gradients grow toward the input by orders of magnitude per 100 layers: gradflow), and
# ResNet-1202 with a projection on every one of its 600 shortcuts (option C). Kept as strict expected failures.
OVERFLOWS = {("plain1202", None), ("resnet1202", "C")}


def _contract_cases():
    cases = []
    for depth in CIFAR_DEPTHS + IMAGENET_DEPTHS:
        cases.append((f"plain{depth}", None, "original"))
        cases += [(f"resnet{depth}", shortcut, "original") for shortcut in ("A", "B", "C")]
        if depth in (50, 101, 152):
            cases.append((f"resnet{depth}", "B", "v1.5"))
    params = []
    for case in cases:
        marks = []
        if case[0] in HEAVY:
            marks.append(pytest.mark.slow)
        if case[:2] in OVERFLOWS:
            marks.append(pytest.mark.xfail(strict=True, reason="gradients overflow fp32 at initialisation"))
        params.append(pytest.param(*case, id="-".join(c for c in case if c and c != "original"), marks=marks))
    return params


CONTRACT_CASES = _contract_cases()


def _experiment_nets():
    """Every (model, shortcut, variant) a target file names: its runs, and table1's and gradflow's nets."""
    import pathlib

    import yaml

    found = set()

    def walk(node):
        if isinstance(node, dict):
            model = node.get("model")
            if isinstance(model, str) and model.startswith(("resnet", "plain")):
                found.add((model, node.get("shortcut"), node.get("variant", "original")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(pathlib.Path(__file__).resolve().parent.parent.glob("experiments/*.yaml")):
        data = yaml.safe_load(path.read_text())
        walk(data)
        for name in (data.get("gradflow") or {}).get("conv_models", []):
            found.add((name, None, "original"))
    return found


def _depth(name: str) -> int:
    return int(name.removeprefix("resnet").removeprefix("plain"))


def test_contract_cases_cover_every_net_the_target_files_name():
    covered = {p.values for p in CONTRACT_CASES}
    named = _experiment_nets()
    as_built = {
        (
            name,
            None if name.startswith("plain") else shortcut or ("B" if _depth(name) in IMAGENET_DEPTHS else "A"),
            variant,
        )
        for name, shortcut, variant in named
    }
    assert len(named) >= 30 and as_built <= covered, as_built - covered


@pytest.mark.parametrize("name, shortcut, variant", CONTRACT_CASES)
def test_every_net_builds_trains_one_step_and_every_parameter_gets_a_gradient(name, shortcut, variant):
    classes = 1000 if _depth(name) in IMAGENET_DEPTHS else 10
    torch.manual_seed(0)
    model = build_model(name, shortcut=shortcut, variant=variant).train()
    # Small inputs keep every net cheap: 32x32 leaves ImageNet nets a 1x1 map before pooling; batch 2 so that
    # batch norm in training mode sees more than one value per channel there.
    images = torch.randn(2, 3, 32, 32)
    logits = model(images)
    assert logits.shape == (2, classes)
    assert torch.isfinite(logits).all()
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([0, classes - 1]))
    loss.backward()
    assert torch.isfinite(loss)
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, f"{parameter_name} got no gradient"
        assert torch.isfinite(parameter.grad).all(), f"{parameter_name} has a non-finite gradient"
        assert parameter.grad.abs().sum() > 0, f"{parameter_name} got an all-zero gradient"
    with torch.no_grad():
        assert model.eval()(images).shape == (2, classes)  # eval mode: the running statistics the step left
