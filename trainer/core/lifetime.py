"""A trainer's lifetime: it ends with the app that started it, and owns its output directory.

The labeler starts every training job as a subprocess (`labeler.runner`). If the app is SIGKILLed
(or crashes), nothing would stop that trainer: it kept training with parent PID 1, and the
restarted app started a second trainer on the same output directory. Two guards:

- **Watchdog** (`watch_app`): the runner puts the app's pid and start time in the trainer's
  environment (`app_env`, `DIAGRAMLAB_APP_PID=pid:start`); a daemon thread in the trainer checks
  every half second that this process still exists (same start time, so a reused pid does not
  count). When it is gone the trainer sends itself SIGTERM, which cancels the run cleanly (no
  checkpoint, temp dirs removed, exit 143); if it is still alive `GRACE_S` later it exits hard
  (its temp dirs carry its pid and are swept at the next start). It goes through `accelerate
  launch`: every process inherits the variable. (Not PR_SET_PDEATHSIG: Linux sends that when the
  *thread* that started the child exits, and the app starts jobs from short-lived worker threads.)
- **Output lock** (`output_lock(out)`): the trainer process takes an exclusive `flock` on
  `<out's parent>/.<out's name>.lock` for the whole run and removes it when done; a second
  trainer for the same output directory is refused at once (`OutputBusy`, naming the holder's
  pid). The kernel releases the lock of a killed process; `next_free_dir` counts lock files, so
  an app restarted while a trainer runs picks the next name.

    with output_lock("checkpoints/orpo-1"):
        watch_app()            # no-op without DIAGRAMLAB_APP_PID (a trainer started by hand)
        ...train and publish...
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from trainer.core.fileio import pid_alive

APP_PID_ENV = "DIAGRAMLAB_APP_PID"
POLL_S = 0.5
GRACE_S = 20.0  # after SIGTERM to itself, a trainer still alive (stuck in a C call) exits hard
WATCHDOG_THREAD = "diagramlab-app-watchdog"
EXIT_APP_GONE = 143

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock is then a no-op (the app runs on Linux/macOS)
    fcntl = None  # type: ignore[assignment]


class OutputBusy(RuntimeError):
    """Another trainer is writing the same output directory."""


def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot, /proc/<pid>/stat field 22), None when
    it does not exist; '' where /proc is absent (then only its existence is checked)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if not Path("/proc/self/stat").exists():
            return "" if pid_alive(pid) else None
        return None
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the name in parentheses may contain spaces
    if fields[0] == "Z":  # a zombie has exited
        return None
    return fields[19]


def app_env(env: dict[str, str] | None = None, pid: int | None = None) -> dict[str, str]:
    """`env` (default os.environ) plus the lease of process `pid` (default: this one, the app)."""
    pid = os.getpid() if pid is None else pid
    return {**(os.environ if env is None else env), APP_PID_ENV: f"{pid}:{start_time(pid) or ''}"}


def _lease(value: str) -> tuple[int, str] | None:
    pid, _, started = value.partition(":")
    try:
        return int(pid), started
    except ValueError:
        return None


def app_alive(value: str) -> bool:
    """Whether the process a DIAGRAMLAB_APP_PID value names is still the one that set it."""
    lease = _lease(value)
    if lease is None:
        return True  # unreadable: never kill a run for it
    now = start_time(lease[0])
    return now is not None and (not lease[1] or not now or now == lease[1])


def _watch(value: str, poll_s: float, grace_s: float) -> None:
    while app_alive(value):
        time.sleep(poll_s)
    os.kill(os.getpid(), signal.SIGTERM)  # the trainer's clean cancel (preference_parts.SigtermCancels)
    time.sleep(grace_s)
    os._exit(EXIT_APP_GONE)


def watch_app(poll_s: float = POLL_S, grace_s: float = GRACE_S) -> bool:
    """Start the watchdog thread if DIAGRAMLAB_APP_PID is set (once per process); True if one runs."""
    value = os.environ.get(APP_PID_ENV, "")
    if not value or _lease(value) is None:
        return False
    if any(t.name == WATCHDOG_THREAD for t in threading.enumerate()):
        return True
    threading.Thread(target=_watch, args=(value, poll_s, grace_s), name=WATCHDOG_THREAD,
                     daemon=True).start()
    return True


def lock_path(out: str | os.PathLike[str]) -> Path:
    """Where the lock of output directory `out` lives: `.<name>.lock` beside it."""
    final = Path(out)
    return final.parent / f".{final.name}.lock"


@contextlib.contextmanager
def output_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the exclusive lock of output directory `out` (see the module docstring); OutputBusy
    at once if another process holds it. The lock file is removed on exit."""
    path = lock_path(out)
    if fcntl is None:
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise OutputBusy(f"another trainer (pid {holder}) is already writing {out}; wait for it "
                             f"or stop it, or choose another --out") from None
        except BaseException:
            os.close(fd)
            raise
        try:  # the holder before us may have removed the file after we opened it: lock the new one
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)  # releases the flock
