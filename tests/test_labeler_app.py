"""The app's serving rules, views, Playground logic and A/B votes, and its HTTP API under load.

The API test launches the real Gradio app on a free loopback port over a FakeGenerator and drives
it with gradio_client, several sessions at once (the full 10x20 run is benchmarks/bench_labeler.py).
"""

from __future__ import annotations

import argparse
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from diagram import parse
from labeler import playground as P
from labeler.app import add_app_arguments, is_loopback, parse_auth, run_app
from testing.fakes import fake_checkpoint, make_context, write_pool
from labeler.common import UserError, checkpoint_choices
from labeler.views import badge, cropped_file, image_file, preview, problems_markdown
from labeler.votes import VoteLog, win_rate
from testing.ports import free_port

DIAGRAM = "[0, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]\n" \
          "[1, 800, 300, 'rectangle', 60, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"


@pytest.fixture
def ctx(tmp_path):
    ctx = make_context(tmp_path)
    yield ctx
    ctx.close()


def app_args(tmp_path, *argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_app_arguments(parser)
    return parser.parse_args(["--data-dir", str(tmp_path), "--checkpoints-dir",
                              str(tmp_path / "ck"), *argv])


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True),
                                            ("::1", True), ("127.0.0.2", True),
                                            ("0.0.0.0", False), ("192.168.1.5", False),
                                            ("example.org", False)])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("text, expected", [(None, None), ("", None), ("ana:pw", ("ana", "pw")),
                                            ("ana:p:w", ("ana", "p:w")), ("ana", ValueError),
                                            (":pw", ValueError), ("ana:", ValueError)])
def test_parse_auth(text, expected):
    if expected is ValueError:
        with pytest.raises(ValueError, match="USER:PASS"):
            parse_auth(text)
    else:
        assert parse_auth(text) == expected


@pytest.mark.parametrize("argv, message", [
    (["--host", "0.0.0.0"], "--auth USER:PASS"),
    (["--host", "0.0.0.0", "--auth", "nopassword"], "USER:PASS"),
    ([], "orpo_prompts.csv is missing"),
    (["--checkpoint", "/nonexistent"], "no manifest.json"),
])
def test_run_app_refuses_unsafe_or_broken_setups_before_serving(tmp_path, capsys, monkeypatch,
                                                                 argv, message):
    monkeypatch.delenv("DIAGRAMLAB_AUTH", raising=False)
    if "missing" not in message:
        write_pool(tmp_path / "orpo_prompts.csv")
    assert run_app(app_args(tmp_path, *argv)) == 2
    assert message in capsys.readouterr().err


def test_image_file_renders_the_fixed_frame_once_and_placeholders_the_rest(tmp_path):
    first = image_file(tmp_path, DIAGRAM)
    assert image_file(tmp_path, DIAGRAM) == first
    assert Image.open(first).size == (1000, 600)
    assert image_file(tmp_path, DIAGRAM, fmt="svg").read_bytes().lstrip().startswith(b"<")
    empty = image_file(tmp_path, "no nodes here")
    assert empty.name.startswith("ph-") and Image.open(empty).size == (1000, 600)


def test_cards_show_the_drawing_cropped_and_the_text_keeps_its_coordinates(tmp_path):
    full = Image.open(image_file(tmp_path, DIAGRAM))
    crop = Image.open(cropped_file(tmp_path, DIAGRAM))
    assert crop.size[0] < full.size[0] and crop.size[1] < full.size[1]
    assert crop.size[0] >= 240 and crop.size[1] >= 144  # a tiny drawing is not blown up
    assert cropped_file(tmp_path, "no nodes here").name.startswith("ph-")


def test_problems_name_their_line_once_and_badges_use_plain_words():
    from diagram import parse

    result = parse("[0, 10, 'circle'\n[1, 100, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), "
                   "(4, 5, 6), []]")
    text = problems_markdown(result.problems)
    assert "**line 1**" in text and "line 1: line 1" not in text and "line 1:" not in text
    assert "1 problem" in badge(False, result.problems) and "invalid" not in badge(False, ())
    assert ">valid<" in badge(True, ())


def test_ab_votes_record_the_annotator(ctx):
    fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo")
    _, _, ab = P.compare(ctx, "DL model with 2 inputs", "tiny-sft", "orpo-1", random.Random(0))
    P.vote(ctx, ab, "left", "ana")
    assert ctx.votes.load()[-1]["annotator"] == "ana"


