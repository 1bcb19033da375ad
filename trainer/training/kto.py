"""KTO training on the collected judgments (TRL's KTOTrainer), with progress events.

    diagramlab kto --checkpoint checkpoints/tiny-sft --out checkpoints/kto-1 [--beta 0.1] [--max-steps 50]
    python -m trainer.training.kto ...   (same flags)

The run is `trainer.training.preference_run` (as for ORPO). KTO (Ethayarajh et al. 2024, arXiv:2402.01306)
learns from unpaired answers labelled desirable or undesirable: each stored pair gives its chosen
answer as desirable and its rejected one as undesirable (`preference_data.unpair`, half the pair's
weight each). With `--judgments data/label_judgments.jsonl` (`kto_rows`) a judged screen instead
gives its best answers desirable and its worst undesirable (`trainer.core.judgments.unpaired`, weights
summing to 1), and a "both bad" screen, which no pair can express, gives every shown candidate as
undesirable; rows are drawn by weight (`preference_parts.WeightedRows`). Like DPO it needs a frozen reference
(`preference_parts.reference_model`). Its KL estimate pairs each prompt with a neighbour's answer
inside a batch, so TRL requires sequential batches of more than one row: rows are shuffled once
(seeded) and a batch holds `2 * --batch-size` rows, the same text as a batch of pairs.

The options are `trainer.core.kto_config.KTOArgs`.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl import KTOConfig, KTOTrainer

from trainer.core.judgment_log import parse_judgments
from trainer.core.judgments import Judgment, unpaired
from trainer.core.kto_config import KTOArgs
from trainer.training.preference_data import check_ids_not_cut, unpair
from trainer.training.preference_parts import Recipe, TrainerParts, WeightedRows, reference_model, tokenize_separately
from trainer.training.preference_run import command_functions, run_module
from trainer.core.template import model_input

ROW_KEYS = ("prompt", "completion", "label", "weight", "judgment_id", "length")


class DiagramKTOTrainer(WeightedRows, KTOTrainer):
    """TRL's KTOTrainer tokenizing prompt (with BOS) and answer (+ EOS) apart, as SFT and
    generation do (TRL 1.16 tokenizes them as one string; see trainer.training.dpo)."""

    def _prepare_dataset(self, dataset: Dataset, processing_class: Any, args: Any, dataset_name: str) -> Dataset:
        def tokenize(row: dict) -> dict:
            prompt_ids, completion_ids = tokenize_separately(processing_class, row["prompt"], row["completion"])
            return {"prompt_ids": prompt_ids, "completion_ids": completion_ids}

        dataset = dataset.map(tokenize, desc=f"Tokenizing {dataset_name} dataset")
        if self.calculate_KL:  # TRL's own step: rotate the answers by one inside each batch
            def rotate(batch: dict) -> dict:
                batch["KL_completion_ids"] = [batch["completion_ids"][-1]] + batch["completion_ids"][:-1]
                return batch

            dataset = dataset.map(rotate, batched=True, batch_size=args.per_device_train_batch_size)
        return dataset


def _dataset(rows: list[dict[str, Any]], seed: int) -> Dataset:
    """Rows with the same keys (ROW_KEYS), shuffled once (seeded)."""
    out = [{"weight": 1.0, "judgment_id": "", "length": 0, **row} for row in rows]
    out = [{key: row[key] for key in ROW_KEYS} for row in out]
    random.Random(seed).shuffle(out)
    return Dataset.from_list(out)


def kto_rows(rows: list[dict[str, Any]], judgments: Iterable[Judgment], need: Callable[[str, str], int],
             max_length: int, val_prompts: set[str]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """KTO's training rows: a pair of a judgment in `judgments` is replaced by that judgment's
    `unpaired` rows (once per judgment), other pairs are `unpair`ed, and each both-bad judgment
    whose prompt is not in validation adds every candidate as undesirable. `need(prompt, text)`:
    tokens a row needs; rows over `max_length` are dropped. Returns (rows, counts)."""
    by_id = {j.judgment_id: j for j in judgments}
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    counts = {"from_judgments": 0, "both_bad_judgments": 0, "both_bad_rows": 0, "dropped_too_long": 0}

    def add(prompt: str, j: Judgment) -> int:
        added = 0
        for text, desirable, weight in unpaired(j):
            length = need(prompt, text)
            if length > max_length:
                counts["dropped_too_long"] += 1
                continue
            out.append({"prompt": prompt, "completion": text, "label": desirable, "weight": weight,
                        "judgment_id": j.judgment_id, "length": length})
            added += 1
        return added

    for row in rows:
        j = by_id.get(row.get("judgment_id") or "")
        if j is None:
            out += unpair([row])
        elif j.judgment_id not in used:
            used.add(j.judgment_id)
            counts["from_judgments"] += add(row["prompt"], j)
    for j in by_id.values():
        prompt = model_input(j.prompt)
        if j.both_bad and prompt not in val_prompts:
            counts["both_bad_judgments"] += 1
            counts["both_bad_rows"] += add(prompt, j)
    return out, counts


def _read_judgments(path: str) -> tuple[list[Judgment], dict[str, Any]]:
    """The live judgments of `--judgments` and what the manifest records about the file."""
    data = Path(path).read_bytes()  # append-only: a line being written is a torn tail, ignored
    log = parse_judgments(data, Path(path).name)
    return list(log.judgments), {"judgments_file": str(path), "judgments_sha256": hashlib.sha256(data).hexdigest(),
                                 "judgments": len(log.judgments)}


def build_trainer(args: KTOArgs, parts: TrainerParts) -> DiagramKTOTrainer:
    shared = parts.arguments(args)
    shared.update(per_device_train_batch_size=2 * args.batch_size, per_device_eval_batch_size=2 * args.batch_size,
                  train_sampling_strategy="sequential")  # KTO's KL pairing needs the fixed order
    config = KTOConfig(beta=args.beta, desirable_weight=args.desirable_weight,
                       undesirable_weight=args.undesirable_weight, **shared)
    judgments, facts = _read_judgments(args.judgments) if args.judgments else ([], {})
    tokenizer = parts.tokenizer

    def need(prompt: str, text: str) -> int:
        return len(tokenizer(prompt)["input_ids"]) + len(tokenizer(text, add_special_tokens=False)["input_ids"]) + 1

    train, counts = kto_rows(parts.train_rows, judgments, need, parts.max_length,
                             {row["prompt"] for row in parts.val_rows})
    inputs = parts.inputs(lambda rows: _dataset(unpair(rows), args.seed))
    inputs["train_dataset"] = _dataset(train, args.seed)
    trainer = DiagramKTOTrainer(model=parts.model, ref_model=reference_model(parts.model, parts.lora), args=config,
                                **inputs)
    trainer.data_facts = {"kto_rows": {**facts, **counts, "train_rows": len(train)}} if args.judgments else {}
    return trainer


RECIPE = Recipe(name="kto", algorithm="KTO (TRL KTOTrainer, loss_type=kto; pairs unpaired)", config=KTOArgs,
                build=build_trainer,
                check=lambda dataset, tokenizer, max_length: check_ids_not_cut(
                    dataset, tokenizer, max_length, ("completion",)))


train_kto, add_kto_arguments, run_kto, main = command_functions(RECIPE, __doc__.splitlines()[0])

if __name__ == "__main__":
    run_module(main)
