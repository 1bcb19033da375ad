"""The preference store: concurrent appends, torn writes, malformed files, legacy files, undo.

The `store` tests run on every backend `open_store` chooses (the CSV file and SQLite: one
protocol, the same behaviour); `csv_store` tests are about the CSV file's own bytes."""

from __future__ import annotations

import multiprocessing
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pandas as pd
import pytest

from labeler.quotas import progress
from trainer.core.csv_store import PreferenceStore
from trainer.core.preferences import COLUMNS, MAX_TEXT_CHARS, PreferenceError, open_store, pair_id_for

DIAGRAM = "[0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]"


def _pair(i: int, tag: str = "") -> dict[str, str]:
    # Multi-line texts with quotes and commas: the cases a naive writer interleaves or mis-quotes.
    return {
        "prompt": f"Represent below.\nDL model {tag}{i}, \"quoted\"",
        "chosen": f"{DIAGRAM}\n[{i}, 1, 2, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]",
        "rejected": f"{DIAGRAM}\n[{i}, 9, 9, 'circle', 4, 4, 'dashed line', (1, 2, 3), (4, 5, 6), []]",
    }


BACKENDS = ["orpo_dataset_llm.csv", "orpo_dataset_llm.sqlite"]


@pytest.fixture(params=BACKENDS, ids=["csv", "sqlite"])
def store(tmp_path, request):
    return open_store(tmp_path / request.param)


@pytest.fixture
def csv_store(tmp_path):
    return PreferenceStore(tmp_path / "orpo_dataset_llm.csv")


def test_append_then_load_round_trips_text_and_metadata(store):
    pid = store.append(
        **_pair(1), category="dl_model", source="human", annotator="ann", candidate_ids=[3, 1],
        sampling={"temperature": 0.8, "k": 4}, decision_seconds=2.25, positions=[0, 1],
    )
    df = store.load()
    assert list(df.columns) == list(COLUMNS)
    row = df.iloc[0]
    assert (row.prompt, row.chosen, row.rejected) == tuple(_pair(1).values())
    assert row.pair_id == pid == pair_id_for(*_pair(1).values(), "ann")
    assert (row.category, row.source, row.annotator) == ("dl_model", "human", "ann")
    assert row.candidate_ids == "[3, 1]" and row.decision_seconds == "2.250"
    assert row.created_at.endswith("+00:00")
    # The file opens with TRL's column names.
    copy = store.export_csv(store.path.with_name("copy.csv"))
    assert copy.read_text().startswith('"prompt","chosen","rejected","category"')


@pytest.mark.parametrize(
    "change, message",
    [
        ({"chosen": ""}, "'chosen' is empty"),
        ({"prompt": "  "}, "'prompt' is empty"),
        ({"rejected": DIAGRAM}, "same diagram"),
        ({"chosen": "x" * (MAX_TEXT_CHARS + 1)}, "limit is"),
        ({"category": "flowchart"}, "category 'flowchart'"),
        ({"source": "robot"}, "source 'robot'"),
        ({"colour": "red"}, "unknown column"),
    ],
)
def test_append_refuses_invalid_pairs_and_writes_nothing(store, change, message):
    fields = {"prompt": "p", "chosen": DIAGRAM, "rejected": "other", **change}
    with pytest.raises(PreferenceError, match=message):
        store.append(**fields)
    assert not store.path.exists() or store.load().empty


def test_duplicate_pair_is_refused(store):
    store.append(**_pair(1))
    with pytest.raises(PreferenceError, match="already stored .*row 1"):
        store.append(**_pair(1), source="auto")
    assert len(store.load()) == 1


def test_undo_removes_exactly_that_row(store):
    ids = [store.append(**_pair(i)) for i in range(3)]
    store.undo(ids[1])
    assert store.load().pair_id.tolist() == [ids[0], ids[2]]
    with pytest.raises(PreferenceError, match="no pair with pair_id"):
        store.undo(ids[1])


