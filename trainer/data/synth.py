"""Seeded synthetic data: random structures, natural-English requests and reference layouts.

The numbers and steps in a request determine the structure; the style (`diagram.style`: flow
direction, spacing, node size, shapes, palette, line shape) is drawn at random and never named.
Every answer starts with its style line (`# style: left_to_right, gap 1.2, ...`, which the parser
skips) and its coordinates come from the layout engine (`diagram.engine`, graphviz `dot`) given the
structure and that style, exactly what generation forces after a sampled style line. So a model
trained on these rows learns a distribution of styles, and preference training shifts those few
tokens toward one user's taste. The structures and their requests are `trainer.data.structures`'s.

    diagramlab data sft [--out data/sft_dataset_llm.csv] [--seed 0] [--n-dl 280 --n-other 420]
    diagramlab data prompts [--out data/orpo_prompts.csv] [--seed 1]

    >>> import random
    >>> ex = make_example(random.Random(0), "dl_model")
    >>> ex.category, ex.answer.startswith("# style: "), ex.answer.splitlines()[1].startswith("[0, ")
    ('dl_model', True, True)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from diagram.engine import LayoutEngine, node_lines
from diagram.layouts import STEP_LABELS, cnn_label
from diagram.plan import Plan, PlannedNode
from diagram.prompt import build_prompt, extract_request
from diagram.style import Style, format_style, random_style
from trainer.data import phrasing
from trainer.data.structures import (cnn_request, dense_request, flow_request, sample_cnn, sample_dense, sample_flowchart,
                                     sample_named_flowchart)
from trainer.core.datasets_io import load_sft_csv
from trainer.core.fileio import atomic_write
from trainer.core.schema import CATEGORIES, DEFAULT_PROMPTS, DEFAULT_SFT_DATA, POOL_COLUMNS, SFT_COLUMNS

MAX_ANSWER_CHARS = 2500  # keeps answers within a tiny model's context


@dataclass(frozen=True)
class Example:
    category: str  # "dl_model" | "other"
    request: str
    prompt: str  # build_prompt(request)
    answer: str  # style line + the engine's node lines
    dest_shape_info: str  # JSON object without true/false/null, so also a Python literal

    @property
    def plan(self) -> str:
        """The '# ...' plan line that SFT may put before the nodes (see plan_from_info)."""
        return plan_from_info(self.dest_shape_info)


# ---- plan lines ---------------------------------------------------------------------------------

def plan_from_info(info_text: str) -> str:
    """A one-line '# ...' summary of the structure in `dest_shape_info` ('' if it has no labels).

    Dense nets: '# layers 3-5-2'; CNNs: '# layers Input 32x32 > Conv 3x3 > ...' (the node labels);
    flowcharts: '# steps: Loader > Embedder, BM25 > LLM; loop LLM > Loader' (labels by rank).
    The parser skips a leading '#' line, so a plan costs nothing but tokens.
    """
    info = json.loads(info_text)
    labels = info.get("labels")
    if not labels:
        return ""
    if info["task_name"] == "dl_model":
        if "hidden" in info["shape_types"]:
            return Plan.dense(info["shape_sizes"]).line()
        return Plan.chain(labels).line()
    ranks, first = [], 0
    for size in info["shape_sizes"]:
        ranks.append(labels[first:first + size])
        first += size
    loops = tuple((a, b) for a, b in info.get("edges", []) if a > b)
    return Plan.steps(ranks, loops).line()


# ---- examples ---------------------------------------------------------------------------------

_PROTECT = frozenset(w.lower() for name in phrasing.ROLE_OF for w in re.split(r"\W+", name) if w)


def _shape_info(task: str, types: list[str], sizes: list[int], style: Style, **extra) -> str:
    info = {"task_name": task, "shape_types": types, "shape_sizes": sizes,
            "style": style.to_dict(), **extra}
    return json.dumps(info)


def _planned(n_nodes: int, edges, labels: list[str], with_labels: bool) -> list[PlannedNode]:
    targets: dict[int, set[int]] = {i: set() for i in range(n_nodes)}
    for a, b in edges:
        targets[a].add(b)
    return [PlannedNode(i, tuple(sorted(targets[i])), labels[i] if with_labels else "")
            for i in range(n_nodes)]


def reference_answer(nodes: list[PlannedNode], style: Style, engine: LayoutEngine) -> str:
    """The style line and the engine's node lines (the plan line is SFT's to add, `plan_from_info`)."""
    return format_style(style) + "\n" + node_lines(engine.layout(nodes, style))


def make_example(rng: random.Random, category: str, labels: bool = True,
                 noise: float = 0.0, engine: LayoutEngine | None = None) -> Example:
    """One (request, reference answer) pair; answers longer than MAX_ANSWER_CHARS are resampled.

    About a quarter of requests use the original templates (the prompt pool's phrasing), the rest
    the wider families of trainer.data.phrasing, some wrapped politely. With probability `noise` the
    request also gets typos, case and spacing noise (training streams only; the CSVs stay clean).
    """
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
    engine = engine or LayoutEngine()
    while True:
        style = random_style(rng)
        wide = rng.random() < 0.75
        if category == "other":
            if wide:
                chart, spelled, loop = sample_named_flowchart(rng)
                request = phrasing.flow_request(spelled, [list(r) for r in chart.ranks], loop, rng)
                names = list(chart.names)
            else:
                chart = sample_flowchart(rng)
                request = flow_request(chart, rng)
                names = [STEP_LABELS[s] for s in chart.steps]
            planned = _planned(len(chart.steps), chart.edges, names, labels)
            info = _shape_info("flowchart", list(chart.steps), [len(r) for r in chart.ranks],
                               style, edges=[list(e) for e in chart.edges], labels=names)
        elif rng.random() < 0.7:
            net = sample_dense(rng)
            request = phrasing.dense_request(net.layer_sizes, rng) if wide else dense_request(net, rng)
            planned = [PlannedNode(n.id, n.targets, n.label if labels else "")
                       for n in Plan.dense(net.layer_sizes).nodes()]
            roles = ["input"] + ["hidden"] * (len(net.layer_sizes) - 2) + ["output"]
            info = _shape_info("dl_model", roles, list(net.layer_sizes), style,
                               labels=["Input"] + [f"Hidden {i}" for i in range(1, len(roles) - 1)]
                               + ["Output"])
        else:
            cnn, blocks = sample_cnn(rng)
            request = phrasing.cnn_request([(lay.kind, lay.size, lay.kernel) for lay in cnn.layers], rng) \
                if wide and rng.random() < 0.6 else cnn_request(cnn, blocks, rng)
            names = [cnn_label(lay) for lay in cnn.layers]
            planned = _planned(len(names), [(i, i + 1) for i in range(len(names) - 1)], names, labels)
            info = _shape_info("dl_model", [lay.kind for lay in cnn.layers],
                               [lay.size for lay in cnn.layers], style,
                               labels=[cnn_label(lay) for lay in cnn.layers])
        request = phrasing.wrap(request, rng, category == "dl_model", 0.35 if wide else 0.1)
        answer = reference_answer(planned, style, engine)
        if len(answer) <= MAX_ANSWER_CHARS:
            if noise and rng.random() < noise:
                request = phrasing.add_noise(request, rng, _PROTECT)
            return Example(category, request, build_prompt(request), answer, info)


def normalize_request(request: str) -> str:
    """Case- and whitespace-insensitive form used to keep held-out requests out of training."""
    return " ".join(request.lower().split())


def _unique_examples(rng: random.Random, categories: list[str], seen: set[str],
                     labels: bool) -> Iterator[Example]:
    """One example per category, skipping requests already in `seen` (which it extends)."""
    engine = LayoutEngine()
    for category in categories:
        for _ in range(10_000):
            ex = make_example(rng, category, labels, engine=engine)
            if ex.request not in seen:
                seen.add(ex.request)
                yield ex
                break
        else:
            raise RuntimeError(f"could not find a new {category} request; lower the row counts")


def iter_examples(seed: int = 0, dl_fraction: float = 0.4, labels: bool = True,
                  exclude: frozenset[str] | set[str] = frozenset(),
                  noise: float = 0.0) -> Iterator[Example]:
    """Endless stream of examples (requests may repeat, except those in `exclude`).

    `exclude` is compared after normalize_request (case and whitespace do not matter).
    """
    rng = random.Random(seed)
    excluded = {normalize_request(r) for r in exclude}
    engine = LayoutEngine()
    while True:
        category = "dl_model" if rng.random() < dl_fraction else "other"
        ex = make_example(rng, category, labels, noise, engine)
        if normalize_request(ex.request) not in excluded:
            yield ex


def make_sft_rows(n_dl: int = 280, n_other: int = 420, seed: int = 0,
                  labels: bool = True) -> list[dict[str, str]]:
    """Rows for data/sft_dataset_llm.csv; distinct requests, categories shuffled."""
    rng = random.Random(seed)
    categories = ["dl_model"] * n_dl + ["other"] * n_other
    rng.shuffle(categories)
    return [{"input_data": ex.prompt, "output_data": ex.answer,
             "dest_shape_info": ex.dest_shape_info}
            for ex in _unique_examples(rng, categories, set(), labels)]


def make_prompt_pool(seed: int = 1, n_dl: int = 320, n_other: int = 480, n_heldout_dl: int = 40,
                     n_heldout_other: int = 60, exclude: frozenset[str] | set[str] = frozenset(),
                     labels: bool = True) -> list[dict[str, str]]:
    """Rows for data/orpo_prompts.csv: 'label' then 'heldout' prompts, all requests distinct."""
    rng = random.Random(seed)
    seen = set(exclude)
    rows = []
    for split, n_d, n_o in (("label", n_dl, n_other), ("heldout", n_heldout_dl, n_heldout_other)):
        categories = ["dl_model"] * n_d + ["other"] * n_o
        rng.shuffle(categories)
        for ex in _unique_examples(rng, categories, seen, labels):
            rows.append({"prompt_id": f"p{len(rows):04d}", "category": ex.category,
                         "split": split, "request": ex.request, "prompt": ex.prompt,
                         "reference": ex.answer, "dest_shape_info": ex.dest_shape_info})
    return rows


# ---- files and the `diagramlab data` command --------------------------------------------------

def write_csv(rows: list[dict[str, str]], path: str | Path, columns: tuple[str, ...]) -> None:
    """Write atomically (`fileio.atomic_write`) with every field quoted; mode 0644 (shared data)."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(Path(path), buffer.getvalue(), mode=0o644)


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="what", required=True)
    sft = sub.add_parser("sft", help="write the synthetic SFT dataset")
    sft.add_argument("--out", default=DEFAULT_SFT_DATA, help="output CSV path")
    sft.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    sft.add_argument("--n-dl", type=int, default=280, help="number of dl_model rows")
    sft.add_argument("--n-other", type=int, default=420, help="number of flowchart rows")
    sft.add_argument("--no-labels", dest="labels", action="store_false",
                     help="leave out the 11th label field (labels are on by default)")
    prompts = sub.add_parser("prompts", help="write the labeling prompt pool")
    prompts.add_argument("--out", default=DEFAULT_PROMPTS, help="output CSV path")
    prompts.add_argument("--seed", type=int, default=1, help="random seed")
    prompts.add_argument("--sft", default=DEFAULT_SFT_DATA,
                         help="SFT CSV whose requests are excluded (skipped if missing)")
    prompts.add_argument("--no-labels", dest="labels", action="store_false",
                         help="leave out the 11th label field (labels are on by default)")


def run_data(args: argparse.Namespace) -> int:
    if args.what == "sft":
        rows = make_sft_rows(args.n_dl, args.n_other, args.seed, args.labels)
        write_csv(rows, args.out, SFT_COLUMNS)
    else:
        exclude: set[str] = set()
        if Path(args.sft).exists():
            exclude = {extract_request(p) for p in load_sft_csv(args.sft)["input_data"]}
        rows = make_prompt_pool(args.seed, exclude=exclude, labels=args.labels)
        write_csv(rows, args.out, POOL_COLUMNS)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0
