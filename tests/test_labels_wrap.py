"""Labels up to LABEL_MAX_CHARS (60) characters: the answer grammar takes them, and the renderer draws
one over ONE_LINE_CHARS (40) that is wider than its node on 2-3 lines broken at spaces
(`diagram.render.wrap_label`), with the no-overlap guarantee and the display frame computed on the
wrapped boxes; a label of at most 40 characters is drawn on one line exactly as before.

Run: .venv/bin/python -m pytest tests/test_labels_wrap.py -q   (the drawing checks need graphviz)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from diagram import Diagram, Node, parse, render, to_dot
from diagram.grammar import ANSWER_REGEX, LABEL_MAX_CHARS
from diagram.plan import Plan, compact_label, step_label
from diagram.plan_json import PLAN_SCHEMA
from diagram.render import (FONT_SIZE, MAX_LABEL_LINES, ONE_LINE_CHARS, _overlaps, escape_label, fit_labels,
                            label_box, label_overhang, text_width, wrap_label)

needs_graphviz = pytest.mark.skipif(shutil.which("neato") is None, reason="graphviz not installed")

LONG = [
    "Check whether the customer has a valid account",
    "Send the invoice to the accounting department",
    "Receive the purchase order from the customer portal web form",  # 60 characters
    "Archive signed contract in the regional document store, then close",
]


def node(i: int, x: float, y: float, label: str | None, width: float = 220, height: float = 40,
         shape: str = "round rectangle") -> Node:
    return Node(id=i, x=x, y=y, shape=shape, width=width, height=height, line_shape="solid arrow",
                fill=(200, 220, 240), line_color=(0, 0, 0), targets=(), label=label)


def drawn_lines(dot: str) -> dict[str, list[tuple[str, tuple[float, float, float, float]]]]:
    """Per graphviz node name, (text, box) of every text line graphviz draws (its own widths, -Tjson;
    graphviz coordinates, y up)."""
    out = subprocess.run(["dot", "-Kneato", "-Tjson", "-n2"], input=dot.encode(), check=True,
                         capture_output=True).stdout
    lines: dict[str, list] = {}
    for obj in json.loads(out).get("objects", []):
        size = 10.0
        for op in obj.get("_ldraw_") or []:
            if op["op"] == "F":
                size = float(op["size"])
            elif op["op"] == "T" and op["text"].strip():
                (x, y), w = op["pt"], float(op["width"])
                lines.setdefault(obj["name"], []).append(
                    (op["text"], (x - w / 2, y - 0.3 * size, x + w / 2, y + 0.95 * size)))
    return lines


# ---- wrapping ---------------------------------------------------------------------------------

@pytest.mark.parametrize("label", LONG)
@pytest.mark.parametrize("width", [220, 176, 120, 60])
def test_a_long_label_wraps_at_word_boundaries_onto_at_most_three_lines(label, width):
    wrapped = wrap_label(label, width)
    lines = wrapped.split("\n")
    assert 2 <= len(lines) <= MAX_LABEL_LINES
    assert " ".join(lines) == label  # every word kept, in order, broken only where a space was
    assert all(line and line == line.strip() for line in lines)
    words = set(label.split())
    assert all(w in words for line in lines for w in line.split())  # no word cut in two


def test_wrapping_takes_the_fewest_lines_that_fit_and_balances_them():
    label = "Receive the purchase order from the customer portal web form"
    two = wrap_label(label, 220).split("\n")
    assert len(two) == 2 and all(text_width(line, FONT_SIZE) <= 220 for line in two)
    # as even as the words allow: moving a word across the break makes the wider line wider
    widths = [text_width(line, FONT_SIZE) for line in two]
    first, second = two[0].split(), two[1].split()
    worse_a = max(text_width(" ".join(first[:-1]), FONT_SIZE), text_width(" ".join([first[-1]] + second), FONT_SIZE))
    worse_b = max(text_width(" ".join(first + second[:1]), FONT_SIZE), text_width(" ".join(second[1:]), FONT_SIZE))
    assert max(widths) <= min(worse_a, worse_b)
    three = wrap_label(label, 150).split("\n")  # narrower node: no 2-line split fits, 3 lines do
    assert len(three) == 3 and all(text_width(line, FONT_SIZE) <= 150 for line in three)
    assert len(wrap_label(label, 40).split("\n")) == MAX_LABEL_LINES  # none fits: still 3, not more


def test_short_labels_and_labels_that_fit_stay_on_one_line():
    for label in ("Hidden 1", "Output", "Check whether the account is valid", "x" * ONE_LINE_CHARS,
                  "a b c d e f g h i j k l m n o p q r s t"):  # 39 characters of 20 words
        assert wrap_label(label, 20) == label  # at most ONE_LINE_CHARS: as before, however narrow
    wide = "Receive the purchase order from the customer portal web form"
    assert wrap_label(wide, 1000) == wide  # fits its node
    assert wrap_label("y" * 60, 100) == "y" * 60  # no space to break at
    assert wrap_label("two\nlines " + "z" * 40, 100) == "two\nlines " + "z" * 40  # its own breaks kept


def test_short_labels_give_the_same_dot_as_before():
    """A label of at most 40 characters: one line, no tooltip, the text as it was (golden drawings
    keep their labels), also where it is far wider than its node."""
    d = Diagram([node(0, 100, 300, "Hidden 1", width=20, height=20),
                 node(1, 500, 300, "Check whether the account is valid", width=60)])
    dot = to_dot(d)
    assert 'label="Hidden 1"' in dot and 'label="Check whether the account is valid"' in dot
    assert "\\n" not in dot and "tooltip" not in dot
    assert fit_labels(d) == ["Hidden 1", "Check whether the account is valid"]


# ---- no overlap, display frame ---------------------------------------------------------------

def crowded() -> Diagram:
    """Three columns of four 220 px nodes with long labels, close enough that some wrapped labels
    collide at a card's enlarged sizes."""
    nodes = []
    for col in range(3):
        for row in range(4):
            i = col * 4 + row
            nodes.append(node(i, 150 + 300 * col, 80 + 140 * row, LONG[(i + col) % len(LONG)]))
    return Diagram(nodes)


