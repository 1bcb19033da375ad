"""The one object the labeler's handlers share, made of parts that each do one job.

`AppContext.create(...)` is called once in `labeler.app.run_app()` (or by a test) and handed to
every tab; nothing here lives at module level. Per-browser-session data stays in `gr.State`.

- `ctx.models` (`labeler.models.ModelRegistry`): checkpoints, the active one, loaded sources;
- `ctx.reservations` (`Reservations`): pool prompts shown to a session, not offered to others;
- `ctx.events` (`LabelLog`): the label_events.jsonl log (pairs, skips, undos);
- `ctx.overlap` (`app --overlap N`, default 1) and `ctx.tasks` (`labeler.tasks.TaskStore`,
  label_tasks.jsonl): each pool prompt judged by N annotators on the same candidates;
- `ctx.store` (the preference pairs), `ctx.judgments` (`trainer.core.judgment_store.JudgmentStore`: every
  labeled screen, label_judgments.jsonl, writing its pairs to `ctx.store` under one lock; repaired on
  open), `ctx.pool` (the label split of the prompt pool),
  `ctx.runner` (the training job), `ctx.votes` (A/B votes), `ctx.render_dir` (rendered images),
  `ctx.auto` (`labeler.training.AutoRetrain`: the auto-retrain setting and its last round).
- `ctx.reader`: None (the rules read typed requests) or the `--reader-url` served reader
  (`trainer.generation.http_reader.ServedReader`), the one the sources read with too.

    ctx = AppContext.create(data_dir=Path("data"), checkpoints_dir=Path("checkpoints"),
                            checkpoint=Path("checkpoints/tiny-sft"))
    candidates = ctx.models.generator().generate(prompt, k=4)
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labeler.common import UserError
from labeler.coverage import with_kinds
from labeler.models import ModelRegistry, make_registry
from labeler.runner import TrainingRunner
from labeler.training import AutoRetrain
from labeler.tasks import MAX_OVERLAP, TaskStore
from labeler.votes import VoteLog
from trainer.core.checkpoint import sweep_leftovers
from trainer.core.datasets_io import load_prompt_pool
from trainer.core.fileio import os_error_message, sweep_dead_dirs, utc_now
from trainer.core.judgment_store import JudgmentStore
from trainer.core.jsonl import JsonlLog
from trainer.core.preferences import PreferenceBackend, PreferenceError, RecordLog, open_store
from trainer.core.schema import (LABEL_EVENTS_FILE, LABEL_TASKS_FILE, PREFERENCES_FILE, PROMPTS_FILE,
                            VOTES_FILE)
from trainer.generation.sources import open_source

RUNS_DIR = ".runs"  # dot-prefixed: list_checkpoints skips it
RESERVATION_SECONDS = 30 * 60  # a prompt shown to one session is not offered to another meanwhile
RENDER_PREFIX = "diagramlab-render-"  # + the app's pid: a SIGKILLed app's dir is swept at start
_RENDER_DIR_RE = re.compile(rf"^{RENDER_PREFIX}(\d+)-")
log = logging.getLogger(__name__)


class Reservations:
    """Pool prompts being labeled: a prompt shown to one session is not offered to another for
    RESERVATION_SECONDS (with `--overlap N`, to at most N sessions at once; thread-safe)."""

    def __init__(self, seconds: float = RESERVATION_SECONDS) -> None:
        self.seconds = seconds
        self._held: dict[tuple[str, str], float] = {}  # (prompt_id, session) -> since
        self._lock = threading.Lock()

    def reserve(self, prompt_id: str, session: str) -> None:
        with self._lock:
            self._held[(prompt_id, session)] = time.monotonic()

    def release(self, session: str) -> None:
        with self._lock:
            for key in [k for k in self._held if k[1] == session]:
                del self._held[key]

    def holders(self, session: str) -> dict[str, int]:
        """{prompt_id: other sessions showing it now}."""
        now = time.monotonic()
        counts: dict[str, int] = {}
        with self._lock:
            for (pid, s), t in self._held.items():
                if s != session and now - t < self.seconds:
                    counts[pid] = counts.get(pid, 0) + 1
        return counts

    def held_by_others(self, session: str) -> set[str]:
        return set(self.holders(session))


class LabelLog:
    """label_events.jsonl: one record per labeling action (pair, skip, both_bad, tie, undo), in the
    store's record log (`store.log(LABEL_EVENTS_FILE)`: a JSON-lines file beside the CSV, a table
    in SQLite) or in the JSON-lines file at a path."""

    def __init__(self, source: Path | RecordLog) -> None:
        self.records = JsonlLog(source) if isinstance(source, (str, os.PathLike)) else source
        self.path = Path(getattr(self.records, "path", ""))

    def log(self, kind: str, **fields: Any) -> None:
        """Append one event (`trainer.core.jsonl`: lock + torn-tail policy + one write + fsync);
        UserError when the disk refuses."""
        record = {"event": kind, "at": utc_now(), **fields}
        try:
            self.records.append([record])
        except OSError as exc:  # disk full: one message for the page
            raise UserError(os_error_message(exc, f"log the {kind} event")) from exc
        except PreferenceError as exc:
            raise UserError(f"could not log the {kind} event: {exc}") from exc

    def read(self) -> list[dict]:
        """Every event in file order (a torn last line is ignored, a garbled line skipped with a
        warning naming it)."""
        try:
            return self.records.read()
        except OSError as exc:
            raise UserError(os_error_message(exc, f"read {self.path.name}").replace("; nothing was saved", "")) from exc


@dataclass
class AppContext:
    """Shared, thread-safe state of one running app (see the module docstring for its parts)."""

    data_dir: Path
    checkpoints_dir: Path
    models: ModelRegistry
    store: PreferenceBackend
    pool: Any  # DataFrame of the `label` split of the prompt pool (+ `kind`: labeler.coverage)
    runner: TrainingRunner
    votes: VoteLog
    events: LabelLog
    render_dir: Path
    reservations: Reservations = field(default_factory=Reservations)
    generate_concurrency: int = 1
    selection: str = "active"  # the Label tab's default: labeling.SELECTIONS (--selection)
    oversample: float = 2.0  # active selection samples M = ceil(oversample * K) (--oversample)
    auto: AutoRetrain = field(default_factory=AutoRetrain)  # the Train tab's auto-retrain setting
    tasks: TaskStore | None = None  # label_tasks.jsonl (used with overlap > 1)
    overlap: int = 1  # annotators per pool prompt
    judgments: JudgmentStore | None = None  # the journal beside the store (every backend; None only in hand-built test contexts)
    reader: Any = None  # what reads typed requests: None = the rules; a ServedReader with --reader-url

    @classmethod
    def create(cls, *, data_dir: Path, checkpoints_dir: Path, checkpoint: Path | None = None,
               generator_factory: Callable[[Path], Any] = open_source,
               cache_size: int = 3, generate_concurrency: int = 1,
               runner: TrainingRunner | None = None, overlap: int = 1, selection: str = "active",
               oversample: float = 2.0, reader: Any = None) -> AppContext:
        """Build the context; `checkpoint=None` restores active.json, else tiny-sft; `reader`: the
        served reader (`trainer.generation.http_reader.ServedReader`) the sources read with too."""
        if not 1 <= overlap <= MAX_OVERLAP:
            raise UserError(f"--overlap must be 1 to {MAX_OVERLAP}, not {overlap}")
        data_dir, checkpoints_dir = Path(data_dir), Path(checkpoints_dir)
        swept = sweep_leftovers(checkpoints_dir) + sweep_dead_dirs(tempfile.gettempdir(), _RENDER_DIR_RE)
        for path in swept:
            log.warning("removed %s, left behind by a process that was killed", path)
        store = open_store(data_dir / PREFERENCES_FILE)
        judgments = JudgmentStore(store)  # every backend: the journal beside the store
        try:
            judgments.repair()  # a crash between a judgment and its pairs: put the store right
        except PreferenceError as exc:  # the page says it on the next submit; the app still starts
            log.error("%s", exc)
        return cls(
            data_dir=data_dir, checkpoints_dir=checkpoints_dir,
            models=make_registry(checkpoints_dir, generator_factory, cache_size, checkpoint),
            store=store, judgments=judgments,
            pool=with_kinds(load_prompt_pool(data_dir / PROMPTS_FILE, split="label")),
            runner=runner or TrainingRunner(checkpoints_dir / RUNS_DIR),
            votes=VoteLog(data_dir / VOTES_FILE), events=LabelLog(store.log(LABEL_EVENTS_FILE)),
            generate_concurrency=generate_concurrency,
            tasks=TaskStore(store.log(LABEL_TASKS_FILE)), overlap=overlap,
            selection=selection, oversample=oversample, reader=reader,
            # Under the system temp dir: Gradio serves files from there without allowed_paths.
            render_dir=Path(tempfile.mkdtemp(prefix=f"{RENDER_PREFIX}{os.getpid()}-")))

    def close(self) -> None:
        """Cancel a running training job and remove rendered images (app shutdown)."""
        self.runner.close()
        self.auto.wait(10)
        shutil.rmtree(self.render_dir, ignore_errors=True)
