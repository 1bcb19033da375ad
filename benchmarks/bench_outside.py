"""How the reader and the model cope with requests written by people outside the project (issue 21).

Run: python -m benchmarks.bench_outside --part dev|blind|blind2 [--checkpoint checkpoints/tiny-sft -k 4]
         [--reader-only] [-n 50] [--seed 0] [--threads 1] [--json out.json]
         [--reader-url URL [--reader-model NAME] [--reader-timeout S]]

The corpora are `benchmarks/outside/{dev,blind,blind2}.csv` (see benchmarks/outside/README.md): sentences,
tables and pasted code taken as written from public material, each with the structure the text
fixes. The BLIND parts (blind: release 1, blind2: release 2) are measured once per release, before any
change made after looking at them; never tune or train on them.

Reader (always; `--reader-only` stops there): `diagram.reader.read_request` on each request (with
`--reader-url`, a served model instead, `trainer.generation.http_reader.ServedReader`, the rules as its
fallback, for the reader figures and the model's plans alike; each record's `read_by` says who read it).
- read: a plan came back at all
- right plan: the plan has the right structure (dense exact, CNN ok, or every named step with the
  decision and loop the text has): what a candidate drawn from the plan needs to be usable (on blind4
  the model's usable matched it on 162 of 171 rows)
- dense exact: the plan line states exactly the expected layer sizes ("# layers 784-128-10"; a
  size the text does not fix, written `*` in the corpus, matches any size). Wide layers count only
  when every layer's true size is written in the plan line. `parsed` beside it: `read_dense` got
  the sizes even if the plan was then refused (too big to draw).
- cnn blocks: the expected blocks (Conv KxK N, Pool KxK, Flatten, Dense N) found in the requested
  order among the plan's labels (a block matches a label naming its type, e.g. "conv"/"pool"/
  "dense|fc|linear|fully|output"/"flatten", and every number the block states: kernel "5x5",
  filters or units "16"); `blocks` = share of blocks found in order, `cnn ok` = all of them.
- steps: share of a request's named steps found as labels. A step counts when all its words
  (lower case, camelCase split, punctuation dropped, a few stop words such as "the"/"and" aside)
  are in ONE label, inflections aside (plural, -ed, -ing: "claim is received" finds "Receive claim";
  rule since release 3, decided before blind3 was measured; modal verbs should/must/will/can/may...
  are stop words since release 4, decided before blind5 was collected: "the manager must approve"
  finds "Manager approves") (a step of stop words only, the task "A", when a label is exactly it), so "Apache Kafka" is found in "Kafka (Apache)" but "data" alone never finds
  "Data Ingestion". Mean over requests with named steps.
- decision: requests whose text has a decision (if/else, either/or, choice) whose plan has a
  branch (a node pointing to two or more nodes); loop: requests whose text has a loop back whose
  plan has a loop edge.
- edges: share of the edges the corpus fixes (A>B) found as a plan edge between matching labels.

Model (unless `--reader-only`): `trainer.generation.generate.Generator`, K candidates per request with the
app's defaults (temperature 0.8, top-p 0.95, grammar and reader on), request i seeded `seed + i`.
A candidate has the right structure when it is valid (parses, >= 1 node) and
- dense: the drawing is exactly the layered net of the expected sizes (every node of a layer to
  every node of the next and nowhere else); for wide nets (a layer over 12, drawn as schematics
  or not at all today) the candidate's plan line states every expected size in order;
- cnn: all expected blocks appear in order among the drawn labels (node id order);
- pipeline/process: every named step is found as a label, a branch is drawn if the text has a
  decision and a back edge if it has a loop (rows with none of these only need a valid drawing).
`tidy`: `diagram.metrics.tidy` (issue 20: no overlaps, on the 1000x600 canvas, layered along x or
y with at most longest-path + 1 lines, forward edges one way). `usable`: share of requests with at
least one candidate that has the right structure AND is tidy. A request longer than the model's
context that the reader reads nothing from gets no candidates (counted as not usable, reported as
`too long`); one it reads is drawn from its plan, the model's prompt holding the request cut to fit.

Prints markdown tables per kind and writes JSON (summary and one record per request) with --json.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.outside.build import KINDS, PARTS, load
from diagram import Diagram, build_prompt
from diagram.plan import MAX_LAYER_NODES, Plan
from diagram.reader import read_request
from diagram.reader_dense import read_dense

FLOW_KINDS = ("pipeline", "process")
STOP_WORDS = frozenset("a an the and or of to in on for with by from into at as its it is are was were be been being "
                       "should must will shall can could would may might".split())
_PLAN_SIZES = re.compile(r"#\s*layers\s+(\d+(?:\s*-\s*\d+)+)\s*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script: "réclamation", "체크인", "审批"
_KERNEL = re.compile(r"(\d+)\s*[x×*]\s*(\d+)")
BLOCK_TYPES = {
    "conv": re.compile(r"conv|c\d\b"),
    "pool": re.compile(r"pool|subsampl|s\d\b"),
    "dense": re.compile(r"dense|\bfc\d*\b|linear|fully|output|hidden|classifier|softmax"),
    "flatten": re.compile(r"flatten"),
}


# ---- matching (pure) ---------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lower-case word tokens of a label or step: camelCase split, punctuation dropped, stop words out."""
    spaced = _CAMEL.sub(" ", text or "")
    return [w for w in _WORD.findall(spaced.lower()) if w not in STOP_WORDS]


