"""The record's truth wins (trainer/core/judgment_store.py's journal): what the page said stays true after
repair. A judgment reported unsaved (disk full) is never written later, an undo reported failed is
never applied later, rows deleted by hand stay deleted, a damaged journal is refused with its line
named (never moved aside whole), and temp copies of dead processes are removed."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

from trainer.core.csv_records import parse_csv_bytes
from trainer.core.csv_store import PreferenceStore
from trainer.core.fileio import sweep_dead_temps
from trainer.core.judgment_log import JudgmentError, read_judgments
from trainer.core.judgment_store import JudgmentStore, export_pairs
from trainer.core.judgments import judgment_from_pick
from trainer.core.preferences import PreferenceError
from trainer.core.schema import JUDGMENTS_FILE

TEXTS = [f"[0, {100 + 50 * i}, 100, 'rectangle', 60, 40, 'solid arrow', (1, 2, 3), (0, 0, 0), []]" for i in range(4)]


def pick(n: int, annotator: str = "ana"):
    texts = [f"{t} # {n}" for t in TEXTS]
    return judgment_from_pick(f"Flowchart number {n}", texts, chosen=2, rejected=0, annotator=annotator,
                              category="other", model="tiny-sft", judgment_id=f"j{n}")


@pytest.fixture
def store(tmp_path):
    return JudgmentStore(PreferenceStore(tmp_path / "orpo_dataset_llm.csv"))


def reopened(store: JudgmentStore) -> JudgmentStore:
    return JudgmentStore(PreferenceStore(store.pairs.path))


def disk_full(monkeypatch, *paths) -> None:
    """Every os.write and fsync to these files (or to temp copies beside them) fails with ENOSPC
    (a buffered file's data reaches the disk at its fsync: that is where a full disk shows)."""
    names = {p.name for p in paths}

    def failing(real):
        def call(fd, *args):
            target = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
            if target in names or any(target.startswith(f".{n}.") for n in names):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(fd, *args)
        return call

    monkeypatch.setattr(os, "write", failing(os.write))
    monkeypatch.setattr(os, "fsync", failing(os.fsync))


def state(store: JudgmentStore) -> tuple[bytes, bytes]:
    return store.path.read_bytes(), store.pairs.path.read_bytes()


@pytest.mark.parametrize("journal_full_too", [False, True])
def test_a_judgment_reported_unsaved_on_a_full_disk_is_never_written_later(store, monkeypatch, journal_full_too):
    store.add(pick(0))
    before_pairs = store.pairs.path.read_bytes()
    with monkeypatch.context() as m:
        # The journal line fits; the CSV's bigger write does not (and, journal_full_too: nor the abort marker).
        disk_full(m, store.pairs.path)
        real_append = JudgmentStore._append
        calls = []

        def append(self, *items):
            calls.append(items[0]["record"])
            if journal_full_too and items[0]["record"] == "abort":
                raise JudgmentError("could not save the judgment: the disk is full")
            return real_append(self, *items)

        m.setattr(JudgmentStore, "_append", append)
        with pytest.raises(PreferenceError, match="the disk is full.*nothing was saved"):
            store.add(pick(1))
    assert calls[-1] == "abort"
    assert store.pairs.path.read_bytes() == before_pairs
    records = [json.loads(line)["record"] for line in store.path.read_text().splitlines()]
    assert records == (["judgment", "commit"] if journal_full_too else ["judgment", "commit", "judgment", "abort"])
    # Space freed: the next open's repair changes nothing, and the judgment is not live.
    after = state(store)
    repair = reopened(store).repair()
    assert not repair and not repair.deleted_by_hand
    assert state(store) == after
    assert [j.judgment_id for j in reopened(store).read().judgments] == ["j0"]
    # The person saves the screen again: it is written once, normally.
    saved = reopened(store).add(pick(1))
    assert len(saved.pair_ids) == 5 and reopened(store).pairs.read().pair_ids() >= set(saved.pair_ids)


def test_an_undo_reported_failed_is_never_applied_later(store, monkeypatch):
    saved = store.add(pick(0))
    with monkeypatch.context() as m:
        disk_full(m, store.pairs.path)  # the CSV rewrite (temp copy) fails
        with pytest.raises(PreferenceError, match="nothing was saved"):
            store.undo("j0")
    assert not list(store.pairs.path.parent.glob(".*.tmp"))
    assert [json.loads(line)["record"] for line in store.path.read_text().splitlines()] == [
        "judgment", "commit", "undo", "abort"]
    after = state(store)
    assert not reopened(store).repair() and state(store) == after
    assert reopened(store).pairs.read().pair_ids() == set(saved.pair_ids)
    assert [j.judgment_id for j in reopened(store).read().judgments] == ["j0"]
    assert reopened(store).undo("j0") == saved.pair_ids  # a later undo works as usual


def test_an_undo_killed_before_its_rewrite_is_still_finished(store, monkeypatch):
    store.add(pick(0))
    with monkeypatch.context() as m:
        m.setattr(PreferenceStore, "remove_judgment", lambda self, jid: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            store.undo("j0")
    repair = reopened(store).repair()
    assert len(repair.removed) == 5 and len(reopened(store).pairs.read()) == 0
    assert json.loads(store.path.read_text().splitlines()[-1])["record"] == "commit"


@pytest.mark.parametrize("n_deleted", [1, 5, 50])
def test_rows_deleted_by_hand_stay_deleted(tmp_path, n_deleted):
    store = JudgmentStore(PreferenceStore(tmp_path / "orpo_dataset_llm.csv"))
    for n in range(12):
        store.add(pick(n), "all")  # 5 pairs per screen: 60 rows
    data = store.pairs.path.read_bytes()
    records = parse_csv_bytes(data, "x").records
    assert len(records) == 60
    doomed = records[3: 3 + n_deleted]
    kept = data[: doomed[0].start] + data[doomed[-1].end:]
    store.pairs.path.write_bytes(kept)  # a person deleted rows in a spreadsheet
    gone = {dict(zip(parse_csv_bytes(data, "x").header, r.fields))["pair_id"] for r in doomed}
    for _ in range(2):  # two opens: the second finds nothing new
        repair = reopened(store).repair()
        assert not repair and store.pairs.path.read_bytes() == kept
    assert set(repair.deleted_by_hand) == set()  # recorded on the first open only
    deleted = [json.loads(line) for line in store.path.read_text().splitlines()
               if json.loads(line)["record"] == "deleted"]
    assert {pid for d in deleted for pid in d["pair_ids"]} == gone
    reopened(store).add(pick(99), "all")  # the next save keeps them deleted too
    ids = reopened(store).pairs.read().pair_ids()
    assert not ids & gone and len(ids) == 60 - n_deleted + 5
    report = export_pairs(store.pairs.path, None, "all", tmp_path / "view.csv")
    assert report.rows == 60 - n_deleted + 5  # and out of the training view


def test_a_cr_only_journal_is_refused_with_its_line_named_and_nothing_moved(store):
    for n in range(10):
        store.add(pick(n))
    store.path.write_bytes(store.path.read_bytes().replace(b"\n", b"\r"))
    before = state(store)
    for action in (store.read, lambda: store.add(pick(10)), lambda: store.undo("j3"), reopened(store).repair):
        with pytest.raises(JudgmentError, match=rf"{JUDGMENTS_FILE}: line 1: a bare CR"):
            action()
    assert state(store) == before
    assert sorted(p.name for p in store.path.parent.iterdir() if not p.name.endswith(".lock")) == sorted(
        [store.path.name, store.pairs.path.name])


def test_a_broken_line_in_the_middle_is_refused_with_its_line_named(store):
    for n in range(4):
        store.add(pick(n))
    lines = store.path.read_bytes().split(b"\n")
    lines[3] = lines[3][: len(lines[3]) // 2]  # line 4 cut in half, later lines intact
    store.path.write_bytes(b"\n".join(lines))
    before = state(store)
    with pytest.raises(JudgmentError, match=rf"{JUDGMENTS_FILE}: line 4: not a JSON object"):
        store.add(pick(9))
    assert state(store) == before and not list(store.path.parent.glob("*.torn-*"))


def test_only_dead_processes_temp_copies_are_removed(store):
    store.add(pick(0))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    folder, name = store.pairs.path.parent, store.pairs.path.name
    dead_copy = folder / f".{name}.{dead}.abc123.tmp"
    live_copy = folder / f".{name}.{os.getppid()}.def456.tmp"
    old_copy = folder / f".{name}.zz9x_k1q.tmp"  # named by an older version, without a pid
    new_copy = folder / f".{name}.qq1x_k1q.tmp"
    for path in (dead_copy, live_copy, old_copy, new_copy):
        path.write_bytes(b"9 MB of labels")
    os.utime(old_copy, (0, 0))
    reopened(store).repair()
    assert sorted(p.name for p in folder.glob(".*.tmp")) == sorted([live_copy.name, new_copy.name])
    assert sweep_dead_temps(store.pairs.path) == []


def test_a_killed_writer_between_the_judgment_and_its_pairs_is_completed(store, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(PreferenceStore, "append_rows", lambda self, rows: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            store.add(pick(0))
    assert read_judgments(store.path).pending == ("judgment", "j0")
    repair = reopened(store).repair()
    assert len(repair.added) == 5 and read_judgments(store.path).pending is None
    assert not reopened(store).repair()


def read_only(monkeypatch, folder) -> None:
    """Opening anything under `folder` for writing fails as on a read-only file system (root
    ignores file modes, so a chmod would not show it)."""
    real_open = os.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT

    def open_(path, flags, *args, **kwargs):
        if flags & writing and os.path.abspath(path).startswith(str(folder)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def test_a_read_only_data_dir_is_readable_and_a_write_says_why_not(tmp_path, monkeypatch):
    store = JudgmentStore(PreferenceStore(tmp_path / "orpo_dataset_llm.csv"))
    store.add(pick(0))
    for lock in tmp_path.glob("*.lock"):
        lock.unlink()  # a copy of the data on a read-only medium has no lock files
    before = state(store)
    read_only(monkeypatch, tmp_path)
    fresh = reopened(store)
    assert len(fresh.pairs.read()) == 5 and [j.judgment_id for j in fresh.read().judgments] == ["j0"]
    assert len(fresh.pairs.load()) == 5 and not fresh.repair()
    fresh.pairs.export_csv(tmp_path.parent / f"{tmp_path.name}-copy.csv")
    with pytest.raises(PreferenceError, match="the file system is read-only"):
        fresh.add(pick(1))
    assert state(store) == before


def test_the_app_opens_a_read_only_data_dir(tmp_path, monkeypatch):
    from testing.fakes import make_context
    from labeler.context import AppContext

    ctx = make_context(tmp_path)
    ctx.judgments.add(pick(0))
    ctx.close()
    for lock in (tmp_path / "data").glob("*.lock"):
        lock.unlink()
    read_only(monkeypatch, tmp_path / "data")
    again = AppContext.create(data_dir=ctx.data_dir, checkpoints_dir=ctx.checkpoints_dir,
                              checkpoint=ctx.checkpoints_dir / "tiny-sft")
    try:
        assert len(again.store.read()) == 5 and len(again.judgments.read().judgments) == 1
    finally:
        again.close()
