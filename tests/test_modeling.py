"""Model loading: full and LoRA round trips, the tiny preset's tokenizer, and clear errors."""

import json
import shutil

import pytest
import torch

from trainer.generation.modeling import (
    DEFAULT_BASE,
    ModelLoadError,
    build_tiny,
    classify,
    load_model,
    pick_device,
    pick_dtype,
)
from trainer.core.template import EOS_TOKEN, model_input

from conftest import micro_pairs

NODE_LINE = "[10, 500, 300, 'rectangle', 36, 36, 'solid arrow', (214, 214, 214), (71, 71, 71), [11, 12]]"


@pytest.fixture(scope="module")
def lora_checkpoint(tmp_path_factory, micro_model_dir, micro_sft_csv):
    """micro_model_dir stands in for a pretrained base: LoRA-SFT it for 2 steps."""
    from trainer.training.sft import SFTArgs, train_sft

    out = tmp_path_factory.mktemp("lora") / "sft-lora"
    args = SFTArgs(out=str(out), base=str(micro_model_dir), data=str(micro_sft_csv), max_steps=2,
                   lr=5e-2, batch_size=4, val_fraction=0.0, exclude_prompts="", logging_steps=1000)
    return train_sft(args)


def _logits(model, tokenizer):
    ids = tokenizer(model_input(micro_pairs()[0][0]), return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        return model(input_ids=ids).logits


def test_full_model_round_trip(micro_model_dir):
    model, tokenizer = load_model(micro_model_dir)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert not model.training and model.dtype == torch.float32
    assert tokenizer.eos_token == EOS_TOKEN
    assert tokenizer.pad_token_id not in (None, tokenizer.eos_token_id)
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id
    again, _ = load_model(str(micro_model_dir), for_training=True)
    assert again.training
    assert torch.equal(_logits(model, tokenizer), _logits(again.eval(), tokenizer))


def test_lora_checkpoint_holds_only_the_adapter_and_names_its_base(lora_checkpoint, micro_model_dir):
    files = {p.name for p in lora_checkpoint.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "manifest.json", "tokenizer.json"} <= files
    assert "model.safetensors" not in files and "training_args.bin" not in files
    manifest = json.loads((lora_checkpoint / "manifest.json").read_text())
    assert manifest["adapter"] is True
    assert manifest["base_model"] == str(micro_model_dir.resolve())
    assert classify(lora_checkpoint) == ("adapter", str(lora_checkpoint))


def test_lora_checkpoint_loads_merged_for_inference_and_trainable_for_training(lora_checkpoint, micro_model_dir):
    base, tokenizer = load_model(micro_model_dir)
    merged, _ = load_model(lora_checkpoint)
    assert type(merged).__name__ == "LlamaForCausalLM"  # merged, no peft wrapper
    assert not torch.allclose(_logits(base, tokenizer), _logits(merged, tokenizer))
    trainable, _ = load_model(lora_checkpoint, for_training=True)
    assert hasattr(trainable, "peft_config")
    names = [n for n, p in trainable.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)
    assert torch.allclose(_logits(merged, tokenizer), _logits(trainable.eval(), tokenizer), atol=1e-5)


def _copy(src, dst):
    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda d: (d / "config.json").unlink(), "no config.json"),
        (lambda d: (d / "config.json").write_text("{garbled"), "config.json is unreadable"),
        (lambda d: (d / "model.safetensors").unlink(), "no weights"),
        (lambda d: (d / "model.safetensors").write_bytes(b"\x00garbage" * 10), "corrupt checkpoint|cannot load"),
    ],
    ids=["no-config", "garbled-config", "no-weights", "garbled-weights"],
)
def test_corrupt_checkpoint_gives_clear_error(tmp_path, micro_model_dir, damage, message):
    broken = _copy(micro_model_dir, tmp_path / "broken")
    damage(broken)
    with pytest.raises(ModelLoadError, match=message):
        load_model(broken)