def stem(word: str) -> str:
    """A word without its inflection, so "claim is received" finds "Receive claim": plural -s/-es/-ies,
    -ed, -ing and a final -e dropped (a crude stemmer; stems shorter than 3 letters keep the word)."""
    for suffix, tail in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) + len(tail) >= 3:
            word = word[: len(word) - len(suffix)] + tail
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def step_in_labels(step: str, labels: Iterable[str]) -> bool:
    """A named step is found when all its words are in one label (not by one shared word), an
    inflection aside ("claim is received" ~ "Receive claim"). A step that is nothing but stop words
    (a task named "A") is found only in a label that is exactly it ("A", not "Write a report")."""
    want = {stem(w) for w in words(step)}
    if not want:
        exact = " ".join(_WORD.findall((step or "").lower()))
        return bool(exact) and any(" ".join(_WORD.findall((label or "").lower())) == exact
                                   for label in labels)
    return bool(want) and any(want <= {stem(w) for w in words(label)} for label in labels)


def parse_layers(text: str) -> tuple[int | None, ...]:
    """'784-128-*' -> (784, 128, None)."""
    return tuple(None if part.strip() == "*" else int(part) for part in text.split("-"))


def sizes_match(expected: Sequence[int | None], got: Sequence[int] | None) -> bool:
    return got is not None and len(got) == len(expected) and all(e is None or e == g for e, g in zip(expected, got))


def plan_line_sizes(line: str) -> tuple[int, ...] | None:
    """The layer sizes a '# layers 784-128-10' line states, or None."""
    match = _PLAN_SIZES.match((line or "").strip())
    return tuple(int(s) for s in match.group(1).split("-")) if match else None


@dataclass(frozen=True)
class Block:
    type: str                  # conv | pool | dense | flatten
    kernel: str | None = None  # "5x5"
    units: int | None = None   # filters or units


def parse_blocks(text: str) -> list[Block]:
    """'Conv 5x5 6 > Pool 2x2 > Dense 10' -> blocks (the corpus notation, see the README)."""
    out = []
    for part in (p.strip() for p in text.split(">")):
        if not part:
            continue
        head, *rest = part.split()
        kind = head.lower()
        if kind not in BLOCK_TYPES:
            raise ValueError(f"unknown block {part!r}")
        kernel = next((r for r in rest if _KERNEL.fullmatch(r)), None)
        units = next((int(r) for r in rest if r.isdigit()), None)
        out.append(Block(kind, kernel, units))
    return out


def block_matches(block: Block, label: str) -> bool:
    low = (label or "").lower()
    if not BLOCK_TYPES[block.type].search(low):
        return False
    if block.kernel:
        a, b = _KERNEL.fullmatch(block.kernel).groups()  # type: ignore[union-attr]
        if not any(m.groups() == (a, b) for m in _KERNEL.finditer(low)) and not (a == b and re.search(rf"\b{a}\b", low)):
            return False
    if block.units is not None:
        numbers = set(re.findall(r"\d+", _KERNEL.sub(" ", low)))
        if str(block.units) not in numbers:
            return False
    return True


