"""Training progress as a JSON-lines file: the training subprocess writes it, the labeler follows it.

One object per line (`trainer.core.jsonl`: appended with one write + fsync, one torn-tail policy):

    {"phase": "18 pairs to train on, 2 held out for the verdict", "time": "2026-01-01T12:00:00+00:00"}
    {"step": 3, "total": 50, "loss": 1.92, "rewards/margins": 0.01, "epoch": 0.12, "eta_s": 41.0, "time": ...}
    {"at_step": 10, "eval_loss": 1.7, "eval_rewards/margins": 0.02, "eval_rewards/accuracies": 0.6, ...}
    {"status": "done", "checkpoint": "checkpoints/orpo-1", "metrics": {...}, "time": ...}

The last line is a final status: "done" (with "checkpoint", "metrics"), "failed" (with "error")
or "cancelled". `time` is UTC ISO 8601 (`fileio.utc_now`).

This module is the only writer, reader and TrainerCallback of that file: the trainers write
through `EventWriter` / `progress_callback`, the labeler's runner follows it with `EventFollower`
(each poll reads only the bytes appended since the last), and the tests' fake trainer writes
through `EventWriter` too, so writer and reader always agree.

    writer = EventWriter("runs/orpo-1.jsonl")
    writer.progress(step=1, total=10, loss=2.3)
    writer.final("done", checkpoint="checkpoints/orpo-1")
    follower = EventFollower("runs/orpo-1.jsonl")
    new = follower.read()                      # events since the last read
    events = read_events("runs/orpo-1.jsonl")  # all of them

`progress_callback(writer)` is a transformers `TrainerCallback` that writes one progress event per
logged training step. It imports transformers inside (the one deferred import here): the labeler
reads events without importing torch.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

from trainer.core.fileio import utc_now
from trainer.core.jsonl import Cursor, append_records, read_new

FINAL_STATUSES = ("done", "failed", "cancelled")


def _clean(value: Any) -> Any:
    """JSON-safe value: NaN/inf become None (json.dumps would write invalid `NaN`)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class EventWriter:
    """Appends one JSON object per line to `path`, flushing after each line."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, **fields: Any) -> dict[str, Any]:
        event = {key: _clean(value) for key, value in fields.items()}
        event.setdefault("time", utc_now())
        # One O_APPEND write + fsync per event (a few per second at most), after the torn-tail
        # policy (`trainer.core.jsonl`): a reader never sees half a line from a live writer.
        append_records(self.path, [event], strict=False)
        return event

    def progress(
        self,
        *,
        step: int,
        total: int,
        loss: float | None = None,
        margins: float | None = None,
        epoch: float | None = None,
        eta_s: float | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A training progress event (`margins` is TRL's `rewards/margins`)."""
        return self.write(
            step=step, total=total, loss=loss, **{"rewards/margins": margins}, epoch=epoch, eta_s=eta_s, **extra
        )

    def final(self, status: str, **fields: Any) -> dict[str, Any]:
        """The last event: status done / failed (pass error=) / cancelled."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"status must be one of {FINAL_STATUSES}, not {status!r}")
        return self.write(status=status, **fields)


def read_events(path: str | os.PathLike[str], offset: int = 0) -> list[dict[str, Any]]:
    """Events of a (possibly still growing) file; a partially written last line is skipped."""
    return read_new_events(path, offset)[0]


def read_new_events(path: str | os.PathLike[str], offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """(events after byte `offset`, offset to pass next time). For following a live file cheaply
    (`trainer.core.jsonl.read_new`): only newline-terminated lines are consumed, so a line still being
    written is read next time; a complete line that is not a JSON object is skipped with a warning."""
    events, cursor = read_new(path, Cursor(offset))
    return events, cursor.offset


class EventFollower:
    """Follows a growing events file: `read()` returns the events appended since the last call
    (a line still being written waits for the next call). Not thread-safe: one per reader."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._cursor = Cursor()

    @property
    def offset(self) -> int:
        return self._cursor.offset

    def read(self) -> list[dict[str, Any]]:
        events, self._cursor = read_new(self.path, self._cursor)
        return events


def final_event(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The final status event, or None while training is still running."""
    for event in reversed(events):
        if event.get("status") in FINAL_STATUSES:
            return event
    return None


def progress_callback(writer: EventWriter) -> Any:
    """A transformers TrainerCallback writing one progress event per training log (logging_steps=1)."""
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        def __init__(self) -> None:
            self.started = time.monotonic()
            self.first_step = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.started, self.first_step = time.monotonic(), state.global_step

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "eval_loss" in logs:  # validation: its own event, without "step" so it is not progress
                keys = ("eval_loss", "eval_rewards/margins", "eval_rewards/accuracies")
                writer.write(at_step=state.global_step, **{k: logs[k] for k in keys if k in logs})
            if "loss" not in logs:  # eval logs and the end-of-training summary are not steps
                return
            done = state.global_step - self.first_step
            rate = (time.monotonic() - self.started) / done if done > 0 else None
            eta = rate * (state.max_steps - state.global_step) if rate is not None else None
            writer.progress(
                step=state.global_step,
                total=state.max_steps,
                loss=logs.get("loss"),
                margins=logs.get("rewards/margins"),
                epoch=logs.get("epoch", state.epoch),
                eta_s=round(eta, 1) if eta is not None else None,
            )

    return ProgressCallback()
