"""Every file the project writes for the user goes through here: atomic replace, locked append,
directory fsync, UTC timestamps, user-facing OS-error messages, umask modes, dead-writer sweeps.

    atomic_write(path, data)                     # temp file beside path + fsync + os.replace + dir fsync
    append_locked(path, line, header=b"...")     # FileLock(path.lock) + one O_APPEND write + fsync
    with file_lock(path, timeout=60): ...        # the same lock, for read-check-append sequences
    utc_now()                                    # "2026-01-01T12:00:00+00:00", every created_at / at
    try:
        write(...)
    except OSError as exc:
        raise PreferenceError(os_error_message(exc, "save the pair")) from exc

`os_error_message` names the cause a user can act on (disk full, no permission, read-only file
system) instead of a bare `OSError`. `user_file_mode()` is what `open()` would give a new file
under the user's umask: `tempfile.mkstemp` always makes 0600, so files published by rename
(active.json, checkpoint weights, the preference CSV after an undo) are chmod-ed to it.
`sweep_dead_temps(path)` removes the temp copies of `path` that killed processes left (their names
carry the writer's pid). `sweep_dead_dirs(parent, pattern)` removes temp dirs whose name carries the pid of a process
that no longer exists (a SIGKILLed trainer or app); live writers' dirs are never touched.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType

from filelock import FileLock

_CAUSES = MappingProxyType({
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENOENT: "a directory on the path does not exist",
})


def os_error_message(exc: OSError, action: str) -> str:
    """'could not <action>: the disk is full (No space left on device: path); nothing was saved'."""
    cause = _CAUSES.get(exc.errno or 0, "an operating-system error")
    detail = exc.strerror or str(exc)
    where = f": {exc.filename}" if exc.filename else ""
    return f"could not {action}: {cause} ({detail}{where}); nothing was saved"


def _umask() -> int:
    """The process umask without changing it (os.umask would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def user_file_mode(directory: bool = False) -> int:
    """0o666 (0o777 for a directory) less the umask: what a plain open()/mkdir() creates."""
    return (0o777 if directory else 0o666) & ~_umask()


def publish_modes(root: str | os.PathLike[str]) -> None:
    """Give a tree written through temp files the modes open()/mkdir() would have given it."""
    root = Path(root)
    root.chmod(user_file_mode(directory=True))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), user_file_mode(directory=True))
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), user_file_mode())


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (another user's counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_dead_dirs(parent: str | os.PathLike[str], pattern: re.Pattern[str]) -> list[Path]:
    """Remove the directories under `parent` whose name matches `pattern` (group 1: the pid of
    the process that made it) when that process is gone: what a SIGKILL left behind."""
    removed: list[Path] = []
    try:
        children = list(Path(parent).iterdir())
    except OSError:
        return removed
    for child in children:
        match = pattern.match(child.name)
        if match is None or not child.is_dir() or child.is_symlink():
            continue
        if int(match.group(1)) == os.getpid() or pid_alive(int(match.group(1))):
            continue
        shutil.rmtree(child, ignore_errors=True)
        if not child.exists():
            removed.append(child)
    return removed


STALE_TEMP_S = 3600.0  # a temp copy without a pid in its name (older versions) older than this is dead


def sweep_dead_temps(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temp copies `atomic_write` left beside `path` (`.<name>.<pid>.<random>.tmp`) when
    the process that made them is gone (SIGKILL, power loss); a live writer's copy is never
    touched. Copies named without a pid (older versions) go when older than an hour."""
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(\d+)\.)?[^.]+\.tmp$")
    removed: list[Path] = []
    try:
        children = list(path.parent.iterdir())
    except OSError:
        return removed
    for child in children:
        match = pattern.match(child.name)
        if match is None or not child.is_file() or child.is_symlink():
            continue
        try:
            if match.group(1) is not None:
                pid = int(match.group(1))
                if pid == os.getpid() or pid_alive(pid):
                    continue
            elif time.time() - child.stat().st_mtime < STALE_TEMP_S:
                continue
            child.unlink()
        except OSError:  # a read-only directory, or gone meanwhile
            continue
        removed.append(child)
    return removed


# ---- timestamps ---------------------------------------------------------------------------------

def utc_now() -> str:
    """Now in UTC, ISO 8601 to the second: '2026-01-01T12:00:00+00:00' (every stored timestamp)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def utc_stamp() -> str:
    """Now in UTC for a file or job name: '20260101T120000123456Z' (sorts in time order)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


# ---- writing ------------------------------------------------------------------------------------

def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory entry (a rename or a new file) to disk; a file system that refuses to open
    directories for fsync is skipped."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, mode: int | None = None,
                 durable: bool = True) -> Path:
    """Replace `path` with `data` so that a reader sees the old file or the new one, never half:
    temp file beside it, fsync, os.replace, directory fsync. The new file keeps an existing file's
    mode, else gets `mode` or the umask's (`user_file_mode()`). `durable=False` skips the fsyncs
    (caches that can be rebuilt: rendered images). OSError propagates (no temp file left behind);
    callers turn it into their own error with `os_error_message`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if mode is None and path.exists():
            shutil.copymode(path, tmp)
        else:
            os.chmod(tmp, user_file_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)
    return path


def file_lock(path: str | os.PathLike[str], timeout: float = 30.0) -> FileLock:
    """The inter-process lock of `path` (`<path>.lock`; threads and processes)."""
    return FileLock(str(path) + ".lock", timeout=timeout)


def append_bytes(path: str | os.PathLike[str], payload: bytes) -> None:
    """Append `payload` with one O_APPEND write (looping only on short writes), then fsync; the
    caller holds the file's lock. A failed write (disk full) is cut back off so the file stays as
    it was, and a file this call created is removed again. OSError propagates."""
    path = Path(path)
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    size = os.fstat(fd).st_size
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, size)
            os.fsync(fd)
        if created:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def append_locked(path: str | os.PathLike[str], payload: bytes | str, *, header: bytes | str = b"",
                  timeout: float = 30.0) -> None:
    """`append_bytes` under the file's lock; `header` goes first when the file is new or empty (a
    CSV's column line). OSError (and filelock.Timeout) propagate."""
    path = Path(path)
    payload = payload.encode("utf-8") if isinstance(payload, str) else payload
    header = header.encode("utf-8") if isinstance(header, str) else header
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path, timeout):
        if header and (not path.exists() or path.stat().st_size == 0):
            payload = header + payload
        append_bytes(path, payload)
