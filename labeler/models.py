"""The labeler's models: which checkpoints exist, which one is active, and their loaded sources.

`ModelRegistry` owns the checkpoints dir (listing, resolving names from the page, the persisted
active choice in `active.json`) and a `GeneratorCache` of loaded candidate sources. One per app,
inside `AppContext` (`ctx.models`); thread-safe.

    models = ModelRegistry(Path("checkpoints"), GeneratorCache(open_source))
    models.restore()                                # active.json if still valid, else tiny-sft
    models.generator().generate(prompt, k=4)        # the active checkpoint's source
    models.set_active(models.resolve("orpo-1"))     # validated and loaded first, then saved
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainer.core.checkpoint import CheckpointError, lineage, list_checkpoints, read_manifest, validate_checkpoint
from trainer.core.fileio import atomic_write, os_error_message, utc_now
from trainer.core.preferences import PreferenceError, open_store
from trainer.data.sanity import check_source
from trainer.core.schema import DEFAULT_CHECKPOINT_NAME, TRAINED_PAIRS_FILE

ACTIVE_FILE = "active.json"
log = logging.getLogger(__name__)


class GeneratorCache:
    """At most `size` loaded generators, least recently used evicted. A checkpoint is loaded
    once even when several sessions ask at the same time, and loading one never blocks
    sessions that use another."""

    def __init__(self, factory: Callable[[Path], Any], size: int = 3):
        self.factory = factory
        self.size = max(1, size)
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, checkpoint: Path) -> Any:
        key = str(Path(checkpoint).resolve())
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._items:  # another session loaded it while we waited
                    return self._items[key]
            generator = self.factory(Path(checkpoint))
            with self._lock:
                self._items[key] = generator
                self._loading.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            return generator

    def loaded(self) -> list[str]:
        with self._lock:
            return list(self._items)


class ModelRegistry:
    """Checkpoints under one dir, the active one, and their loaded sources (thread-safe)."""

    def __init__(self, checkpoints_dir: Path, generators: GeneratorCache, active: Path | None = None) -> None:
        self.checkpoints_dir = Path(checkpoints_dir)
        self.generators = generators
        self._active = Path(active) if active is not None else self.checkpoints_dir / DEFAULT_CHECKPOINT_NAME
        self._lock = threading.Lock()
        self._trained: dict[tuple[str, int, int], frozenset[str]] = {}  # (file, mtime, size) -> ids

    def restore(self) -> Path:
        """The checkpoint saved in active.json if it is still valid, else the default one with a
        warning (a broken choice must never stop the app from starting); it becomes active."""
        default = self.checkpoints_dir / DEFAULT_CHECKPOINT_NAME
        path = self.checkpoints_dir / ACTIVE_FILE
        checkpoint = default
        if path.exists():
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                checkpoint = self.resolve(str(saved["checkpoint"]))
                validate_checkpoint(checkpoint)
            except (OSError, UnicodeDecodeError, KeyError, TypeError, json.JSONDecodeError,
                    CheckpointError) as exc:
                log.warning("%s is unusable (%s: %s); using the default checkpoint %s instead",
                            path, type(exc).__name__, exc, default)
                checkpoint = default
        self.fall_back(checkpoint)
        return checkpoint

    def fall_back(self, checkpoint: Path) -> None:
        """Use `checkpoint` for this run without saving it (start-up fallback)."""
        with self._lock:
            self._active = Path(checkpoint)

    def resolve(self, name: str) -> Path:
        """A checkpoint named by the page, active.json or a manifest: the active checkpoint, or a
        directory directly under checkpoints-dir (by name or by a path that lands there).
        Anything else (`..`, another directory, a dot-named temp dir) raises CheckpointError."""
        active = self.active()
        text = str(name).strip()
        if text and text in (str(active), self.name(active)):
            return active
        root = self.checkpoints_dir.resolve()
        candidate = Path(text)
        path = candidate if len(candidate.parts) > 1 else self.checkpoints_dir / text
        resolved = path.resolve()
        if not text or resolved.parent != root or resolved.name.startswith("."):
            raise CheckpointError(f"{text!r} is not a checkpoint directory directly under "
                                  f"{self.checkpoints_dir}")
        return self.checkpoints_dir / resolved.name

    def active(self) -> Path:
        with self._lock:
            return self._active

    def usable(self, checkpoint: Path) -> Any:
        """The loaded source of `checkpoint` once it has passed every check activation makes:
        validate_checkpoint (files, checksums, model_type), the generator loads, one answer is
        sampled, and, when the source can score, its loss on known answers is a trained model's
        (trainer.data.sanity.check_source). CheckpointError naming the first problem otherwise."""
        validate_checkpoint(checkpoint)
        try:
            source = self.generators.get(Path(checkpoint))
        except Exception as exc:  # any loader failure: the model cannot generate
            raise CheckpointError(f"{checkpoint} does not load: {type(exc).__name__}: {exc}") from exc
        check_source(source, checkpoint)
        return source

    def set_active(self, checkpoint: Path) -> None:
        """Make `checkpoint` the model for labeling; persisted atomically in active.json.

        Refused (CheckpointError, nothing changed) unless it is `usable`: it passes
        validate_checkpoint, its generator loads and samples an answer, and it scores known
        answers like a trained model: a broken checkpoint is never activated.
        """
        self.usable(checkpoint)
        with self._lock:
            try:
                atomic_write(self.checkpoints_dir / ACTIVE_FILE,
                             json.dumps({"checkpoint": self.name(checkpoint), "set_at": utc_now()},
                                        indent=2))
            except OSError as exc:
                raise CheckpointError(os_error_message(exc, "save the active checkpoint")) from exc
            self._active = Path(checkpoint)

    def name(self, checkpoint: Path) -> str:
        """How a checkpoint is named in the UI and in the pairs CSV (relative when possible)."""
        try:
            return str(Path(checkpoint).resolve().relative_to(self.checkpoints_dir.resolve()))
        except ValueError:
            return str(checkpoint)

    def stage(self, checkpoint: Path) -> str:
        """The manifest's kind (sft | orpo | dpo | simpo | kto | base), or 'unknown'."""
        try:
            return str(read_manifest(checkpoint).get("kind", "unknown"))
        except CheckpointError:
            return "unknown"

    def list(self) -> list[tuple[Path, dict]]:
        """Finished checkpoints under checkpoints-dir (plus the active one if elsewhere)."""
        found = list_checkpoints(self.checkpoints_dir)
        active = self.active()
        if all(p.resolve() != active.resolve() for p, _ in found):
            try:
                found.insert(0, (active, read_manifest(active)))
            except CheckpointError:
                pass
        return found

    def trained_pair_ids(self, checkpoint: Path) -> frozenset[str]:
        """pair_ids the checkpoint or one of its parents (`trainer.core.checkpoint.lineage`) was trained
        on, from their own copies of the pairs (empty if none): a round's checkpoint holds only its
        round's pairs. Each copy is read once per file version: the Train tab asks on every poll,
        and published checkpoints do not change."""
        ids: set[str] = set()
        for path in lineage(checkpoint):
            ids |= self._snapshot_ids(path)
        return frozenset(ids)

    def _snapshot_ids(self, checkpoint: Path) -> frozenset[str]:
        snapshot = Path(checkpoint) / TRAINED_PAIRS_FILE
        try:
            info = snapshot.stat()
        except OSError:
            return frozenset()
        key = (str(snapshot.resolve()), info.st_mtime_ns, info.st_size)
        with self._lock:
            if key in self._trained:
                return self._trained[key]
        try:
            ids = open_store(snapshot).read().pair_ids()
        except PreferenceError:
            ids = frozenset()
        with self._lock:
            self._trained[key] = ids
        return ids

    def generator(self, checkpoint: Path | None = None) -> Any:
        """The loaded source of `checkpoint` (default: the active one)."""
        return self.generators.get(checkpoint or self.active())


def make_registry(checkpoints_dir: Path, factory: Callable[[Path], Any], cache_size: int = 3,
                  checkpoint: Path | None = None) -> ModelRegistry:
    """A registry with `checkpoint` active, else the one active.json names (or tiny-sft)."""
    models = ModelRegistry(checkpoints_dir, GeneratorCache(factory, cache_size), checkpoint)
    if checkpoint is None:
        models.restore()
    return models