def test_corrupt_adapter_checkpoint(tmp_path, lora_checkpoint):
    broken = _copy(lora_checkpoint, tmp_path / "broken")
    (broken / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="no adapter weights"):
        load_model(broken)


@pytest.mark.parametrize("spec", ["./no/such/dir", "/no/such/dir", "checkpoints/missing/x"])
def test_missing_path_names_the_path(spec):
    with pytest.raises(ModelLoadError, match="no checkpoint directory"):
        load_model(spec)


def test_uncached_hub_model_offline_says_what_to_download():
    with pytest.raises(ModelLoadError, match=r"hf download deepseek-ai/deepseek-coder-1\.3b-instruct"):
        load_model(DEFAULT_BASE)


@pytest.mark.parametrize(
    "device, dtype, expected",
    [
        ("cpu", None, torch.float32),
        ("cpu", "bfloat16", torch.bfloat16),
        ("cpu", torch.float16, torch.float16),
        ("cpu", "auto", torch.float32),
    ],
)
def test_pick_dtype(device, dtype, expected):
    assert pick_dtype(pick_device(device), dtype) == expected


def test_pick_dtype_rejects_unknown():
    with pytest.raises(ValueError, match="unknown dtype"):
        pick_dtype(torch.device("cpu"), "float8ish")


def test_tiny_tokenizer_round_trips_and_keeps_sequences_short(micro_model_dir):
    _, tokenizer = load_model(micro_model_dir)
    prompt, answer = micro_pairs()[3]
    for text in (NODE_LINE, answer, model_input(prompt), "unseen ✓ text {}"):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text
    # The fixed prompt pieces are single tokens, so a wrapped prompt is the request plus a few tokens.
    request_ids = tokenizer("pipeline: read -> clean -> plot", add_special_tokens=False)["input_ids"]
    prompt_ids = tokenizer(model_input(prompt))["input_ids"]
    assert len(prompt_ids) <= len(request_ids) + 6
    assert prompt_ids[0] == tokenizer.bos_token_id
    assert len(tokenizer(NODE_LINE, add_special_tokens=False)["input_ids"]) <= len(NODE_LINE) // 3


def test_build_tiny_sizes_and_manifest(tmp_path, micro_corpus):
    out = build_tiny(tmp_path / "t", micro_corpus, vocab_size=300, hidden_size=16, intermediate_size=32,
                     num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=2)
    config = json.loads((out / "config.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert config["hidden_size"] == 16 and config["num_hidden_layers"] == 1
    assert config["max_position_embeddings"] >= 2 * max(len(t) for t in micro_corpus) // 8
    assert manifest["kind"] == "base" and manifest["parameters"] > 0
    model, tokenizer = load_model(out)
    assert model.config.vocab_size == len(tokenizer)


def test_adapter_on_an_adapter_checkpoint_loads_merged_or_with_only_the_top_adapter_trainable(
        tmp_path, lora_checkpoint):
    """ORPO trains a new LoRA on a merged LoRA parent; its manifest names the parent as base_model."""
    from peft import LoraConfig, get_peft_model

    from trainer.core.checkpoint import write_manifest

    parent, tokenizer = load_model(lora_checkpoint)
    child = get_peft_model(parent, LoraConfig(r=2, lora_alpha=2, target_modules=["q_proj", "v_proj"]))
    for name, param in child.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.5)  # a visible change, as after training
    out = tmp_path / "child"
    child.save_pretrained(out)
    write_manifest(out, kind="orpo", base_model=str(lora_checkpoint), parent_checkpoint=str(lora_checkpoint))
    merged, _ = load_model(out)
    assert type(merged).__name__ == "LlamaForCausalLM"
    assert torch.allclose(_logits(merged, tokenizer), _logits(child.eval(), tokenizer), atol=1e-5)
    trainable, _ = load_model(out, for_training=True)
    names = [n for n, p in trainable.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n for n in names)
    assert all("v_proj" in n or "q_proj" in n for n in names) and len(names) == 2 * 2 * 2  # 2 layers x q,v x A,B
