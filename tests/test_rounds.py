"""Iterative rounds: which pairs a round trains on and is judged on, the verdict rule, lineage of
trained pairs, refusals, and rounds that really train a micro model (also from a preference-trained
start, with DPO/KTO referencing that start)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagram import build_prompt
from testing.fakes import fake_checkpoint
from trainer.core.checkpoint import lineage, read_manifest
from trainer.core.csv_store import PreferenceStore
from trainer.core.events import final_event, read_events
from trainer.core.judgments import is_heldout
from trainer.loop.round_config import RoundArgs, round_args
from trainer.loop.round_data import judgment_key, lineage_pair_ids, select_round
from trainer.loop.rounds import TOO_FEW, RoundRefused, judge, train_round

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def _answer(i: int, shape: str) -> str:
    return (f"[0, {100 + i}, 300, '{shape}', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]\n"
            f"[1, 500, 300, '{shape}', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), []]")


def add_pairs(path: Path, start: int, n: int, annotator: str = "ana", source: str = "simulated") -> list[str]:
    """n pairs with distinct prompts (circles chosen over rectangles); their pair_ids."""
    store = PreferenceStore(path)
    return [store.append(prompt=build_prompt(f"DL model with {i + 1} input nodes, 2 outputs"),
                         chosen=_answer(i, "circle"), rejected=_answer(i, "rectangle"),
                         category="dl_model", source=source, annotator=annotator)
            for i in range(start, start + n)]


def _row(pair_id: str, source: str = "human", annotator: str = "ana", judgment: str = "") -> dict:
    row = {"pair_id": pair_id, "source": source, "annotator": annotator}
    return {**row, "judgment_id": judgment} if judgment else row


# ---------------------------------------------------------------- selection (pure)


def test_heldout_follows_the_judgment_id_and_trained_pairs_are_not_new():
    ids = [f"j{i}" for i in range(40)]
    held = next(j for j in ids if is_heldout(j))
    kept = next(j for j in ids if not is_heldout(j))
    rows = [_row("a", judgment=held), _row("b", judgment=held),  # two pairs of one held-out screen
            _row("c", judgment=kept), _row("d", judgment=kept), _row("e", judgment=kept)]
    plan = select_round(rows, trained=frozenset({"e"}))
    assert [r["pair_id"] for r in plan.heldout] == ["a", "b"]
    assert [r["pair_id"] for r in plan.new] == ["c", "d"] and plan.new_judgments == 1


def test_without_judgment_ids_the_pair_id_decides_and_auto_pairs_are_never_held_out():
    held = next(f"p{i}" for i in range(40) if is_heldout(f"p{i}"))
    assert judgment_key(_row(held)) == held
    plan = select_round([_row(held)], trained=frozenset())
    assert [r["pair_id"] for r in plan.heldout] == [held] and plan.new == ()
    auto = select_round([_row(held, source="auto")], trained=frozenset())
    assert auto.heldout == () and auto.new == ()  # not the user's: a round does not train on them either


def test_annotator_keeps_that_annotators_rows_for_training_and_judging():
    ids = [f"q{i}" for i in range(60)]
    rows = [_row(pid, annotator="ana" if i % 2 else "bo") for i, pid in enumerate(ids)]
    plan = select_round(rows, frozenset(), annotator="bo")
    assert {r["annotator"] for r in plan.new + plan.heldout} == {"bo"}
    assert len(plan.new) + len(plan.heldout) == 30
    assert len(select_round(rows, frozenset()).new) + len(select_round(rows, frozenset()).heldout) == 60
    assert select_round(rows, frozenset(), every=1).heldout == ()  # every <= 1 holds nothing out


@pytest.mark.parametrize("before, after, activate, words", [
    # paired: the margins of the same held-out pairs before and after
    ((0.6, [0.1, 0.2, -0.3, 0.4, 0.5, 0.1]), (0.5, [0.2, 0.3, -0.2, -0.4, 0.6, 0.2]), True, "better"),
    ((0.5, [0.1, 0.2, -0.3, 0.4, 0.5, 0.1]), (0.8, [0.0, 0.1, 0.3, 0.3, 0.4, 0.0]), False, "not better"),
    ((0.5, [0.1, 0.2, 0.3, 0.1, 0.2, 0.3]), (0.5, [0.2, 0.3, 0.4, 0.0, 0.1, 0.2]), False, "not better"),  # half, smaller mean
    ((0.5, [0.1, 0.2, 0.3, 0.1, 0.2, 0.3]), (0.5, [0.2, 0.3, 0.9, 0.0, 0.1, 0.2]), True, "better"),  # half, larger mean
    ((0.9, [0.5] * 4), (0.1, [-0.5] * 4), True, TOO_FEW),  # too few to judge: activate and say so
    ((None, []), (None, []), True, TOO_FEW),
])
def test_verdict_rule(before, after, activate, words):
    def report(acc, margins):
        return {"accuracy": acc, "mean_margin": sum(margins) / len(margins) if margins else None,
                "n": len(margins), "margins": margins}
    got, reason = judge(report(*before), report(*after))
    assert got is activate and reason.startswith(words)


def test_verdict_counts_held_out_judgments_not_pairs():
    def report(margins):
        return {"accuracy": sum(m > 0 for m in margins) / len(margins), "mean_margin": sum(margins) / len(margins),
                "n": len(margins), "margins": margins}
    before = report([0.1] * 6)
    # six pairs from two screens: too few screens to judge, whatever the pairs say
    got, reason = judge(before, report([0.0] * 5 + [0.2]), ["a", "a", "a", "b", "b", "b"])
    assert got is True and reason.startswith(TOO_FEW) and "2 held-out judgments, 6 pairs" in reason
    # five screens: one of 3 pairs that moved away, four of one pair that moved toward the user
    keys = ["a", "a", "a", "b", "c", "d", "e"]
    before = report([0.1] * 7)
    got, reason = judge(before, report([0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2]), keys)
    assert got is True and "on 4 of 5 held-out judgments (7 pairs)" in reason
    assert judge(before, report([0.0, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2]))[0] is True  # 4 of 7 pairs
    # a screen counts by the mean change of its pairs: a's is (0.3 - 0.1 - 0.1) / 3 > 0
    after = report([0.4, 0.0, 0.0, 0.2, 0.2, 0.0, 0.0])
    got, reason = judge(before, after, keys)
    assert got is True and "on 3 of 5 held-out judgments" in reason  # a, b, c
    assert judge(before, after)[0] is False  # counted by pairs: 3 of 7


def test_verdict_without_per_pair_margins_compares_accuracies():
    report = lambda acc, margin: {"accuracy": acc, "mean_margin": margin, "n": 10}  # noqa: E731
    assert judge(report(0.5, 0.1), report(0.6, 0.0))[0] is True
    assert judge(report(0.5, 0.1), report(0.5, 0.2))[0] is True
    assert judge(report(0.6, 0.1), report(0.5, 0.9))[0] is False


# ---------------------------------------------------------------- lineage of trained pairs


def test_trained_pairs_are_the_union_over_the_lineage_even_after_a_move(tmp_path):
    data = tmp_path / "prefs.csv"
    first, second = add_pairs(data, 0, 3), add_pairs(data, 3, 2)
    root = tmp_path / "ckpts"
    sft = fake_checkpoint(root / "sft")
    one = fake_checkpoint(root / "orpo-1", kind="orpo", parent_checkpoint=str(sft))
    two = fake_checkpoint(root / "round-1", kind="orpo", parent_checkpoint="/elsewhere/ckpts/orpo-1")
    PreferenceStore(data).export_csv(one / "preferences.csv")  # orpo-1: every pair then stored
    only_second = tmp_path / "second.csv"
    add_pairs(only_second, 3, 2)
    (two / "preferences.csv").write_bytes(only_second.read_bytes())
    assert lineage(two) == [two, one, sft]  # the recorded path is gone: found by name beside it
    assert lineage_pair_ids(two) == frozenset(first + second)
    assert lineage_pair_ids(sft) == frozenset()
    # a manifest naming itself does not loop
    fake_checkpoint(root / "self", kind="orpo", parent_checkpoint=str(root / "self"))
    assert lineage(root / "self") == [root / "self"]


# ---------------------------------------------------------------- refusals (no training)


def test_too_few_new_judgments_is_refused_and_writes_nothing(micro_sft_checkpoint, tmp_path):
    data = tmp_path / "prefs.csv"
    add_pairs(data, 0, 6)
    args = round_args(checkpoint=str(micro_sft_checkpoint), data=str(data), out=str(tmp_path / "round-1"),
                      events=str(tmp_path / "events.jsonl"), min_new=50, max_steps=1)
    with pytest.raises(RoundRefused, match="Label more first"):
        train_round(args)
    assert not (tmp_path / "round-1").exists()
    final = final_event(read_events(args.events))
    assert final["status"] == "failed" and "at least 50" in final["error"]


def test_unknown_trainer_and_missing_start_are_refused(micro_sft_checkpoint, tmp_path):
    with pytest.raises(ValueError, match="--trainer"):
        train_round(round_args("ppo", checkpoint=str(micro_sft_checkpoint), out=str(tmp_path / "r")))
    with pytest.raises(ValueError, match="not a checkpoint"):
        train_round(round_args(checkpoint=str(tmp_path / "nothing"), out=str(tmp_path / "r")))


# ---------------------------------------------------------------- rounds that train


def _round(start: Path, data: Path, out: Path, **overrides) -> RoundArgs:
    defaults = dict(checkpoint=str(start), data=str(data), out=str(out), events=str(out.parent / f"{out.name}.jsonl"),
                    max_steps=2, batch_size=2, lr=1e-3, threads=1)
    return round_args(**{**defaults, **overrides})


@pytest.fixture(scope="module")
def first_round(micro_sft_checkpoint, tmp_path_factory):
    """One ORPO round from the micro SFT model on 30 pairs."""
    root = tmp_path_factory.mktemp("rounds")
    data = root / "prefs.csv"
    ids = add_pairs(data, 0, 30)
    args = _round(micro_sft_checkpoint, data, root / "ckpts" / "round-1")
    out, verdict = train_round(args)
    return args, out, verdict, ids


@pytest.mark.slow  # trains a model to the end
def test_a_round_trains_on_new_unheld_pairs_and_records_its_verdict(first_round, micro_sft_checkpoint):
    from trainer.generation.modeling import load_model
    from trainer.loop.round_data import trained_pair_ids
    from trainer.generation.scoring import preference_accuracy

    args, out, verdict, ids = first_round
    held = [i for i in ids if is_heldout(i)]
    assert held and len(held) < len(ids)  # the hash holds some out
    assert trained_pair_ids(out) == frozenset(ids) - frozenset(held)  # never a held-out pair
    manifest = read_manifest(out)
    assert manifest["round"] == verdict and manifest["parent_checkpoint"] == str(micro_sft_checkpoint)
    assert manifest["kind"] == "orpo" and manifest["metrics"]["steps"] == 2
    assert verdict["new_pairs"] == verdict["new_judgments"] == len(ids) - len(held)
    assert verdict["heldout_pairs"] == len(held) and verdict["parent"] == str(micro_sft_checkpoint)
    # the numbers are the scorer's on the held-out rows, for the start and the new model
    rows = [r for r in PreferenceStore(args.data).read().rows if r["pair_id"] in held]
    for side, path in (("before", micro_sft_checkpoint), ("after", out)):
        report = preference_accuracy(*load_model(path), rows)
        assert verdict[f"accuracy_{side}"] == pytest.approx(report["accuracy"])
        assert verdict[f"margin_{side}"] == pytest.approx(report["mean_margin"], abs=1e-5)
    reports = [preference_accuracy(*load_model(path), rows) for path in (micro_sft_checkpoint, out)]
    assert verdict["activate"] == judge(*reports)[0] and verdict["reason"] == judge(*reports)[1]
    events = read_events(args.events)
    assert [e["status"] for e in events if "status" in e] == ["done"]  # one final event, the round's
    assert events[-1]["checkpoint"] == str(out) and events[-1]["metrics"]["round"]["activate"] == verdict["activate"]
    assert any(e.get("step") == 2 for e in events)  # the trainer's steps are in the round's events


@pytest.mark.slow  # trains a model to the end
def test_a_second_round_from_the_first_trains_only_on_rows_added_since(first_round, tmp_path):
    from trainer.loop.round_data import trained_pair_ids

    args, out, _verdict, _ids = first_round
    data = tmp_path / "prefs.csv"
    data.write_bytes(Path(args.data).read_bytes())
    with pytest.raises(RoundRefused):  # nothing new since round-1
        train_round(_round(out, data, tmp_path / "round-2"))
    added = add_pairs(data, 30, 10)
    out2, verdict = train_round(_round(out, data, tmp_path / "round-2", trainer="kto"))
    fresh = frozenset(i for i in added if not is_heldout(i))
    assert trained_pair_ids(out2) == fresh and verdict["new_pairs"] == len(fresh)
    manifest = read_manifest(out2)
    assert manifest["kind"] == "kto" and manifest["parent_checkpoint"] == str(out)
    assert verdict["heldout_pairs"] == sum(is_heldout(i) for i in _ids + added)  # all held-out pairs


@pytest.mark.slow  # trains a model to the end
@pytest.mark.parametrize("name", ("dpo", "kto"))
def test_dpo_and_kto_reference_the_preference_trained_start(first_round, micro_sft_checkpoint, tmp_path, name):
    import importlib

    import torch

    from trainer.generation.modeling import load_model
    from trainer.training.preference_parts import TrainerParts, prepare_model
    from trainer.core.preference_trainers import TRAINERS

    _args, start, _verdict, _ids = first_round
    spec = TRAINERS[name]
    config = spec.config(checkpoint=str(start), out=str(tmp_path / "x"), batch_size=1)
    model, tokenizer, lora, lineage_facts = prepare_model(config)
    assert lora is None and lineage_facts["adapter"] is False  # the micro start is fine-tuned in full
    rows = [{"prompt": "### Question: p\n ### Answer: ", "chosen": "a", "rejected": "b", "length": 20}] * 2
    trainer = importlib.import_module(spec.module).build_trainer(
        config, TrainerParts(model, tokenizer, None, rows, [], 64, [], tmp_path))
    ref = trainer.ref_model
    start_model, _ = load_model(start)
    sft_model, _ = load_model(micro_sft_checkpoint)
    assert all(torch.equal(p, q) for p, q in zip(ref.parameters(), start_model.parameters()))
    assert any(not torch.equal(p, q) for p, q in zip(ref.parameters(), sft_model.parameters()))


@pytest.mark.slow  # trains a model to the end
def test_the_cli_runs_two_rounds_in_a_row(micro_sft_checkpoint, tmp_path, capsys):
    from diagramlab import cli
    from trainer.loop.round_data import trained_pair_ids

    data = tmp_path / "prefs.csv"
    first_ids = add_pairs(data, 0, 12)
    ckpts = tmp_path / "ckpts"
    start = ckpts / "sft"
    start.mkdir(parents=True)
    for f in Path(micro_sft_checkpoint).iterdir():
        (start / f.name).write_bytes(f.read_bytes())
    common = ["--data", str(data), "--max-steps", "1", "--batch-size", "2", "--threads", "1", "--min-new", "3"]
    assert cli.main(["round", "--checkpoint", str(start), *common]) == 0
    out = capsys.readouterr().out
    assert f"wrote {ckpts / 'round-1'}" in out and "activate" in out
    # nothing new: refused politely, exit 1, nothing written
    assert cli.main(["round", "--checkpoint", str(ckpts / "round-1"), *common]) == 1
    assert "nothing to train yet" in capsys.readouterr().err and not (ckpts / "round-2").exists()
    added = add_pairs(data, 12, 8)
    assert cli.main(["round", "--checkpoint", str(ckpts / "round-1"), *common]) == 0
    assert f"wrote {ckpts / 'round-2'}" in capsys.readouterr().out
    assert trained_pair_ids(ckpts / "round-1") == frozenset(i for i in first_ids if not is_heldout(i))
    assert trained_pair_ids(ckpts / "round-2") == frozenset(i for i in added if not is_heldout(i))
    manifest = json.loads((ckpts / "round-2" / "manifest.json").read_text())
    assert manifest["round"]["parent"] == str(ckpts / "round-1")
    assert manifest["round"]["command"].startswith("diagramlab round ")
