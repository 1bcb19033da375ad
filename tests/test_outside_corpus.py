"""The outside-written request corpora (benchmarks/outside) load, are big enough, sourced, and split
stably; release 2's blind part (blind2.csv from raw2.txt) is what the log builds, shares no row with
dev/blind, and every row has a source and an expected structure; the bench's matching rules behave as
documented. No accuracy is measured here."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from benchmarks.bench_outside import (Block, block_matches, blocks_in_order, drawn_layers, parse_blocks,
                                      parse_layers, plan_line_sizes, plan_right, read_row, sizes_match, words,
                                      step_in_labels)
from benchmarks.outside.build import (RAW3, RAW5, RAW6, RAW7, read_raw3, read_raw4, read_raw5, read_raw6, read_raw7, release4_part, release5_part, release6_part, release7_part, source_key, source_part, COLUMNS, KINDS, PARTS, RAW, RAW2, SPLIT_PARTS, build_parts, load, normalised,
                                      parse_raw, part_of, to_csv)
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
    assert all(parts[p] for p in (*SPLIT_PARTS, "blind2"))


def test_split_is_disjoint_and_follows_the_id_hash(parts):
    ids = {p: [r["id"] for r in parts[p]] for p in SPLIT_PARTS}
    assert len(set(ids["dev"])) == len(ids["dev"]) and len(set(ids["blind"])) == len(ids["blind"])
    assert not set(ids["dev"]) & set(ids["blind"])
    for part, part_ids in ids.items():
        assert all(part_of(i) == part for i in part_ids)


def test_csvs_are_what_the_collection_log_builds(parts):
    """Rebuilding from every collection log gives the committed files byte for byte (stable ids and split)."""
    built = build_parts(RAW.read_text(encoding="utf-8"), RAW2.read_text(encoding="utf-8"), read_raw3(), read_raw4(),
                        read_raw5(), read_raw6(), read_raw7())
    assert set(built) == set(PARTS)
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


def test_blind2_is_all_of_raw2_and_shares_no_row_with_dev_or_blind(parts):
    raw2 = parse_raw(RAW2.read_text(encoding="utf-8"))
    assert [r["id"] for r in parts["blind2"]] == [r.id for r in raw2]
    assert len(parts["blind2"]) >= 200 and {r["kind"] for r in parts["blind2"]} == set(KINDS)
    old = [r for p in SPLIT_PARTS for r in parts[p]]
    assert not {r["id"] for r in parts["blind2"]} & {r["id"] for r in old}
    assert not {normalised(r["request"]) for r in parts["blind2"]} & {normalised(r["request"]) for r in old}


def test_every_blind2_row_has_a_source_and_an_expected_structure_for_its_kind(parts):
    for row in parts["blind2"]:
        assert row["source"].strip() and row["request"].strip(), row["id"]
        own = {"dense": {"layers"}, "cnn": {"blocks"}}.get(row["kind"], {"steps", "decision", "loop", "edges"})
        assert all(row[f].strip() for f in own - {"edges"}), row["id"]
        assert not any(row[f] for f in {"layers", "blocks", "steps", "decision", "loop", "edges"} - own), row["id"]
        if row["kind"] in ("pipeline", "process"):
            steps = [s.strip() for s in row["steps"].split(";")]
            assert len(steps) >= 2 and all(steps), row["id"]
            for edge in filter(None, (e.strip() for e in row["edges"].split(";"))):
                a, _, b = edge.partition(">")
                assert a.strip() in steps and b.strip() in steps, (row["id"], edge)


def test_build_refuses_a_raw2_row_that_repeats_raw_txt():
    raw = "=== dense | https://x | layers=2-3-1\nA 2-3-1 net, please.\n"
    with pytest.raises(ValueError, match="repeats raw.txt"):
        build_parts(raw, "=== dense | https://y | layers=2-3-1\na 2 3 1 NET please\n")
    assert [r.id for r in build_parts(raw, "=== dense | https://y | layers=2-4-1\na 2-4-1 net\n")["blind2"]]


def test_release_3_splits_by_source_and_refuses_used_sources_and_repeats():
    assert source_key("repo:Owner/Name path:a/b.py") == "owner/name"
    assert source_key("https://github.com/Owner/Name/blob/main/x.md") == "owner/name"
    assert source_key("https://www.example.com/a/b?c") == "example.com"
    raw = "=== dense | https://x.org/p | layers=2-3-1\nA 2-3-1 net, please.\n"
    raw3 = "".join(f"=== dense | https://site{i}.com/a | layers=2-{i}-1\na 2-{i}-1 net\n"
                   f"=== dense | https://site{i}.com/b | layers=3-{i}-1\na 3-{i}-1 net\n" for i in range(2, 12))
    built = build_parts(raw, "", raw3)
    assert built["blind3"] and built["blind4"] and len(built["blind3"]) + len(built["blind4"]) == 20
    for part in ("blind3", "blind4"):
        assert all(source_part(r.source) == part for r in built[part])
    assert not {source_key(r.source) for r in built["blind3"]} & {source_key(r.source) for r in built["blind4"]}
    with pytest.raises(ValueError, match="already used"):
        build_parts(raw, "", "=== dense | https://www.x.org/other | layers=2-4-1\na 2-4-1 net\n")
    with pytest.raises(ValueError, match="repeats row"):
        build_parts(raw, "", "=== dense | https://y.org/q | layers=2-3-1\na 2 3 1 NET please\n")


def test_release_4_splits_by_source_into_blind5_and_blind6_and_refuses_earlier_sources_and_texts():
    raw = "=== dense | https://x.org/p | layers=2-3-1\nA 2-3-1 net, please.\n"
    raw3 = "=== cnn | repo:Some/Repo path:m.py | blocks=Conv 3x3 8 > Pool 2x2\nconv 3x3 8 then pool\n"
    raw4 = ("=== dense | https://new.org/a | layers=4-5-2\na 4-5-2 net\n",
            "=== process | https://other.org/b | steps=Receive order; Ship order | decision=0 | loop=0 | edges=\n"
            "Receive the order, then ship the order.\n")
    built = build_parts(raw, "", raw3, raw4)
    assert sorted(r.kind for r in built["blind5"] + built["blind6"]) == ["dense", "process"]
    for part in ("blind5", "blind6"):
        assert all(release4_part(r.source) == part for r in built[part])
    assert not any(r.id in {b.id for b in built["blind5"] + built["blind6"]}
                   for p in ("dev", "blind", "blind3", "blind4") for r in built[p])
    many = tuple(f"=== dense | https://host{i}.org/a | layers=2-{i}-1\na 2-{i}-1 net\n" for i in range(2, 14))
    split4 = build_parts(raw, "", raw3, many)
    assert split4["blind5"] and split4["blind6"] and len(split4["blind5"]) + len(split4["blind6"]) == 12
    with pytest.raises(ValueError, match="release-4 .*already used"):
        build_parts(raw, "", raw3, ("=== dense | https://github.com/some/repo/x.py | layers=2-4-1\nnet 2 4 1\n",))
    with pytest.raises(ValueError, match="release-4 .*repeats row"):
        build_parts(raw, "", raw3, ("=== cnn | https://z.org/q | blocks=Conv\nConv 3x3 8, then pool!\n",))
    with pytest.raises(ValueError, match="appears twice"):
        build_parts(raw, "", raw3, (raw4[0], raw4[0]))


def test_release_5_splits_by_source_into_blind7_and_blind8_and_refuses_release_4_sources_and_texts():
    raw = "=== dense | https://x.org/p | layers=2-3-1\nA 2-3-1 net, please.\n"
    raw4 = ("=== dense | https://new.org/a | layers=4-5-2\na 4-5-2 net\n",)
    many = tuple(f"=== dense | https://site{i}.net/a | layers=3-{i}-1\na 3-{i}-1 net\n" for i in range(2, 14))
    built = build_parts(raw, "", (), raw4, many)
    assert built["blind7"] and built["blind8"] and len(built["blind7"]) + len(built["blind8"]) == 12
    for part in ("blind7", "blind8"):
        assert all(release5_part(r.source) == part for r in built[part])
    assert not built["blind5"] + built["blind6"] or all(r.source == "https://new.org/a"
                                                         for r in built["blind5"] + built["blind6"])
    with pytest.raises(ValueError, match="release-5 .*already used"):
        build_parts(raw, "", (), raw4, ("=== dense | https://new.org/other | layers=2-4-1\nnet 2 4 1\n",))
    with pytest.raises(ValueError, match="release-5 .*repeats row"):
        build_parts(raw, "", (), raw4, ("=== dense | https://fresh.org/q | layers=4-5-2\nA 4-5-2 NET\n",))


def test_release_6_splits_by_source_into_blind9_and_blind10_and_refuses_release_5_sources_and_texts():
    raw = "=== dense | https://x.org/p | layers=2-3-1\nA 2-3-1 net, please.\n"
    raw5 = ("=== dense | https://five.org/a | layers=4-5-2\na 4-5-2 net\n",)
    many = tuple(f"=== dense | https://six{i}.io/a | layers=3-{i}-1\na 3-{i}-1 net\n" for i in range(2, 14))
    built = build_parts(raw, "", (), (), raw5, many)
    assert built["blind9"] and built["blind10"] and len(built["blind9"]) + len(built["blind10"]) == 12
    for part in ("blind9", "blind10"):
        assert all(release6_part(r.source) == part for r in built[part])
    assert [r.source for r in built["blind7"] + built["blind8"]] == ["https://five.org/a"]
    with pytest.raises(ValueError, match="release-6 .*already used"):
        build_parts(raw, "", (), (), raw5, ("=== dense | https://five.org/other | layers=2-4-1\nnet 2 4 1\n",))
    with pytest.raises(ValueError, match="release-6 .*repeats row"):
        build_parts(raw, "", (), (), raw5, ("=== dense | https://fresh.org/q | layers=4-5-2\nA 4-5-2 NET\n",))


def test_release_7_splits_by_source_into_blind11_and_blind12_and_refuses_release_6_sources_and_texts():
    raw = "=== dense | https://x.org/p | layers=2-3-1\nA 2-3-1 net, please.\n"
    raw6 = ("=== dense | https://six.org/a | layers=4-5-2\na 4-5-2 net\n",)
    many = tuple(f"=== dense | https://seven{i}.io/a | layers=3-{i}-1\na 3-{i}-1 net\n" for i in range(2, 14))
    built = build_parts(raw, "", (), (), (), raw6, many)
    assert built["blind11"] and built["blind12"] and len(built["blind11"]) + len(built["blind12"]) == 12
    for part in ("blind11", "blind12"):
        assert all(release7_part(r.source) == part for r in built[part])
    with pytest.raises(ValueError, match="release-7 .*already used"):
        build_parts(raw, "", (), (), (), raw6, ("=== dense | https://six.org/other | layers=2-4-1\nnet 2 4 1\n",))
    with pytest.raises(ValueError, match="release-7 .*repeats row"):
        build_parts(raw, "", (), (), (), raw6, ("=== dense | https://fresh.org/q | layers=4-5-2\nA 4-5-2 NET\n",))


def test_a_step_is_found_whatever_its_inflection_but_not_by_a_shared_word():
    assert step_in_labels("claim is received", ["Receive claim"])
    assert step_in_labels("Process queries", ["processing query"])
    assert not step_in_labels("Store results", ["Store"])


def test_steps_in_any_script_are_words():
    """Until release 4 a word was [a-z0-9]+: a Korean or Chinese step had no words and was never found,
    and "réclamation" split into "r" + "clamation"."""
    assert step_in_labels("체크인", ["체크인", "인증서 확인"])
    assert step_in_labels("인증서 확인", ["체크인", "인증서 확인"])
    assert not step_in_labels("객실 카드 신청", ["체크인", "인증서 확인"])
    assert words("Accuser réception") == ["accuser", "réception"]
    assert step_in_labels("Accuser réception", ["Accuser réception de la réclamation"])
    assert not step_in_labels("Accuser réception", ["Accuser", "Réception"])


def test_a_modal_verb_is_a_stop_word_but_the_action_is_not():
    assert step_in_labels("the manager must approve the order", ["Manager approves order"])
    assert step_in_labels("invoice should be filed", ["File invoice"])
    assert not step_in_labels("the manager must approve the order", ["Manager reviews order"])


def test_right_plan_needs_every_step_and_the_decision_the_text_has():
    row = {"id": "p-1", "kind": "process", "request": "Receive the order. If it is paid, ship it; otherwise "
           "cancel it.", "steps": "Receive the order; ship it; cancel it", "decision": "1", "loop": "0",
           "edges": "", "layers": "", "blocks": ""}
    rec = read_row(row)
    assert rec["plan_ok"] == (rec["steps_found"] == 3 and rec["decision_drawn"])
    assert not plan_right("process", {"read": True, "steps_found": 3, "steps_total": 3, "decision_drawn": False})
    assert not plan_right("process", {"read": True, "steps_found": 2, "steps_total": 3})
    assert plan_right("process", {"read": True, "steps_found": 3, "steps_total": 3, "loop_drawn": True})
    assert plan_right("dense", {"dense_exact": True}) and not plan_right("cnn", {"cnn_ok": False})


RELEASE_LOGS = {"3": (RAW3, source_part), "5": (RAW5, release5_part), "6": (RAW6, release6_part),
                "7": (RAW7, release7_part)}


@pytest.mark.parametrize("release", sorted(RELEASE_LOGS))
def test_every_nets_row_of_a_release_has_a_source_and_an_expected_structure_for_its_kind(parts, release):
    """Release 3's and 5's dense/CNN logs: every row is sourced, is dense or cnn, fixes a structure in the notation of
    README.md (dense: >= 2 sizes, each a number or '*'; cnn: >= 2 blocks), uses no other kind's fields, keeps to
    at most 4 rows per source, and is built into the blind part its source hashes to."""
    logs, part_of_source = RELEASE_LOGS[release]
    rows = parse_raw(logs[0].read_text(encoding="utf-8"))
    assert len(rows) >= 90 and {r.kind for r in rows} == {"dense", "cnn"}
    block = re.compile(r"Conv( \d+x\d+)?( \d+)?|Pool( \d+x\d+)?|Flatten|Dense( \d+)?")
    for row in rows:
        assert row.source.strip() and row.request.strip(), row.id
        assert not (row.steps or row.decision or row.loop or row.edges), row.id
        if row.kind == "dense":
            sizes = row.layers.split("-")
            assert not row.blocks and len(sizes) >= 2, row.id
            assert all(s == "*" or (s.isdigit() and int(s) > 0) for s in sizes), (row.id, row.layers)
        else:
            blocks = [b.strip() for b in row.blocks.split(">")]
            assert not row.layers and len(blocks) >= 2, row.id
            assert all(block.fullmatch(b) for b in blocks), (row.id, row.blocks)
    assert max(Counter(source_key(r.source) for r in rows).values()) <= 4
    built = {r["id"] for part in parts.values() for r in part}
    for row in rows:
        assert row.id in {r["id"] for r in parts[part_of_source(row.source)]} and row.id in built, row.id

@pytest.mark.parametrize("release", sorted(RELEASE_LOGS))
def test_every_flows_row_of_a_release_has_a_source_and_an_expected_structure_for_its_kind(release):
    """raw3-flows.txt and raw5-flows.txt (pipelines and processes): every row is sourced, has >= 2 steps that occur
    in its own text, 0/1 decision and loop, edges that name its steps; many small sources (<= 4 rows each); every row
    lands in the part its source hashes to."""
    logs, part_of_source = RELEASE_LOGS[release]
    rows = [row for log in logs[1:] for row in parse_raw(log.read_text(encoding="utf-8"))]
    assert len(rows) >= 90 and {r.kind for r in rows} == {"pipeline", "process"}
    per_source: dict[str, int] = {}
    for row in rows:
        assert row.source.strip() and row.request.strip(), row.id
        assert not row.layers and not row.blocks, row.id
        assert row.decision in ("0", "1") and row.loop in ("0", "1"), row.id
        steps = [s.strip() for s in row.steps.split(";")]
        assert len(steps) >= 2 and all(steps), row.id
        text = " ".join(row.request.lower().split())
        assert all(" ".join(s.lower().split()) in text for s in steps), row.id
        for edge in filter(None, (e.strip() for e in row.edges.split(";"))):
            a, _, b = edge.partition(">")
            assert a.strip() in steps and b.strip() in steps, (row.id, edge)
        per_source[source_key(row.source)] = per_source.get(source_key(row.source), 0) + 1
    assert len(per_source) >= 60 and max(per_source.values()) <= 4
    built = build_parts(RAW.read_text(encoding="utf-8"), RAW2.read_text(encoding="utf-8"), read_raw3(), read_raw4(),
                        read_raw5(), read_raw6(), read_raw7())
    for row in rows:
        assert row.id in {r.id for r in built[part_of_source(row.source)]}, row.id
