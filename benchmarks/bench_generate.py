"""Candidate generation speed of a checkpoint: latency of k candidates per prompt, tokens/s, memory.

Run: .venv/bin/python -m benchmarks.bench_generate [--checkpoint checkpoints/tiny-sft] [-n 20] [-k 4]
     [--threads 1] [--temperature 0.8]

Samples k candidates for each of the first n held-out prompts (one warm-up call first) and prints
p50/p95 seconds per prompt (all k candidates), generated tokens per second, the share of
candidates that stopped on EOS and parsed, model load time and the process's peak RSS.
Target for the tiny default model on the 2-core CPU: 4 candidates in <= 3 s (p50).
"""

from __future__ import annotations

import argparse
import time

from trainer.datasets_io import load_prompt_pool
from trainer.evaluate import peak_rss_mb, percentile
from trainer.generate import Generator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("--pool", default="data/orpo_prompts.csv")
    parser.add_argument("-n", type=int, default=20, help="prompts (default 20)")
    parser.add_argument("-k", type=int, default=4, help="candidates per prompt (default 4)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads while generating "
                        "(default: the Generator's choice, 1 for small models on CPU)")
    parser.add_argument("--temperature", type=float, default=0.8)
    args = parser.parse_args()

    started = time.perf_counter()
    generator = Generator(args.checkpoint, threads=args.threads)
    load_seconds = time.perf_counter() - started
    prompts = list(load_prompt_pool(args.pool, split="heldout")["prompt"])[: args.n]
    generator.generate(prompts[0], k=args.k, seed=-1)  # warm-up: first-call allocations
    latencies, tokens, eos, valid = [], 0, 0, 0
    for i, prompt in enumerate(prompts):
        cands = generator.generate(prompt, k=args.k, temperature=args.temperature, seed=i)
        latencies.append(cands[0].seconds)
        tokens += sum(c.n_tokens for c in cands)
        eos += sum(c.stopped_on_eos for c in cands)
        valid += sum(c.parse.ok for c in cands)
    n_cands = len(prompts) * args.k
    print(f"checkpoint        {args.checkpoint} ({generator.n_parameters / 1e6:.2f} M parameters, "
          f"{generator.device}, threads={generator.threads or 'default'})")
    print(f"load              {load_seconds:.2f} s")
    print(f"prompts x k       {len(prompts)} x {args.k}")
    print(f"latency p50       {percentile(latencies, 50):.2f} s  (all {args.k} candidates of one prompt)")
    print(f"latency p95       {percentile(latencies, 95):.2f} s")
    print(f"tokens/s          {tokens / sum(latencies):.0f}  ({tokens / n_cands:.0f} tokens per candidate)")
    print(f"EOS stop / valid  {eos / n_cands:.1%} / {valid / n_cands:.1%}")
    print(f"peak RSS          {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
