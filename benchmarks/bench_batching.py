"""Raw generate time: N pool prompts x K candidates one after another vs. all at once through BatchingSource.

    python -m benchmarks.bench_batching [--checkpoint checkpoints/tiny-sft] [-n 10] [-k 4]

Runs once with the answer grammar and once without; prints wall seconds, sampled tokens, the
longest row (a batch decodes until its longest row ends) and the requests per model call. It
times `trainer.generation.generate.Generator.generate` against `trainer.generation.batching.BatchingSource`, without the
web app (benchmarks/bench_labeler.py --next-sessions measures the app's /next). No asserts.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run(checkpoint: str, prompts: list[str], k: int, grammar: bool) -> str:
    from trainer.generation.batching import BatchingSource
    from trainer.generation.generate import Generator

    gen = Generator(checkpoint, grammar=grammar)
    gen.generate(prompts[0], k=k, seed=0)  # warm-up
    started = time.perf_counter()
    tokens = sum(c.n_tokens for i, p in enumerate(prompts) for c in gen.generate(p, k=k, seed=i))
    one_by_one = time.perf_counter() - started
    source = BatchingSource(gen, window_s=0.2)
    out: dict[int, list] = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, source.generate(prompts[i], k=k, seed=i)))
               for i in range(len(prompts))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batched = time.perf_counter() - started
    source.close()
    rows = [c for cands in out.values() for c in cands]
    return (f"grammar={grammar}: {len(prompts)} prompts x k={k} one after another {one_by_one:.1f} s "
            f"({tokens} tokens); batched {batched:.1f} s ({sum(c.n_tokens for c in rows)} tokens, "
            f"longest row {max(c.n_tokens for c in rows)}, requests per call {source.batches})")


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(REPO / "checkpoints" / "tiny-sft"))
    parser.add_argument("--pool", default=str(REPO / "data" / "orpo_prompts.csv"))
    parser.add_argument("-n", type=int, default=10, help="prompts (concurrent requests)")
    parser.add_argument("-k", type=int, default=4, help="candidates per prompt")
    args = parser.parse_args(argv)
    pool = pd.read_csv(args.pool)
    prompts = list(pool[pool["split"] == "label"]["prompt"][: args.n])
    for grammar in (True, False):
        print(run(args.checkpoint, prompts, args.k, grammar), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
