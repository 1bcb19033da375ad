"""SFT: EOS-terminated labels, the loss really drops, manifests, CLI flags, failures leave nothing."""

import argparse
import json
import shlex

import pytest
import torch
from safetensors.torch import load_file

from trainer.core.checkpoint import CheckpointError, file_sha256
from trainer.generation.modeling import load_model
from trainer.training.sft import SFTArgs, add_sft_arguments, args_from_namespace, encode_pairs, to_command, train_sft
from trainer.core.template import IGNORE_INDEX, check_labels_end_with_eos, encode_example, encode_prompt

from conftest import micro_pairs


def _mean_answer_loss(model, tokenizer):
    losses = []
    for prompt, answer in micro_pairs():
        ex = encode_example(tokenizer, prompt, answer)
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([ex["input_ids"]]), labels=torch.tensor([ex["labels"]]))
        losses.append(out.loss.item())
    return sum(losses) / len(losses)


def test_every_example_ends_with_eos_and_masks_the_prompt(micro_model_dir):
    _, tokenizer = load_model(micro_model_dir)
    for prompt, answer in micro_pairs():
        ex = encode_example(tokenizer, prompt, answer)
        prompt_ids = encode_prompt(tokenizer, prompt)
        # The training prompt is token-for-token what the generator feeds at inference.
        assert ex["input_ids"][: len(prompt_ids)] == prompt_ids
        assert ex["labels"][: len(prompt_ids)] == [IGNORE_INDEX] * len(prompt_ids)
        assert ex["labels"][-1] == ex["input_ids"][-1] == tokenizer.eos_token_id
        assert tokenizer.decode(ex["labels"][len(prompt_ids):-1]) == answer
    rows, dropped = encode_pairs(tokenizer, micro_pairs(), max_length=10_000)
    assert len(rows) == len(micro_pairs()) and dropped == 0
    rows, dropped = encode_pairs(tokenizer, micro_pairs(), max_length=5)
    assert rows == [] and dropped == len(micro_pairs())


@pytest.mark.parametrize("labels", [[IGNORE_INDEX, IGNORE_INDEX], [IGNORE_INDEX, 5, 6], [1, 2, IGNORE_INDEX]])
def test_labels_not_ending_in_eos_are_rejected(labels):
    with pytest.raises(ValueError, match="not EOS"):
        check_labels_end_with_eos(labels, eos_id=2)


def test_sft_lowers_the_loss_and_changes_the_weights(micro_model_dir, micro_sft_checkpoint):
    base, tokenizer = load_model(micro_model_dir)
    tuned, _ = load_model(micro_sft_checkpoint)
    assert _mean_answer_loss(tuned, tokenizer) < 0.5 * _mean_answer_loss(base, tokenizer)
    before = load_file(micro_model_dir / "model.safetensors")
    after = load_file(micro_sft_checkpoint / "model.safetensors")
    assert before.keys() == after.keys()
    assert all(not torch.equal(before[k], after[k]) for k in before if "norm" not in k)


def test_sft_manifest_records_data_and_how_to_reproduce(micro_sft_checkpoint, micro_sft_csv, micro_model_dir):
    manifest = json.loads((micro_sft_checkpoint / "manifest.json").read_text())
    assert manifest["kind"] == "sft"
    assert manifest["base_model"] == str(micro_model_dir.resolve())
    assert manifest["parent_checkpoint"] == str(micro_model_dir)
    assert manifest["adapter"] is False
    assert manifest["data_file"] == str(micro_sft_csv)
    assert manifest["data_sha256"] == file_sha256(micro_sft_csv)
    assert manifest["data_rows"] == len(micro_pairs()) and manifest["synthetic_rows"] == 0
    assert manifest["metrics"]["steps"] == 200 and manifest["metrics"]["train_loss"] > 0
    assert manifest["training_args"]["full_finetune"] is True
    assert manifest["command"].startswith("diagramlab sft ")
    assert not (micro_sft_checkpoint / "training_args.bin").exists()


