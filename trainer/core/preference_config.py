"""The options every preference trainer shares: the `PreferenceArgs` dataclass (one flag per field).

Torch-free. Each trainer's `<name>_config.py` subclasses it with its own loss settings (ORPO's
lambda, DPO's beta, SimPO's beta and gamma, KTO's beta and weights), so the paths, the split, the
LoRA choice, the length cap and the verdict's sampling are one shape for all of them
(`trainer.training.preference_run` trains with them).

    @dataclass
    class DPOArgs(PreferenceArgs):
        beta: float = field(default=0.1, metadata={"help": "..."})
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.schema import DEFAULT_CHECKPOINT, DEFAULT_PREFERENCES, DEFAULT_PROMPTS

FULL_FINETUNE_MAX_PARAMS = 200_000_000  # "auto": bigger full models get a LoRA adapter


@dataclass
class PreferenceArgs:
    """Options shared by `diagramlab orpo|dpo|simpo|kto`; each field is one CLI flag."""

    checkpoint: str = field(default=DEFAULT_CHECKPOINT, metadata={"help": "parent checkpoint (SFT or preference-trained)"})
    data: str = field(default=DEFAULT_PREFERENCES, metadata={"help": "preference CSV (prompt, chosen, rejected, ...)"})
    out: str = field(default="", metadata={"help": "checkpoint directory to write (must not exist)"})
    annotator: str = field(default="", metadata={
        "help": "train only on this annotator's pairs (the CSV's annotator column; default: every "
                "annotator's, automatic pairs included)"})
    events: str = field(default="", metadata={"help": "JSON-lines progress file to append to"})
    lr: float = field(default=0.0, metadata={"help": "learning rate (0: 2e-4 for LoRA, 3e-4 for full)"})
    epochs: float = field(default=3.0, metadata={"help": "training epochs (ignored with --max-steps)"})
    max_steps: int = field(default=-1, metadata={"help": "optimizer steps; overrides --epochs when > 0"})
    batch_size: int = field(default=4, metadata={"help": "pairs per device batch"})
    grad_accum: int = field(default=1, metadata={"help": "gradient accumulation steps"})
    val_fraction: float = field(default=-1.0, metadata={
        "help": "share of pairs (whole prompts) held out for the verdict; -1: 10 percent, raised to 20 "
                "pairs while 3/4 stay for training (trainer.training.verdict.heldout_size)"})
    seed: int = field(default=0, metadata={"help": "random seed (split, init, shuffling, eval sampling)"})
    adapter: str = field(default="auto", metadata={
        "help": "'lora', 'full' or 'auto' (LoRA for adapter parents and models over 200M parameters)"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    max_length: int = field(default=2048, metadata={"help": "drop pairs longer than this many tokens"})
    warmup: float = field(default=0.05, metadata={"help": "warmup steps (int) or ratio of all steps (<1)"})
    eval_n: int = field(default=10, metadata={"help": "held-out prompts sampled after training"})
    eval_k: int = field(default=2, metadata={"help": "candidates per held-out prompt"})
    no_eval: bool = field(default=False, metadata={"help": "skip the held-out sampling evaluation"})
    prompts: str = field(default=DEFAULT_PROMPTS, metadata={"help": "prompt pool with the held-out split"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)"})
    overwrite: bool = field(default=False, metadata={"help": "replace --out if it exists"})
    shard_log: str = field(default="", metadata={
        "help": "write the ids of the pairs each process trained on to DIR/rank-N.txt "
                "(checks data sharding under accelerate launch)"})

    def settings(self) -> dict[str, float]:
        """The loss settings of this trainer (its own fields but data paths), recorded in the manifest."""
        own = {name for name, f in self.__dataclass_fields__.items() if not f.metadata.get("data")}
        own -= set(PreferenceArgs.__dataclass_fields__)
        return {name: getattr(self, name) for name in sorted(own)}
