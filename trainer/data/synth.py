"""Seeded synthetic data: random structures, natural-English requests and reference layouts.

The numbers and steps in a request determine the structure; the style (`diagram.style`: flow
direction, spacing, node size, shapes, palette, line shape) is drawn at random and never named.
Every answer starts with its style line (`# style: left_to_right, gap 1.2, ...`, which the parser
skips) and its coordinates come from the layout engine (`diagram.engine`, graphviz `dot`) given the
structure and that style, exactly what generation forces after a sampled style line. So a model
trained on these rows learns a distribution of styles, and preference training shifts those few
tokens toward one user's taste.

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
from diagram.layouts import CNN, STEP_LABELS, CNNLayer, DenseNet, Flowchart, cnn_label
from diagram.plan import Plan, PlannedNode
from diagram.prompt import build_prompt, extract_request
from diagram.style import Style, format_style, random_style
from trainer.data import phrasing
from trainer.core.datasets_io import load_sft_csv
from trainer.core.fileio import atomic_write
from trainer.core.schema import CATEGORIES, DEFAULT_PROMPTS, DEFAULT_SFT_DATA, POOL_COLUMNS, SFT_COLUMNS

MAX_ANSWER_CHARS = 2500  # keeps answers within a tiny model's context
_WORDS = ("zero", "one", "two", "three", "four", "five", "six")


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


# ---- English helpers --------------------------------------------------------------------------

def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _third(verb: str) -> str:
    """Third-person singular of a base verb ("pass" -> "passes", "apply" -> "applies")."""
    if verb.endswith("y"):
        return verb[:-1] + "ies"
    return verb + ("es" if verb.endswith(("s", "sh", "ch", "x")) else "s")


# ---- dense nets -------------------------------------------------------------------------------

_SIZE_WEIGHTS = (2, 4, 5, 5, 4, 4, 3, 2, 2, 1)  # 1..10 nodes; small layers keep answers short
_OUT_WEIGHTS = (6, 4, 3, 2, 1, 1, 1, 1, 1, 1)


def _sample_dense(rng: random.Random) -> DenseNet:
    n_hidden = rng.choices((1, 2, 3), weights=(35, 45, 20))[0]
    sizes = [rng.choices(range(1, 11), weights=_SIZE_WEIGHTS)[0] for _ in range(n_hidden + 1)]
    if n_hidden > 1 and rng.random() < 0.2:  # "three hidden layers with 6 nodes each"
        sizes[2:] = [sizes[1]] * (n_hidden - 1)
    sizes.append(rng.choices(range(1, 11), weights=_OUT_WEIGHTS)[0])
    return DenseNet(tuple(sizes))


def _dense_request(net: DenseNet, rng: random.Random) -> str:
    i, hidden, o = net.layer_sizes[0], list(net.layer_sizes[1:-1]), net.layer_sizes[-1]
    k, hs = len(hidden), _join([str(h) for h in hidden])
    layers_word = "the hidden layer" if k == 1 else f"each of the {k} hidden layers"
    node_word = "node" if k == 1 and hidden[0] == 1 else "nodes"
    templates = (
        f"A deep learning model with {_count(i, 'input node')}, {hs} {node_word} in "
        f"{layers_word}, and {_count(o, 'node')} in the output layer",
        f"DL model with {_count(i, 'input node')}, {hs} hidden {node_word}, {_count(o, 'output')}",
        "Fully connected network with layer sizes " + "-".join(map(str, net.layer_sizes)),
        f"An MLP taking {_count(i, 'input')}, with {_WORDS[k]} hidden "
        f"{'layer' if k == 1 else 'layers'} of {hs} {'unit' if node_word == 'node' else 'units'}"
        f" and {_count(o, 'output')}",
        f"deep learning model: input layer {_count(i, 'node')}, hidden layers "
        f"{', '.join(map(str, hidden))}, output layer {_count(o, 'node')}",
        f"Draw a neural network that has {_count(i, 'input neuron')}, {_WORDS[k]} hidden "
        f"{'layer' if k == 1 else 'layers'} with {hs} {'neuron' if node_word == 'node' else 'neurons'}"
        f"{'' if k == 1 else ' respectively'}, and {_count(o, 'output neuron')}",
    )
    return rng.choice(templates)


# ---- CNNs -------------------------------------------------------------------------------------

def _sample_cnn(rng: random.Random) -> tuple[CNN, list[tuple[int, int, int]]]:
    """A CNN and its blocks as (n_conv, kernel, pool). Convs are 'valid' (side - k + 1)."""
    while True:
        side = rng.choice((28, 32, 48, 64, 96, 128))
        layers, blocks = [CNNLayer("input", side)], []
        for _ in range(rng.choices((1, 2, 3), weights=(3, 3, 1))[0]):
            n_conv, kernel, pool = rng.choice((1, 2)), rng.choice((3, 3, 5)), rng.choice((2, 2, 3))
            for _ in range(n_conv):
                side = side - kernel + 1
                layers.append(CNNLayer("conv", side, kernel))
            side //= pool
            layers.append(CNNLayer("pool", side, pool))
            blocks.append((n_conv, kernel, pool))
        for _ in range(rng.choices((0, 1, 2), weights=(1, 3, 2))[0]):
            layers.append(CNNLayer("dense", rng.choice((32, 64, 128, 256, 512))))
        layers.append(CNNLayer("output", rng.choice((1, 2, 3, 5, 10, 10, 100))))
        if side >= 2 and len(layers) <= 10:
            return CNN(tuple(layers)), blocks


def _cnn_request(cnn: CNN, blocks: list[tuple[int, int, int]], rng: random.Random) -> str:
    side = cnn.layers[0].size
    dense = [layer.size for layer in cnn.layers if layer.kind == "dense"]
    out = cnn.layers[-1].size
    block_text = ", then ".join(
        f"{'a' if n == 1 else _WORDS[n]} {k} x {k} conv {'layer' if n == 1 else 'layers'} "
        f"and a {p} x {p} pooling layer" for n, k, p in blocks)
    dense_text = f"{_join([str(d) for d in dense])} hidden nodes and " if dense else ""
    compact = ", ".join(f"conv {lay.kernel}x{lay.kernel}" if lay.kind == "conv" else
                        f"max pool {lay.kernel}x{lay.kernel}" if lay.kind == "pool" else
                        f"{lay.kind} {lay.size}" for lay in cnn.layers[1:])
    follow = "".join(f", followed by a dense layer of {d} nodes" for d in dense)
    templates = (
        f"CNN with {side} x {side} input, {block_text}, then {dense_text}{_count(out, 'output')}",
        f"Convolutional network for {side}x{side} images: {compact}",
        f"A convolutional neural network taking a {side} by {side} image through {block_text}"
        f"{follow}, and an output layer of {_count(out, 'node')}",
    )
    return rng.choice(templates)


# ---- flowcharts -------------------------------------------------------------------------------

_SOURCES = ("numeric", "text", "picture", "db")
_MIDDLES = ("function", "process", "model", "function", "process", "model", "db", "chart")
_SINKS = ("db", "chart", "text", "picture", "numeric", "db", "chart")
_NOUN = {"numeric": "numeric data", "text": "text", "picture": "a picture", "db": "a DB",
         "chart": "a chart", "function": "a function", "process": "a process step",
         "model": "a model"}
_SHORT = {"numeric": "numeric data", "text": "text", "picture": "picture", "db": "DB",
          "chart": "chart", "function": "function", "process": "process", "model": "model"}
# base verb phrase applied to an object ({o} = it / them)
_VERB = {"function": "apply a function to {o}", "process": "process {o} in a process step",
         "model": "pass {o} to a model", "db": "store {o} in a DB",
         "chart": "draw a chart from {o}", "text": "turn {o} into text",
         "picture": "render {o} as a picture", "numeric": "convert {o} to numeric data"}


def _sample_rank_sizes(rng: random.Random) -> list[int]:
    n_ranks = rng.choices((2, 3, 4, 5, 6, 7), weights=(1, 3, 4, 4, 3, 2))[0]
    sizes = [rng.choices((1, 2, 3), weights=(6, 3, 1.5))[0] for _ in range(n_ranks)]
    for r in range(1, n_ranks):
        # a branch is one step feeding 2-3, 2-3 merging into one, or parallel lanes of equal size
        if sizes[r - 1] > 1 and sizes[r] > 1 and sizes[r] != sizes[r - 1]:
            sizes[r] = rng.choice((1, sizes[r - 1]))
    if n_ranks == 2 and sizes == [1, 1]:
        sizes[rng.randrange(2)] = 2 if rng.random() < 0.5 else 1
    while sum(sizes) > 12:
        sizes[sizes.index(max(sizes))] = 1
    return sizes


def _sample_flowchart(rng: random.Random) -> Flowchart:
    sizes = _sample_rank_sizes(rng)
    steps: list[str] = []
    ranks: list[tuple[int, ...]] = []
    edges: list[tuple[int, int]] = []
    for r, size in enumerate(sizes):
        pool = _SOURCES if r == 0 else _SINKS if r == len(sizes) - 1 else _MIDDLES
        if r > 0 and size > 1 and sizes[r - 1] == size:
            types = [rng.choice(pool)] * size  # parallel lanes share one step type
        else:
            # no step type repeats the previous rank's, so "model -> model" never happens
            choices = sorted(set(pool) - {steps[i] for i in ranks[-1]}) if ranks else []
            types = rng.sample(choices if len(choices) >= size else sorted(set(pool)), size)
        ids = tuple(range(len(steps), len(steps) + size))
        steps += types
        if r > 0:
            prev = ranks[-1]
            if len(prev) == size and size > 1:
                edges += list(zip(prev, ids))
            else:
                edges += [(a, b) for a in prev for b in ids]
        ranks.append(ids)
    return Flowchart(tuple(steps), tuple(ranks), tuple(edges))


def _flow_clauses(chart: Flowchart) -> list[str]:
    """Base-form clauses, one per rank: 'read a picture and text', 'pass them to a model'."""
    first = [_NOUN[chart.steps[i]].replace("a DB", "data from a DB") for i in chart.ranks[0]]
    clauses = ["read " + _join(first)]
    for prev, rank in zip(chart.ranks, chart.ranks[1:]):
        types = [chart.steps[i] for i in rank]
        if len(rank) == 1:
            clauses.append(_VERB[types[0]].format(o="it" if len(prev) == 1 else "them"))
        elif len(prev) == len(rank):
            clauses.append(f"send each to its own {_SHORT[types[0]]}")
        else:
            clauses.append("send the result to " + _join([_NOUN[t] for t in types]))
    return clauses


def _flow_request(chart: Flowchart, rng: random.Random) -> str:
    base = _flow_clauses(chart)
    third = [" ".join([_third(c.split(" ", 1)[0])] + c.split(" ", 1)[1:]) for c in base]
    arrows = []
    for prev, rank in zip((None,) + chart.ranks, chart.ranks):
        names = [_SHORT[chart.steps[i]] for i in rank]
        lanes = prev is not None and len(prev) == len(rank) > 1
        arrows.append(f"one {names[0]} each" if lanes else " + ".join(names))
    templates = (
        "process that " + _join(third),
        "A pipeline which " + ", then ".join(third),
        "Flowchart: " + ", then ".join(base),
        "Pipeline: " + " -> ".join(arrows),
        "Workflow diagram where the system " + ", ".join(third[:-1]) + ", and finally " + third[-1],
    )
    return rng.choice(templates)


# ---- flowcharts of named components ----------------------------------------------------------

def _sample_named_flowchart(rng: random.Random) -> tuple[Flowchart, list[str], tuple[int, int] | None]:
    """Named steps ("Retriever") in ranks, consecutive ranks fully connected, maybe one loop.

    Returns the chart (names = canonical labels), how the request spells each step, and the
    loop edge (last step of a cycle -> its first) or None.
    """
    kind = rng.choices(("chain", "branch", "long", "loop"), weights=(35, 35, 15, 15))[0]
    used: set[str] = set()

    def pick(pool: tuple[tuple[str, str], ...]) -> str:
        while True:
            name = rng.choice(pool)[0]
            if name not in used:
                used.add(name)
                return name

    loop = None
    if kind == "loop":
        cycle = list(rng.choice(phrasing.CYCLES))
        used.update(cycle)
        # a step before and/or after the cycle, so the edges still point along the flow
        where = rng.choice(("before", "after", "both", "both"))
        before = [pick(phrasing.SOURCE_NAMES)] if where != "after" else []
        after = [pick(phrasing.SINK_NAMES)] if where != "before" else []
        names = before + cycle + after
        sizes = [1] * len(names)
        loop = (len(before) + len(cycle) - 1, len(before))
    else:
        if kind == "branch":
            sizes = _sample_rank_sizes(rng)
            for r in range(1, len(sizes)):  # fully connected ranks: no parallel lanes
                if sizes[r] > 1 and sizes[r - 1] > 1:
                    sizes[r] = 1
        else:
            n = rng.randint(8, 12) if kind == "long" else rng.choices(range(2, 8), weights=(2, 4, 4, 3, 2, 1))[0]
            sizes = [1] * n
        names = []
        for r, size in enumerate(sizes):
            pool = phrasing.SOURCE_NAMES if r == 0 else \
                phrasing.SINK_NAMES if r == len(sizes) - 1 and rng.random() < 0.7 else phrasing.MIDDLE_NAMES
            names += [pick(pool) for _ in range(size)]
    ranks, edges, first = [], [], 0
    for size in sizes:
        rank = tuple(range(first, first + size))
        if ranks:
            edges += [(a, b) for a in ranks[-1] for b in rank]
        ranks.append(rank)
        first += size
    if loop is not None:
        edges.append(loop)
    roles = tuple(phrasing.ROLE_OF[name] for name in names)
    spelled = [phrasing.mention(name, rng) for name in names]
    return Flowchart(roles, tuple(ranks), tuple(edges), tuple(names)), spelled, loop


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
                chart, spelled, loop = _sample_named_flowchart(rng)
                request = phrasing.flow_request(spelled, [list(r) for r in chart.ranks], loop, rng)
                names = list(chart.names)
            else:
                chart = _sample_flowchart(rng)
                request = _flow_request(chart, rng)
                names = [STEP_LABELS[s] for s in chart.steps]
            planned = _planned(len(chart.steps), chart.edges, names, labels)
            info = _shape_info("flowchart", list(chart.steps), [len(r) for r in chart.ranks],
                               style, edges=[list(e) for e in chart.edges], labels=names)
        elif rng.random() < 0.7:
            net = _sample_dense(rng)
            request = phrasing.dense_request(net.layer_sizes, rng) if wide else _dense_request(net, rng)
            planned = [PlannedNode(n.id, n.targets, n.label if labels else "")
                       for n in Plan.dense(net.layer_sizes).nodes()]
            roles = ["input"] + ["hidden"] * (len(net.layer_sizes) - 2) + ["output"]
            info = _shape_info("dl_model", roles, list(net.layer_sizes), style,
                               labels=["Input"] + [f"Hidden {i}" for i in range(1, len(roles) - 1)]
                               + ["Output"])
        else:
            cnn, blocks = _sample_cnn(rng)
            request = phrasing.cnn_request([(lay.kind, lay.size, lay.kernel) for lay in cnn.layers], rng) \
                if wide and rng.random() < 0.6 else _cnn_request(cnn, blocks, rng)
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
