"""The fast paths change nothing they should not; bench measures and writes its CSV."""

import csv
import json
import math
import os

import pytest
import torch
import torch.nn.functional as F

from resnet_repro.models import build_model
from resnet_repro.train.optim import load_sgd_state, make_sgd, sgd_implementation

from .conftest import assert_one_line_error, cli, cli_in_process, smoke_args


def gradients(model, x, y):
    model.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    return loss.double(), [p.grad.double().clone() for p in model.parameters()]


def worst_relative_error(grads, exact):
    return max(((g - e).norm() / e.norm()).item() for g, e in zip(grads, exact))


@pytest.mark.parametrize("name", ["resnet20", "plain20"])
def test_channels_last_is_as_exact_as_nchw(name):
    """Same loss to float tolerance; both layouts' gradients close to an fp64 reference.

    The two fp32 layouts run different conv kernels (oneDNN for channels_last), and train-mode BN
    backward compounds their rounding toward the input: measured here, the worst parameter's
    relative gradient error against fp64 is 0.1% to 3% for either layout, depending on the draw.
    A wrong layout conversion would be off by order one.
    """
    torch.manual_seed(0)
    nchw = build_model(name)
    fast = build_model(name).to(memory_format=torch.channels_last)
    exact = build_model(name).double()
    fast.load_state_dict(nchw.state_dict())
    exact.load_state_dict(nchw.state_dict())
    x, y = torch.randn(16, 3, 32, 32), torch.randint(0, 10, (16,))
    loss_nchw, grads_nchw = gradients(nchw, x, y)
    loss_fast, grads_fast = gradients(fast, x.contiguous(memory_format=torch.channels_last), y)
    loss_exact, grads_exact = gradients(exact, x.double(), y)
    assert abs(loss_fast - loss_nchw) < 1e-5 and abs(loss_fast - loss_exact) < 1e-5
    assert worst_relative_error(grads_fast, grads_exact) < 0.05
    assert worst_relative_error(grads_nchw, grads_exact) < 0.05


def sgd_trajectory(implementation, steps=5):
    torch.manual_seed(0)
    model = build_model("resnet20")
    optimizer = make_sgd(model.parameters(), 0.1, 0.9, 1e-4, torch.device("cpu"), implementation)
    torch.manual_seed(1)
    for _ in range(steps):  # fixed gradients: the comparison is of the update rule alone
        for p in model.parameters():
            p.grad = torch.randn_like(p)
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()], optimizer


@pytest.mark.parametrize("implementation", ["fused", "foreach"])
def test_fast_sgd_kernels_compute_the_per_parameter_update(implementation):
    reference, _ = sgd_trajectory("loop")
    params, optimizer = sgd_trajectory(implementation)
    assert optimizer.param_groups[0][implementation] is True
    for p, r in zip(params, reference):
        torch.testing.assert_close(p, r, rtol=1e-6, atol=1e-7)


def test_cpu_uses_fused_sgd_and_keeps_it_when_loading_an_older_checkpoint():
    assert sgd_implementation(torch.device("cpu")) == "fused"  # torch >= 2.4 has CPU fused SGD
    _, written_by_loop = sgd_trajectory("loop", steps=1)
    _, fused = sgd_trajectory("fused", steps=1)
    load_sgd_state(fused, written_by_loop.state_dict())
    assert fused.param_groups[0]["fused"] is True and fused.param_groups[0]["foreach"] is not False


def test_bf16_run_trains_and_is_recorded(cifar_dir, tmp_path):
    cli(
        *smoke_args(cifar_dir, tmp_path),
        "--precision",
        "bf16",
        check=True,
    )
    config = next(tmp_path.glob("runs/cifar10/plain-20/smoke~*/seed0/config.yaml")).read_text()
    assert "precision: bf16" in config and "train.precision=bf16" in config


