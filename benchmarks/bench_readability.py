"""Where readability is lost: the engine's drawings of real request sets, per factor, kind and style.

    python -m benchmarks.bench_readability [--styles 4] [--seed 0] [--sets pool,1,2,3,4] [--method auto]
    python -m benchmarks.bench_readability --checkpoint checkpoints/tiny-sft [-k 4]

Reads every request of the pool's held-out split (`data/orpo_prompts.csv`) and of the hand-written
sets (`benchmarks/requests_heldout*.csv`) with the reader (`diagram.reader.read_request`; requests
it leaves to the model, CNNs mostly, are counted and skipped), lays each plan out with the layout
engine under `--styles` styles drawn as the SFT data draws them (`diagram.style.random_style`,
the distribution the model learned to sample) and splits the mean readability
(`diagram.metrics.readability`: spacing / (1 + overlaps) / (1 + off canvas) / (1 + crossings/4))
into its factors, per set (and the four hand-written sets together) and request kind, then per
style field value (all sets). Beside it the reference
layouts: the pool's own reference answers, and for the hand-written sets `diagram.layouts` (dense
nets and flowcharts of named steps, the layouts the SFT answers used before the
engine). With `--checkpoint` it instead samples K candidates per prompt of the pool's held-out
split as `diagramlab eval` does (seed 0 + row, grammar on, requests read) and sets each row's mean
candidate readability beside its reference answer's, per row group (read by the reader or left to
the model; plan kind): where the candidates' mean falls short of the references', and why.
"excess" is the mean number of crossings beyond `unavoidable_crossings(plan)` (0: the layout
adds none). "thru" is the mean count of (edge, node) pairs where a straight edge runs through a box
it does not connect (`diagram.metrics.edges_through_nodes`, not in the score), "thru>0" the share
of drawings with any. "gap<10" is the share of drawings whose smallest box gap is under COMFORTABLE_GAP.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
from collections import defaultdict
from pathlib import Path

from diagram import Diagram, parse
from diagram.engine import LayoutEngine
from diagram.layouts import DenseNet, Flowchart, layout_dl_model, layout_flowchart
from diagram.layouts import Style as ReferenceStyle
from diagram.metrics import COMFORTABLE_GAP, edges_through_nodes, readability, tidy
from diagram.plan import DENSE, STEPS, Plan
from diagram.reader import read_request
from diagram.style import random_style

SETS = {"1": "benchmarks/requests_heldout.csv", "2": "benchmarks/requests_heldout2.csv",
        "3": "benchmarks/requests_heldout3.csv", "4": "benchmarks/requests_heldout4.csv"}
POOL = "data/orpo_prompts.csv"
FACTORS = ("score", "spacing", "overlap", "off", "cross", "excess", "gap<10", "tidy", "thru", "thru>0")


def factors(d: Diagram) -> dict[str, float]:
    r = readability(d)
    through = edges_through_nodes(d)
    spacing = 1.0 if r.min_gap is None else 0.5 + 0.5 * min(r.min_gap, COMFORTABLE_GAP) / COMFORTABLE_GAP
    return {"score": r.score, "spacing": spacing, "overlap": 1 / (1 + r.overlaps),
            "off": 1 / (1 + r.off_canvas), "cross": 1 / (1 + r.crossings / 4),
            "gap<10": float(r.min_gap is not None and r.min_gap < COMFORTABLE_GAP),
            "tidy": float(tidy(d).ok), "thru": float(through), "thru>0": float(through > 0),
            "crossings": float(r.crossings)}


def unavoidable_crossings(plan: Plan) -> int:
    """Crossings every straight-line drawing with each rank on one line has: consecutive ranks of
    a and b nodes are fully connected, and each pair of sources and pair of targets cross once
    (parallel lanes, `Plan.lanes`, need not cross)."""
    sizes = plan.drawn_sizes
    return sum(math.comb(a, 2) * math.comb(b, 2) for r, (a, b) in enumerate(zip(sizes, sizes[1:]))
               if r not in plan.lanes)


def load_set(name: str) -> list[tuple[str, str, Plan | None, str]]:
    """(kind, request, plan or None, reference answer text or '') per request of one set."""
    rows = []
    if name == "pool":
        with open(POOL, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["split"] != "heldout":
                    continue
                plan = read_request(row["request"])
                kind = plan.kind if plan is not None else "unread"
                rows.append((kind, row["request"], plan, row["reference"]))
        return rows
    with open(SETS[name], newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            rows.append((row["kind"], row["request"], read_request(row["request"]), ""))
    return rows


def reference_layout(plan: Plan, style: ReferenceStyle):
    """`diagram.layouts`' drawing of a plan, where it draws that structure (else None)."""
    if plan.kind == DENSE:
        return layout_dl_model(DenseNet(plan.drawn_sizes), style)
    if plan.kind == STEPS:
        ids = [[sum(plan.drawn_sizes[:r]) + j for j in range(len(rank))] for r, rank in enumerate(plan.ranks)]
        edges = tuple((n.id, t) for n in plan.nodes() for t in n.targets)
        chart = Flowchart(tuple("process" for _ in plan.labels), tuple(tuple(r) for r in ids), edges,
                          plan.labels)
        return layout_flowchart(chart, style, labels=True)
    return None


