"""Config dataclasses <-> command-line flags <-> argument lists: one helper for every command.

A config is a dataclass whose fields each carry `metadata={"help": ...}`; that dataclass is the
single source of its command's flags (`--max-steps` for `max_steps`), of the argument list the
labeler hands the training subprocess, and of the reproducible command stored in manifests.
Torch-free, so the labeler builds argument lists without importing the trainers.

    parser = argparse.ArgumentParser(); add_dataclass_arguments(parser, ORPOArgs)
    args = from_namespace(ORPOArgs, parser.parse_args(argv))
    argv = to_argv(args)                        # ["--out", "checkpoints/orpo-1", "--max-steps", "2"]
    to_command(args, "diagramlab orpo")         # "diagramlab orpo --out checkpoints/orpo-1 ..."

`exit_fast_when_cancelled(code)` is the commands' exit convention for a cancelled run (143).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")
EXIT_CANCELLED = 143  # 128 + SIGTERM, the shell's convention


def flag_of(name: str) -> str:
    """The flag of a field: `max_steps` -> `--max-steps`."""
    return "--" + name.replace("_", "-")


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One `--flag` per dataclass field, typed by its default, help from `metadata['help']`;
    a bool field is a store_true switch."""
    for f in fields(cls):
        if isinstance(f.default, bool):
            parser.add_argument(flag_of(f.name), action="store_true", help=f.metadata["help"])
        else:
            parser.add_argument(flag_of(f.name), type=type(f.default), default=f.default,
                                help=f"{f.metadata['help']} (default: {f.default!r})")


def from_namespace(cls: type[T], namespace: argparse.Namespace) -> T:
    """The dataclass of parsed flags (extra attributes of the namespace are ignored)."""
    return cls(**{f.name: getattr(namespace, f.name) for f in fields(cls)})  # type: ignore[call-arg]


def to_argv(config: Any, keep: tuple[str, ...] = ()) -> list[str]:
    """The flags that reproduce `config`: fields that differ from their default, plus the fields
    named in `keep` (always passed, so a subprocess in another directory gets the same value)."""
    argv: list[str] = []
    for f in fields(config):
        value = getattr(config, f.name)
        if value == f.default and f.name not in keep:
            continue
        if isinstance(f.default, bool):
            argv += [flag_of(f.name)] if value else []
        else:
            argv += [flag_of(f.name), str(value)]
    return argv


def to_command(config: Any, program: str) -> str:
    """A shell command line (quoted) that reproduces `config`: `program` + `to_argv(config)`."""
    return shlex.join(program.split() + to_argv(config))


def exit_fast_when_cancelled(code: int) -> None:
    """After a run cancelled by SIGTERM (exit code 143; every temp dir already removed), leave
    without the interpreter's teardown: collecting a loaded model's objects took 7 s on a
    micro model, and the app escalates to SIGKILL after 10 s."""
    if code == EXIT_CANCELLED:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
