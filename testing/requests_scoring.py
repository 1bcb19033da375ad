"""Reading and scoring the hand-written held-out requests (benchmarks/requests_heldout*.csv): the
pure part of benchmarks/bench_requests.py, shared with tests/test_requests_heldout.py. Not shipped.

    requests = load_requests("benchmarks/requests_heldout.csv")
    record = score_request(requests[0], candidates)     # validity, eos, dense=, layered, labels, steps
    print(table(report(records)))
"""

from __future__ import annotations

import csv
import difflib
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diagram import Diagram, build_prompt, extract_request, original_score, parse, readability
from diagram.metrics import tidy
from trainer.generation.evaluate import percentile, style_key

DEFAULT_CSV = "benchmarks/requests_heldout.csv"
CATEGORIES = ("dl_model", "other")
KINDS = ("dense", "cnn", "flowchart", "pipeline")
FLOW_KINDS = ("flowchart", "pipeline")
HELDOUT_COLUMNS = ("id", "category", "kind", "request", "layers", "steps", "notes")
FUZZY_RATIO = 0.8
ORIGINAL_SUFFIX_START = "in the following format"
# Original-format rows without dest_shape_info: a DL-model request opens with the model's name
# (a process that merely mentions "CNN model" or "language model" in one step is not one).
DL_OPENING = re.compile(r"(?:\A|\n\n)\s*(?:an?\s+)?(?:deep learning model|dl model|neural net(?:work)?|nn(?: model)?"
                        r"|conv(?:olutional)? neural net(?:work)?|cnn(?: model)?|mlp)\s+(?:with|of|consist)",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    """One benchmark row; `prompt` is what the model sees, `reference` only in original-format files."""

    id: str
    category: str
    kind: str
    request: str
    layers: tuple[int, ...] = ()
    steps: tuple[str, ...] = ()
    prompt: str = ""
    reference: str = ""


@dataclass(frozen=True)
class DenseCheck:
    """How a diagram compares with a requested dense net."""

    nodes_ok: bool    # node count == sum(layers)
    edges_ok: bool    # edge count == sum of products of neighbouring layers
    layered_ok: bool  # exactly the complete layered graph with these layer sizes, in order

    @property
    def counts_ok(self) -> bool:
        return self.nodes_ok and self.edges_ok


def parse_layers(text: str) -> tuple[int, ...]:
    """'3-5-2' -> (3, 5, 2); ValueError unless >= 2 positive integers."""
    parts = [p.strip() for p in text.strip().split("-")]
    if len(parts) < 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"layers must look like 3-5-2 (>= 2 positive integers), got {text!r}")
    return tuple(int(p) for p in parts)


def normalise_text(text: str) -> str:
    """Lower case, punctuation and symbols to spaces, whitespace collapsed (for overlap checks)."""
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def dense_structure(diagram: Diagram, layers: Sequence[int]) -> DenseCheck:
    """Compare a diagram with the dense net `layers` (e.g. (3, 5, 2)); pure."""
    layers = tuple(layers)
    ids = [n.id for n in diagram.nodes]
    edges = set(diagram.edges())  # targets naming a missing node don't count
    n_edges = sum(len(n.targets) for n in diagram.nodes)
    nodes_ok = len(ids) == sum(layers)
    edges_ok = n_edges == sum(a * b for a, b in zip(layers, layers[1:]))
    return DenseCheck(nodes_ok, edges_ok,
                      nodes_ok and edges_ok and len(set(ids)) == len(ids)
                      and len(edges) == n_edges and _is_layered(ids, edges, layers))


def _is_layered(ids: list[int], edges: set[tuple[int, int]], layers: tuple[int, ...]) -> bool:
    """Peel sources layer by layer; each layer must have the requested size and point to all of the next."""
    remaining = set(ids)
    groups: list[set[int]] = []
    while remaining:
        has_parent = {t for s, t in edges if s in remaining and t in remaining}
        group = remaining - has_parent
        if not group:
            return False  # a cycle
        groups.append(group)
        remaining -= group
    if tuple(len(g) for g in groups) != layers:
        return False
    wanted = {(s, t) for a, b in zip(groups, groups[1:]) for s in a for t in b}
    return edges == wanted