def candidates_vs_references(checkpoint: str, k: int) -> None:
    from trainer.generation.generate import Generator  # torch: only for this mode

    generator = Generator(checkpoint, threads=1)
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    rows = []
    with open(POOL, newline="", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["split"] == "heldout"]
    for i, row in enumerate(rows):
        plan = read_request(row["request"])
        group = plan.kind if plan is not None else "left to the model"
        cands = generator.generate(row["prompt"], k=k, seed=i)
        scores = [readability(c.parse.diagram).score for c in cands if c.parse.ok]
        ref = readability(parse(row["reference"]).diagram).score
        if scores:
            for key in (group, "all"):
                groups[key].append((statistics.fmean(scores), ref))
            if statistics.fmean(scores) < ref - 1e-9:
                print(f"  row {i} ({group}): candidates {statistics.fmean(scores):.3f} < reference "
                      f"{ref:.3f}: {row['request'][:90]!r}")
    print("\n| rows | n | candidates' readability | references' readability |")
    print("|---|---:|---:|---:|")
    for key, pairs in sorted(groups.items()):
        print(f"| {key} | {len(pairs)} | {statistics.fmean(p[0] for p in pairs):.3f} | "
              f"{statistics.fmean(p[1] for p in pairs):.3f} |")


def mean_row(values: list[dict[str, float]]) -> str:
    return " | ".join(f"{statistics.fmean(v[k] for v in values):.3f}" if values else "" for k in FACTORS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--styles", type=int, default=4, help="styles per plan (random_style)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sets", default="pool,1,2,3,4")
    parser.add_argument("--method", default="auto", choices=("auto", "dot", "grid"))
    parser.add_argument("--checkpoint", help="compare the model's candidates with the references")
    parser.add_argument("-k", type=int, default=4)
    parser.add_argument("--worst", type=int, default=15, help="lowest-scoring non-dense drawings to list")
    args = parser.parse_args(argv)
    if args.checkpoint:
        candidates_vs_references(args.checkpoint, args.k)
        return 0
    rng = random.Random(args.seed)
    engine = LayoutEngine(method=args.method)
    by_kind: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    refs: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    by_field: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    by_field_kind: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    skipped: dict[str, int] = defaultdict(int)
    worst: list[tuple[float, str, str, str, str]] = []
    for name in args.sets.split(","):
        for kind, request, plan, reference in load_set(name):
            if plan is None:
                skipped[name] += 1
                continue
            for _ in range(args.styles):
                style = random_style(rng)
                d = engine.layout(plan, style)
                row = factors(d)
                row["excess"] = row["crossings"] - unavoidable_crossings(plan)
                for key in (name, "hand-written") if name != "pool" else (name,):
                    by_kind[(key, kind)].append(row)
                    by_kind[(key, "*")].append(row)
                for field in ("direction", "gap", "size", "shapes"):
                    by_field[(field, str(getattr(style, field)))].append(row)
                    by_field_kind[(field, str(getattr(style, field)), kind)].append(row)
                worst.append((row["score"], kind, name, request[:60], f"{style.direction} gap {style.gap} "
                              f"{style.size} {style.shapes}"))
            ref = None
            if reference:
                ref = parse(reference).diagram
            else:
                direction = rng.choice(("left_to_right", "top_to_bottom"))
                ref = reference_layout(plan, ReferenceStyle(direction=direction,
                                                            scale=rng.choice((0.85, 1.0, 1.15))))
            if ref is not None and ref.nodes:
                row = factors(ref)
                row["excess"] = row["crossings"] - unavoidable_crossings(plan)
                for key in (name, "hand-written") if name != "pool" else (name,):
                    refs[(key, kind)].append(row)
                    refs[(key, "*")].append(row)
    print(f"skipped (not read, left to the model): {dict(skipped)}")
    print(f"\n| set | kind | drawings | {' | '.join(FACTORS)} | reference n | ref score | ref spacing | "
          "ref cross | ref thru |")
    print("|---|---|---:|" + "---:|" * len(FACTORS) + "---:|---:|---:|---:|---:|")
    for (name, kind), rows in sorted(by_kind.items()):
        ref = refs.get((name, kind), [])
        ref_cells = (f"{len(ref)} | {statistics.fmean(r['score'] for r in ref):.3f} | "
                     f"{statistics.fmean(r['spacing'] for r in ref):.3f} | "
                     f"{statistics.fmean(r['cross'] for r in ref):.3f} | "
                     f"{statistics.fmean(r['thru'] for r in ref):.3f}") if ref else "0 | | | |"
        print(f"| {name} | {kind} | {len(rows)} | {mean_row(rows)} | {ref_cells} |")
    print(f"\n| style field | value | drawings | {' | '.join(FACTORS)} |")
    print("|---|---|---:|" + "---:|" * len(FACTORS))
    for (field, value), rows in sorted(by_field.items()):
        print(f"| {field} | {value} | {len(rows)} | {mean_row(rows)} |")
    print(f"\n| style field | value | kind | drawings | {' | '.join(FACTORS)} |")
    print("|---|---|---|---:|" + "---:|" * len(FACTORS))
    for (field, value, kind), rows in sorted(by_field_kind.items()):
        if field in ("gap", "size"):
            print(f"| {field} | {value} | {kind} | {len(rows)} | {mean_row(rows)} |")
    print("\nlowest non-dense scores:")
    for score, kind, name, request, style in sorted(w for w in worst if w[1] != "dense")[:args.worst]:
        print(f"  {score:.3f} {kind} set {name} {style} {request!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
