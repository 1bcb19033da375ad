"""One run of any preference trainer (ORPO, DPO, SimPO, KTO): everything but the loss.

Each trainer module (`trainer/training/orpo.py`, `trainer/training/dpo.py`, ...) is a `Recipe`: its name (command,
checkpoint prefix, manifest kind), its config dataclass and a `build` function that returns the
TRL trainer for the rows; `train_preference(args, recipe)` does the rest, in order:

1. copies the preference CSV (under its lock) into a work dir and trains from that snapshot, so
   labeling can go on; the copy ships in the checkpoint (`preferences.csv`, sha256 in the manifest);
2. splits the pairs by prompt into train / validation (seeded; refuses fewer than 2 pairs);
3. loads the parent checkpoint. A LoRA parent (adapter dir) is merged into its base first and a
   *new* LoRA adapter is trained on the merged weights: TRL refuses a PeftModel plus a peft_config,
   and this keeps every checkpoint "parent + one adapter". The new checkpoint's manifest names the
   parent dir as its `base_model`, so `trainer.generation.modeling.load_model` rebuilds it by loading (and
   merging) the parent, then this adapter: the parent dir must stay where it is. A small full model
   (the tiny preset) is fine-tuned in full and saved whole.
4. tokenizes like SFT and generation (`template.model_input(prompt)`, prompt and answer encoded
   separately, EOS last; each recipe makes its TRL trainer do so) and sizes `max_length` from the
   data: TRL cuts the answer when prompt + answer > max_length and its EOS goes with it, so every
   row is measured, rows beyond `--max-length` are dropped (and counted), and the tokenized data is
   checked by the recipe's `check`: no row is cut;
5. trains, writes JSON-lines progress to `--events`, evaluates the validation loss, writes the
   checkpoint atomically (manifest: `kind` = the recipe's name, `algorithm` and `settings` = its
   loss settings, the full arguments and the command), then writes the verdict into the manifest
   (`trainer.training.verdict`): for the parent and the new model, the share of held-out pairs whose chosen
   answer gets the higher likelihood, and validity / EOS stops / original score from sampling
   `--eval-n` held-out pool prompts (trainer.generation.evaluate) with each.

Nothing broken goes in or out (issue 19): a local parent must pass `validate_checkpoint` (what
activation checks: files, checksums, config model_type) and, once loaded, score known answers
like the model it claims to be (`modeling.check_model`, `trainer.data.sanity`: finite, and for a
trained kind well below a random model's ln(vocabulary)); after training, a NaN or infinite train
or validation loss, a new model failing the same check, or a verdict sampling that fails stops the
run before anything is published (exit 1). The run holds `lifetime.output_lock(out)` (a second
trainer for the same directory is refused) and, started by the app, `lifetime.watch_app()` ends
it when the app is gone.

SIGTERM cancels at once at any stage (SigtermCancels raises Cancelled in the main thread; a
checkpoint already being renamed into place is finished instead), the temp output and the work
dir with the label copy are removed, a final {"status": "cancelled"} event is written and the
exit code is 143. Dirs a SIGKILLed run left (their names carry its pid) are swept at the next start.
A failure writes {"status": "failed", "error": ...} and exits 1. No existing checkpoint is ever touched.

Several processes (`--accelerate-config CONFIG`: the command re-executes itself under `accelerate
launch`, `trainer.core.launch`): the main process writes the snapshot, the events, the manifest and the
verdict (scored from the saved dir, as the weights may be sharded) and sweeps leftovers; every
process saves into the shared temp dir (`trainer.training.distributed`); `--shard-log DIR` records the pairs
each process trained on; the manifest records the world size and effective batch (`run_facts`).

Precision and memory (`training_arguments`): on CPU fp32 without gradient checkpointing. On a GPU:
bf16 weights (LoRA), gradient checkpointing, the 8-bit paged AdamW of bitsandbytes when installed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from peft import LoraConfig
from safetensors import safe_open
from transformers import TrainerCallback

from trainer.core import args as config_args
from trainer.training import distributed
from trainer.core.annotators import annotator_names, export_pairs
from trainer.core.checkpoint import (CheckpointError, file_sha256, read_manifest, sweep_leftovers, validate_checkpoint,
                                write_manifest)
from trainer.generation.evaluate import evaluate
from trainer.core.events import EventWriter, progress_callback
from trainer.core.fileio import os_error_message
from trainer.core.launch import accelerate_command, add_launch_argument, exec_launch, flags_of
from trainer.core.lifetime import output_lock, watch_app
from trainer.generation.modeling import check_model, classify, load_model, pick_device, pick_dtype
from trainer.core.preference_config import FULL_FINETUNE_MAX_PARAMS, PreferenceArgs
from trainer.training.preference_data import fit_rows, heldout_rows, load_pairs, row_weights, split_pairs, weighting
from trainer.core.preference_trainers import TRAINERS
from trainer.core.preferences import open_store
from trainer.data.sanity import check_losses
from trainer.core.schema import TRAINED_PAIRS_FILE
from trainer.generation.sources import open_source
from trainer.core.sft_config import LORA_TARGETS
from trainer.training.verdict import cached_sampling, heldout_size, preference_accuracy, sampling_summary


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


def _parent_manifest(checkpoint: str) -> dict[str, Any]:
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
    parent = _parent_manifest(args.checkpoint)
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


def _check(cancel: threading.Event) -> None:
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


# ---------------------------------------------------------------- the run


def _train(args: PreferenceArgs, recipe: Recipe, cancel: threading.Event, work: Path, writer: Any) -> tuple[Any, Any, dict]:
    """Snapshot, split, load, tokenize, train; returns (trainer, tokenizer, facts for the manifest)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    snapshot = work / TRAINED_PAIRS_FILE
    if distributed.is_main():  # several processes: one snapshot, which the others then read
        export_pairs(open_store(args.data), snapshot, args.annotator)  # --annotator: theirs only
    distributed.wait_for_everyone()
    rows = load_pairs(snapshot, args.annotator)
    fraction = args.val_fraction if args.val_fraction >= 0 else heldout_size(len(rows)) / max(1, len(rows))
    train_rows, val_rows = split_pairs(rows, fraction, args.seed)
    if writer:
        writer.write(phase=f"{len(train_rows)} pairs to train on, {len(val_rows)} held out for the verdict")
    _check(cancel)
    parent_kind = check_parent_files(args.checkpoint)
    with distributed.main_first():  # a hub base is downloaded once
        model, tokenizer, lora, lineage = prepare_model(args)
    _check(cancel)
    if writer:
        writer.write(phase=f"checking {Path(args.checkpoint).name or args.checkpoint} on known answers")
    parent_loss = check_model(model, tokenizer, _local(args.checkpoint), parent_kind, [snapshot],
                              where=f"parent checkpoint {args.checkpoint}")
    _check(cancel)
    train_rows, val_rows, max_length, dropped = fit_rows(tokenizer, model, train_rows, val_rows, args.max_length)
    callbacks = [CancelCallback(cancel)] + ([progress_callback(writer)] if writer else [])
    trainer = recipe.build(args, TrainerParts(model, tokenizer, lora, train_rows, val_rows, max_length, callbacks, work))
    for dataset in (trainer.train_dataset, trainer.eval_dataset):
        if dataset is not None:
            recipe.check(dataset, tokenizer, max_length)
    if args.shard_log:
        distributed.record_examples(trainer, args.shard_log)
    _check(cancel)
    result = trainer.train()
    _check(cancel)
    metrics = {"train_loss": result.training_loss, "steps": result.global_step, "parent_known_loss": parent_loss}
    if val_rows:
        metrics.update({k: v for k, v in trainer.evaluate().items() if isinstance(v, (int, float))})
    check_losses(metrics)
    facts = {**lineage, "data_rows": len(rows), "train_rows": len(train_rows), "val_rows": len(val_rows),
             "annotators": annotator_names(open_store(snapshot).read().rows),  # whose pairs
             "dropped_too_long": dropped, "max_length": max_length, "metrics": metrics,
             "row_weights": weighting(trainer.train_dataset), **getattr(trainer, "data_facts", {}),
             "heldout_pairs": val_rows, **distributed.run_facts(args.batch_size, args.grad_accum)}
    return trainer, tokenizer, facts


