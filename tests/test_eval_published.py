"""`resnet-repro eval`: weights trained elsewhere under the paper's 10-crop and multi-scale tests, on a tiny
ImageFolder, with saved random weights whose fc bias fixes the predictions (so the error is known exactly)."""

import csv
import os
import pickle
import urllib.error
import warnings

import pytest
import torch

from resnet_repro.basics.digest import file_digest
from resnet_repro.basics.errors import UserError
from resnet_repro.data.imagenet import scan_image_folder
from resnet_repro.data.synthetic import write_image_folder
from resnet_repro.engines import published_eval
from resnet_repro.engines.published_eval import StdScaled, check_val_classes, published_net
from resnet_repro.models import build_model

from .conftest import assert_one_line_error, cli_in_process


@pytest.fixture(scope="module")
def val_folder(tmp_path_factory):
    return (
        write_image_folder(
            tmp_path_factory.mktemp("imagenet") / "imagenet", classes=3, train_per_class=1, val_per_class=3
        )
        / "val"
    )


@pytest.fixture
def val_dir(val_folder, monkeypatch):
    """A val folder of 3 wnids, taken as the nets' whole class list (1000 would be too many images to test on)."""
    monkeypatch.setattr(published_eval, "IMAGENET_CLASSES", 3)
    return val_folder


def biased(state_dict: dict) -> dict:
    """Class 0 first, classes 1-4 next, whatever the image: top-1 wrong exactly where the label is not 0, top-5
    never wrong (the folder has 3 classes)."""
    bias = torch.zeros_like(state_dict["fc.bias"])
    bias[0], bias[1:5] = 100.0, 50.0
    return {**state_dict, "fc.bias": bias}


def expected_top1(val_dir) -> float:
    labels = [label for _, label in scan_image_folder(val_dir).samples]
    return round(100.0 * sum(label != 0 for label in labels) / len(labels), 2)


def slug(weights, model) -> str:
    """The folder a weights file's rows go to: its stem, the net and the start of its SHA-256."""
    return f"{weights.stem}-{model}-{file_digest(weights)[:12]}"


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def eval_on_val(val_dir, results, *options: str) -> None:
    """`resnet-repro eval OPTIONS` on the smoke profile's CPU test of the small val folder, writing into `results`."""
    common = ("--val", str(val_dir), "--profile", "smoke", "--device", "cpu", "--results", str(results))
    result = cli_in_process("eval", *options, *common)
    assert result.returncode == 0, result.stderr


def test_a_state_dict_file_gives_the_exact_row_beside_the_papers(tmp_path, val_dir):
    torch.manual_seed(0)
    weights = tmp_path / "mine.pt"
    torch.save(biased(build_model("resnet34", "B").state_dict()), weights)
    results = tmp_path / "results"
    eval_on_val(val_dir, results, "--weights", str(weights), "--model", "resnet34", "--shortcut", "B")
    [row] = read_rows(results / "eval" / slug(weights, "resnet34") / "smoke" / "10-crop.csv")
    assert row == {
        "weights": str(weights),
        "weights_sha256": file_digest(weights),
        "model": "resnet34-B",
        "protocol": "10-crop",
        "profile": "smoke",
        "set": "",
        "images": "9",
        "top1_error": str(expected_top1(val_dir)),
        "top5_error": "0.0",
        "paper_row": "resnet34-B",
        "paper_top1_error": "24.52",
        "paper_top5_error": "7.46",
        "note": "published weights, not trained here",
    }
    markdown = (results / "eval" / slug(weights, "resnet34") / "smoke" / "10-crop.md").read_text()
    assert "| mine.pt" not in markdown and "| resnet34-B | 10-crop | smoke |  | 9 |" in markdown


def test_the_multi_scale_test_reads_table4(tmp_path, val_dir):
    torch.manual_seed(1)
    weights = tmp_path / "mine.pt"
    torch.save(biased(build_model("resnet50", "B").state_dict()), weights)
    options = ("--weights", str(weights), "--model", "resnet50", "--protocol", "multi-scale")
    eval_on_val(val_dir, tmp_path / "results", *options, "--set", "data.test_scales=[40,48]")
    [variant] = (tmp_path / "results" / "eval" / slug(weights, "resnet50")).iterdir()  # smoke~<tag of the --set>
    assert variant.name.startswith("smoke~")
    [row] = read_rows(variant / "multi-scale.csv")
    assert (row["top1_error"], row["paper_row"], row["paper_top1_error"], row["profile"], row["set"]) == (
        str(expected_top1(val_dir)),
        "resnet50-B",
        "20.74",
        variant.name,
        "data.test_scales=[40,48]",
    )


