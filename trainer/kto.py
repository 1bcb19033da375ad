"""KTO training on the collected judgments (TRL's KTOTrainer), with progress events.

    diagramlab kto --checkpoint checkpoints/tiny-sft --out checkpoints/kto-1 [--beta 0.1] [--max-steps 50]
    python -m trainer.kto ...   (same flags)

The run is `trainer.preference_run` (as for ORPO). KTO (Ethayarajh et al. 2024, arXiv:2402.01306)
learns from unpaired answers labelled desirable or undesirable: each stored pair gives its chosen
answer as desirable and its rejected one as undesirable (`preference_data.unpair`; the store keeps
pairs only, so there are no "both bad" rows to add yet). Like DPO it needs a frozen reference
(`preference_run.reference_model`). Its KL estimate pairs each prompt with a neighbour's answer
inside a batch, so TRL requires sequential batches of more than one row: rows are shuffled once
(seeded) and a batch holds `2 * --batch-size` rows, the same text as a batch of pairs.

The options are `trainer.kto_config.KTOArgs`.
"""

from __future__ import annotations

import random
from typing import Any

from datasets import Dataset
from trl import KTOConfig, KTOTrainer

from trainer.kto_config import KTOArgs
from trainer.preference_data import check_ids_not_cut, unpair
from trainer.preference_run import (Recipe, TrainerParts, command_functions, reference_model, run_module,
                                    tokenize_separately)


class DiagramKTOTrainer(KTOTrainer):
    """TRL's KTOTrainer tokenizing prompt (with BOS) and answer (+ EOS) apart, as SFT and
    generation do (TRL 1.16 tokenizes them as one string; see trainer.dpo)."""

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


def _unpaired(rows: list, seed: int) -> Dataset:
    out = unpair(rows)
    random.Random(seed).shuffle(out)
    return Dataset.from_list(out)


def build_trainer(args: KTOArgs, parts: TrainerParts) -> DiagramKTOTrainer:
    shared = parts.arguments(args)
    shared.update(per_device_train_batch_size=2 * args.batch_size, per_device_eval_batch_size=2 * args.batch_size,
                  train_sampling_strategy="sequential")  # KTO's KL pairing needs the fixed order
    config = KTOConfig(beta=args.beta, desirable_weight=args.desirable_weight,
                       undesirable_weight=args.undesirable_weight, **shared)
    return DiagramKTOTrainer(model=parts.model, ref_model=reference_model(parts.model, parts.lora), args=config,
                             **parts.inputs(lambda rows: _unpaired(rows, args.seed)))


RECIPE = Recipe(name="kto", algorithm="KTO (TRL KTOTrainer, loss_type=kto; pairs unpaired)", config=KTOArgs,
                build=build_trainer,
                check=lambda dataset, tokenizer, max_length: check_ids_not_cut(
                    dataset, tokenizer, max_length, ("completion",)))


train_kto, add_kto_arguments, run_kto, main = command_functions(RECIPE, __doc__.splitlines()[0])

if __name__ == "__main__":
    run_module(main)
