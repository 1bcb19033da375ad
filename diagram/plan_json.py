"""A plan as JSON, both ways: what a served model is asked to answer (`trainer.generation.http_reader`).

PLAN_SCHEMA is the JSON schema a server constrains the answer to (structured output). One flat
object, every field required (so strict servers take it too), the fields of the other kinds empty:

    {"kind": "dense",   "layers": [784, 128, 10], "blocks": [], "steps": [], "edges": []}
    {"kind": "chain",   "layers": [], "blocks": ["Input 28x28", "Conv 3x3, 32", "MaxPool 2x2", "Dense 10"], ...}
    {"kind": "steps",   "steps": ["Start", "Valid?", "Save", "Fix"],
                        "edges": [{"from": "Start", "to": "Valid?", "label": ""},
                                  {"from": "Valid?", "to": "Save", "label": "yes"},
                                  {"from": "Valid?", "to": "Fix", "label": "no"},
                                  {"from": "Fix", "to": "Valid?", "label": ""}], ...}
    {"kind": "nothing", "layers": [], "blocks": [], "steps": [], "edges": []}

`plan_from_json(value) -> Plan | None` (None for "nothing"; PlanJsonError for anything that is not a
conforming answer or states a plan too big to draw, `plan.fits`) and `plan_to_json(plan)`. Steps
without edges are a chain in the order listed; with edges they are layered into ranks by longest
path, and an edge that closes a cycle (a depth-first walk from the steps in the order listed,
`reader_text.back_edges`, as the rules' edge lists) is a loop back. A plan's ranks are fully
connected, so an edge that skips a rank is drawn through the ranks between. A step with yes/no
edges is a decision: its label ends with '?'. Labels are cleaned to the answer grammar
(`plan.step_label`, `plan.clean_label`: no quotes, backslashes, control characters, at most
LABEL_MAX_CHARS), the same label twice is numbered apart, and layer sizes are checked by `Plan.dense`.
Pure: no I/O.
"""

from __future__ import annotations

import json
import operator
from typing import Any

from diagram.grammar import LABEL_MAX_CHARS
from diagram.plan import (CHAIN, DENSE, MAX_LAYER_SIZE, MAX_LAYERS, MAX_PLAN_NODES, STEPS, Plan, clean_label,
                          fits, step_label)
from diagram.reader_text import layered

NOTHING = "nothing"
KINDS = (DENSE, CHAIN, STEPS, NOTHING)
EDGE_LABELS = ("", "yes", "no")
MAX_EDGES = 3 * MAX_PLAN_NODES
# The longest answer parsed (a full 40-step plan with its edges is ~6 kB).
MAX_JSON_CHARS = 20_000

_LABEL = {"type": "string", "minLength": 1, "maxLength": LABEL_MAX_CHARS}
PLAN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": list(KINDS)},
        "layers": {"type": "array", "maxItems": MAX_LAYERS,
                   "items": {"type": "integer", "minimum": 1, "maximum": MAX_LAYER_SIZE}},
        "blocks": {"type": "array", "maxItems": MAX_PLAN_NODES, "items": _LABEL},
        "steps": {"type": "array", "maxItems": MAX_PLAN_NODES, "items": _LABEL},
        "edges": {"type": "array", "maxItems": MAX_EDGES, "items": {
            "type": "object",
            "properties": {"from": _LABEL, "to": _LABEL, "label": {"type": "string", "enum": list(EDGE_LABELS)}},
            "required": ["from", "to", "label"],
            "additionalProperties": False}},
    },
    "required": ["kind", "layers", "blocks", "steps", "edges"],
    "additionalProperties": False,
}
SCHEMA_NAME = "diagram_plan"


class PlanJsonError(ValueError):
    """An answer that is not JSON of PLAN_SCHEMA, or states a plan no drawing may have."""


def plan_to_json(plan: Plan | None) -> dict[str, Any]:
    """The JSON (a dict) of a plan, None as "nothing": `plan_from_json` reads it back to the same plan
    (a steps plan whose loops each close a cycle, with distinct labels)."""
    value: dict[str, Any] = {"kind": NOTHING, "layers": [], "blocks": [], "steps": [], "edges": []}
    if plan is None:
        return value
    if plan.kind == DENSE:
        return {**value, "kind": DENSE, "layers": list(plan.sizes)}
    if plan.kind == CHAIN:
        return {**value, "kind": CHAIN, "blocks": list(plan.labels)}
    labels = _distinct(list(plan.labels))
    edges = [{"from": labels[node.id], "to": labels[target], "label": ""}
             for node in plan.nodes() for target in node.targets]
    return {**value, "kind": STEPS, "steps": labels, "edges": edges}


def plan_from_text(text: str) -> Plan | None:
    """`plan_from_json` of an answer's text (PlanJsonError when it is not JSON). Control characters
    inside strings are taken (llama.cpp's JSON-schema grammars let a model write a raw newline in a
    string; `clean_label` drops them from the labels)."""
    if not isinstance(text, str) or len(text) > MAX_JSON_CHARS:
        raise PlanJsonError(f"the answer is not text of at most {MAX_JSON_CHARS:,} characters")
    try:
        value = json.loads(text, strict=False)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise PlanJsonError(f"the answer is not JSON ({exc})") from None
    return plan_from_json(value)


