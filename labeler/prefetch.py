"""The next screen, ready before it is asked for: while a person judges one screen, the next pool
prompt and its candidates are generated in the background for that session, so submit -> next
is a swap instead of a generation.

    pre = Prefetcher(ctx, warm=lambda state: ...)   # one per app (label_tab._wire)
    pre.start(shown_state, sampling, annotator)    # after a screen is shown
    ready = pre.take(state, sampling, annotator)   # on "next": a state with candidates, or None
    state = pre.generate(state, sampling, annotator)  # a foreground generation, same gate

    pre.ready(state, sampling, annotator)          # made already: the submit can swap it in

A prefetch is kept per session with the settings it was made under (the active checkpoint, the
sampling settings, the annotator): it is dropped when any of them changed, when its prompt was
judged meanwhile, or when it failed. Its prompt is reserved under a shadow session
(`<session>~next<n>`) so no other session is offered it, and moved to the session when taken.
Foreground and background generations share one gate (`PriorityGate`) of
`ctx.generate_concurrency` slots, so prefetching never runs more generations at once than the app
allows, and a person waiting goes first: a prefetch starts only when a slot is free, no foreground
request waits for one or is being served (`busy()`, around a handler) and none ended in the last
`IDLE_S` s (the next queued request is on its way then). A prefetch that never got a slot is cancelled when its session asks for the screen (it
is generated in the foreground instead), so an unused prefetch never delays anyone by more than one
generation. Off with `--overlap` > 1 (a generation there opens a shared task, which must not
happen for a prompt nobody was shown).
"""

from __future__ import annotations

import logging
import random
import itertools
import threading
import time
from concurrent.futures import CancelledError, Future, InvalidStateError, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from labeler import labeling as L
from labeler.label_session import judged_prompts

log = logging.getLogger(__name__)
SHADOW = "~next"  # suffix of the session a prefetched prompt is reserved under
IDLE_S = 0.5  # a prefetch waits this long after a foreground generation ended (the next may come)
SETTLE_S = 0.3  # a prefetch started by a swap waits this long: the page draws the swapped screen first


class PriorityGate:
    """`slots` generations at once; foreground ones (a person or client waiting) first.

    `foreground()` waits for a free slot. `active()` marks a foreground request being served
    (from its handler's start to its reply: the cards are drawn after the generation, and the
    queue hands out the next request only after the reply). `background(cancelled, started)`
    waits until a slot is free, no foreground caller waits or is being served, and none ended in
    the last `idle_s` s; it raises CancelledError when `cancelled` is set before that, and sets
    `started` once it holds the slot."""

    def __init__(self, slots: int, idle_s: float = IDLE_S):
        self.idle_s = idle_s
        self._cond = threading.Condition()
        self._free = max(1, int(slots))
        self._waiting = 0  # foreground callers waiting for a slot
        self._active = 0  # foreground requests being served (`active`)
        self._ended = float("-inf")  # monotonic time the last foreground generation ended

    @contextmanager
    def foreground(self):
        with self._cond:
            self._waiting += 1
            try:
                while self._free == 0:
                    self._cond.wait()
            finally:
                self._waiting -= 1
            self._free -= 1
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._ended = time.monotonic()
                self._cond.notify_all()

    @contextmanager
    def active(self):
        with self._cond:
            self._active += 1
        try:
            yield
        finally:
            with self._cond:
                self._active -= 1
                self._ended = time.monotonic()
                self._cond.notify_all()

    @contextmanager
    def background(self, cancelled: threading.Event, started: threading.Event | None = None):
        with self._cond:
            while True:
                if cancelled.is_set():
                    raise CancelledError("prefetch cancelled before it got a slot")
                timeout = None  # every release, end of a request and `wake` notifies
                if self._free > 0 and self._waiting == 0 and self._active == 0:
                    quiet = time.monotonic() - self._ended
                    if quiet >= self.idle_s:
                        break
                    timeout = self.idle_s - quiet  # then the quiet time is over
                self._cond.wait(timeout=timeout)
            self._free -= 1
            if started is not None:
                started.set()
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()

    def wake(self) -> None:
        """Let background waiters re-check `cancelled` now."""
        with self._cond:
            self._cond.notify_all()


@dataclass(frozen=True)
class _Slot:
    key: tuple
    after: str  # the prompt_key shown when the prefetch started (the one not to fetch)
    future: Future
    shadow: str  # the session its prompt is reserved under
    cancelled: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)  # it holds a slot


def _failed(future: Future) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