def blocks_in_order(blocks: Sequence[Block], labels: Sequence[str]) -> int:
    """How many of `blocks` are found as an in-order subsequence of `labels` (greedy)."""
    found, start = 0, 0
    for block in blocks:
        for i in range(start, len(labels)):
            if block_matches(block, labels[i]):
                found, start = found + 1, i + 1
                break
    return found


def parse_edges(text: str) -> list[tuple[str, str]]:
    return [tuple(p.strip() for p in e.split(">", 1)) for e in text.split(";") if ">" in e]  # type: ignore[misc]


def edges_found(edges: Sequence[tuple[str, str]], labels: dict[int, str], links: Iterable[tuple[int, int]]) -> int:
    links = list(links)
    return sum(any(step_in_labels(a, [labels.get(s, "")]) and step_in_labels(b, [labels.get(t, "")])
                   for s, t in links) for a, b in edges)


# ---- graphs: plans and drawings ----------------------------------------------------------------

def plan_graph(plan: Plan) -> tuple[dict[int, str], list[tuple[int, int]], set[tuple[int, int]]]:
    """(labels by id, all edges, loop edges) of a plan."""
    nodes = plan.nodes()
    loops = set(plan.loops)
    return ({n.id: n.label for n in nodes}, [(n.id, t) for n in nodes for t in n.targets], loops)


def diagram_graph(diagram: Diagram) -> tuple[dict[int, str], list[tuple[int, int]], set[tuple[int, int]]]:
    from diagram.metrics import back_edges
    return ({n.id: n.label or "" for n in diagram.nodes}, list(dict.fromkeys(diagram.edges())), back_edges(diagram))


def has_branch(edges: Iterable[tuple[int, int]], back: set[tuple[int, int]]) -> bool:
    """A decision drawn: some node points to two or more nodes (back edges aside)."""
    out: dict[int, set[int]] = defaultdict(set)
    for s, t in edges:
        if (s, t) not in back and s != t:
            out[s].add(t)
    return any(len(ts) >= 2 for ts in out.values())


def drawn_layers(diagram: Diagram) -> tuple[int, ...] | None:
    """Layer sizes when the drawing is exactly a complete layered net (peeling sources), else None."""
    ids = [n.id for n in diagram.nodes]
    edges = set(diagram.edges())
    if len(set(ids)) != len(ids) or len(edges) != sum(len(n.targets) for n in diagram.nodes):
        return None
    remaining, groups = set(ids), []
    while remaining:
        has_parent = {t for s, t in edges if s in remaining and t in remaining}
        group = remaining - has_parent
        if not group:
            return None
        groups.append(group)
        remaining -= group
    wanted = {(s, t) for a, b in zip(groups, groups[1:]) for s in a for t in b}
    return tuple(len(g) for g in groups) if edges == wanted and len(groups) >= 2 else None


# ---- scoring -----------------------------------------------------------------------------------

def structure_checks(row: dict[str, str], labels: dict[int, str], edges: list[tuple[int, int]],
                     back: set[tuple[int, int]]) -> dict[str, Any]:
    """Blocks / steps / decision / loop / edges checks of one graph (a plan or a drawing) for a flow or CNN row."""
    ordered = [labels[i] for i in sorted(labels)]
    out: dict[str, Any] = {}
    if row["kind"] == "cnn":
        blocks = parse_blocks(row["blocks"])
        found = blocks_in_order(blocks, ordered)
        out.update(blocks_found=found, blocks_total=len(blocks), cnn_ok=found == len(blocks))
    elif row["kind"] in FLOW_KINDS:
        steps = [s.strip() for s in row["steps"].split(";") if s.strip()]
        found = sum(step_in_labels(s, ordered) for s in steps)
        out.update(steps_found=found, steps_total=len(steps))
        if row["decision"] == "1":
            out["decision_drawn"] = has_branch(edges, back)
        if row["loop"] == "1":
            out["loop_drawn"] = bool(back)
        want_edges = parse_edges(row["edges"])
        if want_edges:
            out.update(edges_found=edges_found(want_edges, labels, edges), edges_total=len(want_edges))
    return out


