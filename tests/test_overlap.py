"""Several annotators on one pool (`app --overlap N`): the same candidates for every annotator of
a prompt, no prompt twice for one annotator, started prompts finished before new ones open.

Logic tests over one AppContext (one app) with a FakeGenerator, whose candidates depend on the
sampling seed: a second, independent generation would differ, so equal candidates mean the task
was reused. The HTTP test drives the real app with two gradio_client sessions.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from testing.fakes import fake_checkpoint, make_context
from labeler import labeling as L
from labeler.common import UserError
from labeler.context import Reservations
from labeler.tasks import Overlap, Task, TaskStore, judged_by, pick_prompt

SAMPLING = L.Sampling(k=4)


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path, overlap=2, n_dl=3, n_other=3)
    yield ctx
    ctx.close()


class Annotator:
    """One annotator in one browser session of the app."""

    def __init__(self, ctx, name: str, seed: int):
        self.ctx, self.name, self.rng = ctx, name, random.Random(seed)
        self.state = L.LabelState(session=f"s-{name}")

    def next(self) -> L.LabelState:
        self.state = L.next_prompt(self.ctx, self.state, self.rng, self.name)
        self.state = L.generate(self.ctx, self.state, SAMPLING, self.name)
        return self.state

    def judge(self, chosen_text: str | None = None) -> str:
        texts = [c.text for c in self.state.candidates]
        chosen = texts.index(chosen_text) if chosen_text else 0
        self.state, pair_id = L.submit(self.ctx, self.state, chosen, (chosen + 1) % len(texts),
                                       self.name)
        return pair_id


def shown_set(state: L.LabelState) -> set[tuple[str, str]]:
    return {(c.candidate_id, c.text) for c in state.candidates}


def test_two_annotators_get_the_same_prompt_with_identical_candidates(ctx):
    ana, bo = Annotator(ctx, "ana", 1), Annotator(ctx, "bo", 2)
    first = ana.next()
    second = bo.next()
    assert second.prompt_id == first.prompt_id
    assert shown_set(second) == shown_set(first) and len(first.candidates) == 4
    assert second.model == first.model and "shared task" in second.notice
    # the task is on disk: a restarted app shows the same candidates again
    assert ctx.tasks.get(first.prompt_id).task_id == first.generation_id
    assert TaskStore(ctx.tasks.path).get(first.prompt_id).candidates == \
        ctx.tasks.get(first.prompt_id).candidates
    # Regenerate shows the task again instead of sampling new candidates
    again = L.generate(ctx, first, L.Sampling(k=6, seed=99), "ana")
    assert shown_set(again) == shown_set(first)
    ana.judge()
    bo.judge()
    rows = ctx.store.load()  # each judgment gives several pairs (scheme extremes)
    assert list(rows.drop_duplicates("judgment_id").annotator) == ["ana", "bo"]
    assert {i.split("-")[0] for ids in rows.candidate_ids for i in ids.split(";")} == \
        {first.generation_id}


def test_started_prompts_are_finished_before_new_ones_open_and_none_comes_twice(ctx):
    ana, bo = Annotator(ctx, "ana", 1), Annotator(ctx, "bo", 2)
    p1 = ana.next().prompt_id
    assert bo.next().prompt_id == p1
    ana.judge()
    p2 = ana.next().prompt_id  # ana has nothing to finish: a new prompt opens
    assert p2 != p1
    bo.judge()
    assert bo.next().prompt_id == p2  # ana's started prompt, not a third one
    bo.judge()
    ana.judge()
    p3 = ana.next().prompt_id
    assert p3 not in (p1, p2) and bo.next().prompt_id == p3
    # label the rest of the pool at different paces: each prompt ends with exactly 2 annotators
    seen = {"ana": [p1, p2, p3], "bo": [p1, p2, p3]}
    ana.judge()
    bo.judge()
    for who in [ana, ana, ana, bo, ana, bo, bo, bo, ana, bo] * 2:
        try:
            seen[who.name].append(who.next().prompt_id)
        except UserError as exc:
            assert "has 2 annotators or was judged by you" in str(exc)
            continue
        who.judge()
    assert len(seen["ana"]) == len(set(seen["ana"])) == 6  # the pool's 6 label prompts
    assert len(seen["bo"]) == len(set(seen["bo"])) == 6
    rows = ctx.store.load().drop_duplicates("judgment_id")  # one row per judgment
    per_prompt = Counter(rows.prompt)
    assert set(per_prompt.values()) == {2} and len(per_prompt) == 6


def test_a_prompt_shown_to_n_annotators_is_not_offered_to_another(ctx):
    ana, bo, cy = (Annotator(ctx, n, i) for i, n in enumerate(["ana", "bo", "cy"]))
    p1 = ana.next().prompt_id
    assert bo.next().prompt_id == p1
    assert cy.next().prompt_id != p1  # two sessions are on it: overlap 2 is covered


def test_a_second_judgment_of_the_same_prompt_is_refused(ctx):
    ana = Annotator(ctx, "ana", 1)
    shown = ana.next()
    ana.judge()
    with pytest.raises(UserError, match="ana already judged this prompt"):
        L.submit(ctx, shown, 1, 2, "ana")  # e.g. from a second tab still showing it
    with pytest.raises(UserError, match="already judged"):
        L.skip(ctx, shown, "tie", "ana")
    L.skip(ctx, shown, "skip", "ana")  # a plain skip is no judgment: allowed
    assert ctx.store.load().judgment_id.nunique() == 1


def test_ties_and_both_bad_count_as_judged_skips_do_not_undo_reopens(ctx):
    ana, bo = Annotator(ctx, "ana", 1), Annotator(ctx, "bo", 2)
    p1 = ana.next().prompt_id
    ana.state = L.skip(ctx, ana.state, "tie", "ana")
    bo_saw = shown_set(bo.next())
    bo.state = L.skip(ctx, bo.state, "both_bad", "bo")
    judged = judged_by(ctx.store.read().rows, ctx.events.read(), {})
    assert judged[p1] == {"ana", "bo"}  # done: 2 judgments without a pair
    cy = Annotator(ctx, "cy", 3)
    assert cy.next().prompt_id != p1
    p2 = cy.state.prompt_id
    cy.state = L.skip(ctx, cy.state, "skip", "cy")
    assert p2 not in judged_by(ctx.store.read().rows, ctx.events.read(), {})
    ana.state, _ = L.undo(ctx, ana.state, "ana")  # takes the tie back: p1 is open to ana again
    assert ana.state.prompt_id == p1
    assert shown_set(L.generate(ctx, ana.state, SAMPLING, "ana")) == bo_saw  # the task again
    assert "ana" not in judged_by(ctx.store.read().rows, ctx.events.read(), {}).get(p1, set())


def test_open_tasks_keep_their_model_after_another_is_activated(ctx):
    ana, bo = Annotator(ctx, "ana", 1), Annotator(ctx, "bo", 2)
    old = ana.next()
    ctx.models.set_active(fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo"))
    finished = bo.next()
    assert finished.prompt_id == old.prompt_id and shown_set(finished) == shown_set(old)
    assert finished.model == old.model == "tiny-sft"
    assert "made by `tiny-sft` (an earlier model than the active one)" in finished.notice
    bo.judge()
    assert ctx.store.load().iloc[0]["model"] == "tiny-sft"  # the pair names the task's model
    new = bo.next()  # a new task is opened with the active model
    assert new.prompt_id != old.prompt_id and new.model == "orpo-1"
    assert "earlier model" not in new.notice


def test_overlap_one_keeps_fresh_candidates_per_session_and_writes_no_tasks(tmp_path):
    ctx = make_context(tmp_path)
    state = L.generate(ctx, L.next_prompt(ctx, L.LabelState(), random.Random(0), "ana"),
                       SAMPLING, "ana")
    L.submit(ctx, state, 0, 1, "ana")
    assert not ctx.tasks.path.exists() and ctx.overlap == 1
    ctx.close()


def test_two_sessions_opening_one_prompt_at_once_share_the_first_task(tmp_path):
    store = TaskStore(tmp_path / "label_tasks.jsonl")
    made = []

    def opener(i):
        task = Task(task_id=f"g{i}", prompt_id="p1", prompt="P", model="m", checkpoint="c",
                    sampling={"seed": i}, candidates=({"index": 0, "text": f"t{i}", "ok": True},))
        made.append(TaskStore(store.path).open(task).task_id)  # a store per process

    threads = [threading.Thread(target=opener, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(made)) == 1 and store.get("p1").task_id == made[0]
    assert store.path.read_text().count("\n") == 1


def test_a_torn_task_line_is_skipped_and_the_next_append_stays_readable(tmp_path):
    store = TaskStore(tmp_path / "label_tasks.jsonl")
    task = Task(task_id="g1", prompt_id="p1", prompt="P", model="m", checkpoint="c",
                sampling={}, candidates=())
    store.open(task)
    with open(store.path, "ab") as handle:
        handle.write(b'{"task_id": "g2", "prompt_id": "p2", "pro')  # a writer killed mid-line
    assert set(TaskStore(store.path).read()) == {"p1"}
    store.open(Task(task_id="g3", prompt_id="p3", prompt="P", model="m", checkpoint="c",
                    sampling={}, candidates=()))
    assert set(TaskStore(store.path).read()) == {"p1", "p3"}


def test_reservations_count_every_session_showing_a_prompt():
    held = Reservations()
    held.reserve("p1", "a")
    held.reserve("p1", "b")
    held.reserve("p2", "b")
    assert held.holders("c") == {"p1": 2, "p2": 1} and held.holders("a") == {"p1": 1, "p2": 1}
    held.release("b")
    assert held.holders("c") == {"p1": 1} and held.held_by_others("a") == set()


def test_pick_prompt_prefers_the_most_advanced_prompt_and_done_ones_never_come_back():
    pool = [{"prompt_id": p, "category": "other"} for p in ("a", "b", "c", "d")]
    overlap = Overlap(n=3, judged={"a": {"x", "y", "z"}, "b": {"x"}, "c": {"x", "y"}},
                      tasks=frozenset("abc"), stored=frozenset("abcd"))

    def pick(who, excluded=()):
        return pick_prompt(pool, overlap, who, set(excluded), {}, random.Random(0),
                           L.pick_category)["prompt_id"]
    assert pick("w") == "c"  # a is done; c (2 of 3) before b (1 of 3); d has pairs, no task
    assert pick("y") == "b" and pick("w", excluded={"c"}) == "b"
    with pytest.raises(UserError):
        pick("x")


@pytest.mark.slow
def test_two_annotators_over_http_judge_the_same_candidates(tmp_path):
    from gradio_client import Client

    from labeler.app import launch
    from test_labeler_app import free_port

    ctx = make_context(tmp_path, overlap=2)
    demo, url = launch(ctx, port=free_port(), auth=[("ana", "pw-a"), ("bo", "pw-b")])
    try:
        for name in ("ana", "bo"):  # two logins (--auth twice); the typed name does not count
            client = Client(url, auth=(name, f"pw-{name[0]}"), verbose=False,
                            download_files=False)
            shown = client.predict(4, 0.8, 0.95, "active", "typed", api_name="/next")
            assert "saved" in client.predict(0, 1, "typed", api_name="/submit")[1]
            assert shown
        rows = ctx.store.load()
        assert list(rows.drop_duplicates("judgment_id").annotator) == ["ana", "bo"]
        assert rows.prompt.nunique() == 1
        tasks = {ids.split("-")[0] for ids in rows.candidate_ids}
        assert len(tasks) == 1 and ctx.tasks.read()
        summary = client.predict(api_name="/stats")[0]
        assert "on 1 task(s) judged by two or more of 2 annotators" in summary
    finally:
        demo.close()
        ctx.close()


@pytest.mark.parametrize("texts, env, expected", [
    (None, None, None),
    (None, "ana:pw", ("ana", "pw")),
    (["ana:pw"], "env:x", ("ana", "pw")),  # the flag wins over the environment
    (["ana:pw", "bo:p:w"], None, [("ana", "pw"), ("bo", "p:w")]),
    (["ana:pw", "ana:other"], None, ValueError),
    (["ana:pw", "bo"], None, ValueError),
])
def test_several_logins_one_per_annotator(monkeypatch, texts, env, expected):
    from labeler.app import AUTH_ENV, logins

    if env is None:
        monkeypatch.delenv(AUTH_ENV, raising=False)
    else:
        monkeypatch.setenv(AUTH_ENV, env)
    if expected is ValueError:
        with pytest.raises(ValueError):
            logins(texts)
    else:
        assert logins(texts) == expected


@pytest.mark.parametrize("overlap", [0, 21])
def test_run_app_refuses_an_overlap_out_of_range(tmp_path, capsys, overlap):
    from testing.fakes import write_pool
    from test_labeler_app import app_args

    from labeler.app import run_app

    write_pool(tmp_path / "orpo_prompts.csv")
    assert run_app(app_args(tmp_path, "--overlap", str(overlap))) == 2
    assert "--overlap must be 1 to 20" in capsys.readouterr().err
