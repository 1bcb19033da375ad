"""The tidy check (`diagram.metrics.tidy`) on hand-made drawings, and on the committed SFT answers.

Run: .venv/bin/python -m pytest tests/test_tidy.py -q
"""

from __future__ import annotations

import pytest

from diagram import Diagram, Node, parse
from diagram.metrics import back_edges, longest_path, tidy
from trainer.core.datasets_io import load_sft_csv


def node(node_id: int, x: float, y: float, targets=(), w: float = 40, h: float = 40) -> Node:
    return Node(node_id, x, y, "rectangle", w, h, "solid arrow", (200, 200, 200), (0, 0, 0),
                tuple(targets))


def chain_lr() -> list[Node]:
    # 0 -> 1 -> 2 along x, one line each
    return [node(0, 100, 300, [1]), node(1, 300, 300, [2]), node(2, 500, 300)]


def test_a_left_to_right_chain_is_tidy():
    assert tidy(Diagram(chain_lr())) == tidy(Diagram(chain_lr()))
    assert tidy(Diagram(chain_lr())).ok
    assert tidy(Diagram(chain_lr())).summary() == "tidy"


@pytest.mark.parametrize("flip", [lambda x, y: (x, y), lambda x, y: (1000 - x, y),
                                  lambda x, y: (y, x), lambda x, y: (y, 600 - x)])
def test_every_direction_is_tidy(flip):
    # a 2-3-1 dense net in columns x = 100, 300, 500, rows spread along y; mirrored/rotated
    cols = [[0, 1], [2, 3, 4], [5]]
    nodes = []
    for c, ids in enumerate(cols):
        nxt = cols[c + 1] if c + 1 < len(cols) else []
        for j, i in enumerate(ids):
            x, y = flip(100 + 200 * c, 150 + 100 * j)
            nodes.append(node(i, x, y, nxt))
    assert tidy(Diagram(nodes)).ok


def test_overlap_is_named_with_both_ids():
    nodes = chain_lr()
    nodes[2] = node(2, 320, 300)  # 20 px from node 1: boxes of 40 overlap
    result = tidy(Diagram(nodes))
    assert not result.ok
    assert "overlap 1-2" in result.reasons


def test_touching_boxes_do_not_overlap():
    nodes = [node(0, 100, 300, [1]), node(1, 140, 300)]  # right edge 120 == left edge 120
    assert tidy(Diagram(nodes)).ok


def test_off_canvas_names_the_node():
    nodes = chain_lr()
    nodes[2] = node(2, 990, 300)  # right edge at 1010
    result = tidy(Diagram(nodes))
    assert result.reasons == ("off canvas 2",)


def test_scattered_nodes_are_not_aligned():
    # a chain of 3 has longest path 2, so at most 3 lines; 3 distinct x and 3 distinct y,
    # but along x the edge 1 -> 2 goes back, along y the edge 0 -> 1 goes up
    nodes = [node(0, 100, 300, [1]), node(1, 500, 100, [2]), node(2, 300, 500)]
    result = tidy(Diagram(nodes))
    assert result.reasons == ("edge against the flow",)


def test_too_many_lines_for_the_structure():
    # 0 -> 1 and 0 -> 2: two ranks, but 1 and 2 are on different columns and rows
    nodes = [node(0, 100, 100, [1, 2]), node(1, 300, 300), node(2, 500, 500)]
    result = tidy(Diagram(nodes))
    assert result.reasons == ("ranks not aligned",)


def test_a_few_pixels_of_tolerance():
    nodes = [node(0, 100, 100, [1, 2]), node(1, 300, 100), node(2, 303, 300)]
    assert tidy(Diagram(nodes)).ok
    nodes[2] = node(2, 310, 300)  # 10 px off its rank
    assert not tidy(Diagram(nodes)).ok


def test_a_loop_back_edge_is_allowed():
    # 0 -> 1 -> 2 -> 3 and 2 -> 1 (a retry loop): the back edge goes against the flow
    nodes = [node(0, 100, 300, [1]), node(1, 300, 300, [2]), node(2, 500, 300, [1, 3]),
             node(3, 700, 300)]
    d = Diagram(nodes)
    assert back_edges(d) == {(2, 1)}
    assert longest_path(d) == 3
    assert tidy(d).ok


def test_edges_must_all_point_one_way():
    # 0 -> 1 to the right, 2 -> 3 to the left: lines are fine, directions mixed
    nodes = [node(0, 100, 100, [1]), node(1, 300, 100), node(2, 300, 400, [3]), node(3, 100, 400)]
    assert tidy(Diagram(nodes)).reasons == ("edge against the flow",)


def test_isolated_nodes_must_share_one_line():
    assert tidy(Diagram([node(0, 100, 300), node(1, 300, 300)])).ok
    assert not tidy(Diagram([node(0, 100, 100), node(1, 300, 300)])).ok


def test_empty_and_several_reasons():
    assert tidy(Diagram([])).reasons == ("no nodes",)
    nodes = [node(0, 100, 300, [1]), node(1, 110, 300), node(2, 999, 300), node(3, 999, 590)]
    result = tidy(Diagram(nodes))
    assert result.reasons[0] == "overlap 0-1"  # 2 and 3 are 290 px apart in y
    assert result.reasons[1] == "off canvas 2 (+1)"
    assert result.summary().startswith("overlap 0-1")


def test_deep_chain_does_not_recurse():
    n = 3000
    nodes = [node(i, 20 + i * 0.3, 300, [i + 1] if i + 1 < n else [], w=0.2, h=10) for i in range(n)]
    assert longest_path(Diagram(nodes)) == n - 1


def test_committed_sft_answers_are_tidy():
    frame = load_sft_csv("data/sft_dataset_llm.csv")
    bad = [a for a in frame["output_data"] if not tidy(parse(a).diagram).ok]
    assert len(frame) == 700 and not bad, bad[:1]