def test_bench_writes_its_csv(tmp_path):
    results = tmp_path / "results[old]"  # its [old] was read as rich's markup: "wrote .../results/bench/bench.csv"
    result = cli(
        "bench",
        "--model",
        "resnet20",
        "--iterations",
        "2",
        "--batch-size",
        "16",
        "--device",
        "cpu",
        "--image-size",
        "28",
        "--results",
        str(results),
        check=True,
    )
    assert result.stdout.endswith(f"wrote {results}/bench/bench.csv\n")
    with open(results / "bench/bench.csv") as handle:
        row = next(csv.DictReader(handle))
    assert row["model"] == "resnet20" and float(row["train_images_per_s"]) > 0 and float(row["eval_images_per_s"]) > 0
    assert row["image_size"] == "28"  # the estimates use this rate for runs at 28x28 alone


def test_bench_rejects_a_bad_model(tmp_path):
    assert_one_line_error(cli_in_process("bench", "--model", "resnet21", "--results", str(tmp_path)), "unknown model")


def test_bench_says_a_results_path_that_is_a_file_before_measuring(tmp_path):
    # it measured every net first, then said the results folder was a file
    taken = tmp_path / "results"
    taken.write_text("mine")
    result = cli_in_process("bench", "--model", "resnet20", "--iterations", "1", "--results", str(taken))
    assert_one_line_error(result, "is a file, not a folder")
    assert "measuring" not in result.stdout and taken.read_text() == "mine"


def test_bench_says_a_results_path_under_a_file_before_measuring(tmp_path):
    # it measured every net first, then could not make the folder under the file
    (tmp_path / "taken").write_text("mine")
    results = tmp_path / "taken" / "results"
    result = cli_in_process("bench", "--model", "resnet20", "--iterations", "1", "--results", str(results))
    assert_one_line_error(result, f"cannot write {results / 'bench'}: {tmp_path / 'taken'} is a file, not a folder")
    assert "measuring" not in result.stdout and (tmp_path / "taken").read_text() == "mine"


@pytest.mark.parametrize("name", ["bench.csv", "table.md"])
def test_bench_says_a_folder_where_its_file_goes_before_measuring(tmp_path, name):
    # it measured every net first, then said a folder stood where the file must be (table.md: after bench.csv)
    (tmp_path / "bench" / name).mkdir(parents=True)
    result = cli_in_process("bench", "--model", "resnet20", "--iterations", "1", "--results", str(tmp_path))
    assert_one_line_error(result, f"cannot write {tmp_path / 'bench' / name}: it is a folder, not a file; move the")
    assert "measuring" not in result.stdout and os.listdir(tmp_path / "bench") == [name]


def test_a_results_folder_the_user_may_not_write_is_said_before_the_work(tmp_path, monkeypatch):
    # chmod 500 stops no write by root, who runs the tests here: the permission is asked of os.access alone
    from resnet_repro.basics.errors import UserError
    from resnet_repro.cli import common

    monkeypatch.setattr(common.os, "access", lambda path, mode: path != tmp_path)
    with pytest.raises(UserError) as refused:
        common.check_writable(tmp_path / "new" / "bench")
    assert str(refused.value).startswith(
        f"cannot write {tmp_path / 'new' / 'bench'}: {tmp_path} is a folder you may not"
    )
    common.check_writable(tmp_path.parent / "new")  # a folder that may be written: no complaint


def test_bench_says_a_batch_beyond_the_memory_before_allocating_it(tmp_path, monkeypatch):
    # it ended in torch's allocation traceback ("DefaultCPUAllocator: can't allocate memory")
    from resnet_repro.analysis import throughput

    monkeypatch.setattr(throughput, "measure", lambda *_: pytest.fail("bench measured (and allocated) the batch"))
    result = cli_in_process(
        "bench", "--model", "resnet20", "--batch-size", "1000000000", "--device", "cpu", "--results", str(tmp_path)
    )
    assert_one_line_error(result, "--batch-size 1000000000 at --image-size 32: a training step of resnet20 needs at")
    assert "GiB of memory; use a smaller --batch-size or --image-size" in result.stderr and not any(tmp_path.iterdir())


