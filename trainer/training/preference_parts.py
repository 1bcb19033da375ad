"""What a preference recipe builds its TRL trainer with (`trainer.training.preference_run` runs it):
`Recipe` (a trainer's name, algorithm, config, `build`, `check`), `TrainerParts` (the loaded model,
tokenizer, LoRA config and fitted rows the run hands `build`) and `training_arguments`;
`prepare_model` (the parent loaded, a LoRA parent merged and a new adapter planned, or the tiny
preset fine-tuned in full); `WeightedRows` / `weighted_sampler` (rows drawn by their judgment's
weight); `SeparateAnswerTokens` / `tokenize_separately` (prompt and answer encoded apart, EOS last,
like SFT and generation); `reference_model` (the frozen reference DPO and KTO need); and
cancelling: `Cancelled`, `CancelCallback`, `check_cancelled`, `SigtermCancels`, `sigterm_sets` (SIGTERM
cancels at once, except while a checkpoint is being published).
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from peft import LoraConfig
from safetensors import safe_open
from transformers import TrainerCallback

from trainer.core.checkpoint import CheckpointError, read_manifest
from trainer.core.choices import pair_spans, token_mask
from trainer.core.preference_config import FULL_FINETUNE_MAX_PARAMS, PreferenceArgs
from trainer.core.sft_config import LORA_TARGETS
from trainer.generation.modeling import classify, load_model, pick_device, pick_dtype
from trainer.training.preference_data import load_pairs, row_weights


class Cancelled(Exception):
    """Training was cancelled (SIGTERM or Ctrl-C); nothing was written."""


@dataclass(frozen=True)
class Recipe:
    """What one preference trainer adds to the shared run."""

    name: str  # "orpo": the command, checkpoint prefix and manifest kind
    algorithm: str  # "ORPO", "SimPO (TRL CPO, loss_type=simpo)": recorded in the manifest
    config: type  # its PreferenceArgs subclass
    build: Callable[[Any, "TrainerParts"], Any]  # (args, parts) -> the TRL trainer, not yet trained
    check: Callable[[Any, Any, int], None]  # (tokenized dataset, tokenizer, max_length): raise if cut


@dataclass
class TrainerParts:
    """What the shared run hands a recipe's `build`: the loaded model and the fitted rows."""

    model: Any
    tokenizer: Any
    lora: Any  # LoraConfig or None (full fine-tuning)
    train_rows: list
    val_rows: list
    max_length: int  # the longest kept row: nothing is cut
    callbacks: list
    work: Path

    def arguments(self, args: "PreferenceArgs") -> dict[str, Any]:
        """The shared TrainingArguments for these parts (`training_arguments`)."""
        return training_arguments(args, self.work, self.max_length, self.lora is not None)

    def inputs(self, to_dataset: Callable[[list], Any] = Dataset.from_list) -> dict[str, Any]:
        """The TRL trainer's keyword arguments other than model, args (and ref_model)."""
        return dict(train_dataset=to_dataset(self.train_rows),
                    eval_dataset=to_dataset(self.val_rows) if self.val_rows else None,
                    processing_class=self.tokenizer, peft_config=self.lora, callbacks=self.callbacks)


def training_arguments(args: PreferenceArgs, work: Path, max_length: int, lora: bool) -> dict[str, Any]:
    """The TrainingArguments every recipe shares (its TRL config adds the loss settings)."""
    on_gpu = torch.cuda.is_available()
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    eight_bit = on_gpu and importlib.util.find_spec("bitsandbytes") is not None
    return dict(
        output_dir=str(work / "trainer"),
        # Full fine-tuning of the tiny preset: 3e-4 beat 1e-4 and matched 1e-3 in bench_uptake --quick (ORPO).
        learning_rate=args.lr or (2e-4 if lora else 3e-4),
        lr_scheduler_type="linear",
        warmup_steps=args.warmup,
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        max_length=max_length,
        seed=args.seed,
        data_seed=args.seed,
        logging_steps=1,  # one progress event per step
        eval_strategy="no",  # one validation pass after training (cheaper on CPU)
        save_strategy="no",
        report_to="none",
        bf16=bf16,
        fp16=on_gpu and not bf16,
        gradient_checkpointing=on_gpu,
        activation_checkpointing=on_gpu,
        use_cpu=not on_gpu,
        optim="paged_adamw_8bit" if eight_bit else "adamw_torch",
        remove_unused_columns=False,
        # Batches of similar length: a runaway rejected sample (1000+ tokens) would pad all others.
        train_sampling_strategy="group_by_length",
        length_column_name="length",
        disable_tqdm=False,
    )


# ---------------------------------------------------------------- model and trainer


def parent_manifest(checkpoint: str) -> dict[str, Any]:
    try:
        return read_manifest(checkpoint)
    except CheckpointError:
        return {}