def step_found(step: str, labels: Iterable[str]) -> bool:
    """Whether a named step appears among labels: substring either way or close spelling (normalised)."""
    want = normalise_text(step)
    if not want:
        return False
    for label in labels:
        have = normalise_text(label)
        if not have:
            continue
        if want in have or (len(have) >= 3 and have in want):
            return True
        if difflib.SequenceMatcher(None, want, have).ratio() >= FUZZY_RATIO:
            return True
    return False


def load_requests(path: str | Path, rewrap: bool = False) -> list[Request]:
    """Rows of a held-out CSV (validated, errors name the line) or of an original-format CSV
    (prompts used as written, or with `rewrap` the request in this project's own prompt wording)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = set(reader.fieldnames or ())
        rows = list(reader)
    if {"input_data", "output_data"} <= header or {"prompt", "chosen"} <= header:
        return _original_rows(rows, header, rewrap)
    missing = [c for c in HELDOUT_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"{path}: missing columns {missing} (need {HELDOUT_COLUMNS}, "
                         "or input_data/output_data, or prompt/chosen)")
    out, seen = [], set()
    for line, row in enumerate(rows, start=2):
        where = f"{path}: row {line - 1} (id {row['id']!r})"
        if not row["id"] or row["id"] in seen:
            raise ValueError(f"{where}: empty or repeated id")
        seen.add(row["id"])
        if row["category"] not in CATEGORIES or row["kind"] not in KINDS:
            raise ValueError(f"{where}: category must be one of {CATEGORIES}, kind one of {KINDS}")
        if (row["category"] == "dl_model") != (row["kind"] in ("dense", "cnn")):
            raise ValueError(f"{where}: kind {row['kind']} does not fit category {row['category']}")
        if not row["request"].strip():
            raise ValueError(f"{where}: empty request")
        layers = ()
        if row["kind"] == "dense":
            try:
                layers = parse_layers(row["layers"])
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        elif row["layers"].strip():
            raise ValueError(f"{where}: layers are only for dense nets")
        steps = tuple(s.strip() for s in row["steps"].split("|") if s.strip())
        out.append(Request(row["id"], row["category"], row["kind"], row["request"], layers, steps,
                           prompt=build_prompt(row["request"])))
    return out


def original_request(prompt: str) -> str:
    """The request inside a prompt in either wording: ours (extract_request) or the original
    project's (same first line, a different format paragraph that starts 'in the following format')."""
    return extract_request(prompt).split(ORIGINAL_SUFFIX_START, 1)[0].strip()


def _original_rows(rows: list[dict[str, str]], header: set[str], rewrap: bool) -> list[Request]:
    prompt_col, ref_col = ("input_data", "output_data") if "input_data" in header else ("prompt", "chosen")
    out = []
    for i, row in enumerate(rows):
        prompt = row[prompt_col]
        info = row.get("dest_shape_info") or ""
        dl = "dl_model" in info if info else bool(DL_OPENING.search(prompt))
        category = "dl_model" if dl else "other"
        request = original_request(prompt)
        out.append(Request(str(i), category, category, request,
                           prompt=build_prompt(request) if rewrap else prompt, reference=row[ref_col]))
    return out


