"""Agreement between annotators (trainer.core.agreement) on hand-made judgments.

The ordinal alpha is checked against the textbook coincidence-matrix formula written out here
(Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability", section on ordinal metric),
not against the package that computes it.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import permutations

import pytest

from trainer.core.agreement import (Ranked, agreement, ranking_from_pairs, records_from_judgments,
                               records_from_rows)


def screen(task, annotator, chosen, rejected, k=4):
    """Today's screen: chosen best, rejected worst, the others in between."""
    middle = tuple(i for i in range(k) if i not in (chosen, rejected))
    return Ranked(task, annotator, ((chosen,), middle, (rejected,)))


def textbook_ordinal_alpha(units: list[list[float]]) -> float:
    """Krippendorff's ordinal alpha from the values of each unit (missing values left out)."""
    o = Counter()  # coincidence matrix
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, j in permutations(range(m), 2):
            o[(values[i], values[j])] += 1 / (m - 1)
    domain = sorted({c for c, _ in o})
    n_c = {c: sum(v for (a, _), v in o.items() if a == c) for c in domain}
    n = sum(n_c.values())

    def delta(c, k):
        lo, hi = sorted((domain.index(c), domain.index(k)))
        between = sum(n_c[domain[g]] for g in range(lo, hi + 1))
        return (between - (n_c[c] + n_c[k]) / 2) ** 2

    observed = sum(v * delta(c, k) for (c, k), v in o.items())
    expected = sum(n_c[c] * n_c[k] * delta(c, k) for c in domain for k in domain)
    return 1 - (n - 1) * observed / expected


def test_perfect_agreement_is_one_everywhere():
    records = [screen("t1", a, 0, 3) for a in ("ana", "bo", "cy")]
    records += [screen("t2", a, 2, 1) for a in ("ana", "bo")]
    result = agreement(records)
    assert (result.tasks, result.annotators) == (2, 3)
    assert result.chosen_agreement == 1.0 and result.chosen_n == 3 + 1
    # t1: 3 annotator pairs x 5 ordered candidate pairs (the two middles are tied); t2: 1 x 5
    assert result.order_agreement == 1.0 and result.order_n == 3 * 5 + 5
    assert result.alpha == pytest.approx(1.0)
    assert result.alpha_units == 8


def test_a_known_mixed_case_matches_hand_counts_and_the_textbook_alpha():
    records = [screen("t1", "ana", 0, 3), screen("t1", "bo", 0, 3),   # agree
               screen("t2", "ana", 1, 2), screen("t2", "bo", 2, 1),   # opposite
               screen("t3", "ana", 0, 1)]                             # one annotator: not counted
    result = agreement(records)
    assert result.tasks == 2
    assert (result.chosen_agreement, result.chosen_n) == (0.5, 2)
    # t1: 5 pairs ordered by both, all agree; t2: 5 ordered by both ((0, 3) tied), none agree
    assert (result.order_agreement, result.order_n) == (0.5, 10)
    units = [[0, 0], [1, 1], [1, 1], [2, 2],          # t1, candidates 0-3 (ana, bo)
             [1, 1], [0, 2], [2, 0], [1, 1]]          # t2
    expected = textbook_ordinal_alpha(units)
    assert result.alpha == pytest.approx(expected)
    # by hand: n_0 = 4, n_1 = 8, n_2 = 4 (n = 16); only t2's (0, 2) units disagree, o(0,2) =
    # o(2,0) = 2, delta(0,2) = (16 - 4)^2 = 144, delta(0,1) = delta(1,2) = (12 - 6)^2 = 36;
    # alpha = 1 - 15 * (2 * 2 * 144) / (2 * (4*8*36 + 8*4*36 + 4*4*144)) = 1 - 15 * 576 / 9216
    assert result.alpha == pytest.approx(0.0625)
    assert 0 < result.alpha < 1 and result.alpha_units == 8


def test_alpha_of_total_disagreement_on_the_winner_is_below_zero_and_undefined_without_variation():
    flipped = agreement([screen("t", "ana", 0, 1, k=2), screen("t", "bo", 1, 0, k=2)])
    assert flipped.chosen_agreement == 0.0 and flipped.alpha < 0
    tied = agreement([Ranked("t", "ana", ((0, 1),)), Ranked("t", "bo", ((0, 1),))])
    assert tied.alpha is None and "same value" in tied.alpha_note
    assert agreement([screen("t", "ana", 0, 1)]).chosen_agreement is None