@pytest.mark.parametrize("text, has_image, says", [
    (DIAGRAM, True, "valid"),
    (DIAGRAM + "\n[2, 10, 'circle'", True, "line 3"),
    ("", False, "Type or paste"),
    ("x" * 200_001, False, "limit is 200,000"),
])
def test_preview(tmp_path, text, has_image, says):
    image, markdown = preview(tmp_path, text)
    assert (image is not None) is has_image and says in markdown


def test_votes_are_appended_whole_under_concurrency_and_give_a_win_rate(tmp_path):
    log = VoteLog(tmp_path / "ab_votes.csv")
    plan = ["left", "right", "tie", "left"] * 5

    def cast(i):
        log.append(prompt=f"p{i}", left="orpo-1", right="tiny-sft", left_stage="orpo",
                   right_stage="sft", vote=plan[i])

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(len(plan))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = log.load()
    assert len(rows) == 20 and {r["prompt"] for r in rows} == {f"p{i}" for i in range(20)}
    rate = win_rate(rows, "orpo", "sft")
    assert (rate.n, rate.wins) == (20, 12.5)  # 10 left wins + 5 ties * 0.5
    with pytest.raises(ValueError):
        log.append(prompt="p", left="a", right="b", left_stage="sft", right_stage="sft",
                   vote="both")


@pytest.mark.parametrize("rows, expected", [
    ([], (0, 0.0)),
    ([{"stage_left": "sft", "stage_right": "orpo", "vote": "right"}], (1, 1.0)),
    ([{"stage_left": "sft", "stage_right": "orpo", "vote": "left"}], (1, 0.0)),
    ([{"stage_left": "sft", "stage_right": "sft", "vote": "left"}], (0, 0.0)),
])
def test_win_rate_counts_only_orpo_against_sft(rows, expected):
    rate = win_rate(rows)
    assert (rate.n, rate.wins) == expected


def test_ab_compare_hides_then_reveals_and_votes_once(ctx):
    fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo")
    assert sorted(name for _, name in checkpoint_choices(ctx)) == ["orpo-1", "tiny-sft"]
    with pytest.raises(UserError, match="two different"):
        P.compare(ctx, "DL model with 2 inputs", "orpo-1", "orpo-1", random.Random(0))
    left, right, ab = P.compare(ctx, "DL model with 2 inputs", "orpo-1", "tiny-sft",
                                random.Random(0))
    assert {ab.left, ab.right} == {"orpo-1", "tiny-sft"} and Path(left.image).is_file()
    ab, message = P.vote(ctx, ab, "left")
    assert ab.left in message and ab.voted
    with pytest.raises(UserError, match="already voted"):
        P.vote(ctx, ab, "right")
    row = ctx.votes.load()[0]
    assert {row["stage_left"], row["stage_right"]} == {"orpo", "sft"}
    expected = "100%" if ab.left == "orpo-1" else "0%"
    assert f"ORPO {expected} over 1 vote " in P.win_rate_markdown(ctx)


def test_the_win_rate_counts_every_registered_trainer_against_sft(ctx):
    assert "no votes yet" in P.win_rate_markdown(ctx) and "KTO" in P.win_rate_markdown(ctx)
    for stage, vote in [("dpo", "left"), ("dpo", "tie"), ("kto", "right"), ("simpo", "left")]:
        ctx.votes.append(prompt="p", left=stage, right="tiny-sft", left_stage=stage, right_stage="sft", vote=vote)
    text = P.win_rate_markdown(ctx)
    assert "DPO 75% over 2 votes" in text and "KTO 0% over 1 vote " in text and "SimPO 100% over 1 vote " in text
    assert "ORPO" not in text  # no ORPO votes: not shown


@pytest.mark.parametrize("checkpoint, request_text, message", [
    ("", "DL model", "Pick a checkpoint"),
    ("nope", "DL model", "no checkpoint 'nope'"),
    ("tiny-sft", "", "Type a request"),
    ("tiny-sft", "x" * 2001, "limit is 2,000"),
])
def test_playground_generate_refuses_bad_input(ctx, checkpoint, request_text, message):
    with pytest.raises(UserError, match=message):
        P.sample_one(ctx, checkpoint, request_text, seed=0)


@pytest.fixture
def served(tmp_path):
    from labeler.app import launch

    ctx = make_context(tmp_path)
    demo, url = launch(ctx, port=free_port())
    yield ctx, url
    demo.close()
    ctx.close()


