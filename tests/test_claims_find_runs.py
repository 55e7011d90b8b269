"""Every paper number and every claim of every target finds its runs, under every profile, in a results folder laid
out the way `run` lays it out (RunFiles' paths, the protocol files beside final.json, fig7's responses.csv).

A paper number or a claim that names a net differently from its run (table2's `resnet18` against the run key
`resnet18-A`) would otherwise read "not run yet" after the run has finished."""

import json

import pytest

from resnet_repro.claims.base import CURVE, END, LAYERS, RANKS
from resnet_repro.claims.numbers import paper_numbers
from resnet_repro.engines.imagenet.outputs import PROTOCOL_NOTES, protocol_file
from resnet_repro.engines.outputs import measured_csv
from resnet_repro.readback.measured import measure
from resnet_repro.specs.experiments import load_recipe_file, load_target, resolve_runs, run_entry_key, target_names
from resnet_repro.specs.registry import get_engine
from resnet_repro.store.layout import RunFiles

TARGETS = [name for name in target_names() if load_target(name).recipe]


def lay_out(results, target, profile: str) -> None:
    """Each run of `profile` finished, at made-up numbers, in the files training and measuring write."""
    runs = resolve_runs(target, profile, requested=True)  # the nets trained on request too
    for config in runs:
        files = RunFiles(results, config.name)
        files.dir.mkdir(parents=True, exist_ok=True)
        iterations = config.recipe.iterations
        final = {"status": "finished", "wall_s": 1.0, "iterations": iterations, "train_error": 5.0, "test_error": 9.0}
        files.final.write_text(json.dumps(final))
        header = "iteration,epoch,lr,train_loss,train_error,test_loss,test_error,val_error,images_per_s,elapsed_s"
        every = config.recipe.log_every  # a log window every log_every iterations, as training logs
        log = [f"{i},1,0.1,0.5,5.0,0.5,9.0,,900,1" for i in range(every, iterations + 1, every)]
        files.metrics.write_text("\n".join([header, *log]) + "\n")
        files.meta.write_text(json.dumps({"device_name": "CPU", "data": {"dataset": config.data.dataset}}))
        for protocol in PROTOCOL_NOTES:
            (files.dir / protocol_file(protocol)).write_text(json.dumps({"top1_error": 25.0, "top5_error": 8.0}))
    if get_engine(target.engine).measured_file == "responses.csv":
        path = measured_csv(target, results, profile)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = ["model,seed,layer,stage,std,profile"]
        rows += [f"{c.run_id.label},{c.seed},{layer},1,0.5,{profile}" for c in runs for layer in (1, 2, 3)]
        path.write_text("\n".join(rows) + "\n")


def cases():
    for name in TARGETS:
        target = load_target(name)
        for profile in load_recipe_file(target.recipe).profiles:
            yield name, profile


@pytest.mark.parametrize("name, profile", list(cases()))
def test_every_paper_number_and_claim_finds_its_runs(tmp_path, name, profile):
    target = load_target(name)
    lay_out(tmp_path, target, profile)
    found = measure(target, profile, tmp_path)
    every_key = {run_entry_key(e) for e in target.runs}
    metrics = get_engine(target.engine).paper_metrics
    for number in paper_numbers(target.paper_table(), metrics, target.paper_seeds()):
        assert number.key in every_key, (number.key, every_key)
        if number.key in found.trained_keys:
            assert found.per_key(number.metric).get(number.key), (number.key, number.metric)
    if profile == "paper":  # the paper profile trains every net the paper gives a number for
        for number in paper_numbers(target.paper_table(), metrics, target.paper_seeds()):
            assert number.key in found.trained_keys, number.key
    for claim in target.claims:
        measured = {END: found.per_key(claim.metric), CURVE: found.curves, LAYERS: found.layers, RANKS: found.layers}
        for key in claim.order:
            assert key in every_key, (claim.says, key)
            if key in found.trained_keys:
                assert measured[claim.over].get(key), (claim.says, key, claim.over)


def test_the_nets_trained_on_request_are_laid_out_and_found(tmp_path):
    """fig6's plain-110 and table6's ResNet-110 without the warm-up: each under its own key, not the paper run's."""
    for name, key, label in (
        ("fig6", "plain110", "plain-110"),
        ("table6", "resnet110-no-warmup", "resnet-110-A-no-warmup"),
    ):
        target = load_target(name)
        lay_out(tmp_path / name, target, "paper")
        found = measure(target, "paper", tmp_path / name)
        assert found.per_key("test_error")[key] == [9.0]
        assert {found.keys[n] for n in found.keys if f"/{label}/" in n} == {key}
    assert len(found.per_key("test_error")["resnet110"]) == 5  # the variant's seed is not counted as the paper run's


def test_two_runs_of_one_net_with_other_shortcuts_keep_their_own_keys(tmp_path):
    """`- resnet20` (shortcut A by default) beside `- {model: resnet20, shortcut: B}`: each run is read back under
    its own entry's key, so the B runs are never counted as the A net's."""
    path = tmp_path / "mine.yaml"
    path.write_text("engine: cifar\nrecipe: cifar\nruns:\n  - resnet20\n  - {model: resnet20, shortcut: B}\n")
    target = load_target(str(path))
    found = measure(target, "smoke", tmp_path / "results", resolve_runs(target, "smoke"))
    assert sorted(found.keys.values()) == ["resnet20", "resnet20-B"]
    assert found.expected == {"resnet20": 1, "resnet20-B": 1}
