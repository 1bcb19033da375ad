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

from benchmarks.bench_requests import load_requests, step_found
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


# ---- adversarial inputs (issue 19): runs that once made the reader's patterns backtrack -----------

ADVERSARIAL_UNITS = [" ", "\t", "\n", " \n", ",", " ,", ", ", ";", ".", ". ", "-", "->", " -> ", "=>", ">",
                     " > ", "→", "1", "12", "1 ", "1,", "1, ", "1-", "1 -> ", "1x", "a", "a ", "ab ", "a, ",
                     "a.", "(", ")", "()", "(a) ", "[", "[1, ", "x_1, ", "_", "=", ":", "?", "'", "é",
                     "and ", "then ", "hidden ", "layer ", "layers of ", "3 inputs ", "input ", "output ",
                     "nodes ", "feeds ", "back to ", "loops back to ", "with ", "as input ", "please ",
                     "nn.Linear(1, ", "Dense(", "conv ", "if ", "yes ", "go to step 2 ", "- a\n", "1. a\n",
                     "from a to ", "a to b via ", "with a as input ", "x that, with a as input ", "feeds a ",
                     "a which ", "then a, ", "first ", ": a, ", "step 1: a\n", "a (b) ", "(a, b) ", "a | ",
                     "a + ", "x > 1 ", "x_1 ", "fc1 ", "a? ", "if a then b else c ", "repeat until ", "a -- ",
                     "Conv2D(32, (3, 3)) ", "| a | 1 | ", "x that, with a as input, and b as output ",
                     "with a as input, and b as output ", "a that with b as input and ", "Kafka ", "Amazon S3 ",
                     "LoginToWebsite. ", "If a, GoHome. Otherwise, Kafka again. ", "AbAbAbAb ", "AbCdEf"]
ADVERSARIAL_PREFIXES = ["", "a", "MLP ", "pipeline: ", "Draw a ", "process that consists of first, "]
ADVERSARIAL_SUFFIXES = ["", "x", " loops back to a", " (loop)", ", thanks!", " 2 outputs"]


def adversarial_requests(limit: int = 2_000, prefixes: Sequence[str] = ADVERSARIAL_PREFIXES,
                         suffixes: Sequence[str] = ADVERSARIAL_SUFFIXES) -> list[str]:
    """Every unit repeated to `limit` characters, in every prefix/suffix context."""
    out = []
    for unit in ADVERSARIAL_UNITS:
        for prefix in prefixes:
            for suffix in suffixes:
                room = limit - len(prefix) - len(suffix)
                out.append(prefix + unit * (room // len(unit)) + suffix)
    return out


FUZZ_TOKENS = ["MLP", "net", "network", "neural", "pipeline", "process", "flow", "draw", "a", "an", "the",
               "with", "and", "then", "first", "finally", "of", "in", "out", "to", "from", "via", "as",
               "input", "inputs", "output", "outputs", "hidden", "layer", "layers", "nodes", "neurons",
               "units", "each", "size", "feeds", "goes to", "loops back to", "back to", "(loop)", "if",
               "yes", "no", "step", "repeat until", "go to step 2", "Kafka", "Flink", "nn.Linear(", "Dense(",
               "Conv2D(", "conv", "pool", "x_1", "fc1", "one", "two", "three", "twelve", "please", "thanks",
               "0", "1", "3", "12", "13", "128", "784", "99999999", "99999999999999999999", "-", "->", "→",
               ">", "=>", ",", ";", ":", ".", "?", "!", "(", ")", "[", "]", "+", "|", "&", "/", "=", "_",
               "'", '"', "\\", "#", "…", "é", "\t", "\n", "\n- ", "\n1. ", " ", "  "]


def fuzz_requests(n: int, seed: int = 19) -> list[str]:
    """`n` random requests of 1-60 tokens from FUZZ_TOKENS (seeded): words, numbers, arrows, marks."""
    import random
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        tokens = rng.choices(FUZZ_TOKENS, k=rng.randint(1, 60))
        out.append("".join(t + (" " if rng.random() < 0.6 else "") for t in tokens))
    return out


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
