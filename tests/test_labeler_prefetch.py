"""The Label tab's prefetch (labeler.prefetch): the next screen made while one is judged, kept
only for the settings it was made under, its prompt reserved, never a judged prompt."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from testing.fakes import make_context
from labeler import labeling as L
from labeler.prefetch import Prefetcher


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def shown(ctx, sampling):
    state = L.next_prompt(ctx, L.LabelState(session="s1"), random.Random(1))
    return L.generate(ctx, state, sampling)


def test_a_prefetched_screen_is_a_new_prompt_with_candidates_and_reserved(ctx):
    sampling = L.Sampling(k=3)
    pre = Prefetcher(ctx)
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana")
    pre._slots["s1"].future.result(timeout=30)  # made (take cancels one still waiting for a slot)
    # while it is on its way, another session is never offered the prompt it holds
    ready = pre.take(state, sampling, "ana", timeout=30)
    assert ready is not None and ready.prompt_id != state.prompt_id
    assert len(ready.candidates) == 3 and ready.chosen is None and ready.session == "s1"
    others = {L.next_prompt(ctx, L.LabelState(session="s2"), random.Random(s)).prompt_id
              for s in range(30)}
    assert ready.prompt_id not in others  # now reserved for s1
    assert pre.take(ready, sampling, "ana") is None  # taken once
    pre.close()


@pytest.mark.parametrize("change", [
    lambda s, a: (replace(s, k=4), a),            # other settings
    lambda s, a: (s, "bo"),                       # another annotator
])
def test_a_prefetch_for_other_settings_is_dropped(ctx, change):
    sampling = L.Sampling(k=3)
    pre = Prefetcher(ctx)
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana")
    assert pre.take(state, *change(sampling, "ana"), timeout=30) is None
    pre.close()


def test_a_prefetch_whose_prompt_was_judged_meanwhile_is_dropped(ctx):
    sampling = L.Sampling(k=2)
    pre = Prefetcher(ctx)
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana")
    ready = pre._slots["s1"].future.result(timeout=30)
    other = L.generate(ctx, replace(ready, session="s9"), sampling)  # judged elsewhere
    L.skip(ctx, other, "tie", "bo")
    assert pre.take(state, sampling, "ana") is None
    pre.close()


def test_prefetch_is_off_with_overlap(tmp_path):
    ctx = make_context(tmp_path, overlap=2)
    pre = Prefetcher(ctx)
    sampling = L.Sampling(k=2)
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana")
    assert pre.take(state, sampling, "ana", timeout=5) is None
    assert set(ctx.tasks.read()) == {state.prompt_id}  # no task opened for an unseen prompt
    pre.close()
    ctx.close()
