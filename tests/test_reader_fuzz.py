"""Property-based tests of the strict reader and the typed, bounded config: whatever YAML text or `--set` value
comes in, it loads to plain data (and then to a typed config) or fails with exactly one line (a UserError), in
bounded time and memory. Hypothesis generates the inputs, mixing ordinary YAML with the forms the reader refuses."""

import time
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resnet_repro.basics.errors import UserError
from resnet_repro.readers.yamlio import LineDict, LineList, load_yaml_text
from resnet_repro.specs.config import RunConfig, known_keys
from resnet_repro.specs.experiments import load_target, resolve_runs

# Scalars as YAML writes them: ordinary values and each form the reader must refuse or keep as text.
SCALARS = st.one_of(
    st.integers(-(10**50), 10**50).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "true",
            "false",
            "null",
            "~",
            "yes",
            "no",
            ".inf",
            "-.nan",
            "1e-4",
            "64e3",
            "0x1f",
            "0o17",
            "017",
            "0b101",
            "1:0:0",
            "1_000",
            "2001-12-14",
            "!!int ''",
            "!!bool maybe",
            "!!timestamp 2001-12-14",
            "!!python/object:os.system x",
            "&a 1",
            "*a",
            "'quoted'",
            '"double"',
            "|\n  block",
            "- ",
            "[",
            "]",
            "{",
            "}",
            "1" * 4400,
            "9" * 41,
            "[" * 50 + "]" * 50,
            "? [a]",
            "---",
            "...",
            "%YAML 1.1",
            "\t",
            "@",
        ]  # fmt: skip
    ),
    st.text(max_size=20),
)
KEYS = st.sampled_from(["a", "b", "model", "engine", "lr", "1", "true", "a b", "'q'"])


def documents():
    """YAML text: block mappings and lists, flow collections and raw fragments, nested a few levels."""
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(st.tuples(KEYS, inner), max_size=5).map(
                lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs) if pairs else "{}"
            ),
            st.lists(inner, max_size=5).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(inner, max_size=5).map(lambda items: "\n".join(f"- {i}" for i in items) if items else "[]"),
            st.tuples(KEYS, inner).map(lambda pair: f"{pair[0]}:\n  " + pair[1].replace("\n", "\n  ")),
        ),
        max_leaves=30,
    )


def assert_plain(value, depth=0):
    assert depth < 40
    if isinstance(value, dict):
        assert isinstance(value, LineDict)
        for key, item in value.items():
            assert isinstance(key, (str, int, float, bool, type(None)))
            assert_plain(item, depth + 1)
    elif isinstance(value, list):
        assert isinstance(value, LineList) and len(value.lines) == len(value)
        for item in value:
            assert_plain(item, depth + 1)
    else:
        assert isinstance(value, (str, int, float, bool, type(None))), type(value)


def bounded(call):
    """Run `call`; return its result or the UserError it raised, and assert time and memory stayed small."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        outcome = call()
    except UserError as error:
        outcome = error
        assert "\n" not in str(error) and len(str(error)) < 600, str(error)
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < 2.0 and peak < 50 * 2**20, (elapsed, peak)
    return outcome


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_any_yaml_document_is_plain_data_or_one_line(text):
    outcome = bounded(lambda: load_yaml_text(text, "f.yaml"))
    if isinstance(outcome, UserError):
        assert str(outcome).startswith("f.yaml")
    else:
        assert_plain(outcome)


FIG1 = load_target("fig1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(known_keys()), SCALARS), min_size=1, max_size=3))
def test_any_set_values_give_a_typed_config_or_one_line(pairs):
    overrides = [f"{key}={value}" for key, value in pairs]
    outcome = bounded(lambda: resolve_runs(FIG1, "paper", overrides=overrides))
    if not isinstance(outcome, UserError):
        assert outcome and all(isinstance(run, RunConfig) for run in outcome)
        recipe = outcome[0].recipe
        assert 1 <= recipe.batch_size <= 65_536 and 0 <= recipe.pad <= 64 and 0 < recipe.lr <= 1e30
