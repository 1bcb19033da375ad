"""The Label tab's handlers as plain functions: prompts, candidates, picks, pairs, skips, undo.

No browser, no model: a FakeGenerator and a temp data dir (testing.fakes.make_context).
"""

from __future__ import annotations

import json
import random

import pytest

from labeler import labeling as L
from testing.fakes import FakeGenerator, make_context


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def ready(ctx, k: int = 4, seed: int = 7, selection: str = "active") -> L.LabelState:
    state = L.next_prompt(ctx, L.LabelState(), random.Random(seed))
    return L.generate(ctx, state, L.Sampling(k=k, seed=seed, selection=selection))


@pytest.mark.parametrize("counts, available, expected", [
    ({"dl_model": 0, "other": 0}, {"dl_model": 5, "other": 5}, {"dl_model", "other"}),
    ({"dl_model": 10, "other": 0}, {"dl_model": 5, "other": 5}, {"other"}),
    ({"dl_model": 0, "other": 30}, {"dl_model": 5, "other": 5}, {"dl_model"}),
    # 24/240 = 10% vs 30/360 = 8.3%: "other" is further below its share
    ({"dl_model": 24, "other": 30}, {"dl_model": 5, "other": 5}, {"other"}),
    ({"dl_model": 0, "other": 30}, {"dl_model": 0, "other": 5}, {"other"}),  # dl exhausted
])
def test_pick_category_takes_the_category_furthest_below_its_share(counts, available, expected):
    picks = {L.pick_category(counts, available, random.Random(s)) for s in range(20)}
    assert picks == expected


def test_pick_category_with_nothing_left_says_so():
    with pytest.raises(L.UserError, match="Every prompt"):
        L.pick_category({}, {"dl_model": 0, "other": 0}, random.Random(0))


def test_next_prompt_skips_labeled_and_reserved_prompts(ctx):
    rng = random.Random(0)
    first = L.next_prompt(ctx, L.LabelState(), rng)
    assert first.session and first.prompt_id and first.prompt.endswith("readability.")
    other = L.next_prompt(ctx, L.LabelState(), rng)  # another session
    assert other.prompt_id != first.prompt_id  # first's prompt is reserved
    state = L.generate(ctx, first, L.Sampling(k=2, seed=1))
    state, _ = L.submit(ctx, state, 0, 1, "ana")
    seen = {L.next_prompt(ctx, state, random.Random(s)).prompt_id for s in range(40)}
    assert first.prompt_id not in seen


def test_next_prompt_balances_categories(ctx):
    rng, state, cats = random.Random(3), L.LabelState(), []
    for _ in range(6):
        state = L.generate(ctx, L.next_prompt(ctx, state, rng), L.Sampling(k=2))
        cats.append(state.category)
        state, _ = L.submit(ctx, state, 0, 1, "ana")
    # dl_model's labeled target is 240 of 600: after 6 pairs about 2-3 of them are dl_model
    assert 2 <= cats.count("dl_model") <= 3, cats


@pytest.mark.parametrize("request_text, category, expected_category, error", [
    ("DL model with 3 input nodes and 1 output", "auto", "dl_model", None),
    ("flowchart: load data, clean it, report", "auto", "other", None),
    ("flowchart: load data", "dl_model", "dl_model", None),
    ("", "auto", None, "Type a request"),
    ("   ", "auto", None, "Type a request"),
    ("x" * 2001, "auto", None, "limit is 2,000"),
])
def test_custom_prompt(request_text, category, expected_category, error):
    if error:
        with pytest.raises(L.UserError, match=error):
            L.custom_prompt(L.LabelState(), request_text, category)
        return
    state = L.custom_prompt(L.LabelState(), request_text, category)
    assert state.category == expected_category and state.prompt_id == ""
    assert request_text.strip() in state.prompt and state.prompt.startswith("Represent below")


def test_a_typed_request_shows_what_the_reader_reads():
    state = L.custom_prompt(L.LabelState(), "MLP with 3 inputs, hidden layers of 5 and 4, 2 outputs")
    assert state.asks == "reads 3-5-4-2 (14 nodes, 43 edges)"
    assert L.custom_prompt(L.LabelState(), "loader -> embedder -> FAISS").asks == "reads 3 steps, 2 links"
    assert L.custom_prompt(L.LabelState(), "something nice, please").asks == ""