def _wants_lora(kind: str, source: str) -> bool:
    """auto mode: LoRA for adapters, hub ids and local full models over ~200M parameters."""
    if kind != "full":
        return True
    weights = sorted(Path(source).glob("*.safetensors"))
    if not weights:  # pytorch_model.bin: judge by size (fp32 = 4 bytes a parameter)
        return sum(f.stat().st_size for f in Path(source).glob("pytorch_model*.bin")) > 4 * FULL_FINETUNE_MAX_PARAMS
    count = 0
    for path in weights:
        with safe_open(str(path), framework="pt") as handle:
            for name in handle.keys():
                count += math.prod(handle.get_slice(name).get_shape())
    return count > FULL_FINETUNE_MAX_PARAMS


def prepare_model(args: PreferenceArgs) -> tuple[Any, Any, Any, dict[str, Any]]:
    """(model, tokenizer, LoraConfig or None, lineage fields for the manifest)."""
    kind, source = classify(args.checkpoint)
    parent = parent_manifest(args.checkpoint)
    root_base = parent.get("root_base_model") or parent.get("base_model") or args.checkpoint
    if args.adapter not in ("auto", "lora", "full"):
        raise ValueError(f"--adapter must be auto, lora or full, not {args.adapter!r}")
    if kind == "adapter" and args.adapter == "full":
        raise ValueError("--adapter full needs a full-model parent; this checkpoint is a LoRA adapter")
    lora = args.adapter == "lora" or (args.adapter == "auto" and _wants_lora(kind, source))
    # LoRA: merged parent weights, bf16 on GPU, frozen. Full fine-tuning: fp32 master weights.
    dtype = pick_dtype(pick_device()) if lora else torch.float32
    model, tokenizer = load_model(args.checkpoint, device="cpu", dtype=dtype, for_training=not lora)
    if not lora:
        return model, tokenizer, None, {"base_model": root_base, "adapter": False}
    config = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                        target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM")
    # The adapter sits on the *merged parent*: load_model(parent) rebuilds those weights.
    return model, tokenizer, config, {"base_model": args.checkpoint, "root_base_model": root_base, "adapter": True}


class WeightedRows:
    """For all four TRL trainers (ORPO, DPO, SimPO, KTO): a training set whose rows carry
    different `weight`s (`preference_data.load_pairs`: a screen's pairs share 1, older and auto
    rows weigh 1) is drawn by `weighted_sampler`, so each row is seen in proportion to its weight
    and one labeled screen counts once however many pairs it gave. Equal weights keep the trainer's
    own sampler (group_by_length; KTO's sequential order)."""

    def _get_train_sampler(self, train_dataset: Any = None) -> Any:
        dataset = self.train_dataset if train_dataset is None else train_dataset
        weights = row_weights(dataset) if dataset is not None else None
        if weights is None:
            return super()._get_train_sampler(train_dataset)
        seed = self.args.data_seed if self.args.data_seed is not None else self.args.seed
        return weighted_sampler(weights, seed)


def weighted_sampler(weights: list[float], seed: int) -> torch.utils.data.WeightedRandomSampler:
    """len(weights) draws per epoch, with replacement, row i with probability weight_i / sum (seeded)."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.utils.data.WeightedRandomSampler(weights, num_samples=len(weights), replacement=True,
                                                  generator=generator)


class SeparateAnswerTokens:
    """For TRL's ORPOTrainer and CPOTrainer (SimPO), which share `build_tokenized_answer`: prompt
    and answer are tokenized separately. TRL tokenizes prompt + answer as one string, which can
    merge the trailing space of "### Answer: " into the answer's first token, so the model would
    learn from prompt tokens it never sees at generation time."""

    def build_tokenized_answer(self, prompt: str, answer: str) -> dict[str, list[int]]:
        prompt_tokens = self.processing_class(prompt)  # with BOS, like template.encode_prompt
        answer_tokens = self.processing_class(answer, add_special_tokens=False)
        return {
            "prompt_input_ids": list(prompt_tokens["input_ids"]),
            "prompt_attention_mask": list(prompt_tokens["attention_mask"]),
            "input_ids": list(answer_tokens["input_ids"]),
            "attention_mask": list(answer_tokens["attention_mask"]),
        }


def with_choice_spans(rows: list[dict[str, Any]], engine: Any) -> list[dict[str, Any]]:
    """`rows` with `choice_spans`: [chosen start, end, rejected start, end] of the two style lines
    when both answers are laid out by the engine (`trainer.core.choices.pair_spans`), else
    [-1, -1, -1, -1] (compare the whole answers). For `ChoiceTokens`."""
    out = []
    for row in rows:
        a, b = pair_spans(row["chosen"], row["rejected"], engine)
        out.append({**row, "choice_spans": [*a, *b] if a is not None and b is not None else [-1, -1, -1, -1]})
    return out


def choice_labels(tokenizer: Any, answer: str, labels: list[int], span: tuple[int, int] | None) -> list[int]:
    """TRL's `<side>_labels` (-100 on the prompt, then the answer's ids and EOS) with -100 on every
    answer token outside `span` and on the EOS; `labels` unchanged when `span` is None or the
    answer's tokens do not line up with them."""
    if span is None:
        return list(labels)
    prompt = next((i for i, t in enumerate(labels) if t != -100), len(labels))
    mask = token_mask(tokenizer, answer, span)
    if len(labels) - prompt not in (len(mask), len(mask) + 1) or not any(mask):
        return list(labels)
    return labels[:prompt] + [t if i < len(mask) and mask[i] else -100 for i, t in enumerate(labels[prompt:])]


