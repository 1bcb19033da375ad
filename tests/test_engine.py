"""The layout engine (diagram/engine.py): tidy by construction on random plans with loops, in
every style; deterministic; graphviz killed at its timeout (the grid takes over); cached."""

from __future__ import annotations

import random
import shutil

import pytest

from diagram import parse
from diagram.engine import LayoutEngine, layout, role_of
from diagram.metrics import readability, tidy
from diagram.plan import Plan, PlannedNode
from diagram.style import DIRECTIONS, Style, find_style, random_style

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz dot not installed")


def random_plan(rng: random.Random) -> Plan:
    kind = rng.random()
    if kind < 0.35:
        return Plan.dense([rng.randint(1, 10) for _ in range(rng.randint(2, 4))])
    if kind < 0.55:
        return Plan.chain([f"Conv {j}x{j}" for j in range(1, rng.randint(3, 10))])
    ranks = [[f"Step {r}.{j} {'x' * rng.randint(0, 20)}" for j in range(rng.choice((1, 1, 2, 3)))]
             for r in range(rng.randint(2, 7))]
    n = sum(len(r) for r in ranks)
    loops = ((n - 1, rng.randrange(n - 1)),) if rng.random() < 0.5 else ()
    return Plan.steps(ranks, loops)


@needs_dot
@pytest.mark.parametrize("method", ["auto", "dot", "grid"])
def test_random_plans_are_tidy_on_canvas_without_overlaps(method):
    rng = random.Random(11)
    for _ in range(25):
        plan, style = random_plan(rng), random_style(rng)
        d = layout(plan.nodes(), style, method)
        result = tidy(d)
        assert result.ok, (method, plan.line(), style, result)
        r = readability(d)
        assert (r.overlaps, r.off_canvas) == (0, 0)
        assert [(n.id, n.targets, n.label) for n in d.nodes] == [
            (n.id, n.targets, n.label) for n in plan.nodes()]
        assert all(float(v).is_integer() for n in d.nodes for v in (n.x, n.y, n.width, n.height))


@needs_dot
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_direction_is_the_flow(direction):
    from diagram.metrics import flow_direction

    plan = Plan.steps([["Loader"], ["Embedder", "BM25"], ["LLM"]], loops=((3, 0),))
    d = layout(plan.nodes(), Style(direction=direction), "dot")
    assert flow_direction(d) == direction and tidy(d).ok


def test_gap_and_size_change_the_drawing():
    plan = Plan.dense((3, 4, 2))
    small, large = (layout(plan.nodes(), Style(size=s), "grid") for s in ("small", "large"))
    assert small.nodes[0].width < large.nodes[0].width
    tight, airy = (layout(plan.nodes(), Style(gap=g), "grid") for g in (0.8, 1.5))
    spread = [max(n.x for n in d.nodes) - min(n.x for n in d.nodes) for d in (tight, airy)]
    assert spread[0] < spread[1]


def test_labels_widen_boxes_and_shapes_follow_the_style():
    nodes = [PlannedNode(0, (1,), "Load"), PlannedNode(1, (), "A much longer step name here")]
    d = layout(nodes, Style(shapes="rectangle"), "grid")
    assert d.nodes[1].width > d.nodes[0].width
    assert {n.shape for n in d.nodes} == {"rectangle"}
    circles = layout(nodes, Style(shapes="circle"), "grid")
    assert all(n.shape == "circle" and n.width == n.height for n in circles.nodes)


def test_roles_from_labels_and_place():
    assert role_of(PlannedNode(0, (1,), "Hidden 2"), False, False) == "hidden"
    assert role_of(PlannedNode(0, (1,), "Conv 3x3"), False, False) == "conv"
    assert role_of(PlannedNode(0, (1,), "Postgres DB"), False, True) == "db"
    assert role_of(PlannedNode(0, (1,), "Cleaner"), True, False) == "numeric"
    assert role_of(PlannedNode(0, (), "Cleaner"), False, True) == "chart"


@needs_dot
def test_deterministic_and_cached_per_plan_and_style():
    plan = Plan.steps([["A"], ["B", "C"], ["D"]])
    engine = LayoutEngine(method="dot")
    first = engine.answer(plan, Style())
    assert first == LayoutEngine(method="dot").answer(plan, Style())
    assert engine.layout(plan, Style()) is engine.layout(plan, Style())  # the cache
    lines = first.splitlines()
    assert lines[0] == plan.line() and find_style(first) == Style()
    assert parse(first).ok and tidy(parse(first).diagram).ok
    small = LayoutEngine(method="dot", cache_size=1)
    small.layout(plan, Style())
    small.layout(plan, Style(gap=0.8))
    assert len(small._cache) == 1


