"""A real check of the taste verdict: a simulated user labels, ORPO trains, the verdict reads it.

    .venv/bin/python -m benchmarks.check_verdict --profile blue --screens 60 --eval-n 10 --eval-k 4
        [--checkpoint checkpoints/tiny-sft] [--out benchmarks/out/verdict] [--epochs 3] [--threads 1]

1. `--checkpoint` samples K=4 candidates for `--screens` label prompts of the pool;
2. bench_uptake's profile (bench_taste's person: full ranking, 15% of screens backwards) judges them;
3. ORPO (`trainer.training.orpo`, default settings but `--epochs`) trains on every pair they imply (scheme
   "all", one screen weighing as much as any other) and writes its verdict, which now carries the
   style of every candidate both models sampled on `--eval-n` held-out prompts (`--eval-k` each);
4. `trainer.core.taste` fits the user's taste on the judgments and reads the manifest
   (`manifest_verdict`): what the Train tab shows. Printed, with the profile's own match rate on the
   same samples (the ground truth the verdict should agree with).

Sampled candidates and the trained checkpoint are kept under `--out` (a rerun reuses them).
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import time
from pathlib import Path
from typing import Any, Callable

from benchmarks.bench_taste import errs, judge, write_pairs
from benchmarks.bench_uptake import PROFILES, _cache_key, sample


def simulated_screens(args: argparse.Namespace, generator: Callable[[], Any]) -> list[tuple[dict, Any]]:
    """(pool row, judgment) of every screen the profile's user did not find all alike; the
    candidates come from the cache under `args.out` when there (`generator()` is called otherwise)."""
    from trainer.core.datasets_io import load_prompt_pool

    profile = {p.name: p for p in PROFILES}[args.profile]
    out = args.out / args.profile
    out.mkdir(parents=True, exist_ok=True)
    pool = load_prompt_pool(args.prompts, "label").to_dict("records")
    random.Random(args.seed).shuffle(pool)
    rows = pool[: args.screens]
    cache = out / f"candidates-label-{_cache_key(args.checkpoint, rows, 4, args.seed)}.jsonl"
    cands = sample(None if cache.exists() else generator(), args.checkpoint, rows, 4, args.seed, out, "label")
    judged = []
    for s, (row, cs) in enumerate(zip(rows, cands)):
        j = judge(profile, row["prompt"], cs, full=True, wrong=errs(args.seed, profile.name, s, args.error_rate),
                  annotator="sim")
        if j is not None:
            judged.append((row, j))
    return judged


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=Path("checkpoints/tiny-sft"))
    parser.add_argument("--prompts", default="data/orpo_prompts.csv")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/verdict"))
    parser.add_argument("--profile", default="blue", choices=[p.name for p in PROFILES if p.target])
    parser.add_argument("--screens", type=int, default=60)
    parser.add_argument("--error-rate", type=float, default=0.15)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--eval-n", type=int, default=10)
    parser.add_argument("--eval-k", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)

    import torch

    from trainer.core.checkpoint import read_manifest
    from trainer.generation.generate import Generator
    from trainer.core.preference_trainers import TRAINERS
    from trainer.core.taste import fit_taste
    from trainer.core.taste_verdict import manifest_verdict

    torch.set_num_threads(args.threads)
    out = args.out / args.profile
    started = time.monotonic()
    judged = simulated_screens(args, lambda: Generator(args.checkpoint, threads=args.threads))
    print(f"{len(judged)} of {args.screens} screens judged ({time.monotonic() - started:.0f} s)", flush=True)
    data = out / "pairs.csv"
    n_pairs = write_pairs(data, None, judged, "all")
    spec = TRAINERS["orpo"]
    model_dir = out / "orpo"
    config = spec.config(checkpoint=str(args.checkpoint), data=str(data), out=str(model_dir), epochs=args.epochs,
                         eval_n=args.eval_n, eval_k=args.eval_k, seed=args.seed, threads=args.threads,
                         prompts=args.prompts)
    if not (model_dir / "manifest.json").exists():
        t0 = time.monotonic()
        getattr(importlib.import_module(spec.module), f"train_{spec.name}")(config)
        print(f"trained on {n_pairs} pairs in {time.monotonic() - t0:.0f} s", flush=True)
    manifest = read_manifest(model_dir)
    taste = fit_taste([j for _, j in judged])
    verdict = manifest_verdict(taste, manifest, old_name=args.checkpoint.name, new_name=f"orpo-{args.profile}")
    sides = manifest["verdict"]
    truth = {}
    for side in ("previous", "new"):
        # the profile's own score on the same sampled candidates is not stored (only styles), so the
        # ground truth is the style feature the profile scores: blue share, direction, shapes
        styles = sides[side]["sampling"]["styles"]
        index = {"blue": 5, "left_to_right": 0, "rounded": 7}[args.profile]
        cut = {"blue": 0.5, "left_to_right": 0.5 + 0.5 * 0.5 ** 0.5, "rounded": 0.999}[args.profile]
        truth[side] = sum(1 for s in styles if s is not None and s[index] > cut) / max(1, len(styles))
    report = {"profile": args.profile, "screens": len(judged), "pairs": n_pairs, "taste": taste.summary(),
              "verdict": verdict.text, "direction": verdict.direction,
              "profile_match_previous": truth["previous"], "profile_match_new": truth["new"],
              "seconds": round(time.monotonic() - started)}
    (out / "check.json").write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