def torchvision_resnet18_in_cache(torch_home, monkeypatch) -> dict:
    """torchvision's own (random) resnet18 weights saved where torch hub looks for the published file."""
    from torchvision.models import ResNet18_Weights, resnet18

    torch.manual_seed(2)
    state_dict = biased(resnet18().state_dict())
    folder = torch_home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save(state_dict, folder / os.path.basename(ResNet18_Weights.IMAGENET1K_V1.url))
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    return state_dict


def test_torchvision_weights_from_the_cache_are_scaled_as_torchvision_trained_them(tmp_path, monkeypatch):
    from torchvision.models import resnet18

    state_dict = torchvision_resnet18_in_cache(tmp_path / "torch", monkeypatch)
    net = published_net("torchvision:resnet18", None, None)
    theirs = resnet18()
    theirs.load_state_dict(state_dict)
    x = torch.randn(2, 3, 64, 64)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.inference_mode():
        assert isinstance(net.model, StdScaled)
        torch.testing.assert_close(net.model.eval()(x), theirs.eval()(x / std), rtol=1e-4, atol=1e-4)
    assert (net.name, net.shortcut) == ("resnet18", "B")


def test_a_shortcut_torchvision_weights_have_not_is_refused_not_ignored(tmp_path, monkeypatch):
    # --shortcut A built the net with B and wrote the row as B, the A asked for unseen
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # refused before any weights are looked for
    with pytest.raises(UserError, match=r"torchvision:resnet50 has option B shortcuts; leave --shortcut out"):
        published_net("torchvision:resnet50", None, "A")


@pytest.mark.parametrize("variant", ["original", "v15"])
def test_a_variant_torchvision_weights_are_not_is_refused_not_ignored(tmp_path, monkeypatch, val_dir, variant):
    # --variant original built torchvision's v1.5 net all the same, the variant asked for unseen
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # refused before any weights are looked for
    results = tmp_path / "results"
    weights = (
        "--weights",
        "torchvision:resnet50",
        "--variant",
        variant,
        "--val",
        str(val_dir),
        "--results",
        str(results),
    )
    assert_one_line_error(
        cli_in_process("eval", *weights),
        f"--variant {variant} does not apply to torchvision's weights: torchvision:resnet50 is the v1.5 net",
        "leave --variant out",
    )
    assert not results.exists()


def test_torchvision_weights_are_named_by_the_sha256_of_the_file_in_the_hub_cache(tmp_path, monkeypatch):
    # the row's weights_sha256 was empty for torchvision's named weights: which file the numbers are of went unsaid
    from torchvision.models import ResNet50_Weights

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert published_eval.weights_sha256("torchvision:resnet50") == ""  # nothing in the cache
    cached = tmp_path / "torch" / "hub" / "checkpoints" / os.path.basename(ResNet50_Weights.IMAGENET1K_V1.url)
    cached.parent.mkdir(parents=True)
    torch.save({"fc.bias": torch.zeros(3)}, cached)  # a tiny state_dict stands for the download
    assert published_eval.torchvision_weights_file(50) == cached
    assert published_eval.weights_sha256("torchvision:resnet50") == file_digest(cached)


def test_torchvision_weights_row_names_the_papers_resnet18_row(tmp_path, monkeypatch, val_dir):
    from torchvision.models import ResNet18_Weights

    torchvision_resnet18_in_cache(tmp_path / "torch", monkeypatch)
    eval_on_val(val_dir, tmp_path / "results", "--weights", "torchvision:resnet18")
    [row] = read_rows(tmp_path / "results" / "eval" / "torchvision-resnet18" / "smoke" / "10-crop.csv")
    cached = tmp_path / "torch" / "hub" / "checkpoints" / os.path.basename(ResNet18_Weights.IMAGENET1K_V1.url)
    assert row["weights_sha256"] == file_digest(cached)
    assert (row["model"], row["top1_error"], row["paper_row"], row["paper_top1_error"]) == (
        "resnet18-B",
        str(expected_top1(val_dir)),
        "resnet18-A",
        "27.88",
    )


