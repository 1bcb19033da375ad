"""Bootstrap pairs: the reference is chosen, the worst SFT sample below it is rejected."""

from __future__ import annotations

import argparse
import csv
import json
from types import SimpleNamespace

import pytest

from diagram import build_prompt, parse
from trainer.core.csv_store import PreferenceStore
from trainer.loop.bootstrap import BootstrapStats, bootstrap_pairs, pick_rejected, run_bootstrap

CHAIN = ("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), [1]]\n"
         "[1, 300, 300, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), [2]]\n"
         "[2, 500, 300, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), []]")
STAR = ("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), [1, 2]]\n"
        "[1, 300, 200, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), []]\n"
        "[2, 300, 400, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), []]")
SINGLE = "[0, 100, 300, 'circle', 40, 40, 'solid arrow', (9, 9, 250), (0, 0, 0), []]"
CHAIN_MOVED = CHAIN.replace("100, 300", "150, 300")  # same connections: scores 1.0


def _cands(*texts: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(index=i, text=t, parse=parse(t)) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    "texts, expected_index",
    [
        ((CHAIN, CHAIN_MOVED), None),  # all as good as the reference: skip the prompt
        ((CHAIN_MOVED, SINGLE, STAR), 2),  # the lowest score wins (star 0.2 < single 0.33)
        ((STAR, STAR), 0),  # ties: the earliest
        (("", "not a diagram", CHAIN), 1),  # invalid text may be rejected; empty text never
    ],
)
def test_pick_rejected(texts, expected_index):
    picked = pick_rejected(_cands(*texts), CHAIN, dl_model=False)
    if expected_index is None:
        assert picked is None
    else:
        assert picked[0].index == expected_index and picked[1] < 1.0


class FakeGenerator:
    checkpoint = "fake-sft"

    def __init__(self, texts):
        self.texts, self.calls = texts, 0

    def generate(self, prompt, k, seed):
        self.calls += 1
        return _cands(*self.texts[:k])


def _rows(n, category="other"):
    return [{"prompt": build_prompt(f"flowchart {i}"), "reference": CHAIN, "category": category, "split": "label"}
            for i in range(n)]


def test_bootstrap_writes_auto_pairs_up_to_the_quota(tmp_path):
    store = PreferenceStore(tmp_path / "p.csv")
    stats = BootstrapStats()
    generator = FakeGenerator([CHAIN_MOVED, STAR, SINGLE])
    bootstrap_pairs(generator, _rows(5), 3, store, k=3, seed=0, stats=stats)
    df = store.load()
    assert stats.written["other"] == 3 and generator.calls == 3 and len(df) == 3
    assert set(df.source) == {"auto"} and set(df.chosen) == {CHAIN} and set(df.rejected) == {STAR}
    assert set(df.model) == {"fake-sft"} and set(df.candidate_ids) == {"[1]"}


def test_bootstrap_skips_prompts_without_a_worse_candidate(tmp_path):
    stats = BootstrapStats()
    bootstrap_pairs(FakeGenerator([CHAIN, CHAIN_MOVED]), _rows(4), 2, PreferenceStore(tmp_path / "p.csv"),
                    k=2, seed=0, stats=stats)
    assert stats.written["other"] == 0 and stats.skipped_all_equal == 4


def _write_pool(path, requests):
    columns = ["prompt_id", "category", "split", "request", "prompt", "reference", "dest_shape_info"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        for i, (request, category, split) in enumerate(requests):
            writer.writerow([f"p{i}", category, split, request, build_prompt(request), STAR,
                             json.dumps({"task_name": "flowchart"})])
    return path


@pytest.mark.slow
def test_command_uses_only_unused_label_prompts(micro_sft_checkpoint, tmp_path):
    pool = _write_pool(tmp_path / "pool.csv", [
        ("flowchart: start -> end", "other", "label"),
        ("pipeline: read -> clean -> plot", "other", "label"),
        ("DL model with 1 input node, 1 output", "dl_model", "label"),
        ("a single step: load data", "other", "heldout"),
    ])
    data = tmp_path / "prefs.csv"
    args = argparse.Namespace(checkpoint=str(micro_sft_checkpoint), prompts=str(pool), data=str(data),
                              n_dl=1, n_other=5, k=2, seed=0, device="cpu")
    assert run_bootstrap(args) == 0
    df = PreferenceStore(data).load()
    assert len(df) == 3 and set(df.chosen) == {STAR} and (df.rejected != STAR).all()
    assert "single step" not in " ".join(df.prompt)  # the held-out split is never used
    assert set(df.model) == {str(micro_sft_checkpoint)} and set(df.source) == {"auto"}
    assert run_bootstrap(args) == 0  # a second run finds no unused prompts
    assert len(PreferenceStore(data).load()) == 3
