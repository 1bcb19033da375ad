"""trainer/core/jsonl.py: the one JSON-lines helper (append, read what is new, one torn-tail policy)."""

from __future__ import annotations

import json

import pytest

from trainer.core.jsonl import (Cursor, JsonlError, append_records, is_torn, read_new, read_records,
                           split_lines)

LINE = json.dumps({"event": "pair", "text": "Flüsse → ok"}, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("cut", [1, 5, 20, len(LINE) - 1, LINE.index("ü".encode()) + 1])
def test_every_prefix_of_a_line_is_a_torn_tail(cut):
    assert is_torn(LINE[:cut])


@pytest.mark.parametrize("tail", [LINE, b'{"a": 1}\r{"b": 2}', b"garbage", b'["list"', b'{"a": 1} x'])
def test_complete_lines_and_damage_are_not_torn(tail):
    assert not is_torn(tail)


def test_append_moves_a_torn_tail_aside_and_adds_a_missing_newline(tmp_path):
    path = tmp_path / "log.jsonl"
    append_records(path, [{"n": 1}])
    with open(path, "ab") as handle:
        handle.write(b'{"n": 2, "te')  # a writer killed mid-line
    assert read_records(path)[0] == [{"n": 1}]
    append_records(path, [{"n": 3}])
    assert read_records(path)[0] == [{"n": 1}, {"n": 3}]
    (aside,) = tmp_path.glob("log.jsonl.torn-*")
    assert aside.read_bytes() == b'{"n": 2, "te'
    with open(path, "ab") as handle:
        handle.write(b'{"n": 4}')  # a hand edit without the final newline: kept
    append_records(path, [{"n": 5}])
    assert [r["n"] for r in read_records(path)[0]] == [1, 3, 4, 5]


def test_damage_is_refused_strictly_with_the_line_named_and_skipped_leniently(tmp_path, caplog):
    path = tmp_path / "log.jsonl"
    append_records(path, [{"n": i} for i in range(3)])
    data = path.read_bytes()
    path.write_bytes(data.replace(b"\n", b"\r"))  # a CR-only file
    with pytest.raises(JsonlError, match=r"log.jsonl: line 1: a bare CR"):
        read_records(path)
    with pytest.raises(JsonlError, match="line 1"):
        append_records(path, [{"n": 9}])
    assert path.read_bytes() == data.replace(b"\n", b"\r") and not list(tmp_path.glob("*.torn-*"))
    lines = data.split(b"\n")
    lines[1] = b"{broken"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(JsonlError, match="line 2: not a JSON object"):
        read_records(path)
    assert read_records(path, strict=False)[0] == [{"n": 0}, {"n": 2}]
    assert "line 2" in caplog.text


def test_read_new_follows_a_growing_file_with_line_numbers(tmp_path):
    path = tmp_path / "events.jsonl"
    assert read_new(path) == ([], Cursor())
    append_records(path, [{"n": 1}, {"n": 2}])
    with open(path, "ab") as handle:
        handle.write(b'{"n": 3')  # still being written
    found, cursor = read_new(path)
    assert found == [{"n": 1}, {"n": 2}] and cursor.line == 3
    with open(path, "ab") as handle:
        handle.write(b"}\n")
    found, cursor = read_new(path, cursor)
    assert found == [{"n": 3}] and cursor == Cursor(path.stat().st_size, 4)
    path.write_bytes(b'{"n": 0}\n')  # replaced by a shorter file: read again from the start
    assert read_new(path, cursor)[0] == [{"n": 0}]


def test_split_lines_keeps_numbers_across_blank_lines():
    lines = split_lines(b'{"a": 1}\n\n{"b": 2}\n', "x")
    assert [n for n, _ in lines.lines] == [1, 3] and lines.torn_at is None