@needs_graphviz
@pytest.mark.parametrize("scale", [1.0, 2.0, 3.0])
def test_no_two_wrapped_labels_overlap_and_each_lies_in_its_box(scale):
    diagram = crowded()
    dot = to_dot(diagram, label_scale=scale)
    size = FONT_SIZE * scale
    fitted = fit_labels(diagram, size)
    drawn = drawn_lines(dot)
    boxes = {}
    for i, n in enumerate(diagram.nodes):
        lines = drawn.get(f"n{i}", [])
        assert [t for t, _ in lines] == [t for t in fitted[i].split("\n") if t.strip()]
        if not lines:
            continue
        # graphviz's own line boxes (y up) lie inside the estimated box of the wrapped label (y down)
        left, top, right, bottom = label_box(n, fitted[i], size)
        vw, vh, _, cx, cy = map(float, re.search(r'viewport="([^"]+)"', dot).group(1).split(","))
        for text, (x0, y0, x1, y1) in lines:  # graphviz's frame: canvas (0, 600) at (cx - vw/2, cy - vh/2)
            x0, x1, y0, y1 = x0 - (cx - vw / 2), x1 - (cx - vw / 2), y0 - (cy - vh / 2), y1 - (cy - vh / 2)
            assert left - 0.5 <= x0 and x1 <= right + 0.5, (text, scale)
            # vertically up to a tenth of the font size off (glyph boxes are guessed from the baseline)
            assert 600 - bottom - 0.1 * size <= y0 and y1 <= 600 - top + 0.1 * size, (text, scale)
        boxes[i] = (min(b[0] for _, b in lines), min(b[1] for _, b in lines),
                    max(b[2] for _, b in lines), max(b[3] for _, b in lines))
    for i in boxes:
        for j in boxes:
            if i < j:
                a, b = boxes[i], boxes[j]
                assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (fitted[i], fitted[j], scale)
    if scale == 1.0:  # on the canvas every long label is drawn whole, wrapped
        assert all(f.replace("\n", " ") == n.label for f, n in zip(fitted, diagram.nodes))
        assert all(f.count("\n") >= 1 for f in fitted) and "tooltip" not in dot
    else:  # enlarged, some are shortened ("…", still wrapped) and keep their whole text as a tooltip
        cut = [(f, n.label) for f, n in zip(fitted, diagram.nodes) if f.replace("\n", " ") != n.label]
        assert cut and all(f == "" or f.endswith("…") for f, _ in cut)
        for f, label in cut:  # cut after a whole word
            kept = f[:-1].replace("\n", " ")
            assert not f or (label.startswith(kept) and label[len(kept)] == " ")
        assert len(re.findall(r'tooltip="', dot)) == len(cut)


def test_fit_labels_estimates_no_overlap_for_wrapped_boxes():
    diagram = crowded()
    for size in (10.0, 25.0, 40.0):
        fitted = fit_labels(diagram, size)
        boxes = [label_box(n, f, size) for n, f in zip(diagram.nodes, fitted) if f]
        assert all(not _overlaps(a, b) for k, a in enumerate(boxes) for b in boxes[k + 1:])
        assert all(f.count("\n") < MAX_LABEL_LINES for f in fitted)


@needs_graphviz
def test_the_display_frame_grows_by_the_wrapped_box():
    """A long label on a node at the canvas edge: with fit_frame every drawn line is inside the
    viewport, and the frame grows by the wrapped width, not the one-line width."""
    d = Diagram([node(0, 30, 300, LONG[2], width=60), node(1, 500, 592, LONG[0], width=120)])
    fitted = fit_labels(d, 30.0)
    over = label_overhang(d, fitted, 30.0)
    one_line = label_overhang(d, [n.label for n in d.nodes], 30.0)
    assert 0 < over[0] < one_line[0] and 0 < over[3]
    dot = to_dot(d, label_scale=3.0, fit_frame=True)
    width, height, _, cx, cy = map(float, re.search(r'viewport="([^"]+)"', dot).group(1).split(","))
    frame = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
    for lines in drawn_lines(dot).values():
        for text, (x0, y0, x1, y1) in lines:
            assert frame[0] <= x0 and x1 <= frame[2] and frame[1] <= y0 and y1 <= frame[3], text


