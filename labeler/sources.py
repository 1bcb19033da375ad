"""Where the labeler's candidates come from: the checkpoint in-process, batched, or a server.

`generator_factory(args)` turns `diagramlab app`'s flags into the `(checkpoint, grammar=True) ->
CandidateSource` factory that `AppContext` caches per checkpoint:

- default: `trainer.generate.Generator` (one request at a time, under its lock);
- `--batch-generate`: that Generator wrapped in `trainer.batching.BatchingSource`, so concurrent
  sessions' requests share one batched model call (raise `--generate-concurrency` with it: it is
  how many requests may wait at once);
- `--generator-url URL` [`--generator-model NAME`]: `trainer.http_source.HttpCandidateSource`,
  an OpenAI-compatible server; each checkpoint is asked for by its dir name (a vLLM LoRA adapter
  name) unless `--generator-model` names one model for all.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from labeler.context import default_generator_factory


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    from trainer.http_source import add_server_arguments

    add_server_arguments(parser)
    parser.add_argument("--batch-generate", action="store_true",
                        help="merge concurrent sessions' generate requests into one batched model "
                             "call (in-process only; use with --generate-concurrency N)")


def _batched(checkpoint: Path, grammar: bool = True, read: bool = True) -> Any:
    from trainer.batching import BatchingSource

    return BatchingSource(default_generator_factory(checkpoint, grammar=grammar, read=read))


def _served(args: argparse.Namespace, checkpoint: Path, grammar: bool = True) -> Any:
    from trainer.http_source import source_from_args

    return source_from_args(args, checkpoint=checkpoint, grammar=grammar)


def generator_factory(args: argparse.Namespace) -> Callable[..., Any]:
    grammar, read = getattr(args, "grammar", True), getattr(args, "read", True)
    if getattr(args, "generator_url", None):
        return lambda checkpoint, grammar=grammar: _served(args, checkpoint, grammar)
    if getattr(args, "batch_generate", False):
        return lambda checkpoint, grammar=grammar: _batched(checkpoint, grammar, read)
    return partial(default_generator_factory, grammar=grammar, read=read)
