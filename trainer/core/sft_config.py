"""`diagramlab sft`'s options: the `SFTArgs` dataclass (one flag per field, help in its metadata).

Torch-free, beside `trainer/training/sft.py` (training only), as TRL keeps `<algo>_config.py` beside
`<algo>_trainer.py`: the CLI, the manifests and tests read the options without importing torch.

    args = SFTArgs(preset="tiny", out="checkpoints/tiny-sft", max_steps=2)
    to_command(args, "diagramlab sft")   # trainer.core.args
"""

from __future__ import annotations

from dataclasses import dataclass, field

from trainer.core.schema import DEFAULT_PROMPTS, DEFAULT_SFT_DATA

SYNTHETIC_SEED = 1_000_003  # far from the seeds that wrote data/*.csv (0 and 1)
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")  # the original project's LoRA targets


@dataclass
class SFTArgs:
    """Options of `diagramlab sft`; each field is one CLI flag (underscores become dashes)."""

    out: str = field(default="", metadata={"help": "checkpoint directory to write (must not exist)"})
    base: str = field(default="", metadata={"help": "HF id or local dir of a pretrained base (LoRA)"})
    preset: str = field(default="", metadata={"help": "'tiny': build the tiny Llama preset and train it fully"})
    init_from: str = field(default="", metadata={
        "help": "tiny preset: start from this checkpoint's weights and tokenizer (copied into "
                "--work-dir once, so a resumed run starts from the same weights) instead of new ones; "
                "the --tiny-* sizes and --vocab-size are then the checkpoint's"})
    data: str = field(default=DEFAULT_SFT_DATA, metadata={"help": "SFT CSV (input_data, output_data, ...)"})
    synthetic_rows: int = field(default=0, metadata={"help": "extra synthetic training rows (tiny preset)"})
    synthetic_seed: int = field(default=SYNTHETIC_SEED, metadata={"help": "seed of the synthetic rows"})
    exclude_prompts: str = field(default=DEFAULT_PROMPTS, metadata={
        "help": "prompt pool whose requests synthetic rows must not repeat (skipped if missing)"})
    exclude_requests: str = field(default="", metadata={
        "help": "comma-separated CSVs of held-out requests (column request, or prompt) kept out of "
                "all training rows, compared without case and extra whitespace"})
    noise: float = field(default=0.0, metadata={
        "help": "share of synthetic requests given typos, case and spacing noise (at training time)"})
    plan_line: bool = field(default=False, metadata={
        "help": "train answers to start with a '# layers 3-5-2' / '# steps: A > B' plan line"})
    work_dir: str = field(default="", metadata={
        "help": "keep the base model and trainer checkpoints here and resume from the latest one "
                "(default: a temporary dir, no resume)"})
    save_steps: int = field(default=0, metadata={
        "help": "with --work-dir: save a resumable, loadable checkpoint every N steps (0: never)"})
    epochs: float = field(default=3.0, metadata={"help": "training epochs (ignored with --max-steps)"})
    max_steps: int = field(default=-1, metadata={"help": "optimizer steps; overrides --epochs when > 0"})
    lr: float = field(default=0.0, metadata={
        "help": "learning rate (0: 2e-4 for LoRA, 1e-3 for --full-finetune, 5e-3 for --preset tiny)"})
    batch_size: int = field(default=8, metadata={"help": "per-device batch size"})
    grad_accum: int = field(default=1, metadata={"help": "gradient accumulation steps"})
    val_fraction: float = field(default=0.05, metadata={"help": "share of the data file held out for eval loss"})
    seed: int = field(default=0, metadata={"help": "random seed (split, init, shuffling)"})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank"})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA alpha"})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout"})
    full_finetune: bool = field(default=False, metadata={"help": "train all weights of --base (no LoRA)"})
    max_length: int = field(default=1024, metadata={"help": "drop examples longer than this many tokens"})
    vocab_size: int = field(default=2048, metadata={"help": "tiny preset: tokenizer vocabulary size"})
    tiny_hidden: int = field(default=128, metadata={"help": "tiny preset: hidden size"})
    tiny_layers: int = field(default=4, metadata={"help": "tiny preset: transformer layers"})
    tiny_heads: int = field(default=4, metadata={"help": "tiny preset: attention heads"})
    tiny_intermediate: int = field(default=344, metadata={"help": "tiny preset: MLP width"})
    warmup: float = field(default=0.03, metadata={"help": "warmup steps (int) or ratio of all steps (<1)"})
    eval_steps: int = field(default=200, metadata={"help": "evaluate the validation loss every N steps"})
    logging_steps: int = field(default=20, metadata={"help": "log the training loss every N steps"})
    threads: int = field(default=0, metadata={"help": "torch CPU threads (0: torch's default)"})
    overwrite: bool = field(default=False, metadata={"help": "replace --out if it exists"})
    shard_log: str = field(default="", metadata={
        "help": "write the ids of the examples each process trained on to DIR/rank-N.txt "
                "(checks data sharding under accelerate launch)"})
