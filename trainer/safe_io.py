"""File-system failures as one clear message, and the permissions of files written for the user.

    try:
        write(...)
    except OSError as exc:
        raise PreferenceError(os_error_message(exc, "save the pair")) from exc

`os_error_message` names the cause a user can act on (disk full, no permission, read-only file
system) instead of a bare `OSError`. `user_file_mode()` is what `open()` would give a new file
under the user's umask: `tempfile.mkstemp` always makes 0600, so files published by rename
(active.json, checkpoint weights, the preference CSV after an undo) are chmod-ed to it.
`sweep_dead_dirs(parent, pattern)` removes temp dirs whose name carries the pid of a process
that no longer exists (a SIGKILLed trainer or app); live writers' dirs are never touched.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path
from types import MappingProxyType

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
