"""The preference trainers the labeler's Train tab and the `diagramlab` command can run.

One entry per trainer; adding one (DPO, KTO, SimPO beside ORPO) is its two modules, as
`trainer/orpo_config.py` and `trainer/orpo.py` are (plus their test), and one line in TRAINERS:

- `<name>_config.py`: a torch-free config dataclass with at least the fields the labeler sets
  (`checkpoint, data, out, events, prompts`, and the Train tab's `max_steps, epochs, beta, eval_n`);
- `<name>.py`: `add_<name>_arguments(parser)`, `run_<name>(args) -> int`, `main()`; trains from a
  copy of the pairs (`trainer.preference_data`), writes `trainer.events` progress and a final event,
  a checkpoint whose manifest kind is `<name>` and the pairs it trained on (`TRAINED_PAIRS_FILE`).

The name is the command (`diagramlab orpo`), the checkpoint prefix (`checkpoints/orpo-N`) and
the manifest kind. Torch-free: the labeler imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from trainer.orpo_config import ORPOArgs


@dataclass(frozen=True)
class PreferenceTrainer:
    name: str  # command, checkpoint prefix and manifest kind
    module: str  # `python -m <module> <flags>` trains (the Train tab's subprocess)
    config: type  # its torch-free config dataclass
    label: str  # how the page names it ("Train ORPO on current preferences")
    help: str  # the `diagramlab --help` line


TRAINERS = MappingProxyType({
    "orpo": PreferenceTrainer("orpo", "trainer.orpo", ORPOArgs, "ORPO",
                              "ORPO training on the collected preferences"),
})
DEFAULT_TRAINER = "orpo"


def trainer_of(config: object) -> PreferenceTrainer:
    """The registered trainer whose config dataclass `config` is."""
    for trainer in TRAINERS.values():
        if isinstance(config, trainer.config):
            return trainer
    raise ValueError(f"{type(config).__name__} is not the config of a registered preference trainer")