@pytest.mark.parametrize("k, ok", [(2, True), (6, True), (4, True), (1, False), (7, False),
                                   (2.5, False), ("x", False), (None, False)])
def test_sampling_k_must_be_2_to_6(k, ok):
    if ok:
        assert L.check_sampling(L.Sampling(k=k)).k == k
    else:
        with pytest.raises(L.UserError, match="K must be"):
            L.check_sampling(L.Sampling(k=k))


@pytest.mark.parametrize("selection, sampled", [("plain", 6), ("active", 12)])
def test_generate_shows_k_candidates_in_a_recorded_random_order(ctx, selection, sampled):
    prompt = L.next_prompt(ctx, L.LabelState(), random.Random(7))

    def ready_k6():
        return L.generate(ctx, prompt, L.Sampling(k=6, seed=7, selection=selection))
    state = ready_k6()
    assert len(state.candidates) == 6 and state.model == "tiny-sft"
    order = [c.index for c in state.candidates]
    assert len(set(order)) == 6 and set(order) <= set(range(sampled))  # generation indexes
    assert sorted(order) == list(range(6)) or selection == "active"
    assert len({c.candidate_id for c in state.candidates}) == 6
    assert order == [c.index for c in ready_k6().candidates]  # same seed, same order


def test_all_invalid_candidates_are_flagged(tmp_path):
    ctx = make_context(tmp_path, generator_factory=lambda p: FakeGenerator(p, invalid_every=1))
    state = ready(ctx)
    assert state.all_invalid and all(c.problems for c in state.candidates)
    ctx.close()


def test_submit_appends_the_pair_with_its_metadata(ctx):
    state = ready(ctx)
    state = L.mark(L.mark(state, 2, "chosen"), 0, "rejected")
    new, judgment_id = L.submit(ctx, state, state.chosen, state.rejected, " ana ", scheme="best_worst")
    rows = ctx.store.load()
    assert len(rows) == 1 and judgment_id in new.notice and not new.candidates
    assert "1 pair (best_worst)" in new.notice and rows.iloc[0].judgment_id == judgment_id
    row = rows.iloc[0]
    assert (row.prompt, row.chosen, row.rejected) == (
        state.prompt, state.candidates[2].text, state.candidates[0].text)
    assert (row.source, row.annotator, row.model, row.category) == (
        "human", "ana", "tiny-sft", state.category)
    assert row.candidate_ids == f"{state.candidates[2].candidate_id};" \
                                f"{state.candidates[0].candidate_id}"
    positions, sampling = json.loads(row.positions), json.loads(row.sampling)
    assert positions == {"chosen": 2, "rejected": 0,
                         "shown_order": [c.index for c in state.candidates]}
    assert sampling["k"] == 4 and sampling["seed"] == 7 and sampling["prompt_id"] == state.prompt_id
    assert float(row.decision_seconds) >= 0


@pytest.mark.parametrize("chosen, rejected, message", [
    (None, 1, "Mark one candidate chosen"),
    (0, None, "Mark one candidate chosen"),
    (1, 1, "same candidate"),
    (0, 9, "no candidate #9"),
    (-1, 0, "no candidate #-1"),
    (0.5, 1, "no candidate #0.5"),
])
def test_bad_submits_write_nothing(ctx, chosen, rejected, message):
    state = ready(ctx)
    with pytest.raises(L.UserError, match=message):
        L.submit(ctx, state, chosen, rejected, "ana")
    assert len(ctx.store.load()) == 0


def test_submit_without_candidates_writes_nothing(ctx):
    with pytest.raises(L.UserError, match="no candidates"):
        L.submit(ctx, L.LabelState(prompt="p"), 0, 1, "ana")
    assert len(ctx.store.load()) == 0


def test_marking_the_same_candidate_both_ways_is_refused(ctx):
    state = L.mark(ready(ctx), 1, "chosen")
    with pytest.raises(L.UserError, match="already marked chosen"):
        L.mark(state, 1, "rejected")
    assert L.mark(state, 1, "chosen").chosen is None  # a second click unmarks


