"""ORPO training: weights move, no pair is cut before its EOS, events, SIGTERM, refusals, LoRA parents."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import MICRO_REQUESTS
from diagram import build_prompt
from trainer.core.csv_store import PreferenceStore
from trainer.core.events import final_event, read_events
from trainer.training.orpo import ORPOArgs, train_orpo
from trainer.training.preference_data import check_not_cut, split_pairs, token_lengths
from trainer.core.template import model_input

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _answer(i: int, shape: str) -> str:
    return (f"[0, {100 + i}, 300, '{shape}', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]\n"
            f"[1, 500, 300, '{shape}', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), []]")


def _write_pairs(path: Path, n: int) -> Path:
    store = PreferenceStore(path)
    for i in range(n):
        store.append(prompt=build_prompt(f"DL model with {i + 1} input nodes, 2 outputs"),
                     chosen=_answer(i, "circle"), rejected=_answer(i, "rectangle"),
                     category="dl_model", source="simulated")
    return path


@pytest.fixture
def micro_parent(micro_sft_checkpoint):
    """The shared micro SFT checkpoint (tests/conftest.py): a full model that stops on EOS."""
    return micro_sft_checkpoint


def _args(parent: Path, tmp_path: Path, **overrides) -> ORPOArgs:
    defaults = dict(checkpoint=str(parent), data=str(_write_pairs(tmp_path / "prefs.csv", 6)),
                    out=str(tmp_path / "ckpts" / "orpo-1"), events=str(tmp_path / "events.jsonl"),
                    max_steps=2, batch_size=2, val_fraction=0.2, no_eval=True, lr=1e-3)
    return ORPOArgs(**{**defaults, **overrides})


@pytest.mark.parametrize("n, val_fraction, message", [
    (0, 0.05, "at least 2 preference pairs"),
    (1, 0.05, "at least 2 preference pairs"),
    (2, 0.9, None),
])
def test_split_refuses_too_few_pairs(n, val_fraction, message):
    rows = [{"prompt": f"p{i}", "chosen": "a", "rejected": "b"} for i in range(n)]
    if message:
        with pytest.raises(ValueError, match=message):
            split_pairs(rows, val_fraction, seed=0)
    else:
        train, val = split_pairs(rows, val_fraction, seed=0)
        assert len(train) == 1 and len(val) == 1


def test_split_keeps_prompts_on_one_side_and_is_seeded():
    rows = [{"prompt": f"p{i % 10}", "chosen": f"a{i}", "rejected": "b"} for i in range(40)]
    train, val = split_pairs(rows, 0.2, seed=3)
    assert not {r["prompt"] for r in train} & {r["prompt"] for r in val}
    assert len(val) == 8 and split_pairs(rows, 0.2, seed=3) == (train, val)


def _heldout_pool(path: Path) -> Path:
    import csv

    columns = ["prompt_id", "category", "split", "request", "prompt", "reference", "dest_shape_info"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i, request in enumerate(["flowchart: start -> end", "a single step: load data"]):
            writer.writerow([f"h{i}", "other", "heldout", request, build_prompt(request), _answer(i, "circle"), "{}"])
    return path


@pytest.mark.slow
def test_two_steps_move_the_weights_and_report_events(micro_parent, tmp_path):
    from trainer.core.checkpoint import file_sha256, read_manifest
    from trainer.generation.modeling import load_model

    args = _args(micro_parent, tmp_path, no_eval=False, eval_n=2, eval_k=1,
                 prompts=str(_heldout_pool(tmp_path / "pool.csv")))
    out = train_orpo(args)
    before, _ = load_model(micro_parent)
    after, _ = load_model(out)
    changed = [not torch.equal(p, q) for p, q in zip(before.parameters(), after.parameters())]
    assert all(changed)
    manifest = read_manifest(out)
    assert manifest["kind"] == "orpo" and manifest["parent_checkpoint"] == str(micro_parent)
    assert manifest["data_sha256"] == file_sha256(out / "preferences.csv") == file_sha256(args.data)
    assert manifest["data_rows"] == 6 and manifest["beta"] == 0.1 and manifest["metrics"]["steps"] == 2
    heldout = manifest["metrics"]["heldout"]  # trainer.generation.evaluate on the held-out prompts
    assert heldout["n_prompts"] == 2 and heldout["n_candidates"] == 2 and 0 <= heldout["validity"] <= 1
    verdict = manifest["verdict"]  # parent and new model on the same held-out pairs and prompts
    assert verdict["heldout_pairs"] == manifest["val_rows"] >= 1
    assert verdict["previous_checkpoint"] == str(micro_parent)
    for side in ("new", "previous"):
        assert 0 <= verdict[side]["prefers_chosen"] <= 1
        assert verdict[side]["sampling"]["n_prompts"] == 2 and 0 <= verdict[side]["sampling"]["validity"] <= 1
    assert verdict["new"]["sampling"]["validity"] == heldout["validity"]
    events = read_events(args.events)
    assert [e["step"] for e in events if "step" in e] == [1, 2]
    assert any("held out for the verdict" in e.get("phase", "") for e in events)
    assert final_event(events) == {**events[-1], "status": "done", "checkpoint": str(out)}


def test_every_tokenized_pair_keeps_its_eos_and_generation_prompt(micro_parent, tmp_path):
    from datasets import Dataset

    from trainer.generation.modeling import load_model
    from trainer.training.orpo import DiagramORPOTrainer, _orpo_config

    model, tokenizer = load_model(micro_parent, for_training=True)
    rows = [{"prompt": model_input(build_prompt("DL model with 3 input nodes")), "chosen": _answer(i, "circle"),
             "rejected": _answer(i, "rectangle") + "\n" + _answer(i, "circle")} for i in range(2)]
    need = max(token_lengths(tokenizer, rows))
    for max_length, cut in ((need, False), (need - 3, True)):
        config = _orpo_config(ORPOArgs(max_steps=1), tmp_path, max_length, lora=False)
        trainer = DiagramORPOTrainer(model=model, args=config, train_dataset=Dataset.from_list(rows),
                                   processing_class=tokenizer)
        if cut:  # TRL's own truncation drops the EOS: the guard must notice
            with pytest.raises(RuntimeError, match="cut before its EOS"):
                check_not_cut(trainer.train_dataset, tokenizer)
        else:
            check_not_cut(trainer.train_dataset, tokenizer)
            assert all(r["rejected_input_ids"][-1] == tokenizer.eos_token_id for r in trainer.train_dataset)


@pytest.mark.parametrize("n_pairs", [0, 1])
def test_empty_or_one_pair_is_refused_and_leaves_nothing(micro_parent, tmp_path, n_pairs):
    data = tmp_path / "few.csv"
    if n_pairs:
        _write_pairs(data, n_pairs)
    else:
        data.write_text('"prompt","chosen","rejected"\n')
    args = _args(micro_parent, tmp_path, data=str(data))
    with pytest.raises(ValueError, match="at least 2 preference pairs"):
        train_orpo(args)
    assert not Path(args.out).exists()
    assert final_event(read_events(args.events))["status"] == "failed"


@pytest.mark.slow
def test_sigterm_cancels_cleanly(micro_parent, tmp_path):
    args = _args(micro_parent, tmp_path, max_steps=100_000, lr=1e-5)
    cmd = [sys.executable, "-m", "trainer.training.orpo", "--checkpoint", args.checkpoint, "--data", args.data,
           "--out", args.out, "--events", args.events, "--max-steps", "100000", "--no-eval"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1"})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any("step" in e for e in read_events(args.events)):
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    assert final_event(read_events(args.events))["status"] == "cancelled"
    parent = Path(args.out).parent  # no checkpoint, no temp dir left behind
    assert not parent.exists() or list(parent.iterdir()) == []


@pytest.mark.slow
def test_lora_parent_is_merged_then_gets_a_new_adapter(micro_model_dir, tmp_path):
    from peft import LoraConfig, get_peft_model

    from trainer.core.checkpoint import read_manifest, write_manifest
    from trainer.generation.modeling import load_model

    # A LoRA checkpoint on a random micro Llama standing in for a pretrained base: kind "base",
    # as a random model must say (a trained kind scoring like a random model is refused).
    base, tokenizer = load_model(micro_model_dir, for_training=True)
    sft = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                          task_type="CAUSAL_LM", init_lora_weights=False))
    sft_dir = tmp_path / "sft-lora"
    sft.save_pretrained(sft_dir)
    tokenizer.save_pretrained(sft_dir)
    write_manifest(sft_dir, kind="base", base_model=str(micro_model_dir))
    args = _args(sft_dir, tmp_path, lora_r=4, lora_alpha=8, lr=1e-2)
    out = train_orpo(args)
    manifest = read_manifest(out)
    assert manifest["adapter"] and manifest["base_model"] == str(sft_dir)
    assert manifest["root_base_model"] == str(micro_model_dir)
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == str(sft_dir)
    parent, _ = load_model(sft_dir)
    child, _ = load_model(out)  # parent merged, then the new adapter merged on top
    ids = torch.tensor([tokenizer(model_input(build_prompt("DL model with 2 input nodes")))["input_ids"]])
    with torch.no_grad():
        assert not torch.equal(parent(ids).logits, child(ids).logits)


def test_nll_term_covers_the_answer_only(micro_parent, tmp_path):
    from datasets import Dataset

    from trainer.generation.modeling import load_model
    from trainer.training.orpo import DiagramORPOTrainer, _orpo_config

    model, tokenizer = load_model(micro_parent, for_training=True)
    row = {"prompt": model_input(build_prompt("DL model with 3 input nodes")), "chosen": _answer(1, "circle"),
           "rejected": _answer(1, "rectangle")}
    config = _orpo_config(ORPOArgs(max_steps=1), tmp_path, max(token_lengths(tokenizer, [row])), lora=False)
    trainer = DiagramORPOTrainer(model=model, args=config, train_dataset=Dataset.from_list([row]),
                               processing_class=tokenizer)
    features = trainer.train_dataset.remove_columns(["prompt", "chosen", "rejected"])
    batch = trainer.data_collator([features[0]])
    model.eval()
    with torch.no_grad():
        nll = trainer.concatenated_forward(model, batch)[4]
        ids = batch["chosen_input_ids"]
        labels = batch["chosen_labels"]
        logits = model(ids).logits[0, :-1]
        expected = torch.nn.functional.cross_entropy(logits, labels[0, 1:], ignore_index=-100)
    n_prompt = len(tokenizer(row["prompt"])["input_ids"])
    assert (labels[0, :n_prompt] == -100).all() and labels[0, -1] == tokenizer.eos_token_id
    assert torch.allclose(nll, expected, atol=1e-5)


@pytest.mark.parametrize("n, held_out", [(0, 0), (1, 0), (2, 1), (20, 5), (40, 10), (80, 20), (100, 20),
                                         (400, 40)])
def test_heldout_size_is_10_percent_raised_to_20_while_most_pairs_stay_for_training(n, held_out):
    from trainer.training.verdict import heldout_size

    assert heldout_size(n) == held_out


def test_preference_accuracy_counts_pairs_whose_chosen_answer_is_more_likely(micro_parent):
    from trainer.generation.modeling import load_model
    from trainer.training.verdict import preference_accuracy

    model, tokenizer = load_model(micro_parent)
    (request, lines), *_ = MICRO_REQUESTS  # the micro model memorised this answer
    learned, noise = "\n".join(lines), "[0, 1, 2, 'rectangle', 9, 9, 'dashed line', (1, 1, 1), (2, 2, 2), []]"
    prompt = model_input(build_prompt(request))
    assert preference_accuracy(model, tokenizer, [{"prompt": prompt, "chosen": learned, "rejected": noise}]) == 1.0
    assert preference_accuracy(model, tokenizer, [{"prompt": prompt, "chosen": noise, "rejected": learned}]) == 0.0
    assert preference_accuracy(model, tokenizer, []) is None