def _local(spec: str) -> str | None:
    """`spec` if it is a local directory (a checkpoint), None for a hub id."""
    return spec if Path(spec).expanduser().is_dir() else None


def check_parent_files(checkpoint: str) -> str | None:
    """Before loading: a local parent must pass what activation checks (`validate_checkpoint`:
    manifest, config and its model_type, tokenizer, safetensors headers, weights_sha256); its
    manifest kind, None for a hub id. CheckpointError (a RuntimeError: exit 1) names the problem."""
    if _local(checkpoint) is None:
        return None
    try:
        return str(validate_checkpoint(checkpoint).get("kind"))
    except CheckpointError as exc:
        raise CheckpointError(f"refusing to train from {checkpoint}: {exc}") from exc


def evaluate_checkpoint(directory: Path, args: PreferenceArgs) -> dict[str, Any]:
    """trainer.generation.evaluate on `--eval-n` held-out prompts of `--prompts`, sampled from `directory`."""
    rows = heldout_rows(args.prompts, args.eval_n, args.seed)
    return evaluate(open_source(directory), rows, k=args.eval_k, seed=args.seed)


def _eval_settings(args: PreferenceArgs) -> dict[str, Any]:
    return {"prompts": str(args.prompts), "n": args.eval_n, "k": args.eval_k, "seed": args.seed}


