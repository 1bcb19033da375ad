"""One store protocol, two backends (the CSV file, SQLite): concurrent judgment writers SIGKILLed
at random moments lose no judgment reported saved and resurrect no judgment reported undone; the
app context works on either backend without knowing which."""

from __future__ import annotations

import pytest

from testing.faults import sigkill_judgment_writers
from trainer.core.judgment_store import JudgmentStore
from trainer.core.judgments import judgment_from_pick
from trainer.core.preferences import open_store
from trainer.core.sqlite_store import SqliteStore

BACKENDS = pytest.mark.parametrize("name", ["orpo_dataset_llm.csv", "orpo_dataset_llm.sqlite"], ids=["csv", "sqlite"])


@pytest.mark.slow  # four writer processes per backend: 25-45 s on a loaded 2-core machine
@BACKENDS
def test_sigkilled_judgment_writers_lose_nothing_and_resurrect_nothing(tmp_path, name):
    counts = sigkill_judgment_writers(tmp_path / name, writers=4)
    assert counts["saved"] >= 4
    assert {k: counts[k] for k in ("lost", "resurrected", "pairs_missing", "pairs_of_dead", "unknown")} == dict.fromkeys(
        ("lost", "resurrected", "pairs_missing", "pairs_of_dead", "unknown"), 0), counts


def test_open_store_is_the_one_place_a_backend_is_chosen(tmp_path):
    assert isinstance(open_store(tmp_path / "p.sqlite"), SqliteStore)
    assert type(open_store(tmp_path / "p.csv")).__name__ == "PreferenceStore"
    for store in (open_store(tmp_path / "p.sqlite"), open_store(tmp_path / "p.csv")):
        assert all(callable(getattr(store, m)) for m in ("append", "append_rows", "undo", "remove_judgment",
                                                          "stored_ids", "read", "load", "export_csv", "locked",
                                                          "reading"))


@BACKENDS
def test_a_sqlite_or_csv_store_exports_the_same_training_csv(tmp_path, name):
    store = JudgmentStore(open_store(tmp_path / name))
    texts = [f"[0, {j}, 1, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]" for j in range(4)]
    store.add(judgment_from_pick("DL model x", texts, chosen=2, rejected=0, annotator="ana", category="other",
                                 judgment_id="j1", created_at="2026-01-01T00:00:00+00:00"))
    copy = store.pairs.export_csv(tmp_path / "copy.csv")
    view = open_store(copy).read()
    assert len(view) == 5 and view.judgment_ids() == {"j1": [r["pair_id"] for r in view.rows]}
    assert copy.read_bytes().startswith(b'"prompt","chosen","rejected"')


def test_the_app_labels_on_a_sqlite_store(tmp_path, monkeypatch):
    from testing.fakes import make_context
    from labeler import labeling as L
    from trainer.core import schema

    monkeypatch.setattr(schema, "PREFERENCES_FILE", "pairs.sqlite")
    monkeypatch.setattr("labeler.context.PREFERENCES_FILE", "pairs.sqlite")
    ctx = make_context(tmp_path)
    try:
        assert isinstance(ctx.store, SqliteStore) and ctx.judgments is not None
        state = L.generate(ctx, L.custom_prompt(L.LabelState(), "DL model with 2 inputs and 1 output"),
                           L.Sampling(k=4, seed=1))
        state, judgment_id = L.submit(ctx, state, 0, 1, "ana")
        assert judgment_id and set(ctx.store.read().judgment_ids()) == {judgment_id}
        L.undo(ctx, state, "ana")
        assert len(ctx.store.read()) == 0
        # The label events live in the store too (no label_events.jsonl beside it).
        assert [e["event"] for e in ctx.events.read()] == ["judgment", "undo"]
        assert not (ctx.data_dir / "label_events.jsonl").exists()
    finally:
        ctx.close()


@BACKENDS
def test_record_logs_append_and_follow_on_every_backend(tmp_path, name):
    from labeler.tasks import Task, TaskStore

    store = open_store(tmp_path / name)
    log = store.log("label_events.jsonl")
    assert log.read() == [] and log.read_new()[0] == []
    log.append([{"event": "skip", "n": 1}, {"event": "tie", "n": 2}])
    found, cursor = log.read_new()
    assert [e["n"] for e in found] == [1, 2]
    log.append([{"event": "pair", "n": 3}])
    assert [e["n"] for e in log.read_new(cursor)[0]] == [3] and len(log.read()) == 3
    assert store.log("label_tasks.jsonl").read() == []  # logs are kept apart by name
    tasks = TaskStore(store.log("label_tasks.jsonl"))
    first = Task("g1", "p1", "prompt", "m", "ck", {"k": 2}, ({"index": 0, "text": "a"},))
    assert tasks.open(first) == first
    assert tasks.open(Task("g2", "p1", "prompt", "m", "ck", {"k": 2}, ({"index": 0, "text": "b"},))) == first
    assert TaskStore(store.log("label_tasks.jsonl")).get("p1") == first
