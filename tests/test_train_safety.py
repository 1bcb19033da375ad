"""Issue 19, items 2-3: training cannot start from or publish a broken model, activation samples
before it switches, and a trainer ends with its app and owns its output directory.

Damaged parents come from testing/faults_ckpt.py (also measured by benchmarks/bench_reliability).

Run: .venv/bin/python -m pytest tests/test_train_safety.py -q [-m "not slow"]
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from testing.faults_ckpt import copy_checkpoint, parent_variants
from conftest import REPO_ROOT, env_with_test_modules
from testing.fakes import FakeGenerator, fake_checkpoint, make_context, seed_pairs, write_pool
from trainer.core.checkpoint import CheckpointError, next_free_dir
from trainer.core.csv_store import PreferenceStore
from trainer.core.lifetime import APP_PID_ENV, OutputBusy, app_alive, app_env, lock_path, output_lock
from trainer.data.sanity import check_losses, judge_losses, loss_ceiling

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _pairs(path: Path, n: int = 6) -> Path:
    store = PreferenceStore(path)
    seed_pairs(store, n)
    return store.path


def _gone(pid: int) -> bool:
    """No such process, or a zombie (exited; only the reaping is left)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


# ---------------------------------------------------------------- damaged parents


@pytest.fixture(scope="module")
def real_ctx(tmp_path_factory, micro_sft_checkpoint):
    """An app context whose default is a copy of the micro SFT model, with the real loader."""
    from labeler.context import AppContext
    from trainer.generation.sources import open_source

    root = tmp_path_factory.mktemp("parents")
    write_pool(root / "data" / "orpo_prompts.csv")
    copy_checkpoint(micro_sft_checkpoint, root / "checkpoints" / "tiny-sft")
    ctx = AppContext.create(data_dir=root / "data", checkpoints_dir=root / "checkpoints",
                            generator_factory=open_source)
    yield ctx
    ctx.close()


def _orpo_args(parent: Path, tmp_path: Path, **overrides):
    from trainer.training.orpo import ORPOArgs

    defaults = dict(checkpoint=str(parent), data=str(_pairs(tmp_path / "pairs.csv")),
                    out=str(tmp_path / "out" / "orpo-1"), events=str(tmp_path / "events.jsonl"),
                    max_steps=1, batch_size=2, no_eval=True, threads=1, lr=1e-3)
    return ORPOArgs(**{**defaults, **overrides})


@pytest.mark.parametrize("variant", list(parent_variants()))
def test_a_damaged_parent_is_refused_by_training_and_by_activation(real_ctx, micro_sft_checkpoint,
                                                                   tmp_path, variant):
    from trainer.core.events import final_event, read_events
    from trainer.training.orpo import train_orpo

    parent = copy_checkpoint(micro_sft_checkpoint, real_ctx.checkpoints_dir / f"p-{tmp_path.name}")
    parent_variants()[variant](parent)
    args = _orpo_args(parent, tmp_path)
    with pytest.raises((CheckpointError, RuntimeError)):
        train_orpo(args)
    events = read_events(args.events)
    assert not any("step" in e for e in events)  # refused before the first step
    assert final_event(events)["status"] == "failed"
    assert not Path(args.out).exists() and not list(Path(args.out).parent.glob(".orpo-1*"))
    active = real_ctx.models.active()
    with pytest.raises(CheckpointError):
        real_ctx.models.set_active(parent)
    assert real_ctx.models.active() == active
    shutil.rmtree(parent)


@pytest.mark.slow
def test_the_intact_parent_trains_and_activates(real_ctx, micro_sft_checkpoint, tmp_path):
    from trainer.core.checkpoint import read_manifest
    from trainer.training.orpo import train_orpo

    out = train_orpo(_orpo_args(micro_sft_checkpoint, tmp_path))
    metrics = read_manifest(out)["metrics"]
    ceiling = loss_ceiling(400, "orpo")
    assert metrics["parent_known_loss"] < ceiling and metrics["known_loss"] < ceiling
    parent = copy_checkpoint(micro_sft_checkpoint, real_ctx.checkpoints_dir / "intact")
    real_ctx.models.set_active(parent)
    assert real_ctx.models.active() == parent
    real_ctx.models.set_active(real_ctx.checkpoints_dir / "tiny-sft")


