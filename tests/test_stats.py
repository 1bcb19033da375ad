"""The Stats tab: per-annotator counts and shares, overlap progress, agreement with its n."""

from __future__ import annotations

import json
import random

from testing.fakes import make_context
from labeler import labeling as L
from labeler.stats import stats
from labeler.stats_tab import stats_outputs


def pair(annotator, prompt, category="other", source="human", ids="g-0;g-1", pid=""):
    return {"prompt": prompt, "chosen": "a", "rejected": "b", "annotator": annotator,
            "category": category, "source": source, "candidate_ids": ids,
            "positions": json.dumps({"shown_order": [0, 1, 2, 3]}),
            "sampling": json.dumps({"prompt_id": pid})}


def test_stats_count_judgments_by_annotator_and_category_and_the_overlap_progress():
    pool = {"P1": "p1", "P2": "p2", "P3": "p3"}
    rows = [pair("ana", "P1", "dl_model", ids="t1-0;t1-3"), pair("bo", "P1", "dl_model", ids="t1-0;t1-3"),
            pair("ana", "P2", ids="t2-1;t2-2"), pair("bootstrap", "P3", source="auto")]
    events = [{"event": "tie", "id": "e1", "annotator": "bo", "prompt_id": "p2", "category": "other"},
              {"event": "skip", "id": "e2", "annotator": "bo", "prompt_id": "p3"},
              {"event": "both_bad", "id": "e3", "annotator": "ana", "prompt_id": "p3",
               "category": "other"},
              {"event": "undo", "target": "e3", "annotator": "ana"}]
    view = stats(rows, events, pool, overlap=2)
    table = view.annotators.set_index("annotator")
    assert list(table.index) == ["ana", "bo"]  # bootstrap's automatic pair is no judgment
    assert table.loc["ana", ["dl_model screens", "other screens", "screens judged",
                             "both bad screens"]].tolist() == [1, 1, 2, 0]
    assert table.loc["bo", ["screens judged", "pairs in the CSV", "tie screens",
                            "skipped screens"]].tolist() == [2, 1, 1, 1]
    assert table.loc["bo", ["tie %", "skipped %"]].tolist() == [33, 33]  # of 3 screens answered
    # one vocabulary: every count is in screens but the one column of CSV pairs
    counts = [c for c in table.columns if not c.endswith("%")]
    assert [c for c in counts if "screens" not in c] == ["pairs in the CSV"]
    assert "**4 screens judged** by 2 annotator(s), whose rankings wrote 3 pairs in the CSV" in view.summary
    # p1: ana + bo; p2: ana (pair) + bo (tie); p3: nobody (the skip and the undone both bad)
    assert view.progress["pool prompts"].tolist() == [1, 0, 2]
    assert "2 of 3 pool prompts have 2 annotators" in view.summary
    assert view.agreement.tasks == 1 and view.agreement.chosen_agreement == 1.0
    assert "| same chosen candidate | 100% | 1 annotator pairs |" in view.summary


def test_without_shared_tasks_the_stats_say_why_there_is_no_agreement():
    view = stats([pair("ana", "P1")], [], {"P1": "p1"}, overlap=1)
    assert "no task has been judged by two annotators" in view.summary
    assert view.progress["pool prompts"].tolist() == [0, 1]


def test_the_stats_tab_renders_in_the_app_after_two_annotators_judged(tmp_path):
    from labeler.app import build_app

    ctx = make_context(tmp_path, overlap=2)
    try:
        demo = build_app(ctx)
        tabs = [b for b in demo.config["components"] if b.get("props", {}).get("elem_id") == "tab-stats"]
        assert len(tabs) == 1
        for name, chosen in (("ana", 0), ("bo", 0)):
            state = L.next_prompt(ctx, L.LabelState(session=name), random.Random(1), name)
            state = L.generate(ctx, state, L.Sampling(k=4), name)
            first = min(range(4), key=lambda i: state.candidates[i].index)  # same candidate
            last = max(range(4), key=lambda i: state.candidates[i].index)
            L.submit(ctx, state, first, last, name)
        summary, annotators, progress = stats_outputs(ctx)
        assert "**2 screens judged** by 2 annotator(s)" in summary
        assert "| same chosen candidate | 100% | 1 annotator pairs |" in summary
        assert "Krippendorff's alpha" in summary
        assert annotators["annotator"].tolist() == ["ana", "bo"]
        assert progress["pool prompts"].tolist()[-1] == 1
    finally:
        ctx.close()


def test_an_unreadable_store_is_reported_not_raised(tmp_path):
    ctx = make_context(tmp_path)
    try:
        ctx.store.path.write_bytes(b"not,a,header\n1,2,3\n")
        summary, table, progress = stats_outputs(ctx)
        assert "unreadable" in summary and "not a header" in summary and table is None
    finally:
        ctx.close()


def test_the_prompts_where_annotators_disagree_most_come_first_with_each_best_drawing():
    from labeler.stats import disagreements

    def ranked(annotator, prompt, ids, chosen, rejected):
        return pair(annotator, prompt, ids=ids) | {"chosen": chosen, "rejected": rejected}
    rows = [ranked("ana", "P1", "t1-0;t1-3", "d0", "d3"), ranked("bo", "P1", "t1-3;t1-0", "d3", "d0"),
            ranked("ana", "P2", "t2-1;t2-2", "e1", "e2"), ranked("bo", "P2", "t2-1;t2-2", "e1", "e2"),
            ranked("ana", "P3", "t3-0;t3-1", "f0", "f1"), ranked("bo", "P3", "t3-2;t3-1", "f2", "f1"),
            ranked("ana", "P4", "t4-0;t4-1", "g0", "g1")]  # judged by one annotator only
    found = disagreements(rows)
    # P1: every pair both ranked in opposite order; P3: same worst, other best; P2 agrees: left out
    assert [d.prompt for d in found] == ["P1", "P3"]
    p1, p3 = found
    # 4 shown, best / the middle two / worst: 5 pairs in different groups, all opposite
    assert (p1.score, p1.n, p1.chosen_differ) == (1.0, 5, 1)
    assert p1.picks == (("ana", "d0", "bo ranked it last"), ("bo", "d3", "ana ranked it last"))
    assert p3.chosen_differ == 1 and 0 < p3.score < 1
    assert [(who, text) for who, text, _ in p3.picks] == [("ana", "f0"), ("bo", "f2")]
    assert disagreements(rows, limit=1) == [p1]


def test_the_stats_tab_shows_two_annotators_best_drawings_side_by_side(tmp_path):
    from labeler.stats_tab import disagreement_outputs

    ctx = make_context(tmp_path, overlap=2)
    try:
        text, gallery = disagreement_outputs(ctx)
        assert "nowhere yet" in text and gallery.visible is False
        for name, flip in (("ana", False), ("bo", True)):  # the same 4 candidates, opposite picks
            state = L.next_prompt(ctx, L.LabelState(session=name), random.Random(1), name)
            state = L.generate(ctx, state, L.Sampling(k=4), name)
            first = min(range(4), key=lambda i: state.candidates[i].index)
            last = max(range(4), key=lambda i: state.candidates[i].index)
            L.submit(ctx, state, *((last, first) if flip else (first, last)), name)
        text, gallery = disagreement_outputs(ctx)
        assert "Where annotators disagree most" in text and "100% of 5 candidate pairs" in text, text
        assert "ana's best: bo ranked it last; bo's best: ana ranked it last" in text
        assert [item["caption"] for item in gallery.value] == ["1 · ana's best", "1 · bo's best"]
        assert gallery.visible and gallery.columns == 2
    finally:
        ctx.close()