def _parse(argv):
    parser = argparse.ArgumentParser()
    add_sft_arguments(parser)
    return args_from_namespace(parser.parse_args(argv))


def test_cli_flags_come_from_sftargs_and_round_trip():
    args = _parse(["--preset", "tiny", "--out", "x", "--synthetic-rows", "5", "--lr", "0.003",
                   "--epochs", "1.5", "--overwrite"])
    assert args == SFTArgs(preset="tiny", out="x", synthetic_rows=5, lr=0.003, epochs=1.5, overwrite=True)
    assert _parse(["--out", "y", "--base", "b"]).lora_r == 16
    command = to_command(args)
    assert command.startswith("diagramlab sft ")
    assert _parse(shlex.split(command)[2:]) == args


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"preset": "tiny"}, "--out is required"),
        ({"out": "o"}, "exactly one of"),
        ({"out": "o", "preset": "tiny", "base": "b"}, "exactly one of"),
        ({"out": "o", "preset": "huge"}, "unknown preset"),
        ({"out": "o", "base": "b", "synthetic_rows": 3}, "--synthetic-rows is for"),
        ({"out": "o", "preset": "tiny", "val_fraction": 1.0}, "--val-fraction"),
    ],
)
def test_invalid_arguments_are_rejected_before_any_work(fields, message):
    with pytest.raises(ValueError, match=message):
        train_sft(SFTArgs(**fields))


def test_existing_output_is_not_overwritten(tmp_path, micro_model_dir, micro_sft_csv):
    out = tmp_path / "exists"
    out.mkdir()
    (out / "keep").write_text("x")
    args = SFTArgs(out=str(out), base=str(micro_model_dir), full_finetune=True, data=str(micro_sft_csv),
                   max_steps=1, val_fraction=0.0, exclude_prompts="")
    with pytest.raises(CheckpointError, match="already exists"):
        train_sft(args)
    assert [p.name for p in out.iterdir()] == ["keep"]


@pytest.mark.slow
def test_tiny_preset_trains_with_synthetic_rows_and_validation(tmp_path, micro_sft_csv):
    events = []
    args = SFTArgs(out=str(tmp_path / "tiny"), preset="tiny", data=str(micro_sft_csv), synthetic_rows=12,
                   max_steps=3, batch_size=4, val_fraction=0.25, vocab_size=400, tiny_hidden=32,
                   tiny_layers=1, tiny_heads=2, tiny_intermediate=64, eval_steps=2, logging_steps=1,
                   exclude_prompts="", threads=1)
    out = train_sft(args, on_event=events.append)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base_model"] == "tiny-llama-preset"
    assert manifest["synthetic_rows"] == 12 and manifest["val_rows"] == 1 and manifest["train_rows"] == 3
    assert "eval_loss" in manifest["metrics"]
    assert manifest["parameters"] > 0 and manifest["wall_seconds"] > 0
    assert [e["step"] for e in events if "loss" in e] == [1, 2, 3]
    model, tokenizer = load_model(out)
    assert tokenizer.eos_token == "<|EOT|>" and model.config.hidden_size == 32


def test_held_out_requests_and_plan_lines_shape_the_training_rows(tmp_path):
    from trainer.training.sft import load_pairs
    from trainer.data.synth import SFT_COLUMNS, make_sft_rows, plan_from_info, write_csv

    rows = make_sft_rows(3, 3, seed=4)
    data = tmp_path / "sft.csv"
    write_csv(rows, data, SFT_COLUMNS)
    from diagram.prompt import extract_request

    held = tmp_path / "held.csv"
    held.write_text("request,layers\n" + '"  ' + extract_request(rows[0]["input_data"]).upper() + '",x\n')
    args = SFTArgs(out="o", preset="tiny", data=str(data), val_fraction=0.0, synthetic_rows=40,
                   exclude_prompts="", exclude_requests=str(held), plan_line=True, noise=0.5)
    train, _, synthetic = load_pairs(args)
    assert len(train) == 5 and rows[0]["input_data"] not in {p for p, _ in train}
    expected = {r["input_data"]: plan_from_info(r["dest_shape_info"]) + "\n" + r["output_data"] for r in rows}
    assert all(answer == expected[prompt] for prompt, answer in train)
    assert all(answer.startswith("# ") for _, answer in synthetic) and len(synthetic) == 40
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        load_pairs(SFTArgs(out="o", preset="tiny", data=str(data), exclude_requests=str(tmp_path / "missing.csv")))


