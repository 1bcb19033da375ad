"""The outside-written request corpora (benchmarks/outside) load, are big enough, sourced, and split
stably; the bench's matching rules behave as documented. No accuracy is measured here."""

from __future__ import annotations

import pytest

from benchmarks.bench_outside import (Block, block_matches, blocks_in_order, drawn_layers, parse_blocks,
                                      parse_layers, plan_line_sizes, sizes_match, step_in_labels)
from benchmarks.outside.build import COLUMNS, KINDS, PARTS, RAW, load, parse_raw, part_of, split, to_csv
from diagram import parse


@pytest.fixture(scope="module")
def parts() -> dict[str, list[dict[str, str]]]:
    return {part: load(part) for part in PARTS}


def test_corpora_load_with_400_sourced_rows(parts):
    rows = [r for part in parts.values() for r in part]
    assert len(rows) >= 400
    for row in rows:
        assert tuple(row) == COLUMNS
        assert row["kind"] in KINDS
        assert row["request"].strip() and row["source"].strip(), row["id"]
    assert all(parts[p] for p in PARTS)


def test_split_is_disjoint_and_follows_the_id_hash(parts):
    ids = {p: [r["id"] for r in parts[p]] for p in PARTS}
    assert len(set(ids["dev"])) == len(ids["dev"]) and len(set(ids["blind"])) == len(ids["blind"])
    assert not set(ids["dev"]) & set(ids["blind"])
    for part, part_ids in ids.items():
        assert all(part_of(i) == part for i in part_ids)


def test_csvs_are_what_the_collection_log_builds(parts):
    """Rebuilding from raw.txt gives the committed files byte for byte (stable ids and split)."""
    built = split(parse_raw(RAW.read_text(encoding="utf-8")))
    for part in PARTS:
        committed = (RAW.parent / f"{part}.csv").read_text(encoding="utf-8")
        assert to_csv(built[part]) == committed


def test_adding_a_row_moves_no_existing_row():
    raw = RAW.read_text(encoding="utf-8")
    before = {r.id: part_of(r.id) for r in parse_raw(raw)}
    extra = raw + "\n=== dense | https://example.org/x | layers=2-3-1\na 2-3-1 net\n"
    after = {r.id: part_of(r.id) for r in parse_raw(extra)}
    assert all(after[i] == p for i, p in before.items()) and len(after) == len(before) + 1


def test_expected_structures_are_well_formed(parts):
    for row in (r for part in parts.values() for r in part):
        if row["kind"] == "dense":
            layers = parse_layers(row["layers"])
            assert len(layers) >= 2 and any(s is not None for s in layers), row["id"]
        elif row["kind"] == "cnn":
            assert parse_blocks(row["blocks"]), row["id"]
        else:
            assert row["decision"] in ("0", "1") and row["loop"] in ("0", "1"), row["id"]


def test_raw_log_rejects_bad_records():
    with pytest.raises(ValueError, match="unknown kind"):
        parse_raw("=== rnn | https://x | layers=1-2\ntext\n")
    with pytest.raises(ValueError, match="duplicate"):
        parse_raw("=== dense | https://x | layers=1-2\nsame\n=== dense | https://y | layers=1-2\nsame\n")


def test_a_step_counts_only_when_all_its_words_are_in_one_label():
    assert step_in_labels("Apache Kafka", ["Kafka (Apache)", "Flink"])
    assert step_in_labels("LogComplaint", ["Log the complaint"])
    assert not step_in_labels("Data Ingestion", ["Data", "Ingestion"])
    assert not step_in_labels("Data Ingestion", ["Data lake"])
    assert not step_in_labels("the", ["the end"])  # a step of stop words only finds only itself
    assert step_in_labels("A", ["B", "A"]) and not step_in_labels("A", ["Write a report"])


def test_cnn_blocks_match_type_and_numbers_in_order():
    blocks = parse_blocks("Conv 5x5 6 > Pool 2x2 > Dense 120")
    assert blocks == [Block("conv", "5x5", 6), Block("pool", "2x2"), Block("dense", None, 120)]
    assert block_matches(blocks[0], "Conv 5x5, 6") and not block_matches(blocks[0], "Conv 3x3, 6")
    assert not block_matches(blocks[2], "Dense 84")
    assert blocks_in_order(blocks, ["Input", "Conv 5x5 6", "MaxPool 2x2", "FC 120"]) == 3
    assert blocks_in_order(blocks, ["FC 120", "MaxPool 2x2", "Conv 5x5 6"]) == 1


def test_dense_sizes_from_plan_lines_and_drawings():
    assert sizes_match(parse_layers("*-128-10"), plan_line_sizes("# layers 784-128-10"))
    assert not sizes_match(parse_layers("784-128-10"), plan_line_sizes("# layers 128-10"))
    assert plan_line_sizes("# steps: A > B") is None
    net = parse("\n".join([
        "[0, 100, 100, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [2], 'Input']",
        "[1, 100, 300, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [2], 'Input']",
        "[2, 400, 200, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [], 'Output']",
    ])).diagram
    assert drawn_layers(net) == (2, 1)
    half = parse("[0, 100, 100, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [2], 'Input']\n"
                 "[1, 100, 300, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [], 'Input']\n"
                 "[2, 400, 200, 'circle', 40, 40, 'solid arrow', (0, 0, 0), (0, 0, 0), [], 'Output']").diagram
    assert drawn_layers(half) is None  # node 1 does not point to the next layer