class Prefetcher:
    def __init__(self, ctx, warm=None, enabled: bool = True):
        self.ctx = ctx
        self.warm = warm  # state -> None: e.g. render the display copies of the candidates
        self.enabled = enabled and ctx.overlap <= 1
        workers = max(1, int(ctx.generate_concurrency))
        self._gate = PriorityGate(workers)
        self._ids = itertools.count()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prefetch")
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def _key(self, sampling: L.Sampling, annotator: str | None) -> tuple:
        return (str(self.ctx.models.active()), sampling, annotator or "")

    def busy(self):
        """A context for a foreground request's whole handler (no prefetch starts meanwhile)."""
        return self._gate.active()

    def generate(self, state: L.LabelState, sampling: L.Sampling,
                 annotator: str | None) -> L.LabelState:
        """`labeling.generate` behind the shared gate, ahead of any prefetch."""
        with self._gate.foreground():
            return L.generate(self.ctx, state, sampling, annotator)

    def _make(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None,
              slot: _Slot, delay: float = 0.0):
        if slot.cancelled.wait(delay) if delay > 0 else slot.cancelled.is_set():
            raise CancelledError("prefetch cancelled")
        shadow = replace(state, session=slot.shadow)
        nxt = L.next_prompt(self.ctx, shadow, random.Random(), annotator,
                            cover=sampling.selection != "plain")
        try:
            with self._gate.background(slot.cancelled, slot.started):
                shown = L.generate(self.ctx, nxt, sampling, annotator)
        except CancelledError:
            self.ctx.reservations.release(slot.shadow)
            raise
        if self.warm is not None:
            self.warm(shown)
        return shown

    def start(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None,
              delay: float = 0.0) -> None:
        """Begin the next screen for `state`'s session unless one for these settings is on its way;
        `delay` s from now (e.g. `SETTLE_S` after a swap: the reply and the page's drawing of the
        screen go first, not beside the next screen's prompt pick and generation)."""
        if not self.enabled or not state.session:
            return
        key = self._key(sampling, annotator)
        with self._lock:
            slot = self._slots.get(state.session)
            if slot is not None and slot.key == key and not _failed(slot.future):
                return  # on its way or ready (its prompt is never the one shown: take checks)
            self._drop(state.session)
            future: Future = Future()
            slot = _Slot(key, state.prompt_key, future, f"{state.session}{SHADOW}{next(self._ids)}")
            self._slots[state.session] = slot
            made = self._pool.submit(self._make, state, sampling, annotator, slot, delay)
            made.add_done_callback(lambda done, slot=slot: _copy(done, slot.future))

    def _drop(self, session: str) -> None:
        slot = self._slots.pop(session, None)
        if slot is not None:
            self._cancel(slot)

    def _cancel(self, slot: _Slot) -> None:
        slot.cancelled.set()
        slot.future.cancel()
        self._gate.wake()
        self.ctx.reservations.release(slot.shadow)

    def drop(self, session: str) -> None:
        with self._lock:
            self._drop(session)

    def waiting(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None) -> bool:
        """A usable prefetch for these settings is still being made (take would wait for it)."""
        with self._lock:
            slot = self._slots.get(state.session)
        return slot is not None and slot.key == self._key(sampling, annotator) \
            and not slot.future.done()

    def ready(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None) -> bool:
        """A prefetch for these settings is made (take returns at once, None if it is unusable)."""
        with self._lock:
            slot = self._slots.get(state.session)
        return slot is not None and slot.key == self._key(sampling, annotator) \
            and slot.future.done() and not _failed(slot.future)

    def take(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None,
             timeout: float | None = None) -> L.LabelState | None:
        """The prefetched next screen merged into `state` (waiting for it up to `timeout` s), or
        None when there is none usable (then the caller generates as usual): one made for other
        settings, or one that has not got a generation slot yet (it is cancelled: the caller's
        foreground generation goes ahead of every prefetch)."""
        with self._lock:
            slot = self._slots.pop(state.session, None)
        if slot is None:
            return None
        shadow = slot.shadow
        try:
            if slot.key != self._key(sampling, annotator):
                return None  # another model or other settings: made for nothing
            if not slot.started.is_set() and not slot.future.done():
                self._cancel(slot)  # still waiting behind others: the foreground is faster
                if not slot.future.done() or slot.future.cancelled():
                    return None
            try:
                ready = slot.future.result(timeout=timeout)
            except Exception as exc:  # a failed prefetch is only a missed head start
                log.info("prefetch dropped: %s: %s", type(exc).__name__, exc)
                return None
            labeled = self.ctx.store.read().labeled_prompts() | judged_prompts(self.ctx)
            if ready.prompt in labeled or ready.prompt_id in state.skipped \
                    or ready.prompt_key == state.prompt_key:
                return None
        finally:
            slot.cancelled.set()
            self.ctx.reservations.release(shadow)
        self.ctx.reservations.release(state.session)
        self.ctx.reservations.reserve(ready.prompt_id, state.session)
        return replace(state, prompt_id=ready.prompt_id, category=ready.category,
                       request=ready.request, prompt=ready.prompt, asks=ready.asks,
                       model=ready.model, generation_id=ready.generation_id,
                       sampling=ready.sampling, candidates=ready.candidates, chosen=None,
                       rejected=None, shown_at=time.monotonic(), replay_seed=None, confirm=None,
                       selected=ready.selected, order=())

    def close(self) -> None:
        with self._lock:
            for session in list(self._slots):
                self._drop(session)
        self._pool.shutdown(wait=False, cancel_futures=True)


def _copy(done: Future, into: Future) -> None:
    """The outcome of the pool's future into the slot's (which `_cancel` may cancel any time)."""
    if into.cancelled() or into.done():
        return
    try:
        if done.cancelled():
            into.cancel()
        elif done.exception() is not None:
            into.set_exception(done.exception())
        else:
            into.set_result(done.result())
    except InvalidStateError:  # the slot's future was cancelled meanwhile
        log.debug("prefetch outcome dropped: its slot was cancelled")
