"""ImageNet targets end to end on a generated ImageFolder of real JPEGs (smoke profile, 32x32 crops)."""

import csv

import pytest

from resnet_repro.data.synthetic import write_image_folder

from .conftest import assert_one_line_error, cli
from .test_training import final, rows_without_timing


@pytest.fixture(scope="module")
def imagenet_dir(tmp_path_factory):
    root = write_image_folder(tmp_path_factory.mktemp("imagenet") / "imagenet")
    (root / "train" / "n00000000" / "zz_broken.JPEG").write_bytes(b"\xff\xd8 truncated")
    return root.parent


@pytest.fixture(scope="module")
def table3(imagenet_dir, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    cli("run", "table3", "--profile", "smoke", "--device", "cpu", "--data-dir", str(imagenet_dir), "--results",
        str(results), check=True)
    with open(results / "table3/smoke/table.csv") as handle:
        return results, {row["model"]: row for row in csv.DictReader(handle)}


def test_table3_smoke_has_every_row_with_top1_and_top5(table3):
    _, rows = table3
    assert list(rows) == ["plain-34", "resnet-34-A", "resnet-34-B", "resnet-34-C", "resnet-50-B", "resnet-101-B",
                          "resnet-152-B"]
    for row in rows.values():
        assert row["status"] == "finished" and 0 <= float(row["top1_error"]) <= 100
        assert float(row["top5_error"]) <= float(row["top1_error"])
    assert rows["resnet-34-C"]["paper_top1_error"] == "24.19" and rows["resnet-152-B"]["paper_top5_error"] == "5.71"
    assert rows["resnet-50-B"]["delta_top1"] == ""  # smoke numbers are never compared with the paper's
    assert int(rows["resnet-34-B"]["params"]) - int(rows["resnet-34-A"]["params"]) > 0


def test_unreadable_training_image_was_skipped_not_fatal(table3):
    results, _ = table3
    metrics = rows_without_timing(next(results.glob("runs/imagenet/plain-34/smoke/seed0")) / "metrics.csv")
    assert len(metrics) == 4


def test_skipped_images_are_counted_in_final_json(tmp_path):
    import json

    root = write_image_folder(tmp_path / "data" / "imagenet", classes=2, train_per_class=2, val_per_class=2)
    broken = root / "train" / "n00000000" / "zz_broken.JPEG"
    broken.write_bytes(b"\xff\xd8 truncated")
    images = len(list((root / "train").rglob("*.JPEG")))  # every batch is the whole set, broken file included
    cli("run", "table2", "--profile", "smoke", "--only", "plain-18", "--device", "cpu", "--data-dir",
        str(tmp_path / "data"), "--results", str(tmp_path / "r"), "--set", f"recipe.batch_size={images}", check=True)
    final_json = json.loads(next((tmp_path / "r").glob("runs/imagenet/plain-18/*/seed0/final.json")).read_text())
    assert final_json["status"] == "finished"
    assert final_json["skipped_images"] == {"count": 1, "paths": [str(broken)]}


def test_fig4_smoke_draws_from_the_shared_runs(imagenet_dir, table3):
    results, _ = table3
    out = cli("run", "fig4", "--profile", "smoke", "--device", "cpu", "--data-dir", str(imagenet_dir), "--results",
              str(results), check=True)
    assert (results / "fig4/smoke/fig4.png").stat().st_size > 0
    assert "plain-34/smoke/seed0: already finished" in out.stdout


def test_imagenet_run_resumes_exactly(imagenet_dir, tmp_path):
    args = ["run", "table2", "--profile", "smoke", "--only", "plain-18", "--device", "cpu", "--data-dir",
            str(imagenet_dir)]
    cli(*args, "--results", str(tmp_path / "alone"), check=True)
    crashed = cli(*args, "--results", str(tmp_path / "killed"), env={"RESNET_REPRO_FAULT": "after-checkpoint:2"})
    assert crashed.returncode == -9
    cli(*args, "--results", str(tmp_path / "killed"), check=True)
    a, b = (tmp_path / d / "runs/imagenet/plain-18/smoke/seed0" for d in ("alone", "killed"))
    assert rows_without_timing(a / "metrics.csv") == rows_without_timing(b / "metrics.csv")
    assert final(a / "final.json") == final(b / "final.json")


def test_missing_imagenet_says_it_cannot_be_downloaded(tmp_path):
    result = cli("run", "table2", "--profile", "smoke", "--device", "cpu", "--data-dir", str(tmp_path),
                 "--results", str(tmp_path / "r"))
    assert_one_line_error(result, "ImageNet not found", "cannot be downloaded", "--data-dir")


def test_table4_reports_the_multiscale_protocol(imagenet_dir, table3):
    results, _ = table3  # table4 shares its runs with table3 (same names, same configs)
    cli("run", "table4", "--profile", "smoke", "--device", "cpu", "--data-dir", str(imagenet_dir), "--results",
        str(results), check=True)
    with open(results / "table4/smoke/table.csv") as handle:
        rows = {row["model"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"resnet-34-B", "resnet-34-C", "resnet-50-B"}  # the smoke profile's selection
    assert all(r["top1_error"] != "" and r["status"] == "finished" for r in rows.values())
    assert next(results.glob("runs/imagenet/resnet-50-B/smoke/seed0/multi-scale.json")).exists()
    assert rows["resnet-50-B"]["paper_top5_error"] == "5.25"
    assert "fully convolutional" in (results / "table4/smoke/table.md").read_text()
