"""Incremental parsing of an appended-to CSV file gives exactly what a full parse gives.

PreferenceStore keeps the bytes it last read and their parse; when the file still starts with
those bytes it parses only what was appended. These tests hold the two parses equal on every kind
of ending (clean, torn, newline-less, blank lines, broken rows) and check the store notices
rewrites by other stores (undo) instead of trusting a stale parse.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.core.csv_records import CsvFileError, encode_row, parse_csv_bytes
from trainer.core.csv_store import PreferenceStore
from trainer.core.preferences import PreferenceError

HEADER = ["prompt", "chosen", "rejected"]
FIELD = st.text(alphabet=st.sampled_from('ab,"\n\' x'), max_size=12)
ROWS = st.lists(st.lists(FIELD, min_size=3, max_size=3), max_size=6)
ENDINGS = st.sampled_from([b"", b"\n", b'"torn, row', b'"a","b","c"', b"oops,\n", b'"x","y"\n'])


def _file(rows: list[list[str]]) -> bytes:
    return encode_row(HEADER) + b"".join(encode_row(r) for r in rows)


def _both(data: bytes, prefix_len: int):
    try:
        full = parse_csv_bytes(data, "f.csv")
    except CsvFileError as exc:
        full = str(exc)
    known = parse_csv_bytes(data[:prefix_len], "f.csv")
    try:
        incremental = parse_csv_bytes(data, "f.csv", known=known)
    except CsvFileError as exc:
        incremental = str(exc)
    return full, incremental


@settings(max_examples=300, deadline=None)
@given(ROWS, ROWS, ENDINGS, st.booleans())
def test_parse_after_a_known_prefix_equals_the_full_parse(first, more, ending, blank_line):
    prefix = _file(first) + (b"\n" if blank_line else b"")
    data = prefix + b"".join(encode_row(r) for r in more) + ending
    full, incremental = _both(data, len(prefix))
    assert incremental == full


@pytest.mark.parametrize("prefix_end", [b'"torn, row', b'"a","b","c"'])
def test_a_prefix_that_did_not_end_cleanly_is_parsed_again_in_full(prefix_end):
    # torn tail / last row without newline in the earlier state: the fast path must not be taken
    prefix = _file([["p", "c", "r"]]) + prefix_end
    data = prefix + b'"more"\n' + encode_row(["p2", "c2", "r2"])
    full, incremental = _both(data, len(prefix))
    assert incremental == full


def test_row_numbers_continue_after_the_known_prefix():
    prefix = _file([["p", "c", "r"], ["p1", "c1", "r1"]])
    data = prefix + encode_row(["p2", "c2", "r2"]) + b'"p3","c3"\n'
    parsed = parse_csv_bytes(data, "f.csv", known=parse_csv_bytes(prefix, "f.csv"))
    assert [r.number for r in parsed.records] == [1, 2, 3, 4]
    assert parsed.records[2].fields == ["p2", "c2", "r2"]
    assert data[parsed.records[3].start : parsed.records[3].end] == b'"p3","c3"\n'


def _pair(i: int) -> dict[str, str]:
    return {"prompt": f"DL model {i}", "chosen": f"[{i}, 1, 2, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]",
            "rejected": f"[{i}, 9, 9, 'circle', 4, 4, 'dashed line', (1, 2, 3), (4, 5, 6), []]"}


def test_store_sees_rows_other_stores_append_and_remove(tmp_path):
    path = tmp_path / "pairs.csv"
    mine, theirs = PreferenceStore(path), PreferenceStore(path)
    mine.append(**_pair(0), category="dl_model", source="human")
    theirs.append(**_pair(1), category="dl_model", source="human")
    with pytest.raises(PreferenceError, match="already stored"):  # their row is seen by my next append
        mine.append(**_pair(1), category="dl_model", source="human")
    undone = theirs.append(**_pair(2), category="dl_model", source="human")
    assert len(mine.load()) == 3
    theirs.undo(undone)  # a rewrite: my cached bytes are no longer a prefix of the file...
    theirs.append(**_pair(30), category="dl_model", source="human")  # ...though it grows past them
    theirs.append(**_pair(40), category="dl_model", source="human")
    mine.append(**_pair(2), category="dl_model", source="human")  # not refused as a duplicate
    expected = ["DL model 0", "DL model 1", "DL model 30", "DL model 40", "DL model 2"]
    assert mine.load()["prompt"].tolist() == expected
    assert theirs.load()["prompt"].tolist() == expected


def test_store_reparses_a_file_edited_by_hand(tmp_path):
    path = tmp_path / "pairs.csv"
    store = PreferenceStore(path)
    for i in range(3):
        store.append(**_pair(i), category="dl_model", source="human")
    assert len(store.load()) == 3
    text = path.read_text(encoding="utf-8")
    edited = text.replace('"DL model 1"', '"DL model X"')  # same size, same inode, same last byte
    assert len(edited) == len(text)
    path.write_text(edited, encoding="utf-8")
    assert store.load()["prompt"].tolist() == ["DL model 0", "DL model X", "DL model 2"]