def test_submitting_the_same_pair_twice_is_refused(ctx):
    state = ready(ctx)
    L.submit(ctx, state, 0, 1, "ana")
    with pytest.raises(L.UserError, match="already stored"):
        L.submit(ctx, state, 0, 1, "ana")
    assert len(ctx.store.load()) == 5 and len(ctx.judgments.read().judgments) == 1  # one screen, 5 pairs


def test_undo_takes_back_the_annotators_last_pair_and_returns_to_its_prompt(ctx):
    a, pair_a = L.submit(ctx, ready(ctx, seed=1), 0, 1, "ana")  # judgment ids: each screen gave 5 pairs
    first = ready(ctx, seed=2)
    b, pair_b = L.submit(ctx, first, 0, 1, "ana")
    _, other_pair = L.submit(ctx, ready(ctx, seed=3), 1, 0, "bo")
    assert len(ctx.store.load()) == 15
    # a fresh state (a reloaded page): the history comes from the event log and the CSV
    state, what = L.undo(ctx, L.LabelState(session="new"), "ana")
    assert pair_b in what and "5 pairs removed" in what
    assert set(ctx.store.load().judgment_id) == {pair_a, other_pair} and len(ctx.store.load()) == 10
    assert (state.prompt, state.prompt_id, state.replay_seed) == (first.prompt, first.prompt_id, 2)
    assert "undone" in state.notice and not state.candidates
    again = L.generate(ctx, state, L.Sampling(k=4))  # same seed: the same candidates come back
    assert [c.text for c in again.candidates] == [c.text for c in first.candidates]
    L.undo(ctx, state, "ana")
    assert set(ctx.store.load().judgment_id) == {other_pair}
    with pytest.raises(L.UserError, match="Nothing to undo for ana"):
        L.undo(ctx, state, "ana")


def test_skip_both_bad_and_tie_are_undoable_and_keep_the_candidate_texts(ctx):
    shown = ready(ctx)
    skipped = L.skip(ctx, shown, "both_bad", "ana")
    event = ctx.events.read()[-1]
    assert event["candidates"] == [c.text for c in shown.candidates]
    assert skipped.skipped == (shown.prompt_id,)
    back, what = L.undo(ctx, skipped, "ana")
    assert "both bad" in what and back.prompt_id == shown.prompt_id and back.skipped == ()
    with pytest.raises(L.UserError, match="Nothing to undo"):
        L.undo(ctx, back, "ana")


def test_an_invalid_candidate_over_a_valid_one_needs_a_second_submit(tmp_path):
    ctx = make_context(tmp_path, generator_factory=lambda p: FakeGenerator(p, invalid_every=2))
    state = ready(ctx, selection="plain")  # active selection would show the valid ones only
    bad = next(i for i, c in enumerate(state.candidates) if not c.ok)
    good = next(i for i, c in enumerate(state.candidates) if c.ok)
    with pytest.raises(L.NeedsConfirmation, match="invalid") as warned:
        L.submit(ctx, state, bad, good, "ana")
    assert len(ctx.store.load()) == 0
    _, judgment_id = L.submit(ctx, warned.value.state, bad, good, "ana")
    assert set(ctx.store.load().judgment_id) == {judgment_id}
    ctx.close()


def test_a_generation_finished_after_an_undo_is_dropped(ctx):
    book = L.SessionBook()
    shown, _ = book.apply(L.LabelState(), lambda s: (ready(ctx), None))
    saved, pair_id = book.apply(shown, lambda s: L.submit(ctx, s, 0, 1, "ana"))
    waiting, _ = book.apply(saved, lambda s: (L.next_prompt(ctx, s, random.Random(0)), None))
    generated = L.generate(ctx, waiting, L.Sampling(k=2, seed=1))  # slow work, in flight ...
    undone, _ = book.apply(waiting, lambda s: L.undo(ctx, s, "ana"))  # ... while U is pressed
    assert book.finish(waiting, generated) is None  # superseded: dropped
    assert book.current(waiting) == undone and undone.prompt == shown.prompt
    assert pair_id not in set(ctx.store.load().judgment_id)
    with pytest.raises(L.UserError, match="Nothing to undo"):
        book.apply(undone, lambda s: L.undo(ctx, s, "ana"))


