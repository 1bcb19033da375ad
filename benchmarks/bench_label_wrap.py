"""How many labels the renderer draws whole on the outside corpora's flow plans, wrapping long labels
(`diagram.render.wrap_label`) against drawing every label on one line (`fit_labels(wrap=False)`, the
renderer before labels could wrap), at the canvas size and at a card's 2x label size.

The plans are the reader's for the spent parts' pipeline and process rows that have a label over
ONE_LINE_CHARS, laid out by the engine in the default style. Run:

    python -m benchmarks.bench_label_wrap
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from diagram import parse
from diagram.engine import LayoutEngine
from diagram.reader import read_request
from diagram.render import FONT_SIZE, ONE_LINE_CHARS, fit_labels
from diagram.style import Style

PARTS = ("dev", "blind", "blind2", "blind3", "blind4", "blind5", "blind6")  # spent parts only
OUTSIDE = Path(__file__).resolve().parent / "outside"


def main() -> None:
    engine = LayoutEngine()
    diagrams = []
    for part in PARTS:
        with open(OUTSIDE / f"{part}.csv", newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["kind"] not in ("pipeline", "process"):
                    continue
                plan = read_request(row["request"])
                if plan is None or plan.kind != "steps" or not any(len(x) > ONE_LINE_CHARS for x in plan.labels):
                    continue
                diagrams.append(parse(engine.answer(plan, Style())).diagram)
    labels = sum(len(d.nodes) for d in diagrams)
    long = sum(len(n.label or "") > ONE_LINE_CHARS for d in diagrams for n in d.nodes)
    print(f"{len(diagrams)} flow plans with a label over {ONE_LINE_CHARS} characters ({PARTS[0]}..{PARTS[-1]}), "
          f"{labels} labels, {long} of them long; default style")
    print("| label size | drawing | labels drawn whole | long labels drawn whole | fit_labels CPU s |")
    print("|---|---|---|---|---|")
    for scale in (1.0, 2.0):
        for wrap in (False, True):
            whole = whole_long = 0
            started = time.process_time()
            for d in diagrams:
                for drawn, node in zip(fit_labels(d, FONT_SIZE * scale, wrap=wrap), d.nodes):
                    ok = drawn.replace("\n", " ") == node.label
                    whole += ok
                    whole_long += ok and len(node.label) > ONE_LINE_CHARS
            spent = time.process_time() - started
            print(f"| {scale:g}x | {'wrapped' if wrap else 'one line'} | {whole} ({whole / labels:.0%}) | "
                  f"{whole_long} ({whole_long / max(long, 1):.0%}) | {spent:.2f} |")


if __name__ == "__main__":
    main()
