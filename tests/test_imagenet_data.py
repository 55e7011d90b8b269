"""ImageNet data on a generated ImageFolder of real JPEGs: scanning, augmentation, test views, bad files."""

import random

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import functional as TF

from resnet_repro.basics.errors import UserError
from resnet_repro.data.imagenet import (
    CHANNEL_MEAN,
    center_view,
    multiscale_views,
    scale_augment,
    scan_image_folder,
    subtract_mean,
    ten_crop_views,
)
from resnet_repro.specs.experiments import load_target, resolve_runs

# The paper's view settings, read from the recipe as every run reads them (experiments/_recipes/imagenet.yaml).
PAPER_DATA = resolve_runs(load_target("table4"), "paper")[0].data


def jpeg(path, width, height, seed):
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(path, "JPEG")


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "train"
    for c, wnid in enumerate(["n01440764", "n01443537"]):
        (root / wnid).mkdir(parents=True)
        for i in range(3):
            jpeg(root / wnid / f"img{i}.JPEG", 300 + 20 * i, 260, seed=10 * c + i)
    return root


def test_scan_finds_sorted_classes_and_images(folder):
    index = scan_image_folder(folder)
    assert index.classes == ["n01440764", "n01443537"] and len(index.samples) == 6
    assert [label for _, label in index.samples] == [0, 0, 0, 1, 1, 1]


def test_missing_empty_and_classless_folders_are_clear_errors(tmp_path, folder):
    with pytest.raises(UserError, match="not found"):
        scan_image_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no class folders"):
        scan_image_folder(tmp_path / "empty")
    (folder / "n09999999").mkdir()
    with pytest.raises(UserError, match="n09999999 holds no images"):
        scan_image_folder(folder)


def test_scale_augmentation_gives_224_crops_within_the_scaled_image(folder):
    image = Image.open(scan_image_folder(folder).samples[0][0]).convert("RGB")
    colour = PAPER_DATA.colour_std
    for seed in range(5):
        x = scale_augment(image, random.Random(seed), colour_std=colour)
        assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    assert not torch.equal(
        scale_augment(image, random.Random(0), colour_std=colour),
        scale_augment(image, random.Random(1), colour_std=colour),
    )
    assert torch.equal(
        scale_augment(image, random.Random(3), colour_std=colour),
        scale_augment(image, random.Random(3), colour_std=colour),
    )


def test_colour_augmentation_and_test_scales_are_the_recipes():
    assert PAPER_DATA.colour_std == 0.1 and PAPER_DATA.test_scales == (224, 256, 384, 480, 640)
    image = Image.new("RGB", (300, 260), (120, 120, 120))
    # the same crop and flip; the colour shift is the only difference, and 0 turns it off
    plain = scale_augment(image, random.Random(3), colour_std=0.0)
    shifted = scale_augment(image, random.Random(3), colour_std=PAPER_DATA.colour_std)
    assert torch.equal(plain, scale_augment(image, random.Random(4), colour_std=0.0))  # a flat image: no crop shows
    assert not torch.equal(plain, shifted)


def test_ten_crops_are_the_corners_the_centre_and_their_flips():
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (256, 320, 3), dtype=np.uint8))  # already short side 256
    views = ten_crop_views(image)
    full = subtract_mean(TF.to_tensor(image))
    h, w = 256, 320
    expected = [
        full[:, :224, :224],
        full[:, :224, w - 224 :],
        full[:, h - 224 :, :224],
        full[:, h - 224 :, w - 224 :],
        full[:, 16:240, 48:272],
    ]
    assert views.shape == (10, 3, 224, 224)
    for i, crop in enumerate(expected):
        assert torch.allclose(views[i], crop, atol=1e-6), i
    flipped = full.flip(-1)
    flipped_expected = [
        flipped[:, :224, :224],
        flipped[:, :224, w - 224 :],
        flipped[:, h - 224 :, :224],
        flipped[:, h - 224 :, w - 224 :],
        flipped[:, 16:240, 48:272],
    ]
    for i, crop in enumerate(flipped_expected):
        assert torch.allclose(views[5 + i], crop, atol=1e-6), 5 + i


def test_centre_and_multiscale_views(folder):
    image = Image.open(scan_image_folder(folder).samples[0][0]).convert("RGB")
    assert center_view(image).shape == (3, 224, 224)
    views = multiscale_views(image, PAPER_DATA.test_scales)
    assert [min(v.shape[1:]) for v in views] == [224, 256, 384, 480, 640]
    assert (
        abs(
            views[0].mean(dim=(1, 2))
            + torch.tensor(CHANNEL_MEAN)
            - TF.to_tensor(image.resize((views[0].shape[2], views[0].shape[1]))).mean(dim=(1, 2))
        ).max()
        < 0.05
    )


def test_unreadable_images_are_skipped_and_recorded(folder):
    from resnet_repro.data.imagenet_stream import _collate, _Decoded
    from resnet_repro.specs.config import DataSpec

    (folder / "n01440764" / "broken.JPEG").write_bytes(b"\xff\xd8 not really a jpeg")
    dataset = _Decoded(
        scan_image_folder(folder),
        DataSpec("imagenet", crop=224, scale_min=256, scale_max=480, test_short_side=256),
        seed=0,
        train=False,
    )
    views, labels, skipped = _collate([dataset[i] for i in range(len(dataset))])
    assert views.shape == (6, 3, 224, 224) and len(labels) == 6
    assert skipped == [str(folder / "n01440764" / "broken.JPEG")]


def test_top_k_errors():
    from resnet_repro.analysis.imagenet_eval import top_k_errors

    scores = torch.tensor([[0.9, 0.1, 0, 0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]])
    labels = torch.tensor([0, 0])  # first: right; second: label 0 is the lowest score, outside the top 5
    assert top_k_errors(scores, labels) == (1, 1)
    assert top_k_errors(scores, torch.tensor([1, 3])) == (2, 0)


class MeanColourNet(torch.nn.Module):
    """A tiny fully convolutional 'classifier': class scores from channel means, any input size."""

    def forward(self, x):
        return x.mean(dim=(2, 3)) * 10


@pytest.mark.parametrize("protocol", ["10-crop", "multi-scale"])
def test_view_protocols_average_softmax_scores_per_image(protocol, tmp_path):
    from resnet_repro.analysis.imagenet_eval import evaluate_views

    root = tmp_path / "val"
    for label, colour in enumerate([(250, 10, 10), (10, 250, 10), (10, 10, 250)]):
        (root / f"n{label:08d}").mkdir(parents=True)
        Image.new("RGB", (300, 260), colour).save(root / f"n{label:08d}" / "a.JPEG")
    (root / "n00000000" / "bad.JPEG").write_bytes(b"broken")
    result = evaluate_views(MeanColourNet(), scan_image_folder(root), protocol, torch.device("cpu"), PAPER_DATA)
    assert (result.top1_error, result.top5_error, result.images, result.skipped) == (0.0, 0.0, 3, 1)


def test_scores_are_the_mean_of_per_view_softmaxes():
    from resnet_repro.analysis.imagenet_eval import _averaged_scores

    torch.manual_seed(0)
    same = [torch.randn(3, 8, 8) for _ in range(4)]
    mixed = [torch.randn(3, 8, 8), torch.randn(3, 12, 10)]
    for views in (same, mixed):
        expected = torch.stack([MeanColourNet()(v[None]).softmax(1)[0] for v in views]).mean(0)
        assert torch.allclose(_averaged_scores(MeanColourNet(), views, torch.device("cpu")), expected, atol=1e-6)
