"""The simulated users of the taste benchmarks (testing/users.py): what they like, what they pick, how matches count.

Run: .venv/bin/python -m pytest tests/test_uptake_users.py -q
(the benchmark module is imported from the repository root, as `python -m pytest` runs it)
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from testing.users import PROFILES, measure, user_pick
from diagram import parse

PROFILE = {p.name: p for p in PROFILES}


def line(node_id: int, x: int, y: int, shape: str = "round rectangle", fill: str = "(210, 210, 210)",
         targets: str = "[]") -> str:
    return f"[{node_id}, {x}, {y}, '{shape}', 60, 40, 'solid arrow', {fill}, (40, 40, 80), {targets}]"


def candidate(index: int, *lines: str) -> SimpleNamespace:
    text = "\n".join(lines)
    return SimpleNamespace(index=index, text=text, parse=parse(text), stopped_on_eos=True, seconds=0.1)


ROUND_LTR = candidate(0, line(0, 100, 300, targets="[1]"), line(1, 400, 300))
MIXED_LTR = candidate(1, line(0, 100, 300, targets="[1]"), line(1, 400, 300, shape="circle"))
ROUND_TTB = candidate(2, line(0, 500, 100, targets="[1]"), line(1, 500, 400))
BROKEN = candidate(3, line(0, 100, 300, targets="[1]")[:-20])  # cut off: no node parses


def test_profiles_name_three_targets_and_one_diagnostic():
    assert [p.name for p in PROFILES if p.target] == ["left_to_right", "blue", "rounded"]
    assert [p.name for p in PROFILES if not p.target] == ["readable"]


@pytest.mark.parametrize(("cand", "rounded", "left_to_right"), [
    (ROUND_LTR, 1.0, 1.0), (MIXED_LTR, 0.0, 1.0), (ROUND_TTB, 1.0, 0.0)])
def test_profile_scores(cand, rounded, left_to_right):
    assert PROFILE["rounded"].score(cand.parse.diagram) == rounded
    assert PROFILE["left_to_right"].score(cand.parse.diagram) == left_to_right


def test_blue_user_scores_the_share_of_blue_fills():
    two_blue = candidate(0, line(0, 100, 300), line(1, 400, 300, fill="(30, 60, 200)"),
                         line(2, 700, 300, fill="(40, 90, 230)"))
    assert PROFILE["blue"].score(two_blue.parse.diagram) == pytest.approx(2 / 3)


def test_user_takes_the_best_as_chosen_and_the_worst_as_rejected():
    assert not BROKEN.parse.ok
    chosen, rejected = user_pick(PROFILE["rounded"], [MIXED_LTR, ROUND_LTR, BROKEN])
    assert (chosen.index, rejected.index) == (0, 3)  # invalid loses to any valid candidate
    chosen, rejected = user_pick(PROFILE["left_to_right"], [ROUND_TTB, ROUND_LTR])
    assert (chosen.index, rejected.index) == (0, 2)


def test_user_skips_ties_and_identical_texts():
    assert user_pick(PROFILE["rounded"], [ROUND_LTR, ROUND_TTB]) is None  # both fully rounded
    twin = candidate(5, ROUND_LTR.text)
    assert user_pick(PROFILE["rounded"], [ROUND_LTR, twin]) is None
    assert user_pick(PROFILE["rounded"], [ROUND_LTR]) is None


def test_measure_counts_invalid_candidates_as_not_matching():
    reference = ROUND_LTR.text
    rows = [{"reference": reference, "category": "other"}] * 2
    result = measure(rows, [[ROUND_LTR, MIXED_LTR], [ROUND_TTB, BROKEN]], PROFILES)
    assert result["n_candidates"] == 4
    assert result["validity"] == 0.75
    assert result["match"]["rounded"] == 0.5  # ROUND_LTR, ROUND_TTB of 4
    assert result["match_among_valid"]["rounded"] == pytest.approx(2 / 3)
    assert result["match"]["left_to_right"] == 0.5  # ROUND_LTR, MIXED_LTR
    assert result["reference_match"]["rounded"] == 1.0
    assert result["mean_edges_valid"] == {"dl_model": 0, "other": 1.0}  # 3 valid candidates, 1 edge each
    assert result["tidy_among_valid"] == 1.0  # the three valid drawings are layered, apart, on the canvas


def test_measure_gives_the_tidy_rate_among_valid_candidates():
    overlapping = candidate(4, line(0, 100, 300, targets="[1]"), line(1, 120, 300))  # boxes overlap
    rows = [{"reference": ROUND_LTR.text, "category": "other"}] * 2
    result = measure(rows, [[ROUND_LTR, overlapping], [BROKEN, ROUND_TTB]], PROFILES)
    assert result["tidy_among_valid"] == pytest.approx(2 / 3)  # BROKEN is not counted


# ---- bench_taste's user: a whole ranking per screen, wrong on a fixed share of screens

def test_taste_user_ranks_every_candidate_with_ties_grouped():
    from testing.users import judge

    cands = [MIXED_LTR, ROUND_LTR, BROKEN, ROUND_TTB]
    j = judge(PROFILE["rounded"], "p", cands, full=True, wrong=False, annotator="rounded")
    assert j.ranking == ((1, 3), (0,), (2,))  # round ones tied on top, mixed, then the invalid one
    backwards = judge(PROFILE["rounded"], "p", cands, full=True, wrong=True, annotator="rounded")
    assert backwards.ranking == ((2,), (0,), (1, 3))
    one_pair = judge(PROFILE["rounded"], "p", cands, full=False, wrong=False, annotator="rounded")
    assert (one_pair.best, one_pair.worst) == ((1,), (2,))  # today's screen: best and worst marked
    assert judge(PROFILE["rounded"], "p", [ROUND_LTR, ROUND_TTB], full=True, wrong=False, annotator="r") is None


def test_taste_user_errs_on_the_same_screens_for_every_method():
    from testing.users import errs

    wrong = [errs(0, "blue", i, 0.15) for i in range(2000)]
    assert 0.12 < sum(wrong) / len(wrong) < 0.18
    assert wrong == [errs(0, "blue", i, 0.15) for i in range(2000)]
    assert not any(errs(0, "blue", i, 0.0) for i in range(200))
