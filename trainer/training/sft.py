"""Supervised fine-tuning: teach a base model the diagram format and to stop on EOS (TRL SFTTrainer).

    diagramlab sft --preset tiny --data data/sft_dataset_llm.csv --out checkpoints/tiny-sft \\
        --synthetic-rows 30000 --epochs 1
    diagramlab sft --base deepseek-ai/deepseek-coder-1.3b-instruct --out checkpoints/sft-lora
    accelerate launch -m trainer.training.sft --base deepseek-ai/deepseek-coder-1.3b-instruct --out checkpoints/sft-lora

Pretrained bases get a LoRA adapter (r=16, alpha=16, dropout 0.05 on q/k/v/o, as the original
project); the checkpoint then holds only the adapter + tokenizer + manifest naming the base, and
`load_model` merges them for inference. `--preset tiny` builds a random tiny Llama with its own
tokenizer (trainer.generation.modeling.build_tiny) and fine-tunes all weights; it may add synthetic rows from
`trainer.data.synth.iter_examples` (seed disjoint from the data files), recorded in the manifest.

Every example is tokenized as prompt ids + answer ids + EOS with the loss on the answer only
(trainer.core.template.encode_example); the last label of every example is checked to be EOS.
Bf16 and gradient checkpointing are used on GPU only. The checkpoint is written atomically.
A `--base` that is a diagramlab checkpoint must pass `validate_checkpoint`, and any base must
score known answers sanely (`modeling.check_model`); a NaN or infinite loss publishes nothing;
the run locks its `--out` and ends with the app that started it (`trainer.core.lifetime`).
Several GPUs: `accelerate launch -m trainer.training.sft ...` (the HF Trainer does the distribution).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import TrainerCallback
from trl import SFTConfig, SFTTrainer

from diagram.prompt import extract_request
from trainer.core import args as config_args
from trainer.training import distributed
from trainer.core.checkpoint import MANIFEST_NAME, CheckpointError, file_sha256, validate_checkpoint, write_manifest
from trainer.core.datasets_io import load_prompt_pool, load_sft_csv
from trainer.core.launch import accelerate_command, add_launch_argument, exec_launch, flags_of
from trainer.core.lifetime import output_lock, watch_app
from trainer.generation.modeling import (TINY_BASE_NAME, adapter_base, build_tiny, check_model, classify, load_model, pick_device,
                              pick_dtype)
from trainer.data.sanity import check_losses
from trainer.core.sft_config import LORA_TARGETS, SFTArgs
from trainer.data.synth import iter_examples, normalize_request, plan_from_info
from trainer.core.template import IGNORE_INDEX, check_labels_end_with_eos, encode_example, model_input


def add_sft_arguments(parser: argparse.ArgumentParser) -> None:
    config_args.add_dataclass_arguments(parser, SFTArgs)
    add_launch_argument(parser)


def args_from_namespace(namespace: argparse.Namespace) -> SFTArgs:
    return config_args.from_namespace(SFTArgs, namespace)


def to_command(args: SFTArgs) -> str:
    """The `diagramlab sft ...` command line that reproduces `args` (non-default flags only)."""
    return config_args.to_command(args, "diagramlab sft")


def _validate(args: SFTArgs) -> None:
    if not args.out:
        raise ValueError("--out is required")
    if bool(args.base) == bool(args.preset):
        raise ValueError("give exactly one of --base ID|PATH or --preset tiny")
    if args.init_from and not args.preset:
        raise ValueError("--init-from is for --preset tiny (give --base for other models)")
    if args.preset and args.preset != "tiny":
        raise ValueError(f"unknown preset {args.preset!r}; the only preset is 'tiny'")
    if args.synthetic_rows and not args.preset:
        raise ValueError("--synthetic-rows is for --preset tiny (its own tokenizer is trained on them)")
    if not 0 <= args.val_fraction < 1:
        raise ValueError("--val-fraction must be in [0, 1)")
    if args.save_steps and not args.work_dir:
        raise ValueError("--save-steps needs --work-dir (where the checkpoints are kept)")
    if not 0 <= args.noise <= 1:
        raise ValueError("--noise must be in [0, 1]")


def load_pairs(args: SFTArgs) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, val, synthetic) lists of (prompt, answer); val comes from the data file only."""
    frame = load_sft_csv(args.data)
    pairs = list(zip(frame["input_data"].astype(str), frame["output_data"].astype(str)))
    held_out = _held_out_requests(args.exclude_requests)
    if held_out or args.plan_line:
        infos = frame["dest_shape_info"].astype(str) if "dest_shape_info" in frame else [""] * len(frame)
        kept = []
        for (prompt, answer), info in zip(zip(frame["input_data"].astype(str),
                                              frame["output_data"].astype(str)), infos):
            if normalize_request(extract_request(prompt)) in held_out:
                continue
            plan = plan_from_info(info) if args.plan_line and info else ""
            kept.append((prompt, plan + "\n" + answer if plan else answer))
        pairs = kept
    random.Random(args.seed).shuffle(pairs)
    n_val = int(round(len(pairs) * args.val_fraction)) if len(pairs) > 1 else 0
    if args.val_fraction > 0 and len(pairs) > 1:
        n_val = max(1, n_val)
    synthetic: list[tuple[str, str]] = []
    if args.synthetic_rows:
        # Held-out and labeling requests never appear among the synthetic training rows.
        stream = iter_examples(seed=args.synthetic_seed, noise=args.noise,
                               exclude=_pool_requests(args.exclude_prompts) | held_out)
        synthetic = [(ex.prompt, ex.plan + "\n" + ex.answer if args.plan_line and ex.plan else ex.answer)
                     for ex in itertools.islice(stream, args.synthetic_rows)]
    return pairs[n_val:], pairs[:n_val], synthetic