def score_request(req: Request, cands: Sequence[Any]) -> dict[str, Any]:
    """Counts for one request's candidates (objects with .parse, .stopped_on_eos, .seconds)."""
    rec: Counter[str] = Counter()
    rec["candidates"] = len(cands)
    reference = parse(req.reference).diagram if req.reference else None
    step_shares: list[float] = []
    scores: list[float] = []
    drawn: list[tuple[int, int]] = []  # (nodes, edges) of valid dense-net candidates, for --json
    readable: list[float] = []
    for cand in cands:
        ok = cand.parse.ok
        rec["valid"] += ok
        if ok:
            rec["tidy"] += tidy(cand.parse.diagram).ok
            readable.append(readability(cand.parse.diagram).score)
        rec["eos"] += cand.stopped_on_eos
        diagram = cand.parse.diagram
        if req.layers:
            check = dense_structure(diagram, req.layers) if ok else DenseCheck(False, False, False)
            rec["dense_counts"] += check.counts_ok
            rec["dense_layered"] += check.layered_ok
            if ok:
                drawn.append((len(diagram.nodes), len(diagram.edges())))
        if reference is not None:
            scores.append(original_score(diagram, reference, dl_model=req.category == "dl_model") if ok else 0.0)
        if ok and req.kind in FLOW_KINDS:
            labels = [n.label for n in diagram.nodes if n.label and n.label.strip()]
            rec["flow_nodes"] += len(diagram.nodes)
            rec["flow_labeled"] += len(labels)
            if req.steps:
                step_shares.append(sum(step_found(s, labels) for s in req.steps) / len(req.steps))
    return {"id": req.id, "kind": req.kind, "seconds": cands[0].seconds if cands else 0.0,
            "step_shares": step_shares, "scores": scores, "drawn": drawn, "readability": readable,
            "styles": len({style_key(getattr(c, "text", "")) for c in cands}), **rec}


def summarise(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Metrics over per-request records (from score_request); None where nothing applies."""
    def total(key: str) -> int:
        return sum(r.get(key, 0) for r in records)

    def ratio(num: float, den: float) -> float | None:
        return num / den if den else None

    n_cands = total("candidates")
    n_dense = sum(r["candidates"] for r in records if r["kind"] == "dense")
    shares = [s for r in records for s in r["step_shares"]]
    scores = [s for r in records for s in r["scores"]]
    seconds = [r["seconds"] for r in records]
    return {
        "requests": len(records),
        "candidates": n_cands,
        "validity": ratio(total("valid"), n_cands),
        "eos_stop_rate": ratio(total("eos"), n_cands),
        "dense_exact_counts": ratio(total("dense_counts"), n_dense),
        "dense_exact_layered": ratio(total("dense_layered"), n_dense),
        "flow_nodes_labeled": ratio(total("flow_labeled"), total("flow_nodes")),
        "flow_steps_found": statistics.fmean(shares) if shares else None,
        "original_score": statistics.fmean(scores) if scores else None,
        "tidy_rate": ratio(total("tidy"), total("valid")),
        "readability": statistics.fmean(read) if (read := [s for r in records for s in r.get("readability", [])]) else None,
        "distinct_styles": statistics.fmean([r["styles"] for r in records]) if records and "styles" in records[0] else None,
        "seconds_p50": percentile(seconds, 50),
        "seconds_p95": percentile(seconds, 95),
    }


def report(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """{'all': summary, kind: summary, ...} in a stable order."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        by_kind[r["kind"]].append(r)
    order = [k for k in (*KINDS, *CATEGORIES) if k in by_kind] + sorted(set(by_kind) - {*KINDS, *CATEGORIES})
    return {"all": summarise(records), **{k: summarise(by_kind[k]) for k in order}}


COLUMNS = (("requests", "n", "{}"), ("candidates", "cands", "{}"), ("validity", "valid", "{:.1%}"),
           ("eos_stop_rate", "eos", "{:.1%}"), ("dense_exact_counts", "dense=", "{:.1%}"),
           ("dense_exact_layered", "layered", "{:.1%}"), ("flow_nodes_labeled", "labeled", "{:.1%}"),
           ("flow_steps_found", "steps", "{:.1%}"), ("original_score", "orig", "{:.3f}"),
           ("tidy_rate", "tidy", "{:.1%}"), ("readability", "read", "{:.3f}"),
           ("distinct_styles", "styles/K", "{:.2f}"),
           ("seconds_p50", "p50 s", "{:.2f}"), ("seconds_p95", "p95 s", "{:.2f}"))


def table(summaries: dict[str, dict[str, Any]]) -> str:
    """A markdown table, one row per group; columns that apply to no group are left out."""
    cols = [c for c in COLUMNS if any(s[c[0]] is not None for s in summaries.values())]
    lines = ["| group | " + " | ".join(c[1] for c in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for group, summary in summaries.items():
        cells = ["-" if summary[key] is None else fmt.format(summary[key]) for key, _, fmt in cols]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