def test_the_labelers_crop_counts_the_wrapped_label():
    from labeler.views import _drawn_extent

    d = Diagram([node(0, 500, 300, LONG[2])])
    width, _ = _drawn_extent(d, 0, (1, 1))
    assert width <= 222  # two lines within the 220 px node, not the ~400 px one line


# ---- grammar -> parse -> render; DOT escaping ------------------------------------------------

LINE = "[0, 500, 300, 'round rectangle', 220, 40, 'solid arrow', (200, 220, 240), (0, 0, 0), []"


def test_the_limit_is_sixty_everywhere():
    from trainer.generation.gbnf import answer_gbnf

    assert LABEL_MAX_CHARS == 60
    assert f"{{1,{LABEL_MAX_CHARS}}}" in answer_gbnf()
    for field in ("blocks", "steps"):
        assert PLAN_SCHEMA["properties"][field]["items"]["maxLength"] == LABEL_MAX_CHARS
    assert re.fullmatch(ANSWER_REGEX, f"{LINE}, '{'a' * 60}']")
    assert not re.fullmatch(ANSWER_REGEX, f"{LINE}, '{'a' * 61}']")
    step = "Check whether the customer has a valid account for this order"  # 61 characters
    assert step_label(step[:-6]) == step[:-6]  # 55 characters: kept whole, not told in fewer words
    assert len(step_label(step)) <= 60 and step_label(step).startswith("Check whether customer has valid account")
    assert compact_label("Send the invoice to the accounting department") == \
        "Send the invoice to the accounting department"
    plan = Plan.steps([["Receive the purchase order from the customer portal web form"], ["Send it"]], [])
    assert plan.labels[0] == "Receive the purchase order from the customer portal web form"


@needs_graphviz
def test_a_sixty_character_label_survives_grammar_parse_and_render():
    label = LONG[2]
    assert len(label) == 60
    text = f"{LINE}, '{label}']"
    assert re.fullmatch(ANSWER_REGEX, text)
    result = parse(text)
    assert not result.problems and result.diagram.nodes[0].label == label
    svg = render(result.diagram, "svg").decode()
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert drawn == wrap_label(label, 220).split("\n") and len(drawn) == 2
    assert " ".join(drawn) == label and "<title>" in svg and "…" not in svg


@pytest.mark.parametrize("label", [
    'Send the "invoice"]; n0 -> n1 [color=red, label="x" to accounting',
    "Check C:\\new\\folder for the \\N node and \\l left-justified lines here",
    "Approve & archive <b>the</b> contract in the regional store &amp; close",
])
def test_a_wrapped_label_cannot_inject_dot_and_draws_literally(label):
    d = Diagram([node(0, 500, 300, label, width=160)])
    dot = to_dot(d)
    fitted = fit_labels(d)[0]
    assert "\n" in fitted  # wrapped
    m = re.search(r'  n0 \[pos="[^"]*", .*, label="((?:[^"\\\n]|\\.)*)"\];\n', dot)
    assert m and m.group(1) == escape_label(fitted)
    # the only line breaks graphviz sees are the wrap's "\n" escapes; a backslash in the text is doubled
    assert m.group(1).replace("\\\\", "").count("\\n") == fitted.count("\n")
    assert "->" not in re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', dot)
    if shutil.which("neato"):
        lines = [t for t, _ in drawn_lines(dot)["n0"]]
        assert lines == fitted.split("\n")  # drawn literally, line by line


# ---- the layout engine's room for wrapped lines ------------------------------------------------

@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_the_engine_makes_a_box_tall_enough_for_its_wrapped_label(size):
    from diagram.engine import LayoutEngine
    from diagram.metrics import tidy
    from diagram.render import LINE_HEIGHT
    from diagram.style import Style

    plan = Plan.steps([[LONG[2]], ["Check stock"], [LONG[0], LONG[1]], ["Ship"]], [])
    text = LayoutEngine().answer(plan, Style(direction="top_to_bottom", size=size))
    diagram = parse(text).diagram
    assert tidy(diagram).ok
    factor = {"small": 0.8, "medium": 1.0, "large": 1.25}[size]
    for n in diagram.nodes:
        lines = fit_labels(Diagram([n]))[0].split("\n")
        assert " ".join(lines) == n.label  # drawn whole
        assert len(lines) * LINE_HEIGHT * FONT_SIZE <= n.height  # every line inside the box
        if len(n.label) <= ONE_LINE_CHARS:
            assert n.height == round(40 * factor)  # a short label's box as before