def test_weights_to_download_without_a_network_is_one_line(tmp_path, monkeypatch, val_dir):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty"))

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    result = cli_in_process(
        "eval", "--weights", "torchvision:resnet50", "--val", str(val_dir), "--results", str(tmp_path / "r")
    )
    assert result.returncode == 2
    cache = tmp_path / "empty" / "hub" / "checkpoints"
    assert result.stderr.strip() == (
        f"error: torchvision's resnet50 weights are not in the cache ({cache}) and could not be downloaded "
        f"(URLError): put resnet50-0676ba61.pth there, or pass --weights FILE"
    )
    assert not (tmp_path / "r" / "eval").exists()


def test_a_damaged_file_in_the_weights_cache_is_named_as_such(tmp_path, monkeypatch, val_dir):
    from torchvision.models import ResNet18_Weights

    torchvision_resnet18_in_cache(tmp_path / "torch", monkeypatch)
    cached = tmp_path / "torch" / "hub" / "checkpoints" / os.path.basename(ResNet18_Weights.IMAGENET1K_V1.url)
    cached.write_bytes(cached.read_bytes()[:1000])  # a download cut short
    result = cli_in_process(
        "eval", "--weights", "torchvision:resnet18", "--val", str(val_dir), "--results", str(tmp_path / "r")
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (  # not "are not in the cache ... put resnet18-f37072fd.pth there"
        f"error: torchvision's resnet18 weights in the cache, {cached}, cannot be read (RuntimeError: a download cut "
        f"short?): delete it to download it again, or put an intact copy there"
    )
    assert not (tmp_path / "r" / "eval").exists()


class RunsCode:
    """Unpickled with code execution, it would create `path` (builtins.open in write mode)."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def bad_files(tmp_path) -> dict:
    torch.manual_seed(3)
    files = {}
    files["wrong keys"] = tmp_path / "r34.pt"
    torch.save(build_model("resnet34", "B").state_dict(), files["wrong keys"])
    files["wrong shapes"] = tmp_path / "r18_10.pt"
    torch.save(build_model("resnet18", "B", num_classes=10).state_dict(), files["wrong shapes"])
    files["not a state_dict"] = tmp_path / "list.pt"
    torch.save([torch.zeros(2)], files["not a state_dict"])
    files["text"] = tmp_path / "notes.pt"
    files["text"].write_text("hello\n")
    r18 = build_model("resnet18", "B").state_dict()
    files["meta tensor"] = tmp_path / "meta.pt"
    torch.save({**r18, "fc.bias": torch.empty(1000, device="meta")}, files["meta tensor"])
    files["sparse tensor"] = tmp_path / "sparse.pt"
    torch.save({**r18, "fc.weight": r18["fc.weight"].to_sparse()}, files["sparse tensor"])
    files["quantized tensor"] = tmp_path / "quantized.pt"
    with warnings.catch_warnings():  # quantized tensors are deprecated, and still saved
        warnings.simplefilter("ignore")
        torch.save(
            {**r18, "fc.bias": torch.quantize_per_tensor(torch.zeros(1000), 0.1, 0, torch.qint8)},
            files["quantized tensor"],
        )
    files["NaN"] = tmp_path / "nan.pt"
    torch.save({**r18, "fc.bias": torch.full((1000,), float("nan"))}, files["NaN"])
    files["folder"] = tmp_path / "folder.pt"
    files["folder"].mkdir()
    files["pipe"] = tmp_path / "pipe.pt"
    os.mkfifo(files["pipe"])
    files["code"] = tmp_path / "code.pt"
    with open(files["code"], "wb") as handle:
        pickle.dump({"x": RunsCode(tmp_path / "ran")}, handle)
    return files


@pytest.mark.parametrize(
    "kind, message",
    [
        (
            "wrong keys",
            "do not fit resnet18: it has stages.0.2.conv1.weight, which resnet18 has not (0 missing, 96 unexpected keys); check --model and --shortcut",
        ),
        (
            "wrong shapes",
            "do not fit resnet18: fc.weight is (10, 512), the net's (1000, 512); check --model and --shortcut",
        ),
        ("not a state_dict", "is not a state_dict (a mapping of names to tensors): save model.state_dict()"),
        ("text", "is not a file torch.save wrote: save one with torch.save(model.state_dict(), path)"),
        ("code", "holds more than tensors"),
        ("NaN", "nan.pt hold NaN or infinite values in fc.bias: not trained weights (a diverged run, a damaged file)"),
        ("folder", "folder.pt is a folder: name a state_dict file saved with torch.save"),
        ("pipe", "pipe.pt is not a regular file (a pipe or a device): name a state_dict file saved with torch.save"),
        ("meta tensor", "do not fit resnet18: fc.bias is a meta tensor, which holds no values; save a state_dict of"),
        ("sparse tensor", "do not fit resnet18: fc.weight is a sparse tensor; save a state_dict of dense tensors"),
        ("quantized tensor", "do not fit resnet18: fc.bias is a quantized tensor; save a state_dict of dense tensors"),
    ],
)
def test_a_bad_weights_file_is_one_line(tmp_path, val_dir, kind, message):
    path = bad_files(tmp_path)[kind]
    result = cli_in_process(
        "eval", "--weights", str(path), "--model", "resnet18", "--val", str(val_dir), "--results", str(tmp_path / "r")
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "ran").exists()  # the pickle's code never ran
    assert not (tmp_path / "r" / "eval").exists()


def test_a_cifar_net_is_tested_on_the_test_batch_beside_table6(tmp_path, monkeypatch):
    from resnet_repro.cli.common import console
    from resnet_repro.data.synthetic import write_cifar10

    monkeypatch.setattr(console, "width", 400)
    weights, results = tmp_path / "w[old]" / "r20.pt", tmp_path / "results[old]"  # [old]: no markup, as written
    weights.parent.mkdir()

    folder = write_cifar10(tmp_path / "data", train_per_batch=8, test=40)
    torch.manual_seed(4)
    state_dict = build_model("resnet20").state_dict()
    state_dict["fc.weight"] = torch.zeros(10, 64)  # raw pixels through untrained BN grow large: the bias alone decides
    state_dict["fc.bias"] = torch.zeros(10)
    state_dict["fc.bias"][3] = 1.0  # every image called class 3
    torch.save(state_dict, weights)
    result = cli_in_process(
        "eval", "--weights", str(weights), "--model", "resnet20", "--cifar", str(folder), "--device", "cpu",
        "--results", str(results),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    csv_path = results / "eval" / slug(weights, "resnet20") / "cifar10-test.csv"
    assert f"\n| {weights} | " in result.stdout  # the row names the weights file
    assert f"wrote {csv_path} and {csv_path.with_suffix('.md')}\n" in result.stdout
    with open(folder / "test_batch", "rb") as handle:  # the batch this test wrote: trusted
        labels = pickle.load(handle, encoding="bytes")[b"labels"]
    expected = round(100.0 * sum(label != 3 for label in labels) / len(labels), 2)
    [row] = read_rows(csv_path)
    assert (row["model"], row["images"], row["top1_error"], row["paper_top1_error"]) == (
        "resnet20",
        "40",
        str(expected),
        "8.75",
    )


def test_eval_names_its_one_test_set(tmp_path):
    result = cli_in_process("eval", "--weights", "x.pt", "--model", "resnet20", "--results", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: eval needs one test set: --val IMAGENET_VAL_FOLDER for an ImageNet net, or --cifar FOLDER for a CIFAR net"
    )


def test_a_val_folder_of_unreadable_images_writes_no_row_and_keeps_the_last(tmp_path, val_dir):
    torch.manual_seed(0)
    weights = tmp_path / "mine.pt"
    torch.save(biased(build_model("resnet18", "B").state_dict()), weights)
    results = tmp_path / "results"
    eval_on_val(val_dir, results, "--weights", str(weights), "--model", "resnet18")
    written = results / "eval" / slug(weights, "resnet18") / "smoke" / "10-crop.csv"
    before = written.read_bytes()
    unreadable = tmp_path / "val"
    for name, content in (("n00000001", b"not a jpeg\n"), ("n00000002", b""), ("n00000003", b"")):
        (unreadable / name).mkdir(parents=True)
        (unreadable / name / "a.JPEG").write_bytes(content)
    result = cli_in_process(
        "eval", "--weights", str(weights), "--model", "resnet18", "--val", str(unreadable), "--profile", "smoke",
        "--device", "cpu", "--results", str(results),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"error: --val {unreadable}: none of its 3 images could be read (empty, cut short or not JPEG/PNG); nothing "
        "was written. Name ImageNet's val folder (val/<wnid>/*.JPEG)"
    )
    assert written.read_bytes() == before  # the earlier row, not one of nan


@pytest.mark.parametrize(
    "variant, says",
    [
        ("v1.5", "error: variant v1.5 applies to the ImageNet bottleneck nets only, not resnet20 (CIFAR)"),
        ("v15", "error: unknown variant 'v15': use one of original, v1.5"),
    ],
)
def test_a_variant_a_cifar_net_has_not_is_refused_not_ignored(tmp_path, variant, says):
    torch.save(build_model("resnet20").state_dict(), tmp_path / "r20.pt")
    (tmp_path / "test_batch").write_bytes(b"")  # the net is refused before any batch is read
    result = cli_in_process(
        "eval", "--weights", str(tmp_path / "r20.pt"), "--model", "resnet20", "--variant", variant,
        "--cifar", str(tmp_path), "--results", str(tmp_path / "results"),
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.strip() == says, result.stderr
    assert not (tmp_path / "results").exists()


def test_a_results_path_that_cannot_be_written_is_said_before_the_test(tmp_path, monkeypatch):
    # the whole test set was evaluated (hours of ImageNet on a CPU), then the folder under the file could not be made
    monkeypatch.setattr(published_eval, "published_net", lambda *_: pytest.fail("the weights were loaded"))
    (tmp_path / "taken").write_text("mine")
    (tmp_path / "test_batch").write_bytes(b"")
    result = cli_in_process(
        "eval", "--weights", str(tmp_path / "r20.pt"), "--model", "resnet20", "--cifar", str(tmp_path),
        "--results", str(tmp_path / "taken" / "results"),
    )  # fmt: skip
    assert_one_line_error(result, f"cannot write {tmp_path / 'taken' / 'results' / 'eval'}: {tmp_path / 'taken'} is a")
    assert (tmp_path / "taken").read_text() == "mine"


@pytest.mark.parametrize(
    "option, says", [(("--profile", "smok"), "unknown profile 'smok'"), (("--set", "data.crops=1"), "data.crops")]
)
def test_a_mistyped_profile_or_set_is_said_before_the_weights_are_fetched(tmp_path, monkeypatch, val_dir, option, says):
    # torchvision's weights were downloaded first (100 MB), and without a network their error hid the typo
    monkeypatch.setattr(published_eval, "torchvision_state_dict", lambda _: pytest.fail("the weights were fetched"))
    result = cli_in_process(
        "eval", "--weights", "torchvision:resnet50", "--val", str(val_dir), *option, "--results", str(tmp_path)
    )
    assert_one_line_error(result, says)
    assert not any(tmp_path.iterdir())


def test_a_variant_a_basic_block_imagenet_net_has_not_is_refused_not_ignored(tmp_path):
    # --variant v1.5 tested resnet18 as it is, the variant asked for unseen (a target file refuses it so)
    torch.save(build_model("resnet18").state_dict(), tmp_path / "r18.pt")
    with pytest.raises(UserError) as refused:
        published_net(str(tmp_path / "r18.pt"), "resnet18", None, "v1.5")
    assert str(refused.value) == (
        "--variant v1.5 applies to the ImageNet bottleneck nets only (depth 50, 101, 152), not resnet18; leave "
        "--variant out"
    )


@pytest.mark.parametrize(
    "weights, says",
    [
        # it said "--cifar needs --model naming a CIFAR net ..., not None", and --model resnet20 was then refused
        (
            "torchvision:resnet18",
            "error: --weights torchvision:resnet18: torchvision publishes ImageNet nets, tested with --val",
        ),
        ("r20.pt", "error: --weights r20.pt: name the CIFAR net these weights are for with --model (e.g. resnet20"),
    ],
)
def test_cifar_weights_without_a_cifar_net_say_what_to_give(tmp_path, weights, says):
    (tmp_path / "test_batch").write_bytes(b"")  # refused before any batch is read
    result = cli_in_process("eval", "--weights", weights, "--cifar", str(tmp_path), "--results", str(tmp_path / "r"))
    assert result.returncode == 2 and result.stderr.strip().startswith(says), result.stderr
    assert not (tmp_path / "r").exists()


def test_evals_of_other_profiles_and_of_same_named_files_each_keep_their_rows(tmp_path, val_dir):
    torch.manual_seed(0)
    first, second = tmp_path / "a" / "mine.pt", tmp_path / "b" / "mine.pt"  # one name, two nets
    for weights in (first, second):
        weights.parent.mkdir()
        torch.save(biased(build_model("resnet18", "B").state_dict()), weights)
    results = tmp_path / "results"
    eval_on_val(val_dir, results, "--weights", str(first), "--model", "resnet18")
    eval_on_val(val_dir, results, "--weights", str(second), "--model", "resnet18")
    eval_on_val(val_dir, results, "--weights", str(first), "--model", "resnet18", "--set", "data.crop=28")
    rows = [read_rows(path)[0] for path in sorted((results / "eval").rglob("10-crop.csv"))]
    assert len(rows) == 3  # nothing replaced by a later eval
    tagged = [row["profile"] for row in rows if row["set"]]
    assert len(tagged) == 1 and tagged[0].startswith("smoke~")  # the profile and the --set's tag, as a run's folder
    assert {(row["weights"], row["weights_sha256"], row["profile"], row["set"]) for row in rows} == {
        (str(first), file_digest(first), "smoke", ""),
        (str(second), file_digest(second), "smoke", ""),
        (str(first), file_digest(first), tagged[0], "data.crop=28"),
    }


def test_a_files_v15_eval_keeps_its_own_row_and_says_it_is_v15(tmp_path, val_dir):
    # the v1.5 eval replaced the original one's row, in a row saying resnet50-B as the original's did
    torch.manual_seed(0)
    weights, results = tmp_path / "mine.pt", tmp_path / "results"
    torch.save(biased(build_model("resnet50", "B").state_dict()), weights)
    for variant in ("original", "v1.5"):
        eval_on_val(val_dir, results, "--weights", str(weights), "--model", "resnet50", "--variant", variant)
    digest = file_digest(weights)[:12]
    folders = {"resnet50-B": f"mine-resnet50-{digest}", "resnet50-B-v1.5": f"mine-resnet50-v1.5-{digest}"}
    for model, folder in folders.items():
        [row] = read_rows(results / "eval" / folder / "smoke" / "10-crop.csv")
        assert (row["model"], row["paper_row"]) == (model, "resnet50-B")  # the paper's is the nearest row


def wnid_folders(root, count: int):
    for label in range(count):
        (root / f"n{label:08d}").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    "make, says",
    [
        (lambda root, subset: subset, "has 3 class folders, not the net's 1000"),  # 3 wnids of images
        (lambda root, subset: wnid_folders(root, 1001), "has 1001 class folders, not the net's 1000"),  # one extra
        (
            lambda root, subset: (wnid_folders(root, 999) / "cats").mkdir() or root,
            "class folder 'cats' is not a wnid, so the labels would not be the net's outputs",
        ),
    ],
)
def test_a_val_folder_of_other_classes_than_the_nets_is_refused(tmp_path, val_folder, make, says):
    torch.save(build_model("resnet18", "B").state_dict(), tmp_path / "w.pt")
    folder = make(tmp_path / "val", val_folder)
    result = cli_in_process(
        "eval", "--weights", str(tmp_path / "w.pt"), "--model", "resnet18", "--val", str(folder), "--profile",
        "smoke", "--device", "cpu", "--results", str(tmp_path / "results"),
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert says in line and line.endswith(
        "nothing was written. Name ImageNet's val/<wnid>/ with 1000 wnid folders (n + 8 digits, e.g. n01440764)"
    ), line
    assert not (tmp_path / "results").exists()


def test_a_val_folder_of_1000_wnids_is_taken(tmp_path):
    check_val_classes(wnid_folders(tmp_path / "val", 1000))


@pytest.mark.parametrize(
    "option, says",
    [
        (
            ("--protocol", "multi-scale"),
            "--protocol 'multi-scale': {why} ImageNet protocol applies to it; leave --protocol out",
        ),
        (("--protocol", "bogus"), "--protocol 'bogus': {why} ImageNet protocol applies to it; leave --protocol out"),
        (("--profile", "smoke"), "--profile 'smoke': {why} profile applies to it; leave --profile out"),
        (("--set", "data.crop=28"), "--set 'data.crop=28': {why} --set key applies to it; leave --set out"),
    ],
)
def test_an_imagenet_test_option_with_cifar_is_refused_not_ignored(tmp_path, option, says):
    torch.save(build_model("resnet20").state_dict(), tmp_path / "r20.pt")
    (tmp_path / "test_batch").write_bytes(b"")  # refused before any batch is read
    result = cli_in_process(
        "eval", "--weights", str(tmp_path / "r20.pt"), "--model", "resnet20", *option, "--cifar", str(tmp_path),
        "--results", str(tmp_path / "results"),
    )  # fmt: skip
    why = "--cifar tests a CIFAR net on the one 32x32 view of its test batch (Table 6), so no"
    assert result.returncode == 2 and result.stderr.strip() == "error: " + says.format(why=why), result.stderr
    assert not (tmp_path / "results").exists()