def test_a_config_edited_to_another_model_type_is_refused_before_loading(micro_sft_checkpoint, tmp_path):
    from trainer.core.checkpoint import validate_checkpoint

    parent = copy_checkpoint(micro_sft_checkpoint, tmp_path / "p")
    config = json.loads((parent / "config.json").read_text())
    (parent / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    with pytest.raises(CheckpointError, match="model_type 'gpt2'.*its manifest records 'llama'"):
        validate_checkpoint(parent)
    manifest = json.loads((parent / "manifest.json").read_text())
    del manifest["model_type"]  # written before the field existed: the supported types
    (parent / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="this project trains llama"):
        validate_checkpoint(parent)


@pytest.mark.slow
def test_orpo_from_a_checksum_mismatch_exits_nonzero_and_publishes_nothing(micro_sft_checkpoint, tmp_path):
    """The audit: it exited 0 with train loss 0.0, eval loss NaN, and published."""
    parent = copy_checkpoint(micro_sft_checkpoint, tmp_path / "parent")
    parent_variants()["weights checksum mismatch (a byte flipped)"](parent)
    out = tmp_path / "ckpts" / "orpo-1"
    proc = subprocess.run([sys.executable, "-m", "trainer.training.orpo", "--checkpoint", str(parent),
                           "--data", str(_pairs(tmp_path / "pairs.csv")), "--out", str(out),
                           "--max-steps", "2", "--no-eval", "--threads", "1"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "refusing to train from" in proc.stderr and "does not match its sha256" in proc.stderr
    assert not out.exists() and (not out.parent.exists() or list(out.parent.iterdir()) == [])


# ---------------------------------------------------------------- publishing


@pytest.mark.parametrize("metrics, bad", [
    ({"train_loss": math.nan, "steps": 2}, "train_loss = nan"),
    ({"train_loss": 0.0, "eval_loss": math.nan}, "eval_loss = nan"),
    ({"train_loss": math.inf}, "train_loss = inf"),
    ({"train_loss": 0.7, "eval_loss": 0.9, "eval_rewards/margins": math.nan}, None),  # not a loss
])
def test_a_nan_or_inf_loss_is_never_published(metrics, bad):
    if bad:
        with pytest.raises(RuntimeError, match=f"{bad}.*not published"):
            check_losses(metrics)
    else:
        check_losses(metrics)


def test_known_answer_losses_are_judged_against_a_random_models(tmp_path):
    vocab = 3076  # the tiny preset: a random model scores about ln(3076) = 8.03
    assert judge_losses([8.1, 0.4], vocab, "sft", "x") == 0.4
    for losses, kind, message in [([8.03, 7.9], "orpo", "best loss on 2 known answers is 7.90"),
                                  ([0.3, math.nan], "sft", "nan"), ([], "sft", "no known answer"),
                                  ([13.0], "base", "above 12.05 .* worse than a random")]:
        with pytest.raises(CheckpointError, match=message):
            judge_losses(losses, vocab, kind, "x")
    assert judge_losses([8.0], vocab, "base", "x") == 8.0  # the tiny preset's random start is fine


@pytest.mark.slow
def test_a_failed_verdict_sampling_or_a_diverged_model_is_not_published(micro_sft_checkpoint, tmp_path,
                                                                        monkeypatch):
    from trainer.training import preference_run
    from trainer.core.events import final_event, read_events
    from trainer.training.orpo import train_orpo

    def boom(*_args, **_kwargs):
        raise RuntimeError("probability tensor contains either inf, nan or element < 0")

    pool = write_pool(tmp_path / "pool.csv", n_dl=1, n_other=1)
    args = _orpo_args(micro_sft_checkpoint, tmp_path, max_steps=2, no_eval=False, eval_n=1, eval_k=1,
                      prompts=str(pool))
    monkeypatch.setattr(preference_run, "evaluate_checkpoint", boom)
    with pytest.raises(RuntimeError, match="sampling from the new model failed.*not published"):
        train_orpo(args)
    assert not Path(args.out).exists() and not list(Path(args.out).parent.iterdir())
    assert "not published" in final_event(read_events(args.events))["error"]
    monkeypatch.undo()

    (tmp_path / "d").mkdir()
    diverged = _orpo_args(micro_sft_checkpoint, tmp_path / "d", max_steps=2, lr=1e6)
    with pytest.raises((RuntimeError, CheckpointError), match="not published|diverged|known answers|nan"):
        train_orpo(diverged)
    assert not Path(diverged.out).exists()


# ---------------------------------------------------------------- activation


class _Source(FakeGenerator):
    """A fake source that can fail to sample, and scores every answer at `loss` per token."""

    def __init__(self, checkpoint, fail: bool = False, loss: float | None = None):
        super().__init__(checkpoint)
        self.fail = fail
        if loss is not None:
            self.score = lambda prompt, answers: [(-loss * 10, 10) for _ in answers]

    def generate(self, prompt, k=4, **kwargs):
        if self.fail:
            raise RuntimeError("probability tensor contains either inf, nan or element < 0")
        return super().generate(prompt, k=k, **kwargs)


@pytest.mark.parametrize("fail, loss, refused", [
    (True, None, "sampling one answer failed"),
    (False, 8.0, "best loss on .* known answers is 8.00"),
    (False, math.nan, "loss on a known answer is nan"),
    (False, 0.1, None),
])
def test_activation_samples_and_scores_before_it_switches(tmp_path, fail, loss, refused):
    def factory(path: Path):
        return _Source(path, fail=fail, loss=loss) if path.name == "orpo-1" else FakeGenerator(path)

    ctx = make_context(tmp_path, generator_factory=factory)
    orpo = fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo")
    try:
        if refused:
            with pytest.raises(CheckpointError, match=refused):
                ctx.models.set_active(orpo)
            assert ctx.models.active().name == "tiny-sft"
            assert not (ctx.checkpoints_dir / "active.json").exists()
        else:
            ctx.models.set_active(orpo)
            assert ctx.models.active() == orpo
    finally:
        ctx.close()


def test_an_active_checkpoint_that_cannot_sample_at_start_up_falls_back_with_a_warning(tmp_path, capsys,
                                                                                       caplog):
    from labeler.app import _load_active
    from labeler.context import AppContext

    first = make_context(tmp_path)
    fake_checkpoint(first.checkpoints_dir / "orpo-1", kind="orpo")
    (first.checkpoints_dir / "active.json").write_text('{"checkpoint": "orpo-1"}')
    ctx = AppContext.create(data_dir=first.data_dir, checkpoints_dir=first.checkpoints_dir,
                            generator_factory=lambda path: _Source(path, fail=path.name == "orpo-1"))
    try:
        assert ctx.models.active().name == "orpo-1"
        with caplog.at_level(logging.WARNING):
            assert _load_active(ctx, explicit=False) is None
        assert ctx.models.active().name == "tiny-sft"
        assert "sampling one answer failed" in capsys.readouterr().err
    finally:
        first.close()
        ctx.close()


# ---------------------------------------------------------------- lifetime and the output lock

HOLDER = textwrap.dedent("""
    import sys, time
    from trainer.core.lifetime import output_lock
    with output_lock(sys.argv[1]):
        print("held", flush=True)
        time.sleep(600)
""")


def test_a_second_trainer_on_the_same_output_dir_is_refused(tmp_path):
    out = tmp_path / "checkpoints" / "orpo-1"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusy, match=f"pid {holder.pid}.*already writing"):
            with output_lock(out):
                pass
        assert next_free_dir(out.parent, "orpo").name == "orpo-2"  # a restarted app picks another
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with output_lock(out) as path:  # the kernel released the killed holder's lock
        assert path == lock_path(out) and path.read_text().strip() == str(os.getpid())
    assert not lock_path(out).exists()


def test_app_env_names_this_process_and_a_reused_pid_is_not_the_app():
    value = app_env({})[APP_PID_ENV]
    pid, start = value.split(":")
    assert int(pid) == os.getpid() and app_alive(value)
    assert not app_alive(f"{pid}:{int(start or 0) + 1}")  # same pid, another process
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not app_alive(f"{proc.pid}:")


FAKE_TRAINER = textwrap.dedent('''
    import os, shutil, signal, sys, tempfile, time
    from trainer.core.lifetime import watch_app
    work = tempfile.mkdtemp(prefix=f"diagramlab-work-{os.getpid()}-orpo-")
    def stop(*_):
        shutil.rmtree(work)
        sys.exit(143)
    signal.signal(signal.SIGTERM, stop)
    assert watch_app(poll_s=0.1)
    print("training", os.getpid(), flush=True)
    while True:
        time.sleep(0.05)
''')

STAND_IN_APP = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from labeler.runner import TrainingRunner
    from trainer.core.orpo_config import ORPOArgs
    root, checkpoint, prefix = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
    runner = TrainingRunner(root / "runs", command_prefix=prefix or None)  # prefix: a fake trainer
    runner.start(ORPOArgs(checkpoint=checkpoint, data=str(root / "pairs.csv"),
                          out=str(root / "ck" / "orpo-1"), max_steps=100000, batch_size=1, no_eval=True,
                          threads=1))
    print(runner._proc.pid, flush=True)
    while True:
        time.sleep(1)
''')


def test_a_trainer_ends_when_its_app_is_sigkilled(tmp_path):
    """The runner passes the app's lease; the trainer's watchdog cancels it (fake trainer)."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    (tmp_path / "fake.py").write_text(FAKE_TRAINER)
    env = env_with_test_modules(dict(os.environ, TMPDIR=str(tmpdir)))
    env["PYTHONPATH"] += os.pathsep + str(REPO_ROOT)  # the fake trainer is a script: import this tree
    app = subprocess.Popen([sys.executable, "-c", STAND_IN_APP, str(tmp_path), "x", sys.executable,
                            str(tmp_path / "fake.py")], stdout=subprocess.PIPE, text=True, env=env)
    trainer = int(app.stdout.readline())
    assert _wait(lambda: list(tmpdir.iterdir()), 60), [p.read_text() for p in tmp_path.glob("runs/*/log.txt")]
    app.send_signal(signal.SIGKILL)
    app.wait()
    assert _wait(lambda: _gone(trainer), 5), "the trainer outlived its app"
    assert list(tmpdir.iterdir()) == []  # it cancelled cleanly: its work dir is gone


@pytest.mark.slow
def test_the_real_trainer_ends_with_its_app_and_a_second_one_is_refused(micro_sft_checkpoint, tmp_path):
    from trainer.training.orpo import train_orpo

    _pairs(tmp_path / "pairs.csv", 6)
    env = env_with_test_modules(dict(os.environ, TRL_EXPERIMENTAL_SILENCE="1"))
    app = subprocess.Popen([sys.executable, "-c", STAND_IN_APP, str(tmp_path), str(micro_sft_checkpoint)],
                           stdout=subprocess.PIPE, text=True, env=env)
    trainer = int(app.stdout.readline())
    try:
        assert _wait(lambda: any('"step"' in p.read_text() for p in (tmp_path / "runs").glob("*/events.jsonl")),
                     240), [p.read_text()[-2000:] for p in (tmp_path / "runs").glob("*/log.txt")]
        (tmp_path / "second").mkdir()
        with pytest.raises(OutputBusy, match=f"pid {trainer}"):
            train_orpo(_orpo_args(micro_sft_checkpoint, tmp_path / "second", out=str(tmp_path / "ck" / "orpo-1")))
        app.send_signal(signal.SIGKILL)
        app.wait()
        assert _wait(lambda: _gone(trainer), 10), "the trainer outlived its app"
    finally:
        if not _gone(trainer):
            os.kill(trainer, signal.SIGKILL)
    assert not (tmp_path / "ck" / "orpo-1").exists()


@pytest.mark.parametrize("name", ["dpo", "simpo", "kto"])
def test_every_preference_trainer_refuses_a_random_parent_with_a_fresh_checksum(name, micro_sft_checkpoint,
                                                                                tmp_path):
    import importlib

    from trainer.core.preference_trainers import TRAINERS

    parent = copy_checkpoint(micro_sft_checkpoint, tmp_path / "parent")
    parent_variants()["random weights"](parent)
    spec = TRAINERS[name]
    args = spec.config(checkpoint=str(parent), data=str(_pairs(tmp_path / "pairs.csv")),
                       out=str(tmp_path / "out" / f"{name}-1"), max_steps=1, batch_size=2, no_eval=True,
                       threads=1)
    train = getattr(importlib.import_module(spec.module), f"train_{name}")
    with pytest.raises(CheckpointError, match="not a trained sft model"):
        train(args)
    assert not Path(args.out).exists()


@pytest.mark.parametrize("variant, message", [
    ("weights checksum mismatch (a byte flipped)", "refusing to train from --base .*sha256"),
    ("config model_type gpt2 (the audit's edit)", "model_type 'gpt2'"),
    ("zeroed weights", "not a trained sft model"),
])
def test_sft_from_a_damaged_checkpoint_is_refused(variant, message, micro_sft_checkpoint, micro_sft_csv,
                                                  tmp_path):
    from trainer.training.sft import SFTArgs, train_sft

    parent = copy_checkpoint(micro_sft_checkpoint, tmp_path / "parent")
    parent_variants()[variant](parent)
    args = SFTArgs(out=str(tmp_path / "sft"), base=str(parent), full_finetune=True, data=str(micro_sft_csv),
                   max_steps=1, batch_size=2, val_fraction=0.0, exclude_prompts="", threads=1)
    with pytest.raises(CheckpointError, match=message):
        train_sft(args)
    assert not (tmp_path / "sft").exists()


def test_known_answers_follow_the_lineage_to_the_parents_training_data(tmp_path):
    """A model preference-trained for two steps is judged on what its SFT parent learned too."""
    from trainer.core.checkpoint import write_manifest
    from trainer.data.sanity import known_answers

    sft_csv = tmp_path / "sft.csv"
    sft_csv.write_text("input_data,output_data\nparent request,parent answer\n", encoding="utf-8")
    pairs_csv = tmp_path / "pairs.csv"
    pairs_csv.write_text("prompt,chosen,rejected\npair request,chosen answer,rejected answer\n", encoding="utf-8")
    (tmp_path / "ckpts" / "sft").mkdir(parents=True)
    (tmp_path / "ckpts" / "orpo-1").mkdir()
    write_manifest(tmp_path / "ckpts" / "sft", kind="sft", base_model="x", data_file=str(sft_csv))
    write_manifest(tmp_path / "ckpts" / "orpo-1", kind="orpo", base_model="x", data_file=str(pairs_csv),
                   parent_checkpoint=str(tmp_path / "ckpts" / "sft"))
    rows = known_answers(tmp_path / "ckpts" / "orpo-1")
    assert ("pair request", "chosen answer") in rows and ("parent request", "parent answer") in rows
    assert rows.index(("pair request", "chosen answer")) < rows.index(("parent request", "parent answer"))
    assert ("parent request", "parent answer") not in known_answers(tmp_path / "ckpts" / "sft")[1:]