def row(task, annotator, chosen, rejected, k=4, **extra):
    return {"prompt": "p", "chosen": f"text {chosen}", "rejected": f"text {rejected}",
            "annotator": annotator, "source": "human",
            "candidate_ids": f"{task}-{chosen};{task}-{rejected}",
            "positions": json.dumps({"chosen": 0, "rejected": 1,
                                     "shown_order": list(range(k))}), **extra}


def test_records_from_csv_rows_use_the_generation_as_task_and_the_shown_candidates():
    rows = [row("g1", "ana", 0, 3), row("g1", "bo", 0, 3), row("g2", "ana", 1, 2),
            {**row("g2", "bo", 1, 2), "source": "auto"},          # not an annotator's judgment
            {**row("g2", "cy", 1, 2), "source": "human_edit"}]    # chosen is an edit
    records = records_from_rows(rows)
    assert sorted((r.task, r.annotator) for r in records) == [("g1", "ana"), ("g1", "bo"),
                                                               ("g2", "ana")]
    assert records[0].ranking == ((0,), (1, 2), (3,))
    assert agreement(records).chosen_agreement == 1.0


def test_rows_of_one_judgment_id_merge_into_a_full_ranking():
    # ana ranked 2 > 0 > 1 > 3 and the store kept all C(4,2) = 6 derived pairs
    order = [2, 0, 1, 3]
    rows = [row("g", "ana", a, b, judgment_id="j1")
            for i, a in enumerate(order) for b in order[i + 1:]]
    rows.append(row("g", "bo", 2, 3))
    records = {r.annotator: r for r in records_from_rows(rows)}
    assert records["ana"].ranking == ((2,), (0,), (1,), (3,))
    result = agreement(records.values())
    # bo ordered 2 over 0, 1 and each of them over 3: 5 comparisons, all agree with ana
    assert (result.chosen_agreement, result.order_agreement, result.order_n) == (1.0, 1.0, 5)


def test_rows_without_labeler_ids_fall_back_to_prompt_and_texts():
    rows = [{"prompt": "p", "chosen": "a", "rejected": "b", "annotator": x, "source": "human"}
            for x in ("ana", "bo")]
    result = agreement(records_from_rows(rows))
    assert (result.tasks, result.chosen_agreement) == (1, 1.0)


@pytest.mark.parametrize("pairs, others, expected", [
    ([(1, 2)], [0, 3], ((1,), (0, 3), (2,))),
    ([(1, 2)], [], ((1,), (2,))),
    ([(0, 1), (0, 2), (1, 3), (2, 3)], [], ((0,), (1, 2), (3,))),
    ([(0, 1), (1, 2), (2, 0)], [], None),  # a cycle contradicts itself
])
def test_ranking_from_pairs(pairs, others, expected):
    assert ranking_from_pairs(pairs, others) == expected


def test_judgment_objects_feed_agreement_whatever_order_each_annotator_saw():
    from types import SimpleNamespace

    def judgment(annotator, candidates, ranking, **extra):  # the fields of trainer.core.judgments.Judgment
        return SimpleNamespace(prompt="p", candidates=tuple(candidates), ranking=ranking,
                               annotator=annotator, source="human", extra=extra)

    ana = judgment("ana", ["A", "B", "C"], ((2,), (0,), (1,)))  # C > A > B
    bo = judgment("bo", ["C", "B", "A"], ((0,), (2,), (1,)))    # C > A > B, shown in another order
    cy = judgment("cy", ["B", "C", "A"], ((0,), (1, 2)))         # B > {C, A}
    only_bad = judgment("dee", ["A", "B", "C"], ())              # both bad, no ranking: left out
    records = records_from_judgments([ana, bo, cy, only_bad])
    assert len(records) == 3 and len({r.task for r in records}) == 1
    result = agreement(records)
    # chosen: ana-bo agree, ana-cy and bo-cy do not. order: ana-bo 3 of 3; ana-cy and bo-cy
    # compare (A, B) and (B, C) (cy ties C and A), both the other way round: 0 of 2 each
    assert (result.chosen_agreement, result.chosen_n) == (pytest.approx(1 / 3), 3)
    assert (result.order_agreement, result.order_n) == (pytest.approx(3 / 7), 7)
    tasked = records_from_judgments([judgment("ana", ["A"], ((0,),), task_id="g7")])
    assert tasked[0].task == "g7"
