"""How well a checkpoint understands hand-written requests: validity, stopping, structure, labels, speed.

Run: .venv/bin/python -m benchmarks.bench_requests --checkpoint checkpoints/tiny-sft -k 4
         [--no-grammar] [--no-read] [--csv benchmarks/requests_heldout.csv] [--rewrap] [--kind dense] [-n 20]
         [--seed 0] [--json out.json] [--show 3]

Samples k candidates for every request of the held-out CSV (request i uses seed `seed + i`, one
warm-up call first) and prints one table, overall and per kind:

- valid: share of candidates that parse with no error and >= 1 node
- eos: share of candidates that stopped on EOS (not on the token cap)
- dense=: dense-net candidates whose node and edge counts are the requested ones
  (nodes = sum of layers, edges = sum of products of neighbouring layers), over all dense candidates
- layered: dense-net candidates that are exactly the requested layered graph (every node of layer
  i points to every node of layer i+1 and nowhere else, layers of the requested sizes, in order)
- labeled: share of flowchart/pipeline nodes with a non-empty label (nodes of valid candidates)
- steps: share of the request's named steps found among a valid candidate's labels
  (case-insensitive, fuzzy), mean over valid flowchart/pipeline candidates with named steps
- p50/p95 s: wall seconds for all k candidates of one request

The held-out CSV (benchmarks/requests_heldout.csv) is written by hand and never trained on; its
columns: id, category (dl_model|other), kind (dense|cnn|flowchart|pipeline), request, layers
(dense nets: "3-5-2"), steps (names separated by "|"), notes. `--csv` also takes a file in the
original project's format (columns input_data/output_data or prompt/chosen): the prompt is used
as written (or, with --rewrap, its request in this project's prompt wording), the second column is
the reference, and the table adds the original score.
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from testing.requests_scoring import DEFAULT_CSV, KINDS, load_requests, report, score_request, table


def make_generator(checkpoint: str, grammar: bool, threads: int | None, read: bool = True,
                   free_layout: bool = False) -> Any:
    """A trainer.generation.generate.Generator; --no-grammar also works with a Generator that predates grammar."""
    from trainer.generation.generate import Generator

    params = inspect.signature(Generator).parameters
    if "free_layout" in params:
        return Generator(checkpoint, threads=threads, grammar=grammar, read=read, free_layout=free_layout)
    if free_layout:
        raise SystemExit("this trainer.generation.generate.Generator has no free_layout= argument")
    if "read" in params:
        return Generator(checkpoint, threads=threads, grammar=grammar, read=read)
    if not read:
        raise SystemExit("this trainer.generation.generate.Generator does not read requests yet: rerun without --no-read")
    if "grammar" in params:
        return Generator(checkpoint, threads=threads, grammar=grammar)
    if grammar:
        raise SystemExit("this trainer.generation.generate.Generator has no grammar= argument yet "
                         "(grammar-constrained decoding not installed): rerun with --no-grammar")
    return Generator(checkpoint, threads=threads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("--csv", default=DEFAULT_CSV, help=f"requests (default {DEFAULT_CSV})")
    parser.add_argument("-k", type=int, default=4, help="candidates per request (default 4)")
    parser.add_argument("-n", type=int, default=None, help="only the first n requests (after --kind)")
    parser.add_argument("--rewrap", action="store_true", help="original-format CSV: put each request "
                        "into this project's prompt wording instead of using the prompt as written")
    parser.add_argument("--kind", choices=KINDS, default=None, help="only requests of this kind")
    parser.add_argument("--no-grammar", action="store_true", help="plain sampling, no grammar constraint")
    parser.add_argument("--no-read", action="store_true", help="leave every request's structure to the "
                        "model (no plan read from the request)")
    parser.add_argument("--free-layout", action="store_true", help="the model samples every coordinate "
                        "(no style line + layout engine), for comparison")
    parser.add_argument("--seed", type=int, default=0, help="request i samples with seed+i (default 0)")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-p", type=float, default=0.95)
    parser.add_argument("--threads", type=int, default=None, help="torch threads while generating "
                        "(default: the Generator's choice, 1 for small models on CPU)")
    parser.add_argument("--json", default=None, help="write the summaries and per-request records here")
    parser.add_argument("--show", type=int, default=0, help="print the first candidate of the first N requests")
    args = parser.parse_args(argv)

    requests = load_requests(args.csv, rewrap=args.rewrap)
    if args.kind:
        requests = [r for r in requests if r.kind == args.kind]
    requests = requests[: args.n] if args.n else requests
    if not requests:
        raise SystemExit("no requests to run")
    started = time.perf_counter()
    generator = make_generator(args.checkpoint, not args.no_grammar, args.threads, read=not args.no_read,
                               free_layout=args.free_layout)
    load_seconds = time.perf_counter() - started
    generator.generate(requests[0].prompt, k=args.k, seed=-1)  # warm-up: first-call allocations
    records = []
    for i, req in enumerate(tqdm(requests, desc="requests", unit="req")):
        cands = generator.generate(req.prompt, k=args.k, temperature=args.temperature, top_p=args.top_p,
                                   seed=args.seed + i)
        records.append(score_request(req, cands))
        if i < args.show:
            print(f"--- {req.id} ({req.kind}): {req.request!r}\n{cands[0].text}\n")
    summaries = report(records)
    print(f"checkpoint {args.checkpoint} ({getattr(generator, 'n_parameters', 0) / 1e6:.2f} M parameters), "
          f"load {load_seconds:.1f} s, grammar {'off' if args.no_grammar else 'on'}, "
          f"request reading {'off' if args.no_read else 'on'}, "
          f"layout {'free' if args.free_layout else 'engine'}, k={args.k}, "
          f"csv {args.csv}, seed {args.seed}, temperature {args.temperature}, top_p {args.top_p}")
    print(table(summaries))
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"args": vars(args), "summaries": summaries, "records": records}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