def label_session(url: str, pairs: int, name: str) -> list[str]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)
    saved = []
    for _ in range(pairs):
        client.predict(api_name="/next")
        result = client.predict(0, 1, name, api_name="/submit")
        saved.append(result[1])
    return saved


@pytest.mark.slow
def test_concurrent_sessions_submit_exactly_their_pairs_over_http(served):
    ctx, url = served
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda i: label_session(url, 4, f"bot{i}"), range(3)))
    assert all("saved" in message for session in results for message in session)
    rows = ctx.store.load()  # 12 judgments, each with the pairs of its scheme (extremes: 5)
    assert rows.judgment_id.nunique() == 12 and len(rows) == 60 and rows.pair_id.is_unique
    assert sorted(rows.drop_duplicates("judgment_id").annotator.value_counts().tolist()) == [4, 4, 4]


@pytest.mark.slow
def test_bad_api_submits_write_nothing(served):
    from gradio_client import Client

    ctx, url = served
    client = Client(url, verbose=False, download_files=False)
    assert "no candidates" in client.predict(0, 1, "x", api_name="/submit")[1]
    client.predict(api_name="/next")
    for chosen, rejected, says in [(1, 1, "same candidate"), (0, 9, "no candidate #9"),
                                   (None, 1, "Mark one candidate")]:
        assert says in client.predict(chosen, rejected, "x", api_name="/submit")[1]
    assert len(ctx.store.load()) == 0


def test_generator_cache_loads_each_checkpoint_once_and_evicts_the_oldest(tmp_path):
    import time as _time

    from labeler.models import GeneratorCache

    loads = []

    def factory(path):
        loads.append(path.name)
        _time.sleep(0.05)  # a slow load: concurrent callers must wait for it, not repeat it
        return object()

    cache = GeneratorCache(factory, size=2)
    with ThreadPoolExecutor(4) as pool:
        first = set(map(id, pool.map(lambda _: cache.get(tmp_path / "a"), range(4))))
    assert len(first) == 1 and loads == ["a"]
    cache.get(tmp_path / "b")
    cache.get(tmp_path / "a")  # a is now the most recent
    cache.get(tmp_path / "c")  # evicts b
    assert [Path(k).name for k in cache.loaded()] == ["a", "c"]
    cache.get(tmp_path / "b")
    assert loads == ["a", "b", "c", "b"]


@pytest.mark.slow
def test_the_api_activates_a_checkpoint_made_after_the_server_started(served):
    from gradio_client import Client

    ctx, url = served
    fake_checkpoint(ctx.checkpoints_dir / "orpo-1", kind="orpo")  # e.g. a finished training run
    client = Client(url, verbose=False, download_files=False)
    client.predict("orpo-1", api_name="/activate")
    assert ctx.models.name(ctx.models.active()) == "orpo-1"
    client.predict("orpo-9", api_name="/activate")  # not on disk: refused, nothing changes
    assert ctx.models.name(ctx.models.active()) == "orpo-1"


@pytest.mark.slow
def test_the_login_name_is_the_annotator(tmp_path):
    from gradio_client import Client

    from labeler.app import launch

    ctx = make_context(tmp_path)
    demo, url = launch(ctx, port=free_port(), auth=("ana", "secret"), prefetch=False)
    try:
        client = Client(url, auth=("ana", "secret"), verbose=False, download_files=False)
        client.predict(api_name="/next")
        client.predict(0, 1, "typed-name", api_name="/submit")
        assert ctx.store.load().iloc[0]["annotator"] == "ana"
        assert "5 pairs removed" in str(client.predict("typed-name", api_name="/undo"))
        assert len(ctx.store.load()) == 0
    finally:
        demo.close()
        ctx.close()


@pytest.mark.slow
@pytest.mark.parametrize("grammar", [True, False])
def test_playground_generate_over_http_fills_the_editor(served, grammar):
    from gradio_client import Client

    ctx, url = served
    client = Client(url, verbose=False, download_files=False)
    text, status = client.predict("DL model with 2 inputs and 1 output", "tiny-sft",
                                  "[0, 1, 2]", grammar, api_name="/playground_generate")
    assert parse(text).ok and "loaded into the editor" in status


