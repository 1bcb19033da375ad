"""SimPO training on the collected preference pairs (TRL's CPOTrainer with loss_type="simpo",
cpo_alpha=0), with progress events.

    diagramlab simpo --checkpoint checkpoints/tiny-sft --out checkpoints/simpo-1 [--beta 2 --gamma 1]
    python -m trainer.training.simpo ...   (same flags)

The run is `trainer.training.preference_run` (as for ORPO). SimPO (Meng et al. 2024, arXiv:2405.14734,
Eq. 6): loss = -log sigmoid(beta/|y_w| log p(y_w|x) - beta/|y_l| log p(y_l|x) - gamma), the mean
log-probability per answer token as the reward, no reference model (memory as ORPO's).
`cpo_alpha=0` turns CPO's extra NLL term off, which is what makes TRL's CPO the SimPO loss.
Tokenization as ORPO's (`SeparateAnswerTokens`: TRL's CPO and ORPO share the code).

The options are `trainer.core.simpo_config.SimPOArgs`.
"""

from __future__ import annotations

from trl.experimental.cpo import CPOConfig, CPOTrainer

from trainer.training.preference_data import check_not_cut
from trainer.training.preference_parts import Recipe, SeparateAnswerTokens, TrainerParts, WeightedRows
from trainer.training.preference_run import command_functions, run_module
from trainer.core.simpo_config import SimPOArgs


class DiagramSimPOTrainer(WeightedRows, SeparateAnswerTokens, CPOTrainer):
    """TRL's CPOTrainer with prompt and answer tokenized apart (SeparateAnswerTokens), rows drawn by weight."""


def build_trainer(args: SimPOArgs, parts: TrainerParts) -> DiagramSimPOTrainer:
    config = CPOConfig(loss_type="simpo", cpo_alpha=0.0, beta=args.beta, simpo_gamma=args.gamma,
                       **parts.arguments(args))
    return DiagramSimPOTrainer(model=parts.model, args=config, **parts.inputs())


RECIPE = Recipe(name="simpo", algorithm="SimPO (TRL CPOTrainer, loss_type=simpo, cpo_alpha=0)",
                config=SimPOArgs, build=build_trainer, check=check_not_cut)


train_simpo, add_simpo_arguments, run_simpo, main = command_functions(RECIPE, __doc__.splitlines()[0])

if __name__ == "__main__":
    run_module(main)
