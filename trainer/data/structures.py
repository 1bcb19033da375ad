"""Seeded random structures and the natural-English requests that describe them, for the synthetic
data (`trainer.data.synth` turns them into examples): dense nets (`sample_dense`, `dense_request`),
CNNs (`sample_cnn`, `cnn_request`), flowcharts of typed steps (`sample_flowchart`, `flow_request`)
and flowcharts of named components (`sample_named_flowchart`: the structure, its labels and its
request-text hint). The numbers and steps in a request determine the structure; the style is never
named (it is drawn in `synth`).
"""

from __future__ import annotations

import random

from diagram.layouts import CNN, CNNLayer, DenseNet, Flowchart
from trainer.data import phrasing

_WORDS = ("zero", "one", "two", "three", "four", "five", "six")


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


def sample_dense(rng: random.Random) -> DenseNet:
    n_hidden = rng.choices((1, 2, 3), weights=(35, 45, 20))[0]
    sizes = [rng.choices(range(1, 11), weights=_SIZE_WEIGHTS)[0] for _ in range(n_hidden + 1)]
    if n_hidden > 1 and rng.random() < 0.2:  # "three hidden layers with 6 nodes each"
        sizes[2:] = [sizes[1]] * (n_hidden - 1)
    sizes.append(rng.choices(range(1, 11), weights=_OUT_WEIGHTS)[0])
    return DenseNet(tuple(sizes))


def dense_request(net: DenseNet, rng: random.Random) -> str:
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

def sample_cnn(rng: random.Random) -> tuple[CNN, list[tuple[int, int, int]]]:
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


def cnn_request(cnn: CNN, blocks: list[tuple[int, int, int]], rng: random.Random) -> str:
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


def sample_flowchart(rng: random.Random) -> Flowchart:
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


def flow_request(chart: Flowchart, rng: random.Random) -> str:
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

def sample_named_flowchart(rng: random.Random) -> tuple[Flowchart, list[str], tuple[int, int] | None]:
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
