"""Issue 10, items 3, 4, 6, 7: limits on every input that crosses HTTP, corrupt checkpoints
refused at activation and at start-up, path containment, file modes.

Run: .venv/bin/python -m pytest tests/test_app_reliability.py -q
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

import pytest

from labeler import labeling as L
from labeler import playground as P
from labeler import training as T
from labeler.context import AppContext
from trainer.generation.sources import open_source
from testing.fakes import fake_checkpoint, make_context, write_pool
from testing.faults import checkpoint_corruptions
from labeler.limits import MAX_ANNOTATOR_CHARS, prune_dir
from labeler.common import UserError
from trainer.core.checkpoint import CheckpointError, atomic_dir, validate_checkpoint, write_manifest
from testing.ports import free_port


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def shown(ctx) -> L.LabelState:
    state = L.custom_prompt(L.LabelState(), "DL model with 2 inputs and 1 output")
    return L.generate(ctx, state, L.Sampling(k=4, seed=1))


@pytest.mark.parametrize("chosen, rejected", [(1.5, 0), (0, 0.5), ("1.0x", 0), (True, 0),
                                              (0, 10**12), (float("nan"), 1)])
def test_positions_must_be_whole_numbers_never_rounded(ctx, chosen, rejected):
    with pytest.raises(UserError, match="no candidate"):
        L.submit(ctx, shown(ctx), chosen, rejected, "ann")
    assert not ctx.store.path.exists() or len(ctx.store.load()) == 0


@pytest.mark.parametrize("name", ["x" * (MAX_ANNOTATOR_CHARS + 1), "x" * 5_000_000, "a\x00b",
                                  "bell\x07"])
def test_annotator_names_are_bounded_for_pairs_skips_and_votes(ctx, name):
    state = shown(ctx)
    with pytest.raises(UserError, match="annotator name"):
        L.submit(ctx, state, 0, 1, name)
    for reason in L.SKIP_REASONS:
        with pytest.raises(UserError, match="annotator name"):
            L.skip(ctx, state, reason, name)
    assert not (ctx.data_dir / "label_events.jsonl").exists()
    assert L.submit(ctx, state, 0, 1, " ana ")[1]  # a normal name still works
    assert set(ctx.store.load().annotator) == {"ana"}


@pytest.mark.parametrize("sampling, words", [
    (L.Sampling(k=10**12), "K must be a whole number from 2 to 6"),
    (L.Sampling(k=2.5), "K must be"),
    (L.Sampling(temperature=float("inf")), "Temperature"),
    (L.Sampling(temperature="hot"), "Temperature"),
    (L.Sampling(top_p=5), "Top-p"),
    (L.Sampling(seed=-1), "Seed"),
])
def test_sampling_limits(ctx, sampling, words):
    with pytest.raises(UserError, match=words):
        L.generate(ctx, L.custom_prompt(L.LabelState(), "DL model"), sampling)


@pytest.mark.parametrize("settings, words", [
    (T.TrainSettings(max_steps=10**12), "Max steps must be a whole number from -1 to 100,000"),
    (T.TrainSettings(epochs=1e9), "Epochs"),
    (T.TrainSettings(beta=float("nan")), "Beta"),
    (T.TrainSettings(eval_n=10**6), "Eval prompts"),
    (T.TrainSettings(max_steps=2.5), "Max steps must be a whole number"),
    (T.TrainSettings(eval_n=1.5), "Eval prompts must be a whole number"),
])
def test_training_settings_have_upper_bounds(settings, words):
    with pytest.raises(UserError, match=words):
        T.check_settings(settings)


def test_long_prompts_and_edits_are_refused(ctx):
    with pytest.raises(UserError, match="limit is 2,000"):
        L.custom_prompt(L.LabelState(), "x" * 2_001)
    with pytest.raises(UserError, match="limit is 200,000"):
        state = shown(ctx)
        L.submit_edit(ctx, state, "x" * 200_001, 0, 1, "ann", for_prompt=state.prompt_key)


@pytest.mark.parametrize("name", ["../elsewhere", "/etc", ".orpo-1.tmp-1-x", ".runs", "a/../../b"])
def test_checkpoint_names_resolve_only_inside_the_checkpoints_dir(ctx, tmp_path, name):
    fake_checkpoint(tmp_path / "elsewhere")
    with pytest.raises(CheckpointError, match="not a checkpoint directory"):
        ctx.models.resolve(name)
    with pytest.raises(UserError, match="not a checkpoint directory"):
        P.sample_one(ctx, name, "DL model", seed=0)


def test_render_cache_is_bounded_and_removed_on_close(ctx):
    for i in range(30):
        (ctx.render_dir / f"d-{i}.png").write_bytes(b"x" * 1000)
    assert prune_dir(ctx.render_dir, max_bytes=10_000, max_files=100) == 20
    assert len(list(ctx.render_dir.iterdir())) == 10
    ctx.close()
    assert not ctx.render_dir.exists()


# ---------------------------------------------------------------- checkpoints


@pytest.fixture(scope="module")
def real_ctx(tmp_path_factory, default_checkpoint):
    """An app context over a copy of checkpoints/tiny-sft with the real generator loader."""
    root = tmp_path_factory.mktemp("real")
    write_pool(root / "data" / "orpo_prompts.csv")
    shutil.copytree(default_checkpoint, root / "checkpoints" / "tiny-sft")
    ctx = AppContext.create(data_dir=root / "data", checkpoints_dir=root / "checkpoints",
                            generator_factory=open_source)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("kind", list(checkpoint_corruptions()))
def test_corrupt_checkpoints_are_refused_at_activation(real_ctx, default_checkpoint, kind):
    target = real_ctx.checkpoints_dir / f"bad-{kind.replace(' ', '-')}"
    shutil.copytree(default_checkpoint, target)
    checkpoint_corruptions()[kind](target)
    active_before = real_ctx.models.active()
    saved = real_ctx.checkpoints_dir / "active.json"
    before = saved.read_bytes() if saved.exists() else None
    with pytest.raises(CheckpointError):
        real_ctx.models.set_active(real_ctx.models.resolve(target.name))
    assert real_ctx.models.active() == active_before
    assert (saved.read_bytes() if saved.exists() else None) == before


def test_an_intact_checkpoint_without_a_checksum_is_still_activated(real_ctx, default_checkpoint):
    target = real_ctx.checkpoints_dir / "old-style"
    shutil.copytree(default_checkpoint, target)
    manifest = json.loads((target / "manifest.json").read_text())
    del manifest["weights_sha256"]
    (target / "manifest.json").write_text(json.dumps(manifest))
    real_ctx.models.set_active(target)
    assert real_ctx.models.active() == target
    real_ctx.models.set_active(real_ctx.checkpoints_dir / "tiny-sft")


@pytest.mark.parametrize("saved", [
    "{not json", '{"checkpoint": "../../etc"}', '{"checkpoint": "bad"}', '["x"]',
    '{"checkpoint": 5}', "\udcff",
])
def test_an_invalid_active_json_falls_back_to_the_default_with_a_warning(tmp_path, caplog, saved):
    ctx = make_context(tmp_path)
    bad = fake_checkpoint(ctx.checkpoints_dir / "bad")
    (bad / "model.safetensors").write_bytes(b"corrupt")
    (ctx.checkpoints_dir / "active.json").write_text(saved, errors="surrogateescape")
    with caplog.at_level(logging.WARNING):
        again = AppContext.create(data_dir=ctx.data_dir, checkpoints_dir=ctx.checkpoints_dir)
    assert again.models.active() == ctx.checkpoints_dir / "tiny-sft"
    assert "using the default checkpoint" in caplog.text
    for c in (ctx, again):
        c.close()


def test_checkpoints_get_a_weights_checksum_and_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "ck") as tmp:
            fake_checkpoint(tmp)
        ctx = make_context(tmp_path / "app")
        ctx.models.set_active(ctx.checkpoints_dir / "tiny-sft")
        ctx.close()
    finally:
        os.umask(old)
    manifest = validate_checkpoint(tmp_path / "ck")
    assert set(manifest["weights_sha256"]) == {"model.safetensors"}
    assert (tmp_path / "ck" / "model.safetensors").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "ck").stat().st_mode & 0o777 == 0o755
    assert (ctx.checkpoints_dir / "active.json").stat().st_mode & 0o777 == 0o644


def test_write_manifest_keeps_its_api_and_checksums_only_present_weights(tmp_path):
    path = write_manifest(tmp_path, kind="base", base_model="x")
    assert "weights_sha256" not in json.loads(path.read_text())


# ---------------------------------------------------------------- over HTTP


def test_the_audits_http_requests_are_refused_and_write_nothing(tmp_path):
    from gradio_client import Client

    from labeler.app import launch

    ctx = make_context(tmp_path)
    demo, url = launch(ctx, port=free_port(), prefetch=False)  # no background generation to wait for
    try:
        client = Client(url, verbose=False, download_files=False)
        client.predict(api_name="/next")
        assert "no candidate #1.5" in client.predict(1.5, 0, "x", api_name="/submit")[1]
        # Bad annotator names (the audit's 5 MB one, over 64 characters, control characters) on
        # skip / tie / both bad / submit: the app's own message, nothing logged.
        for name in ("x" * 5_000_000, "x" * 65, "bell\x07"):
            for api in ("/skip", "/tie", "/both_bad"):
                with pytest.raises(Exception, match="annotator name"):
                    client.predict(name, 4, 0.8, 0.95, api_name=api)
            with pytest.raises(Exception, match="annotator name"):
                client.predict(1, 0, name, api_name="/submit")
        assert not (ctx.data_dir / "label_events.jsonl").exists()
        assert not ctx.store.path.exists() or len(ctx.store.load()) == 0
        assert "saved" in client.predict(1, 0, "ann", api_name="/submit")[1]
        assert ctx.store.load().iloc[0].positions.startswith('{"chosen": 1')
    finally:
        demo.close()
        ctx.close()


def test_start_up_falls_back_when_the_saved_checkpoint_does_not_load(tmp_path, capsys):
    from labeler.app import _load_active
    from testing.fakes import FakeGenerator

    def factory(path: Path):
        if path.name == "orpo-1":
            raise OSError("weights unreadable")
        return FakeGenerator(path)

    first = make_context(tmp_path)
    fake_checkpoint(first.checkpoints_dir / "orpo-1", kind="orpo")
    (first.checkpoints_dir / "active.json").write_text('{"checkpoint": "orpo-1"}')
    ctx = AppContext.create(data_dir=first.data_dir, checkpoints_dir=first.checkpoints_dir,
                            generator_factory=factory)
    try:
        assert ctx.models.active().name == "orpo-1"
        assert _load_active(ctx, explicit=False) is None
        assert ctx.models.active().name == "tiny-sft"
        assert "the active checkpoint" in capsys.readouterr().err
        assert "unusable" in _load_active_explicit(ctx, first.checkpoints_dir / "orpo-1")
    finally:
        first.close()
        ctx.close()


def _load_active_explicit(ctx, checkpoint: Path) -> str:
    from labeler.app import _load_active

    ctx.models.fall_back(checkpoint)
    return _load_active(ctx, explicit=True) or ""
