"""`diagramlab simpo`'s options: the `SimPOArgs` dataclass (shared fields + beta, gamma). Torch-free.

    args = SimPOArgs(checkpoint="checkpoints/tiny-sft", out="checkpoints/simpo-1", max_steps=2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.preference_config import PreferenceArgs


@dataclass
class SimPOArgs(PreferenceArgs):
    """Options of `diagramlab simpo`; each field is one CLI flag (underscores become dashes)."""

    # SimPO (Meng et al. 2024, arXiv:2405.14734) tunes beta in 2-2.5 and gamma/beta around 0.5.
    beta: float = field(default=2.0, metadata={
        "help": "SimPO's beta: scale of the length-normalised log-likelihood reward"})
    gamma: float = field(default=1.0, metadata={
        "help": "SimPO's gamma: target reward margin between chosen and rejected"})
