"""Card badges (labeler/views.py): structure asked vs drawn, and tidy or why not."""

from __future__ import annotations

from diagram import Diagram, Node, dumps
from diagram.engine import layout
from diagram.plan import Plan
from diagram.style import Style
from labeler.views import card_badge, drawn_ranks


def _node(i, x, y, targets=()):
    return Node(i, x, y, "rectangle", 40, 40, "solid arrow", (200, 200, 200), (0, 0, 0), tuple(targets))


def test_a_laid_out_net_is_as_asked_and_tidy():
    plan = Plan.dense((6, 10, 10, 3))
    text = "# layers 6-10-10-3\n" + dumps(layout(plan.nodes(), Style()))
    assert drawn_ranks(layout(plan.nodes(), Style())) == (6, 10, 10, 3)
    badge = card_badge(text, plan)
    assert "asks 6-10-10-3" in badge and "draws 6-10-10-3 ✓" in badge and "tidy" in badge


def test_a_wrong_structure_and_a_messy_drawing_say_so():
    # asks 2-1, draws a chain 0 -> 1 -> 2 with an overlap
    d = Diagram([_node(0, 100, 300, [1]), _node(1, 120, 300, [2]), _node(2, 500, 300)])
    badge = card_badge(dumps(d), (2, 1))
    assert "asks 2-1" in badge and "draws 1-1-1 ✗" in badge and "overlap 0-1" in badge
    assert "tidy" not in badge


def test_a_plan_checks_edges_too_and_loops_do_not_count_as_ranks():
    plan = Plan.steps([["A"], ["B"], ["C"]], loops=((2, 0),))
    d = layout(plan.nodes(), Style())
    assert drawn_ranks(d) == (1, 1, 1)
    assert "✓" in card_badge(dumps(d), plan)
    no_loop = Diagram([n if n.id != 2 else Node(**{**n.__dict__, "targets": ()}) for n in d.nodes])
    assert "✗" in card_badge(dumps(no_loop), plan)


def test_nothing_asked_and_nothing_drawn():
    d = Diagram([_node(0, 100, 100, [1]), _node(1, 300, 300)])
    assert card_badge(dumps(d)).startswith("draws 1-1")
    assert "nothing drawn" in card_badge("not a diagram")


def test_a_wide_layer_drawn_as_a_schematic_is_as_asked_and_named_by_its_true_size():
    plan = Plan.dense((784, 128, 64, 10))
    badge = card_badge(dumps(layout(plan.nodes(), Style())), plan)
    assert "asks 784-128-64-10" in badge and "draws 784-128-64-10 ✓" in badge and "tidy" in badge
    fewer = Plan.dense((784, 128, 10))  # the same drawing does not pass for another net
    assert "✗" in card_badge(dumps(layout(plan.nodes(), Style())), fewer)


def test_steps_are_counted_not_written_as_ones():
    plan = Plan.steps([["Kafka"], ["Flink"], ["ClickHouse"], ["Grafana"]])
    badge = card_badge(dumps(layout(plan.nodes(), Style())), plan)
    assert "asks 4 steps" in badge and "draws 4 steps ✓" in badge and "1-1-1-1" not in badge
