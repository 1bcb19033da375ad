"""Where candidates come from: the one place that turns options into a `CandidateSource`.

Every consumer (the labeler, `diagramlab eval`, `diagramlab bootstrap`, ORPO's held-out sampling)
gets its source from `open_source`, and every command adds the same options with
`add_source_arguments`, so a new kind of source (an inference server over HTTP, say) is one new
module implementing `trainer.candidates.CandidateSource` plus one option and one branch here.

    source = open_source("checkpoints/tiny-sft", grammar=True)   # in-process transformers Generator
    candidates = source.generate(build_prompt("DL model with 3 inputs"), k=4)

Importing this module is cheap: `trainer.generate` (torch, transformers) is imported by
`open_source` when a model is really loaded, the one deferred import of the package's model
code, so the labeler and its tests (fake sources) start without torch.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from trainer.candidates import CandidateSource


def add_source_arguments(parser: argparse.ArgumentParser, *, grammar_help: str | None = None) -> None:
    """`--device`, `--no-grammar` (dest `grammar`) and `--no-read` (dest `read`), the options
    every source honours."""
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    parser.add_argument("--no-grammar", dest="grammar", action="store_false",
                        help=grammar_help or "sample freely instead of constraining tokens to the answer format")
    parser.add_argument("--no-read", dest="read", action="store_false",
                        help="do not read the structure a request states (layer sizes, named steps): "
                             "the model writes its own plan line")


def open_source(checkpoint: str | os.PathLike[str], *, device: str | None = None,
                grammar: bool = True, read: bool = True, **options: Any) -> CandidateSource:
    """A loaded source for `checkpoint` (a checkpoint dir or HF id): today always the in-process
    `trainer.generate.Generator`; `grammar` is its default for grammar-constrained decoding,
    `read` for drawing the structure a request states (`diagram.reader`)."""
    from trainer.generate import Generator  # torch: only when a model is really loaded

    return Generator(checkpoint, device=device, grammar=grammar, read=read, **options)


def source_from_args(args: argparse.Namespace, checkpoint: str | os.PathLike[str] | None = None) -> CandidateSource:
    """`open_source` with the options `add_source_arguments` added (and `args.checkpoint`)."""
    return open_source(checkpoint if checkpoint is not None else args.checkpoint,
                       device=getattr(args, "device", None), grammar=getattr(args, "grammar", True),
                       read=getattr(args, "read", True))