def _pool_requests(path: str) -> frozenset[str]:
    if not path or not Path(path).is_file():
        return frozenset()
    return frozenset(load_prompt_pool(path)["request"].astype(str))


def _held_out_requests(paths: str) -> frozenset[str]:
    """Normalised requests of every CSV in the comma-separated `paths` (each must exist)."""
    found: set[str] = set()
    for path in filter(None, (p.strip() for p in paths.split(","))):
        if not Path(path).is_file():
            raise FileNotFoundError(f"--exclude-requests: no such file {path}")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "request" in frame:
            requests = frame["request"]
        elif "prompt" in frame:
            requests = [extract_request(p) for p in frame["prompt"]]
        else:
            raise ValueError(f"--exclude-requests: {path} has no 'request' or 'prompt' column")
        found.update(normalize_request(r) for r in requests)
    return frozenset(found)


def encode_pairs(tokenizer: Any, pairs: list[tuple[str, str]], max_length: int) -> tuple[list[dict], int]:
    """Tokenized examples (EOS-checked) and how many were dropped for exceeding max_length."""
    rows, dropped = [], 0
    for prompt, answer in pairs:
        example = encode_example(tokenizer, prompt, answer)
        if len(example["input_ids"]) > max_length:
            dropped += 1
            continue
        check_labels_end_with_eos(example["labels"], tokenizer.eos_token_id)
        rows.append(example)
    return rows, dropped