def read_row(row: dict[str, str], read=read_request) -> dict[str, Any]:
    """What the reader makes of one request (no model); `read`: the reader (`--reader-url`)."""
    rec: dict[str, Any] = {"id": row["id"], "kind": row["kind"]}
    try:
        plan = read(row["request"])
    except Exception as exc:  # noqa: BLE001 - a reader crash on outside text is a finding, not a stop
        rec.update(read=False, error=f"{type(exc).__name__}: {exc}")
        return rec
    rec["read"] = plan is not None
    rec["plan"] = plan.line() if plan is not None else ""
    if row["kind"] == "dense":
        expected = parse_layers(row["layers"])
        rec["dense_exact"] = plan is not None and sizes_match(expected, plan_line_sizes(plan.line()))
        try:
            parsed = read_dense(row["request"])
        except Exception:  # noqa: BLE001
            parsed = None
        rec["dense_parsed"] = sizes_match(expected, tuple(parsed) if parsed else None)
        rec["wide"] = any(s is not None and s > MAX_LAYER_NODES for s in expected)
    elif plan is not None:
        rec.update(structure_checks(row, *plan_graph(plan)))
    else:
        rec.update(structure_checks(row, {}, [], set()))
    rec["plan_ok"] = plan_right(row["kind"], rec)
    return rec


def plan_right(kind: str, rec: dict[str, Any]) -> bool:
    """The reader's plan has the right structure (what a candidate drawn from it needs to be usable):
    dense exact, CNN blocks in order, or every named step with the decision and loop the text has."""
    if kind == "dense":
        return bool(rec.get("dense_exact"))
    if kind == "cnn":
        return bool(rec.get("cnn_ok"))
    return (rec.get("steps_found") == rec.get("steps_total") and rec.get("decision_drawn", True) is not False
            and rec.get("loop_drawn", True) is not False and bool(rec.get("read")))


def candidate_ok(row: dict[str, str], cand: Any) -> dict[str, Any]:
    """Right structure and tidy for one candidate (an object with .text and .parse)."""
    from diagram.metrics import tidy

    ok = cand.parse.ok
    diagram = cand.parse.diagram
    out: dict[str, Any] = {"valid": ok, "tidy": bool(ok and tidy(diagram).ok)}
    if not ok:
        out["structure"] = False
        return out
    if row["kind"] == "dense":
        expected = parse_layers(row["layers"])
        if any(s is not None and s > MAX_LAYER_NODES for s in expected):
            first = cand.text.strip().splitlines()[0] if cand.text.strip() else ""
            out["structure"] = sizes_match(expected, plan_line_sizes(first))
        else:
            out["structure"] = sizes_match(expected, drawn_layers(diagram))
        return out
    checks = structure_checks(row, *diagram_graph(diagram))
    out.update(checks)
    if row["kind"] == "cnn":
        out["structure"] = checks["cnn_ok"]
    else:
        out["structure"] = (checks["steps_found"] == checks["steps_total"]
                            and checks.get("decision_drawn", True) and checks.get("loop_drawn", True))
    return out


