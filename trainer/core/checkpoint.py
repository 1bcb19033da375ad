"""Checkpoint directories: atomic writes and the `manifest.json` every checkpoint carries.

A checkpoint is a directory (an HF model dir, or a PEFT adapter dir) plus `manifest.json`:

    {"kind": "sft"|"orpo"|"dpo"|"simpo"|"kto"|"base", "base_model": ..., "parent_checkpoint": ..., "data_file": ...,
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
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from safetensors import safe_open
from tokenizers import Tokenizer

from trainer.core.fileio import atomic_write, fsync_dir, publish_modes, sweep_dead_dirs, utc_now
from trainer.core.preference_trainers import TRAINERS

MANIFEST_NAME = "manifest.json"
CHECKSUM_FIELD = "weights_sha256"  # {file name: sha256} of the weight files, set by write_manifest
WEIGHT_SUFFIXES = (".safetensors", ".bin")
NOT_WEIGHTS = ("training_args.bin",)
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")
# Temp dirs that carry their writer's pid: atomic_dir's (in the checkpoints dir) and the
# trainers' work dirs (in the system temp dir, holding a copy of the user's labels).
_ATOMIC_TMP_RE = re.compile(r"^\..+\.(?:tmp|old)-(\d+)-")
WORK_DIR_PREFIX = "diagramlab-work-"
_WORK_DIR_RE = re.compile(rf"^{WORK_DIR_PREFIX}(\d+)-")
KINDS = ("sft", *TRAINERS, "base")  # every preference trainer ("orpo") is a kind
# Recorded in every manifest so a checkpoint says which stack produced it.
VERSIONED_PACKAGES = ("torch", "transformers", "trl", "peft", "tokenizers", "accelerate", "datasets")


SUPPORTED_MODEL_TYPES = ("llama",)  # what the project builds (tiny preset) and trains (deepseek-coder)


class CheckpointError(RuntimeError):
    """A checkpoint directory is missing, incomplete or has an unreadable manifest."""


def _fsync_tree(root: Path) -> None:
    """Flush every file (and the directories) under root to disk before the rename publishes it."""
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            with open(os.path.join(dirpath, name), "rb") as handle:
                os.fsync(handle.fileno())
        fsync_dir(Path(dirpath))


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
    # The writer's pid in the name: sweep_leftovers removes it once that process is gone.
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-{os.getpid()}-", dir=final.parent))
    try:
        yield tmp
        publish_modes(tmp)
        _fsync_tree(tmp)
        old = None
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-{os.getpid()}-", dir=final.parent))
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def work_dir(kind: str) -> tempfile.TemporaryDirectory:
    """A trainer's temp work dir (`diagramlab-work-<pid>-<kind>-*` in the system temp dir),
    removed on exit and, after a SIGKILL, by `sweep_leftovers` at the next start."""
    return tempfile.TemporaryDirectory(prefix=f"{WORK_DIR_PREFIX}{os.getpid()}-{kind}-")


def sweep_leftovers(root: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove what killed writers left: atomic_dir temp dirs under `root` (a checkpoints dir) and
    trainer work dirs in the system temp dir, whose process is gone. Returns the removed dirs."""
    removed = sweep_dead_dirs(tempfile.gettempdir(), _WORK_DIR_RE)
    if root is not None:
        removed += sweep_dead_dirs(root, _ATOMIC_TMP_RE)
    return removed


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


def write_manifest(directory: str | os.PathLike[str], **fields: Any) -> Path:
    """Write `manifest.json` into `directory`; `created_at` and `versions` are filled in if absent.

    Required: `kind` (sft, a preference trainer of trainer.core.preference_trainers, base) and `base_model`. Values must be JSON-serialisable
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
    checksums = weights_checksums(directory)
    if checksums and CHECKSUM_FIELD not in fields:  # weights saved before the manifest: record them
        manifest[CHECKSUM_FIELD] = checksums
    model_type = model_type_of(directory)
    if model_type and "model_type" not in fields:  # what validate_checkpoint expects config.json to say
        manifest["model_type"] = model_type
    path = Path(directory) / MANIFEST_NAME
    text = json.dumps(manifest, indent=2, sort_keys=False, default=str)
    return atomic_write(path, text + "\n")


def weight_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The weight files directly in a checkpoint dir (*.safetensors, *.bin), sorted by name."""
    root = Path(directory)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix in WEIGHT_SUFFIXES and p.name not in NOT_WEIGHTS)


def weights_checksums(directory: str | os.PathLike[str]) -> dict[str, str]:
    """{file name: sha256} of the weight files (what the manifest's weights_sha256 records)."""
    return {p.name: file_sha256(p) for p in weight_files(directory)}


