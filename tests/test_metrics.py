"""Scores, each checked against arithmetic done by hand (written out in the comments).

Run: .venv/bin/python -m pytest tests/test_metrics.py -q
"""

from __future__ import annotations

import math

import pytest

from diagram import Diagram, Node, flow_direction, is_blue_palette, original_score, readability
from diagram.metrics import edges_through_nodes


def node(node_id: int, x: float = 500, y: float = 300, targets=(), size: float = 40,
         fill=(200, 200, 200)) -> Node:
    return Node(node_id, x, y, "rectangle", size, size, "solid arrow", fill, (0, 0, 0),
                tuple(targets))


def graph(*targets: tuple[int, ...]) -> Diagram:
    """Nodes 0..n-1 spread out on a row; only their targets matter for original_score."""
    return Diagram([node(i, x=100 + 100 * i, targets=t) for i, t in enumerate(targets)])


# Reference R: 0 -> [1, 2], 1 -> [2], 2 -> []. Out-degrees 2, 1, 0.
#   keys: node0 (deg 1, deg 2) = (1, 0); node1 (deg 2,) = (0,); node2 = ().
# Answer A: 0 -> [1], 1 -> [2], 2 -> []. Out-degrees 1, 1, 0.
#   keys: node0 = (1,); node1 = (0,); node2 = ().
# both = min over keys: (1,0): 0, (0,): 1, (): 1, (1,): 0 -> 2
# only = |0-1| + 0 + 0 + |1-0| = 2  ->  iou = 2 / 4 = 0.5
REFERENCE = graph((1, 2), (2,), ())
ANSWER = graph((1,), (2,), ())
# DL model: m_a = 2/3, s_a = sqrt(((1/3)^2 * 2 + (2/3)^2) / 3) = sqrt(2/9)
#           m_r = 1,   s_r = sqrt((1 + 0 + 1) / 3) = sqrt(2/3)
# z = |(2/3 - 1)/s_r - (1 - 2/3)/s_a| = (1/3)/sqrt(2/3) + (1/3)/sqrt(2/9) = 0.40825 + 0.70711
Z = (1 / 3) / math.sqrt(2 / 3) + (1 / 3) / math.sqrt(2 / 9)
DL_SCORE = (0.5 + (3 - Z) / 3) / 2  # = (0.5 + 0.62821) / 2 = 0.56411


@pytest.mark.parametrize("answer, reference, dl_model, expected", [
    (ANSWER, REFERENCE, False, 0.5),
    (ANSWER, REFERENCE, True, DL_SCORE),
    (REFERENCE, REFERENCE, True, 1.0),
    (REFERENCE, REFERENCE, False, 1.0),
    (Diagram(), Diagram(), False, 1.0),  # 0/0 defined as a perfect match
    (Diagram(), REFERENCE, False, 0.0),  # both = 0, only = 3
    (Diagram(), REFERENCE, True, 0.0),  # s_a = 0 (no nodes) -> iou
    # A = 0->[1], 1->[2], 2->[0]: all out-degrees 1 (s_a = 0) -> plain iou even for DL prompts.
    # A keys (1,), (1,), (1,) share nothing with R's (1, 0), (0,), () -> both = 0 -> iou = 0.
    (graph((1,), (2,), (0,)), REFERENCE, True, 0.0),
])
def test_original_score(answer, reference, dl_model, expected):
    assert original_score(answer, reference, dl_model=dl_model) == pytest.approx(expected)


def test_original_score_skips_missing_targets_and_keeps_target_order():
    # 0 -> [1, 99]: 99 names no node, so node 0's key is (deg 1,) = (0,), as for 0 -> [1].
    with_missing = graph((1, 99), ())
    assert original_score(with_missing, graph((1,), ()), dl_model=False) == 1.0
    # 0 -> [1, 2] with deg(1) = 1, deg(2) = 0 gives (1, 0); 0 -> [2, 1] gives (0, 1).
    # Keys: {(1,0), (0,), ()} vs {(0,1), (0,), ()}: both = 2, only = 2 -> 0.5.
    assert original_score(graph((1, 2), (2,), ()), graph((2, 1), (2,), ()),
                          dl_model=False) == 0.5


def test_original_score_far_degree_statistics_add_nothing():
    # R out-degrees [0, 0, 0, 3]: m_r = 0.75, s_r = sqrt((3 * 0.5625 + 5.0625) / 4) = 1.2990.
    # A out-degrees [5, 5, 5, 0]: m_a = 3.75, s_a = sqrt((3 * 1.5625 + 14.0625) / 4) = 2.1651.
    # z = 3 / 1.2990 + 3 / 2.1651 = 2.3094 + 1.3856 = 3.695 > 3, so the score is iou / 2.
    reference = graph((), (), (), (0, 1, 2))
    answer = graph((0, 1, 2, 3, 0), (0, 1, 2, 3, 1), (0, 1, 2, 3, 2), ())
    iou = original_score(answer, reference, dl_model=False)
    assert original_score(answer, reference, dl_model=True) == pytest.approx(iou / 2)


# readability: (nodes, overlaps, off_canvas, crossings, min_gap, score)
SQUARE = [node(0, 100, 100, (1, 2)), node(1, 300, 300), node(2, 100, 300, (1, 3)),
          node(3, 300, 100)]