def _prepare_model(args: SFTArgs, work: Path, corpus: list[tuple[str, str]]) -> tuple[Any, Any, Any, str]:
    """(model, tokenizer, peft_config or None, base name) for the chosen base or preset."""
    if args.preset:
        texts = [model_input(p) + a for p, a in corpus[:20000]]
        config = {"hidden_size": args.tiny_hidden, "num_hidden_layers": args.tiny_layers,
                  "num_attention_heads": args.tiny_heads, "num_key_value_heads": args.tiny_heads,
                  "intermediate_size": args.tiny_intermediate}
        base_dir = work / "tiny-base"
        if not (base_dir / "model.safetensors").is_file():  # a resumed run keeps its tokenizer
            if args.init_from:
                _copy_init(Path(args.init_from), base_dir)
            else:
                build_tiny(base_dir, texts, vocab_size=args.vocab_size, seed=args.seed, **config)
        model, tokenizer = load_model(base_dir, device="cpu", dtype=torch.float32, for_training=True)
        return model, tokenizer, None, TINY_BASE_NAME
    # A diagramlab checkpoint as the base: the checks activation makes (files, checksums, model_type).
    base_dir = args.base if Path(args.base).expanduser().is_dir() else None
    base_kind = None
    if base_dir is not None and (Path(base_dir) / MANIFEST_NAME).is_file():
        try:
            base_kind = str(validate_checkpoint(base_dir).get("kind"))
        except CheckpointError as exc:
            raise CheckpointError(f"refusing to train from --base {args.base}: {exc}") from exc
    # Full fine-tuning keeps fp32 master weights (bf16 autocast on GPU); LoRA loads the base in bf16 on GPU.
    dtype = torch.float32 if args.full_finetune else pick_dtype(pick_device())
    model, tokenizer = load_model(args.base, device="cpu", dtype=dtype, for_training=True)
    check_model(model, tokenizer, base_dir, base_kind, [args.data] if args.data else [],
                where=f"--base {args.base}")  # not a random or damaged model (trainer.data.sanity)
    if args.full_finetune or hasattr(model, "peft_config"):  # an adapter checkpoint continues its LoRA
        return model, tokenizer, None, _base_name(args.base)
    lora = LoraConfig(r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout,
                      target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM")
    return model, tokenizer, lora, _base_name(args.base)


def _copy_init(source: Path, base_dir: Path) -> None:
    """Copy a checkpoint's model and tokenizer files to `base_dir` (temp dir + rename)."""
    if not (source / "model.safetensors").is_file() or not (source / "config.json").is_file():
        raise ValueError(f"--init-from {source}: not a full-model checkpoint (model.safetensors, config.json)")
    tmp = base_dir.with_name(base_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for item in source.iterdir():
        if item.is_file() and item.name != "manifest.json":
            shutil.copy2(item, tmp / item.name)
    os.replace(tmp, base_dir)


def _base_name(spec: str) -> str:
    kind, source = classify(spec)
    if kind == "adapter":
        return adapter_base(source)
    return str(Path(source).resolve()) if kind == "full" else source


def _sft_config(args: SFTArgs, work: Path, has_val: bool) -> Any:
    on_gpu = torch.cuda.is_available()
    lr = args.lr or (5e-3 if args.preset else 1e-3 if args.full_finetune else 2e-4)
    return SFTConfig(
        output_dir=str(work / "trainer"),
        num_train_epochs=args.epochs,
        max_steps=args.max_steps,
        learning_rate=lr,
        lr_scheduler_type="cosine",
        warmup_steps=args.warmup,
        per_device_train_batch_size=args.batch_size,
        per_device_eval_batch_size=args.batch_size,
        gradient_accumulation_steps=args.grad_accum,
        seed=args.seed,
        logging_steps=args.logging_steps,
        eval_strategy="steps" if has_val else "no",
        eval_steps=args.eval_steps,
        save_strategy="steps" if args.save_steps else "no",
        save_steps=args.save_steps or 500,
        save_total_limit=3,
        report_to="none",
        bf16=on_gpu and torch.cuda.is_bf16_supported(),
        fp16=on_gpu and not torch.cuda.is_bf16_supported(),
        activation_checkpointing=on_gpu,  # the new name of gradient_checkpointing
        use_cpu=not on_gpu,
        max_length=None,  # examples are pre-tokenized and filtered by --max-length
        train_sampling_strategy="group_by_length",  # less padding per batch: faster on CPU
        disable_tqdm=False,
    )


def event_callback(on_event: Callable[[dict], None]) -> Any:
    """A TrainerCallback forwarding each log dict to `on_event` as {"event": "log", "step", ...}."""
    class _Forward(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
            on_event({"event": "log", "step": state.global_step, "max_steps": state.max_steps, **(logs or {})})

    return _Forward()


def train_sft(args: SFTArgs | argparse.Namespace, on_event: Callable[[dict], None] | None = None) -> Path:
    """Train and write the checkpoint at `args.out`; returns its path. See the module docstring."""
    if isinstance(args, argparse.Namespace):
        args = args_from_namespace(args)
    _validate(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.monotonic()
    train_pairs, val_pairs, synthetic = load_pairs(args)
    watch_app()  # started by the app: end with it (trainer.core.lifetime)
    lock = output_lock(args.out) if distributed.is_main() else contextlib.nullcontext()
    # Under `accelerate launch` every process gets the same work dir; the main process builds the
    # tiny base (or downloads the hub base) first, the others then load it (trainer.training.distributed).
    with lock, distributed.shared_work_dir("sft", args.work_dir) as work:
        with distributed.main_first():
            model, tokenizer, lora, base_name = _prepare_model(args, work, synthetic + train_pairs)
        train_rows, dropped = encode_pairs(tokenizer, train_pairs + synthetic, args.max_length)
        val_rows, dropped_val = encode_pairs(tokenizer, val_pairs, args.max_length)
        if not train_rows:
            raise ValueError(f"no training examples within --max-length {args.max_length}")
        trainer = SFTTrainer(
            model=model,
            args=_sft_config(args, work, bool(val_rows)),
            train_dataset=Dataset.from_list(train_rows),
            eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
            processing_class=tokenizer,
            peft_config=lora,
            callbacks=[event_callback(on_event)] if on_event else None,
        )
        max_answer = max(_answer_length(r) for r in train_rows)
        if args.shard_log:
            distributed.record_examples(trainer, args.shard_log)
        if args.save_steps:
            trainer.add_callback(_manifest_on_save(args, base_name, max_answer))
        resume = _latest_checkpoint(work / "trainer") if args.work_dir else None
        result = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
        metrics = {"train_loss": result.training_loss, "steps": result.global_step}
        if val_rows:
            metrics.update(trainer.evaluate())
        check_losses(metrics)
        _save(trainer, tokenizer, args, {  # every process saves (ZeRO-3/FSDP), the main one writes
            "base_model": base_name,
            "adapter": lora is not None or hasattr(model, "peft_config"),
            "data_rows": len(train_pairs) + len(val_pairs),
            "train_rows": len(train_pairs),
            "val_rows": len(val_pairs),
            "synthetic_rows": len(synthetic),
            "synthetic_seed": args.synthetic_seed if synthetic else None,
            "dropped_too_long": dropped + dropped_val,
            "max_answer_tokens": max_answer,
            "metrics": metrics,
            "wall_seconds": round(time.monotonic() - started, 1),
            "parameters": sum(p.numel() for p in model.parameters()),
            **distributed.run_facts(args.batch_size, args.grad_accum),
        })
    return Path(args.out)


def _latest_checkpoint(directory: Path) -> Path | None:
    found = [p for p in directory.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()
             and (p / "trainer_state.json").is_file()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)


def _manifest_on_save(args: SFTArgs, base_name: str, max_answer: int) -> Any:
    """A callback that makes every intermediate `checkpoint-N` loadable by Generator/eval."""
    class _Manifest(TrainerCallback):
        def on_save(self, targs: Any, state: Any, control: Any, **kwargs: Any) -> None:
            directory = Path(targs.output_dir) / f"checkpoint-{state.global_step}"
            if directory.is_dir() and distributed.is_main():
                write_manifest(directory, kind="sft", base_model=base_name, partial=True,
                               step=state.global_step, max_steps=state.max_steps,
                               max_answer_tokens=max_answer, training_args=asdict(args),
                               command=to_command(args))

    return _Manifest()


def _answer_length(row: dict) -> int:
    return sum(t != IGNORE_INDEX for t in row["labels"])


def _save(trainer: Any, tokenizer: Any, args: SFTArgs, fields: dict[str, Any]) -> None:
    """Model (or adapter) + tokenizer + manifest, published atomically at args.out.

    Called on every process: save_model gathers sharded weights; only the main one writes."""
    with distributed.checkpoint_dir(args.out, overwrite=args.overwrite) as tmp:
        trainer.save_model(str(tmp))
        if not distributed.is_main():
            return
        tokenizer.save_pretrained(str(tmp))
        (tmp / "training_args.bin").unlink(missing_ok=True)  # a pickle; the manifest has the args
        write_manifest(
            tmp,
            kind="sft",
            parent_checkpoint=args.base or args.init_from or None,
            data_file=args.data,
            data_sha256=file_sha256(args.data),
            training_args=asdict(args),
            command=to_command(args),
            **fields,
        )


def run_sft(namespace: argparse.Namespace) -> int:
    """The `diagramlab sft` command (dispatcher contract: returns the exit code)."""
    if getattr(namespace, "accelerate_config", ""):  # several processes: become the launcher
        flags = flags_of(to_command(args_from_namespace(namespace)))
        return exec_launch(accelerate_command(namespace.accelerate_config, "trainer.training.sft", flags))
    path = train_sft(namespace)
    if distributed.is_main():  # once, not once per process
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m trainer.training.sft` / `accelerate launch -m trainer.training.sft`."""
    parser = argparse.ArgumentParser(prog="trainer.training.sft", description=__doc__.splitlines()[0])
    add_sft_arguments(parser)
    return distributed.run_main(lambda: run_sft(parser.parse_args(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    raise SystemExit(main())
