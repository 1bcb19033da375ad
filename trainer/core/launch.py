"""Run `diagramlab sft|orpo|dpo|simpo|kto` on several processes through `accelerate launch`.

    diagramlab orpo --accelerate-config configs/accelerate/deepspeed_zero3.yaml --out ... [flags]
    diagramlab orpo --accelerate-config ddp ...        # a shipped config by name

is the same as

    accelerate launch --config_file configs/accelerate/deepspeed_zero3.yaml -m trainer.training.orpo --out ...

The command replaces itself (exec) with the launcher, so a SIGTERM from the app's Stop button
reaches accelerate's launcher, which passes it to every training process (each cancels cleanly).
The shipped configs live in `configs/accelerate/` (DDP, DeepSpeed ZeRO-2/3, FSDP); their comments
say what each one needs. See trainer/training/distributed.py for what the processes share.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent.parent / "configs" / "accelerate"
FLAG = "--accelerate-config"


def shipped_configs() -> dict[str, Path]:
    """{name: path} of the configs in configs/accelerate (name = file stem)."""
    return {p.stem: p for p in sorted(CONFIG_DIR.glob("*.yaml"))}


def resolve_config(spec: str) -> Path:
    """A config file path, or the name of a shipped config ('ddp', 'deepspeed_zero3', ...)."""
    path = Path(spec)
    if path.is_file():
        return path
    shipped = shipped_configs()
    if spec in shipped:
        return shipped[spec]
    raise ValueError(f"{FLAG}: {spec} is neither a file nor a shipped config ({', '.join(shipped)})")


def add_launch_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(FLAG, dest="accelerate_config", default="", metavar="FILE",
                        help="run through `accelerate launch --config_file FILE` (several GPUs); "
                             f"a path or a shipped config name: {', '.join(shipped_configs())}")


def accelerate_command(config: str, module: str, flags: list[str], python: str = sys.executable,
                       launcher_flags: tuple[str, ...] = ()) -> list[str]:
    """The argument list `python -m accelerate.commands.launch --config_file C ... -m MODULE FLAGS`."""
    return [python, "-m", "accelerate.commands.launch", "--config_file", str(resolve_config(config)),
            *launcher_flags, "-m", module, *flags]


def flags_of(command_line: str) -> list[str]:
    """The flags of a `diagramlab CMD --flag value ...` line (the trainers' `to_command`)."""
    return shlex.split(command_line)[2:]


def exec_launch(command: list[str]) -> int:
    """Replace this process with `command` (never returns unless exec fails)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
    return 1  # not reached
