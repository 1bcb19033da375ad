"""SimPO training on the collected preference pairs (TRL's CPOTrainer with loss_type="simpo",
cpo_alpha=0), with progress events.

    diagramlab simpo --checkpoint checkpoints/tiny-sft --out checkpoints/simpo-1 [--beta 2 --gamma 1]
    python -m trainer.simpo ...   (same flags)

The run is `trainer.preference_run` (as for ORPO). SimPO (Meng et al. 2024, arXiv:2405.14734,
Eq. 6): loss = -log sigmoid(beta/|y_w| log p(y_w|x) - beta/|y_l| log p(y_l|x) - gamma), the mean
log-probability per answer token as the reward, no reference model (memory as ORPO's).
`cpo_alpha=0` turns CPO's extra NLL term off, which is what makes TRL's CPO the SimPO loss.
Tokenization as ORPO's (`SeparateAnswerTokens`: TRL's CPO and ORPO share the code).

The options are `trainer.simpo_config.SimPOArgs`.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

from datasets import Dataset
from trl.experimental.cpo import CPOConfig, CPOTrainer

from trainer import args as config_args
from trainer.preference_data import check_not_cut
from trainer.preference_run import (Recipe, SeparateAnswerTokens, main_of, run_module, run_recipe,
                                    train_preference, training_arguments)
from trainer.simpo_config import SimPOArgs


class DiagramSimPOTrainer(SeparateAnswerTokens, CPOTrainer):
    """TRL's CPOTrainer with prompt and answer tokenized apart (SeparateAnswerTokens)."""


def build_trainer(args: SimPOArgs, model: Any, tokenizer: Any, lora: Any, train_rows: list, val_rows: list,
                  max_length: int, callbacks: list, work: Path) -> DiagramSimPOTrainer:
    config = CPOConfig(loss_type="simpo", cpo_alpha=0.0, beta=args.beta, simpo_gamma=args.gamma,
                       **training_arguments(args, work, max_length, lora is not None))
    return DiagramSimPOTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=callbacks,
    )


RECIPE = Recipe(name="simpo", algorithm="SimPO (TRL CPOTrainer, loss_type=simpo, cpo_alpha=0)",
                config=SimPOArgs, build=build_trainer,
                check=lambda dataset, tokenizer, _max_length: check_not_cut(dataset, tokenizer))


def train_simpo(args: SimPOArgs | argparse.Namespace, cancel: threading.Event | None = None) -> Path:
    """Train and write the checkpoint at `args.out`; returns its path (trainer.preference_run)."""
    return train_preference(args, RECIPE, cancel)


def add_simpo_arguments(parser: argparse.ArgumentParser) -> None:
    config_args.add_dataclass_arguments(parser, SimPOArgs)


def run_simpo(namespace: argparse.Namespace) -> int:
    """The `diagramlab simpo` command: 0 done, 143 cancelled, 1 failed (message on stderr)."""
    return run_recipe(namespace, RECIPE)


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m trainer.simpo`."""
    return main_of(RECIPE, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    run_module(main)