@pytest.mark.parametrize("typed, username, expected", [
    ("ana", None, "ana"), ("  ", None, "anonymous"), ("ana", "login", "login"), ("", "", "anonymous")])
def test_annotator_is_the_login_name_else_the_field(typed, username, expected):
    assert L.annotator_name(typed, username) == expected


@pytest.mark.parametrize("info, expected", [
    ('{"task_name": "dl_model", "shape_sizes": [3, 5, 2]}', "asks 3-5-2 (10 nodes)"),
    ('{"task_name": "dl_model", "shape_types": ["input", "conv", "pool", "output"], '
     '"shape_sizes": [28, 26, 13, 10]}', "asks 4 layers: input-conv-pool-output"),
    ('{"task_name": "flowchart", "shape_types": ["a", "b", "c"], "edges": [[0, 1], [1, 2]]}',
     "asks 3 steps, 2 links"),
    ("not json", ""), (None, ""),
])
def test_describe_request(info, expected):
    assert L.describe_request(info) == expected


@pytest.mark.parametrize("reason", L.SKIP_REASONS)
def test_skips_are_logged_as_events_not_pairs(ctx, reason):
    state = ready(ctx)
    new = L.skip(ctx, state, reason, "ana")
    events = ctx.events.read()
    assert [e["event"] for e in events] == [reason]
    assert events[0]["prompt_id"] == state.prompt_id and len(events[0]["candidate_ids"]) == 4
    assert events[0]["annotator"] == "ana" and events[0]["id"]
    assert new.skipped == (state.prompt_id,) and len(ctx.store.load()) == 0


def test_edit_to_fix_submits_the_corrected_text_as_human_edit(ctx):
    state = L.mark(ready(ctx), 1, "rejected")
    fixed = "[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]\n" \
            "[1, 800, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
    new, pair_id = L.submit_edit(ctx, state, fixed, 0, state.rejected, "ana",
                                 for_prompt=state.prompt_key)
    row = ctx.store.load().iloc[0]
    assert (row.chosen, row.rejected, row.source) == (fixed, state.candidates[1].text,
                                                      "human_edit")
    assert row.candidate_ids.startswith(state.candidates[0].candidate_id + "+edit;")
    assert pair_id in new.notice


def test_an_edit_opened_for_another_prompt_is_refused(ctx):
    old = L.mark(ready(ctx, seed=1), 1, "rejected")
    new = L.mark(L.generate(ctx, L.next_prompt(ctx, old, random.Random(5)),
                            L.Sampling(k=4, seed=2)), 1, "rejected")
    assert new.prompt_key != old.prompt_key
    fixed = "[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
    with pytest.raises(L.UserError, match="earlier prompt"):
        L.submit_edit(ctx, new, fixed, 0, 1, "ana", for_prompt=old.prompt_key)
    assert len(ctx.store.load()) == 0


@pytest.mark.parametrize("text, rejected, message", [
    ("[0, 10, 'circle'", 1, "does not parse"),
    ("", 1, "does not parse"),
    ("x" * 200_001, 1, "limit is 200,000"),
    ("[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]", None,
     "Mark the worse candidate rejected"),
])
def test_bad_edits_write_nothing(ctx, text, rejected, message):
    with pytest.raises(L.UserError, match=message):
        state = ready(ctx)
        L.submit_edit(ctx, state, text, 0, rejected, "ana", for_prompt=state.prompt_key)
    assert len(ctx.store.load()) == 0


@pytest.mark.parametrize("reason", ["tie", "both_bad"])
def test_a_prompt_judged_a_tie_or_both_bad_does_not_come_back_in_a_new_session(ctx, reason):
    shown = ready(ctx)
    L.skip(ctx, shown, reason, "ana")
    fresh = L.LabelState(session="after-reload")  # one session: it holds one reservation at a time
    seen = {L.next_prompt(ctx, fresh, random.Random(s)).prompt_id for s in range(40)}
    assert shown.prompt_id not in seen  # a fresh session (a reload) does not offer it again
    L.undo(ctx, fresh, "ana")  # taken back: the prompt is open again
    seen = {L.next_prompt(ctx, fresh, random.Random(s)).prompt_id for s in range(60)}
    assert shown.prompt_id in seen