def build_verdict(trainer: Any, tokenizer: Any, new_dir: Path, args: PreferenceArgs, facts: dict,
                  cancel: threading.Event, say: Any) -> dict[str, Any]:
    """Parent and new model on the same held-out pairs and prompts (see trainer.training.verdict)."""
    pairs = facts["heldout_pairs"]
    parent = Path(args.checkpoint).name or args.checkpoint
    new, previous = {"prefers_chosen": None}, {"prefers_chosen": None}
    if pairs:  # --val-fraction 0 (a round, which judges on its own held-out pairs): nothing to score
        say(f"verdict: scoring {len(pairs)} held-out pairs with the new model")
        # Several processes: the weights may be sharded (ZeRO-3, FSDP), so score the saved model.
        model = load_model(new_dir)[0] if distributed.launched() else trainer.model
        new["prefers_chosen"] = preference_accuracy(model, tokenizer, pairs)
        del model
        _check(cancel)
        say(f"verdict: scoring {len(pairs)} held-out pairs with {parent}")
        parent_model, parent_tokenizer = load_model(args.checkpoint)
        previous["prefers_chosen"] = preference_accuracy(parent_model, parent_tokenizer, pairs)
        del parent_model
    settings = _eval_settings(args)
    if not args.no_eval and args.eval_n > 0 and Path(args.prompts).is_file():
        _check(cancel)
        say(f"verdict: sampling {args.eval_n} held-out prompts x {args.eval_k} with the new model")
        try:
            report = evaluate_checkpoint(new_dir, args)
        except (Cancelled, KeyboardInterrupt):
            raise
        except Exception as exc:  # any sampling failure: the new model cannot label
            raise RuntimeError(f"the verdict's sampling from the new model failed ({type(exc).__name__}: "
                               f"{exc}); the checkpoint was not published") from exc
        if not report.get("n_candidates"):
            raise RuntimeError("the verdict's sampling from the new model gave no candidates; "
                               "the checkpoint was not published")
        facts["metrics"]["heldout"] = report
        new["sampling"] = sampling_summary(report)
        previous["sampling"] = cached_sampling(_parent_manifest(args.checkpoint), settings)
        if previous["sampling"] is None:
            _check(cancel)
            say(f"verdict: sampling the same prompts with {parent}")
            previous["sampling"] = sampling_summary(evaluate_checkpoint(Path(args.checkpoint), args))
    return {"heldout_pairs": len(pairs), "previous_checkpoint": args.checkpoint, "eval": settings,
            "new": new, "previous": previous}


