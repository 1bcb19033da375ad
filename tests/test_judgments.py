"""trainer/core/judgments.py: a screen's judgment and the weighted pairs it implies; trainer/core/selection.py."""

from __future__ import annotations

import pytest

from diagram import parse
from trainer.core.judgments import (Judgment, derive_pairs, is_heldout, judgment_from_pick, judgment_from_ranking,
                               unpaired)
from trainer.core.selection import select_candidates, style_features

TEXTS = ["a", "b", "c", "d"]


def test_todays_pick_implies_best_over_each_and_each_over_worst():
    j = judgment_from_pick("p", TEXTS, chosen=2, rejected=0)
    assert j.ranking == ((2,), (1, 3), (0,))
    assert [(p.chosen, p.rejected) for p in derive_pairs(j, "best_worst")] == [("c", "a")]
    pairs = derive_pairs(j, "extremes")
    assert sorted((p.chosen, p.rejected) for p in pairs) == [("b", "a"), ("c", "a"), ("c", "b"), ("c", "d"), ("d", "a")]
    assert sum(p.weight for p in pairs) == pytest.approx(1.0)
    assert ("b", "d") not in [(p.chosen, p.rejected) for p in derive_pairs(j, "all")]  # middle order unknown


def test_full_ranking_gives_every_pair_and_ties_give_none():
    full = judgment_from_ranking("p", TEXTS, [[1], [0], [3], [2]])
    assert len(derive_pairs(full, "all")) == 6
    assert len(derive_pairs(full, "extremes")) == 5
    tied = judgment_from_ranking("p", TEXTS, [[1, 0], [3, 2]])
    assert sorted((p.chosen, p.rejected) for p in derive_pairs(tied, "all")) == [
        ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]
    assert derive_pairs(judgment_from_ranking("p", TEXTS, [[0, 1, 2, 3]]), "all") == []


def test_identical_texts_are_not_a_pair_and_weights_still_sum_to_one():
    j = judgment_from_pick("p", ["x", "x ", "y", "z"], chosen=0, rejected=3)
    pairs = derive_pairs(j, "all")
    assert ("x", "x ") not in [(p.chosen, p.rejected) for p in pairs]
    assert sum(p.weight for p in pairs) == pytest.approx(1.0)


def test_bad_rankings_are_refused():
    with pytest.raises(ValueError, match="ranked twice"):
        Judgment("j", "p", tuple(TEXTS), ranking=((0,), (0,)))
    with pytest.raises(ValueError, match="4 were shown"):
        Judgment("j", "p", tuple(TEXTS), ranking=((0,), (4,)))
    with pytest.raises(ValueError, match="unknown pair scheme"):
        derive_pairs(judgment_from_pick("p", TEXTS, 0, 1), "some")


def test_kto_rows_and_both_bad():
    j = judgment_from_pick("p", TEXTS, chosen=1, rejected=3)
    assert [(t, d) for t, d, _ in unpaired(j)] == [("b", True), ("d", False)]
    bad = Judgment("j", "p", tuple(TEXTS), both_bad=True)
    assert [(t, d) for t, d, _ in unpaired(bad)] == [(t, False) for t in TEXTS]
    assert sum(w for *_, w in unpaired(bad)) == pytest.approx(1.0)
    assert derive_pairs(bad) == []


def test_heldout_is_stable_and_about_one_in_five():
    ids = [f"j{i}" for i in range(2000)]
    share = sum(map(is_heldout, ids)) / len(ids)
    assert 0.15 < share < 0.25
    assert [is_heldout(i) for i in ids[:50]] == [is_heldout(i) for i in ids[:50]]
    assert not any(is_heldout(i, every=1) for i in ids)


def line(node_id, x, y, shape="rectangle", fill="(200, 200, 200)", targets="[]", line_shape="solid arrow"):
    return f"[{node_id}, {x}, {y}, '{shape}', 60, 40, '{line_shape}', {fill}, (0, 0, 0), {targets}]"


def drawing(dx, dy, **style):
    return parse("\n".join([line(0, 100, 100, targets="[1]", **style), line(1, 100 + dx, 100 + dy, **style)]))


def test_selection_prefers_valid_and_spread_out_styles():
    grey_right = drawing(300, 0)
    grey_down = drawing(0, 300)
    blue_round = drawing(300, 0, shape="round rectangle", fill="(30, 60, 220)")
    broken = parse("[0, 100")
    assert not broken.ok
    parses = [grey_right, grey_right, grey_right, broken, grey_down, blue_round]
    shown = select_candidates(parses, k=3)
    assert shown == [0, 4, 5]  # one of the identical three, plus the two that differ
    assert style_features(grey_right.diagram) != style_features(blue_round.diagram)
    assert select_candidates([broken, grey_right, broken], k=2) == [0, 1]  # too few valid: invalid fills


def test_selection_uses_margins_when_given():
    a, b = drawing(300, 0), drawing(300, 0, fill="(30, 60, 220)")
    c, d = drawing(300, 0, fill="(220, 40, 40)"), drawing(300, 0, fill="(40, 200, 40)")
    parses = [a, b, c, d]
    # three colours differ about equally; the model is unsure between 0 and 2 only
    assert select_candidates(parses, 2, margins=[-1.0, -3.0, -1.01, -2.0], uncertainty_weight=10.0) == [0, 2]


def test_a_text_shown_twice_gives_each_pair_once_and_contradictions_none():
    twice = judgment_from_pick("p", ["a", "b", "b", "c"], chosen=0, rejected=3)
    pairs = [(p.chosen, p.rejected) for p in derive_pairs(twice, "extremes")]
    assert sorted(pairs) == [("a", "b"), ("a", "c"), ("b", "c")]  # not ("a", "b") twice
    assert sum(p.weight for p in derive_pairs(twice, "extremes")) == pytest.approx(1.0)
    both_ways = judgment_from_ranking("p", ["a", "b", "a "], [[0], [1], [2]])
    assert derive_pairs(both_ways, "all") == []  # a > b and b > a: nothing learned
