"""Active candidate selection in the labeler (M sampled -> K shown) and prompts of thin kinds first.

labeling.generate with a ScriptedGenerator (fixed texts, optional `score`), labeler.coverage's pure
choice of a kind, and next_prompt over a small synthesised pool. No model, no browser.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from collections import Counter

import pytest

from diagram import build_prompt
from testing.fakes import ScriptedGenerator, make_context, styled
from labeler import labeling as L
from labeler.app import add_app_arguments, run_app
from diagram import parse
from labeler.coverage import kind_targets, labeled_kind_counts, pick_kind, request_kind
from trainer.core.selection import select_candidates, style_distance, style_features

# Four drawings in one style (grey rectangles, left to right; only their place on the canvas
# differs), then four that differ: top to bottom, blue, round rectangles, dashed lines.
SAME = [styled(300, 0, y=100 + 50 * i) for i in range(4)]
DIVERSE = [styled(0, 300), styled(300, 0, fill="(30, 60, 220)"),
           styled(300, 0, shape="round rectangle"), styled(-300, 0, line_shape="dashed line")]


def context(tmp_path, texts, kind="sft", **source):
    generator = ScriptedGenerator(texts, **source)
    ctx = make_context(tmp_path, generator_factory=lambda _path: generator, kind=kind)
    return ctx, generator


def shown(ctx, sampling: L.Sampling, rng_seed: int = 0) -> L.LabelState:
    state = L.next_prompt(ctx, L.LabelState(), random.Random(rng_seed))
    return L.generate(ctx, state, sampling)


def test_active_samples_2k_and_shows_the_diverse_ones_plain_shows_the_first_k(tmp_path):
    ctx, generator = context(tmp_path, SAME + DIVERSE)
    try:
        active = shown(ctx, L.Sampling(k=4, seed=3))
        plain = shown(ctx, L.Sampling(k=4, seed=3, selection="plain"))
    finally:
        ctx.close()
    assert generator.asked == [8, 4]  # one generate call each: M = 2K, then K
    active_idx = sorted(c.index for c in active.candidates)
    assert sorted(c.index for c in plain.candidates) == [0, 1, 2, 3]
    assert len(active_idx) == 4 and len(set(active_idx) & {0, 1, 2, 3}) <= 1, active_idx  # one style at most once
    assert {c.text for c in active.candidates} == {(SAME + DIVERSE)[i] for i in active_idx}
    assert (active.selected, plain.selected) == ("active 8->4", "plain")


@pytest.mark.parametrize("k, oversample, m", [(4, 2.0, 8), (4, 1.5, 6), (6, 2.0, 12), (6, 3.0, 12),
                                              (2, 1.0, 2), (3, 1.2, 4)])
def test_m_is_oversample_times_k_at_most_twelve(k, oversample, m):
    assert L.Sampling(k=k, oversample=oversample).m == m
    assert L.Sampling(k=k, oversample=oversample, selection="plain").m == k


@pytest.mark.parametrize("sampling, message", [
    (L.Sampling(selection="clever"), "Candidates must be one of active, plain"),
    (L.Sampling(oversample=0.5), "Oversample"), (L.Sampling(oversample=float("nan")), "Oversample")])
def test_bad_selection_settings_are_refused(sampling, message):
    with pytest.raises(L.UserError, match=message):
        L.check_sampling(sampling)


def features(text: str) -> tuple[float, ...]:
    return style_features(parse(text).diagram)


def test_a_direction_change_counts_like_a_shape_change_and_more_groups_count_more():
    grey_right, grey_down = features(styled(300, 0)), features(styled(0, 300))
    circles = features(styled(300, 0, shape="circle"))
    everything = features(styled(0, 300, shape="circle", fill="(30, 60, 220)", line_shape="dashed line"))
    by_direction, by_shape = style_distance(grey_right, grey_down), style_distance(grey_right, circles)
    assert by_direction == pytest.approx(by_shape, rel=0.05)  # was 0.5 vs 1.0 (capped)
    assert by_shape < style_distance(grey_right, everything) < 1.0  # no tie at a cap
    assert style_distance(grey_right, grey_right) == 0.0


def test_selection_prefers_candidates_that_differ_in_more_style_groups():
    texts = [styled(300, 0), styled(300, 0, shape="circle"), styled(0, 300),
             styled(0, 300, shape="circle", fill="(30, 60, 220)", line_shape="dashed line")]
    # with distances capped at 1, (0, 1) tied with (0, 3) and the earlier pair won
    assert select_candidates([parse(t) for t in texts], 2) == [0, 3]


# Four drawings of one style (style distance 0 between any two): only the margins can tell them
# apart. The model is unsure between 2 and 3 (mean log-probs -2.0 and -2.01), sure about 0 and 1.
TWINS = [styled(300, 0, y=100 + 50 * i) for i in range(4)]
LOGPROBS = {TWINS[0]: (-10.0, 10), TWINS[1]: (-30.0, 10), TWINS[2]: (-20.0, 10), TWINS[3]: (-40.2, 20)}


@pytest.mark.parametrize("kind, expected, note", [("orpo", [2, 3], "active 4->2 margins"),
                                                  ("simpo", [2, 3], "active 4->2 margins"),
                                                  ("sft", [0, 1], "active 4->2")])
def test_margins_are_used_only_for_a_preference_trained_checkpoint(tmp_path, kind, expected, note):
    ctx, generator = context(tmp_path, TWINS, kind=kind, logprobs=LOGPROBS)
    try:
        state = shown(ctx, L.Sampling(k=2, seed=1))
    finally:
        ctx.close()
    assert sorted(c.index for c in state.candidates) == expected
    assert state.selected == note
    assert generator.scored == ([TWINS] if kind != "sft" else [])  # an SFT model is not asked


def test_a_source_without_score_or_a_failing_score_selects_by_style_alone(tmp_path):
    ctx, _ = context(tmp_path, TWINS, kind="orpo")  # no score method
    failing, generator = context(tmp_path / "f", TWINS, kind="orpo", score_error=ValueError("too long"))
    try:
        assert shown(ctx, L.Sampling(k=2, seed=1)).selected == "active 4->2"
        state = shown(failing, L.Sampling(k=2, seed=1))
    finally:
        ctx.close()
        failing.close()
    assert state.selected == "active 4->2" and len(generator.scored) == 1
    assert sorted(c.index for c in state.candidates) == [0, 1]


@pytest.mark.parametrize("selection, recorded", [("active", "active 8->4"), ("plain", "plain")])
def test_the_pair_records_how_its_candidates_were_selected(tmp_path, selection, recorded):
    ctx, _ = context(tmp_path, SAME + DIVERSE)
    try:
        state = shown(ctx, L.Sampling(k=4, seed=5, selection=selection))
        L.submit(ctx, state, 0, 1, "ana")
        row = ctx.store.load().iloc[0]
    finally:
        ctx.close()
    sampling, positions = json.loads(row.sampling), json.loads(row.positions)
    assert sampling["selection"] == recorded and sampling["k"] == 4
    assert positions["shown_order"] == [c.index for c in state.candidates]  # generation indexes


def test_skips_record_how_their_candidates_were_selected(tmp_path):
    ctx, _ = context(tmp_path, SAME + DIVERSE)
    try:
        L.skip(ctx, shown(ctx, L.Sampling(k=3, seed=1)), "both_bad", "ana")
        L.skip(ctx, shown(ctx, L.Sampling(k=3, seed=1, selection="plain"), rng_seed=1), "tie", "ana")
        events = ctx.events.read()
    finally:
        ctx.close()
    assert [(e["event"], e["selection"]) for e in events] == [("both_bad", "active 6->3"), ("tie", "plain")]


def test_app_cli_has_selection_and_oversample(tmp_path, capsys):
    import argparse

    parser = argparse.ArgumentParser()
    add_app_arguments(parser)
    args = parser.parse_args([])
    assert (args.selection, args.oversample) == ("active", 2.0)
    assert parser.parse_args(["--selection", "plain", "--oversample", "1.5"]).selection == "plain"
    with pytest.raises(SystemExit):
        parser.parse_args(["--selection", "smart"])
    from testing.fakes import write_pool
    write_pool(tmp_path / "orpo_prompts.csv")
    bad = parser.parse_args(["--data-dir", str(tmp_path), "--oversample", "5"])
    assert run_app(bad) == 2 and "--oversample must be from 1 to 3" in capsys.readouterr().err


# ------------------------------------------------------------------ prompts of thin kinds


@pytest.mark.parametrize("request_text, kind", [
    ("DL model with 3 input nodes, 5 hidden nodes and 2 outputs", "dense"),
    ("loader -> embedder -> FAISS -> answer", "pipeline"),
    ("Agent is passed to tools, which connects to Memory, which goes to Index; Memory -> Agent (loop)",
     "pipeline_loop"),
    ("convolutional net, input 48 x 48; conv 3x3; 2x2 pooling; fully connected 32; softmax", "cnn"),
    ("draw something about my weekend", "unread"),
])
def test_request_kind(request_text, kind):
    assert request_kind(request_text) == kind


def test_kind_targets_lie_between_uniform_and_the_pool_share():
    targets = kind_targets({"pipeline": 392, "pipeline_loop": 47, "unread": 41, "dense": 0})
    assert set(targets) == {"pipeline", "pipeline_loop", "unread"}
    assert sum(targets.values()) == pytest.approx(1.0)
    assert 392 / 480 > targets["pipeline"] > 1 / 3 and 47 / 480 < targets["pipeline_loop"] < 1 / 3


def test_pick_kind_takes_the_thinnest_and_converges_to_the_targets():
    pool = {"pipeline": 392, "pipeline_loop": 47, "unread": 41}
    available = dict(pool)
    assert pick_kind({}, pool, available, random.Random(0)) == "pipeline"  # largest target first
    assert pick_kind({"pipeline": 3}, pool, available, random.Random(0)) == "pipeline_loop"
    assert pick_kind({"pipeline": 3}, pool, {"pipeline": 5, "unread": 1}, random.Random(0)) == "unread"
    labeled: Counter = Counter()
    for _ in range(100):
        labeled[pick_kind(labeled, pool, available, random.Random(0))] += 1
    targets = kind_targets(pool)
    assert all(abs(labeled[k] - 100 * targets[k]) <= 1 for k in pool), labeled
    assert labeled["pipeline_loop"] > 2 * 100 * 47 / 480  # about twice plain random choice's share
    with pytest.raises(ValueError):
        pick_kind({}, pool, {"pipeline": 0}, random.Random(0))


def test_labeled_kind_counts_counts_distinct_labeled_prompts_of_the_category():
    loop = build_prompt("Agent is passed to tools, which connects to Memory; Memory -> Agent (loop)")
    rows = [{"prompt": "p1", "category": "other", "source": "human"},
            {"prompt": "p1", "category": "other", "source": "human"},  # a second pair, same prompt
            {"prompt": "p2", "category": "other", "source": "auto"},  # not labeled by a person
            {"prompt": "p3", "category": "dl_model", "source": "human"},  # another category
            {"prompt": loop, "category": "other", "source": "simulated"}]  # typed: read here
    counts = labeled_kind_counts(rows, "other", {"p1": "pipeline", "p2": "pipeline", "p3": "dense"})
    assert counts == Counter({"pipeline": 1, "pipeline_loop": 1})


def label_prompts(ctx, rows) -> None:
    for i, (_, row) in enumerate(rows.iterrows()):
        ctx.store.append(prompt=row["prompt"], chosen=styled(300, 0, y=100 + i), rejected=styled(0, 300),
                         category=row["category"], source="human", annotator="ana")


def offered(ctx, seed: int, cover: bool = True) -> L.LabelState:
    """The prompt a new session is offered (its reservation released again)."""
    state = L.next_prompt(ctx, L.LabelState(), random.Random(seed), cover=cover)
    ctx.reservations.release(state.session)
    return state


def test_next_prompt_offers_the_kind_thin_in_the_labeled_data(tmp_path):
    ctx = make_context(tmp_path, n_dl=6, n_other=20)
    try:
        pool = ctx.pool
        other = pool[pool["category"] == "other"]
        dl = pool[pool["category"] == "dl_model"]
        # 3 pipelines of "other" and 3 dense nets labeled: "other" is furthest below its quota
        # (3/360 < 3/240), and in it loops (target ~27%) are thinner than unread requests (~22%)
        label_prompts(ctx, other[other["kind"] == "pipeline"].head(3))
        label_prompts(ctx, dl[dl["kind"] == "dense"].head(3))
        covered = [offered(ctx, seed) for seed in range(12)]
        plain = [offered(ctx, seed, cover=False) for seed in range(12)]
    finally:
        ctx.close()
    kind = dict(zip(pool["prompt_id"], pool["kind"]))
    assert {kind[s.prompt_id] for s in covered} == {"pipeline_loop"}
    assert {s.category for s in plain} == {"other"}
    assert "pipeline" in {kind[s.prompt_id] for s in plain}  # plain: any kind of the category


def test_the_label_tab_switch_reaches_generation_over_http(tmp_path):
    """The app default (--selection) on page load / next, the Candidates radio on regenerate."""
    import socket

    from gradio_client import Client

    from labeler.app import launch
    from labeler.label_views import status as _status

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = make_context(tmp_path)
    ctx.selection = "plain"  # as `--selection plain` sets it
    demo, url = launch(ctx, port=port, prefetch=False)  # no next screen made ahead: not asked for
    try:
        client = Client(url, verbose=False, download_files=False)
        client.predict(api_name="/next")
        client.predict(0, 1, "ana", api_name="/submit")
        client.predict(4, 0.8, 0.95, "active", api_name="/regenerate")
        client.predict(0, 1, "ana", api_name="/submit")
        rows = ctx.store.load()
    finally:
        demo.close()
        ctx.close()
    # one judgment per submit (its pairs share a judgment_id and the screen's sampling)
    per_judgment = dict.fromkeys(zip(rows.judgment_id, (json.loads(s)["selection"] for s in rows.sampling)))
    assert [selection for _, selection in per_judgment] == ["plain", "active 8->4"]
    state = L.LabelState(candidates=(L.ShownCandidate("g-1", 1, SAME[0], True, ()),), selected="active 8->4")
    assert "active 8->4" in _status(state) and "active" not in _status(replace(state, selected="plain"))
