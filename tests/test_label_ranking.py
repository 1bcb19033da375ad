"""The Label tab's judgments: best and worst marked, the rest optionally ranked (ties allowed), the
pair scheme, both-bad and tie screens as judgments, undo of a whole judgment. No browser, no model."""

from __future__ import annotations

import random

import pytest

from labeler import labeling as L
from testing.fakes import make_context


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def ready(ctx, k: int = 4, seed: int = 7) -> L.LabelState:
    state = L.next_prompt(ctx, L.LabelState(), random.Random(seed))
    return L.generate(ctx, state, L.Sampling(k=k, seed=seed))


@pytest.mark.parametrize("ranks, groups", [
    ({}, [[0], [1, 2], [3]]),  # only best and worst: the others between, order unknown
    ({1: 3, 2: 2}, [[0], [2], [1], [3]]),  # a full ranking
    ({1: 2, 2: 2}, [[0], [1, 2], [3]]),  # equal numbers: a tie
    ({1: 1, 2: 4}, [[0, 1], [3, 2]]),  # 1 ties with best, K with worst (the marked one first)
    ({0: 1, 3: 4, 1: 3, 2: 2}, [[0], [2], [1], [3]]),  # the marks' own ranks may be given
])
def test_ranking_groups(ranks, groups):
    assert L.ranking_groups(4, 0, 3, ranks) == groups


@pytest.mark.parametrize("ranks, message", [
    ({1: 2}, "Rank #3 too"),
    ({0: 2, 1: 2, 2: 3}, "#1 is marked chosen: its rank is 1"),
    ({3: 1, 1: 2, 2: 3}, "#4 is marked rejected: its rank is 4"),
])
def test_partial_or_contradicting_rankings_are_refused(ranks, message):
    with pytest.raises(L.UserError, match=message):
        L.ranking_groups(4, 0, 3, ranks)


def test_a_full_ranking_under_all_gives_every_pair_weighted_to_one_screen(ctx):
    state = L.mark(L.mark(ready(ctx), 0, "chosen"), 3, "rejected")
    state = L.set_rank(L.set_rank(state, 1, 3), 2, 2)
    new, judgment_id = L.submit(ctx, state, 0, 3, "ana", scheme="all")
    assert "6 pairs (all)" in new.notice and judgment_id in new.notice
    rows = ctx.store.load()
    assert len(rows) == 6 and set(rows.judgment_id) == {judgment_id}
    assert sum(map(float, rows.weight)) == pytest.approx(1.0)
    (kept,) = ctx.judgments.read().judgments
    assert kept.ranking == ((0,), (2,), (1,), (3,)) and kept.candidates == tuple(c.text for c in state.candidates)
    assert kept.extra["shown_order"] == [c.index for c in state.candidates] and kept.annotator == "ana"
    assert kept.extra["sampling"]["seed"] == 7 and kept.extra["prompt_id"] == state.prompt_id
    event = ctx.events.read()[-1]
    assert event["event"] == "judgment" and event["judgment_id"] == judgment_id and len(event["pair_ids"]) == 6


def test_best_and_worst_only_is_valid_and_the_default_scheme_gives_2k_minus_3_pairs(ctx):
    new, _ = L.submit(ctx, ready(ctx, k=5), 1, 4, "ana")
    assert "7 pairs (extremes)" in new.notice and len(ctx.store.load()) == 7


def test_ranks_belong_to_their_candidates(ctx):
    state = L.mark(ready(ctx), 0, "chosen")
    with pytest.raises(L.UserError, match="#1 is marked chosen"):
        L.set_rank(state, 0, 2)
    with pytest.raises(L.UserError, match="rank of #2"):
        L.set_rank(state, 1, 9)
    ranked = L.set_rank(state, 1, 2)
    assert L.ranks_of(ranked) == {1: 2}
    assert L.ranks_of(L.mark(ranked, 1, "rejected")) == {}  # marking a card drops its rank
    assert L.ranks_of(L.set_rank(ranked, 1, "")) == {}  # cleared
    regenerated = L.generate(ctx, ranked, L.Sampling(k=4, seed=8))
    assert L.ranks_of(regenerated) == {}  # new candidates: no ranks


