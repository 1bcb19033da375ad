"""A diagram's structure as a plan: its plan line, and the grammar of drawings that follow it.

Every training answer starts with a plan line that `diagram.parse` skips as prose:

    # layers 3-5-2                                         (a dense net: layer sizes)
    # layers Input 32x32 > Conv 3x3 > Pool 2x2 > Output 10 (a chain of labelled layers: CNNs)
    # steps: Loader > Embedder, BM25 > LLM; loop LLM > Loader   (ranks of named steps)

A `Plan` is the structure that line states: ranks of nodes (each node with its label), every node
of a rank pointing to every node of the next rank, plus loop edges. Node ids are given in rank
order from 0, targets in ascending order, exactly as the reference layouts (`diagram.layouts`)
write them. `structure_regex(plan)` is the answer grammar (`diagram.grammar`) narrowed to
drawings of that structure: ids, target lists and labels are fixed, position, size, shape, line
shape and colours stay the model's choice (the style a user teaches it).

    >>> plan = Plan.dense((2, 1))
    >>> plan.line()
    '# layers 2-1'
    >>> [(n.id, n.targets, n.label) for n in plan.nodes()]
    [(0, (2,), 'Input'), (1, (2,), 'Input'), (2, (), 'Output')]
    >>> parse_plan_line("# steps: A > B, C; loop C > A").line()
    '# steps: A > B, C; loop C > A'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from diagram.grammar import HEIGHT, LABEL_MAX_CHARS, LINE_SHAPE, RGB, SHAPE, WIDTH, X, Y

DENSE, CHAIN, STEPS = "dense", "chain", "steps"
# The largest structure a plan may ask for: beyond this the answer outgrows a small model's
# context (a 40-node dense net is ~900 tokens of the tiny tokenizer) and the canvas.
MAX_PLAN_NODES = 40
MAX_LAYER_NODES = 12
_UNSAFE_LABEL = re.compile(r"['\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PlannedNode:
    id: int
    targets: tuple[int, ...]
    label: str


@dataclass(frozen=True)
class Plan:
    """kind: DENSE (ranks of one label each, `sizes` nodes), CHAIN or STEPS (one node per label).

    `ranks`: the labels of each rank in flow order; `loops`: back edges as (from, to) node ids.
    """

    kind: str
    ranks: tuple[tuple[str, ...], ...]
    loops: tuple[tuple[int, int], ...] = ()

    @staticmethod
    def dense(sizes: tuple[int, ...] | list[int]) -> Plan:
        """A fully connected net with these layer sizes (input first); labels as the layouts write them."""
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"a dense net needs >= 2 layers of >= 1 node, got {sizes}")
        labels = ["Input"] + [f"Hidden {i}" for i in range(1, len(sizes) - 1)] + ["Output"]
        return Plan(DENSE, tuple((label,) * size for label, size in zip(labels, sizes)))

    @staticmethod
    def chain(labels: list[str] | tuple[str, ...]) -> Plan:
        """One node per label, each pointing to the next (a CNN's layers)."""
        return Plan(CHAIN, tuple((clean_label(label),) for label in labels))

    @staticmethod
    def steps(ranks: list[list[str]] | tuple[tuple[str, ...], ...],
              loops: tuple[tuple[int, int], ...] = ()) -> Plan:
        """Named steps in ranks (consecutive ranks fully connected) plus loop edges by node id."""
        return Plan(STEPS, tuple(tuple(clean_label(s) for s in rank) for rank in ranks), tuple(loops))

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(rank) for rank in self.ranks)

    @property
    def n_nodes(self) -> int:
        return sum(self.sizes)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for rank in self.ranks for label in rank)

    def nodes(self) -> list[PlannedNode]:
        firsts = [sum(self.sizes[:i]) for i in range(len(self.ranks))]
        back: dict[int, list[int]] = {}
        for src, dst in self.loops:
            back.setdefault(src, []).append(dst)
        nodes = []
        for r, rank in enumerate(self.ranks):
            forward = list(range(firsts[r + 1], firsts[r + 1] + len(self.ranks[r + 1]))) \
                if r + 1 < len(self.ranks) else []
            for j, label in enumerate(rank):
                nid = firsts[r] + j
                nodes.append(PlannedNode(nid, tuple(sorted(set(forward + back.get(nid, [])))), label))
        return nodes

    def n_edges(self) -> int:
        return sum(len(n.targets) for n in self.nodes())

    def line(self) -> str:
        """The plan line the training answers start with (`trainer.synth.plan_from_info`)."""
        if self.kind == DENSE:
            return "# layers " + "-".join(str(s) for s in self.sizes)
        if self.kind == CHAIN:
            return "# layers " + " > ".join(self.labels)
        labels = self.labels
        loops = "".join(f"; loop {labels[a]} > {labels[b]}" for a, b in self.loops)
        return "# steps: " + " > ".join(", ".join(rank) for rank in self.ranks) + loops

    def describe(self) -> str:
        """A few words for people: '3-5-2 (10 nodes, 25 edges)', '4 steps, 3 links'."""
        if self.kind == DENSE:
            return f"{'-'.join(map(str, self.sizes))} ({self.n_nodes} nodes, {self.n_edges()} edges)"
        return f"{self.n_nodes} steps, {self.n_edges()} links"


