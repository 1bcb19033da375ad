"""`diagramlab dpo`'s options: the `DPOArgs` dataclass (shared fields + DPO's beta). Torch-free.

    args = DPOArgs(checkpoint="checkpoints/tiny-sft", out="checkpoints/dpo-1", max_steps=2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.preference_config import PreferenceArgs


@dataclass
class DPOArgs(PreferenceArgs):
    """Options of `diagramlab dpo`; each field is one CLI flag (underscores become dashes)."""

    beta: float = field(default=0.1, metadata={
        "help": "DPO's beta: how far the model may move from the parent (higher: less)"})
