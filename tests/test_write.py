"""The canonical writer and the round trip `parse(dumps(d)).diagram == d` with no problems.

Run: .venv/bin/python -m pytest tests/test_write.py -q
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diagram import LINE_SHAPES, SHAPES, Diagram, Node, dump_node, dumps, parse
from diagram.write import format_number, quote

NODE = Node(0, 62, 300, "round rectangle", 40, 40, "solid arrow", (224, 224, 240), (64, 64, 128),
            (1,))


@pytest.mark.parametrize("value, text", [
    (12, "12"), (12.0, "12"), (12.5, "12.5"), (-3.0, "-3"), (0.1, "0.1"), (1e-07, "1e-07"),
])
def test_format_number(value, text):
    assert format_number(value) == text


@pytest.mark.parametrize("label, text", [
    ("plain", "'plain'"),
    ("it's", r"'it\'s'"),
    ("a\\b", r"'a\\b'"),
    ('say "hi"', "'say \"hi\"'"),
    ("two\nlines", r"'two\nlines'"),
    ("cr\rtab\t", r"'cr\rtab\t'"),
    ("nul\x00bell\x07", r"'nul\x00bell\x07'"),
    ("sep\u2028", r"'sep\u2028'"),
    ("émoji 😀 “curly”", "'émoji 😀 “curly”'"),
])
def test_quote_escapes_what_would_break_a_line(label, text):
    assert quote(label) == text


def test_dump_node_matches_the_original_style():
    assert dump_node(NODE) == (
        "[0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]"
    )
    labelled = Node(1, 10.5, 20, "circle", 5, 5, "dashed line", (0, 0, 0), (1, 2, 3), (), "In")
    assert dump_node(labelled) == "[1, 10.5, 20, 'circle', 5, 5, 'dashed line', (0, 0, 0), " \
                                  "(1, 2, 3), [], 'In']"


def test_dumps_is_one_line_per_node_even_with_multiline_labels():
    nodes = [Node(i, 100, 100, "circle", 10, 10, "solid line", (0, 0, 0), (0, 0, 0), (), "a\nb\rc")
             for i in range(3)]
    assert len(dumps(Diagram(nodes)).split("\n")) == 3
    assert dumps(Diagram()) == ""


colors = st.tuples(*[st.integers(0, 255)] * 3)
# Inside the canvas by construction: centre in [100, 900] x [100, 500], size at most 200.
coords_x = st.one_of(st.integers(100, 900), st.floats(100, 900))
coords_y = st.one_of(st.integers(100, 500), st.floats(100, 500))
sizes = st.one_of(st.integers(1, 200), st.floats(0.5, 200))


@st.composite
def diagrams(draw) -> Diagram:
    ids = draw(st.lists(st.integers(-5, 10_000), min_size=1, max_size=12, unique=True))
    nodes = []
    for node_id in ids:
        nodes.append(Node(
            id=node_id, x=draw(coords_x), y=draw(coords_y), shape=draw(st.sampled_from(SHAPES)),
            width=draw(sizes), height=draw(sizes), line_shape=draw(st.sampled_from(LINE_SHAPES)),
            fill=draw(colors), line_color=draw(colors),
            targets=tuple(draw(st.lists(st.sampled_from(ids), max_size=4))),
            label=draw(st.none() | st.text(max_size=20)),
        ))
    return Diagram(nodes)


@settings(max_examples=150, deadline=None)
@given(diagrams())
def test_round_trip_of_valid_diagrams(diagram):
    result = parse(dumps(diagram))
    assert result.problems == ()
    assert result.diagram == diagram


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300) | st.text("[](),'\"‘’0123456789 .-+eE\n\\#=circle", max_size=300))
def test_parse_never_raises_on_arbitrary_text(text):
    result = parse(text)
    assert all(p.severity in ("error", "warning") for p in result.problems)
    assert result.ok == (not result.errors and bool(result.diagram.nodes))