def json_object(path: Path, what: str,
                error: Callable[[str], Exception] | None = None) -> dict[str, Any]:
    """The JSON object a checkpoint file holds (`what` names it); when the file is unreadable or
    holds something else, `error(reason)` is raised (reason: "unreadable (...)" or "not a JSON
    object"; default: CheckpointError "<path> (<what>) is <reason>")."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason, cause = f"unreadable ({exc})", exc
    else:
        if isinstance(value, dict):
            return value
        reason, cause = "not a JSON object", None
    raise (error or (lambda why: CheckpointError(f"{path} ({what}) is {why}")))(reason) from cause


def _check_safetensors(path: Path) -> None:
    """The header parses and every tensor lies inside the file (a truncated copy fails here)."""
    try:
        with safe_open(str(path), framework="numpy") as handle:
            for name in handle.keys():
                handle.get_slice(name).get_shape()
    except Exception as exc:  # safetensors raises its own SafetensorError (and OSError)
        raise CheckpointError(f"{path} is not a readable safetensors file: {exc}") from exc


def model_type_of(directory: str | os.PathLike[str]) -> str | None:
    """config.json's model_type (None for an adapter dir or an unreadable config)."""
    path = Path(directory) / "config.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("model_type")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def check_model_type(directory: str | os.PathLike[str], manifest: dict[str, Any] | None = None) -> None:
    """A full model's config.json model_type must be the manifest's `model_type` (recorded by
    write_manifest), or one of SUPPORTED_MODEL_TYPES when the manifest predates that field.
    Adapter dirs (adapter_config.json) are checked when their base is loaded."""
    root = Path(directory)
    if (root / "adapter_config.json").is_file() or not (root / "config.json").is_file():
        return
    manifest = read_manifest(root) if manifest is None else manifest
    found = model_type_of(root)
    recorded = manifest.get("model_type")
    allowed = (recorded,) if isinstance(recorded, str) and recorded else SUPPORTED_MODEL_TYPES
    if found not in allowed:
        where = ("its manifest records " + repr(recorded) if recorded
                 else "this project trains " + " or ".join(SUPPORTED_MODEL_TYPES))
        raise CheckpointError(f"{root / 'config.json'}: model_type {found!r} is not what this "
                              f"{manifest.get('kind', '')} checkpoint is ({where}); the config was "
                              "edited or belongs to another model, whose weights would load as random")


def validate_checkpoint(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Check, without torch, that a checkpoint dir is complete and intact; returns its manifest.

    Manifest (readable, a known kind); config.json (full model) or adapter_config.json (LoRA
    adapter) a JSON object; a tokenizer (tokenizer.json must load); weight files present with
    readable safetensors headers; their sha256 equal to the manifest's `weights_sha256`
    (checkpoints written before that field existed are accepted without it); a `base_model`; a
    full model's config `model_type` the one recorded (`check_model_type`). Loading the weights
    into a model is the caller's last check (the labeler loads a generator before activating).
    Raises CheckpointError naming the first problem.
    """
    root = Path(directory)
    manifest = read_manifest(root)  # also refuses a missing directory
    if manifest.get("kind") not in KINDS:
        raise CheckpointError(f"{root / MANIFEST_NAME}: kind {manifest.get('kind')!r} is not one of {KINDS}")
    adapter = (root / "adapter_config.json").is_file()
    config = root / ("adapter_config.json" if adapter else "config.json")
    if not config.is_file():
        raise CheckpointError(f"{root} has no config.json (nor adapter_config.json)")
    json_object(config, "model config")
    if not manifest.get("base_model"):
        raise CheckpointError(f"{root / MANIFEST_NAME} names no base_model")
    check_model_type(root, manifest)
    if not any((root / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(f"{root} has no tokenizer ({', '.join(TOKENIZER_FILES)})")
    if (root / "tokenizer.json").is_file():
        try:
            Tokenizer.from_file(str(root / "tokenizer.json"))
        except Exception as exc:  # tokenizers raises a bare Exception on a bad file
            raise CheckpointError(f"{root / 'tokenizer.json'} does not load: {exc}") from exc
    weights = weight_files(root)
    if not weights:
        raise CheckpointError(f"{root} has no weight files (*.safetensors or *.bin)")
    for path in weights:
        if path.suffix == ".safetensors":
            _check_safetensors(path)
    expected = manifest.get(CHECKSUM_FIELD)
    if expected is not None:
        if not isinstance(expected, dict):
            raise CheckpointError(f"{root / MANIFEST_NAME}: {CHECKSUM_FIELD} is not an object")
        actual = {p.name: p for p in weights}
        for name, digest in expected.items():
            if name not in actual:
                raise CheckpointError(f"{root}: weight file {name} (in the manifest) is missing")
            if file_sha256(actual[name]) != digest:
                raise CheckpointError(f"{root / name} does not match its sha256 in the manifest "
                                      "(the file changed or is damaged)")
    return manifest


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


def next_free_dir(root: str | os.PathLike[str], prefix: str) -> Path:
    """root/<prefix>-N with N one above the highest existing (temp dirs of running writes and the
    output locks of running trainers, `.<prefix>-N.lock`, included)."""
    name = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    numbers = [int(m.group(1)) for p in Path(root).glob(f"*{prefix}-*")
               if (m := name.match(p.name.lstrip(".").split(".tmp")[0].removesuffix(".lock")))]
    return Path(root) / f"{prefix}-{max(numbers, default=0) + 1}"


def parent_of(directory: str | os.PathLike[str]) -> Path | None:
    """The checkpoint a checkpoint was trained from (manifest `parent_checkpoint`), if it is still
    there: the path as recorded (absolute, or relative to the current directory), else a dir of
    that name beside `directory` (a checkpoints dir moved as a whole, or another working dir)."""
    try:
        recorded = read_manifest(directory).get("parent_checkpoint")
    except CheckpointError:
        return None
    if not recorded or not isinstance(recorded, str):
        return None
    for candidate in (Path(recorded), Path(directory).parent / Path(recorded).name):
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    return None


def lineage(directory: str | os.PathLike[str], limit: int = 1000) -> list[Path]:
    """`directory`, its parent, the parent's parent, ... as far as they exist (no cycles)."""
    chain, seen = [], set()
    current: Path | None = Path(directory)
    while current is not None and len(chain) < limit:
        key = str(current.resolve())
        if key in seen:
            break
        seen.add(key)
        chain.append(current)
        current = parent_of(current)
    return chain


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