@pytest.mark.slow
def test_work_dir_saves_loadable_checkpoints_and_resumes(tmp_path, micro_sft_csv):
    from diagram import build_prompt
    from trainer.generation.generate import Generator

    work = tmp_path / "work"
    common = dict(preset="tiny", data=str(micro_sft_csv), synthetic_rows=16, batch_size=4,
                  val_fraction=0.0, vocab_size=400, tiny_hidden=32, tiny_layers=1, tiny_heads=2,
                  tiny_intermediate=64, exclude_prompts="", threads=1, work_dir=str(work), save_steps=2,
                  plan_line=True, logging_steps=1)
    train_sft(SFTArgs(out=str(tmp_path / "a"), max_steps=2, **common))
    step2 = work / "trainer" / "checkpoint-2"
    manifest = json.loads((step2 / "manifest.json").read_text())
    assert manifest["partial"] is True and manifest["step"] == 2 and manifest["max_answer_tokens"] > 0
    (cand,) = Generator(step2).generate(build_prompt("MLP 2-3-1"), k=1, max_new_tokens=5)
    assert cand.n_tokens <= 5
    events = []
    train_sft(SFTArgs(out=str(tmp_path / "b"), max_steps=4, **common), on_event=events.append)
    assert [e["step"] for e in events if "loss" in e] == [3, 4]  # resumed after step 2


def test_init_from_continues_a_checkpoint_and_keeps_its_tokenizer(micro_sft_checkpoint, micro_sft_csv, tmp_path):
    """`--preset tiny --init-from DIR`: the start weights and tokenizer are the checkpoint's, copied
    into the work dir once (a rerun after --out was replaced starts from the same weights)."""
    work = tmp_path / "work"
    args = SFTArgs(out=str(tmp_path / "out"), preset="tiny", init_from=str(micro_sft_checkpoint),
                   data=str(micro_sft_csv), max_steps=1, batch_size=2, val_fraction=0.0, lr=1e-9,
                   exclude_prompts="", threads=1, work_dir=str(work), logging_steps=1)
    out = train_sft(args)
    base = work / "tiny-base"
    assert (base / "tokenizer.json").read_bytes() == (micro_sft_checkpoint / "tokenizer.json").read_bytes()
    assert not (base / "manifest.json").exists()
    before = load_file(str(micro_sft_checkpoint / "model.safetensors"))
    after = load_file(str(out / "model.safetensors"))
    assert before.keys() == after.keys()
    assert all(torch.allclose(before[k], after[k], atol=1e-4) for k in before)  # lr 1e-9: ~unchanged
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parent_checkpoint"] == str(micro_sft_checkpoint)
    assert "--init-from" in manifest["command"]
    with pytest.raises(ValueError, match="--init-from is for --preset tiny"):
        train_sft(SFTArgs(out=str(tmp_path / "x"), base=str(micro_sft_checkpoint),
                          init_from=str(micro_sft_checkpoint)))
    with pytest.raises(ValueError, match="not a full-model checkpoint"):
        train_sft(SFTArgs(out=str(tmp_path / "y"), preset="tiny", init_from=str(tmp_path),
                          data=str(micro_sft_csv), max_steps=1, exclude_prompts="",
                          work_dir=str(tmp_path / "work2")))
