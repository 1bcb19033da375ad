"""Time per iterative round (`diagramlab round`) on the tiny checkpoint: two rounds in a row.

    .venv/bin/python -m benchmarks.bench_round [--judgments 25] [--trainer orpo] [--checkpoint checkpoints/tiny-sft]

Pairs are realistic: prompts and reference drawings of the prompt pool's label split
(data/orpo_prompts.csv), chosen = the reference, rejected = the same drawing with every shape
swapped and the fills darkened (a simulated user who prefers the reference style); one pair per
judgment. Round 1 starts from a copy of the checkpoint with `--judgments` judgments stored; then
`--judgments` more are stored and round 2 starts from round 1's output (it trains only on those).
The trainer's defaults apply (3 epochs, batch 4), as the labeler's auto-retrain runs it.
Prints one markdown table: seconds per round (training and scoring together), the pairs trained
on and held out, the verdict, and the load average (the CPU is shared: timings are upper bounds).

Measured (2-core CPU shared with other jobs, load average 8-11, defaults: 25 judgments per round,
ORPO, 15 steps each): round 1 (18 pairs trained, 7 held out) 222 s, round 2 (20 new pairs, 12
held out) 149 s; 2 min 53 s of user CPU time for both rounds together. The held-out accuracy is
100% before and after here (this simulated rejected style is one tiny-sft already dislikes), so
the margin decided: activate.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from trainer.core.csv_store import PreferenceStore
from trainer.core.datasets_io import load_prompt_pool
from trainer.loop.round_config import round_args
from trainer.loop.rounds import train_round

_SHAPES = {"'circle'": "'rectangle'", "'rectangle'": "'round rectangle'", "'round rectangle'": "'circle'"}


def rejected_of(reference: str) -> str:
    """The reference with each shape swapped and fills darkened: a style the user dislikes."""
    text = re.sub("|".join(map(re.escape, _SHAPES)), lambda m: _SHAPES[m.group(0)], reference)
    return re.sub(r"\((\d+), (\d+), (\d+)\)", lambda m: "({}, {}, {})".format(*(int(v) // 2 for v in m.groups())),
                  text, count=0)


def add_judgments(store: PreferenceStore, rows: list[dict], start: int, n: int) -> None:
    for row in rows[start:start + n]:
        store.append(prompt=row["prompt"], chosen=row["reference"], rejected=rejected_of(row["reference"]),
                     category=row["category"], source="simulated", annotator="bench")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("--prompts", default="data/orpo_prompts.csv")
    parser.add_argument("--judgments", type=int, default=25, help="judgments per round")
    parser.add_argument("--trainer", default="orpo")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    rows = load_prompt_pool(args.prompts, split="label").to_dict("records")
    lines = ["| round | trainer | new pairs | held-out pairs | seconds | accuracy before -> after | activate | load avg |",
             "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="bench-round-") as tmp:
        root = Path(tmp)
        start = root / "ckpts" / "start"
        shutil.copytree(args.checkpoint, start)
        store = PreferenceStore(root / "prefs.csv")
        for number in (1, 2):
            add_judgments(store, rows, (number - 1) * args.judgments, args.judgments)
            out = root / "ckpts" / f"round-{number}"
            began = time.perf_counter()
            _, verdict = train_round(round_args(args.trainer, checkpoint=str(start), data=str(store.path),
                                                out=str(out), threads=args.threads))
            seconds = time.perf_counter() - began
            load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
            acc = lambda v: "-" if v is None else f"{100 * v:.0f}%"  # noqa: E731
            lines.append(f"| {number} | {args.trainer} | {verdict['new_pairs']} | {verdict['heldout_pairs']} | "
                         f"{seconds:.1f} | {acc(verdict['accuracy_before'])} -> {acc(verdict['accuracy_after'])} | "
                         f"{verdict['activate']} | {load} |")
            start = out
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
