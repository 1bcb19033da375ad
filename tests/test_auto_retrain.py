"""Auto-retrain in the labeler: a round starts after N new judgments, its verdict decides whether
the active model changes. The round is a fake subprocess (no torch) that writes a checkpoint with
a `round` verdict, activate or not by FAKE_ACTIVATE."""

from __future__ import annotations

import argparse
import sys
import textwrap

import pytest

from conftest import env_with_test_modules
from testing.fakes import make_context, seed_pairs
from labeler import training as T
from labeler.common import UserError
from labeler.runner import TrainingRunner, train_command
from trainer.core.checkpoint import read_manifest
from trainer.loop.round_config import add_round_arguments, round_args, round_from_namespace

FAKE_ROUND = textwrap.dedent('''
    import argparse, os, shutil
    from pathlib import Path
    from testing.fakes import fake_checkpoint
    from trainer.core.events import EventWriter
    from trainer.loop.round_config import add_round_arguments, round_from_namespace
    p = argparse.ArgumentParser()
    add_round_arguments(p)  # the same flags `diagramlab round` parses
    a = round_from_namespace(p.parse_args())
    events = EventWriter(a.events)
    events.write(phase="round from " + a.checkpoint)
    events.progress(step=1, total=1, loss=1.0)
    activate = os.environ.get("FAKE_ACTIVATE", "1") == "1"
    os.makedirs(a.out)
    shutil.copy(a.data, os.path.join(a.out, "preferences.csv"))  # what this round trained on
    verdict = {"parent": a.checkpoint, "trainer": a.trainer, "new_pairs": 5, "heldout_pairs": 6,
               "accuracy_before": 0.5, "accuracy_after": 0.67 if activate else 0.33,
               "margin_before": 0.01, "margin_after": 0.02, "activate": activate,
               "reason": "better: ..." if activate else "worse: accuracy on 6 held-out pairs 50% -> 33%",
               "min_new": a.min_new}
    fake_checkpoint(Path(a.out), kind=a.trainer, parent_checkpoint=a.checkpoint, round=verdict)
    events.final("done", checkpoint=a.out, metrics={"round": verdict})
''')


@pytest.fixture
def ctx(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", env_with_test_modules()["PYTHONPATH"])  # the fake imports fakes
    script = tmp_path / "fake_round.py"
    script.write_text(FAKE_ROUND)
    runner = TrainingRunner(tmp_path / "checkpoints" / ".runs", command_prefix=[sys.executable, str(script)])
    context = make_context(tmp_path, runner=runner)
    yield context
    context.close()


def _label_until(ctx, count: int, seed: int = 0) -> int:
    """Add labeled pairs one at a time until a round would have `count` new judgments."""
    i = 0
    while T.round_count(ctx) < count:
        seed_pairs(ctx.store, 1, seed=seed * 1000 + i)
        i += 1
    return T.round_count(ctx)


def _finish(ctx) -> str:
    status = ctx.runner.wait(60)
    assert status.state == "done", status.log_tail
    message = T.auto_retrain(ctx)  # the poll that sees the end applies the verdict
    ctx.auto.wait(30)
    return message


def test_a_round_starts_after_n_judgments_and_a_better_model_becomes_active(ctx):
    T.configure_auto(ctx, True, every=5)
    assert _label_until(ctx, 4) == 4
    assert "4 of 5" in T.auto_retrain(ctx) and ctx.runner.status().state == "idle"  # not yet
    _label_until(ctx, 5, seed=1)
    started = T.auto_retrain(ctx)
    assert "started `round-1` from `tiny-sft` on 5 new judgments" in started
    assert "loading it" in _finish(ctx)
    assert ctx.models.name(ctx.models.active()) == "round-1"
    assert "is now the active model" in ctx.auto.message
    assert read_manifest(ctx.checkpoints_dir / "round-1")["round"]["min_new"] == 5
    # round-1 trained on those pairs: nothing new since, so no second round starts
    assert T.round_count(ctx) == 0 and "0 of 5" in T.auto_retrain(ctx)
    assert not ctx.runner.status().running and not (ctx.checkpoints_dir / "round-2").exists()
    assert "Round `round-1` from `tiny-sft`" in T.verdict_markdown(ctx, ctx.checkpoints_dir / "round-1")


def test_a_round_that_is_not_better_keeps_the_model_and_says_why(ctx, monkeypatch):
    monkeypatch.setenv("FAKE_ACTIVATE", "0")
    T.configure_auto(ctx, True, every=5)
    _label_until(ctx, 5)
    T.auto_retrain(ctx)
    message = _finish(ctx)
    assert ctx.models.name(ctx.models.active()) == "tiny-sft"
    assert "`round-1` was **not** activated" in message and "before 50%, after 33%" in message
    assert "stays `tiny-sft`" in message
    # the same judgments do not start the same round again; N more do
    assert "0 of 5" in T.auto_retrain(ctx) and not ctx.runner.status().running
    _label_until(ctx, 10, seed=2)
    assert "started `round-2`" in T.auto_retrain(ctx)
    ctx.runner.wait(60)


def test_off_by_default_manual_jobs_are_left_alone_and_switching_on_starts_on_the_backlog(ctx):
    _label_until(ctx, 30)
    assert T.auto_retrain(ctx) == "" and ctx.runner.status().state == "idle"
    T.start(ctx, T.TrainSettings())  # a manual job: its result is the user's to activate
    assert ctx.runner.wait(60).state == "done"
    T.auto_retrain(ctx)
    ctx.auto.wait(30)
    assert ctx.models.name(ctx.models.active()) == "tiny-sft"
    assert "started `round-1`" in T.configure_auto(ctx, True, every=5)  # 30 waiting: at once
    assert ctx.runner.status().running
    T.configure_auto(ctx, False)
    assert ctx.auto.every == 0
    ctx.runner.wait(60)


@pytest.mark.parametrize("every", [0, -3, 2.5, "many"])
def test_a_bad_n_is_refused(ctx, every):
    with pytest.raises(UserError, match="Auto-retrain every"):
        T.configure_auto(ctx, True, every=every)
    assert ctx.auto.every == 0


def test_a_round_job_runs_trainer_rounds_with_its_own_flags(tmp_path):
    sent = round_args("kto", checkpoint=str(tmp_path / "sft"), data=str(tmp_path / "p.csv"),
                      out=str(tmp_path / "round-1"), min_new=25, max_steps=3, desirable_weight=2.0)
    cmd = train_command(sent, tmp_path / "ev.jsonl", "py")
    assert cmd[:3] == ["py", "-m", "trainer.loop.rounds"]
    parser = argparse.ArgumentParser()
    add_round_arguments(parser)
    back = round_from_namespace(parser.parse_args(cmd[3:]))
    assert back == sent.with_fields(events=str(tmp_path / "ev.jsonl"))
    assert back.trainer == "kto" and back.train.desirable_weight == 2.0 and back.train.val_fraction == 0.0
    with pytest.raises(ValueError, match="one process"):
        train_command(sent, tmp_path / "ev.jsonl", "py", launcher="ddp")


def test_the_app_flag_switches_auto_retrain_on():
    from labeler.app import add_app_arguments

    parser = argparse.ArgumentParser()
    add_app_arguments(parser)
    assert parser.parse_args(["--retrain-every", "25"]).retrain_every == 25
    assert parser.parse_args([]).retrain_every == 0


def test_the_train_tab_shows_the_auto_retrain_line(ctx):
    from labeler.train_tab import job_view

    T.configure_auto(ctx, True, every=5)
    view = job_view(ctx, "")
    assert "Auto-retrain every 5 judgments: 0 of 5" in view[-1]
