"""trainer/core/judgment_store.py: the judgment is the record, the CSV holds its weighted pairs; crashes
between the two writes are repaired; undo takes back a whole judgment; export-pairs rebuilds."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from diagram import build_prompt
from diagramlab.cli import main as cli
from trainer.core.csv_records import encode_row, parse_csv_bytes
from trainer.core.csv_store import PreferenceStore
from trainer.core.judgment_log import JudgmentError, judgment_from_record, judgment_record, read_judgments
from trainer.core.judgment_store import JudgmentStore, export_pairs
from trainer.core.judgments import Judgment, judgment_from_pick, judgment_from_ranking
from trainer.core.preferences import PreferenceError, open_store
from trainer.core.schema import JUDGMENTS_FILE

PROMPT = build_prompt("Flowchart: read a table, clean it, chart it")
TEXTS = [f"[0, {100 + 50 * i}, 100, 'rectangle', 60, 40, 'solid arrow', (1, 2, 3), (0, 0, 0), []]" for i in range(4)]


def pick(chosen=2, rejected=0, annotator="ana", texts=TEXTS, jid=None, **extra) -> Judgment:
    fields = dict(annotator=annotator, category="other", model="tiny-sft",
                  extra={"candidate_ids": [f"g-{i}" for i in range(len(texts))], "shown_order": [3, 1, 0, 2], **extra})
    if jid:
        fields["judgment_id"] = jid
    return judgment_from_pick(PROMPT, texts, chosen=chosen, rejected=rejected, **fields)


@pytest.fixture(params=["orpo_dataset_llm.csv", "orpo_dataset_llm.sqlite"], ids=["csv", "sqlite"])
def store(tmp_path, request):
    """A journal over every store backend (one protocol: the same tests pass on each)."""
    return JudgmentStore(open_store(tmp_path / request.param))


@pytest.fixture
def csv_store(tmp_path):
    return JudgmentStore(PreferenceStore(tmp_path / "orpo_dataset_llm.csv"))


def weights_by_judgment(view) -> dict[str, float]:
    sums: dict[str, float] = defaultdict(float)
    for row, weight in zip(view.rows, view.weights()):
        sums[row["judgment_id"]] += weight
    return dict(sums)


def test_a_screen_keeps_its_judgment_and_appends_its_weighted_pairs(store):
    saved = store.add(pick(), "extremes")
    assert store.path.name == JUDGMENTS_FILE and store.path.parent == store.pairs.path.parent
    view = store.pairs.read()
    assert len(saved.pair_ids) == 5 and set(view.pair_ids()) == set(saved.pair_ids)
    assert weights_by_judgment(view) == {saved.judgment_id: pytest.approx(1.0)}
    assert {row["judgment_id"] for row in view.rows} == {saved.judgment_id}
    first = next(row for row in view.rows if (row["chosen"], row["rejected"]) == (TEXTS[2], TEXTS[0]))
    assert first["candidate_ids"] == "g-2;g-0" and json.loads(first["positions"]) == {
        "chosen": 2, "rejected": 0, "shown_order": [3, 1, 0, 2]}
    (kept,) = store.read().judgments
    assert kept.candidates == tuple(TEXTS) and kept.ranking == ((2,), (1, 3), (0,))
    assert kept.extra["scheme"] == "extremes" and kept.extra["pair_ids"] == list(saved.pair_ids)
    assert kept.created_at and kept.annotator == "ana"


@pytest.mark.parametrize("scheme, n", [("best_worst", 1), ("extremes", 5), ("all", 5)])
def test_the_scheme_decides_the_pairs_and_their_weights(store, scheme, n):
    saved = store.add(pick(), scheme)
    assert len(saved.pair_ids) == n
    assert store.pairs.read().weights() == pytest.approx([1 / n] * n, abs=1e-6)


def test_both_bad_and_tie_are_judgments_without_pairs(store):
    bad = store.add(Judgment("jbad", PROMPT, tuple(TEXTS), both_bad=True, annotator="ana"))
    tie = store.add(judgment_from_ranking(PROMPT, TEXTS, [[0, 1, 2, 3]], annotator="ana", judgment_id="jtie"))
    assert bad.pair_ids == tie.pair_ids == ()
    assert not store.pairs.path.exists() or len(store.pairs.read()) == 0
    assert [(j.judgment_id, j.both_bad) for j in store.read().judgments] == [("jbad", True), ("jtie", False)]


def test_undo_takes_back_the_whole_judgment_and_single_pairs_of_it_are_refused(store):
    keep = store.add(pick(jid="j1"))
    gone = store.add(pick(1, 3, jid="j2", texts=[t + "\n" + t for t in TEXTS]))
    with pytest.raises(PreferenceError, match="belongs to judgment j2"):
        store.pairs.undo(gone.pair_ids[0])
    assert set(store.undo("j2")) == set(gone.pair_ids)
    assert store.pairs.read().pair_ids() == set(keep.pair_ids)
    assert [j.judgment_id for j in store.read().judgments] == ["j1"] and store.read().undone == {"j2"}
    with pytest.raises(JudgmentError, match="already undone"):
        store.undo("j2")
    lines = [json.loads(line) for line in store.path.read_text().splitlines()]
    assert [line["record"] for line in lines] == ["judgment", "commit", "judgment", "commit", "undo",
                                                  "commit"]  # append-only: intent, then its commit


def test_a_crash_between_the_judgment_and_its_pairs_is_repaired_on_open(store, monkeypatch):
    store.add(pick(jid="j0", texts=[t + " " for t in TEXTS]))
    def killed(self, rows):
        raise KeyboardInterrupt  # the process dies after the judgment line, before the CSV write
    with monkeypatch.context() as m:
        m.setattr(type(store.pairs), "append_rows", killed)
        with pytest.raises(KeyboardInterrupt):
            store.add(pick(jid="j1"))
    assert [j.judgment_id for j in read_judgments(store.path).judgments] == ["j0", "j1"]
    assert set(store.pairs.read().judgment_ids()) == {"j0"}  # j1's pairs are missing
    reopened = JudgmentStore(open_store(store.pairs.path))
    repair = reopened.repair()
    assert len(repair.added) == 5 and not repair.removed
    assert weights_by_judgment(reopened.pairs.read()) == {"j0": pytest.approx(1), "j1": pytest.approx(1)}
    assert not reopened.repair()  # nothing left to do


def test_a_torn_pair_write_is_completed_by_the_repair(csv_store):
    store = csv_store
    saved = store.add(pick(jid="j1"))
    data = store.pairs.path.read_bytes()
    cut = parse_csv_bytes(data, "x").records[2].start + 20  # the header, two pairs whole, 20 bytes of the third
    store.pairs.path.write_bytes(data[:cut])
    journal = store.path.read_bytes()  # killed mid-CSV-write: the commit marker was never written
    store.path.write_bytes(journal[: journal.rindex(b'{"record": "commit"')])
    assert len(store.pairs.read()) == 2  # the torn row is ignored
    repair = JudgmentStore(open_store(store.pairs.path)).repair()
    assert set(repair.added) == set(saved.pair_ids[2:])
    assert store.pairs.read().pair_ids() == set(saved.pair_ids)


def test_an_interrupted_undo_is_finished_by_the_repair(store, monkeypatch):
    store.add(pick(jid="j1"))
    with monkeypatch.context() as m:
        m.setattr(type(store.pairs), "remove_judgment", lambda self, jid: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            store.undo("j1")
    assert len(store.pairs.read()) == 5  # the undo line is written, the pairs are still there
    repair = JudgmentStore(open_store(store.pairs.path)).repair()
    assert len(repair.removed) == 5 and len(store.pairs.read()) == 0


def test_a_torn_last_line_is_ignored_then_moved_aside(store):
    store.add(pick(jid="j1"))
    line = json.dumps(judgment_record(pick(jid="j2")))
    with open(store.path, "a") as handle:
        handle.write(line[: len(line) // 2])  # a writer killed mid-line
    assert [j.judgment_id for j in read_judgments(store.path).judgments] == ["j1"]
    store.add(pick(1, 3, jid="j3"))
    assert [j.judgment_id for j in read_judgments(store.path).judgments] == ["j1", "j3"]
    (aside,) = store.path.parent.glob(f"{JUDGMENTS_FILE}.torn-*")
    assert aside.read_text() == line[: len(line) // 2]


@pytest.mark.parametrize("bad, message", [
    (b"{not json}\n", "line 3: not a JSON object"),
    (b'{"record": "pair"}\n', "line 3: not a judgment or undo record"),
    (b'{"record": "judgment", "judgment_id": "x", "prompt": "p", "candidates": ["a"], "ranking": [[0], [0]]}\n',
     "line 3: candidate 0 is ranked twice"),
    (b'{"record": "undo", "judgment_id": "nope"}\n', "line 3: undoes judgment 'nope'"),
])
def test_a_corrupt_line_is_named_and_nothing_is_written(store, bad, message):
    store.add(pick(jid="j1"))
    with open(store.path, "ab") as handle:
        handle.write(bad)
    before = (store.path.read_bytes(), store.pairs.path.read_bytes())
    with pytest.raises(JudgmentError, match=message):
        store.read()
    with pytest.raises(JudgmentError, match=message):
        store.add(pick(1, 3, jid="j3"))
    assert (store.path.read_bytes(), store.pairs.path.read_bytes()) == before


def test_records_round_trip(store):
    j = pick(jid="j1", sampling={"k": 4, "seed": 7})
    assert judgment_from_record(json.loads(json.dumps(judgment_record(j)))) == j


def test_pairs_stored_by_an_earlier_judgment_are_not_written_twice(store):
    store.add(pick(2, 0, jid="j1"), "best_worst")
    again = store.add(pick(2, 0, jid="j2"), "extremes")  # the same screen, now 5 pairs: 1 known
    assert len(again.pair_ids) == 4 and len(again.duplicates) == 1
    with pytest.raises(JudgmentError, match="already stored"):
        store.add(pick(2, 0, jid="j3"), "best_worst")
    other = store.add(pick(2, 0, annotator="bo", jid="j4"), "best_worst")  # another person: new ids
    assert len(other.pair_ids) == 1 and len(store.pairs.read()) == 6


def test_an_old_csv_keeps_loading_with_weight_one_and_is_upgraded_on_the_first_judgment(tmp_path):
    path = tmp_path / "orpo_dataset_llm.csv"
    path.write_bytes(b"prompt,chosen,rejected,category,source\n" + encode_row([PROMPT, "a", "b", "other", "auto"]))
    old = PreferenceStore(path)
    assert old.read().weights() == [1.0] and old.read().rows[0]["judgment_id"] == ""
    JudgmentStore(old).add(pick(jid="j1"))
    view = PreferenceStore(path).read()
    assert len(view) == 6 and view.weights()[0] == 1.0 and sum(view.weights()[1:]) == pytest.approx(1)
    assert list(tmp_path.glob("orpo_dataset_llm.csv.orig-*"))  # the original is kept


def test_a_bad_weight_is_refused_with_its_row(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("prompt,chosen,rejected,weight\np,a,b,0.5\np,a,c,-1\n")
    with pytest.raises(PreferenceError, match="row 2: 'weight' is '-1'"):
        PreferenceStore(path).read()


def test_export_pairs_rebuilds_the_training_view_under_any_scheme(store, tmp_path):
    store.pairs.append(prompt=PROMPT, chosen="x", rejected="y", source="auto")
    store.add(pick(2, 0, jid="j1"), "best_worst")
    store.add(judgment_from_ranking(PROMPT, [t + "\n" for t in TEXTS], [[1], [0], [3], [2]], annotator="ana",
                                    judgment_id="j2"), "best_worst")
    store.add(Judgment("j3", PROMPT, tuple(TEXTS), both_bad=True, annotator="ana"))
    assert len(store.pairs.read()) == 3
    counts = {}
    for scheme in ("best_worst", "extremes", "all"):
        out = tmp_path / f"{scheme}.csv"
        report = export_pairs(store.pairs.path, None, scheme, out)
        view = PreferenceStore(out).read()
        counts[scheme] = len(view)
        assert report.kept == 1 and report.judgments == 3 and report.rows == len(view)
        assert weights_by_judgment(view) == {"": 1.0, "j1": pytest.approx(1), "j2": pytest.approx(1)}
    assert counts == {"best_worst": 3, "extremes": 1 + 5 + 5, "all": 1 + 5 + 6}
    with pytest.raises(JudgmentError, match="the preference file itself"):
        export_pairs(store.pairs.path, None, "all", store.pairs.path)


def test_export_pairs_command(store, tmp_path, capsys):
    store.add(pick(jid="j1"), "best_worst")
    out = tmp_path / "view.csv"
    assert cli(["export-pairs", "--scheme", "all", "--data", str(store.pairs.path), "--out", str(out)]) == 0
    assert "5 pairs (5 from 1 judgments under all" in capsys.readouterr().out
    assert len(PreferenceStore(out).read()) == 5
    assert cli(["export-pairs", "--data", str(store.pairs.path), "--out", str(store.pairs.path)]) == 1
    assert "the preference file itself" in capsys.readouterr().err