def test_the_apis_ranks_text_overrides_the_session(ctx):
    state = L.set_rank(ready(ctx), 1, 2)  # would be partial: the text wins
    L.submit(ctx, state, 0, 3, "ana", ranks="1,3,2,4", scheme="all")
    assert ctx.judgments.read().judgments[0].ranking == ((0,), (2,), (1,), (3,))
    with pytest.raises(L.UserError, match="one rank per candidate"):
        L.submit(ctx, ready(ctx, seed=9), 0, 3, "ana", ranks="1,2")


def test_an_unknown_scheme_is_refused_and_nothing_is_written(ctx):
    with pytest.raises(L.UserError, match="Unknown pair scheme"):
        L.submit(ctx, ready(ctx), 0, 1, "ana", scheme="most")
    assert not ctx.store.path.exists() and not ctx.judgments.path.exists()


@pytest.mark.parametrize("reason, both_bad, ranking", [("both_bad", True, ()), ("tie", False, ((0, 1, 2, 3),))])
def test_both_bad_and_tie_are_judgments_without_pairs_and_undo_takes_them_back(ctx, reason, both_bad, ranking):
    shown = ready(ctx)
    skipped = L.skip(ctx, shown, reason, "ana")
    (kept,) = ctx.judgments.read().judgments
    assert (kept.both_bad, kept.ranking) == (both_bad, ranking)
    assert kept.candidates == tuple(c.text for c in shown.candidates)
    assert not ctx.store.path.exists() or len(ctx.store.load()) == 0
    assert ctx.events.read()[-1]["judgment_id"] == kept.judgment_id
    L.undo(ctx, skipped, "ana")
    assert ctx.judgments.read().judgments == () and ctx.judgments.read().undone == {kept.judgment_id}


def test_a_plain_skip_is_no_judgment(ctx):
    L.skip(ctx, ready(ctx), "skip", "ana")
    assert not ctx.judgments.path.exists()


def test_undo_after_a_crash_between_judgment_and_pairs_sees_the_repaired_pairs(tmp_path, monkeypatch):
    from labeler.context import AppContext
    from trainer.core.csv_store import PreferenceStore

    ctx = make_context(tmp_path)
    state = ready(ctx)
    with monkeypatch.context() as m:
        m.setattr(PreferenceStore, "append_rows", lambda self, rows: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            L.submit(ctx, state, 0, 1, "ana")
    ctx.close()
    reopened = AppContext.create(data_dir=ctx.data_dir, checkpoints_dir=ctx.checkpoints_dir,
                                 checkpoint=ctx.checkpoints_dir / "tiny-sft", generator_factory=type(
                                     ctx.models.generator()))
    try:
        assert len(reopened.store.load()) == 5  # repaired on open from the judgment
    finally:
        reopened.close()


def test_the_submit_api_takes_ranks_and_a_scheme(tmp_path):
    import socket

    from gradio_client import Client

    from labeler.app import launch

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ctx = make_context(tmp_path)
    demo, url = launch(ctx, port=port, prefetch=False)  # no background generation to wait for
    try:
        client = Client(url, verbose=False, download_files=False)
        client.predict(api_name="/next")
        result = client.predict(0, 3, "ana", "1,3,2,4", "all", api_name="/submit")
        assert "6 pairs (all)" in result[1], result[1]
        assert ctx.judgments.read().judgments[0].ranking == ((0,), (2,), (1,), (3,))
        client.predict(api_name="/next")
        assert "5 pairs (extremes)" in client.predict(1, 0, "ana", api_name="/submit")[1]  # the old call
    finally:
        demo.close()
        ctx.close()
