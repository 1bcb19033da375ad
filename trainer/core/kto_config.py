"""`diagramlab kto`'s options: the `KTOArgs` dataclass (shared fields + beta, weights). Torch-free.

    args = KTOArgs(checkpoint="checkpoints/tiny-sft", out="checkpoints/kto-1", max_steps=2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.preference_config import PreferenceArgs


@dataclass
class KTOArgs(PreferenceArgs):
    """Options of `diagramlab kto`; each field is one CLI flag (underscores become dashes)."""

    beta: float = field(default=0.1, metadata={
        "help": "KTO's beta: how far the model may move from the parent (higher: less)"})
    desirable_weight: float = field(default=1.0, metadata={"help": "loss weight of desirable (chosen) answers"})
    undesirable_weight: float = field(default=1.0, metadata={
        "help": "loss weight of undesirable (rejected) answers"})
    judgments: str = field(default="", metadata={"data": True, "help": (
        "the judgments file (data/label_judgments.jsonl): each judged screen gives its best answers "
        "desirable and its worst undesirable, and a 'both bad' screen every candidate undesirable; "
        "default: none, each pair's chosen desirable and rejected undesirable")})
