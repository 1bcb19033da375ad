"""The one object the labeler's handlers share: paths, stores, generator cache, job runner.

`AppContext.create(...)` is called once in `labeler.app.main()` (or by a test) and handed to every
tab; nothing here lives at module level. Per-browser-session data stays in `gr.State`.

    ctx = AppContext.create(data_dir=Path("data"), checkpoints_dir=Path("checkpoints"),
                            checkpoint=Path("checkpoints/tiny-sft"))
    candidates = ctx.generator(ctx.active_checkpoint()).generate(prompt, k=4)
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeler.common import UserError
from labeler.runner import TrainingRunner
from labeler.votes import VoteLog
from trainer.checkpoint import (CheckpointError, list_checkpoints, read_manifest, sweep_leftovers,
                                validate_checkpoint)
from trainer.fileio import append_locked, atomic_write, os_error_message, sweep_dead_dirs, utc_now
from trainer.datasets_io import load_prompt_pool
from trainer.events import read_events
from trainer.preferences import PreferenceStore
from trainer.sources import open_source
from trainer.schema import DEFAULT_CHECKPOINT_NAME as DEFAULT_CHECKPOINT
from trainer.schema import LABEL_EVENTS_FILE as EVENTS_FILE
from trainer.schema import PREFERENCES_FILE, PROMPTS_FILE, VOTES_FILE

ACTIVE_FILE = "active.json"
RUNS_DIR = ".runs"  # dot-prefixed: list_checkpoints skips it
RESERVATION_SECONDS = 30 * 60  # a prompt shown to one session is not offered to another meanwhile
RENDER_PREFIX = "diagramlab-render-"  # + the app's pid: a SIGKILLed app's dir is swept at start
_RENDER_DIR_RE = re.compile(rf"^{RENDER_PREFIX}(\d+)-")
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


@dataclass
class AppContext:
    """Shared, thread-safe state of one running app."""

    data_dir: Path
    checkpoints_dir: Path
    store: PreferenceStore
    pool: Any  # DataFrame of the `label` split of the prompt pool
    generators: GeneratorCache
    runner: TrainingRunner
    votes: VoteLog
    render_dir: Path
    generate_concurrency: int = 1
    _active: Path = Path()
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reserved: dict[str, tuple[str, float]] = field(default_factory=dict)

    @classmethod
    def create(cls, *, data_dir: Path, checkpoints_dir: Path, checkpoint: Path | None = None,
               generator_factory: Callable[[Path], Any] = open_source,
               cache_size: int = 3, generate_concurrency: int = 1,
               runner: TrainingRunner | None = None) -> AppContext:
        """Build the context; `checkpoint=None` restores active.json, else tiny-sft."""
        data_dir, checkpoints_dir = Path(data_dir), Path(checkpoints_dir)
        swept = sweep_leftovers(checkpoints_dir) + sweep_dead_dirs(tempfile.gettempdir(), _RENDER_DIR_RE)
        for path in swept:
            log.warning("removed %s, left behind by a process that was killed", path)
        ctx = cls(
            data_dir=data_dir, checkpoints_dir=checkpoints_dir,
            store=PreferenceStore(data_dir / PREFERENCES_FILE),
            pool=load_prompt_pool(data_dir / PROMPTS_FILE, split="label"),
            generators=GeneratorCache(generator_factory, cache_size),
            runner=runner or TrainingRunner(checkpoints_dir / RUNS_DIR),
            votes=VoteLog(data_dir / VOTES_FILE), generate_concurrency=generate_concurrency,
            # Under the system temp dir: Gradio serves files from there without allowed_paths.
            render_dir=Path(tempfile.mkdtemp(prefix=f"{RENDER_PREFIX}{os.getpid()}-")))
        ctx._active = Path(checkpoint) if checkpoint else ctx._restore_active()
        return ctx

    def close(self) -> None:
        """Cancel a running training job and remove rendered images (app shutdown)."""
        self.runner.close()
        shutil.rmtree(self.render_dir, ignore_errors=True)

    # --- the active checkpoint -------------------------------------------------------------
    def _restore_active(self) -> Path:
        """The checkpoint saved in active.json if it is still valid, else the default one with a
        warning (a broken choice must never stop the app from starting)."""
        default = self.checkpoints_dir / DEFAULT_CHECKPOINT
        path = self.checkpoints_dir / ACTIVE_FILE
        if not path.exists():
            return default
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            checkpoint = self.resolve_checkpoint(str(saved["checkpoint"]))
            validate_checkpoint(checkpoint)
            return checkpoint
        except (OSError, UnicodeDecodeError, KeyError, TypeError, json.JSONDecodeError,
                CheckpointError) as exc:
            log.warning("%s is unusable (%s: %s); using the default checkpoint %s instead",
                        path, type(exc).__name__, exc, default)
            return default

    def fall_back(self, checkpoint: Path) -> None:
        """Use `checkpoint` for this run without saving it (start-up fallback)."""
        with self._lock:
            self._active = Path(checkpoint)

    def resolve_checkpoint(self, name: str) -> Path:
        """A checkpoint named by the page, active.json or a manifest: the active checkpoint, or a
        directory directly under checkpoints-dir (by name or by a path that lands there).
        Anything else (`..`, another directory, a dot-named temp dir) raises CheckpointError."""
        active = self.active_checkpoint()
        text = str(name).strip()
        if text and text in (str(active), self.model_name(active)):
            return active
        root = self.checkpoints_dir.resolve()
        candidate = Path(text)
        path = candidate if len(candidate.parts) > 1 else self.checkpoints_dir / text
        resolved = path.resolve()
        if not text or resolved.parent != root or resolved.name.startswith("."):
            raise CheckpointError(f"{text!r} is not a checkpoint directory directly under "
                                  f"{self.checkpoints_dir}")
        return self.checkpoints_dir / resolved.name

    def active_checkpoint(self) -> Path:
        with self._lock:
            return self._active

    def set_active(self, checkpoint: Path) -> None:
        """Make `checkpoint` the model for labeling; persisted atomically in active.json.

        Refused (CheckpointError, nothing changed) unless it passes validate_checkpoint and its
        generator loads: a broken checkpoint is never activated.
        """
        validate_checkpoint(checkpoint)
        try:
            self.generators.get(Path(checkpoint))
        except Exception as exc:  # any loader failure: the model cannot generate
            raise CheckpointError(f"{checkpoint} does not load: {type(exc).__name__}: {exc}") from exc
        with self._lock:
            try:
                atomic_write(self.checkpoints_dir / ACTIVE_FILE,
                             json.dumps({"checkpoint": self.model_name(checkpoint), "set_at": utc_now()},
                                        indent=2))
            except OSError as exc:
                raise CheckpointError(os_error_message(exc, "save the active checkpoint")) from exc
            self._active = Path(checkpoint)

    def model_name(self, checkpoint: Path) -> str:
        """How a checkpoint is named in the UI and in the pairs CSV (relative when possible)."""
        try:
            return str(Path(checkpoint).resolve().relative_to(self.checkpoints_dir.resolve()))
        except ValueError:
            return str(checkpoint)

    def stage(self, checkpoint: Path) -> str:
        """The manifest's kind (sft | orpo | base), or 'unknown'."""
        try:
            return str(read_manifest(checkpoint).get("kind", "unknown"))
        except CheckpointError:
            return "unknown"

    def checkpoints(self) -> list[tuple[Path, dict]]:
        """Finished checkpoints under checkpoints-dir (plus the active one if elsewhere)."""
        found = list_checkpoints(self.checkpoints_dir)
        active = self.active_checkpoint()
        if all(p.resolve() != active.resolve() for p, _ in found):
            try:
                found.insert(0, (active, read_manifest(active)))
            except CheckpointError:
                pass
        return found

    def generator(self, checkpoint: Path | None = None) -> Any:
        return self.generators.get(checkpoint or self.active_checkpoint())

    # --- prompts being labeled ---------------------------------------------------------------
    def reserve(self, prompt_id: str, session: str) -> None:
        with self._lock:
            self._reserved[prompt_id] = (session, time.monotonic())

    def release(self, session: str) -> None:
        with self._lock:
            for pid in [p for p, (s, _) in self._reserved.items() if s == session]:
                del self._reserved[pid]

    def reserved_by_others(self, session: str) -> set[str]:
        now = time.monotonic()
        with self._lock:
            return {pid for pid, (s, t) in self._reserved.items()
                    if s != session and now - t < RESERVATION_SECONDS}

    # --- logs ----------------------------------------------------------------------------------
    def log_event(self, kind: str, **fields: Any) -> None:
        """Append one JSON line (skip, tie, both_bad, ...) to label_events.jsonl."""
        path = self.data_dir / EVENTS_FILE
        record = {"event": kind, "at": utc_now(), **fields}
        try:
            append_locked(path, json.dumps(record, default=str) + "\n")
        except OSError as exc:  # disk full: one message for the page
            raise UserError(os_error_message(exc, f"log the {kind} event")) from exc

    def read_events(self) -> list[dict]:
        """label_events.jsonl in file order (a torn or garbled line is skipped)."""
        return read_events(self.data_dir / EVENTS_FILE)
