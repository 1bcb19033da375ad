"""One screen counts once: the preference trainers draw rows in proportion to their `weight`
(preference_parts.WeightedRows), and KTO learns from judged screens and both-bad screens
(kto.kto_rows with --judgments)."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from pathlib import Path

import pytest
import torch

from test_orpo import _answer
from diagram import build_prompt
from trainer.core.csv_store import PreferenceStore
from trainer.core.judgment_store import JudgmentStore
from trainer.core.judgments import Judgment, judgment_from_pick
from trainer.training.preference_data import load_pairs, row_weights, unpair, weighting
from trainer.training.preference_parts import weighted_sampler
from trainer.core.preference_trainers import TRAINERS
from trainer.core.template import model_input

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def test_rows_of_weight_one_tenth_are_drawn_about_ten_times_less():
    weights = [1.0] * 10 + [0.1] * 10
    sampler = weighted_sampler(weights, seed=0)
    draws = Counter(i for _ in range(300) for i in sampler)
    heavy, light = sum(draws[i] for i in range(10)), sum(draws[i] for i in range(10, 20))
    assert heavy + light == 300 * 20
    assert 8 < heavy / light < 12.5
    assert list(weighted_sampler(weights, seed=3)) == list(weighted_sampler(weights, seed=3))  # seeded


def test_equal_or_missing_weights_leave_sampling_alone_and_bad_ones_are_refused():
    assert row_weights([{"weight": 0.2}, {"weight": 0.2}]) is None
    assert row_weights([{"prompt": "p"}]) is None
    assert row_weights([{"weight": 0.2}, {"weight": 1.0}]) == [0.2, 1.0]
    with pytest.raises(ValueError, match="not all zero"):
        row_weights([{"weight": 0.0}, {"weight": 0.0}])
    assert weighting([{"weight": 1.0}, {"weight": 1.0}])["sampler"].startswith("uniform")
    assert weighting([{"weight": 0.5}, {"weight": 1.0}])["weight_sum"] == 1.5


def _texts(i: int) -> list[str]:
    return [_answer(i, shape) for shape in ("circle", "rectangle", "round rectangle", "circle\n")]


def _judged_csv(path: Path, n: int = 4, both_bad: int = 0) -> JudgmentStore:
    """n judged screens of 4 candidates (extremes: 5 pairs of weight 1/5) + one auto pair + both-bad screens."""
    store = JudgmentStore(PreferenceStore(path))
    store.pairs.append(prompt=build_prompt("DL model with 9 input nodes"), chosen=_answer(9, "circle"),
                       rejected=_answer(9, "rectangle"), category="dl_model", source="auto")
    for i in range(n):
        store.add(judgment_from_pick(build_prompt(f"DL model with {i + 1} input nodes, 2 outputs"), _texts(i),
                                     chosen=0, rejected=1, annotator="ana", category="dl_model"), "extremes")
    for i in range(both_bad):
        store.add(Judgment(f"bad{i}", build_prompt(f"DL model with {i + 20} input nodes"), tuple(_texts(i + 20)),
                           both_bad=True, annotator="ana", category="dl_model"))
    return store


def test_load_pairs_carries_each_rows_weight(tmp_path):
    rows = load_pairs(_judged_csv(tmp_path / "p.csv").pairs.path)
    assert len(rows) == 1 + 4 * 5
    assert rows[0]["weight"] == 1.0 and rows[0]["judgment_id"] == ""
    assert [r["weight"] for r in rows[1:]] == pytest.approx([0.2] * 20)
    assert sum(r["weight"] for r in unpair(rows[:1])) == 1.0  # a pair unpaired still counts once


@pytest.mark.parametrize("name", list(TRAINERS))
def test_every_trainer_draws_its_rows_by_weight(name, micro_sft_checkpoint, tmp_path):
    from trainer.generation.modeling import load_model
    from trainer.training.preference_parts import TrainerParts

    module = importlib.import_module(TRAINERS[name].module)
    model, tokenizer = load_model(micro_sft_checkpoint, for_training=True)
    prompt = model_input(build_prompt("DL model with 3 input nodes"))
    rows = [{"prompt": prompt, "chosen": _answer(i, "circle"), "rejected": _answer(i, "rectangle"),
             "weight": 1.0 if i < 3 else 0.1, "judgment_id": "", "length": 60} for i in range(6)]
    args = TRAINERS[name].config(checkpoint=str(micro_sft_checkpoint), out=str(tmp_path / "x"), batch_size=2,
                                 max_steps=1, no_eval=True)
    trainer = module.build_trainer(args, TrainerParts(model, tokenizer, None, rows, [], 200, [], tmp_path))
    sampler = trainer._get_train_sampler()
    assert isinstance(sampler, torch.utils.data.WeightedRandomSampler)
    # KTO unpairs: 12 rows, each pair's two answers at positions the seeded shuffle chose
    heavy = {i for i, w in enumerate(trainer.train_dataset["weight"]) if w == max(trainer.train_dataset["weight"])}
    draws = Counter(i for _ in range(400) for i in sampler)
    share = sum(draws[i] for i in heavy) / sum(draws.values())
    assert 0.87 < share < 0.95  # 3 x 1 against 3 x 0.1: 30/33 = 0.91; unweighted it would be 0.5
    even = module.build_trainer(args, TrainerParts(model, tokenizer, None, [{**r, "weight": 0.2} for r in rows], [],
                                                   200, [], tmp_path))
    assert not isinstance(even._get_train_sampler(), torch.utils.data.WeightedRandomSampler)


def _margin(model_dir: Path, prompts: list[str], a: list[str], b: list[str]) -> float:
    from trainer.generation.modeling import load_model
    from trainer.training.verdict import answer_logprob

    model, tokenizer = load_model(model_dir)
    return sum(answer_logprob(model, tokenizer, model_input(p), x) - answer_logprob(model, tokenizer, model_input(p), y)
               for p, x, y in zip(prompts, a, b)) / len(prompts)


@pytest.mark.slow  # trains a model to the end
def test_weights_change_what_orpo_learns(micro_sft_checkpoint, tmp_path):
    """The same contradicting pairs (circle over rectangle and rectangle over circle), once with the
    circle pairs heavy and once with the rectangle pairs heavy: the trained preference follows
    the weights. Without weighted sampling both runs would see the same rows and end equal."""
    from trainer.core.checkpoint import read_manifest
    from trainer.training.orpo import ORPOArgs, train_orpo

    prompts = [build_prompt(f"DL model with {i + 1} input nodes, 2 outputs") for i in range(4)]
    circles = [_answer(i, "circle") for i in range(4)]
    squares = [_answer(i, "rectangle") for i in range(4)]
    margins = {}
    for favoured in ("circle", "rectangle"):
        store = PreferenceStore(tmp_path / f"{favoured}.csv")
        for p, c, s in zip(prompts, circles, squares):
            store.append(prompt=p, chosen=c, rejected=s, category="dl_model", source="simulated",
                         weight="1" if favoured == "circle" else "0.02")
            store.append(prompt=p, chosen=s, rejected=c, category="dl_model", source="simulated",
                         weight="0.02" if favoured == "circle" else "1")
        out = train_orpo(ORPOArgs(checkpoint=str(micro_sft_checkpoint), data=str(store.path),
                                  out=str(tmp_path / f"orpo-{favoured}"), max_steps=8, batch_size=2, lr=1e-3,
                                  val_fraction=0.0, no_eval=True, warmup=0.0, seed=1))
        assert read_manifest(out)["row_weights"]["sampler"].startswith("weighted")
        margins[favoured] = _margin(out, prompts, circles, squares)
    assert margins["circle"] > margins["rectangle"] + 0.05, margins


def test_kto_learns_from_judged_and_both_bad_screens(micro_sft_checkpoint, tmp_path):
    from trainer.training.kto import build_trainer
    from trainer.core.kto_config import KTOArgs
    from trainer.generation.modeling import load_model
    from trainer.training.preference_parts import TrainerParts

    store = _judged_csv(tmp_path / "p.csv", n=2, both_bad=2)
    rows = [{**row, "length": 60} for row in load_pairs(store.pairs.path)]
    model, tokenizer = load_model(micro_sft_checkpoint, for_training=True)
    def build(judgments: str):
        args = KTOArgs(checkpoint=str(micro_sft_checkpoint), out=str(tmp_path / "x"), batch_size=2, max_steps=1,
                       no_eval=True, judgments=judgments)
        return build_trainer(args, TrainerParts(model, tokenizer, None, rows, [], 400, [], tmp_path))

    plain = build("").train_dataset
    assert len(plain) == 2 * len(rows)  # every pair unpaired, no both-bad screen
    judged = build(str(store.path)).train_dataset
    table = Counter((jid.startswith("bad"), label) for jid, label in zip(judged["judgment_id"], judged["label"]))
    # the auto pair: 2 rows; each judged screen: best desirable + worst undesirable; each both-bad screen:
    # its 4 candidates undesirable
    assert table == {(False, True): 1 + 2, (False, False): 1 + 2, (True, False): 2 * 4}
    weights = Counter()
    for jid, w in zip(judged["judgment_id"], judged["weight"]):
        weights[jid] += w
    assert all(w == pytest.approx(1.0) for w in weights.values())  # each screen (and the auto pair) counts once
    trainer = build(str(store.path))
    assert trainer.data_facts["kto_rows"]["both_bad_rows"] == 8
    assert json.dumps(trainer.data_facts)  # goes into the manifest
