"""Progress events: JSON lines written whole, read tolerantly, and produced by a TrainerCallback."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from trainer.core.events import (EventFollower, EventWriter, final_event, progress_callback, read_events,
                            read_new_events)


def test_progress_then_final_round_trip(tmp_path):
    writer = EventWriter(tmp_path / "runs" / "e.jsonl")
    writer.progress(step=1, total=4, loss=2.5, margins=0.1, epoch=0.25, eta_s=3.0)
    writer.final("done", checkpoint="checkpoints/x", metrics={"validity": 1.0})
    events = read_events(writer.path)
    assert events[0]["step"] == 1 and events[0]["rewards/margins"] == 0.1 and "time" in events[0]
    assert set(events[0]) >= {"step", "total", "loss", "rewards/margins", "epoch", "eta_s", "time"}
    assert final_event(events) == events[1] and events[1]["checkpoint"] == "checkpoints/x"


def test_nan_is_written_as_null_valid_json(tmp_path):
    writer = EventWriter(tmp_path / "e.jsonl")
    writer.progress(step=1, total=1, loss=float("nan"))
    line = (tmp_path / "e.jsonl").read_text().strip()
    assert json.loads(line)["loss"] is None and "NaN" not in line


def test_unknown_final_status_is_refused(tmp_path):
    with pytest.raises(ValueError, match="status must be one of"):
        EventWriter(tmp_path / "e.jsonl").final("finished")


@pytest.mark.parametrize("tail", [b'{"step": 3, "tot', b'{"step": 3}', b"\xff\xfe"])
def test_partial_last_line_is_skipped_until_complete(tmp_path, tail):
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"step": 1}\nnot json\n{"step": 2}\n' + tail)
    events, offset = read_new_events(path)
    assert [e["step"] for e in events] == [1, 2] and final_event(events) is None
    with open(path, "ab") as handle:
        handle.write(b'\n{"status": "failed", "error": "boom"}\n')
    more, _ = read_new_events(path, offset)
    assert final_event(more)["error"] == "boom"


def test_missing_file_reads_as_no_events(tmp_path):
    assert read_events(tmp_path / "nope.jsonl") == []


@pytest.mark.slow  # imports transformers (several seconds on a cold cache)
def test_callback_writes_one_event_per_training_log(tmp_path):
    writer = EventWriter(tmp_path / "e.jsonl")
    callback = progress_callback(writer)
    state = SimpleNamespace(global_step=0, max_steps=10, epoch=0.0)
    callback.on_train_begin(None, state, None)
    for step in (1, 2):
        state.global_step = step
        callback.on_log(None, state, None, logs={"loss": 1.0 / step, "rewards/margins": 0.5, "epoch": step / 10})
    callback.on_log(None, state, None, logs={"eval_loss": 0.7, "eval_rewards/accuracies": 1.0})
    callback.on_log(None, state, None, logs={"train_runtime": 3.0})  # end-of-training summary: ignored
    events = read_events(writer.path)
    steps = [e for e in events if "step" in e]
    assert [e["step"] for e in steps] == [1, 2] and steps[1]["loss"] == 0.5 and steps[1]["total"] == 10
    assert steps[1]["eta_s"] is not None and steps[1]["eta_s"] >= 0
    assert [e["eval_loss"] for e in events if "eval_loss" in e] == [0.7]


def test_follower_returns_only_events_appended_since_its_last_read(tmp_path):
    writer = EventWriter(tmp_path / "e.jsonl")
    follower = EventFollower(writer.path)
    assert follower.read() == []  # no file yet
    writer.write(phase="loading")
    writer.progress(step=1, total=2, loss=1.0)
    assert [e.get("phase", e.get("step")) for e in follower.read()] == ["loading", 1]
    assert follower.read() == []
    with open(writer.path, "a", encoding="utf-8") as handle:
        handle.write('{"step": 2, "tot')  # a line still being written waits for the next read
    assert follower.read() == []
    with open(writer.path, "a", encoding="utf-8") as handle:
        handle.write('al": 2}\n')
    writer.final("done", checkpoint="c")
    new = follower.read()
    assert [e.get("step") for e in new] == [2, None] and final_event(new)["checkpoint"] == "c"


def test_event_time_is_utc_iso(tmp_path):
    event = EventWriter(tmp_path / "e.jsonl").write(phase="x")
    assert event["time"].endswith("+00:00")