def plan_from_json(value: Any) -> Plan | None:
    """The Plan a PLAN_SCHEMA value states; None when its kind is "nothing"; PlanJsonError when it does
    not conform to the schema or states a plan that does not fit (`plan.fits`)."""
    if not isinstance(value, dict):
        raise PlanJsonError("the answer is not a JSON object")
    extra = set(value) - set(PLAN_SCHEMA["properties"])
    if extra:
        raise PlanJsonError(f"unknown fields {sorted(extra)}")
    kind = value.get("kind")
    if kind not in KINDS:
        raise PlanJsonError(f"kind must be one of {KINDS}, not {kind!r}")
    layers = _list(value, "layers", MAX_LAYERS)
    blocks = [_text(b, "blocks") for b in _list(value, "blocks", MAX_PLAN_NODES)]
    steps = [_text(s, "steps") for s in _list(value, "steps", MAX_PLAN_NODES)]
    edges = [_edge(e) for e in _list(value, "edges", MAX_EDGES)]
    if kind == NOTHING:
        return None
    try:
        if kind == DENSE:
            if any(isinstance(s, bool) for s in layers):
                raise ValueError("layer sizes are whole numbers")
            try:
                sizes = tuple(operator.index(s) for s in layers)
            except TypeError:
                raise ValueError(f"layer sizes are whole numbers, got {layers}") from None
            plan = Plan.dense(sizes)
        elif kind == CHAIN:
            if len(blocks) < 2:
                raise ValueError("a chain names at least two blocks")
            plan = Plan.chain([clean_label(b.replace(">", "\uff1e")) for b in blocks])
        else:
            plan = _steps(steps, edges)
    except ValueError as exc:
        raise PlanJsonError(str(exc)) from None
    if not fits(plan):
        raise PlanJsonError(f"the plan draws {plan.n_nodes} nodes, {max(plan.drawn_sizes)} in a rank: too big to draw")
    return plan


def _list(value: dict, field: str, most: int) -> list:
    items = value.get(field, [])
    if not isinstance(items, list):
        raise PlanJsonError(f"{field} must be a list")
    if len(items) > most:
        raise PlanJsonError(f"{field} has {len(items)} items; at most {most}")
    return items


def _text(item: Any, field: str) -> str:
    if not isinstance(item, str) or not item.strip():
        raise PlanJsonError(f"every item of {field} is a non-empty string, not {item!r}")
    return item


def _edge(item: Any) -> tuple[str, str, str]:
    if not isinstance(item, dict) or set(item) - {"from", "to", "label"} or "from" not in item or "to" not in item:
        raise PlanJsonError(f"an edge is {{\"from\", \"to\", \"label\"}}, not {str(item)[:80]!r}")
    label = item.get("label", "")
    if label not in EDGE_LABELS:
        raise PlanJsonError(f"an edge's label is one of {EDGE_LABELS}, not {label!r}")
    return _text(item["from"], "edges"), _text(item["to"], "edges"), label


def _distinct(labels: list[str]) -> list[str]:
    """Labels with the same label twice numbered apart ("Check", "Check (2)"), as the rules do."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(step_label(f"{label[:LABEL_MAX_CHARS - 4]} ({seen[label]})") if seen[label] > 1 else label)
    return out


def _steps(steps: list[str], edges: list[tuple[str, str, str]]) -> Plan:
    """Named steps and edges between them -> ranks by longest path, loops for the cycles' back edges."""
    if len(steps) < 2:
        raise ValueError("a flow names at least two steps")
    index: dict[str, int] = {}
    for i, name in enumerate(steps):
        index.setdefault(_key(name), i)
    if len(index) != len(steps):
        raise ValueError("the same step is named twice")
    pairs: list[tuple[int, int]] = []
    decisions: set[int] = set()
    for a, b, label in edges:
        if _key(a) not in index or _key(b) not in index:
            raise ValueError(f"an edge names a step not listed: {(a if _key(a) not in index else b)!r}")
        i, j = index[_key(a)], index[_key(b)]
        if label:
            decisions.add(i)
        if i != j:
            pairs.append((i, j))
    n = len(steps)
    if not pairs:  # no edges: the steps in the order listed
        pairs = [(i, i + 1) for i in range(n - 1)]
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in dict.fromkeys(pairs):
        out[a].append(b)
    ranks, _, back = layered(range(n), out)
    labels = [step_label(name) for name in steps]
    labels = [label if i not in decisions or label.endswith("?") else step_label(label[:LABEL_MAX_CHARS - 1] + "?")
              for i, label in enumerate(labels)]
    labels = _distinct(labels)
    order = [node for rank in ranks for node in rank]
    new_id = {node: k for k, node in enumerate(order)}
    loops = tuple(sorted({(new_id[a], new_id[b]) for a, b in back}))
    return Plan.steps([[labels[node] for node in rank] for rank in ranks], loops)


def _key(name: str) -> str:
    """How an edge's end is matched to a listed step: case and spacing aside."""
    return " ".join(name.split()).casefold()