def _save(trainer: Any, tokenizer: Any, args: PreferenceArgs, recipe: Recipe, work: Path, facts: dict, cancel: threading.Event,
          started: float, say: Any, on_sigterm: SigtermCancels | None = None) -> Path:
    # Every process saves (ZeRO-3/FSDP gather the weights); the main one writes the rest.
    with distributed.checkpoint_dir(args.out, overwrite=args.overwrite) as tmp:
        if facts["adapter"]:
            # adapter_config.json names the merged parent, like the manifest.
            trainer.model.peft_config["default"].base_model_name_or_path = facts["base_model"]
        trainer.save_model(str(tmp))
        if not distributed.is_main():
            return Path(args.out)
        tokenizer.save_pretrained(str(tmp))
        (tmp / "training_args.bin").unlink(missing_ok=True)  # a pickle; the manifest has the args
        snapshot = work / TRAINED_PAIRS_FILE
        (tmp / TRAINED_PAIRS_FILE).write_bytes(snapshot.read_bytes())
        kept = {k: v for k, v in facts.items() if k != "heldout_pairs"}
        manifest = dict(kind=recipe.name, algorithm=recipe.algorithm, settings=args.settings(),
                        parent_checkpoint=args.checkpoint, data_file=args.data,
                        data_snapshot=TRAINED_PAIRS_FILE, data_sha256=file_sha256(snapshot),
                        beta=getattr(args, "beta", None), training_args=asdict(args),
                        command=to_command(args, recipe), **kept)
        write_manifest(tmp, **manifest)
        _check(cancel)
        say("checking the new model on known answers")
        new_model = load_model(tmp)[0] if distributed.launched() else trainer.model
        # As sane as the parent claimed to be: a trained kind's bar, or a (random) base's.
        kind = recipe.name if _parent_manifest(args.checkpoint).get("kind", "sft") != "base" else "base"
        facts["metrics"]["known_loss"] = check_model(new_model, tokenizer, _local(args.checkpoint), kind,
                                                     [snapshot], where=f"the new {recipe.name} model")
        del new_model
        _check(cancel)
        manifest["verdict"] = build_verdict(trainer, tokenizer, tmp, args, facts, cancel, say)
        manifest["metrics"] = facts["metrics"]
        _check(cancel)
        manifest["wall_seconds"] = round(time.monotonic() - started, 1)
        write_manifest(tmp, **manifest)
        facts["metrics"] = manifest["metrics"]
        if on_sigterm is not None:
            on_sigterm.publishing = True  # from here on the checkpoint is finished: publish it
    return Path(args.out)


def _validate(args: PreferenceArgs) -> None:
    if not args.out:
        raise ValueError("--out is required (a new checkpoint directory)")
    if Path(args.out).exists() and not args.overwrite:
        raise ValueError(f"{args.out} already exists; choose another --out or pass --overwrite")
    if args.beta <= 0:
        raise ValueError("--beta must be positive")
    if args.max_steps <= 0 and args.epochs <= 0:
        raise ValueError("give --epochs > 0 or --max-steps > 0")


