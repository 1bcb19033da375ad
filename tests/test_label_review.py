"""Review and fix (labeler.label_review): any recent judgment removed or judged again, exports."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest

from testing.fakes import make_context
from labeler import label_review as R
from labeler import labeling as L


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def judge(ctx, n: int, annotator: str = "ana") -> list[str]:
    ids, state = [], L.LabelState(session="s1")
    for i in range(n):
        state = L.generate(ctx, L.next_prompt(ctx, state, random.Random(i)), L.Sampling(k=3, seed=i))
        state, judgment_id = L.submit(ctx, state, 0, 2, annotator)
        ids.append(judgment_id)
    return ids


def test_any_recent_judgment_can_be_removed_with_its_pairs_and_undo_skips_it(ctx):
    first, middle, last = judge(ctx, 3)
    judge(ctx, 1, annotator="bo")
    assert [j.judgment_id for j in R.recent_judgments(ctx, "ana")] == [last, middle, first]
    R.remove_judgment(ctx, "ana", middle, session="s1")
    assert set(ctx.store.load().judgment_id) & {first, middle, last} == {first, last}
    with pytest.raises(L.UserError, match="no judgment"):
        R.remove_judgment(ctx, "ana", middle)  # gone already
    with pytest.raises(L.UserError, match="no judgment"):
        R.remove_judgment(ctx, "bo", last)  # another annotator's
    _, what = L.undo(ctx, L.LabelState(session="s1"), "ana")  # undo: the newest live one
    assert last in what
    _, what = L.undo(ctx, L.LabelState(session="s1"), "ana")
    assert first in what  # the removed one is not undone twice


def test_a_judgment_reopened_shows_the_same_screen_and_can_be_judged_again(ctx):
    (judgment_id,) = judge(ctx, 1)
    before = ctx.judgments.read().by_id()[judgment_id]
    state = R.reopen_judgment(ctx, L.LabelState(session="s2"), "ana", judgment_id)
    assert [c.text for c in state.candidates] == list(before.candidates)
    assert state.prompt == before.prompt and "reopened" in state.notice
    assert len(ctx.store.load()) == 0  # removed until judged again
    state, new_id = L.submit(ctx, state, 1, 0, "ana")
    again = ctx.judgments.read().by_id()[new_id]
    assert again.candidates == before.candidates and again.ranking[0] == (1,)


def test_exports_are_consistent_copies(ctx, tmp_path):
    judge(ctx, 2)
    csv = R.export_file(ctx, "csv", out_dir=tmp_path / "out")
    assert len(pd.read_csv(csv)) == len(ctx.store.load()) == 6  # extremes: 2K-3 = 3 pairs per screen of 3
    lines = R.export_file(ctx, "judgments", out_dir=tmp_path / "out").read_text().splitlines()
    assert sum(json.loads(line).get("judgment_id") is not None for line in lines) >= 2
    view = pd.read_csv(R.export_file(ctx, "trl", "all", out_dir=tmp_path / "out"))
    assert len(view) == 2 * 3  # all: C(3, 2) pairs per screen of 3
    with pytest.raises(L.UserError, match="Unknown export"):
        R.export_file(ctx, "xlsx")
