"""A diagram's structure as a plan: its plan line, and the grammar of drawings that follow it.

Every training answer starts with a plan line that `diagram.parse` skips as prose:

    # layers 3-5-2                                         (a dense net: layer sizes)
    # layers Input 32x32 > Conv 3x3 > Pool 2x2 > Output 10 (a chain of labelled layers: CNNs)
    # steps: Loader > Embedder, BM25 > LLM; loop LLM > Loader   (ranks of named steps)
    # steps: Text > Model, Chart >> DB, DB                      ('>>': parallel lanes, one to one)

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

import operator
import re
from dataclasses import dataclass

from diagram.grammar import HEIGHT, LABEL_MAX_CHARS, LINE_SHAPE, RGB, SHAPE, WIDTH, X, Y

DENSE, CHAIN, STEPS = "dense", "chain", "steps"
# The largest structure a plan may draw: beyond this the answer outgrows a small model's
# context (a 40-node dense net is ~900 tokens of the tiny tokenizer) and the canvas.
MAX_PLAN_NODES = 40
# A dense layer of more nodes than this is drawn as a schematic: its first SCHEMATIC_HEAD nodes,
# one ellipsis node labelled with the layer's size ("... 784") and its last node.
MAX_LAYER_NODES = 12
SCHEMATIC_HEAD = 3
ELLIPSIS = "..."
# The largest layer and the most layers a plan may state (checked before anything is built).
MAX_LAYER_SIZE = 1_000_000
MAX_LAYERS = MAX_PLAN_NODES // 2
_UNSAFE_LABEL = re.compile(r"['\\\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PlannedNode:
    """One drawn node; `elided` > 0 for the ellipsis node of a wide layer: how many nodes it stands for."""

    id: int
    targets: tuple[int, ...]
    label: str
    elided: int = 0


def schematic(label: str, size: int, cap: int = MAX_LAYER_NODES, head: int = SCHEMATIC_HEAD) -> tuple[str, ...]:
    """The drawn labels of a dense layer of `size` nodes: all of them up to `cap`, else the first
    `head`, an ellipsis node ("... 784") and the last."""
    if size <= cap:
        return (label,) * size
    return (label,) * head + (f"{ELLIPSIS} {size}", label)


def _schematics(labels: list[str], sizes: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
    """A dense net's drawn ranks: wide layers as schematics; when that draws more than MAX_PLAN_NODES
    (784-128-64-12-3-12-64-128-784), every layer over the largest cap that fits as a short schematic
    (first node, "... 128", last), so a deep wide net is drawn with every size written, not refused."""
    ranks = tuple(schematic(label, size) for label, size in zip(labels, sizes))
    for cap in range(MAX_LAYER_NODES, 2, -1):
        if sum(map(len, ranks)) <= MAX_PLAN_NODES:
            break
        ranks = tuple(schematic(label, size, cap, 1) for label, size in zip(labels, sizes))
    return ranks


@dataclass(frozen=True)
class Plan:
    """kind: DENSE (ranks of one label each, `sizes` nodes), CHAIN or STEPS (one node per label).

    `ranks`: the labels of each rank in flow order, as drawn (a wide dense layer as its schematic);
    `loops`: back edges as (from, to) node ids; `widths`: a dense net's true layer sizes (empty
    for the other kinds, whose sizes are their ranks'); `lanes`: ranks r whose nodes each point to
    one node of rank r + 1 of the same size (parallel lanes, "sends each to its own model"),
    written ' >> ' in the plan line, instead of to all of them.
    """

    kind: str
    ranks: tuple[tuple[str, ...], ...]
    loops: tuple[tuple[int, int], ...] = ()
    widths: tuple[int, ...] = ()
    lanes: tuple[int, ...] = ()

    @staticmethod
    def dense(sizes: tuple[int, ...] | list[int]) -> Plan:
        """A fully connected net with these layer sizes (input first); labels as the layouts write
        them, layers over MAX_LAYER_NODES drawn as schematics. ValueError for a structure no plan
        may state (checked before anything is built)."""
        sizes = tuple(sizes)
        if not 2 <= len(sizes) <= MAX_LAYERS:
            raise ValueError(f"a dense net needs 2 to {MAX_LAYERS} layers, got {len(sizes)}")
        try:
            sizes = tuple(operator.index(s) for s in sizes)  # ints, numpy ints; not floats or text
        except TypeError:
            raise ValueError(f"layer sizes are whole numbers, got {sizes}") from None
        if not all(1 <= s <= MAX_LAYER_SIZE for s in sizes):
            raise ValueError(f"a dense layer has 1 to {MAX_LAYER_SIZE:,} nodes, got {sizes}")
        labels = ["Input"] + [f"Hidden {i}" for i in range(1, len(sizes) - 1)] + ["Output"]
        ranks = _schematics(labels, sizes)
        return Plan(DENSE, ranks, widths=sizes if tuple(map(len, ranks)) != sizes else ())

    @staticmethod
    def chain(labels: list[str] | tuple[str, ...]) -> Plan:
        """One node per label, each pointing to the next (a CNN's layers)."""
        if not 1 <= len(labels) <= MAX_PLAN_NODES:
            raise ValueError(f"a chain has 1 to {MAX_PLAN_NODES} layers, got {len(labels)}")
        return Plan(CHAIN, tuple((clean_label(label),) for label in labels))

    @staticmethod
    def steps(ranks: list[list[str]] | tuple[tuple[str, ...], ...],
              loops: tuple[tuple[int, int], ...] = (), lanes: tuple[int, ...] = ()) -> Plan:
        """Named steps in ranks (consecutive ranks fully connected, or one to one where `lanes`
        names the earlier rank) plus loop edges by node id."""
        if sum(len(rank) for rank in ranks) > MAX_PLAN_NODES:
            raise ValueError(f"a plan draws at most {MAX_PLAN_NODES} steps")
        if any(not 0 <= r < len(ranks) - 1 or len(ranks[r]) != len(ranks[r + 1]) for r in lanes):
            raise ValueError("lanes join two consecutive ranks of the same size")
        return Plan(STEPS, tuple(tuple(step_label(s) for s in rank) for rank in ranks), tuple(loops),
                    lanes=tuple(sorted(set(lanes))))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer sizes as stated (a wide dense layer at its true size); steps per rank otherwise."""
        return self.widths or self.drawn_sizes

    @property
    def drawn_sizes(self) -> tuple[int, ...]:
        return tuple(len(rank) for rank in self.ranks)

    @property
    def n_nodes(self) -> int:
        """Drawn nodes."""
        return sum(self.drawn_sizes)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for rank in self.ranks for label in rank)

    def nodes(self) -> list[PlannedNode]:
        """The drawn nodes: ids in rank order from 0, targets ascending."""
        drawn = self.drawn_sizes
        firsts = [sum(drawn[:i]) for i in range(len(self.ranks))]
        back: dict[int, list[int]] = {}
        for src, dst in self.loops:
            back.setdefault(src, []).append(dst)
        nodes = []
        for r, rank in enumerate(self.ranks):
            forward = list(range(firsts[r + 1], firsts[r + 1] + drawn[r + 1])) if r + 1 < len(self.ranks) else []
            head = len(rank) - 2  # a schematic: its head, the ellipsis node, the last node
            wide = bool(self.widths) and self.widths[r] > len(rank)
            elided = self.widths[r] - head - 1 if wide else 0  # all but the head and the last
            for j, label in enumerate(rank):
                nid = firsts[r] + j
                if r in self.lanes:
                    forward = [firsts[r + 1] + j]
                nodes.append(PlannedNode(nid, tuple(sorted(set(forward + back.get(nid, [])))), label,
                                         elided if elided and j == head else 0))
        return nodes

    def n_edges(self) -> int:
        return sum(len(n.targets) for n in self.nodes())

    def line(self) -> str:
        """The plan line the training answers start with (`trainer.data.synth.plan_from_info`)."""
        if self.kind == DENSE:
            return "# layers " + "-".join(str(s) for s in self.sizes)
        if self.kind == CHAIN:
            return "# layers " + " > ".join(self.labels)
        labels = self.labels
        loops = "".join(f"; loop {labels[a]} > {labels[b]}" for a, b in self.loops)
        body = "".join((" >> " if r - 1 in self.lanes else " > ") * (r > 0) + ", ".join(rank)
                       for r, rank in enumerate(self.ranks))
        return "# steps: " + body + loops

    def describe(self) -> str:
        """A few words for people: '3-5-2 (10 nodes, 25 edges)', '4 steps, 3 links',
        '784-128-10 (drawn as 20 nodes, 105 edges: wide layers shortened)'."""
        if self.kind == DENSE and self.widths:
            return (f"{'-'.join(map(str, self.sizes))} (drawn as {self.n_nodes} nodes, {self.n_edges()} edges: "
                    "wide layers shortened)")
        if self.kind == DENSE:
            return f"{'-'.join(map(str, self.sizes))} ({self.n_nodes} nodes, {self.n_edges()} edges)"
        if self.kind == CHAIN:
            return f"{self.n_nodes} layers in a chain"
        return f"{self.n_nodes} steps, {self.n_edges()} links"


# words a label over LABEL_MAX_CHARS can lose first (after its first word): articles, then the other
# function words and bare symbols ("Compile, Build && run SonarQube analysis")
_ARTICLES = frozenset("the a an".split())
_FUNCTION_WORDS = frozenset("of to for with by in on at from into onto via your his her their its our my this these those "
                            "is are was were be been being and that which who will would shall should can could may "
                            "might must & && + - – — / |".split())


def compact_label(text: str, limit: int = LABEL_MAX_CHARS, cut: bool = True) -> str:
    """A label over `limit` characters told in fewer: its articles go, then its other function words
    and bare symbols (never the first word), then whole words from the end; a hard cut only inside
    one word longer than the limit. "Evaluates with accuracy + confusion matrix" -> "Evaluates
    accuracy confusion matrix", not "Evaluates with accuracy + confusion" (what a plain cut at a
    word keeps drops the words at the end, which are often the object: "... reference genome")."""
    words = text.split()
    for dropped in (_ARTICLES, _FUNCTION_WORDS):
        if len(" ".join(words)) <= limit:
            break
        words = words[:1] + [w for w in words[1:] if w.lower() not in dropped]
    if not cut and len(" ".join(words)) > limit:
        return ""
    while len(words) > 1 and len(" ".join(words)) > limit:
        words.pop()
    return " ".join(words)[:limit].rstrip()


def step_label(text: str) -> str:
    """A step's label: `clean_label` without ',', ';' or '>', which separate steps in a plan line
    ("value > threshold" keeps its comparison as the full-width '＞'); one over LABEL_MAX_CHARS is
    told in fewer words (`compact_label`) rather than cut inside a word."""
    label = " ".join(_UNSAFE_LABEL.sub(" ", _STEP_UNSAFE.sub(" ", text.replace(">", "\uff1e"))).split())
    return clean_label(compact_label(label))


def clean_label(text: str) -> str:
    """A label the answer grammar accepts: no quotes, backslashes or control characters, <= LABEL_MAX_CHARS."""
    label = " ".join(_UNSAFE_LABEL.sub(" ", text).split())
    return label[:LABEL_MAX_CHARS].rstrip() or "Step"


MAX_PLAN_LINE_CHARS = 4_000
_LAYERS_HEAD = re.compile(r"#[ \t]*layers[ \t]")
_STEP_UNSAFE = re.compile(r"[,;>]")
PLAN_LINE_EXAMPLES = ("# layers 3-5-2", "# layers Input 28x28 > Conv 3x3, 32 > MaxPool 2x2 > Dense 10",
                      "# steps: Loader > Embedder, BM25 > LLM; loop LLM > Loader")


class PlanLineError(ValueError):
    """A plan line that states no plan; the message says what is wrong and how to write one."""


def read_plan_line(line: str) -> Plan:
    """The Plan a plan line states; PlanLineError naming the problem when it states none.

    Plain string splitting (no backtracking pattern): linear time in the line's length."""
    line = (line or "").strip()
    if len(line) > MAX_PLAN_LINE_CHARS:
        raise PlanLineError(f"the plan is {len(line):,} characters; at most {MAX_PLAN_LINE_CHARS:,}")
    if not line.startswith("#"):
        line = "# " + line  # "layers 3-5-2" and "steps: A > B" as typed in an editor
    head = _LAYERS_HEAD.match(line + " ")
    if head:
        body = line[head.end():].strip()
        parts = [p.strip() for p in body.split("-")]
        if len(parts) >= 2 and all(p.isascii() and p.isdigit() for p in parts):
            if any(len(p) > 7 for p in parts):
                raise PlanLineError(f"a layer has at most {MAX_LAYER_SIZE:,} nodes")
            try:
                return Plan.dense(tuple(int(p) for p in parts))
            except ValueError as exc:
                raise PlanLineError(str(exc)) from None
        labels = [p.strip() for p in body.split(">")]
        if len(labels) < 2 or not all(labels):
            raise PlanLineError("write layer sizes joined by '-' (# layers 3-5-2) or at least two "
                                "layer names joined by '>' (# layers Conv 3x3 > Dense 10)")
        try:
            return Plan.chain(labels)
        except ValueError as exc:
            raise PlanLineError(str(exc)) from None
    if line.startswith("# steps:") or line.startswith("# steps "):
        segments = line[len("# steps:"):].split(";")
        parts = segments[0].split(">")
        # '>>' (an empty part between two ranks): the ranks before and after are parallel lanes
        lanes = [i for i in range(1, len(parts) - 1) if not parts[i].strip()]
        lanes = [i - 1 - lanes.index(i) for i in lanes]
        ranks = [[s.strip() for s in part.split(",")] for i, part in enumerate(parts)
                 if part.strip() or i in (0, len(parts) - 1)]
        if len(ranks) < 1 or not all(all(rank) for rank in ranks) or sum(map(len, ranks)) < 2:
            raise PlanLineError("write at least two steps joined by '>', parallel steps joined by ',' "
                                "(# steps: Loader > Embedder, BM25 > LLM; lanes: A, B >> C, D)")
        if any(len(ranks[r]) != len(ranks[r + 1]) for r in lanes):
            raise PlanLineError("'>>' joins two ranks of as many steps each (parallel lanes)")
        try:
            plan = Plan.steps(ranks, lanes=tuple(lanes))
        except ValueError as exc:
            raise PlanLineError(str(exc)) from None
        ids = {label: i for i, label in enumerate(plan.labels)}
        loops = []
        for segment in segments[1:]:
            words = segment.strip()
            ends = [e.strip() for e in words[len("loop"):].split(">")] if words.startswith("loop ") else []
            if len(ends) != 2 or not all(ends):
                raise PlanLineError(f"after ';' write a loop back as 'loop <step> > <earlier step>', not {words!r}")
            a, b = (clean_label(e) for e in ends)
            if a not in ids or b not in ids:
                raise PlanLineError(f"the loop names a step the plan does not have: {(a if a not in ids else b)!r}")
            loops.append((ids[a], ids[b]))
        return Plan.steps(plan.ranks, tuple(loops), plan.lanes)
    raise PlanLineError("a plan starts with '# layers' or '# steps:', e.g. " + "; or ".join(PLAN_LINE_EXAMPLES))


def parse_plan_line(line: str) -> Plan | None:
    """The Plan a plan line states, or None when it is not one (or states an impossible structure)."""
    if not isinstance(line, str) or not line.strip().startswith("#"):
        return None
    try:
        return read_plan_line(line)
    except PlanLineError:
        return None


def fits(plan: Plan) -> bool:
    """Whether a plan is small enough to draw: <= MAX_PLAN_NODES drawn nodes, <= MAX_LAYER_NODES
    drawn per rank (a wide dense layer is drawn as its schematic)."""
    return 1 <= plan.n_nodes <= MAX_PLAN_NODES and max(plan.drawn_sizes) <= MAX_LAYER_NODES


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
