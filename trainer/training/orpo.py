"""ORPO training on the collected preference pairs (TRL's ORPOTrainer), with progress events.

    diagramlab orpo --checkpoint checkpoints/tiny-sft --data data/orpo_dataset_llm.csv \\
        --out checkpoints/orpo-1 --events runs/orpo-1.jsonl [--beta 0.1] [--max-steps 50]
    python -m trainer.training.orpo ...   (same flags)

The run (snapshot of the pairs, split, parent loading and LoRA, length sizing with the no-cut
check, events, SIGTERM, the atomic checkpoint, manifest and verdict) is `trainer.training.preference_run`,
shared with `diagramlab dpo|simpo|kto`; this module is ORPO's loss: no reference model (ORPO needs
none), lambda = `--beta`, and the NLL term over the chosen answer only (`DiagramORPOTrainer`).

Precision and memory: on CPU fp32 without gradient checkpointing. On a GPU: bf16 weights (LoRA),
gradient checkpointing, the 8-bit paged AdamW of bitsandbytes when installed, no reference model
(the original project ran out of memory at 1536 tokens without these settings). Measured peak
memory for the 1.3B shape and the advice that follows (batch 1, max length <= 1024 on a 12 GB
card): README "ORPO memory" (`python -m benchmarks.bench_orpo_memory`); training time: README.

The options are `trainer.core.orpo_config.ORPOArgs`; this module only trains.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch.nn.functional as F
from datasets import Dataset
from trl.experimental.orpo import ORPOConfig, ORPOTrainer

from diagram.engine import LayoutEngine

from trainer.core.orpo_config import ORPOArgs
from trainer.training.preference_data import check_not_cut
from trainer.training.preference_parts import (Cancelled, ChoiceTokens, Recipe, SeparateAnswerTokens, TrainerParts,
                                               WeightedRows, choice_logps, training_arguments, with_choice_spans)
from trainer.training.preference_run import command_functions, run_module

__all__ = ["Cancelled", "DiagramORPOTrainer", "ORPOArgs", "train_orpo", "run_orpo", "main"]


def _orpo_config(args: ORPOArgs, work: Path, max_length: int, lora: bool) -> Any:
    return ORPOConfig(beta=args.beta, **training_arguments(args, work, max_length, lora))


class DiagramORPOTrainer(WeightedRows, ChoiceTokens, SeparateAnswerTokens, ORPOTrainer):
    """TRL's ORPOTrainer with three changes that keep it consistent with SFT and generation.

    - Prompt and answer are tokenized separately (SeparateAnswerTokens); rows are drawn by weight (WeightedRows).
    - The NLL term is over the chosen *answer* only (labels -100 on the prompt, as in SFT and in
      the ORPO paper's L_SFT); TRL 1.16 takes it over prompt + answer. On the tiny model that
      spent most of the NLL on learning to predict request text and, measured, cost validity
      and EOS stopping (96% -> 72% stops after 58 steps).
    - The odds ratio compares two laid-out answers on their style lines (ChoiceTokens,
      `trainer.core.choices`): the only tokens decoding lets the model choose; their node lines
      follow from plan and style. Over whole answers the tiny model's ~-1 nat per coordinate token
      drowned the one token that says left-to-right (bench_taste, README "Learning a taste").
    """

    def concatenated_forward(self, model: Any, batch: dict[str, Any]) -> tuple:
        out = super().concatenated_forward(model, batch)
        chosen_logits = out[2]  # (B, T - 1, V): logits at positions 0..T-2 predict tokens 1..T-1
        labels = batch["chosen_labels"][:, 1:].to(chosen_logits.device)  # -100 on prompt and padding
        logits = chosen_logits[:, : labels.shape[1]]
        nll = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100)
        logps = out[:2]
        if "chosen_choice_labels" in batch:
            logps = (choice_logps(out[2], batch["chosen_choice_labels"]),
                     choice_logps(out[3], batch["rejected_choice_labels"]))
        return (*logps, *out[2:4], nll, *out[5:])


def build_trainer(args: ORPOArgs, parts: TrainerParts) -> DiagramORPOTrainer:
    config = _orpo_config(args, parts.work, parts.max_length, parts.lora is not None)
    engine = LayoutEngine()
    inputs = parts.inputs(lambda rows: Dataset.from_list(with_choice_spans(rows, engine)))
    return DiagramORPOTrainer(model=parts.model, args=config, **inputs)


RECIPE = Recipe(name="orpo", algorithm="ORPO (TRL ORPOTrainer; NLL over the chosen answer only)",
                config=ORPOArgs, build=build_trainer, check=check_not_cut)


train_orpo, add_orpo_arguments, run_orpo, main = command_functions(RECIPE, __doc__.splitlines()[0])

if __name__ == "__main__":
    run_module(main)