def clean_label(text: str) -> str:
    """A label the answer grammar accepts: no quotes, backslashes or control characters, <= 40 chars."""
    label = " ".join(_UNSAFE_LABEL.sub(" ", text).split())
    return label[:LABEL_MAX_CHARS].rstrip() or "Step"


_DENSE_LINE = re.compile(r"#\s*layers\s+(\d+(?:\s*-\s*\d+)+)\s*")
_LOOP = re.compile(r";\s*loop\s+(.+?)\s*>\s*(.+?)\s*(?=;|$)")


def parse_plan_line(line: str) -> Plan | None:
    """The Plan a plan line states, or None when it is not one (or states an impossible structure)."""
    line = line.strip()
    try:
        match = _DENSE_LINE.fullmatch(line)
        if match:
            return Plan.dense(tuple(int(s) for s in match.group(1).split("-")))
        if line.startswith("# layers "):
            labels = [s.strip() for s in line[len("# layers "):].split(">")]
            return Plan.chain(labels) if len(labels) >= 2 and all(labels) else None
        if line.startswith("# steps:"):
            body = line[len("# steps:"):]
            loop_pairs = _LOOP.findall(body)
            body = _LOOP.sub("", body)
            ranks = [[s.strip() for s in part.split(",")] for part in body.split(">")]
            if not ranks or not all(all(rank) for rank in ranks):
                return None
            plan = Plan.steps(ranks)
            ids = {label: i for i, label in enumerate(plan.labels)}
            loops = tuple((ids[a], ids[b]) for a, b in loop_pairs if a in ids and b in ids)
            return Plan.steps(ranks, loops)
    except ValueError:
        return None
    return None


def fits(plan: Plan) -> bool:
    """Whether a plan is small enough to draw: <= MAX_PLAN_NODES nodes, <= MAX_LAYER_NODES per rank."""
    return 1 <= plan.n_nodes <= MAX_PLAN_NODES and max(plan.sizes) <= MAX_LAYER_NODES


_META = frozenset("\\.+*?()|[]{}^$#&-~/")


def literal(text: str) -> str:
    """`text` as a regex matching itself, in the dialect both Python `re` and Rust `regex` read."""
    return "".join("\\" + c if c in _META else c for c in text)


def structure_regex(plan: Plan) -> str:
    """The answer grammar for drawings of exactly this plan, written after its plan line.

    Starts with the newline that ends the plan line; fixed ids, target lists and labels; EOS only
    after the last node (one optional trailing newline).
    """
    lines = []
    for node in plan.nodes():
        targets = ", ".join(str(t) for t in node.targets)
        lines.append(rf"\[{node.id}, {X}, {Y}, {SHAPE}, {WIDTH}, {HEIGHT}, {LINE_SHAPE}, {RGB}, {RGB}, "
                     rf"\[{targets}\], '{literal(node.label)}'\]")
    return r"\n" + r"\n".join(lines) + r"\n?"
