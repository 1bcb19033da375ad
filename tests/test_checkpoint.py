"""Checkpoint dirs: atomic publish, failure leaves nothing behind, manifests, listing."""

import datetime as dt
import json

import pytest

from trainer.core.checkpoint import (
    CheckpointError,
    atomic_dir,
    file_sha256,
    list_checkpoints,
    read_manifest,
    write_manifest,
)


def test_atomic_dir_publishes_complete_directory(tmp_path):
    final = tmp_path / "ckpt"
    with atomic_dir(final) as tmp:
        assert tmp.parent == tmp_path and tmp != final and not final.exists()
        (tmp / "weights.bin").write_bytes(b"123")
    assert (final / "weights.bin").read_bytes() == b"123"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]  # no temp dir left over
    assert final.stat().st_mode & 0o777 == 0o755


def test_failure_inside_atomic_dir_leaves_no_trace(tmp_path):
    final = tmp_path / "ckpt"
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_dir(final) as tmp:
            (tmp / "half-written").write_text("x")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_existing_checkpoint_even_with_overwrite(tmp_path):
    final = tmp_path / "ckpt"
    final.mkdir()
    (final / "old").write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(final, overwrite=True) as tmp:
            (tmp / "new").write_text("new")
            raise KeyboardInterrupt  # a cancelled job
    assert [p.name for p in final.iterdir()] == ["old"]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_existing_directory_needs_overwrite(tmp_path):
    final = tmp_path / "ckpt"
    final.mkdir()
    (final / "old").write_text("old")
    with pytest.raises(CheckpointError, match="already exists"):
        with atomic_dir(final):
            pass
    with atomic_dir(final, overwrite=True) as tmp:
        (tmp / "new").write_text("new")
    assert [p.name for p in final.iterdir()] == ["new"]
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]


def test_manifest_round_trip_fills_in_time_and_versions(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    write_manifest(tmp_path, kind="sft", base_model="tiny-llama-preset", data_file=str(data),
                   data_sha256=file_sha256(data), data_rows=1, metrics={"eval_loss": 0.5})
    manifest = read_manifest(tmp_path)
    assert manifest["kind"] == "sft"
    assert manifest["parent_checkpoint"] is None
    assert manifest["data_sha256"] == file_sha256(data) and len(manifest["data_sha256"]) == 64
    assert manifest["metrics"] == {"eval_loss": 0.5}
    created = dt.datetime.fromisoformat(manifest["created_at"])
    assert created.utcoffset() == dt.timedelta(0)
    assert {"torch", "transformers", "trl"} <= set(manifest["versions"])


def test_file_sha256_matches_hashlib(tmp_path):
    import hashlib

    path = tmp_path / "f"
    path.write_bytes(b"diagram" * 1000)
    assert file_sha256(path) == hashlib.sha256(b"diagram" * 1000).hexdigest()


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "ppo", "base_model": "x"}, "kind must be one of"),
        ({"kind": "sft"}, "needs base_model"),
    ],
)
def test_write_manifest_rejects_bad_fields(tmp_path, fields, message):
    with pytest.raises(CheckpointError, match=message):
        write_manifest(tmp_path, **fields)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "no manifest.json"),
        ("{not json", "unreadable"),
        ('["a list"]', "not a checkpoint manifest"),
        ('{"base_model": "x"}', "not a checkpoint manifest"),
    ],
)
def test_read_manifest_errors(tmp_path, content, message):
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(CheckpointError, match=message):
        read_manifest(tmp_path)


def test_list_checkpoints_sorted_and_skips_junk(tmp_path):
    for name, created in [("b", "2026-01-02T00:00:00+00:00"), ("a", "2026-01-03T00:00:00+00:00"),
                          ("c", "2026-01-01T00:00:00+00:00")]:
        (tmp_path / name).mkdir()
        write_manifest(tmp_path / name, kind="sft", base_model="x", created_at=created)
    (tmp_path / ".a.tmp-123").mkdir()  # an in-progress write
    write_manifest(tmp_path / ".a.tmp-123", kind="sft", base_model="x")
    (tmp_path / "no-manifest").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{")
    (tmp_path / "README.md").write_text("not a dir")
    listed = list_checkpoints(tmp_path)
    assert [path.name for path, _ in listed] == ["c", "b", "a"]
    assert all(json.dumps(manifest) for _, manifest in listed)
    assert list_checkpoints(tmp_path / "missing") == []
