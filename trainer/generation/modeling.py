"""Load a model + tokenizer from an HF id, a local HF dir or a project checkpoint; build the tiny preset.

    model, tok = load_model("checkpoints/tiny-sft")                     # full model dir
    model, tok = load_model("checkpoints/sft-lora")                     # LoRA adapter: base + adapter,
                                                                         # merged for inference
    model, tok = load_model("deepseek-ai/deepseek-coder-1.3b-instruct")  # needs the weights cached
    build_tiny("runs/tiny-base", texts)                                  # random tiny Llama + BPE tokenizer

Devices and dtypes: CUDA if available (bf16, or fp16 without bf16 support), else CPU in fp32.
Weights are loaded directly in that dtype (never fp32 on a GPU). With `for_training=True` an
adapter checkpoint is returned as a trainable `PeftModel` (not merged): `diagramlab sft --base
<adapter checkpoint>` continues the same LoRA. ORPO does not: it loads an adapter parent merged
(`for_training=False`) and trains a new adapter on it (trainer.training.orpo), so every ORPO checkpoint is
"parent + one adapter".
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
from peft import PeftModel
from safetensors import SafetensorError
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from trainer.core.checkpoint import json_object, write_manifest
from trainer.generation.tokenizer import fix_special_tokens, train_tokenizer

DEFAULT_BASE = "deepseek-ai/deepseek-coder-1.3b-instruct"
TINY_BASE_NAME = "tiny-llama-preset"
WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
ADAPTER_WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
# The tiny preset's defaults (overridable through build_tiny(**config)): a smaller model sees more
# examples in the same CPU time, which won over a wider one (sizes measured against each other in
# checkpoints/README.md, "How the size was chosen").
TINY_CONFIG = {
    "hidden_size": 128,
    "intermediate_size": 344,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "tie_word_embeddings": True,
    "rms_norm_eps": 1e-5,
}


class ModelLoadError(RuntimeError):
    """A model or checkpoint could not be found or read; the message says what to do."""


def pick_device(device: str | torch.device | None = None) -> torch.device:
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def pick_dtype(device: torch.device, dtype: str | torch.dtype | None = None) -> torch.dtype:
    """bf16 on CUDA (fp16 when the card lacks bf16), fp32 on CPU, unless `dtype` says otherwise."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str) and dtype != "auto":
        value = getattr(torch, dtype, None)
        if not isinstance(value, torch.dtype):
            raise ValueError(f"unknown dtype {dtype!r}; use float32, bfloat16 or float16")
        return value
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _looks_like_path(spec: str) -> bool:
    # "owner/name" is a hub id; anything else with a separator, or starting like a path, is a path.
    return spec.startswith((".", "/", "~")) or spec.count("/") > 1 or os.sep == "\\" and "\\" in spec


def _read_json(path: Path, what: str) -> dict[str, Any]:
    return json_object(path, what, lambda why: ModelLoadError(
        f"corrupt checkpoint {path.parent}: {what} {path.name} is {why}"))


def classify(spec: str | os.PathLike[str]) -> tuple[str, str]:
    """('adapter'|'full', dir) for a local checkpoint, ('hub', id) otherwise; ModelLoadError if broken."""
    text = str(spec)
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "adapter_config.json").is_file():
            _read_json(path / "adapter_config.json", "adapter config")
            if not any((path / f).is_file() for f in ADAPTER_WEIGHT_FILES):
                raise ModelLoadError(f"corrupt checkpoint {path}: adapter_config.json but no adapter weights")
            return "adapter", str(path)
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{path} is not a model directory: no config.json or adapter_config.json")
        _read_json(path / "config.json", "model config")
        if not any((path / f).is_file() for f in WEIGHT_FILES):
            raise ModelLoadError(f"corrupt checkpoint {path}: config.json but no weights ({', '.join(WEIGHT_FILES)})")
        return "full", str(path)
    if path.exists() or _looks_like_path(text):
        raise ModelLoadError(f"no checkpoint directory at {text!r}; pass an existing model dir or an HF id")
    return "hub", text


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")


