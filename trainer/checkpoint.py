"""Checkpoint directories: atomic writes and the `manifest.json` every checkpoint carries.

A checkpoint is a directory (an HF model dir, or a PEFT adapter dir) plus `manifest.json`:

    {"kind": "sft"|"orpo"|"base", "base_model": ..., "parent_checkpoint": ..., "data_file": ...,
     "data_sha256": ..., "data_rows": ..., "training_args": {...}, "metrics": {...},
     "created_at": "2026-01-01T00:00:00+00:00", "versions": {"torch": ..., ...}, ...}

Training writes into `atomic_dir(final)`, so a crashed or cancelled run never leaves a
half-written checkpoint under the final name, and never touches an existing one:

    with atomic_dir(Path("checkpoints/sft-1")) as tmp:
        model.save_pretrained(tmp)
        write_manifest(tmp, kind="sft", base_model="...")
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
KINDS = ("sft", "orpo", "base")
# Recorded in every manifest so a checkpoint says which stack produced it.
VERSIONED_PACKAGES = ("torch", "transformers", "trl", "peft", "tokenizers", "accelerate", "datasets")


class CheckpointError(RuntimeError):
    """A checkpoint directory is missing, incomplete or has an unreadable manifest."""


def _fsync_tree(root: Path) -> None:
    """Flush every file (and the directories) under root to disk before the rename publishes it."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse to open directories for fsync
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _publishable(tmp: Path) -> None:
    """mkdtemp makes a 0700 dir; give the published checkpoint ordinary directory permissions."""
    tmp.chmod(0o755)


@contextlib.contextmanager
def atomic_dir(final_path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a fresh temp dir beside `final_path`; on success fsync it and rename it into place.

    On an exception the temp dir is removed and any existing `final_path` is left untouched.
    An existing `final_path` raises CheckpointError unless `overwrite=True`, in which case the old
    directory is replaced (moved aside first, deleted only after the new one is in place).
    """
    final = Path(final_path)
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and not overwrite:
        raise CheckpointError(f"{final} already exists; choose another --out or remove it first")
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
        _publishable(tmp)
        _fsync_tree(tmp)
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def library_versions() -> dict[str, str]:
    out = {}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def write_manifest(directory: str | os.PathLike[str], **fields: Any) -> Path:
    """Write `manifest.json` into `directory`; `created_at` and `versions` are filled in if absent.

    Required: `kind` (sft|orpo|base) and `base_model`. Values must be JSON-serialisable
    (paths are stored as strings).
    """
    kind = fields.get("kind")
    if kind not in KINDS:
        raise CheckpointError(f"manifest kind must be one of {KINDS}, got {kind!r}")
    if not fields.get("base_model"):
        raise CheckpointError("manifest needs base_model")
    manifest = {
        "kind": kind,
        "base_model": str(fields["base_model"]),
        "parent_checkpoint": None,
        "data_file": None,
        "data_sha256": None,
        "data_rows": None,
        "training_args": {},
        "metrics": {},
        "created_at": utc_now(),
        "versions": library_versions(),
    }
    manifest.update(fields)
    path = Path(directory) / MANIFEST_NAME
    text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed manifest of a checkpoint dir; CheckpointError if missing or unreadable."""
    path = Path(directory) / MANIFEST_NAME
    if not path.is_file():
        raise CheckpointError(f"{directory} has no {MANIFEST_NAME}; is it a diagramlab checkpoint?")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path} is unreadable: {exc}") from exc
    if not isinstance(manifest, dict) or "kind" not in manifest:
        raise CheckpointError(f"{path} is not a checkpoint manifest (no 'kind')")
    return manifest


def list_checkpoints(root: str | os.PathLike[str]) -> list[tuple[Path, dict[str, Any]]]:
    """(dir, manifest) for every checkpoint directly under root, oldest first (by created_at, name).

    Temp dirs of in-progress writes (dot-prefixed) and dirs with unreadable manifests are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if child.name.startswith(".") or not child.is_dir():
            continue
        try:
            found.append((child, read_manifest(child)))
        except CheckpointError:
            continue
    found.sort(key=lambda item: (str(item[1].get("created_at", "")), item[0].name))
    return found