def model_row(row: dict[str, str], generator: Any, k: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        cands = generator.generate(build_prompt(row["request"]), k=k, temperature=0.8, top_p=0.95, seed=seed)
    except ValueError as exc:  # the prompt is longer than the model's context
        return {"candidates": 0, "too_long": True, "error": str(exc), "usable": False,
                "seconds": time.perf_counter() - started}
    checks = [candidate_ok(row, c) for c in cands]
    usable = any(c["valid"] and c["structure"] and c["tidy"] for c in checks)
    rec: dict[str, Any] = {"candidates": len(cands), "too_long": False, "usable": usable,
                           "valid": sum(c["valid"] for c in checks), "tidy": sum(c["tidy"] for c in checks),
                           "structure": sum(c["structure"] for c in checks),
                           "seconds": time.perf_counter() - started}
    for key in ("steps_found", "steps_total", "blocks_found", "blocks_total"):
        if any(key in c for c in checks):
            rec[f"best_{key}"] = max(c.get(key, 0) for c in checks)
    for key in ("decision_drawn", "loop_drawn"):
        if any(key in c for c in checks):
            rec[key] = sum(bool(c.get(key)) for c in checks)
    return rec


# ---- summaries ---------------------------------------------------------------------------------

def _share(num: float, den: float) -> float | None:
    return num / den if den else None


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per kind and overall: reader shares and (when measured) model shares."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        groups[rec["kind"]].append(rec)
        groups["all"].append(rec)
    out: dict[str, dict[str, Any]] = {}
    for kind in (*KINDS, "all"):
        recs = groups.get(kind, [])
        if not recs:
            continue
        s: dict[str, Any] = {"requests": len(recs), "read": _share(sum(r["read"] for r in recs), len(recs)),
                             "plan_ok": _share(sum(r.get("plan_ok", False) for r in recs), len(recs))}
        dense = [r for r in recs if r["kind"] == "dense"]
        if dense:
            s["dense_exact"] = _share(sum(r["dense_exact"] for r in dense), len(dense))
            s["dense_parsed"] = _share(sum(r["dense_parsed"] for r in dense), len(dense))
            wide = [r for r in dense if r["wide"]]
            s["wide"] = len(wide)
            s["wide_exact"] = _share(sum(r["dense_exact"] for r in wide), len(wide))
        cnn = [r for r in recs if r["kind"] == "cnn"]
        if cnn:
            s["cnn_ok"] = _share(sum(r["cnn_ok"] for r in cnn), len(cnn))
            s["blocks"] = _share(sum(r["blocks_found"] for r in cnn), sum(r["blocks_total"] for r in cnn))
        stepped = [r for r in recs if r.get("steps_total")]
        if stepped:
            s["steps"] = sum(r["steps_found"] / r["steps_total"] for r in stepped) / len(stepped)
        for key in ("decision_drawn", "loop_drawn"):
            has = [r for r in recs if key in r]
            if has:
                s[key] = _share(sum(r[key] for r in has), len(has))
                s[key + "_n"] = len(has)
        edged = [r for r in recs if r.get("edges_total")]
        if edged:
            s["edges"] = _share(sum(r["edges_found"] for r in edged), sum(r["edges_total"] for r in edged))
        model = [r["model"] for r in recs if "model" in r]
        if model:
            cands = sum(m["candidates"] for m in model)
            s["usable"] = _share(sum(m["usable"] for m in model), len(model))
            s["too_long"] = sum(m["too_long"] for m in model)
            s["m_valid"] = _share(sum(m.get("valid", 0) for m in model), cands)
            s["m_structure"] = _share(sum(m.get("structure", 0) for m in model), cands)
            s["m_tidy"] = _share(sum(m.get("tidy", 0) for m in model), cands)
            s["m_any_structure"] = _share(sum(m.get("structure", 0) > 0 for m in model), len(model))
            stepped = [m for m in model if m.get("best_steps_total")]
            if stepped:
                s["m_steps"] = sum(m["best_steps_found"] / m["best_steps_total"] for m in stepped) / len(stepped)
            blocked = [m for m in model if m.get("best_blocks_total")]
            if blocked:
                s["m_blocks"] = sum(m["best_blocks_found"] / m["best_blocks_total"] for m in blocked) / len(blocked)
            for key in ("decision_drawn", "loop_drawn"):
                has = [m for m in model if key in m]
                if has:
                    s["m_" + key] = _share(sum(m[key] > 0 for m in has), len(has))
            secs = sorted(m["seconds"] for m in model)
            s["p50_s"] = secs[len(secs) // 2]
        out[kind] = s
    return out


def _pct(value: Any) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def table(summary: dict[str, dict[str, Any]], model: bool) -> str:
    """Markdown tables: the reader's, then (with model numbers) the model's."""
    head = ("| kind | requests | read | dense exact (parsed) | wide exact | CNN blocks in order (blocks) "
            "| steps found | decision | loop | edges | right plan |")
    lines = [head, "|---" * 11 + "|"]
    for kind, s in summary.items():
        dense = f"{_pct(s.get('dense_exact'))} ({_pct(s.get('dense_parsed'))})" if "dense_exact" in s else "—"
        wide = f"{_pct(s.get('wide_exact'))} of {s['wide']}" if s.get("wide") else "—"
        cnn = f"{_pct(s.get('cnn_ok'))} ({_pct(s.get('blocks'))})" if "cnn_ok" in s else "—"
        dec = f"{_pct(s.get('decision_drawn'))} of {s['decision_drawn_n']}" if "decision_drawn" in s else "—"
        loop = f"{_pct(s.get('loop_drawn'))} of {s['loop_drawn_n']}" if "loop_drawn" in s else "—"
        lines.append(f"| {kind} | {s['requests']} | {_pct(s['read'])} | {dense} | {wide} | {cnn} "
                     f"| {_pct(s.get('steps'))} | {dec} | {loop} | {_pct(s.get('edges'))} | {_pct(s.get('plan_ok'))} |")
    if model:
        lines += ["", "| kind | requests | usable (structure + tidy) | any right structure | valid | "
                  "structure | tidy | steps (best cand.) | CNN blocks (best) | decision drawn | loop drawn "
                  "| too long | p50 s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for kind, s in summary.items():
            if "usable" not in s:
                continue
            lines.append(
                f"| {kind} | {s['requests']} | {_pct(s['usable'])} | {_pct(s['m_any_structure'])} "
                f"| {_pct(s['m_valid'])} | {_pct(s['m_structure'])} | {_pct(s['m_tidy'])} "
                f"| {_pct(s.get('m_steps'))} | {_pct(s.get('m_blocks'))} | {_pct(s.get('m_decision_drawn'))} "
                f"| {_pct(s.get('m_loop_drawn'))} | {s['too_long']} | {s['p50_s']:.2f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=PARTS, required=True)
    parser.add_argument("--checkpoint", default="checkpoints/tiny-sft")
    parser.add_argument("-k", type=int, default=4)
    parser.add_argument("--reader-only", action="store_true", help="measure the reader only (no model)")
    parser.add_argument("-n", type=int, default=None, help="only the first n rows (a subset: say so)")
    parser.add_argument("--sample", type=int, default=None,
                        help="only the n rows with the smallest ids (ids are hashes: a fixed pseudo-random "
                             "subset, the same on every run; say so when reporting)")
    parser.add_argument("--kind", choices=KINDS, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--reader-url", default=None, metavar="URL",
                        help="read the requests with this OpenAI-compatible server's model instead of the rules")
    parser.add_argument("--reader-model", default=None, metavar="NAME")
    parser.add_argument("--reader-timeout", type=float, default=60.0, metavar="S")
    args = parser.parse_args(argv)
    reader = None
    if args.reader_url:
        from trainer.generation.http_reader import ServedReader

        reader = ServedReader(args.reader_url, model=args.reader_model, timeout=args.reader_timeout)

    rows = load(args.part)
    if args.kind:
        rows = [r for r in rows if r["kind"] == args.kind]
    if args.sample is not None:
        keep = {r["id"] for r in sorted(rows, key=lambda r: r["id"].split("-", 1)[1])[: args.sample]}
        rows = [r for r in rows if r["id"] in keep]
    if args.n is not None:
        rows = rows[: args.n]
    records = [read_row(r, reader or read_request) for r in rows]
    if reader is not None:
        for row, rec in zip(rows, records):
            rec["read_by"] = reader.read(row["request"]).note()  # (cached: not asked again)
        served = sum(not rec["read_by"].startswith("read by the rules") for rec in records)
        print(f"served reader {reader.name}: {served} of {len(records)} requests read by it, the rest by the rules")
    if not args.reader_only:
        from benchmarks.bench_requests import make_generator

        generator = make_generator(args.checkpoint, grammar=True, threads=args.threads)
        if reader is not None:
            generator.reader = reader
        generator.generate(build_prompt("MLP with 3 inputs, 4 hidden and 2 outputs"), k=args.k, seed=0)  # warm-up
        for i, (row, rec) in enumerate(zip(rows, records)):
            rec["model"] = model_row(row, generator, args.k, args.seed + i)
            if (i + 1) % 25 == 0:
                print(f"  {i + 1}/{len(rows)} requests", flush=True)
    summary = summarise(records)
    subset = f" (sample of {args.sample} by id)" if args.sample is not None else ""
    print(f"outside corpora, part {args.part}{subset}: {len(rows)} requests"
          + ("" if args.reader_only else f", {args.checkpoint}, K={args.k}, seed {args.seed}"))
    print(table(summary, model=not args.reader_only))
    if args.json:
        payload = {"part": args.part, "rows": len(rows), "sample": args.sample, "first_n": args.n, "reader_only": args.reader_only,
                   "checkpoint": None if args.reader_only else args.checkpoint, "k": args.k,
                   "seed": args.seed, "reader": reader.name if reader is not None else "rules",
                   "summary": summary, "records": records}
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        tmp.replace(args.json)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
