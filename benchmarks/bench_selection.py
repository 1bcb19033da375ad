"""Active candidate selection: what it costs per screen and what the shown candidates look like.

    python -m benchmarks.bench_selection                           # tiny-sft, 12 prompts, K = 4
    python -m benchmarks.bench_selection -n 20 --oversample 1.5 2  # active with M = 6 and M = 8
    python -m benchmarks.bench_selection --checkpoint checkpoints/orpo-1   # + log-prob margins

Loads `--checkpoint` as the app does (`trainer.generation.sources.open_source`: grammar and request reading
on) inside an `AppContext` over a temp copy of the prompt pool, then for `-n` prompts (offered by
`labeling.next_prompt`) runs `labeling.generate` once per mode with the same seed: plain (the
first K samples) and active with each `--oversample` (M = ceil(oversample x K) sampled, K shown).
That is the Label tab's /next minus HTTP and the page update. Modes take turns per prompt, so a
busy CPU slows them alike. Prints per mode: latency p50 / p95 / mean, candidates shown valid, the
mean pairwise style distance of the shown K (trainer.core.selection.style_distance: 0 = one style, the
quantity active selection maximises), how many distinct flow directions (left-to-right, top-down,
...) a screen shows, and for each simulated taste of bench_uptake (left_to_right, blue, rounded)
the share of screens that contrast it (at least one valid candidate the user likes and one it does
not: only such a screen teaches that taste); plus the time of `next_prompt` with and without
covering thin kinds. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from dataclasses import replace
from itertools import combinations
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def direction(features: tuple[float, ...]) -> str:
    dx, dy = features[0] - 0.5, features[1] - 0.5
    if abs(dx) < 0.2 and abs(dy) < 0.2:
        return "none"
    if abs(dx) >= abs(dy):
        return "left-to-right" if dx > 0 else "right-to-left"
    return "top-down" if dy > 0 else "bottom-up"


def screen_stats(state) -> tuple:
    """(share valid, mean pairwise style distance, distinct directions, {taste: contrasted}) of the
    shown candidates."""
    from testing.users import PROFILES
    from diagram import parse
    from trainer.core.selection import style_distance, style_features

    parses = [parse(c.text) for c in state.candidates]
    valid = [p.diagram for p in parses if p.ok and p.diagram.nodes]
    feats = [style_features(d) for d in valid]
    pairs = list(combinations(feats, 2))
    spread = sum(style_distance(a, b) for a, b in pairs) / len(pairs) if pairs else 0.0
    contrast = {p.name: len({p.score(d) >= p.threshold for d in valid}) == 2 for p in PROFILES if p.target}
    return (sum(c.ok for c in state.candidates) / len(state.candidates), spread,
            len({direction(f) for f in feats}), contrast)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=REPO / "checkpoints" / "tiny-sft")
    parser.add_argument("--pool", type=Path, default=REPO / "data" / "orpo_prompts.csv")
    parser.add_argument("-n", type=int, default=12, help="prompts (default 12)")
    parser.add_argument("-k", type=int, default=4, help="candidates shown (default 4)")
    parser.add_argument("--oversample", type=float, nargs="+", default=[2.0],
                        help="active modes to time: M = ceil(OVERSAMPLE x K) (default 2)")
    parser.add_argument("--temperature", type=float, default=0.8)
    args = parser.parse_args()

    from labeler import labeling as L
    from labeler.context import AppContext

    tmp = Path(tempfile.mkdtemp(prefix="bench-selection-"))
    (tmp / "data").mkdir()
    shutil.copy(args.pool, tmp / "data" / "orpo_prompts.csv")
    (tmp / "ckpt").mkdir()
    checkpoint = tmp / "ckpt" / args.checkpoint.name
    checkpoint.symlink_to(args.checkpoint.resolve())
    started = time.perf_counter()
    ctx = AppContext.create(data_dir=tmp / "data", checkpoints_dir=tmp / "ckpt", checkpoint=checkpoint)
    context_seconds = time.perf_counter() - started
    try:
        started = time.perf_counter()
        ctx.models.generator()
        load_seconds = time.perf_counter() - started
        modes = {"plain": L.Sampling(k=args.k, temperature=args.temperature, selection="plain")}
        for factor in args.oversample:
            s = L.Sampling(k=args.k, temperature=args.temperature, oversample=factor)
            modes[f"active M={s.m}"] = s
        rng, state = random.Random(0), L.LabelState()
        prompt_seconds: dict[bool, list[float]] = {True: [], False: []}
        latencies: dict[str, list[float]] = {m: [] for m in modes}
        stats: dict[str, list[tuple[float, float, int]]] = {m: [] for m in modes}
        notes: dict[str, set[str]] = {m: set() for m in modes}
        L.generate(ctx, L.next_prompt(ctx, state, rng), modes["plain"])  # warm-up
        for i in range(args.n):
            for cover in (True, False):
                started = time.perf_counter()
                offered = L.next_prompt(ctx, state, random.Random(i), cover=cover)
                prompt_seconds[cover].append(time.perf_counter() - started)
            state = offered
            names = list(modes)
            names = names[i % len(names):] + names[: i % len(names)]
            for name in names:
                started = time.perf_counter()
                shown = L.generate(ctx, state, replace(modes[name], seed=i))
                latencies[name].append(time.perf_counter() - started)
                stats[name].append(screen_stats(shown))
                notes[name].add(shown.selected)
        print(f"checkpoint   {args.checkpoint} ({ctx.models.stage(checkpoint)}), context {context_seconds:.2f} s "
              f"(prompt kinds of {len(ctx.pool)} pool rows read), model load {load_seconds:.2f} s")
        print(f"prompts      {args.n}, K = {args.k}, temperature {args.temperature}")
        for cover, values in prompt_seconds.items():
            print(f"next_prompt  {'covering thin kinds' if cover else 'plain random'}: "
                  f"p50 {1000 * statistics.median(values):.1f} ms")
        base = statistics.mean(latencies["plain"])
        for name in modes:
            values, rows = latencies[name], stats[name]
            print(f"{name:<12} generate p50 {quantile(values, 0.5):.2f} s, p95 {quantile(values, 0.95):.2f} s, "
                  f"mean {statistics.mean(values):.2f} s ({statistics.mean(values) / base:.2f}x plain); "
                  f"shown valid {statistics.mean(r[0] for r in rows):.0%}, style spread "
                  f"{statistics.mean(r[1] for r in rows):.3f}, directions per screen "
                  f"{statistics.mean(r[2] for r in rows):.2f} [{', '.join(sorted(notes[name]))}]")
            print(f"{'':<12} screens contrasting a taste: " + ", ".join(
                f"{taste} {statistics.mean(r[3][taste] for r in rows):.0%}" for taste in rows[0][3]))
    finally:
        ctx.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
