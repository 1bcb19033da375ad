"""The one safe-write helper: atomic replace, locked append, UTC timestamps."""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from datetime import datetime

import pytest

from trainer.core import fileio
from trainer.core.fileio import append_locked, atomic_write, utc_now, utc_stamp


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "sub" / "a.json"
    atomic_write(path, "one")
    atomic_write(path, b"two")
    assert path.read_text() == "two"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_atomic_write_keeps_an_existing_files_mode_else_sets_the_given_one(tmp_path):
    path = tmp_path / "data.csv"
    atomic_write(path, "x", mode=0o640)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    atomic_write(path, "y")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "a.txt"
    atomic_write(path, "old")

    def refuse(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "replace", refuse)
    with pytest.raises(OSError):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_append_locked_writes_the_header_once_and_keeps_concurrent_lines_whole(tmp_path):
    path = tmp_path / "log.csv"

    def write(n):
        for i in range(20):
            append_locked(path, f"{n},{i}\n", header="who,i\n")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text().splitlines()
    assert lines[0] == "who,i" and lines.count("who,i") == 1
    assert sorted(lines[1:]) == sorted(f"{n},{i}" for n in range(4) for i in range(20))


def test_a_failed_append_is_cut_back_off(tmp_path, monkeypatch):
    path = tmp_path / "log.jsonl"
    append_locked(path, "first\n")
    real_write = os.write

    def short_then_full(fd, data):
        real_write(fd, bytes(data[:3]))  # part of the line lands, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fileio.os, "write", short_then_full)
    with pytest.raises(OSError):
        append_locked(path, "second\n")
    assert path.read_text() == "first\n"


def test_timestamps_are_utc():
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", utc_now())
    assert datetime.fromisoformat(utc_now()).utcoffset().total_seconds() == 0
    assert re.fullmatch(r"\d{8}T\d{12}Z", utc_stamp())
