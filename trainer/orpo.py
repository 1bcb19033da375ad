"""ORPO training on the collected preference pairs (TRL's ORPOTrainer), with progress events.

    diagramlab orpo --checkpoint checkpoints/tiny-sft --data data/orpo_dataset_llm.csv \\
        --out checkpoints/orpo-1 --events runs/orpo-1.jsonl [--beta 0.1] [--max-steps 50]
    python -m trainer.orpo ...   (same flags)

What it does, in order:
1. copies the preference CSV (under its lock) into a work dir and trains from that snapshot, so
   labeling can go on; the copy ships in the checkpoint (`preferences.csv`, sha256 in the manifest);
2. splits the pairs by prompt into train / validation (seeded; refuses fewer than 2 pairs);
3. loads the parent checkpoint. A LoRA parent (adapter dir) is merged into its base first and a
   *new* LoRA adapter is trained on the merged weights: TRL refuses a PeftModel plus a peft_config,
   and this keeps every checkpoint "parent + one adapter". The new checkpoint's manifest names the
   parent dir as its `base_model`, so `trainer.modeling.load_model` rebuilds it by loading (and
   merging) the parent, then this adapter: the parent dir must stay where it is. A small full model
   (the tiny preset) is fine-tuned in full and saved whole.
4. tokenizes like SFT and generation (`template.model_input(prompt)`, prompt and answer encoded
   separately, EOS last) and sizes `max_length` from the data: TRL's ORPO cuts the answer when
   prompt + answer > max_length and its EOS goes with it, so every row is measured, rows beyond
   `--max-length` are dropped (and counted), and the tokenized data is checked: no row is cut;
5. trains (no reference model: ORPO needs none), writes JSON-lines progress to `--events`,
   evaluates the validation loss, writes the checkpoint atomically, then writes the verdict into
   the manifest (`trainer.verdict`): for the parent and the new model, the share of held-out pairs
   whose chosen answer gets the higher likelihood, and validity / EOS stops / original score from
   sampling `--eval-n` held-out pool prompts (trainer.evaluate) with each.

SIGTERM cancels at once at any stage (SigtermCancels raises Cancelled in the main thread; a
checkpoint already being renamed into place is finished instead), the temp output and the work
dir with the label copy are removed, a final {"status": "cancelled"} event is written and the
exit code is 143. Dirs a SIGKILLed run left (their names carry its pid) are swept at the next start. A failure writes
{"status": "failed", "error": ...} and exits 1. No existing checkpoint is ever touched.

Precision and memory: on CPU fp32 without gradient checkpointing. On a GPU: bf16 weights (LoRA),
gradient checkpointing, the 8-bit paged AdamW of bitsandbytes when installed, no reference model
(the original project ran out of memory at 1536 tokens without these settings). Measured peak
memory for the 1.3B shape and the advice that follows (batch 1, max length <= 1024 on a 12 GB
card): README "ORPO memory" (`python -m benchmarks.bench_orpo_memory`); training time: README.

The options are `trainer.orpo_config.ORPOArgs`; this module only trains.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from datasets import Dataset
from peft import LoraConfig
from safetensors import safe_open
from transformers import TrainerCallback
from trl.experimental.orpo import ORPOConfig, ORPOTrainer

from trainer import args as config_args
from trainer import distributed
from trainer.checkpoint import CheckpointError, file_sha256, read_manifest, sweep_leftovers, write_manifest
from trainer.evaluate import evaluate
from trainer.events import EventWriter, progress_callback
from trainer.fileio import os_error_message
from trainer.launch import accelerate_command, add_launch_argument, exec_launch, flags_of
from trainer.modeling import classify, load_model, pick_device, pick_dtype
from trainer.orpo_config import FULL_FINETUNE_MAX_PARAMS, ORPOArgs
from trainer.preference_data import check_not_cut, fit_rows, heldout_rows, load_pairs, split_pairs
from trainer.preferences import open_store
from trainer.schema import TRAINED_PAIRS_FILE
from trainer.sources import open_source
from trainer.sft_config import LORA_TARGETS
from trainer.verdict import cached_sampling, heldout_size, preference_accuracy, sampling_summary

class Cancelled(Exception):
    """Training was cancelled (SIGTERM or Ctrl-C); nothing was written."""


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


def prepare_model(args: ORPOArgs) -> tuple[Any, Any, Any, dict[str, Any]]:
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


def _orpo_config(args: ORPOArgs, work: Path, max_length: int, lora: bool) -> Any:
    on_gpu = torch.cuda.is_available()
    bf16 = on_gpu and torch.cuda.is_bf16_supported()
    eight_bit = on_gpu and importlib.util.find_spec("bitsandbytes") is not None
    return ORPOConfig(
        output_dir=str(work / "trainer"),
        beta=args.beta,
        # Full fine-tuning of the tiny preset: 3e-4 beat 1e-4 and matched 1e-3 in bench_uptake --quick.
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


class DiagramORPOTrainer(ORPOTrainer):
    """TRL's ORPOTrainer with two changes that keep it consistent with SFT and generation.

    - Prompt and answer are tokenized separately: TRL tokenizes prompt + answer as one string,
      which can merge the trailing space of "### Answer: " into the answer's first token, so the
      model would learn from prompt tokens it never sees at generation time.
    - The NLL term is over the chosen *answer* only (labels -100 on the prompt, as in SFT and in
      the ORPO paper's L_SFT); TRL 1.16 takes it over prompt + answer. On the tiny model that
      spent most of the NLL on learning to predict request text and, measured, cost validity
      and EOS stopping (96% -> 72% stops after 58 steps).
    """

    def build_tokenized_answer(self, prompt: str, answer: str) -> dict[str, list[int]]:
        prompt_tokens = self.processing_class(prompt)  # with BOS, like template.encode_prompt
        answer_tokens = self.processing_class(answer, add_special_tokens=False)
        return {
            "prompt_input_ids": list(prompt_tokens["input_ids"]),
            "prompt_attention_mask": list(prompt_tokens["attention_mask"]),
            "input_ids": list(answer_tokens["input_ids"]),
            "attention_mask": list(answer_tokens["attention_mask"]),
        }

    def concatenated_forward(self, model: Any, batch: dict[str, Any]) -> tuple:
        out = super().concatenated_forward(model, batch)
        chosen_logits = out[2]  # (B, T - 1, V): logits at positions 0..T-2 predict tokens 1..T-1
        labels = batch["chosen_labels"][:, 1:].to(chosen_logits.device)  # -100 on prompt and padding
        logits = chosen_logits[:, : labels.shape[1]]
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        return (*out[:4], nll, *out[5:])


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


def _train(args: ORPOArgs, cancel: threading.Event, work: Path, writer: Any) -> tuple[Any, Any, dict]:
    """Snapshot, split, load, tokenize, train; returns (trainer, tokenizer, facts for the manifest)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    snapshot = work / TRAINED_PAIRS_FILE
    if distributed.is_main():  # several processes: one snapshot, which the others then read
        open_store(args.data).export_csv(snapshot)
    distributed.wait_for_everyone()
    rows = load_pairs(snapshot)
    fraction = args.val_fraction if args.val_fraction >= 0 else heldout_size(len(rows)) / max(1, len(rows))
    train_rows, val_rows = split_pairs(rows, fraction, args.seed)
    if writer:
        writer.write(phase=f"{len(train_rows)} pairs to train on, {len(val_rows)} held out for the verdict")
    _check(cancel)
    with distributed.main_first():  # a hub base is downloaded once
        model, tokenizer, lora, lineage = prepare_model(args)
    _check(cancel)
    train_rows, val_rows, max_length, dropped = fit_rows(tokenizer, model, train_rows, val_rows, args.max_length)
    callbacks = [CancelCallback(cancel)] + ([progress_callback(writer)] if writer else [])
    trainer = DiagramORPOTrainer(
        model=model,
        args=_orpo_config(args, work, max_length, lora is not None),
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=callbacks,
    )
    for dataset in (trainer.train_dataset, trainer.eval_dataset):
        if dataset is not None:
            check_not_cut(dataset, tokenizer)
    if args.shard_log:
        distributed.record_examples(trainer, args.shard_log)
    _check(cancel)
    result = trainer.train()
    _check(cancel)
    metrics = {"train_loss": result.training_loss, "steps": result.global_step}
    if val_rows:
        metrics.update({k: v for k, v in trainer.evaluate().items() if isinstance(v, (int, float))})
    facts = {**lineage, "data_rows": len(rows), "train_rows": len(train_rows), "val_rows": len(val_rows),
             "dropped_too_long": dropped, "max_length": max_length, "metrics": metrics,
             "heldout_pairs": val_rows, **distributed.run_facts(args.batch_size, args.grad_accum)}
    return trainer, tokenizer, facts


def evaluate_checkpoint(directory: Path, args: ORPOArgs) -> dict[str, Any]:
    """trainer.evaluate on `--eval-n` held-out prompts of `--prompts`, sampled from `directory`."""
    rows = heldout_rows(args.prompts, args.eval_n, args.seed)
    return evaluate(open_source(directory), rows, k=args.eval_k, seed=args.seed)


def _eval_settings(args: ORPOArgs) -> dict[str, Any]:
    return {"prompts": str(args.prompts), "n": args.eval_n, "k": args.eval_k, "seed": args.seed}


def build_verdict(trainer: Any, tokenizer: Any, new_dir: Path, args: ORPOArgs, facts: dict,
                  cancel: threading.Event, say: Any) -> dict[str, Any]:
    """Parent and new model on the same held-out pairs and prompts (see trainer.verdict)."""
    pairs = facts["heldout_pairs"]
    say(f"verdict: scoring {len(pairs)} held-out pairs with the new model")
    # Several processes: the weights may be sharded (ZeRO-3, FSDP), so score the saved model.
    model = load_model(new_dir)[0] if distributed.launched() else trainer.model
    new = {"prefers_chosen": preference_accuracy(model, tokenizer, pairs)}
    del model
    _check(cancel)
    parent = Path(args.checkpoint).name or args.checkpoint
    say(f"verdict: scoring {len(pairs)} held-out pairs with {parent}")
    parent_model, parent_tokenizer = load_model(args.checkpoint)
    previous = {"prefers_chosen": preference_accuracy(parent_model, parent_tokenizer, pairs)}
    del parent_model
    settings = _eval_settings(args)
    if not args.no_eval and args.eval_n > 0 and Path(args.prompts).is_file():
        _check(cancel)
        say(f"verdict: sampling {args.eval_n} held-out prompts x {args.eval_k} with the new model")
        report = evaluate_checkpoint(new_dir, args)
        facts["metrics"]["heldout"] = report
        new["sampling"] = sampling_summary(report)
        previous["sampling"] = cached_sampling(_parent_manifest(args.checkpoint), settings)
        if previous["sampling"] is None:
            _check(cancel)
            say(f"verdict: sampling the same prompts with {parent}")
            previous["sampling"] = sampling_summary(evaluate_checkpoint(Path(args.checkpoint), args))
    return {"heldout_pairs": len(pairs), "previous_checkpoint": args.checkpoint, "eval": settings,
            "new": new, "previous": previous}


def _save(trainer: Any, tokenizer: Any, args: ORPOArgs, work: Path, facts: dict, cancel: threading.Event,
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
        manifest = dict(kind="orpo", parent_checkpoint=args.checkpoint, data_file=args.data,
                        data_snapshot=TRAINED_PAIRS_FILE, data_sha256=file_sha256(snapshot), beta=args.beta,
                        training_args=asdict(args), command=to_command(args), **kept)
        write_manifest(tmp, **manifest)
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


def _validate(args: ORPOArgs) -> None:
    if not args.out:
        raise ValueError("--out is required (a new checkpoint directory)")
    if Path(args.out).exists() and not args.overwrite:
        raise ValueError(f"{args.out} already exists; choose another --out or pass --overwrite")
    if args.beta <= 0:
        raise ValueError("--beta must be positive")
    if args.max_steps <= 0 and args.epochs <= 0:
        raise ValueError("give --epochs > 0 or --max-steps > 0")


def train_orpo(args: ORPOArgs | argparse.Namespace, cancel: threading.Event | None = None) -> Path:
    """Train and write the checkpoint at `args.out`; returns its path. See the module docstring.

    Raises Cancelled when `cancel` is set (SIGTERM sets it); writes the final event either way.
    """
    if isinstance(args, argparse.Namespace):
        args = config_args.from_namespace(ORPOArgs, args)
    cancel = cancel or threading.Event()
    writer = EventWriter(args.events) if args.events and distributed.is_main() else None
    started = time.monotonic()
    with sigterm_sets(cancel) as on_sigterm:
        try:
            _validate(args)
            if distributed.is_main():
                sweep_leftovers(Path(args.out).parent)  # what SIGKILLed runs left behind
            with distributed.shared_work_dir("orpo") as work:
                trainer, tokenizer, facts = _train(args, cancel, Path(work), writer)

                def say(text: str) -> None:
                    if writer:
                        writer.write(phase=text)

                out = _save(trainer, tokenizer, args, Path(work), facts, cancel, started, say,
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


def add_orpo_arguments(parser: argparse.ArgumentParser) -> None:
    config_args.add_dataclass_arguments(parser, ORPOArgs)
    add_launch_argument(parser)


def to_command(args: ORPOArgs) -> str:
    """The `diagramlab orpo ...` command line that reproduces `args` (non-default flags only)."""
    return config_args.to_command(args, "diagramlab orpo")


def run_orpo(namespace: argparse.Namespace) -> int:
    """The `diagramlab orpo` command: 0 done, 143 cancelled, 1 failed (message on stderr)."""
    if getattr(namespace, "accelerate_config", ""):  # several processes: become the launcher
        args = config_args.from_namespace(ORPOArgs, namespace)
        try:
            command = accelerate_command(namespace.accelerate_config, "trainer.orpo", flags_of(to_command(args)))
        except ValueError as exc:
            print(f"diagramlab orpo: error: {exc}", file=sys.stderr)
            return 1
        return exec_launch(command)
    try:
        path = train_orpo(namespace)
    except Cancelled as exc:
        print(f"diagramlab orpo: {exc}", file=sys.stderr)
        return config_args.EXIT_CANCELLED
    except OSError as exc:  # disk full, permissions: one sentence, not a bare OSError
        print(f"diagramlab orpo: error: {os_error_message(exc, 'train the checkpoint')}", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as exc:
        print(f"diagramlab orpo: error: {exc}", file=sys.stderr)
        return 1
    if distributed.is_main():  # once, not once per process
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m trainer.orpo`."""
    parser = argparse.ArgumentParser(prog="trainer.orpo", description=__doc__.splitlines()[0])
    add_orpo_arguments(parser)
    return run_orpo(parser.parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    exit_code = main()
    config_args.exit_fast_when_cancelled(exit_code)
    raise SystemExit(exit_code)