READABILITY = [
    # A [80,120] and B [90,130] overlap; gap 0 -> spacing 0.5; score 0.5 / (1 + 1) = 0.25.
    ("overlap", [node(0, 100, 100), node(1, 110, 100)], 1, 0, 0, 0.0, 0.25),
    # A [80,120], B [125,165]: gap 5 -> spacing 0.5 + 0.5 * 5/10 = 0.75.
    ("close", [node(0, 100, 100), node(1, 145, 100)], 0, 0, 0, 5.0, 0.75),
    # Touching boxes are not an overlap, but the gap is 0.
    ("touching", [node(0, 100, 100), node(1, 140, 100)], 0, 0, 0, 0.0, 0.5),
    # Diagonal: dx = dy = 10 -> gap = sqrt(200) = 14.14 >= 10 -> spacing 1.
    ("diagonal", [node(0, 100, 100), node(1, 150, 150)], 0, 0, 0, math.sqrt(200), 1.0),
    # Box [-10, 30] leaves the canvas; one node -> min_gap None; score 1 / (1 + 1) = 0.5.
    ("off canvas", [node(0, 10, 100)], 0, 1, 0, None, 0.5),
    # Edges 0-1 and 2-3 are the square's diagonals and cross at (200, 200); 0-2 and 2-1 share
    # node 2 with each other and a node with each diagonal. Gap 160 -> score 1 / (1 + 1/4) = 0.8.
    ("square diagonals", SQUARE, 0, 0, 1, 160.0, 0.8),
    ("empty", [], 0, 0, 0, None, 0.0),
]


@pytest.mark.parametrize("nodes, overlaps, off_canvas, crossings, min_gap, score",
                         [r[1:] for r in READABILITY], ids=[r[0] for r in READABILITY])
def test_readability(nodes, overlaps, off_canvas, crossings, min_gap, score):
    result = readability(Diagram(nodes))
    counts = (result.overlaps, result.off_canvas, result.crossings)
    assert counts == (overlaps, off_canvas, crossings)
    assert result.min_gap == pytest.approx(min_gap)
    assert result.score == pytest.approx(score)


@pytest.mark.parametrize("nodes, crossings", [
    # T-junction: edge 2-3 ends on the segment 0-1 at (200, 100): touching, not crossing.
    ([node(0, 100, 100, (1,)), node(1, 300, 100), node(2, 200, 300, (3,)), node(3, 200, 100)], 0),
    # Collinear overlapping segments do not properly cross.
    ([node(0, 100, 100, (1,)), node(1, 300, 100), node(2, 200, 100, (3,)), node(3, 400, 100)], 0),
    # The same crossing edge twice (0->1 and 1->0) counts once.
    ([node(0, 100, 100, (1,)), node(1, 300, 300, (0,)), node(2, 100, 300, (3,)),
      node(3, 300, 100)], 1),
    # A plus sign: horizontal 0-1 and vertical 2-3 cross; a self-loop adds nothing.
    ([node(0, 100, 200, (1, 0)), node(1, 300, 200), node(2, 200, 100, (3,)),
      node(3, 200, 300)], 1),
])
def test_crossings_count_only_proper_crossings(nodes, crossings):
    assert readability(Diagram(nodes)).crossings == crossings


@pytest.mark.parametrize("nodes, hits", [
    # A chain on one line with a loop 2 -> 0: the back edge runs through box 1.
    ([node(0, 100, 300, (1,)), node(1, 300, 300, (2,)), node(2, 500, 300, (0,))], 1),
    # The same with 1 moved off the line (a ring): clear.
    ([node(0, 100, 300, (1,)), node(1, 300, 200, (2,)), node(2, 500, 300, (0,))], 0),
    # An edge passing 1 px beside a box (the 1 px inset): not through it.
    ([node(0, 100, 300, (1,)), node(1, 500, 300), node(2, 300, 341)], 0),
    # A steep edge clipping a box's corner; its own ends never count; self-loops skipped.
    ([node(0, 100, 100, (1, 0)), node(1, 300, 300), node(2, 200, 225)], 1),
])
def test_edges_through_nodes(nodes, hits):
    assert edges_through_nodes(Diagram(nodes)) == hits
    assert readability(Diagram(nodes)).overlaps == 0  # a diagnostic beside the score, not in it


@pytest.mark.parametrize("nodes, expected", [
    ([node(0, 100, 300, (1,)), node(1, 300, 320, (2,)), node(2, 500, 280)], "left_to_right"),
    ([node(0, 500, 100, (1,)), node(1, 520, 300)], "top_to_bottom"),
    ([node(0, 500, 300, (1,)), node(1, 300, 300)], "right_to_left"),
    ([node(0, 500, 300, (1,)), node(1, 500, 100)], "bottom_to_top"),
    ([node(0, 100, 100, (1,)), node(1, 200, 200)], "other"),  # exactly diagonal
    ([node(0, 100, 100), node(1, 200, 100)], "other"),  # no edges
    ([node(0, 100, 100, (0, 9))], "other"),  # only a self-loop and a missing target
    # Mean of (200, 0) and (0, 100) is (100, 50): mostly right.
    ([node(0, 100, 100, (1, 2)), node(1, 300, 100), node(2, 100, 200)], "left_to_right"),
])
def test_flow_direction(nodes, expected):
    assert flow_direction(Diagram(nodes)) == expected


@pytest.mark.parametrize("fills, expected", [
    ([(0, 0, 255), (100, 120, 200), (200, 200, 200)], 2 / 3),  # 200 > 120 and 200 > 130
    ([(100, 100, 120)], 0.0),  # b = r + 20 is not enough
    ([(100, 109, 121)], 1.0),  # 121 > 100 + 20 and 121 > 109 + 10
    ([(100, 111, 121)], 0.0),  # 121 > 111 + 10 fails
    ([(224, 224, 240)], 0.0),  # the pale lavender of the original examples is not blue
    ([], 0.0),
])
def test_is_blue_palette(fills, expected):
    diagram = Diagram([node(i, fill=f) for i, f in enumerate(fills)])
    assert is_blue_palette(diagram) == pytest.approx(expected)
