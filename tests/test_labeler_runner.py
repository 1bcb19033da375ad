"""The training-job runner and the Train tab's logic, with a fake trainer subprocess (no torch).

The fake reads the same flags as `diagramlab orpo`, writes progress events, and then, by
FAKE_MODE: finishes (writing a checkpoint), crashes without a final event, or waits for SIGTERM
and reports "cancelled".
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from labeler import training as T
from conftest import env_with_test_modules
from testing.fakes import make_context, seed_pairs
from labeler.common import UserError
from labeler.runner import JobBusyError, TrainingRunner, fold_events, train_command
from labeler.runner import JobStatus, readable_log
from trainer.core.args import add_dataclass_arguments, from_namespace
from trainer.core.csv_store import PreferenceStore
from trainer.core.launch import CONFIG_DIR
from trainer.core.orpo_config import ORPOArgs

FAKE_TRAINER = textwrap.dedent('''
    import argparse, os, signal, sys, time
    from pathlib import Path
    from testing.fakes import fake_checkpoint
    from trainer.core.args import add_dataclass_arguments
    from trainer.core.events import EventWriter
    from trainer.core.orpo_config import ORPOArgs
    p = argparse.ArgumentParser()
    add_dataclass_arguments(p, ORPOArgs)  # the same flags `diagramlab orpo` parses
    a = p.parse_args()
    mode = os.environ.get("FAKE_MODE", "done")
    events = EventWriter(a.events)  # the trainers' own writer: the runner reads what they write
    def cancel(*_):
        events.final("cancelled")
        sys.exit(0)
    signal.signal(signal.SIGTERM, cancel)
    total = a.max_steps if a.max_steps > 0 else 3
    for step in range(1, total + 1):
        events.progress(step=step, total=total, loss=2.0 / step, margins=0.1 * step,
                        epoch=step / total, eta_s=float(total - step))
    print("training on", a.data, flush=True)
    if mode == "crash":
        print("Traceback: boom", file=sys.stderr, flush=True)
        sys.exit(3)
    if mode == "hang":
        events.progress(step=total, total=total + 10, loss=1.0)
        while True:
            time.sleep(0.05)
    import shutil
    os.makedirs(a.out)
    if os.path.exists(a.data):
        shutil.copy(a.data, os.path.join(a.out, "preferences.csv"))
    sampling = {"validity": 0.75, "eos_stop_rate": 1.0, "seed_score": 0.5, "n_prompts": 4, "k": 2}
    fake_checkpoint(Path(a.out), kind="orpo", parent_checkpoint=a.checkpoint,
                    metrics={"validity": 0.75, "eval_loss": 9.0},
                    verdict={"heldout_pairs": 5, "previous_checkpoint": a.checkpoint,
                             "new": {"prefers_chosen": 0.8, "sampling": sampling},
                             "previous": {"prefers_chosen": 0.4,
                                          "sampling": {**sampling, "validity": 0.5}}})
    events.final("done", checkpoint=a.out, metrics={"validity": 0.75})
''')


@pytest.fixture
def fake_runner(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", env_with_test_modules()["PYTHONPATH"])  # the fake imports fakes
    script = tmp_path / "fake_orpo.py"
    script.write_text(FAKE_TRAINER)
    runner = TrainingRunner(tmp_path / "runs", command_prefix=[sys.executable, str(script)])
    yield runner
    runner.close()


def job(tmp_path: Path, **kw) -> ORPOArgs:
    return ORPOArgs(checkpoint=str(tmp_path / "sft"), data=str(tmp_path / "pairs.csv"),
                    out=str(tmp_path / "orpo-1"), **kw)


def test_train_command_is_an_argument_list_with_only_the_given_flags(tmp_path):
    cmd = train_command(job(tmp_path, max_steps=2, beta=0.2), tmp_path / "ev.jsonl", "py")
    assert cmd[:3] == ["py", "-m", "trainer.training.orpo"]
    assert cmd[cmd.index("--max-steps") + 1] == "2" and cmd[cmd.index("--beta") + 1] == "0.2"
    assert "--epochs" not in cmd and "--eval-n" not in cmd
    assert cmd[cmd.index("--events") + 1] == str(tmp_path / "ev.jsonl")
    assert cmd[cmd.index("--prompts") + 1] == ORPOArgs().prompts  # paths always passed


def test_train_command_parses_back_into_the_same_args(tmp_path):
    sent = job(tmp_path, max_steps=3, epochs=1.5, beta=0.05, eval_n=0, no_eval=True)
    cmd = train_command(sent, tmp_path / "ev.jsonl", "py")
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, ORPOArgs)
    received = from_namespace(ORPOArgs, parser.parse_args(cmd[3:]))
    assert received == replace(sent, events=str(tmp_path / "ev.jsonl"))


def test_train_command_under_a_launcher_runs_the_same_module_and_flags(tmp_path):
    sent = job(tmp_path, max_steps=2)
    plain = train_command(sent, tmp_path / "ev.jsonl", "py")
    cmd = train_command(sent, tmp_path / "ev.jsonl", "py", launcher="ddp")
    assert cmd[:5] == ["py", "-m", "accelerate.commands.launch", "--config_file", str(CONFIG_DIR / "ddp.yaml")]
    assert cmd[5:] == plain[1:]  # -m trainer.training.orpo and the same flags
    with pytest.raises(ValueError, match="neither a file nor a shipped config"):
        train_command(sent, tmp_path / "ev.jsonl", "py", launcher="no-such-config")
    assert T.launcher_choices() == [T.SINGLE_PROCESS, "ddp", "deepspeed_zero2", "deepspeed_zero3", "fsdp"]


def test_the_chosen_launcher_reaches_the_runner_not_the_trainers_config(tmp_path, monkeypatch):
    ctx = make_context(tmp_path, pairs=20)
    started = []
    monkeypatch.setattr(ctx.runner, "start", lambda job, launcher=None: started.append((job, launcher)))
    T.start(ctx, T.TrainSettings(max_steps=2, launcher="deepspeed_zero3"))
    T.start(ctx, T.TrainSettings(max_steps=2, launcher=T.SINGLE_PROCESS))
    (first, launcher), (second, none) = started
    assert (launcher, none) == ("deepspeed_zero3", None)
    assert isinstance(first, ORPOArgs) and first.max_steps == 2 and replace(first, data="") == replace(second, data="")
    ctx.close()


def test_fold_events_builds_the_loss_curve_and_final_state():
    events = [{"step": 1, "total": 4, "loss": 2.0, "rewards/margins": 0.1, "eta_s": 3},
              {"note": "ignored"},
              {"step": 2, "total": 4, "loss": None, "eta_s": 2},
              {"status": "failed", "error": "CUDA?"}]
    status = fold_events(JobStatus(state="running"), events)
    assert (status.step, status.total, status.losses, status.margins) == (
        2, 4, ((1, 2.0),), ((1, 0.1),))
    assert (status.state, status.error, status.fraction) == ("failed", "CUDA?", 0.5)
    assert status.lines == ("step 1/4 · loss 2.000 · ETA 3 s", "step 2/4 · ETA 2 s")


def test_the_progress_log_is_readable_and_the_raw_log_drops_library_warnings(tmp_path):
    from labeler.runner import tail

    events = [{"phase": "18 pairs to train on, 2 held out for the verdict"},
              {"step": 1, "total": 2, "loss": 1.5, "eta_s": 4.2}]
    status = fold_events(JobStatus(state="running"), events)
    assert readable_log(status) == ("18 pairs to train on, 2 held out for the verdict\n"
                                    "step 1/2 · loss 1.500 · ETA 4 s")
    log = tmp_path / "log.txt"
    log.write_text("/x/trl/orpo.py:12: UserWarning: ORPO is experimental\n  warnings.warn(\n"
                   "{'loss': 1.5, 'grad_norm': 3.0}\nTraceback: boom\n")
    assert tail(log) == "Traceback: boom"


def test_a_finished_job_reports_done_with_its_checkpoint(tmp_path, fake_runner):
    started = fake_runner.start(job(tmp_path, max_steps=4))
    assert started.running
    status = fake_runner.wait(60)
    assert status.state == "done", status.log_tail
    assert status.step == 4 and len(status.losses) == 4 and status.metrics == {"validity": 0.75}
    assert Path(status.out).is_dir() and "training on" in status.log_tail


def test_a_crash_without_final_event_is_failed_with_the_log_tail(tmp_path, fake_runner,
                                                                 monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "crash")
    fake_runner.start(job(tmp_path))
    status = fake_runner.wait(60)
    assert status.state == "failed" and "code 3" in status.error
    assert "Traceback: boom" in status.log_tail


def test_one_job_at_a_time_and_stop_cancels(tmp_path, fake_runner, monkeypatch):
    monkeypatch.setenv("FAKE_MODE", "hang")
    fake_runner.start(job(tmp_path))
    with pytest.raises(JobBusyError):
        fake_runner.start(job(tmp_path))
    assert fake_runner.stop()
    status = fake_runner.wait(60)
    assert status.state == "cancelled" and not fake_runner.stop()


@pytest.mark.parametrize("pairs, allowed, reason", [
    (0, False, "at least 20 pairs that `tiny-sft` was not trained on; there are 0"),
    (19, False, "there are 19"),
    (20, True, "Ready: 20 new pairs"),
])
def test_training_needs_twenty_pairs(tmp_path, pairs, allowed, reason):
    ctx = make_context(tmp_path, pairs=pairs)
    ok, why = T.gate(ctx)
    assert ok is allowed and reason in why
    if not allowed:
        with pytest.raises(UserError, match="at least 20"):
            T.start(ctx, T.TrainSettings(max_steps=2))
    ctx.close()


@pytest.mark.parametrize("settings, expected", [
    (T.TrainSettings(max_steps=2, epochs=1.5, beta=0.1, eval_n=0), None),
    (T.TrainSettings(), None),
    (T.TrainSettings(max_steps=0, epochs=2), T.TrainSettings(epochs=2)),  # <= 0: use epochs
    (T.TrainSettings(max_steps=-1), T.TrainSettings()),
    (T.TrainSettings(max_steps=-2), "Max steps"),
    (T.TrainSettings(max_steps=2.5), "Max steps"),
    (T.TrainSettings(epochs=0), "Epochs"),
    (T.TrainSettings(beta=-1), "Beta"),
    (T.TrainSettings(eval_n="many"), "Eval prompts must be a whole number"),
    (T.TrainSettings(launcher="deepspeed_zero3"), None),
    (T.TrainSettings(launcher=T.SINGLE_PROCESS), T.TrainSettings()),
    (T.TrainSettings(launcher="/etc/passwd"), "Unknown launcher"),
])
def test_train_settings_are_checked(settings, expected):
    if isinstance(expected, str):
        with pytest.raises(UserError, match=expected):
            T.check_settings(settings)
    else:
        assert T.check_settings(settings) == (expected or settings)


def test_advanced_fields_come_from_the_trainers_dataclass():
    defaults = T.field_defaults()
    assert set(defaults) == {"max_steps", "epochs", "beta", "eval_n"}
    assert all(isinstance(help_text, str) and help_text for _, help_text in defaults.values())


def test_start_trains_a_snapshot_into_the_next_orpo_dir_and_activation_follows(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", env_with_test_modules()["PYTHONPATH"])  # the fake imports fakes
    script = tmp_path / "fake_orpo.py"
    script.write_text(FAKE_TRAINER)
    runner = TrainingRunner(tmp_path / "checkpoints" / ".runs",
                            command_prefix=[sys.executable, str(script)])
    ctx = make_context(tmp_path, pairs=20, runner=runner)
    (ctx.checkpoints_dir / "orpo-3").mkdir()
    T.start(ctx, T.TrainSettings(max_steps=2))
    seed_pairs(ctx.store, 1, seed=9)  # labeling goes on during training; the snapshot is fixed
    status = runner.wait(60)
    assert status.state == "done" and Path(status.out).name == "orpo-4"
    snapshots = list((runner.runs_dir / "snapshots").glob("pairs-*.csv"))
    assert len(snapshots) == 1 and snapshots[0].read_bytes().count(b"\n") < \
        ctx.store.path.read_bytes().count(b"\n")
    verdict = T.verdict_markdown(ctx, Path(status.out))
    assert "`orpo-4` prefers your chosen diagram in 80% of 5 held-out pairs; `tiny-sft`: 40%" \
        in verdict
    assert "| valid diagrams | 50% | 75% |" in verdict and "loss" not in verdict
    assert T.gate(ctx)[0]  # 21 pairs, none seen by tiny-sft
    ctx.models.set_active(Path(status.out))
    assert ctx.models.name(ctx.models.active()) == "orpo-4"
    allowed, reason = T.gate(ctx)  # orpo-4 was trained on 20 of the 21: 1 is new
    assert not allowed and "there are 1 (of 21)" in reason
    assert '"checkpoint": "orpo-4"' in (ctx.checkpoints_dir / "active.json").read_text()
    ctx.close()


def test_active_choice_survives_a_restart_and_a_broken_one_falls_back(tmp_path):
    from labeler.context import AppContext
    from testing.fakes import fake_checkpoint

    ctx = make_context(tmp_path)
    orpo = fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo")
    ctx.models.set_active(orpo)
    again = AppContext.create(data_dir=ctx.data_dir, checkpoints_dir=ctx.checkpoints_dir)
    assert again.models.active() == orpo
    (ctx.checkpoints_dir / "active.json").write_text("{not json")
    fallback = AppContext.create(data_dir=ctx.data_dir, checkpoints_dir=ctx.checkpoints_dir)
    assert fallback.models.active().name == "tiny-sft"
    with pytest.raises(Exception, match="manifest"):
        ctx.models.set_active(tmp_path)  # not a checkpoint: refused, active unchanged
    assert ctx.models.active() == orpo
    for c in (ctx, again, fallback):
        c.close()


def test_trained_pair_ids_are_read_once_per_file_version(tmp_path, monkeypatch):
    ctx = make_context(tmp_path, pairs=3)
    checkpoint = ctx.checkpoints_dir / "orpo-1"
    checkpoint.mkdir()
    ctx.store.export_csv(checkpoint / "preferences.csv")
    first = ctx.models.trained_pair_ids(checkpoint)
    assert first == ctx.store.read().pair_ids() and len(first) == 3
    def read_again(self):
        raise AssertionError(f"{self.path} was read again")

    monkeypatch.setattr(PreferenceStore, "read", read_again)
    assert ctx.models.trained_pair_ids(checkpoint) == first  # cached: the file is not read
    monkeypatch.undo()
    seed_pairs(ctx.store, 1, seed=5)
    ctx.store.export_csv(checkpoint / "preferences.csv")  # a new version of the file: read again
    assert len(ctx.models.trained_pair_ids(checkpoint)) == 4
    assert ctx.models.trained_pair_ids(tmp_path / "no-such-checkpoint") == frozenset()


@pytest.mark.parametrize("name", ["dpo", "simpo", "kto"])
def test_a_chosen_trainer_runs_its_module_into_its_own_dirs_with_its_defaults(tmp_path, name):
    from trainer.core.preference_trainers import TRAINERS

    spec = TRAINERS[name]
    sent = spec.config(checkpoint=str(tmp_path / "sft"), data=str(tmp_path / "p.csv"),
                       out=str(T.next_out_dir(tmp_path, name)), max_steps=2)
    cmd = train_command(sent, tmp_path / "ev.jsonl", "py")
    assert spec.module.endswith(f".{name}") and cmd[:3] == ["py", "-m", spec.module] and cmd[cmd.index("--out") + 1].endswith(f"{name}-1")
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, spec.config)
    assert from_namespace(spec.config, parser.parse_args(cmd[3:])) == replace(sent, events=str(tmp_path / "ev.jsonl"))
    assert T.field_defaults(name)["beta"][0] == spec.config().beta


@pytest.mark.parametrize("given, expected", [(None, "orpo"), ("", "orpo"), ("kto", "kto"), ("ppo", "Unknown trainer")])
def test_the_trainer_choice_is_checked(given, expected):
    if expected.startswith("Unknown"):
        with pytest.raises(UserError, match=expected):
            T.check_trainer(given)
    else:
        assert T.check_trainer(given) == expected


@pytest.mark.parametrize("name", ["orpo", "dpo", "simpo", "kto"])
def test_every_trainer_runs_under_a_launcher_with_its_own_module_and_flags(tmp_path, monkeypatch, name):
    from trainer.core.preference_trainers import TRAINERS

    spec = TRAINERS[name]
    sent = spec.config(checkpoint=str(tmp_path / "sft"), data=str(tmp_path / "p.csv"),
                       out=str(T.next_out_dir(tmp_path, name)), max_steps=2)
    plain = train_command(sent, tmp_path / "ev.jsonl", "py")
    cmd = train_command(sent, tmp_path / "ev.jsonl", "py", launcher="fsdp")
    assert cmd[:5] == ["py", "-m", "accelerate.commands.launch", "--config_file", str(CONFIG_DIR / "fsdp.yaml")]
    assert cmd[5:7] == ["-m", spec.module] and cmd[5:] == plain[1:]
    # The Train tab's path: the chosen trainer's config and the chosen launcher reach the runner.
    ctx = make_context(tmp_path / "app", pairs=20)
    started = []
    monkeypatch.setattr(ctx.runner, "start", lambda job, launcher=None: started.append((job, launcher)))
    T.start(ctx, T.TrainSettings(max_steps=2, launcher="ddp"), trainer=name)
    [(job_sent, launcher)] = started
    assert isinstance(job_sent, spec.config) and launcher == "ddp" and job_sent.max_steps == 2
    assert Path(job_sent.out).name == f"{name}-1"
    ctx.close()
