"""Reader-only figures (no model): how many hand-written requests `diagram.reader.read_request`
reads as the structure their row states.

    .venv/bin/python -m benchmarks.bench_reader [CSV ...]

Dense rows: the plan's layer sizes equal the row's `layers` exactly. Flow rows with steps: the
share of named steps found among the plan's labels (`bench_requests.step_found`), and how many
rows were read at all. CNN rows: how many were read as a chain of blocks. Defaults to every
benchmarks/requests_heldout*.csv.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from testing.adversarial import fuzz_requests
from testing.requests_scoring import load_requests, step_found
from diagram.reader import read_request

ROOT = Path(__file__).resolve().parent.parent


def measure(path: Path) -> dict[str, float]:
    rows = load_requests(path)
    out = {"dense": 0, "dense_exact": 0, "flow": 0, "flow_read": 0, "steps": 0, "steps_found": 0,
           "cnn": 0, "cnn_read": 0, "cpu_s": 0.0}
    started = time.process_time()
    for row in rows:
        plan = read_request(row.request)
        if row.kind == "dense":
            out["dense"] += 1
            out["dense_exact"] += plan is not None and plan.kind == "dense" and plan.sizes == row.layers
        elif row.kind == "cnn":
            out["cnn"] += 1
            out["cnn_read"] += plan is not None and plan.kind == "chain"
        else:
            out["flow"] += 1
            out["flow_read"] += plan is not None and plan.kind != "dense"
            labels = plan.labels if plan is not None else ()
            out["steps"] += len(row.steps)
            out["steps_found"] += sum(step_found(s, labels) for s in row.steps)
    out["cpu_s"] = time.process_time() - started
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", nargs="*", help="held-out CSVs (default: benchmarks/requests_heldout*.csv)")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.csv] or sorted(ROOT.glob("benchmarks/requests_heldout*.csv"))
    for path in paths:
        m = measure(path)
        pct = (lambda a, b: f"{100 * a / b:.0f}%" if b else "-")
        print(f"{path.name}: dense exact {m['dense_exact']}/{m['dense']} ({pct(m['dense_exact'], m['dense'])}), "
              f"flows read {m['flow_read']}/{m['flow']}, steps found {m['steps_found']}/{m['steps']} "
              f"({pct(m['steps_found'], m['steps'])}), cnn read as blocks {m['cnn_read']}/{m['cnn']}; "
              f"{m['cpu_s']:.2f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def fuzz(n: int, seed: int = 19) -> dict[str, object]:
    """read_request over `n` fuzz requests: exceptions, and plans whose line does not parse back
    to the same plan (or the same line)."""
    from diagram.plan import fits, parse_plan_line
    counts: dict[str, object] = {"inputs": n, "read": 0, "exceptions": 0, "round_trip_differences": 0,
                                 "too_big": 0, "examples": []}
    for text in fuzz_requests(n, seed):
        try:
            plan = read_request(text)
        except Exception as exc:  # counted: the figure is how many there are
            counts["exceptions"] += 1
            counts["examples"].append((text, repr(exc)))
            continue
        if plan is None:
            continue
        counts["read"] += 1
        counts["too_big"] += not fits(plan)
        back = parse_plan_line(plan.line())
        if back != plan or back.line() != plan.line():
            counts["round_trip_differences"] += 1
            counts["examples"].append((text, plan.line()))
    return counts