def test_a_dot_that_hangs_is_killed_and_the_grid_takes_over(tmp_path, monkeypatch):
    slow = tmp_path / "dot"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}")
    plan = Plan.steps([["A"], ["B", "C"], ["D"]], loops=((3, 0),))
    import time

    started = time.monotonic()
    d = layout(plan.nodes(), Style(), "dot", timeout=0.5)
    assert time.monotonic() - started < 5
    assert d == layout(plan.nodes(), Style(), "grid") and tidy(d).ok


def test_missing_dot_falls_back_to_the_grid(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    plan = Plan.steps([["A"], ["B"]])
    assert layout(plan.nodes(), Style(), "dot") == layout(plan.nodes(), Style(), "grid")


def test_empty_and_bad_method():
    assert layout([], Style()).nodes == ()
    with pytest.raises(ValueError, match="method"):
        layout([PlannedNode(0, (), "A")], Style(), "neato")


@needs_dot
@pytest.mark.parametrize("method", ["dot", "grid"])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_loop_is_drawn_as_a_ring_its_back_edge_beside_the_boxes(method, direction):
    from diagram.metrics import edges_through_nodes

    chain = Plan.steps([["Train"], ["Evaluate"], ["Save"], ["Stop?"]], loops=((3, 0),))
    branches = Plan.steps([["Loader"], ["BM25", "FAISS"], ["Reranker"], ["LLM"]], loops=((4, 0),))
    for plan in (chain, branches):
        d = layout(plan.nodes(), Style(direction=direction), method)
        assert tidy(d).ok and edges_through_nodes(d) == 0, (plan.line(), method, direction)
        assert readability(d).crossings == 0
    # without the ring the chain's back edge would run along the chain, hidden behind its boxes
    straight = layout(Plan.steps([["Train"], ["Evaluate"], ["Save"], ["Stop?"]]).nodes(),
                      Style(direction=direction), method)
    assert len({n.y if direction in ("left_to_right", "right_to_left") else n.x
                for n in straight.nodes}) == 1


@needs_dot
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_rank_keeps_the_plan_order(direction):
    plan = Plan.steps([["Create branch", "Commit", "Open PR", "CI green?", "Push"],
                       ["Approve", "Merge", "Delete branch"]])
    d = layout(plan.nodes(), Style(direction=direction), "dot")
    across = "y" if direction in ("left_to_right", "right_to_left") else "x"
    for rank in ([0, 1, 2, 3, 4], [5, 6, 7]):
        positions = [getattr(d.nodes[i], across) for i in rank]
        assert positions == sorted(positions), (direction, positions)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_crowded_layers_spread_along_the_flow_until_no_edge_runs_through_a_box(direction):
    from diagram.metrics import edges_through_nodes

    d = layout(Plan.dense((6, 10, 10, 3)).nodes(), Style(direction=direction, gap=0.8), "grid")
    assert tidy(d).ok and edges_through_nodes(d) == 0
    assert readability(d).min_gap >= 10  # the comfortable gap
    # a small net has no such edges: it keeps the compact style's spacing
    tight, airy = (layout(Plan.dense((2, 3, 1)).nodes(), Style(direction=direction, gap=g), "grid")
                   for g in (0.8, 1.5))
    axis = "x" if direction in ("left_to_right", "right_to_left") else "y"
    spread = [max(getattr(n, axis) for n in t.nodes) - min(getattr(n, axis) for n in t.nodes)
              for t in (tight, airy)]
    assert spread[0] < spread[1]


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_the_grid_orders_ranks_by_barycentre_when_that_saves_crossings(direction):
    # 0 -> 3 and 1 -> 2: in id order the two edges cross; swapping rank 1 uncrosses them
    crossed = [PlannedNode(0, (3,), "A"), PlannedNode(1, (2,), "B"), PlannedNode(2, (), "C"),
               PlannedNode(3, (), "D")]
    joins = [PlannedNode(0, (4,), "A"), PlannedNode(1, (3,), "B"), PlannedNode(2, (5,), "C"),
             PlannedNode(3, (6,), "D"), PlannedNode(4, (6,), "E"), PlannedNode(5, (), "F"),
             PlannedNode(6, (), "G")]
    for nodes in (crossed, joins):
        d = layout(nodes, Style(direction=direction), "grid")
        assert tidy(d).ok and readability(d).crossings == 0
    # fully connected ranks cross the same in any order: they keep the plan's order
    plan = Plan.steps([["A", "B", "C"], ["D", "E"]])
    d = layout(plan.nodes(), Style(direction=direction), "grid")
    across = "y" if direction in ("left_to_right", "right_to_left") else "x"
    assert [getattr(n, across) for n in d.nodes[:3]] == sorted(getattr(n, across) for n in d.nodes[:3])