def _append_many(path: str, tag: str, count: int) -> None:
    store = open_store(path)
    for i in range(count):
        store.append(**_pair(i, tag), source="simulated")


@pytest.mark.slow  # writer processes, like test_store_backends' concurrent writers: 3-9 s loaded
def test_threads_and_processes_append_200_whole_rows(store):
    path = str(store.path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(path, f"p{n}-", 40)) for n in range(2)]
    threads = [threading.Thread(target=_append_many, args=(path, f"t{n}-", 15)) for n in range(8)]
    for worker in procs + threads:
        worker.start()
    for worker in procs + threads:
        worker.join()
    assert all(p.exitcode == 0 for p in procs)
    df = store.load()
    assert len(df) == 200 and df.pair_id.is_unique
    # Every row is one of the pairs written, field by field: nothing interleaved.
    expected = {tuple(_pair(i, f"{kind}{n}-").values()) for kind, n, c in
                [("p", 0, 40), ("p", 1, 40)] + [("t", n, 15) for n in range(8)] for i in range(c)}
    assert set(zip(df.prompt, df.chosen, df.rejected)) == expected
    assert pd.read_csv(store.export_csv(store.path.with_name("copy.csv"))).shape == (200, len(COLUMNS))


WRITER = textwrap.dedent(
    """
    import sys
    from trainer.core.preferences import open_store
    store = open_store(sys.argv[1])
    big = "[0, 1, 2, 'circle', 4, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]\\n" * 250
    for i in range(100000):
        store.append(prompt=f"DL model {i}", chosen=big + str(i), rejected=f"r{i}")
    """
)


def test_writer_killed_mid_run_leaves_a_loadable_file(store):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store.path)])
    deadline = time.monotonic() + 60
    def size(path) -> int:  # a journal file may vanish between the listing and the stat
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return 0

    def written() -> int:  # the file, and for SQLite its journal / write-ahead log
        return sum(size(p) for p in store.path.parent.glob(store.path.name + "*") if p.suffix != ".lock")
    while time.monotonic() < deadline and written() < 200_000:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rows = len(store.load())
    assert rows > 5
    store.append(prompt="after", chosen="a", rejected="b")  # and appending still works
    assert len(store.load()) == rows + 1


def test_torn_last_row_is_ignored_then_moved_aside(csv_store, caplog):
    store = csv_store
    store.append(**_pair(1))
    with open(store.path, "ab") as handle:
        handle.write(b'"DL model half","[0, 1,\n 2')  # a writer killed mid-row
    assert len(store.load()) == 1
    assert "incomplete" in caplog.text
    store.append(**_pair(2))
    assert len(store.load()) == 2
    torn = [p for p in store.path.parent.iterdir() if ".torn-" in p.name]
    assert len(torn) == 1 and torn[0].read_bytes().startswith(b'"DL model half"')


