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


def test_a_waiting_foreground_generation_goes_before_a_prefetch():
    """The gate: a prefetch never takes the slot while a foreground request waits for it; a
    cancelled one gives up without running."""
    import threading
    from concurrent.futures import CancelledError

    from labeler.prefetch import PriorityGate

    gate = PriorityGate(1, idle_s=0.0)
    order, done, cancelled = [], threading.Event(), threading.Event()
    running = gate.foreground()
    running.__enter__()  # a generation holds the only slot

    def background():
        with gate.background(threading.Event()):
            order.append("prefetch")

    def foreground():
        with gate.foreground():
            order.append("foreground")
            done.wait(timeout=10)
    bg = threading.Thread(target=background)
    bg.start()
    fg = threading.Thread(target=foreground)
    fg.start()
    while gate._waiting == 0:  # the foreground request waits for the slot too
        threading.Event().wait(0.01)
    running.__exit__(None, None, None)
    while not order:
        threading.Event().wait(0.01)
    assert order == ["foreground"]
    done.set()
    fg.join(timeout=10)
    bg.join(timeout=10)
    assert order == ["foreground", "prefetch"]

    with gate.foreground():  # a prefetch cancelled while it waits never runs
        cancelled.set()
        with pytest.raises(CancelledError):
            with gate.background(cancelled):
                order.append("never")
    assert "never" not in order


def test_a_prefetch_that_never_got_a_slot_is_cancelled_when_its_session_asks(ctx):
    from labeler.prefetch import PriorityGate

    sampling = L.Sampling(k=2)
    pre = Prefetcher(ctx)
    pre._gate = PriorityGate(1, idle_s=60.0)  # a foreground request just ended: prefetches wait
    with pre._gate.foreground():
        pass
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana")
    slot = pre._slots["s1"]
    assert not pre.ready(state, sampling, "ana")
    assert pre.take(state, sampling, "ana", timeout=30) is None  # at once: the caller generates
    assert slot.future.cancelled() and slot.cancelled.is_set()
    pre.close()


def test_a_delayed_prefetch_waits_then_is_made_and_is_cancelled_if_asked_for_first(ctx):
    sampling = L.Sampling(k=2)
    pre = Prefetcher(ctx, warm=lambda s: None)
    state = shown(ctx, sampling)
    pre.start(state, sampling, "ana", delay=0.4)  # as after a swap (SETTLE_S)
    assert not pre.ready(state, sampling, "ana")  # nothing made during the delay
    slot = pre._slots["s1"]
    assert not ctx.reservations.held_by_others("s1")  # no prompt held for it yet
    slot.future.result(timeout=30)
    assert pre.ready(state, sampling, "ana")
    assert pre.take(state, sampling, "ana").candidates
    # asked for during its delay: cancelled at once, no prompt held for it, none made
    after = shown(ctx, sampling)
    pre.start(after, sampling, "ana", delay=30)
    slot = pre._slots["s1"]
    assert pre.take(after, sampling, "ana", timeout=5) is None
    with pytest.raises(Exception):
        slot.future.result(timeout=5)
    assert not ctx.reservations.held_by_others("s1")
    pre.close()
