"""`diagramlab orpo`'s options: the `ORPOArgs` dataclass (one flag per field, help in its metadata).

Torch-free, beside `trainer/training/orpo.py` (training only), as TRL keeps `<algo>_config.py` beside
`<algo>_trainer.py`. The shared fields (paths, split, LoRA, lengths, verdict) are
`trainer.core.preference_config.PreferenceArgs`; ORPO adds its lambda. The labeler's Train tab builds
an `ORPOArgs`, the runner turns it into the subprocess's argument list (`trainer.core.args.to_argv`)
and `diagramlab orpo` parses that list back into the same dataclass: one settings shape from the
page to the trainer.

    args = ORPOArgs(checkpoint="checkpoints/tiny-sft", out="checkpoints/orpo-1", max_steps=2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.preference_config import FULL_FINETUNE_MAX_PARAMS, PreferenceArgs

__all__ = ["FULL_FINETUNE_MAX_PARAMS", "ORPOArgs"]


@dataclass
class ORPOArgs(PreferenceArgs):
    """Options of `diagramlab orpo`; each field is one CLI flag (underscores become dashes)."""

    beta: float = field(default=0.1, metadata={"help": "ORPO's lambda: weight of the odds-ratio term"})
