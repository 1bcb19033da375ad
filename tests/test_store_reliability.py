"""Issue 10, item 2 and 6: the store never damages a file `load` refuses; clear errors; no side files.

Run: .venv/bin/python -m pytest tests/test_store_reliability.py -q   (the SIGKILL test is slow)
"""

from __future__ import annotations

import errno
import os

import pytest

from testing.faults import delete_quote, sigkill_writers
from trainer.core.csv_records import encode_row
from trainer.core.csv_store import PreferenceStore
from trainer.core.preferences import COLUMNS, PreferenceError

DIAGRAM = "[0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]"


def pair(i: int) -> dict[str, str]:
    return {"prompt": f"DL model {i}, \"quoted\"", "chosen": f"{DIAGRAM}\n[{i}, 1, 2]",
            "rejected": f"{DIAGRAM}\n[{i}, 9, 9]"}


@pytest.fixture
def filled(tmp_path):
    store = PreferenceStore(tmp_path / "orpo_dataset_llm.csv")
    ids = [store.append(**pair(i)) for i in range(10)]
    return store, ids


def side_files(store: PreferenceStore) -> list[str]:
    return sorted(p.name for p in store.path.parent.iterdir()
                  if p.name != store.path.name and not p.name.endswith(".lock"))


def refuses_everything(store: PreferenceStore, ids: list[str], message: str) -> None:
    """load, append and undo all refuse with `message`, and the file stays byte-identical."""
    before = store.path.read_bytes()
    for action in (store.load, lambda: store.append(**pair(99)), lambda: store.undo(ids[0])):
        with pytest.raises(PreferenceError, match=message):
            action()
        assert store.path.read_bytes() == before
    assert side_files(store) == []


@pytest.mark.parametrize("row", [2, 5, 9])
def test_append_and_undo_refuse_a_file_with_a_deleted_quote_and_leave_it_byte_identical(filled, row):
    store, ids = filled
    store.path.write_bytes(delete_quote(store.path.read_bytes(), row))
    fresh = PreferenceStore(store.path)
    refuses_everything(fresh, ids, rf"row {row}: ")
    refuses_everything(store, ids, rf"row {row}: ")  # a store that saw the intact file too


def test_cr_only_line_endings_fail_clearly(filled):
    store, ids = filled
    store.path.write_bytes(store.path.read_bytes().replace(b"\n", b"\r"))
    refuses_everything(PreferenceStore(store.path), ids, "bare CR")


def test_crlf_line_endings_load_fully(filled):
    store, ids = filled
    store.path.write_bytes(store.path.read_bytes().replace(b'"\n', b'"\r\n'))
    assert PreferenceStore(store.path).load().pair_id.tolist() == ids


def test_a_bare_cr_between_rows_names_the_row(filled):
    store, ids = filled
    data = store.path.read_bytes()
    at = data.index(b'"\n"DL model 4') + 1
    store.path.write_bytes(data[:at] + b"\r" + data[at + 1:])
    refuses_everything(PreferenceStore(store.path), ids, "row 4: a bare CR")


def test_missing_header_is_named(filled):
    store, ids = filled
    data = store.path.read_bytes()
    store.path.write_bytes(data[data.index(b"\n") + 1:])
    refuses_everything(PreferenceStore(store.path), ids, "line 1 is not a header")


@pytest.mark.parametrize("damage, message", [
    (lambda d: d.replace(b'"DL model 3,', b'"DL model \x00 3,'), "row 4: 'prompt' contains a NUL"),
    (lambda d: d + d[d.index(b'\n"DL model 2') + 1: d.index(b'\n"DL model 3') + 1],
     "row 11: the same pair as row 3"),
])
def test_load_refuses_what_append_refuses(filled, damage, message):
    store, ids = filled
    store.path.write_bytes(damage(store.path.read_bytes()))
    refuses_everything(PreferenceStore(store.path), ids, message)


def test_torn_tail_repair_touches_only_a_torn_tail(filled):
    store, ids = filled
    intact = store.path.read_bytes()
    store.path.write_bytes(intact + encode_row(list(pair(50).values()))[:30])
    store.append(**pair(51))
    assert store.path.read_bytes().startswith(intact)
    assert [n for n in side_files(store) if ".torn-" in n]
    # An unquoted incomplete last row was not written by an append: refused, not repaired.
    for name in side_files(store):
        (store.path.parent / name).unlink()
    store.path.write_bytes(intact + b"DL model x,half")
    refuses_everything(PreferenceStore(store.path), ["x"], "row 11 .line 32.")


def test_a_file_that_is_not_a_cut_header_is_refused(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"some notes without a newline")
    refuses_everything(PreferenceStore(path), ["x"], "no complete line")
    path.write_bytes(encode_row(list(COLUMNS))[:12])  # a header cut by a killed first append
    PreferenceStore(path).append(**pair(1))
    assert len(PreferenceStore(path).load()) == 1


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "the disk is full"),
                                         (errno.EACCES, "permission denied")])
def test_disk_full_and_permission_errors_are_one_message_and_leave_no_side_file(
        filled, monkeypatch, code, words):
    store, ids = filled
    before = store.path.read_bytes()
    store.path.write_bytes(before + encode_row(list(pair(50).values()))[:30])  # a torn tail too
    torn = store.path.read_bytes()
    real_write = os.write

    def failing_write(fd, data):
        real_write(fd, bytes(data)[:7])  # a short write first, as a filling disk does
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "write", failing_write)
    for _ in range(3):  # retries leave nothing behind either
        with pytest.raises(PreferenceError, match=f"could not save the pair.*{words}.*nothing was saved"):
            store.append(**pair(60))
    monkeypatch.undo()
    after = store.path.read_bytes()
    assert after in (torn, before)  # at most the torn tail was moved aside (kept in .torn-*)
    assert [n for n in side_files(store) if ".torn-" not in n] == []
    assert len([n for n in side_files(store) if ".torn-" in n]) <= 1
    assert PreferenceStore(store.path).load().pair_id.tolist() == ids


def test_new_store_file_gets_the_users_umask(tmp_path):
    old = os.umask(0o022)
    try:
        store = PreferenceStore(tmp_path / "p.csv")
        ids = [store.append(**pair(i)) for i in range(2)]
        store.undo(ids[0])  # rewritten through a temp file
    finally:
        os.umask(old)
    assert store.path.stat().st_mode & 0o777 == 0o644


@pytest.mark.slow
def test_200_sigkilled_writers_lose_no_committed_row(tmp_path):
    committed, lost = sigkill_writers(tmp_path / "orpo_dataset_llm.csv", 200)
    assert committed > 200 and lost == 0


@pytest.mark.slow  # over 4 s on an idle 2-core machine
def test_16_sigkilled_writers_lose_no_committed_row(tmp_path):
    committed, lost = sigkill_writers(tmp_path / "orpo_dataset_llm.csv", 16)
    assert committed >= 16 and lost == 0  # each writer committed a row before the kills


def test_the_cli_reports_a_damaged_store_in_one_line(filled, capsys, tmp_path):
    from diagramlab import cli

    store, _ids = filled
    store.path.write_bytes(delete_quote(store.path.read_bytes(), 5))
    code = cli.main(["bootstrap", "--data", str(store.path), "--prompts", str(tmp_path / "none.csv")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("diagramlab bootstrap: error: ") and err.count("\n") == 1
