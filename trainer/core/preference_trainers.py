"""The preference trainers the labeler's Train tab and the `diagramlab` command can run.

One entry per trainer: ORPO (the default), DPO, SimPO and KTO. Adding one is its two modules, as
`trainer/core/orpo_config.py` and `trainer/training/orpo.py` are (plus their test), and one line in TRAINERS:

- `<name>_config.py`: a torch-free subclass of `trainer.core.preference_config.PreferenceArgs` (the
  fields the labeler sets: `checkpoint, data, out, events, prompts`, the Train tab's
  `max_steps, epochs, eval_n`) adding its loss settings, at least `beta`;
- `<name>.py`: a `trainer.training.preference_parts.Recipe` (how to build its TRL trainer and check its
  tokenization) and `add_<name>_arguments(parser)`, `run_<name>(args) -> int`, `main()`; the shared
  run trains from a copy of the pairs, writes `trainer.core.events` progress and a final event, a
  checkpoint whose manifest kind is `<name>` (with `algorithm` and `settings`) and the pairs it
  trained on (`TRAINED_PAIRS_FILE`).

The name is the command (`diagramlab orpo`), the checkpoint prefix (`checkpoints/orpo-N`) and
the manifest kind. Torch-free: the labeler imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from trainer.core.dpo_config import DPOArgs
from trainer.core.kto_config import KTOArgs
from trainer.core.orpo_config import ORPOArgs
from trainer.core.simpo_config import SimPOArgs


@dataclass(frozen=True)
class PreferenceTrainer:
    name: str  # command, checkpoint prefix and manifest kind
    module: str  # `python -m <module> <flags>` trains (the Train tab's subprocess)
    config: type  # its torch-free config dataclass
    label: str  # how the page names it ("Train ORPO on current preferences")
    help: str  # the `diagramlab --help` line


TRAINERS = MappingProxyType({
    "orpo": PreferenceTrainer("orpo", "trainer.training.orpo", ORPOArgs, "ORPO",
                              "ORPO training on the collected preferences"),
    "dpo": PreferenceTrainer("dpo", "trainer.training.dpo", DPOArgs, "DPO",
                             "DPO training on the collected preferences (reference: the parent)"),
    "simpo": PreferenceTrainer("simpo", "trainer.training.simpo", SimPOArgs, "SimPO",
                               "SimPO training on the collected preferences (TRL CPO, simpo loss)"),
    "kto": PreferenceTrainer("kto", "trainer.training.kto", KTOArgs, "KTO",
                             "KTO training on the collected judgments (chosen good, rejected bad)"),
})
DEFAULT_TRAINER = "orpo"


def trainer_of(config: object) -> PreferenceTrainer:
    """The registered trainer whose config dataclass `config` is."""
    for trainer in TRAINERS.values():
        if isinstance(config, trainer.config):
            return trainer
    raise ValueError(f"{type(config).__name__} is not the config of a registered preference trainer")
