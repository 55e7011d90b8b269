"""The readers of a results folder over generated damaged files: whatever a run folder holds, each reader returns
(the record, nothing, or the run marked damaged with a one-line reason) within bounded time and memory, and
never raises anything but a one-line UserError where a caller turns it into the command's one line."""

import json
import os
import socket
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from resnet_repro.basics.errors import UserError
from resnet_repro.specs.experiments import load_target, resolve_runs
from resnet_repro.store.aggregate import collect
from resnet_repro.store.layout import RunFiles, read_json, read_run_config, run_damage, run_status, scan_metrics
from resnet_repro.store.results_file import JSON_BYTES

RUN = "cifar10/plain-20/smoke/seed0"
FILES = ("final.json", "meta.json", "metrics.csv", "config.yaml", "checkpoint.pt")
HEADER = "iteration,epoch,lr,train_loss,train_error,test_loss,test_error,val_error,images_per_s,elapsed_s\n"

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_records = st.fixed_dictionaries(
    {"status": st.sampled_from(["finished", "failed", "unfinished", 5, None])},
    optional={
        key: _values
        for key in ("iterations", "train_error", "test_error", "wall_s", "cpu_threads", "reason", "device_name")
    },
)


@st.composite
def damaged_json(draw) -> bytes:
    """A record the tool might write, then broken in one of the ways a copy, a disk or a forger breaks it."""
    text = json.dumps(draw(_records))
    how = draw(st.sampled_from(["as is", "cut", "nested", "long number", "garbage", "not an object"]))
    if how == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "nested":
        depth = draw(st.integers(1, 200_000))
        text = "[" * depth + "]" * draw(st.sampled_from([depth, 0, depth // 2]))
    elif how == "long number":
        text = '{"status": "finished", "wall_s": ' + "9" * draw(st.integers(1, 20_000)) + "}"
    elif how == "garbage":
        return draw(st.binary(max_size=200))
    elif how == "not an object":
        text = json.dumps(draw(_values))
    return text.encode()


@st.composite
def damaged_log(draw) -> bytes:
    rows = draw(st.lists(st.lists(st.text(alphabet="0123456789.,e-x\r", max_size=12), max_size=11), max_size=30))
    body = "".join(",".join(row) + draw(st.sampled_from(["\n", "", "\r\n"])) for row in rows)
    return (draw(st.sampled_from([HEADER, "", "iteration\n"])) + body).encode("utf-8", "surrogatepass")


def _plant_special(path: Path, kind: str) -> None:
    if kind == "named pipe":
        os.mkfifo(path)
    elif kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "link to a file":
        (path.parent / "elsewhere").write_text('{"status": "finished"}')
        path.symlink_to(path.parent / "elsewhere")
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nowhere")
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(path))
        except OSError:  # a path too long for a socket's name: a pipe instead
            os.mkfifo(path)
        finally:
            server.close()
    else:
        assert kind == "larger than the cap"
        with open(path, "wb") as handle:
            handle.truncate(JSON_BYTES + 1 + (64 << 20))  # sparse: no disk used


_contents = st.one_of(
    st.tuples(st.just("bytes"), damaged_json()),
    st.tuples(st.just("bytes"), damaged_log()),
    st.tuples(
        st.just("special"),
        st.sampled_from(
            [
                "named pipe",
                "link to /dev/zero",
                "link to a file",
                "dangling link",
                "folder",
                "socket",
                "larger than the cap",
            ]
        ),
    ),
)

_RUNS = resolve_runs(load_target("fig1"), "smoke")


def _read_everything(results: Path) -> dict:
    files = RunFiles(results, RUN)
    outcome = {"damage": run_damage(files), "final": read_json(files.final), "meta": read_json(files.meta)}
    outcome["status"] = run_status(files)
    outcome["log"] = scan_metrics(files.metrics, iterations=12, log_every=3)
    try:
        read_run_config(files.config)
    except UserError as error:  # what `run` shows as its one line
        outcome["config"] = str(error)
    outcome["grouped"] = collect(_RUNS, results)
    return outcome


@pytest.mark.timeout(600)
@settings(
    max_examples=150,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],  # no explain phase: it traces every line
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(planted=st.lists(st.tuples(st.sampled_from(FILES), _contents), min_size=1, max_size=3, unique_by=lambda p: p[0]))
def test_every_reader_reads_or_names_the_damage_in_one_line_within_bounds(planted):
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results"
        run = results / "runs" / RUN
        run.mkdir(parents=True)
        for name, (kind, content) in planted:
            if kind == "bytes":
                (run / name).write_bytes(content)
            else:
                _plant_special(run / name, content)
        tracemalloc.start()
        started = time.monotonic()
        try:
            outcome = _read_everything(results)
            elapsed, peak = time.monotonic() - started, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert elapsed < 2.0 and peak < 64 * 2**20, (elapsed, peak)
    for text in (outcome["damage"], outcome["log"].problem, outcome.get("config")):
        assert text is None or "\n" not in text and len(text) < 1000, text
    damaged = outcome["grouped"]["plain20"].damaged
    if outcome["damage"]:
        assert outcome["damage"].split(" ", 1)[0] in FILES, outcome["damage"]
        assert damaged and damaged[0].startswith(f"run {RUN}: {outcome['damage']}")
    for record in (outcome["final"], outcome["meta"]):
        assert record is None or isinstance(record, dict)
