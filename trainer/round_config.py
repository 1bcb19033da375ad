"""`diagramlab round`'s options: the `RoundArgs` dataclass (one flag per field). Torch-free.

A round trains the chosen preference trainer (`--trainer`, ORPO by default) from `--checkpoint`
on the pairs it has not trained on yet and that are not held out, then compares the start and
the new checkpoint on the user's held-out pairs (`trainer.rounds`). The labeler's auto-retrain
builds a `RoundArgs` and the runner passes it to `python -m trainer.rounds` as flags.

    args = RoundArgs(checkpoint="checkpoints/orpo-1", out="checkpoints/round-1", min_new=25)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.judgments import HELDOUT_EVERY
from trainer.preference_trainers import DEFAULT_TRAINER, TRAINERS
from trainer.schema import DEFAULT_CHECKPOINT, DEFAULT_PREFERENCES, DEFAULT_PROMPTS

ALL_ANNOTATORS = "all"
MIN_HELDOUT_TO_JUDGE = 5  # fewer held-out pairs: the round activates without a judgment


@dataclass
class RoundArgs:
    """Options of `diagramlab round`; each field is one CLI flag (underscores become dashes)."""

    checkpoint: str = field(default=DEFAULT_CHECKPOINT, metadata={
        "help": "start checkpoint (SFT or preference-trained); the new one trains from it"})
    data: str = field(default=DEFAULT_PREFERENCES, metadata={"help": "preference CSV (the store)"})
    out: str = field(default="", metadata={
        "help": "checkpoint directory to write (default: the next free round-N beside --checkpoint)"})
    events: str = field(default="", metadata={"help": "JSON-lines progress file to append to"})
    prompts: str = field(default=DEFAULT_PROMPTS, metadata={
        "help": "prompt pool with the held-out split (sampling check, only with --eval-n > 0)"})
    trainer: str = field(default=DEFAULT_TRAINER, metadata={"help": f"one of {', '.join(TRAINERS)}"})
    min_new: int = field(default=2, metadata={
        "help": "refuse the round when fewer new judgments (not trained on, not held out) exist"})
    annotator: str = field(default=ALL_ANNOTATORS, metadata={
        "help": "train and evaluate on this annotator's rows only ('all': every row)"})
    heldout_every: int = field(default=HELDOUT_EVERY, metadata={
        "help": "about 1 judgment in this many is held out for the evaluation (trainer.judgments.is_heldout)"})
    max_steps: int = field(default=-1, metadata={"help": "optimizer steps; overrides --epochs when > 0"})
    epochs: float = field(default=3.0, metadata={"help": "training epochs (ignored with --max-steps)"})
    beta: float = field(default=0.0, metadata={"help": "the trainer's beta (0: its default)"})
    lr: float = field(default=0.0, metadata={"help": "learning rate (0: the trainer's default)"})
    batch_size: int = field(default=4, metadata={"help": "pairs per device batch"})
    eval_n: int = field(default=0, metadata={
        "help": "also sample this many held-out pool prompts with the new model (0: off; slow)"})
    seed: int = field(default=0, metadata={"help": "random seed"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)"})
    overwrite: bool = field(default=False, metadata={"help": "replace --out if it exists"})