def test_every_key_of_the_label_tab_takes_its_turn_in_one_queue(tmp_path):
    """Marks (1-6, Shift+1-6, rank keys, rank mode), Enter, U, S/B/T run one at a time in the
    order they came ("label-save", limit 1): two quick keys run side by side finished in either
    order and the page, showing the last reply, lost a mark (under load the reject of
    "1, Shift+2" never showed)."""
    from labeler.app import build_app

    ctx = make_context(tmp_path)
    try:
        demo = build_app(ctx)
        elem = {block._id: getattr(block, "elem_id", None) for block in demo.blocks.values()}
        keyed = ("choose-", "reject-", "order-", "rank-", "submit", "undo", "skip", "both-bad", "tie")
        seen = set()
        for fn in demo.fns.values():
            targets = {elem.get(target[0]) or "" for target in fn.targets}
            hits = {t for t in targets if t.startswith(keyed) and t != "submit-edit"}
            if hits and fn.trigger_after is None:  # a chained step (.then) waits for its parent
                assert (fn.concurrency_id, fn.concurrency_limit) == ("label-save", 1), (hits, fn.name)
                seen |= hits
        assert {"choose-0", "reject-5", "order-3", "rank-2", "rank-mode", "submit", "undo", "tie"} <= seen
    finally:
        ctx.close()


def _net_text(layers=(9, 2, 2, 1), names=("Input", "Hidden 1", "Hidden 2", "Output")) -> str:
    """A top-to-bottom net spread over the whole canvas width, as tiny-sft draws 9-2-2-1."""
    lines, first = [], 0
    starts = [sum(layers[:i]) for i in range(len(layers))]
    for row, (n, name) in enumerate(zip(layers, names)):
        for j in range(n):
            x = 500 if n == 1 else 40 + j * 920 / (n - 1)
            targets = list(range(starts[row + 1], starts[row + 1] + layers[row + 1])) if row + 1 < len(layers) else []
            lines.append(f"[{first + j}, {x:.0f}, {60 + row * 160}, 'circle', 30, 30, 'solid arrow', "
                         f"(200, 220, 250), (40, 40, 90), {targets}, '{name}']")
        first += n
    return "\n".join(lines)


@pytest.mark.parametrize("k, window_h", [(2, 900), (3, 900), (4, 900), (6, 900), (4, 768)])
@pytest.mark.parametrize("text", [_net_text(), _net_text((3, 6, 2)),
                                  "[0, 200, 300, 'rectangle', 120, 50, 'solid arrow', (250, 219, 189), (0, 0, 0), [1], 'load data']\n"
                                  "[1, 800, 300, 'rectangle', 120, 50, 'solid arrow', (250, 219, 189), (0, 0, 0), [], 'plot']"])
def test_card_labels_are_at_least_10_px_as_shown(tmp_path, k, window_h, text):
    """A card's image, shrunk into its box (`CARD_BOX`; style.css caps the height at 100vh - 390
    px, two rows of cards at (100vh - 480 px) / 2), shows the labels at >= 10 px: the font drawn
    (`card_label_scale`) times the shrink of the crop."""
    from diagram.render import FONT_SIZE
    from labeler.label_page import CARD_BOX
    from labeler.views import card_label_scale

    box = CARD_BOX[k]
    css_h = (window_h - 480) / 2 if k >= 4 else window_h - 390
    with Image.open(cropped_file(tmp_path, text, box=box)) as img:
        width, height = img.size
    shown = min(1.0, box[0] / width, min(box[1], css_h) / height)
    px = FONT_SIZE * card_label_scale(parse(text).diagram, box) * shown
    assert px >= 10, f"labels {px:.1f} px at K={k} ({width}x{height} shown in {box})"


def test_launch_tries_again_when_gradios_start_up_check_times_out(tmp_path, monkeypatch):
    """Gradio's own check (one HEAD with a 3 s timeout) fails at once on a loaded machine; the
    app starts again instead of failing with "localhost is not accessible"."""
    import httpx
    from gradio import networking

    from labeler.app import launch

    real, calls = networking.url_ok, []

    def slow_first(url):
        calls.append(url)
        return len(calls) > 1 and real(url)
    monkeypatch.setattr(networking, "url_ok", slow_first)
    ctx = make_context(tmp_path)
    try:
        demo, url = launch(ctx, port=free_port())
        try:
            assert len(calls) == 2 and httpx.get(url, timeout=30).status_code == 200
        finally:
            demo.close()
    finally:
        ctx.close()