def test_complete_last_row_without_newline_is_kept(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("prompt,chosen,rejected\nDL model a,b,c")  # hand-edited: final newline stripped
    store = PreferenceStore(path)
    assert store.load().chosen.tolist() == ["b"]
    store.append(prompt="x", chosen="y", rejected="z")
    assert store.load().chosen.tolist() == ["b", "y"]


HEADER = "prompt,chosen,rejected\n"


@pytest.mark.parametrize(
    "body, message",
    [
        ('p1,c1,r1\np2,"c2"x,r2\np3,c3,r3\n', "row 2: broken quoting"),
        ("p1,c1,r1\np2,c2,r2\np3,c3\n", "row 3: expected 3 fields"),
        ('p1,c1,r1\np2,,r2\n', "row 2: empty 'chosen'"),
        ('p1,c1,r1\n"p2,c2,r2\n"p3","c3","r3"\n"p4","c4","r4"\n', r"\(line 3\): a quote is opened and never closed"),
        (",prompt,chosen,rejected\n0,p,c,r\n1,p2,c2\n", "row 2: expected 4 fields"),
    ],
)
def test_malformed_file_raises_one_error_naming_the_row(tmp_path, body, message):
    path = tmp_path / "bad.csv"
    path.write_text(body if body.startswith(",") else HEADER + body)
    with pytest.raises(PreferenceError, match=message):
        PreferenceStore(path).load()


def test_original_project_file_loads_and_upgrades_on_append(tmp_path):
    path = tmp_path / "orpo_dataset_llm.csv"
    original = pd.DataFrame(
        {"prompt": ["DL model with 4 input nodes", "flowchart of login"],
         "chosen": [DIAGRAM, "a\nb"], "rejected": ["x", "y"]}
    )
    original.to_csv(path)  # pandas writes the unnamed index column, as the original project did
    store = PreferenceStore(path)
    df = store.load()
    assert df.category.tolist() == ["dl_model", "other"] and set(df.source) == {"auto"}
    assert df.pair_id.tolist() == [pair_id_for(*r) for r in original.itertuples(index=False)]
    store.append(prompt="p", chosen="c", rejected="r", category="other")
    df = store.load()
    assert len(df) == 3 and df.chosen.tolist()[:2] == [DIAGRAM, "a\nb"]
    assert any(".orig-" in p.name for p in tmp_path.iterdir())


def test_unknown_extra_columns_are_preserved(tmp_path):
    path = tmp_path / "p.csv"
    blanks = "," * (len(COLUMNS) - 5)  # every column after prompt, chosen, rejected, category, source
    path.write_text(",".join(COLUMNS) + ",mood\n" + f"p,c,r,other,human,{blanks}happy\n")
    store = PreferenceStore(path)
    store.append(prompt="p2", chosen="c2", rejected="r2", mood="calm")
    df = store.load()
    assert df.mood.tolist() == ["happy", "calm"] and df.columns[-1] == "mood"


def test_progress_counts_the_stores_pairs_against_the_labelers_targets(store):
    store.append(**_pair(1), category="dl_model", source="auto")
    store.append(**_pair(2), category="dl_model", source="human_edit")
    store.append(**_pair(3), category="other", source="simulated")
    summary = progress(store.read().counts())
    assert summary["total"] == 3 and summary["target"] == 800
    dl = summary["categories"]["dl_model"]
    assert (dl["auto"], dl["labeled"], dl["target_auto"], dl["target_labeled"]) == (1, 1, 80, 240)
    assert summary["categories"]["other"]["labeled"] == 1


def test_one_read_answers_every_question_as_plain_data(store, tmp_path):
    ids = [store.append(**_pair(i), category="dl_model", annotator=f"a{i}") for i in range(3)]
    view = store.read()
    store.append(**_pair(9))  # a later append does not change a view already read
    assert len(view) == 3 and view.pair_ids() == set(ids)
    assert view.labeled_prompts() == {_pair(i)["prompt"] for i in range(3)}
    assert [r["pair_id"] for r in view.recent(2)] == [ids[2], ids[1]] and view.recent(0) == []
    assert view.triples()[0] == tuple(_pair(0).values())
    assert view.counts()["dl_model"]["human"] == 3 and view.counts()["other"]["auto"] == 0
    copy = store.export_csv(tmp_path / "copy.csv")
    assert len(open_store(copy).read()) == 4


def test_two_annotators_may_store_the_same_judgment_one_annotator_only_once(store):
    first = store.append(**_pair(1), annotator="ana")
    second = store.append(**_pair(1), annotator="bo")
    assert first != second
    with pytest.raises(PreferenceError, match="already stored"):
        store.append(**_pair(1), annotator="ana")
    assert pair_id_for(*_pair(1).values()) == pair_id_for(*_pair(1).values(), "")  # no annotator: old ids


def test_lock_timeout_is_reported(store):
    from filelock import FileLock

    with FileLock(str(store.path) + ".lock"):
        slow = type(store)(store.path, lock_timeout=0.1)
        with pytest.raises(PreferenceError, match="another process has held"):
            slow.append(**_pair(1))