def test_the_memory_a_batch_needs_is_a_floor_below_the_steps_peak():
    """The bytes bench checks before allocating a batch: below the step's real peak (a batch that fits is never
    refused), counted on the meta device, and refused beyond the device's memory."""
    from resnet_repro.analysis.memory import check_batch_fits, device_memory, step_floor_bytes, step_peak_mib
    from resnet_repro.basics.errors import UserError

    floor = step_floor_bytes("resnet20", 32, "fp32")
    assert 0 < 128 * floor < step_peak_mib("resnet20", batch_size=128)["total"] * 2**20
    assert step_floor_bytes("resnet20", 32, "bf16") < floor  # conv outputs at 2 bytes
    cpu, have = torch.device("cpu"), device_memory(torch.device("cpu"))[0]
    check_batch_fits(["resnet20"], 128, 32, "fp32", cpu, 10_000)
    with pytest.raises(UserError, match="; use a smaller --batch-size or --image-size$"):
        check_batch_fits(["resnet20"], have // floor + 1, 32, "fp32", cpu, 0)
    side = math.isqrt(have // (3 * 10_000)) + 1  # the 10,000 images alone too large (numpy's traceback, before)
    with pytest.raises(UserError, match=rf"^--batch-size 2 at --image-size {side}: .* \(10,000 images of that size"):
        check_batch_fits(["resnet20"], 2, side, "fp32", cpu, 10_000)


def test_a_gpus_memory_for_a_batch_is_its_free_memory(monkeypatch):
    from resnet_repro.analysis.memory import device_memory

    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device: (3 * 2**30, 80 * 2**30))
    assert device_memory(torch.device("cuda", 1)) == (3 * 2**30, "cuda:1 has 3.0 GiB free of 80.0 GiB")


def test_a_batch_of_ones_last_stage_is_found_from_shapes_alone():
    # bench --batch-size 1 --image-size 20000 ended in torch's traceback, allocating 25 GB to find the last stage
    from resnet_repro.analysis.throughput import smallest_bn_map

    assert smallest_bn_map("resnet18", 32) == 1 and smallest_bn_map("resnet20", 10**6) == 250_000**2


def test_bench_says_a_batch_of_one_cannot_train_a_net_whose_last_stage_is_one_pixel(tmp_path):
    # it ended in torch's traceback "ValueError: Expected more than 1 value per channel when training"
    result = cli_in_process("bench", "--model", "resnet18", "--batch-size", "1", "--results", str(tmp_path))
    assert_one_line_error(result, "--batch-size 1: resnet18's last stage is 1x1 at --image-size 32", "--batch-size 2")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["resnet20", "plain20", "resnet18"])
def test_activation_checkpointing_gives_identical_gradients_and_bn_stats(name):
    torch.manual_seed(0)
    plain_run = build_model(name, num_classes=10)
    checkpointed = build_model(name, num_classes=10)
    checkpointed.load_state_dict(plain_run.state_dict())
    checkpointed.activation_checkpointing = True
    x, y = torch.randn(4, 3, 32, 32), torch.randint(0, 10, (4,))
    F.cross_entropy(plain_run(x), y).backward()
    F.cross_entropy(checkpointed(x), y).backward()
    for (n, a), b in zip(plain_run.named_parameters(), checkpointed.parameters()):
        assert torch.equal(a.grad, b.grad), n
    for (n, a), b in zip(plain_run.named_buffers(), checkpointed.buffers()):
        assert torch.equal(a, b), n  # running stats updated once, not twice


def test_checkpointed_training_run_matches_the_plain_run(alone, cifar_dir, tmp_path):
    from .conftest import rows_without_timing, smoke_args

    cli(*smoke_args(cifar_dir, tmp_path, "--set", "recipe.activation_checkpointing=true"), check=True)
    checkpointed = next(tmp_path.glob("runs/cifar10/plain-20/smoke~*/seed0"))
    assert rows_without_timing(alone / "metrics.csv") == rows_without_timing(checkpointed / "metrics.csv")


