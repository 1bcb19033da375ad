"""The tolerant parser: what it accepts silently, what it warns about, what drops a line.

Run: .venv/bin/python -m pytest tests/test_parse.py -q
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from diagram import MAX_INPUT_CHARS, MAX_NODES, Diagram, Node, parse

CANON = "[0, 100, 200, 'rectangle', 40, 30, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
NODE = Node(0, 100.0, 200.0, "rectangle", 40.0, 30.0, "solid arrow", (1, 2, 3), (4, 5, 6), ())
TWO = Diagram([replace(NODE, targets=(1,)), replace(NODE, id=1, x=300.0)])
LINE0 = "[0, 100, 200, 'rectangle', 40, 30, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]"
LINE1 = "[1, 300, 200, 'rectangle', 40, 30, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"


def line(**fields: str) -> str:
    """CANON with some fields replaced by raw text."""
    values = {"id": "0", "x": "100", "y": "200", "shape": "'rectangle'", "w": "40", "h": "30",
              "line": "'solid arrow'", "fill": "(1, 2, 3)", "color": "(4, 5, 6)", "targets": "[]"}
    values.update(fields)
    return "[" + ", ".join(values.values()) + "]"


# Accepted silently: (input text, expected single node).
SILENT = [
    ("canonical", CANON, NODE),
    ("quoted numbers", "['0', \"100\", '200', 'rectangle', '40', '30', 'solid arrow', "
                       "(1, 2, 3), (4, 5, 6), []]", NODE),
    ("floats", "[0.0, 100.0, 200., 'rectangle', 40.0, 3e1, 'solid arrow', (1, 2, 3), "
               "(4, 5, 6), []]", NODE),
    ("fractional position", line(x="100.25"), replace(NODE, x=100.25)),
    ("bare words", line(shape="rectangle", line="solid arrow"), NODE),
    ("double quotes", line(shape='"rectangle"', line='"solid arrow"'), NODE),
    ("curly quotes", line(shape="‘rectangle’", line="“solid arrow”"), NODE),
    ("mixed case, underscores, hyphens", line(shape="'RECTANGLE'", line="'Solid_Arrow'"), NODE),
    ("hyphen and extra spaces", line(shape="'Round-Rectangle'", line="'solid   arrow'"),
     replace(NODE, shape="round rectangle")),
    ("colour tuples as strings", line(fill="'(1,2,3)'", color='"(4, 5, 6)"'), NODE),
    ("colour as list", line(fill="[1, 2, 3]"), NODE),
    ("hex colour", line(fill="'#010203'"), NODE),
    ("targets as string", line(targets="'[]'"), NODE),
    ("targets as tuple", line(targets="()"), NODE),
    ("empty targets string", line(targets="''"), NODE),
    ("trailing comma inside", CANON[:-1] + ",]", NODE),
    ("trailing comma after", CANON + ",", NODE),
    ("tabs", CANON.replace(" ", "\t"), NODE),
    ("surrounding whitespace", "   " + CANON + "  \t", NODE),
    ("python comment", CANON + "  # input layer", NODE),
    ("px suffix", line(x="'100px'", w="40px"), NODE),
    ("label", line() [:-1] + ", 'Input layer']", replace(NODE, label="Input layer")),
    ("bare label", line()[:-1] + ", Input]", replace(NODE, label="Input")),
    ("label with escapes", line()[:-1] + r", 'it\'s a \\ b\nc']",
     replace(NODE, label="it's a \\ b\nc")),
    ("label None", line()[:-1] + ", None]", NODE),
    ("float id", line(id="0.0"), NODE),
    ("colour floats that are whole", line(fill="(1.0, 2.0, 3.0)"), NODE),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in SILENT], ids=[c[0] for c in SILENT])
def test_tolerated_without_problems(text, expected):
    result = parse(text)
    assert result.problems == ()
    assert result.diagram == Diagram([expected])
    assert result.ok


# Whole-document tolerance: every text gives the same two nodes, with no problems.
DOCUMENTS = [
    ("plain lines", f"{LINE0}\n{LINE1}"),
    ("CRLF", f"{LINE0}\r\n{LINE1}\r\n"),
    ("old Mac CR", f"{LINE0}\r{LINE1}"),
    ("assignment wrapper", f"nodes = [\n    {LINE0},\n    {LINE1},\n]"),
    ("assignment on the first line", f"diagram = [{LINE0},\n{LINE1}]"),
    ("outer list", f"[{LINE0},\n{LINE1}]"),
    ("one line, outer list", f"[{LINE0}, {LINE1}]"),
    ("markdown fence and prose", f"Here is the diagram:\n```python\n{LINE0}\n{LINE1}\n```\n"
                                 "It has two nodes.\n[Note: nodes are boxes.]"),
    ("blank lines between", f"\n\n{LINE0}\n\n\n{LINE1}\n\n"),
]


@pytest.mark.parametrize("text", [d[1] for d in DOCUMENTS], ids=[d[0] for d in DOCUMENTS])
def test_document_wrappers_are_tolerated(text):
    result = parse(text)
    assert result.problems == ()
    assert result.diagram == TWO


SYNONYMS = [
    ("shape", "box", "rectangle"), ("shape", "rect", "rectangle"), ("shape", "square", "rectangle"),
    ("shape", "rounded rectangle", "round rectangle"), ("shape", "round rect", "round rectangle"),
    ("shape", "rounded box", "round rectangle"), ("shape", "ellipse", "circle"),
    ("shape", "Oval", "circle"), ("line", "solid", "solid line"), ("line", "line", "solid line"),
    ("line", "dotted", "dashed line"), ("line", "dashed", "dashed line"),
    ("line", "Arrow", "solid arrow"),
]


@pytest.mark.parametrize("field, written, canonical", SYNONYMS)
def test_near_synonyms_are_mapped_with_a_warning(field, written, canonical):
    result = parse(line(**{field: repr(written)}))
    attr = "shape" if field == "shape" else "line_shape"
    assert getattr(result.diagram.nodes[0], attr) == canonical
    assert [p.severity for p in result.problems] == ["warning"]
    assert f"'{written}' read as '{canonical}'" in result.problems[0].message
    assert result.ok


# Kept with a warning: (input text, expected node, words the warning must contain).
WARNINGS = [
    ("colour above 255", line(fill="(300, 2, 3)"), replace(NODE, fill=(255, 2, 3)),
     "fill colour (300, 2, 3) is outside 0-255; clamped to (255, 2, 3)"),
    ("negative colour", line(color="(4, -5, 6)"), replace(NODE, line_color=(4, 0, 6)),
     "line colour (4, -5, 6) is outside 0-255; clamped to (4, 0, 6)"),
    ("off canvas right", line(x="990"), replace(NODE, x=990.0), "outside the 1000x600 canvas"),
    ("off canvas top", line(y="5"), replace(NODE, y=5.0), "outside the 1000x600 canvas"),
    ("missing target", line(targets="[7]"), replace(NODE, targets=(7,)),
     "node 0's target 7 names no node"),
    ("single number target", line(id="7", targets="7"), replace(NODE, id=7, targets=(7,)),
     "targets written as a single number"),
    ("text after node", CANON + " and more", NODE, "ignored the text after the node list"),
]


@pytest.mark.parametrize("text, expected, words", [w[1:] for w in WARNINGS],
                         ids=[w[0] for w in WARNINGS])
def test_kept_with_a_warning(text, expected, words):
    result = parse(text)
    assert result.diagram == Diagram([expected])
    assert [p.severity for p in result.problems] == ["warning"]
    assert words in result.problems[0].message
    assert result.problems[0].message.startswith("line 1: ")
    assert result.ok


def test_duplicate_id_is_a_warning_on_the_later_line():
    result = parse(f"{CANON}\n{CANON}")
    assert len(result.diagram.nodes) == 2
    assert [(p.line, p.severity) for p in result.problems] == [(2, "warning")]
    assert "duplicate id 0 (first on line 1)" in result.problems[0].message


# Dropped with an error: (the bad line, words of the message). The line sits between two good
# lines, so the test also checks the others still parse and the line number is right.
ERRORS = [
    ("cut off mid-line", CANON[:60], "the line is cut off (missing ']')"),
    ("cut off in a string", "[0, 100, 200, 'rect", "cut off inside a quoted string"),
    ("cut off after the id", "[7", "the line is cut off (missing ']')"),
    ("one field", "[7]", "has 1 field (expected 10, or 11 with a label)"),
    ("9 fields", line()[:-4] + "]", "has 9 fields (expected 10, or 11 with a label)"),
    ("12 fields", line()[:-1] + ", 'a', 'b']", "has 12 fields"),
    ("word for a number", line(x="'abc'"), "x must be a number, got 'abc'"),
    ("list for a number", line(w="[40]"), "width must be a number, got a list"),
    ("fractional id", line(id="3.5"), "id must be a whole number, got 3.5"),
    ("infinite number", line(y="1e999"), "y 1e999 is too large"),
    ("zero width", line(w="0"), "width must be positive, got 0"),
    ("negative height", line(h="-5"), "height must be positive, got -5"),
    ("unknown shape", line(shape="'hexagon'"),
     "unknown shape 'hexagon' (expected rectangle, round rectangle or circle); line dropped"),
    ("unknown line shape", line(line="'zigzag'"),
     "unknown line shape 'zigzag' (expected solid arrow, solid line or dashed line)"),
    ("two-part colour", line(fill="(1, 2)"), "malformed fill colour: 2 components"),
    ("colour name", line(fill="'red'"), "malformed fill colour (expected (R, G, B)) 'red'"),
    ("fractional colour", line(color="(0.5, 0.2, 1)"), "line colour component must be a whole"),
    ("targets word", line(targets="'abc'"), "malformed targets"),
    ("target not a number", line(targets="[1, x]"), "target must be a number, got 'x'"),
    ("label as list", line()[:-1] + ", ['a']]", "the label (11th field) must be text"),
    ("empty field", line(x=""), "an empty field"),
    ("missing comma", line(x="100 (1)"), "missing comma"),
    ("too deep", line(targets="[[[[1]]]]"), "nested too deeply"),
]


@pytest.mark.parametrize("bad, words", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_bad_line_is_dropped_with_an_error(bad, words):
    result = parse(f"{LINE0}\n{bad}\n{LINE1}")
    assert result.diagram == TWO
    assert [(p.line, p.severity) for p in result.problems] == [(2, "error")]
    message = result.problems[0].message
    assert message.startswith("line 2: ") and message.endswith("; line dropped")
    assert words in message
    assert not result.ok


def test_truncated_last_line_keeps_the_others():
    text = f"{LINE0}\n{LINE1}\n[2, 500, 300, 'circle', 40, 4"
    result = parse(text)
    assert result.diagram == TWO
    assert [(p.line, p.severity) for p in result.problems] == [(3, "error")]


def test_line_numbers_count_prose_and_blank_lines():
    result = parse(f"Sure!\n\n```\n{CANON}\n{line(shape='hexagon')}\n```")
    assert [p.line for p in result.problems] == [5]


@pytest.mark.parametrize("text", [
    "", "   \n\n", "I cannot draw that.", "```\n```", "[see below]", "[1] Smith et al., 2020",
    "[2]: https://example.com/a,b,c",
])
def test_no_node_lines(text):
    result = parse(text)
    assert result.diagram == Diagram()
    assert [(p.line, p.severity, p.message) for p in result.problems] == [
        (0, "error", "no node lines found")]
    assert not result.ok


def test_oversized_input_is_refused_whole():
    result = parse(CANON + " " * MAX_INPUT_CHARS)
    assert result.diagram == Diagram()
    assert [(p.line, p.severity) for p in result.problems] == [(0, "error")]
    assert "over the limit of 200,000" in result.problems[0].message


def test_too_many_nodes_is_refused_whole():
    lines = [line(id=str(i), targets="[]") for i in range(MAX_NODES + 1)]
    result = parse("\n".join(lines))
    assert result.diagram == Diagram()
    assert [(p.line, p.message) for p in result.problems] == [
        (0, f"more than {MAX_NODES} node lines; nothing parsed")]
    assert len(parse("\n".join(lines[:MAX_NODES])).diagram.nodes) == MAX_NODES


def test_problem_lists_are_split_by_severity():
    result = parse(f"{line(shape='box')}\n{line(shape='hexagon')}")
    assert [p.line for p in result.warnings] == [1]
    assert [p.line for p in result.errors] == [2]
    assert str(result.errors[0]) == result.errors[0].message
