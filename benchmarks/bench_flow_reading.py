"""How often the reader reads the generator's flowchart requests as exactly the reference's structure.

The requests of `trainer.data.structures.flow_request` ("A pipeline which reads text, then stores it
in a DB, then sends the result to a process step and a chart, ...") in the pool
(data/orpo_prompts.csv) and the SFT set (data/sft_dataset_llm.csv): for each, the reference's
structure is derived from its answer's node lines (ranks by longest path over the targets, the
edge list) and compared with the read plan's (`Plan.nodes()`): nodes per rank and edges; the last
line also asks for the reference's labels.

    python -m benchmarks.bench_flow_reading [--show 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import re

from diagram.prompt import extract_request
from diagram.reader import read_request

FILES = (("data/orpo_prompts.csv", "request", "reference"), ("data/sft_dataset_llm.csv", "input_data", "output_data"))
TYPES = frozenset(("numeric", "text", "picture", "db", "chart", "function", "process", "model"))
TEMPLATES = re.compile(r"(process that |A pipeline which |Flowchart: |Pipeline: |Workflow diagram where the system )")
_NODE = re.compile(r"^\[(\d+), .*\[([\d, ]*)\], '(.*)'\]\s*$")


def reference_labels(answer: str) -> tuple[str, ...]:
    return tuple(m.group(3) for m in (_NODE.match(line.strip()) for line in answer.splitlines()) if m)


def reference_structure(answer: str) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """(nodes per rank, sorted edges) of an answer's node lines; ranks by longest path from a source."""
    targets: dict[int, list[int]] = {}
    for line in answer.splitlines():
        m = _NODE.match(line.strip())
        if m:
            targets[int(m.group(1))] = [int(t) for t in m.group(2).split(",") if t.strip()]
    rank = {n: 0 for n in targets}
    for n in sorted(targets):  # ids are in rank order: every forward edge goes to a larger id
        for t in targets[n]:
            if t > n:
                rank[t] = max(rank.get(t, 0), rank[n] + 1)
    sizes = [0] * (max(rank.values()) + 1 if rank else 0)
    for r in rank.values():
        sizes[r] += 1
    edges = tuple(sorted((n, t) for n, ts in targets.items() for t in ts))
    return tuple(sizes), edges


def plan_structure(plan) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    return plan.drawn_sizes, tuple(sorted((n.id, t) for n in plan.nodes() for t in n.targets))


def flow_rows():
    """(file, request, reference answer) of every row whose request is a flow_request template (not the
    named-component template "process that consists of first, ...")."""
    for path, req_col, ans_col in FILES:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                info = json.loads(row["dest_shape_info"])
                request = row[req_col] if req_col == "request" else extract_request(row[req_col])
                if info.get("task_name") == "flowchart" and set(info.get("shape_types", ())) <= TYPES \
                        and TEMPLATES.search(request) and "process that consists of" not in request:
                    yield path, request, row[ans_col]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", type=int, default=5, help="misread requests to print")
    args = parser.parse_args()
    totals: dict[str, list[int]] = {}
    labelled = 0
    by_template: dict[str, list[int]] = {}
    misread = []
    for path, request, answer in flow_rows():
        plan = read_request(request)
        ok = plan is not None and plan_structure(plan) == reference_structure(answer)
        labelled += ok and plan.labels == reference_labels(answer)
        template = TEMPLATES.search(request).group(1).strip()
        for table, key in ((totals, path), (by_template, template)):
            table.setdefault(key, [0, 0])
            table[key][0] += ok
            table[key][1] += 1
        if not ok:
            misread.append((request, plan.line() if plan else None, reference_structure(answer)[0]))
    print("| rows | n | exact structure |\n|---|---|---|")
    for table in (totals, by_template):
        for key, (good, n) in table.items():
            print(f"| {key} | {n} | {good / n:.1%} ({good}) |")
    good = sum(g for g, _ in totals.values())
    n = sum(m for _, m in totals.values())
    print(f"| all | {n} | {good / max(n, 1):.1%} ({good}) |")
    print(f"\nexact structure and the reference's labels: {labelled / max(n, 1):.1%} ({labelled} of {n})")
    for request, line, sizes in misread[:args.show]:
        print(f"\n{request}\n  read: {line}\n  reference sizes: {sizes}")


if __name__ == "__main__":
    main()