def train_preference(args: PreferenceArgs | argparse.Namespace, recipe: Recipe,
                     cancel: threading.Event | None = None, writer: EventWriter | None = None) -> Path:
    """Train and write the checkpoint at `args.out`; returns its path. See the module docstring.

    Raises Cancelled when `cancel` is set (SIGTERM sets it); writes the final event either way.
    `writer`: the events writer to use instead of one on `args.events` (a round passes one whose
    final event is only a phase: the round's own final event comes after its evaluation).
    """
    if isinstance(args, argparse.Namespace):
        args = config_args.from_namespace(recipe.config, args)
    cancel = cancel or threading.Event()
    if writer is None and args.events and distributed.is_main():
        writer = EventWriter(args.events)
    started = time.monotonic()
    watch_app()  # started by the app: end with it (trainer.core.lifetime)
    with sigterm_sets(cancel) as on_sigterm:
        try:
            _validate(args)
            if distributed.is_main():
                sweep_leftovers(Path(args.out).parent)  # what SIGKILLed runs left behind
            lock = output_lock(args.out) if distributed.is_main() else contextlib.nullcontext()
            with lock, distributed.shared_work_dir(recipe.name) as work:
                trainer, tokenizer, facts = _train(args, recipe, cancel, Path(work), writer)

                def say(text: str) -> None:
                    if writer:
                        writer.write(phase=text)

                out = _save(trainer, tokenizer, args, recipe, Path(work), facts, cancel, started, say,
                            on_sigterm)
        except (Cancelled, KeyboardInterrupt):
            if writer:
                writer.final("cancelled")
            raise Cancelled("training was cancelled; no checkpoint was written") from None
        except Exception as exc:
            if writer:
                writer.final("failed", error=f"{type(exc).__name__}: {exc}")
            raise
    if writer:
        writer.final("done", checkpoint=str(out), metrics=facts["metrics"])
    return out


# ---------------------------------------------------------------- command line


def to_command(args: PreferenceArgs, recipe: Recipe) -> str:
    """The `diagramlab <name> ...` command line that reproduces `args` (non-default flags only)."""
    return config_args.to_command(args, f"diagramlab {recipe.name}")


def run_recipe(namespace: argparse.Namespace, recipe: Recipe) -> int:
    """The `diagramlab <name>` command: 0 done, 143 cancelled, 1 failed (message on stderr)."""
    prog = f"diagramlab {recipe.name}"
    if getattr(namespace, "accelerate_config", ""):  # several processes: become the launcher
        args = config_args.from_namespace(recipe.config, namespace)
        try:
            command = accelerate_command(namespace.accelerate_config, TRAINERS[recipe.name].module,
                                         flags_of(to_command(args, recipe)))
        except ValueError as exc:
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 1
        return exec_launch(command)
    try:
        path = train_preference(namespace, recipe)
    except Cancelled as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return config_args.EXIT_CANCELLED
    except OSError as exc:  # disk full, permissions: one sentence, not a bare OSError
        print(f"{prog}: error: {os_error_message(exc, 'train the checkpoint')}", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    if distributed.is_main():  # once, not once per process
        print(f"wrote {path}")
    return 0


def command_functions(recipe: Recipe, description: str) -> tuple[Callable, ...]:
    """A trainer module's (train_<name>, add_<name>_arguments, run_<name>, main): the names
    `diagramlab` and the labeler's subprocess call, the same for every recipe."""

    def train(args: Any, cancel: threading.Event | None = None) -> Path:
        """Train and write the checkpoint at `args.out`; returns its path (raises Cancelled)."""
        return train_preference(args, recipe, cancel)

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        config_args.add_dataclass_arguments(parser, recipe.config)
        add_launch_argument(parser)

    def run(namespace: argparse.Namespace) -> int:
        """The command: 0 done, 143 cancelled, 1 failed (message on stderr)."""
        return run_recipe(namespace, recipe)

    def main(argv: list[str] | None = None) -> int:
        """`python -m <its module>`: parse the recipe's flags and run it."""
        parser = argparse.ArgumentParser(prog=TRAINERS[recipe.name].module, description=description)
        add_arguments(parser)
        return run(parser.parse_args(sys.argv[1:] if argv is None else argv))

    for function, name in ((train, f"train_{recipe.name}"), (add_arguments, f"add_{recipe.name}_arguments"),
                           (run, f"run_{recipe.name}"), (main, "main")):
        function.__name__ = function.__qualname__ = name
    return train, add_arguments, run, main


def run_module(main: Callable[[], int]) -> None:
    """The `if __name__ == "__main__"` of a trainer module: exit fast when cancelled."""
    exit_code = main()
    config_args.exit_fast_when_cancelled(exit_code)
    raise SystemExit(exit_code)
