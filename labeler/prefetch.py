"""The next screen, ready before it is asked for: while a person judges one screen, the next pool
prompt and its candidates are generated in the background for that session, so submit -> next
is a swap instead of a generation.

    pre = Prefetcher(ctx, warm=lambda state: ...)   # one per app (label_tab._wire)
    pre.start(shown_state, sampling, annotator)    # after a screen is shown
    ready = pre.take(state, sampling, annotator)   # on "next": a state with candidates, or None
    state = pre.generate(state, sampling, annotator)  # a foreground generation, same gate

A prefetch is kept per session with the settings it was made under (the active checkpoint, the
sampling settings, the annotator): it is dropped when any of them changed, when its prompt was
judged meanwhile, or when it failed. Its prompt is reserved under a shadow session
(`<session>~next`) so no other session is offered it, and moved to the session when taken.
Foreground and background generations share one gate of `ctx.generate_concurrency` slots, so
prefetching never runs more generations at once than the app allows. Off with `--overlap` > 1
(a generation there opens a shared task, which must not happen for a prompt nobody was shown).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from labeler import labeling as L
from labeler.label_session import judged_prompts

log = logging.getLogger(__name__)
SHADOW = "~next"  # suffix of the session a prefetched prompt is reserved under


@dataclass(frozen=True)
class _Slot:
    key: tuple
    after: str  # the prompt_key shown when the prefetch started (the one not to fetch)
    future: Future


def _failed(future: Future) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


class Prefetcher:
    def __init__(self, ctx, warm=None, enabled: bool = True):
        self.ctx = ctx
        self.warm = warm  # state -> None: e.g. render the display copies of the candidates
        self.enabled = enabled and ctx.overlap <= 1
        workers = max(1, int(ctx.generate_concurrency))
        self._gate = threading.BoundedSemaphore(workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prefetch")
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def _key(self, sampling: L.Sampling, annotator: str | None) -> tuple:
        return (str(self.ctx.models.active()), sampling, annotator or "")

    def generate(self, state: L.LabelState, sampling: L.Sampling,
                 annotator: str | None) -> L.LabelState:
        """`labeling.generate` behind the shared gate."""
        with self._gate:
            return L.generate(self.ctx, state, sampling, annotator)

    def _make(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None):
        shadow = replace(state, session=state.session + SHADOW)
        nxt = L.next_prompt(self.ctx, shadow, random.Random(), annotator,
                            cover=sampling.selection != "plain")
        shown = self.generate(nxt, sampling, annotator)
        if self.warm is not None:
            self.warm(shown)
        return shown

    def start(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None) -> None:
        """Begin the next screen for `state`'s session unless one for these settings is on its way."""
        if not self.enabled or not state.session:
            return
        key = self._key(sampling, annotator)
        with self._lock:
            slot = self._slots.get(state.session)
            if slot is not None and slot.key == key and not _failed(slot.future):
                return  # on its way or ready (its prompt is never the one shown: take checks)
            self._drop(state.session)
            self._slots[state.session] = _Slot(key, state.prompt_key,
                                               self._pool.submit(self._make, state, sampling, annotator))

    def _drop(self, session: str) -> None:
        slot = self._slots.pop(session, None)
        if slot is not None:
            slot.future.cancel()
            self.ctx.reservations.release(session + SHADOW)

    def drop(self, session: str) -> None:
        with self._lock:
            self._drop(session)

    def waiting(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None) -> bool:
        """A usable prefetch for these settings is still being made (take would wait for it)."""
        with self._lock:
            slot = self._slots.get(state.session)
        return slot is not None and slot.key == self._key(sampling, annotator) \
            and not slot.future.done()

    def take(self, state: L.LabelState, sampling: L.Sampling, annotator: str | None,
             timeout: float | None = None) -> L.LabelState | None:
        """The prefetched next screen merged into `state` (waiting for it up to `timeout` s), or
        None when there is none usable (then the caller generates as usual)."""
        with self._lock:
            slot = self._slots.pop(state.session, None)
        if slot is None:
            return None
        shadow = state.session + SHADOW
        try:
            if slot.key != self._key(sampling, annotator):
                return None  # another model or other settings: made for nothing
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
