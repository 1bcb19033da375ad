"""Layout engine methods compared: tidy rate, readability and time per layout on random plans.

    python -m benchmarks.bench_engine [--n 60] [--seed 0]

Draws `--n` random plans (dense nets, CNN-like chains, steps with branches and loops) in random
styles with `dot`, the rank grid and `auto`, and prints per method and plan kind the tidy count,
mean readability and mean milliseconds per layout (this chose `auto`: grid for dense nets and
chains, dot for the rest; see docs/internals.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from diagram.engine import layout
from diagram.metrics import readability, tidy
from diagram.plan import Plan
from diagram.style import random_style


def random_plans(n: int, rng: random.Random) -> list[Plan]:
    plans = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.4:
            plans.append(Plan.dense([rng.randint(1, 10) for _ in range(rng.randint(2, 5))]))
        elif kind < 0.6:
            plans.append(Plan.chain([f"Conv {j}x{j}" for j in range(rng.randint(2, 9))]))
        else:
            ranks = [[f"Step {r}-{j} thing" for j in range(rng.choice([1, 1, 2, 3]))]
                     for r in range(rng.randint(2, 7))]
            n_nodes = sum(len(r) for r in ranks)
            loops = ((n_nodes - 1, 0),) if rng.random() < 0.4 else ()
            plans.append(Plan.steps(ranks, loops))
    return plans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    plans = random_plans(args.n, rng)
    styles = [random_style(rng) for _ in plans]
    print("| method | kind | plans | tidy | readability | ms per layout |")
    print("|---|---|---:|---:|---:|---:|")
    for method in ("dot", "grid", "auto"):
        rows: dict[str, list[tuple[bool, float, float]]] = {}
        for plan, style in zip(plans, styles):
            started = time.perf_counter()
            d = layout(plan.nodes(), style, method)
            ms = (time.perf_counter() - started) * 1000
            rows.setdefault(plan.kind, []).append((tidy(d).ok, readability(d).score, ms))
        for kind, vals in sorted(rows.items()):
            print(f"| {method} | {kind} | {len(vals)} | {sum(v[0] for v in vals)} | "
                  f"{statistics.fmean(v[1] for v in vals):.3f} | {statistics.fmean(v[2] for v in vals):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
