"""The one helper behind every JSON-lines file the project writes: append, read what is new, one
torn-tail policy, repair.

Files: the judgments journal (`trainer.core.judgment_store`, strict), the label log
(`labeler.context.LabelLog`), the overlap tasks (`labeler.tasks.TaskStore`) and training progress
(`trainer.core.events.EventWriter`). One JSON object per line, UTF-8, each line ending in "\\n".

    append_records(path, [{"event": "skip"}])       # lock + repair the tail + one O_APPEND write + fsync
    records, cursor = read_new(path, cursor)        # the complete lines after cursor (offset, line number)
    lines = split_lines(data, "label_judgments.jsonl")  # numbered complete lines + the state of the end

The torn-tail policy (the same for every file):
- a last line without its newline that is a JSON object cut short (`is_torn`: it starts with "{",
  has no CR, and its text ends inside the object or inside a UTF-8 character) is a writer killed
  mid-write: readers ignore it, and the next `append_records` moves it aside to
  `<file>.torn-<time>` (never deleted) before writing;
- a last line that is a complete object but lacks its newline (a hand edit) is kept, and the next
  append adds the newline first;
- anything else that is not one JSON object per line (a bare-CR file, a broken line in the
  middle, a last line that is not a cut-short object) is damage: a strict reader
  (`strict=True`: the judgments journal) raises JsonlError naming the file and line and nothing is
  written; a lenient reader (logs) skips the line with a warning naming it. Damage is never moved
  aside as a whole.
A reader following a live file (`read_new`) consumes only newline-terminated lines, so a line
still being written is read on the next call.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.core.fileio import append_bytes, file_lock, utc_stamp

LOCK_TIMEOUT_S = 30.0
NEWLINE = b"\n"
TAIL_WINDOW = 1 << 20  # bytes read back from the end to find the last line before an append
log = logging.getLogger(__name__)


class JsonlError(ValueError):
    """A JSON-lines file is damaged; the message names the file and the line."""


def is_torn(tail: bytes) -> bool:
    """Whether `tail` (the bytes after a file's last newline) is a JSON object cut short by an
    interrupted write, rather than a complete line or damage."""
    text = tail.strip(b" \t")
    if not text.startswith(b"{") or b"\r" in text:
        return False
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:  # cut inside a multi-byte character at the very end
        return exc.reason == "unexpected end of data" and exc.end >= len(text)
    try:
        json.loads(decoded)
    except json.JSONDecodeError as exc:
        return exc.pos >= len(decoded) or exc.msg.startswith("Unterminated string")
    return False


def _problem(line: bytes) -> str:
    """Why a complete line is not one JSON object (for the error naming it)."""
    if b"\r" in line.rstrip(b"\r"):
        return ("a bare CR (\\r) inside the line: the file's lines must end in LF (\\n), as a file "
                "saved with old Mac line endings does not")
    try:
        obj = json.loads(line)
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return f"not a JSON object ({exc.msg} at column {exc.colno})"
    return f"not a JSON object (a {type(obj).__name__})"


def parse_line(line: bytes, where: str) -> dict[str, Any]:
    """One complete line as a JSON object; JsonlError prefixed with `where` otherwise."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        obj = None
    if not isinstance(obj, dict) or b"\r" in line.rstrip(b"\r"):
        raise JsonlError(f"{where}{_problem(line)}; fix or remove the line by hand (nothing was changed)")
    return obj


@dataclass(frozen=True)
class Lines:
    """A JSON-lines file split into numbered complete lines and the state of its end."""

    lines: tuple[tuple[int, bytes], ...]  # (1-based line number, bytes without the newline); blanks left out
    end: int  # bytes consumed (up to the last newline, or the whole file with a kept unterminated line)
    torn_at: int | None = None  # byte offset of a torn last line
    needs_newline: bool = False  # the last line is complete but lacks its newline (a hand edit)


def split_lines(data: bytes, name: str, *, first_line: int = 1, final: bool = True) -> Lines:
    """Split `data` (read from the start of a line); `final=False` (a live file) leaves an
    unterminated last line for later. JsonlError for a last line that is neither torn nor a
    complete object (see the module docstring)."""
    cut = data.rfind(b"\n") + 1
    numbered = tuple((first_line + i, line) for i, line in enumerate(data[:cut].split(b"\n")[:-1])
                     if line.strip(b" \t\r"))
    tail = data[cut:]
    if not tail.strip() or not final:
        return Lines(numbered, cut)
    number = first_line + data[:cut].count(b"\n")
    if is_torn(tail):
        log.warning("%s: line %d is incomplete (a writer killed mid-write); it is ignored and the next "
                    "write moves it aside", name, number)
        return Lines(numbered, cut, torn_at=cut)
    parse_line(tail, f"{name}: line {number}: ")  # damage: raises, naming the line
    return Lines(numbered + ((number, tail),), len(data), needs_newline=True)


def records(lines: Lines, name: str, *, strict: bool) -> list[tuple[int, dict[str, Any]]]:
    """The JSON objects of `lines` with their line numbers; a damaged line raises (strict) or is
    skipped with a warning naming it."""
    out = []
    for number, line in lines.lines:
        try:
            out.append((number, parse_line(line, f"{name}: line {number}: ")))
        except JsonlError as exc:
            if strict:
                raise
            log.warning("%s (skipped)", exc)
    return out


def read_records(path: str | os.PathLike[str], *, strict: bool = True) -> tuple[list[dict[str, Any]], Lines]:
    """Every record of the file (absent: none) and its split; see `records` for damage."""
    path = Path(path)
    data = path.read_bytes() if path.exists() else b""
    try:
        lines = split_lines(data, path.name)
    except JsonlError:
        if strict:
            raise
        lines = split_lines(data, path.name, final=False)
    return [obj for _n, obj in records(lines, path.name, strict=strict)], lines


@dataclass(frozen=True)
class Cursor:
    """Where a follower stopped: the byte offset and the number of the next line."""

    offset: int = 0
    line: int = 1


def read_new(path: str | os.PathLike[str], cursor: Cursor | None = None, *,
             strict: bool = False) -> tuple[list[dict[str, Any]], Cursor]:
    """The records of the newline-terminated lines after `cursor`, and the cursor to pass next
    time. A file that shrank (replaced by hand) is read again from the start."""
    path, cursor = Path(path), cursor or Cursor()
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size < cursor.offset:
                cursor = Cursor()
            handle.seek(cursor.offset)
            data = handle.read()
    except FileNotFoundError:
        return [], cursor
    lines = split_lines(data, path.name, first_line=cursor.line, final=False)
    found = [obj for _n, obj in records(lines, path.name, strict=strict)]
    consumed = data[: lines.end]
    return found, Cursor(cursor.offset + lines.end, cursor.line + consumed.count(b"\n"))


def _tail(path: Path) -> tuple[int, bytes]:
    """(size, the bytes after the last newline) of the file."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start = max(0, size - TAIL_WINDOW)
        handle.seek(start)
        data = handle.read()
        while start and b"\n" not in data:  # a last line longer than the window
            start = max(0, start - TAIL_WINDOW)
            handle.seek(start)
            data = handle.read()
    return size, data[data.rfind(b"\n") + 1:]


def repair_tail(path: str | os.PathLike[str], *, strict: bool = True) -> bytes:
    """Apply the torn-tail policy before an append (call under the file's lock): a torn last
    line is moved aside; returns the prefix the next record needs (b"\\n" after a complete line
    lacking its newline, else b""). A damaged last line raises JsonlError (strict) or is kept
    apart by a newline (lenient: readers skip it)."""
    path = Path(path)
    if not path.exists():
        return b""
    size, tail = _tail(path)
    if not tail:
        return b""
    if is_torn(tail):
        aside = path.with_name(f"{path.name}.torn-{utc_stamp()}")
        try:
            aside.write_bytes(tail)
            os.truncate(path, size - len(tail))
        except OSError:
            aside.unlink(missing_ok=True)
            raise
        log.warning("%s: moved an incomplete last line (%d bytes) to %s", path, len(tail), aside)
        return b""
    try:
        parse_line(tail, f"{path.name}: line {path.read_bytes().count(NEWLINE) + 1}: ")
    except JsonlError:
        if strict:
            raise
    return b"\n"


def encode_records(items: Iterable[Mapping[str, Any]]) -> bytes:
    """Records as JSON lines (UTF-8, non-ASCII kept, anything else through str)."""
    return b"".join((json.dumps(dict(item), ensure_ascii=False, default=str) + "\n").encode("utf-8")
                    for item in items)


def append_records(path: str | os.PathLike[str], items: Iterable[Mapping[str, Any]], *, strict: bool = True,
                   lock: bool = True, timeout: float = LOCK_TIMEOUT_S) -> int:
    """Append records as one O_APPEND write + fsync, after `repair_tail`; returns the file's size
    before the write (so a caller can cut its own write back off). Under `<file>.lock` unless the
    caller holds it (`lock=False`). OSError and JsonlError propagate; nothing is written then."""
    path = Path(path)
    payload = encode_records(items)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(path, timeout) if lock else contextlib.nullcontext():
        payload = repair_tail(path, strict=strict) + payload
        before = path.stat().st_size if path.exists() else 0
        append_bytes(path, payload)
    return before


def truncate_to(path: str | os.PathLike[str], size: int) -> None:
    """Cut the file back to `size` bytes and fsync (taking back one's own last append, under the lock)."""
    fd = os.open(path, os.O_WRONLY)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)



class JsonlLog:
    """A JSON-lines file as a record log (`trainer.core.preferences.RecordLog`, the CSV store's
    `log(name)`): the label events and the overlap tasks beside the CSV. Lenient by default
    (a damaged line is skipped with a warning naming it)."""

    def __init__(self, path: str | os.PathLike[str], *, strict: bool = False) -> None:
        self.path = Path(path)
        self.strict = strict
        self._lock = file_lock(self.path, LOCK_TIMEOUT_S)  # reentrant in a thread: locked() around append

    def locked(self) -> Any:
        """The file's lock (`<file>.lock`) for a read-check-append sequence."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self._lock

    def append(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Append records (one write + fsync, after the torn-tail policy). OSError propagates."""
        with self.locked():
            append_records(self.path, items, strict=self.strict, lock=False)

    def read(self) -> list[dict[str, Any]]:
        return read_records(self.path, strict=self.strict)[0]

    def read_new(self, cursor: Cursor | None = None) -> tuple[list[dict[str, Any]], Cursor]:
        return read_new(self.path, cursor, strict=self.strict)


__all__ = ["Cursor", "JsonlError", "JsonlLog", "Lines", "append_records", "encode_records", "is_torn", "parse_line",
           "read_new", "read_records", "records", "repair_tail", "split_lines", "truncate_to"]