class ChoiceTokens:
    """For TRL's ORPOTrainer (its `tokenize_row` layout): every row also gets
    `chosen_choice_labels` / `rejected_choice_labels`, the labels over the tokens the model chose
    (a laid-out answer's style line, `trainer.core.choices`; the whole answer otherwise), from the
    row's `choice_spans` (`with_choice_spans`). `choice_logps` gives the mean log-probabilities
    over them, which the odds ratio then compares."""

    def tokenize_row(self, feature: dict[str, Any], model: Any = None) -> dict[str, Any]:
        batch = super().tokenize_row(feature, model)
        spans = list(feature.get("choice_spans") or [-1, -1, -1, -1])
        for side, (start, end) in (("chosen", spans[0:2]), ("rejected", spans[2:4])):
            span = (start, end) if start >= 0 else None
            batch[f"{side}_choice_labels"] = choice_labels(self.processing_class, feature[side],
                                                           batch[f"{side}_labels"], span)
        return batch


def choice_logps(logits: Any, labels: Any) -> Any:
    """Mean log-probability per row over the labels that are not -100: `logits` (B, T - 1, V) as
    TRL's concatenated_forward returns them (position t predicts token t + 1), `labels` (B, T') with
    T' <= T, padded with -100."""
    labels = labels[:, 1:].to(logits.device)
    if labels.shape[1] < logits.shape[1]:
        pad = labels.new_full((labels.shape[0], logits.shape[1] - labels.shape[1]), -100)
        labels = torch.cat([labels, pad], dim=1)
    labels = labels[:, : logits.shape[1]]
    keep = labels != -100
    picked = torch.log_softmax(logits.float(), dim=-1).gather(2, labels.clamp(min=0)[..., None])[..., 0]
    return (picked * keep).sum(-1) / keep.sum(-1).clamp(min=1)


def tokenize_separately(tokenizer: Any, prompt: str, answer: str) -> tuple[list[int], list[int]]:
    """(prompt ids with BOS, answer ids + EOS) as generation sees them: for TRL's DPO and KTO
    trainers, whose own tokenization joins prompt and answer (see SeparateAnswerTokens)."""
    prompt_ids = list(tokenizer(prompt)["input_ids"])
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"]) + [tokenizer.eos_token_id]
    return prompt_ids, answer_ids


def reference_model(model: Any, lora: Any) -> Any:
    """The frozen reference of DPO and KTO: with LoRA None (TRL then scores with the adapter
    disabled, i.e. the merged parent: no second copy of the weights, one more no-grad forward per
    step; for the 1.3B model that is the memory of ORPO plus those activations); for a full
    fine-tune a copy of the parent (the tiny preset: twice its ~10-60 MB). TRL's own default
    would reload the model from `config._name_or_path`."""
    if lora is not None:
        return None
    ref = copy.deepcopy(model).eval()
    for param in ref.parameters():
        param.requires_grad_(False)
    return ref


class CancelCallback(TrainerCallback):
    """Stops training at the end of the step in which `cancel` was set."""

    def __init__(self, cancel: threading.Event) -> None:
        self.cancel = cancel

    def on_step_end(self, args, state, control, **kwargs):
        if self.cancel.is_set():
            control.should_training_stop = True


def check_cancelled(cancel: threading.Event) -> None:
    if cancel.is_set():
        raise Cancelled("training was cancelled")


@dataclass
class SigtermCancels:
    """The SIGTERM handler: sets `cancel` and raises Cancelled at once, whatever the run is doing
    (loading, tokenizing, a training step, the held-out eval: the app waits only seconds before
    SIGKILL). It raises once; cleanup after it is not interrupted. `publishing` makes it only
    set the flag, so a checkpoint being renamed into place is finished, not half-published."""

    cancel: threading.Event
    raised: bool = False
    publishing: bool = False

    def __call__(self, _signum: int, _frame: Any) -> None:
        self.cancel.set()
        if not (self.raised or self.publishing):
            self.raised = True
            raise Cancelled("training was cancelled")


@contextlib.contextmanager
def sigterm_sets(cancel: threading.Event) -> Iterator[SigtermCancels]:
    """While active, SIGTERM cancels (see SigtermCancels) instead of killing the process; the
    handler is installed from the main thread only (elsewhere only `cancel` stops the run)."""
    handler = SigtermCancels(cancel)
    if threading.current_thread() is not threading.main_thread():
        yield handler
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield handler
    finally:
        signal.signal(signal.SIGTERM, previous)