def test_a_compiled_run_trains_and_says_cuda_graphs_are_off_on_the_cpu(cifar_dir, tmp_path):
    cli(
        *smoke_args(cifar_dir, tmp_path),
        "--compile",
        check=True,
    )
    final = json.loads(next(tmp_path.glob("runs/cifar10/plain-20/smoke~*/seed0/final.json")).read_text())
    assert final["status"] == "finished" and final["cuda_graphs"] == "off"
    assert "compile: true" in next(tmp_path.glob("runs/cifar10/plain-20/smoke~*/seed0/config.yaml")).read_text()


def test_cuda_graph_check_reports_torchs_skip_and_its_reason():
    """torch's own skip path (the one BN buffer mutation takes) must reach the run's verdict."""
    from torch._inductor.cudagraph_utils import log_cudagraph_skip_and_bump_counter

    from resnet_repro.train.compiled import CudaGraphCheck, compile_mode

    assert compile_mode(torch.device("cuda"), distributed=False) == "reduce-overhead"
    assert compile_mode(torch.device("cuda"), distributed=True) == "default"
    assert compile_mode(torch.device("cpu"), distributed=False) == "default"
    clean = CudaGraphCheck(expected=True)
    assert clean.verdict() == "used"
    clean.close()
    check = CudaGraphCheck(expected=True)
    log_cudagraph_skip_and_bump_counter("skipping cudagraphs due to mutated inputs (2 instances)")
    assert check.verdict() == "skipped: skipping cudagraphs due to mutated inputs (2 instances)"
    check.close()
    assert CudaGraphCheck(expected=False).verdict() == "off"
    assert [CudaGraphCheck.for_mode(*how).expected for how in (("reduce-overhead",), ("default",))] == [True, False]
    assert CudaGraphCheck.for_mode("reduce-overhead", "eager").expected is False  # a dry run's tracing compiles nothing


def test_activation_checkpointing_lowers_the_steps_peak_memory():
    """Measured on fake tensors: per block, only each block's input stays saved (one tensor, not four)."""
    pytest.importorskip("torch.distributed._tools.mem_tracker")  # torch >= 2.5
    from resnet_repro.analysis.memory import step_peak_mib

    plain = step_peak_mib("resnet20", batch_size=128)
    checkpointed = step_peak_mib("resnet20", batch_size=128, checkpointed=True)
    # 3 blocks x 4 saved tensors of 128x16x32x32 fp32 (8 MiB) in stage 1, half and a quarter of that later
    assert 150 < plain["act"] < 220
    assert checkpointed["act"] < 0.4 * plain["act"] and checkpointed["total"] < 0.5 * plain["total"]


@pytest.mark.parametrize(
    "jobs, cores, busy, default, user, expected",
    [
        (1, 2, 0.0, 2, None, 2),  # an idle machine: torch's default
        (1, 2, 1.0, 2, None, 1),  # one core busy: one thread (2 threads would stall on the busy core)
        (1, 2, 0.4, 2, None, 2),  # a core less than half busy still counts as free
        (1, 2, 2.0, 2, None, 1),  # everything busy: still one thread
        (2, 2, 0.0, 2, None, 1),  # run --jobs 2 shares the cores out
        (2, 16, 0.0, 8, None, 4),  # never more than torch's default (physical cores) in all
        (1, 2, 1.0, 2, "3", 3),  # OMP_NUM_THREADS is the user's choice
    ],
)
def test_cpu_threads_leave_busy_cores_alone(jobs, cores, busy, default, user, expected):
    from resnet_repro.train.threads import choose_threads

    assert choose_threads(jobs, cores, busy, default, user) == expected


def test_a_busy_core_is_seen():
    """A process spinning on one core shows up as about one busy core in /proc/stat."""
    import multiprocessing

    from resnet_repro.train.threads import busy_cores

    idle = busy_cores(0.3)
    if idle > (os.cpu_count() or 1) - 1.2:
        pytest.skip("the machine is too busy to see one more busy core")
    spinner = multiprocessing.get_context("spawn").Process(target=_spin, args=(3.0,))
    spinner.start()
    try:
        import time

        time.sleep(0.5)
        loaded = busy_cores(0.5)
    finally:
        spinner.join()
    assert loaded > idle + 0.5


def _spin(seconds):
    import time

    end = time.time() + seconds
    while time.time() < end:
        pass
