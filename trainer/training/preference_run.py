"""One run of any preference trainer (ORPO, DPO, SimPO, KTO): everything but the loss.

Each trainer module (`trainer/training/orpo.py`, `trainer/training/dpo.py`, ...) is a `Recipe`
(`trainer.training.preference_parts`, with the other pieces a recipe builds with): its name (command,
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
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from trainer.core import args as config_args
from trainer.training import distributed
from trainer.core.annotators import annotator_names, export_pairs
from trainer.core.checkpoint import CheckpointError, file_sha256, sweep_leftovers, validate_checkpoint, write_manifest
from trainer.generation.evaluate import evaluate
from trainer.core.events import EventWriter, progress_callback
from trainer.core.fileio import os_error_message
from trainer.core.launch import accelerate_command, add_launch_argument, exec_launch, flags_of
from trainer.core.lifetime import output_lock, watch_app
from trainer.generation.modeling import check_model, load_model
from trainer.core.preference_config import PreferenceArgs
from trainer.training.preference_data import fit_rows, heldout_rows, load_pairs, row_weights, split_pairs, weighting
from trainer.training.preference_parts import (CancelCallback, Cancelled, Recipe, SigtermCancels, TrainerParts,
                                               check_cancelled, parent_manifest, prepare_model, sigterm_sets)
from trainer.core.preference_trainers import TRAINERS
from trainer.core.preferences import open_store
from trainer.data.sanity import check_losses
from trainer.core.schema import TRAINED_PAIRS_FILE
from trainer.generation.sources import open_source
from trainer.training.verdict import cached_sampling, heldout_size, preference_accuracy, sampling_summary


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
    check_cancelled(cancel)
    parent_kind = check_parent_files(args.checkpoint)
    with distributed.main_first():  # a hub base is downloaded once
        model, tokenizer, lora, lineage = prepare_model(args)
    check_cancelled(cancel)
    if writer:
        writer.write(phase=f"checking {Path(args.checkpoint).name or args.checkpoint} on known answers")
    parent_loss = check_model(model, tokenizer, _local(args.checkpoint), parent_kind, [snapshot],
                              where=f"parent checkpoint {args.checkpoint}")
    check_cancelled(cancel)
    train_rows, val_rows, max_length, dropped = fit_rows(tokenizer, model, train_rows, val_rows, args.max_length)
    callbacks = [CancelCallback(cancel)] + ([progress_callback(writer)] if writer else [])
    trainer = recipe.build(args, TrainerParts(model, tokenizer, lora, train_rows, val_rows, max_length, callbacks, work))
    for dataset in (trainer.train_dataset, trainer.eval_dataset):
        if dataset is not None:
            recipe.check(dataset, tokenizer, max_length)
    if args.shard_log:
        distributed.record_examples(trainer, args.shard_log)
    check_cancelled(cancel)
    result = trainer.train()
    check_cancelled(cancel)
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
        check_cancelled(cancel)
        say(f"verdict: scoring {len(pairs)} held-out pairs with {parent}")
        parent_model, parent_tokenizer = load_model(args.checkpoint)
        previous["prefers_chosen"] = preference_accuracy(parent_model, parent_tokenizer, pairs)
        del parent_model
    settings = _eval_settings(args)
    if not args.no_eval and args.eval_n > 0 and Path(args.prompts).is_file():
        check_cancelled(cancel)
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
        previous["sampling"] = cached_sampling(parent_manifest(args.checkpoint), settings)
        if previous["sampling"] is None:
            check_cancelled(cancel)
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
        check_cancelled(cancel)
        say("checking the new model on known answers")
        new_model = load_model(tmp)[0] if distributed.launched() else trainer.model
        # As sane as the parent claimed to be: a trained kind's bar, or a (random) base's.
        kind = recipe.name if parent_manifest(args.checkpoint).get("kind", "sft") != "base" else "base"
        facts["metrics"]["known_loss"] = check_model(new_model, tokenizer, _local(args.checkpoint), kind,
                                                     [snapshot], where=f"the new {recipe.name} model")
        del new_model
        check_cancelled(cancel)
        manifest["verdict"] = build_verdict(trainer, tokenizer, tmp, args, facts, cancel, say)
        manifest["metrics"] = facts["metrics"]
        check_cancelled(cancel)
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
        return distributed.run_main(lambda: run(parser.parse_args(sys.argv[1:] if argv is None else argv)))

    for function, name in ((train, f"train_{recipe.name}"), (add_arguments, f"add_{recipe.name}_arguments"),
                           (run, f"run_{recipe.name}"), (main, "main")):
        function.__name__ = function.__qualname__ = name
    return train, add_arguments, run, main


def run_module(main: Callable[[], int]) -> None:
    """The `if __name__ == "__main__"` of a trainer module: exit fast when cancelled."""
    exit_code = main()
    config_args.exit_fast_when_cancelled(exit_code)
    raise SystemExit(exit_code)
