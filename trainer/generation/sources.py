"""Where candidates come from: the one place that turns options into a `CandidateSource`.

Every consumer (the labeler, `diagramlab eval`, `diagramlab bootstrap`, ORPO's held-out sampling)
gets its source from `open_source`, and every command adds the same options with
`add_source_arguments`, so a new kind of source is one new module implementing
`trainer.core.candidates.CandidateSource` plus one option and one branch here. The kinds today:

- default: the checkpoint loaded in-process, `trainer.generation.generate.Generator` (one request at a
  time, under its lock);
- `--batch-generate`: that Generator wrapped in `trainer.generation.batching.BatchingSource`, so concurrent
  requests (the app's sessions; raise `--generate-concurrency` with it) share one batched model call;
- `--generator-url URL` [`--generator-model NAME`] [`--generator-grammar STYLE`]:
  `trainer.generation.http_source.HttpCandidateSource`, an OpenAI-compatible server (vLLM, SGLang, TGI,
  llama.cpp); each checkpoint is asked for by its dir name (a vLLM LoRA adapter name) unless
  `--generator-model` names one model for all.

`--reader-url URL` [`--reader-model NAME`] [`--reader-timeout S`] (any source): requests are read by a
served model (`trainer.generation.http_reader.ServedReader`, the rules as its fallback) instead of
the rules alone; `reader_from_args` makes the one reader a command shares (the app's plan box too).

    source = open_source("checkpoints/tiny-sft", grammar=True)   # in-process transformers Generator
    source = open_source("checkpoints/orpo-1", url="http://127.0.0.1:8000/v1")   # a server
    candidates = source.generate(build_prompt("DL model with 3 inputs"), k=4)

Importing this module is cheap: `trainer.generation.generate` (torch, transformers) is imported by
`open_source` when a model is really loaded, the one deferred import of the package's model
code, so the labeler and its tests (fake sources) start without torch.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from trainer.core.candidates import CandidateSource
from trainer.generation.http_reader import DEFAULT_TIMEOUT_S, ServedReader
from trainer.generation.http_source import GRAMMAR_STYLES, HttpCandidateSource


def add_source_arguments(parser: argparse.ArgumentParser, *, grammar_help: str | None = None) -> None:
    """The options every source honours: `--device`, `--no-grammar` (dest `grammar`), `--no-read`
    (dest `read`), `--free-layout` (in-process sources), `--batch-generate`, `--generator-url`, `--generator-model`, `--generator-grammar`."""
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    parser.add_argument("--no-grammar", dest="grammar", action="store_false",
                        help=grammar_help or "sample freely instead of constraining tokens to the answer format")
    parser.add_argument("--no-read", dest="read", action="store_false",
                        help="do not read the structure a request states (layer sizes, named steps): "
                             "the model writes its own plan line")
    parser.add_argument("--free-layout", dest="free_layout", action="store_true",
                        help="sample every coordinate instead of laying the plan out with the layout "
                             "engine for a sampled style line (for comparison)")
    where = parser.add_mutually_exclusive_group()  # a server batches requests itself
    where.add_argument("--batch-generate", action="store_true",
                       help="merge concurrent generate requests (the app's sessions) into one batched "
                            "model call (in-process only; in the app use with --generate-concurrency N)")
    where.add_argument("--generator-url", default=None, metavar="URL",
                       help="sample candidates from this OpenAI-compatible server "
                            "(e.g. http://127.0.0.1:8000/v1: vllm serve, SGLang, llama.cpp) "
                            "instead of loading the checkpoint in-process")
    parser.add_argument("--generator-model", default=None, metavar="NAME",
                        help="model or LoRA adapter name on that server (default: the checkpoint's "
                             "dir name, else the server's first model)")
    parser.add_argument("--generator-grammar", default="auto", choices=GRAMMAR_STYLES,
                        help="how to ask the server for the answer grammar (default: auto, from "
                             "the server's /models owned_by)")
    parser.add_argument("--reader-url", default=None, metavar="URL",
                        help="read requests with the model this OpenAI-compatible server serves "
                             "(/chat/completions with a JSON schema for the plan); the rules read "
                             "whatever it cannot (unreachable, slow, unusable answer)")
    parser.add_argument("--reader-model", default=None, metavar="NAME",
                        help="the reader's model on that server (default: the server's first)")
    parser.add_argument("--reader-timeout", default=DEFAULT_TIMEOUT_S, type=float, metavar="S",
                        help=f"seconds a read may wait on the reader's server before the rules read "
                             f"the request (default: {DEFAULT_TIMEOUT_S:g})")


def open_source(checkpoint: str | os.PathLike[str], *, device: str | None = None,
                grammar: bool = True, read: bool = True, batch: bool = False, url: str | None = None,
                model: str | None = None, grammar_style: str = "auto", reader: Any = None,
                **options: Any) -> CandidateSource:
    """A loaded source for `checkpoint` (a checkpoint dir or HF id). `grammar` is its default for
    grammar-constrained decoding, `read` for drawing the structure a request states
    (`diagram.reader`). With `url`, an OpenAI-compatible server serving `model` (default: the
    checkpoint's dir name); else the in-process `trainer.generation.generate.Generator`, wrapped in
    `trainer.generation.batching.BatchingSource` when `batch`. `reader`: what reads requests
    (default: the rules; a `ServedReader`)."""
    if url:
        if batch:
            raise ValueError("--batch-generate batches the in-process model; a server batches itself "
                             "(drop it with --generator-url)")
        return HttpCandidateSource(url, model=model, checkpoint=checkpoint, grammar=grammar, read=read,
                                   grammar_style=grammar_style, reader=reader)
    from trainer.generation.generate import Generator  # torch: only when a model is really loaded

    generator = Generator(checkpoint, device=device, grammar=grammar, read=read,
                          **({"reader": reader} if reader is not None else {}), **options)
    if not batch:
        return generator
    from trainer.generation.batching import BatchingSource

    return BatchingSource(generator)


def reader_from_args(args: argparse.Namespace) -> ServedReader | None:
    """The served reader `--reader-url` asks for (None: the rules read requests)."""
    url = getattr(args, "reader_url", None)
    if not url:
        return None
    return ServedReader(url, model=getattr(args, "reader_model", None),
                        timeout=getattr(args, "reader_timeout", DEFAULT_TIMEOUT_S))


def source_from_args(args: argparse.Namespace, checkpoint: str | os.PathLike[str] | None = None,
                     reader: Any = None) -> CandidateSource:
    """`open_source` with the options `add_source_arguments` added (and `args.checkpoint`); `reader`:
    the one the command shares, else `reader_from_args(args)`."""
    return open_source(checkpoint if checkpoint is not None else args.checkpoint,
                       device=getattr(args, "device", None), grammar=getattr(args, "grammar", True),
                       read=getattr(args, "read", True), batch=getattr(args, "batch_generate", False),
                       url=getattr(args, "generator_url", None), model=getattr(args, "generator_model", None),
                       grammar_style=getattr(args, "generator_grammar", "auto"),
                       reader=reader if reader is not None else reader_from_args(args),
                       **({"free_layout": True} if getattr(args, "free_layout", False) else {}))


def source_name(source: Any, checkpoint: str | os.PathLike[str]) -> str:
    """How pairs and reports name where candidates came from: the checkpoint, plus the server
    (a source's `provenance`, e.g. "vLLM orpo-1 @ http://127.0.0.1:8000/v1")."""
    provenance = getattr(source, "provenance", "")
    return f"{checkpoint} via {provenance}" if provenance else str(checkpoint)