def _hub_error(model_id: str, exc: Exception) -> ModelLoadError:
    how = "it is not in the local HF cache and HF_HUB_OFFLINE is set" if _offline() else f"loading failed ({exc})"
    return ModelLoadError(
        f"cannot load {model_id!r}: {how}. Download it once with `hf download {model_id}` on a machine "
        f"with network access (or set HF_HOME to a cache that has it), or pass a local model directory "
        f"instead, e.g. --base /path/to/{model_id.split('/')[-1]} or --preset tiny."
    )


def load_tokenizer(source: str) -> Any:
    """The tokenizer at `source` with EOS `<|EOT|>` (when in vocab) and a pad distinct from EOS."""
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=_offline())
    return fix_special_tokens(tokenizer)


def _load_weights(source: str, dtype: torch.dtype, strict: bool = False) -> torch.nn.Module:
    """The weights at `source`; `strict` (a local dir): every tensor of the file must fill a
    parameter of the config's model and none may be left random (a config edited to another
    model_type or layer count would otherwise load as a partly or wholly random model)."""
    model, info = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, local_files_only=_offline(),
                                                       output_loading_info=True)
    if strict:
        wrong = {name: sorted(info.get(name) or ()) for name in ("missing_keys", "unexpected_keys",
                                                                  "mismatched_keys")}
        wrong = {name: keys for name, keys in wrong.items() if keys}
        if wrong:
            what = "; ".join(f"{len(keys)} {name.replace('_', ' ')} (e.g. {keys[0]})" for name, keys in wrong.items())
            raise ModelLoadError(f"corrupt checkpoint {source}: its weights do not fit its config.json "
                                 f"({type(model).__name__}): {what}")
    return model


def _align_with_tokenizer(model: torch.nn.Module, tokenizer: Any) -> None:
    """Resize embeddings for added tokens and make generation stop on the tokenizer's EOS/pad."""
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    model.config.pad_token_id = tokenizer.pad_token_id
    if model.generation_config is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id