def test_rank_mode_presses_give_the_order_best_first_and_fill_in_the_last(ctx):
    state = ready(ctx, k=4)
    state = L.toggle_ordering(state)
    state = L.press_order(L.press_order(state, 2), 0)
    assert L.order_of(state) == (2, 0) and state.chosen == 2 and state.rejected is None
    state = L.press_order(state, 0)  # pressed again: out of the order
    assert L.order_of(state) == (2,)
    state = L.press_order(L.press_order(state, 0), 3)  # the last card is filled in as worst
    assert L.order_of(state) == (2, 0, 3, 1) and (state.chosen, state.rejected) == (2, 1)
    state, judgment_id = L.submit(ctx, state, state.chosen, state.rejected, "ana", scheme="all")
    saved = ctx.judgments.read().by_id()[judgment_id]
    assert saved.ranking == ((2,), (0,), (3,), (1,))
    assert len(ctx.store.load()) == 6  # a full order of 4: every pair


def test_an_order_belongs_to_its_candidates(ctx):
    state = L.press_order(ready(ctx, k=3), 1)
    again = L.generate(ctx, state, L.Sampling(k=3, seed=99))
    assert L.order_of(again) == () and again.chosen is None


def test_an_edit_with_warnings_is_saved_only_when_submitted_again(ctx):
    state = L.mark(ready(ctx), 1, "rejected")
    fragment = "[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [7]]"
    with pytest.raises(L.NeedsConfirmation, match="1 warning .*names no node.*Submit the edit again") as asked:
        L.submit_edit(ctx, state, fragment, 0, 1, "ana", for_prompt=state.prompt_key)
    assert len(ctx.store.load()) == 0
    changed = fragment.replace("[7]", "[8]")  # another text: asked again, not saved
    with pytest.raises(L.NeedsConfirmation):
        L.submit_edit(ctx, asked.value.state, changed, 0, 1, "ana", for_prompt=state.prompt_key)
    _, pair_id = L.submit_edit(ctx, asked.value.state, fragment, 0, 1, "ana", for_prompt=state.prompt_key)
    assert list(ctx.store.load().pair_id) == [pair_id]


class PlanRecorder(FakeGenerator):
    """A fake source that accepts an edited plan (as trainer.generation.generate.Generator does with plan=)."""

    plans: list = []

    def generate(self, prompt, k=4, temperature=0.8, top_p=0.95, max_new_tokens=None, seed=None,
                 grammar=None, plan=None):
        PlanRecorder.plans.append(plan)
        return super().generate(prompt, k, temperature, top_p, max_new_tokens, seed, grammar)


def test_an_edited_plan_is_what_gets_drawn_and_a_bad_one_is_refused(tmp_path):
    from labeler.label_views import plan_box

    assert plan_box("DL model with 3 inputs, 5 hidden nodes and 2 outputs")[0] == "# layers 3-5-2"
    line, note = plan_box("make it pretty please")
    assert line == "" and "nothing read" in note and "MLP with 3 inputs" in note
    ctx = make_context(tmp_path, generator_factory=PlanRecorder)
    state = L.custom_prompt(L.LabelState(), "DL model with 3 inputs, 5 hidden nodes and 2 outputs",
                            plan_line="# layers 3-4-4-2")
    assert state.asks.startswith("draws 3-4-4-2") and state.plan_line == "# layers 3-4-4-2"
    L.generate(ctx, state, L.Sampling(k=2, seed=1))
    assert PlanRecorder.plans[-1].sizes == (3, 4, 4, 2)
    as_read = L.custom_prompt(L.LabelState(), "DL model with 3 inputs and 2 outputs")
    L.generate(ctx, as_read, L.Sampling(k=2, seed=1))
    assert PlanRecorder.plans[-1] is None  # the source reads the request itself
    with pytest.raises(L.UserError, match="does not parse"):
        L.custom_prompt(L.LabelState(), "anything", plan_line="# layers three")
    ctx.close()


def test_a_source_without_plan_support_says_so(ctx):
    state = L.custom_prompt(L.LabelState(), "DL model with 3 inputs and 2 outputs",
                            plan_line="# layers 3-1-2")
    with pytest.raises(L.UserError, match="cannot draw an edited plan"):
        L.generate(ctx, state, L.Sampling(k=2, seed=1))
