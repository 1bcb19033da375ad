"""DPO training on the collected preference pairs (TRL's DPOTrainer, sigmoid loss), with events.

    diagramlab dpo --checkpoint checkpoints/tiny-sft --out checkpoints/dpo-1 [--beta 0.1] [--max-steps 50]
    python -m trainer.training.dpo ...   (same flags)

The run is `trainer.training.preference_run` (as for ORPO). DPO (Rafailov et al. 2023,
arXiv:2305.18290) compares the policy's log-ratio chosen/rejected with the parent's, so it needs a
frozen reference: `preference_parts.reference_model` (a copy of the parent for the tiny full
model; with LoRA the adapter-disabled model, no second copy of the 1.3B weights). Prompt and
answer are tokenized separately (`DiagramDPOTrainer._prepare_dataset`), as SFT and generation do.

The options are `trainer.core.dpo_config.DPOArgs`.
"""

from __future__ import annotations

from typing import Any

from datasets import Dataset
from trl import DPOConfig, DPOTrainer

from trainer.core.dpo_config import DPOArgs
from trainer.training.preference_data import check_ids_not_cut
from trainer.training.preference_parts import Recipe, TrainerParts, WeightedRows, reference_model, tokenize_separately
from trainer.training.preference_run import command_functions, run_module


class DiagramDPOTrainer(WeightedRows, DPOTrainer):
    """TRL's DPOTrainer tokenizing prompt (with BOS) and answer (+ EOS) apart: TRL 1.16 tokenizes
    prompt + answer as one string and starts the answer where the two tokenizations diverge,
    which drops the prompt's last token ("### Answer: "'s space) from the context."""

    def _prepare_dataset(self, dataset: Dataset, processing_class: Any, args: Any, dataset_name: str) -> Dataset:
        def tokenize(row: dict) -> dict:
            prompt_ids, chosen_ids = tokenize_separately(processing_class, row["prompt"], row["chosen"])
            _, rejected_ids = tokenize_separately(processing_class, row["prompt"], row["rejected"])
            return {"prompt_ids": prompt_ids, "chosen_ids": chosen_ids, "rejected_ids": rejected_ids}

        return dataset.map(tokenize, desc=f"Tokenizing {dataset_name} dataset")


def build_trainer(args: DPOArgs, parts: TrainerParts) -> DiagramDPOTrainer:
    config = DPOConfig(beta=args.beta, loss_type=["sigmoid"], **parts.arguments(args))
    return DiagramDPOTrainer(model=parts.model, ref_model=reference_model(parts.model, parts.lora), args=config,
                             **parts.inputs())


RECIPE = Recipe(name="dpo", algorithm="DPO (TRL DPOTrainer, loss_type=sigmoid)", config=DPOArgs,
                build=build_trainer,
                check=lambda dataset, tokenizer, max_length: check_ids_not_cut(
                    dataset, tokenizer, max_length, ("chosen", "rejected")))


train_dpo, add_dpo_arguments, run_dpo, main = command_functions(RECIPE, __doc__.splitlines()[0])

if __name__ == "__main__":
    run_module(main)