def _has_tokenizer(directory: str) -> bool:
    return any((Path(directory) / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json"))


def adapter_base(directory: str) -> str:
    """The base model an adapter checkpoint was trained on (manifest first, then adapter_config)."""
    manifest_path = Path(directory) / "manifest.json"
    if manifest_path.is_file():
        base = _read_json(manifest_path, "manifest").get("base_model")
        if base:
            return str(base)
    base = _read_json(Path(directory) / "adapter_config.json", "adapter config").get("base_model_name_or_path")
    if not base:
        raise ModelLoadError(f"adapter checkpoint {directory} names no base model (manifest or adapter_config)")
    return str(base)


def load_model(
    spec: str | os.PathLike[str] = DEFAULT_BASE,
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
    for_training: bool = False,
) -> tuple[torch.nn.Module, Any]:
    """(model, tokenizer) for an HF id, a local HF dir or a project checkpoint (full or LoRA adapter).

    Inference models are put in eval mode; adapters are merged into the base unless `for_training`.
    Raises ModelLoadError with what to download or which path to pass.
    """
    kind, source = classify(spec)
    target = pick_device(device)
    torch_dtype = pick_dtype(target, dtype)
    if kind == "adapter":
        model, tokenizer = _load_adapter(source, torch_dtype, for_training)
    else:
        try:
            tokenizer = load_tokenizer(source)
            model = _load_weights(source, torch_dtype, strict=kind == "full")
        except ModelLoadError:
            raise
        except OSError as exc:
            if kind == "hub":
                raise _hub_error(source, exc) from exc
            raise ModelLoadError(f"corrupt checkpoint {source}: {exc}") from exc
        except (ValueError, RuntimeError, KeyError, SafetensorError) as exc:
            raise ModelLoadError(f"cannot load {source}: {exc}") from exc
    _align_with_tokenizer(model, tokenizer)
    model.to(target)
    model.train(for_training)
    return model, tokenizer


def _load_adapter(directory: str, dtype: torch.dtype, for_training: bool) -> tuple[torch.nn.Module, Any]:
    base = adapter_base(directory)
    # The base is always merged (it may itself be an adapter checkpoint, e.g. ORPO on a LoRA SFT):
    # only this directory's adapter becomes trainable.
    base_model, base_tokenizer = load_model(base, device="cpu", dtype=dtype)
    tokenizer = fix_special_tokens(AutoTokenizer.from_pretrained(directory)) if _has_tokenizer(directory) else base_tokenizer
    _align_with_tokenizer(base_model, tokenizer)
    try:
        model = PeftModel.from_pretrained(base_model, directory, is_trainable=for_training)
    except (OSError, ValueError, RuntimeError, KeyError, SafetensorError) as exc:
        raise ModelLoadError(f"corrupt adapter checkpoint {directory}: {exc}") from exc
    if not for_training:
        model = model.merge_and_unload()
    return model, tokenizer


def known_answer_losses(model: torch.nn.Module, tokenizer: Any, rows: list[tuple[str, str]],
                        good_enough: float | None = None) -> list[float]:
    """Mean per-token loss (answer + EOS) of each (stored prompt, answer) row, as training scores
    it (`trainer.generation.scoring.answer_logprobs`); rows too long for the model's context are skipped.
    With `good_enough`, stops after the first finite loss at or below it (a big model on a CPU)."""
    from trainer.generation.scoring import answer_logprobs

    losses = []
    for prompt, answer in rows:
        try:
            total, count = answer_logprobs(model, tokenizer, prompt, [answer])[0]
        except ValueError:  # longer than the context
            continue
        losses.append(-total / max(1, count))
        if good_enough is not None and math.isfinite(losses[-1]) and losses[-1] <= good_enough:
            break
    return losses


def check_model(model: torch.nn.Module, tokenizer: Any, directory: str | os.PathLike[str] | None,
                kind: str | None, extra: list[str] = (), where: str = "") -> float:
    """Refuse (trainer.core.checkpoint.CheckpointError) a loaded model that is not what `directory`
    claims: a non-finite loss on a known answer (trainer.data.sanity.known_answers: its training data,
    `extra` CSVs, the project's reference answers) or a best loss near a random model's
    (trainer.data.sanity.judge_losses). Returns the best loss."""
    from trainer.data.sanity import judge_losses, known_answers, loss_ceiling

    embeddings = model.get_output_embeddings()
    vocab = int(embeddings.weight.shape[0]) if embeddings is not None else len(tokenizer)
    rows = known_answers(directory, extra)
    losses = known_answer_losses(model, tokenizer, rows, good_enough=loss_ceiling(vocab, kind))
    return judge_losses(losses, vocab, kind, where or str(directory))


def tiny_config(tokenizer: Any, max_positions: int, **overrides: Any) -> LlamaConfig:
    settings = {**TINY_CONFIG, **overrides}
    return LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **settings,
    )


def build_tiny(
    out_dir: str | os.PathLike[str],
    texts: list[str],
    vocab_size: int = 2048,
    seed: int = 0,
    **config: Any,
) -> Path:
    """Train the tiny tokenizer on `texts`, build a random Llama sized by TINY_CONFIG (+ `config`).

    Writes a normal HF model dir (safetensors + tokenizer + manifest kind=base) to `out_dir`.
    `max_position_embeddings` defaults to a power of two ≥ twice the longest text in tokens.
    """
    tokenizer = train_tokenizer(texts, vocab_size=vocab_size)
    longest = max((len(tokenizer(t)["input_ids"]) for t in texts), default=256)
    max_positions = config.pop("max_position_embeddings", None) or 1 << (2 * longest - 1).bit_length()
    torch.manual_seed(seed)
    model = LlamaForCausalLM(tiny_config(tokenizer, max_positions, **config))
    _align_with_tokenizer(model, tokenizer)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    write_manifest(
        out,
        kind="base",
        base_model=TINY_BASE_NAME,
        training_args={"vocab_size": vocab_size, "seed": seed, "corpus_texts": len(texts)},
        parameters=sum(p.numel() for p in model.parameters()),
        model_config={**TINY_CONFIG, **config, "max_position_embeddings": max_positions},
    )
    return out
