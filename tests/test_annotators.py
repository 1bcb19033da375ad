"""Train on one annotator's labels or on all: the snapshot, the gate, the run's config, the CLI.

A fake runner records the job instead of starting a trainer (no torch).
"""

from __future__ import annotations

import argparse
import random

import pytest

from diagram import build_prompt
from testing.fakes import fake_diagram, make_context
from labeler import training as T
from labeler.common import UserError
from trainer.core.annotators import annotator_names, export_pairs
from trainer.core.args import add_dataclass_arguments, from_namespace, to_argv
from trainer.core.csv_store import PreferenceStore
from trainer.core.dpo_config import DPOArgs
from trainer.training.preference_data import load_pairs
from trainer.core.preferences import PreferenceError


def add_pairs(store, annotator: str, n: int, seed: int = 0) -> None:
    rng = random.Random(f"{annotator}{seed}")
    for i in range(n):
        store.append(prompt=build_prompt(f"Flowchart {annotator} {seed}-{i}: load, clean, chart"),
                     chosen=fake_diagram(rng), rejected=fake_diagram(rng, 2), category="other",
                     source="human", annotator=annotator)


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    add_pairs(ctx.store, "ana", 22)
    add_pairs(ctx.store, "bo", 5)
    yield ctx
    ctx.close()


def test_train_on_one_annotator_snapshots_only_their_pairs_and_says_so_in_the_config(ctx, monkeypatch):
    started = []
    monkeypatch.setattr(ctx.runner, "start", lambda job, launcher=None: started.append(job))
    assert T.train_on_choices(ctx) == [T.TRAIN_ON_ALL, "ana", "bo"]
    T.start(ctx, T.TrainSettings(max_steps=2), annotator="ana")
    T.start(ctx, T.TrainSettings(max_steps=2), annotator=T.TRAIN_ON_ALL)
    mine, everyone = started
    assert mine.annotator == "ana" and everyone.annotator == ""
    assert {r["annotator"] for r in PreferenceStore(mine.data).read().rows} == {"ana"}
    assert len(PreferenceStore(mine.data).read()) == 22
    assert len(PreferenceStore(everyone.data).read()) == 27
    assert "--annotator" in to_argv(mine) and "--annotator" not in to_argv(everyone)


def test_the_gate_counts_the_chosen_annotators_new_pairs(ctx, monkeypatch):
    monkeypatch.setattr(ctx.runner, "start", lambda job, launcher=None: None)
    assert T.gate(ctx, "ana")[0]
    allowed, reason = T.gate(ctx, "bo")
    assert not allowed and "pairs by bo" in reason and "there are 5 (of 5)" in reason
    with pytest.raises(UserError, match="there are 5"):
        T.start(ctx, T.TrainSettings(max_steps=2), annotator="bo")
    with pytest.raises(UserError, match="no pairs by annotator 'cy'"):
        T.start(ctx, T.TrainSettings(max_steps=2), annotator="cy")


def test_load_pairs_and_the_trainers_snapshot_keep_one_annotators_rows(ctx, tmp_path):
    assert len(load_pairs(ctx.store.path)) == 27
    assert len(load_pairs(ctx.store.path, "bo")) == 5
    with pytest.raises(ValueError, match="no pairs by annotator 'cy' .annotators: ana, bo"):
        load_pairs(ctx.store.path, "cy")
    copy = export_pairs(ctx.store, tmp_path / "snap.csv", "bo")
    view = PreferenceStore(copy).read()
    assert annotator_names(view.rows) == ["bo"] and len(view) == 5
    assert view.columns == ctx.store.read().columns  # the same file format, fewer rows
    with pytest.raises(PreferenceError, match="no pairs by annotator"):
        export_pairs(ctx.store, tmp_path / "none.csv", "cy")
    assert not (tmp_path / "none.csv").exists()


def test_every_preference_trainer_takes_annotator_on_the_command_line():
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, DPOArgs)
    args = from_namespace(DPOArgs, parser.parse_args(["--annotator", "ana", "--out", "x"]))
    assert args.annotator == "ana"
    assert from_namespace(DPOArgs, parser.parse_args([])).annotator == ""  # default: everyone


@pytest.mark.slow  # trains a model to the end
def test_a_run_with_annotator_trains_on_and_ships_only_their_pairs(micro_sft_checkpoint, tmp_path):
    from test_orpo import _answer

    from trainer.core.checkpoint import read_manifest
    from trainer.training.orpo import train_orpo
    from trainer.core.orpo_config import ORPOArgs

    store = PreferenceStore(tmp_path / "prefs.csv")
    for i in range(10):
        store.append(prompt=build_prompt(f"DL model with {i + 1} input nodes, 2 outputs"),
                     chosen=_answer(i, "circle"), rejected=_answer(i, "rectangle"),
                     category="dl_model", source="human", annotator="ana" if i < 6 else "bo")
    out = train_orpo(ORPOArgs(checkpoint=str(micro_sft_checkpoint), data=str(store.path),
                              out=str(tmp_path / "orpo-1"), annotator="ana", max_steps=1,
                              batch_size=2, val_fraction=0.2, no_eval=True, lr=1e-3))
    manifest = read_manifest(out)
    assert manifest["training_args"]["annotator"] == "ana" and manifest["annotators"] == ["ana"]
    assert manifest["data_rows"] == 6 and "--annotator ana" in manifest["command"]
    shipped = PreferenceStore(out / "preferences.csv").read()
    assert len(shipped) == 6 and annotator_names(shipped.rows) == ["ana"]
