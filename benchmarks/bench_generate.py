"""Candidate generation speed of a checkpoint: latency of k candidates per prompt, tokens/s, memory.

Run: .venv/bin/python -m benchmarks.bench_generate [--checkpoint checkpoints/tiny-sft] [-n 20] [-k 4]
     [--threads 1] [--temperature 0.8] [--grammar on|off|both] [--prompts-file requests.txt]

Samples k candidates for each of the first n held-out prompts (one warm-up call first) and prints
p50/p95 seconds per prompt (all k candidates), generated tokens per second, the share of
candidates that stopped on EOS and parsed, model load time and the process's peak RSS.
Target for the tiny default model on the 2-core CPU: 4 candidates in <= 3 s (p50).

`--grammar both` (the default) runs every prompt with grammar-constrained decoding on and off,
alternating which goes first so load from other processes hits both alike, and prints the
overhead: milliseconds per generated token with the grammar over without it (the grammar also
changes what is sampled, so whole-prompt latency compares answers of different lengths; both are
printed), and the share of the grammar-on generation time spent inside the grammar's logits
processor (the cost itself, unaffected by what other processes do to the wall clock).
Target: <= 20% overhead per candidate.
"""

from __future__ import annotations

import argparse
import time

from diagram import build_prompt, extract_request
from trainer.core.datasets_io import load_prompt_pool
from trainer.generation.evaluate import peak_rss_mb, percentile
from trainer.generation.generate import Generator
from trainer.generation.grammar import GrammarLogitsProcessor


def time_grammar_processor() -> list[float]:
    """Wrap the grammar processor so each call adds its seconds to the returned list (this run only)."""
    spent: list[float] = []
    call = GrammarLogitsProcessor.__call__

    def timed(self, input_ids, scores):
        started = time.perf_counter()
        try:
            return call(self, input_ids, scores)
        finally:
            spent.append(time.perf_counter() - started)

    GrammarLogitsProcessor.__call__ = timed
    return spent


class Tally:
    """Latencies and counts of one setting."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.tokens = self.eos = self.valid = self.n = 0

    def add(self, cands) -> None:
        self.latencies.append(cands[0].seconds)
        self.tokens += sum(c.n_tokens for c in cands)
        self.eos += sum(c.stopped_on_eos for c in cands)
        self.valid += sum(c.parse.ok for c in cands)
        self.n += len(cands)

    def ms_per_token(self) -> float:
        return 1000 * sum(self.latencies) / max(1, self.tokens)

    def report(self, name: str, k: int) -> None:
        print(f"[{name}] latency p50 {percentile(self.latencies, 50):.2f} s, p95 "
              f"{percentile(self.latencies, 95):.2f} s (all {k} candidates of one prompt)")
        print(f"[{name}] tokens/s {self.tokens / sum(self.latencies):.0f} ({self.ms_per_token():.2f} ms/token, "
              f"{self.tokens / self.n:.0f} tokens per candidate)")
        print(f"[{name}] EOS stop / valid  {self.eos / self.n:.1%} / {self.valid / self.n:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("--pool", default="data/orpo_prompts.csv")
    parser.add_argument("-n", type=int, default=20, help="prompts (default 20)")
    parser.add_argument("-k", type=int, default=4, help="candidates per prompt (default 4)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads while generating "
                        "(default: the Generator's choice, 1 for small models on CPU)")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--grammar", choices=("on", "off", "both"), default="both",
                        help="grammar-constrained decoding on, off, or both compared (default both)")
    parser.add_argument("--prompts-file", help="free-form requests, one per line, instead of the pool")
    args = parser.parse_args()

    started = time.perf_counter()
    generator = Generator(args.checkpoint, threads=args.threads, grammar=False)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    generator.answer_grammar()  # compiled on first use
    compile_seconds = time.perf_counter() - started
    if args.prompts_file:
        lines = open(args.prompts_file, encoding="utf-8").read().splitlines()
        prompts = [build_prompt(extract_request(line)) for line in lines if line.strip()][: args.n]
    else:
        prompts = list(load_prompt_pool(args.pool, split="heldout")["prompt"])[: args.n]
    settings = {"on": [True], "off": [False], "both": [True, False]}[args.grammar]
    in_grammar = time_grammar_processor()
    tallies = {g: Tally() for g in settings}
    for g in settings:  # warm-up: first-call allocations
        generator.generate(prompts[0], k=args.k, seed=-1, grammar=g)
    in_grammar.clear()
    for i, prompt in enumerate(prompts):
        for g in settings if i % 2 == 0 else settings[::-1]:
            tallies[g].add(generator.generate(prompt, k=args.k, temperature=args.temperature, seed=i, grammar=g))
    print(f"checkpoint        {args.checkpoint} ({generator.n_parameters / 1e6:.2f} M parameters, "
          f"{generator.device}, threads={generator.threads or 'default'})")
    print(f"load              {load_seconds:.2f} s (grammar compile {compile_seconds * 1000:.0f} ms, "
          f"vocabulary {len(generator.tokenizer)})")
    print(f"prompts x k       {len(prompts)} x {args.k}")
    for g in settings:
        tallies[g].report("grammar on" if g else "grammar off", args.k)
    if True in tallies:
        on = tallies[True]
        print(f"grammar processor {sum(in_grammar) / sum(on.latencies):.1%} of grammar-on generation time "
              f"({1000 * sum(in_grammar) / len(in_grammar):.2f} ms per step of {args.k} rows)")
    if len(settings) == 2:
        on, off = tallies[True], tallies[False]
        print(f"grammar overhead  {on.ms_per_token() / off.ms_per_token() - 1:+.1%} per token, "
              f"{percentile(on.latencies, 50) / percentile(off.latencies, 50) - 1:+.1%} p50 latency")
    print(f"peak RSS          {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
