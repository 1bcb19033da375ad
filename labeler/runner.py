"""One preference-training job at a time, run as a subprocess and followed through its events file.

The web process never imports torch for training: `TrainingRunner.start(config)`, where `config`
is a registered preference trainer's config (`trainer.core.preference_trainers`; ORPOArgs today),
launches `python -m trainer.training.orpo --checkpoint ... --data ... --out ... --events ...` (the
dataclass's own flags, `trainer.core.args.to_argv`; `start(config, launcher="deepspeed_zero3")` runs
the same under `python -m accelerate.commands.launch --config_file ...`, several processes) as an
argument list (never a shell), sends its
output to a log file, and `status()` folds the JSON-lines events (`trainer.core.events`: `{"phase"}`,
`{"step", "total", "loss", "rewards/margins", "eta_s", ...}` ... `{"status": "done"|...}`), read
incrementally with `EventFollower`, into a `JobStatus` the Train tab shows. `stop()` sends
SIGTERM, which the trainer handles by cancelling cleanly. A job that dies without a final event
is reported as failed with its log tail. The trainer's environment names the app
(`trainer.core.lifetime.app_env`): a trainer whose app died, even by SIGKILL, cancels itself within a
second, and the trainer locks its output directory, so a restarted app never runs a second
trainer into it.

    runner = TrainingRunner(Path("checkpoints/.runs"))
    runner.start(ORPOArgs(checkpoint=..., data=..., out=..., max_steps=2))
    while runner.status().running: time.sleep(1)
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from trainer.core.args import to_argv
from trainer.core.events import EventFollower
from trainer.core.preference_trainers import trainer_of
from trainer.loop.round_config import RoundArgs, round_to_argv
from trainer.core.fileio import utc_stamp
from trainer.core.launch import accelerate_command
from trainer.core.lifetime import app_env

LOG_TAIL_LINES = 40
_TQDM_BAR = re.compile(r"\d+%\|.*\|")
# Library warnings and the trainer's raw metric dicts: the events file says the same, readably.
_LIBRARY_NOISE = re.compile(r"Warning:|warnings\.warn\(|^\s*\{'|^\s*warn\(")


class JobBusyError(RuntimeError):
    """A training job is already running; only one runs at a time across all sessions."""


@dataclass(frozen=True)
class JobStatus:
    """A snapshot of the current (or last) job, as plain data for the UI."""

    state: str = "idle"  # idle | running | done | failed | cancelled
    job_id: str = ""
    step: int = 0
    total: int = 0
    eta_s: float | None = None
    losses: tuple[tuple[int, float], ...] = ()
    margins: tuple[tuple[int, float], ...] = ()
    log_tail: str = ""
    lines: tuple[str, ...] = ()  # readable progress: phases and "step 3/20 · loss 1.234 · ETA 12 s"
    error: str = ""
    out: str = ""
    parent: str = ""
    metrics: dict = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0


ROUND_MODULE = "trainer.loop.rounds"  # a RoundArgs job: one round (trainer.loop.rounds)
ALWAYS_PASSED = ("checkpoint", "data", "out", "events", "prompts")  # paths: never a default


def train_command(job: Any, events: Path, python: str = sys.executable, launcher: str | None = None) -> list[str]:
    """The argument list that trains `job` (a registered preference trainer's config, e.g.
    ORPOArgs, or a round's `RoundArgs`: `python -m trainer.loop.rounds`) with progress events to `events`: `python -m <its module>`, the paths, then the
    options that differ from the trainer's defaults. With a `launcher` (a configs/accelerate name
    or file), the same module and flags under `python -m accelerate.commands.launch --config_file C`
    (several processes; trainer.core.launch)."""
    if isinstance(job, RoundArgs):
        module, flags = ROUND_MODULE, round_to_argv(job.with_fields(events=str(events)), keep=ALWAYS_PASSED)
    else:
        module, flags = trainer_of(job).module, to_argv(replace(job, events=str(events)), keep=ALWAYS_PASSED)
    if launcher and module == ROUND_MODULE:
        raise ValueError("a round runs in one process; pass no launcher")
    if launcher:
        return accelerate_command(launcher, module, flags, python)
    return [python, "-m", module, *flags]


def fold_events(status: JobStatus, events: list[dict]) -> JobStatus:
    """Apply new events (in file order) to `status`: phases and steps become lines, a final status
    event sets state, error, checkpoint and metrics (the keys `EventWriter.final` writes)."""
    losses, margins, lines = list(status.losses), list(status.margins), list(status.lines)
    fields: dict = {}
    for ev in events:
        if ev.get("phase"):
            lines.append(str(ev["phase"]))
        if "status" in ev:
            fields["state"] = str(ev["status"])
            fields["error"] = str(ev.get("error") or "")
            fields["out"] = str(ev.get("checkpoint") or status.out)
            fields["metrics"] = dict(ev.get("metrics") or {})
            continue
        if "step" not in ev:
            continue
        step = int(ev["step"])
        fields.update(step=step, total=int(ev.get("total") or status.total),
                      eta_s=ev.get("eta_s"))
        if ev.get("loss") is not None:
            losses.append((step, float(ev["loss"])))
        if ev.get("rewards/margins") is not None:
            margins.append((step, float(ev["rewards/margins"])))
        lines.append(step_line(ev, fields["total"]))
    return replace(status, losses=tuple(losses), margins=tuple(margins), lines=tuple(lines),
                   **fields)


def step_line(event: dict, total: int) -> str:
    """One training step in words: "step 3/20 · loss 1.234 · ETA 12 s"."""
    parts = [f"step {event['step']}/{total or '?'}"]
    if event.get("loss") is not None:
        parts.append(f"loss {float(event['loss']):.3f}")
    if event.get("eta_s") is not None:
        parts.append(f"ETA {float(event['eta_s']):.0f} s")
    return " · ".join(parts)


def readable_log(status: JobStatus, lines: int = 12) -> str:
    """The Train tab's log: the last progress lines; after a failure, the log's own tail too."""
    text = "\n".join(status.lines[-lines:])
    if status.state == "failed" and status.log_tail:
        text += "\n--- log ---\n" + status.log_tail
    return text.strip()


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log file ('' when there is none yet), without the tqdm
    progress bars that would otherwise fill it (the progress bar above shows the same)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 16_000))
            data = fh.read().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    kept = [line for line in data.splitlines() if line.strip() and not _TQDM_BAR.search(line)
            and not _LIBRARY_NOISE.search(line)]
    return "\n".join(kept[-lines:])


class TrainingRunner:
    """Owns at most one training subprocess; thread-safe, shared by every browser session."""

    def __init__(self, runs_dir: Path, python: str = sys.executable,
                 command_prefix: list[str] | None = None):
        # command_prefix replaces `python -m trainer.training.orpo` (tests run a fake trainer with it).
        self.runs_dir = Path(runs_dir)
        self.python = python
        self.command_prefix = command_prefix
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._status = JobStatus()
        self._run_dir: Path | None = None
        self._events: EventFollower | None = None
        self._stop_requested = False

    def _command(self, job: Any, events: Path, launcher: str | None) -> list[str]:
        if self.command_prefix is not None:  # a fake trainer (tests): its flags, never a launcher
            return list(self.command_prefix) + train_command(job, events, self.python)[3:]
        return train_command(job, events, self.python, launcher)

    def start(self, job: Any, launcher: str | None = None) -> JobStatus:
        """Launch `job` (under `accelerate launch` with `launcher`'s config, if given); raises
        JobBusyError while another job runs."""
        with self._lock:
            self._refresh()
            if self._status.running:
                raise JobBusyError(f"training job {self._status.job_id} is still running "
                                   f"(step {self._status.step}/{self._status.total})")
            job_id = utc_stamp() + "-" + uuid.uuid4().hex[:6]
            run_dir = self.runs_dir / job_id
            run_dir.mkdir(parents=True, exist_ok=True)
            events = run_dir / "events.jsonl"
            # The app's pid and start time: the trainer ends itself when the app is gone, even
            # after a SIGKILL that leaves no time to stop it (trainer.core.lifetime.watch_app).
            env = app_env(dict(os.environ, PYTHONUNBUFFERED="1"))
            with (run_dir / "log.txt").open("wb") as log:
                self._proc = subprocess.Popen(  # argument list, never shell=True
                    self._command(job, events, launcher), stdout=log, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL, env=env)
            self._run_dir = run_dir
            self._events = EventFollower(events)
            self._stop_requested = False
            self._status = JobStatus(state="running", job_id=job_id, out=str(job.out),
                                     parent=str(job.checkpoint), started_at=time.time())
            return self._status

    def _refresh(self) -> None:
        """Fold new events and notice a finished process (called with the lock held)."""
        if self._proc is None or self._run_dir is None or self._events is None:
            return
        code = self._proc.poll()  # before reading: events written before the exit are all read
        status = fold_events(self._status, self._events.read())  # only the newly appended lines
        status = replace(status, log_tail=tail(self._run_dir / "log.txt"))
        if code is not None:
            if status.state == "running" and self._stop_requested:
                # SIGTERM can land before the trainer installs its handler (still importing).
                status = replace(status, state="cancelled", error="stopped before it could start")
            elif status.state == "running":
                status = replace(status, state="failed" if code else "done",
                                 error=f"trainer exited with code {code} without a final event"
                                 if code else "")
            if status.state == "failed" and not status.error:
                status = replace(status, error=f"trainer exited with code {code}")
            status = replace(status, finished_at=status.finished_at or time.time())
            self._proc = None
        self._status = status

    def status(self) -> JobStatus:
        with self._lock:
            self._refresh()
            return self._status

    def stop(self) -> bool:
        """Ask the running job to cancel (SIGTERM); False when nothing runs."""
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                return False
            self._proc.send_signal(signal.SIGTERM)
            self._stop_requested = True
            return True

    def wait(self, timeout: float) -> JobStatus:
        """Block until the job ends or `timeout` seconds pass (tests and the CLI use this)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if not status.running:
                return status
            time.sleep(0.2)
        return self.status()

    def close(self, timeout: float = 10.0) -> None:
        """Cancel a running job and reap it (app shutdown)."""
        if self.stop():
            proc = self._proc
            if proc is not None:
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.status()
