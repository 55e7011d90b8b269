"""A hint names the fix that works here: a file given as the results folder is called a file, and `--download` is
offered only to a machine that can reach the server."""

import pytest

from resnet_repro.basics.errors import UserError
from resnet_repro.data import sources

from .conftest import assert_one_line_error, cli_in_process


@pytest.mark.parametrize("command", [["list"], ["report"], ["plot", "all"], ["run", "table1"]])
def test_a_file_named_as_the_results_folder_is_called_a_file(command, tmp_path):
    afile = tmp_path / "results.txt"
    afile.write_text("notes")
    result = cli_in_process(*command, "--results", str(afile))
    assert_one_line_error(
        result,
        f"error: the results folder {afile} is a file, not a folder (--results or RESNET_REPRO_RESULTS): name a "
        f"folder (one that does not exist yet is made), or move the file away",
    )
    assert "permissions" not in result.stderr and afile.read_text() == "notes"


def test_a_file_where_a_run_folder_belongs_is_named_as_such(tmp_path, cifar_dir):
    from .conftest import cli_in_process, smoke_args

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs/cifar10").write_text("")  # a file where the dataset's folder of runs goes
    result = cli_in_process(*smoke_args(cifar_dir, tmp_path))
    assert_one_line_error(  # before anything is read or trained, as show and list call it
        result,
        "damaged run cifar10/plain-20/smoke/seed0: its folder cannot be made: runs/cifar10 is a file, not a folder. "
        f"Move {tmp_path}/runs/cifar10 away (a file where a folder must be) and run again, or train into another "
        "folder with --results DIR",
    )
    assert "free space" not in result.stderr and "smoke/seed0 is" not in result.stderr  # the file, not a folder below


def test_a_file_above_a_folder_to_make_is_the_path_its_error_names(tmp_path):
    # `plot fig6` with a file at results/fig6 said "cannot access results/fig6/smoke", a folder below the file
    from resnet_repro.basics.atomic import make_dirs

    (tmp_path / "fig6").write_text("notes")
    for folder in ("fig6", "fig6/smoke", "fig6/smoke/deeper"):
        with pytest.raises(NotADirectoryError) as error:
            make_dirs(tmp_path / folder)
        assert error.value.filename == str(tmp_path / "fig6"), folder
    assert (tmp_path / "fig6").read_text() == "notes"


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(sources, "reachable", lambda host, *args, **kwargs: False)


@pytest.fixture
def online(monkeypatch):
    monkeypatch.setattr(sources, "reachable", lambda host, *args, **kwargs: True)


NO_NETWORK = "--download needs a network this machine does not reach"


def test_offline_a_missing_data_folder_is_not_told_to_download(offline, tmp_path):
    with pytest.raises(UserError) as error:
        sources.resolve_data_dir(str(tmp_path / "nowhere"))
    assert "add --download" not in str(error.value)
    assert f"copy the dataset there ({NO_NETWORK})" in str(error.value)


def test_online_a_missing_data_folder_is_told_to_download(online, tmp_path):
    with pytest.raises(UserError, match="add --download to fetch it there"):
        sources.resolve_data_dir(str(tmp_path / "nowhere"))


def test_offline_an_empty_data_folder_is_not_told_to_download(offline, tmp_path):
    with pytest.raises(UserError) as cifar:
        sources.locate_dataset("cifar10", tmp_path, named=True)
    assert "--download to" not in str(cifar.value) and "add --download" not in str(cifar.value)
    assert (
        f"Fix: --data-dir DIR pointing at the folder that holds cifar-10-batches-py ({NO_NETWORK}); --profile cpu"
        in (str(cifar.value))
    )
    with pytest.raises(UserError) as fashion:  # fetched without --download where it can be: never offered
        sources.locate_dataset("fashion-mnist", tmp_path, named=True)
    assert "--download" not in str(fashion.value) and "or run this again online" in str(fashion.value)


def test_online_an_empty_data_folder_is_told_to_download(online, tmp_path):
    with pytest.raises(UserError, match="Fix: add --download to fetch it, or --data-dir DIR"):
        sources.locate_dataset("cifar10", tmp_path, named=True)
    with pytest.raises(UserError) as fashion:  # fetched without --download: a failed fetch says why, not --download
        sources.locate_dataset("fashion-mnist", tmp_path, named=True)
    assert "--download" not in str(fashion.value) and "and fetching it from " in str(fashion.value)


def test_the_network_check_is_bounded_in_time():
    import time

    from resnet_repro.data.network import reachable

    started = time.monotonic()
    assert reachable("192.0.2.1", 443, seconds=0.5) is False  # TEST-NET-1: never answers
    assert time.monotonic() - started < 2


def test_a_file_where_an_output_folder_belongs_is_named_as_such(tmp_path):
    import torch

    from resnet_repro.basics.digest import file_digest
    from resnet_repro.data.synthetic import write_cifar10
    from resnet_repro.models import build_model

    folder = write_cifar10(tmp_path / "data", train_per_batch=8, test=10)
    torch.save(build_model("resnet20").state_dict(), tmp_path / "r20.pt")
    folder_name = f"r20-resnet20-{file_digest(tmp_path / 'r20.pt')[:12]}"  # eval's folder for this file
    (tmp_path / "results" / "eval").mkdir(parents=True)
    (tmp_path / "results" / "eval" / folder_name).write_text("notes")  # a file where eval's folder goes
    result = cli_in_process(
        "eval", "--weights", str(tmp_path / "r20.pt"), "--model", "resnet20", "--cifar", str(folder),
        "--device", "cpu", "--results", str(tmp_path / "results"),
    )  # fmt: skip
    assert_one_line_error(
        result,
        f"error: cannot access {tmp_path}/results/eval/{folder_name}: a file stands where a folder must be on that "
        f"path. Move the file away, or point --results/--data-dir elsewhere",
    )  # not "File exists. Fix its permissions or free space"
    assert (tmp_path / "results" / "eval" / folder_name).read_text() == "notes"
