"""Reading requests with a served model (`trainer.generation.http_reader`, `diagram.plan_json`).

The JSON <-> Plan conversion and its schema on made-up plans; the fallback to the rules on real
sockets (a refused port, a server that accepts and never answers, HTTP 500, text that is not JSON, a
well-formed answer that states no usable plan); and, skipped without llama-cpp-python's server
extra, a REAL `python -m llama_cpp.server` on the GGUF export of checkpoints/tiny-sft, asked with the
schema: the tiny model was never trained to read requests, so the test asserts the protocol, the
schema and the conversion or a clean fallback, not that the plan is right.
"""

from __future__ import annotations

import http.server
import json
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from conftest import llama_cpp_server
from diagram.grammar import LABEL_MAX_CHARS
from diagram.plan import MAX_LAYER_SIZE, MAX_PLAN_NODES, read_plan_line
from diagram.plan_json import (PLAN_SCHEMA, PlanJsonError, plan_from_json, plan_from_text, plan_to_json)
from diagram.reader import read_request
from trainer.generation.http_reader import RULES, Reading, ServedReader, examples, response_format
from testing.ports import free_port


def _value(kind: str, **fields) -> dict:
    return {"kind": kind, "layers": [], "blocks": [], "steps": [], "edges": [], **fields}


def _edge(a: str, b: str, label: str = "") -> dict:
    return {"from": a, "to": b, "label": label}


# ---- JSON <-> Plan -----------------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "# layers 3-5-2",
    "# layers 784-128-64-10",  # wide layers kept at their true size, drawn as schematics
    "# layers Input 28x28 > Conv 3x3, 32 > MaxPool 2x2 > Flatten > Dense 10",
    "# steps: Loader > Embedder, BM25 > LLM; loop LLM > Loader",
    "# steps: Start > Read x > X big? > Print x, Halve x; loop Halve x > X big?",
])
def test_every_plan_kind_goes_to_json_and_back(line):
    plan = read_plan_line(line)
    value = plan_to_json(plan)
    assert set(value) == set(PLAN_SCHEMA["required"]) and value["kind"] == plan.kind
    assert plan_from_json(json.loads(json.dumps(value))) == plan
    assert plan_from_json(value).line() == line


def test_nothing_reads_as_none_and_none_writes_nothing():
    assert plan_to_json(None) == _value("nothing")
    assert plan_from_json(_value("nothing")) is None
    assert plan_from_text(json.dumps(_value("nothing"))) is None


def test_a_wide_dense_net_keeps_its_true_sizes():
    plan = plan_from_json(_value("dense", layers=[784, 128, 10]))
    assert plan.sizes == (784, 128, 10) and plan.line() == "# layers 784-128-10"
    assert max(plan.drawn_sizes) <= 12  # drawn as schematics


def test_steps_with_edges_are_layered_with_decisions_branches_joins_and_loops():
    value = _value("steps", steps=["Start", "Check stock", "Ship", "Reorder", "Invoice"], edges=[
        _edge("Start", "check stock"),  # case aside, a listed step
        _edge("Check stock", "Ship", "yes"), _edge("Check stock", "Reorder", "no"),
        _edge("Ship", "Invoice"), _edge("Reorder", "Invoice"),
        _edge("Invoice", "Start"),  # back to an earlier step: a loop
    ])
    plan = plan_from_json(value)
    assert plan.line() == "# steps: Start > Check stock? > Ship, Reorder > Invoice; loop Invoice > Start"


def test_steps_listed_out_of_order_are_ranked_by_their_edges():
    plan = plan_from_json(_value("steps", steps=["End", "Begin", "Middle"],
                                 edges=[_edge("Begin", "Middle"), _edge("Middle", "End")]))
    assert plan.line() == "# steps: Begin > Middle > End" and not plan.loops


def test_steps_without_edges_are_one_chain_in_order():
    assert plan_from_json(_value("steps", steps=["Extract", "Transform", "Load"])).line() == \
        "# steps: Extract > Transform > Load"


def test_labels_are_cleaned_to_the_grammar():
    plan = plan_from_json(_value("steps", steps=["it's \\ a\x07 step, really; x > 3", "B" * 80]))
    first, second = plan.labels
    assert "'" not in first and "\\" not in first and "\x07" not in first
    assert "," not in first and ";" not in first and ">" not in first and "\uff1e" in first
    assert len(second) == LABEL_MAX_CHARS
    chain = plan_from_json(_value("chain", blocks=["Conv 3x3 > 32", "Dense 'x'"]))
    assert chain.labels == ("Conv 3x3 \uff1e 32", "Dense x")
    assert read_plan_line(chain.line()) == chain  # the plan line reads back


@pytest.mark.parametrize("value, problem", [
    ([1, 2], "not a JSON object"),
    (_value("tree"), "kind must be"),
    ({**_value("dense", layers=[3, 2]), "extra": 1}, "unknown fields"),
    (_value("dense", layers="3-2"), "must be a list"),
    (_value("dense", layers=[3, 2.5]), "whole numbers"),
    (_value("dense", layers=[3, True]), "whole numbers"),
    (_value("dense", layers=[3]), "2 to"),
    (_value("dense", layers=[3, MAX_LAYER_SIZE + 1]), "1 to"),
    (_value("dense", layers=[2] * 21), "at most"),
    (_value("dense", layers=[12] * 20), "too big to draw"),  # 60 drawn nodes even as schematics
    (_value("chain", blocks=["Conv"]), "at least two"),
    (_value("chain", blocks=["Conv", ""]), "non-empty"),
    (_value("steps", steps=["A"]), "at least two"),
    (_value("steps", steps=["A", "a"]), "named twice"),
    (_value("steps", steps=["A", "B"], edges=[_edge("A", "C")]), "not listed: 'C'"),
    (_value("steps", steps=["A", "B"], edges=[_edge("A", "B", "maybe")]), "label is one of"),
    (_value("steps", steps=["A", "B"], edges=[{"from": "A"}]), "an edge is"),
    (_value("steps", steps=["Root"] + [f"Leaf {i}" for i in range(13)],
            edges=[_edge("Root", f"Leaf {i}") for i in range(13)]), "too big to draw"),  # 13 in a rank
    (_value("steps", steps=[f"S{i}" for i in range(MAX_PLAN_NODES + 1)]), "at most"),
])
def test_answers_that_do_not_conform_or_do_not_fit_are_refused(value, problem):
    with pytest.raises(PlanJsonError, match=problem):
        plan_from_json(value)


@pytest.mark.parametrize("text", ["", "{", "the plan is 3-2", "[" * 100_000, "x" * 30_000])
def test_bad_json_is_refused(text):
    with pytest.raises(PlanJsonError):
        plan_from_text(text)


def test_raw_control_characters_in_strings_are_taken_and_cleaned():
    # llama.cpp's schema grammar lets a model write a raw newline inside a string
    text = '{"kind": "chain", "layers": [], "blocks": ["Conv\n3x3", "Dense\t10"], "steps": [], "edges": []}'
    assert "\n" in text  # a raw newline, not the escape
    plan = plan_from_text(text)
    assert plan.labels == ("Conv 3x3", "Dense 10")


def test_the_examples_conform_to_the_schema_and_are_not_benchmark_rows():
    from pathlib import Path

    corpora = "\n".join(p.read_text(errors="replace") for p in Path("benchmarks/outside").glob("*.txt")
                        if not p.name.startswith("raw5"))  # (raw5-* is blind: never opened here)
    for request, answer in examples():
        assert plan_from_text(answer) is not None
        assert request[:40] not in corpora
    assert response_format("json_object") == {"type": "json_object", "schema": PLAN_SCHEMA}
    assert response_format("json_schema")["json_schema"]["schema"] == PLAN_SCHEMA


# ---- fallback to the rules on real sockets ------------------------------------------------------

REQUEST = "DL model with 3 input nodes, 4 hidden nodes and 2 outputs"


@contextmanager
def _http_server(answer):
    """A real HTTP server on a loopback port; `answer(path, body) -> (status, bytes)`. Yields (url, asked)."""
    asked: list[tuple[str, dict | None]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self, body):
            asked.append((self.path, body))
            status, data = answer(self.path, body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._reply(None)

        def do_POST(self):  # noqa: N802
            self._reply(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", asked
    finally:
        server.shutdown()
        server.server_close()


def _models(owner: str = "vllm") -> bytes:
    return json.dumps({"data": [{"id": "reader-7b", "owned_by": owner}]}).encode()


def _chat(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()


def _served(content: str, owner: str = "vllm"):
    return lambda path, body: (200, _models(owner)) if path.endswith("/models") else (200, _chat(content))


def test_a_conforming_answer_is_the_plan_and_says_who_read_it():
    answer = json.dumps(_value("chain", blocks=["Input 32x32", "Conv 3x3, 16", "MaxPool 2x2", "Dense 10"]))
    with _http_server(_served(answer)) as (url, asked):
        reader = ServedReader(url, timeout=5)
        reading = reader.read("a small CNN")
        assert reading.served and reading.why == "" and reading.by == f"reader-7b at {url}"
        assert reading.plan.line() == "# layers Input 32x32 > Conv 3x3, 16 > MaxPool 2x2 > Dense 10"
        assert reading.note() == f"read by reader-7b at {url}"
        assert reader("a small CNN") == reading.plan  # callable as read_request; cached: not asked again
        assert [path for path, _ in asked] == ["/v1/models", "/v1/chat/completions"]
        body = asked[1][1]
        assert body["model"] == "reader-7b" and body["temperature"] == 0
        assert body["response_format"] == response_format("json_schema")  # vLLM: OpenAI's form
        assert body["messages"][0]["role"] == "system" and body["messages"][-1] == \
            {"role": "user", "content": "a small CNN"}


def test_llama_cpp_python_is_asked_in_its_own_form():
    answer = json.dumps(_value("dense", layers=[3, 4, 2]))
    with _http_server(_served(answer, owner="me")) as (url, asked):
        reading = ServedReader(url, model="reader-7b").read(REQUEST)
        assert reading.served and reading.plan.line() == "# layers 3-4-2"
        assert asked[-1][1]["response_format"] == {"type": "json_object", "schema": PLAN_SCHEMA}


def test_a_refused_port_falls_back_to_the_rules():
    reader = ServedReader(f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    started = time.monotonic()
    reading = reader.read(REQUEST)
    assert time.monotonic() - started < 5
    assert reading.by == RULES and reading.plan == read_request(REQUEST)
    assert "could not be reached" in reading.why
    assert reading.note().startswith("read by the rules: the served reader could not be reached")


def test_a_server_that_never_answers_is_given_up_on_at_the_timeout():
    with socket.socket() as listener:  # accepts connections (the kernel's backlog) and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        reader = ServedReader(url, model="m", timeout=1.5)
        started = time.monotonic()
        reading = reader.read(REQUEST)
        took = time.monotonic() - started
        assert 1.4 <= took < 1.5 + 1.0, took
        assert reading.by == RULES and reading.why == "the served reader timed out after 1.5 s"
        assert reading.plan == read_request(REQUEST)
        started = time.monotonic()
        assert reader.read(REQUEST) is reading and time.monotonic() - started < 0.1  # cached: not asked again


def test_a_server_that_trickles_its_answer_is_given_up_on_at_the_timeout():
    def trickle(path, body):
        time.sleep(3)
        return 200, _chat(json.dumps(_value("dense", layers=[3, 2])))

    with _http_server(trickle) as (url, _):
        started = time.monotonic()
        reading = ServedReader(url, model="m", timeout=1).read(REQUEST)
        assert time.monotonic() - started < 2 and "timed out after 1 s" in reading.why


@pytest.mark.parametrize("answer, why", [
    (lambda path, body: (500, b'{"error": "out of memory"}'), "HTTP 500"),
    (lambda path, body: (200, b"<html>gateway</html>"), "not JSON"),
    (_served("the plan is 3-4-2"), "unusable: the answer is not JSON"),
    (_served(json.dumps(_value("dense", layers=[3, 2.5]))), "unusable: layer sizes are whole numbers"),
    (_served(json.dumps(_value("steps", steps=[f"S{i}" for i in range(14)],
                               edges=[_edge("S0", f"S{i}") for i in range(1, 14)]))), "too big to draw"),
    (_served(json.dumps(_value("nothing"))), "read nothing to draw"),
    (lambda path, body: (200, b'{"choices": []}'), "sent no answer"),
])
def test_errors_and_unusable_answers_fall_back_to_the_rules(answer, why):
    with _http_server(answer) as (url, _):
        reading = ServedReader(url, model="m", timeout=5).read(REQUEST)
        assert reading.by == RULES and why in reading.why, reading.why
        assert reading.plan is not None and reading.plan == read_request(REQUEST)


def test_a_slow_or_unreachable_reading_is_asked_again_later_and_the_cache_is_bounded():
    port = free_port()
    reader = ServedReader(f"http://127.0.0.1:{port}/v1", model="m", style="json_schema", timeout=2, retry_s=0,
                          cache_size=2)
    assert reader.read(REQUEST).by == RULES
    answer = json.dumps(_value("dense", layers=[3, 4, 2]))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), type("H", (http.server.BaseHTTPRequestHandler,), {
        "do_POST": lambda self: (self.rfile.read(int(self.headers["Content-Length"])), self.send_response(200),
                                 self.send_header("Content-Length", str(len(_chat(answer)))), self.end_headers(),
                                 self.wfile.write(_chat(answer))),
        "log_message": lambda self, *a: None}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert reader.read(REQUEST).served  # the server is up now: asked again
        for text in ("a", "b", "c"):
            reader.read(text)
        assert len(reader._cache) == 2
    finally:
        server.shutdown()
        server.server_close()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="URL"):
        ServedReader("localhost:8000")
    with pytest.raises(ValueError, match="timeout"):
        ServedReader("http://127.0.0.1:1/v1", timeout=0)
    assert Reading(None, RULES, "x").note() == "read by the rules: x"


# ---- plumbing: the flags, the labeler's plan box, the in-process generator, eval ------------------

def test_the_flags_make_one_served_reader_and_none_without_them():
    import argparse

    from trainer.generation.sources import add_source_arguments, reader_from_args

    parser = argparse.ArgumentParser()
    add_source_arguments(parser)
    assert reader_from_args(parser.parse_args([])) is None  # the rules: no behaviour change
    reader = reader_from_args(parser.parse_args(["--reader-url", "http://127.0.0.1:9/v1", "--reader-model", "r",
                                                 "--reader-timeout", "2.5"]))
    assert isinstance(reader, ServedReader) and (reader.url, reader.model, reader.timeout) == \
        ("http://127.0.0.1:9/v1", "r", 2.5)


def test_the_plan_box_says_who_read_the_request():
    from labeler.label_views import plan_box

    answer = json.dumps(_value("steps", steps=["Ingest", "Score", "Alert"]))
    with _http_server(_served(answer)) as (url, asked):
        reader = ServedReader(url, timeout=5)
        line, note = plan_box("watch the logs and page someone when it looks bad", reader)
        assert line == "# steps: Ingest > Score > Alert"
        assert f"read by reader-7b at {url}" in note
        from labeler.label_session import describe_reading
        from labeler.playground import plan_to_draw

        assert describe_reading("watch the logs and page someone when it looks bad", reader) == \
            "reads 3 steps, 2 links"
        assert plan_to_draw("watch the logs and page someone when it looks bad", line, reader) is None  # as read
        assert len(asked) == 2  # /models and one chat: the box, the reading and the Playground share it
    line, note = plan_box(REQUEST, None)
    assert line == read_request(REQUEST).line() and "read by" not in note


def test_while_typing_the_plan_box_never_asks_and_leaving_it_asks_once():
    """Every pause in typing is a change of the request box: with a served reader the box shows the
    rules' reading then (never asking the server), and asks once the person leaves the box; a Draw
    clicked while the box still shows the provisional reading draws the served one."""
    from labeler.label_views import WHILE_TYPING, drawn_line, plan_box

    typed = "watch the logs and page someone when it looks bad"
    answer = json.dumps(_value("steps", steps=["Ingest", "Score", "Alert"]))
    with _http_server(_served(answer)) as (url, asked):
        reader = ServedReader(url, timeout=5)
        for prefix in (REQUEST[:12], REQUEST[:30], REQUEST):
            line, note = plan_box(prefix, reader, ask=False)
            assert WHILE_TYPING in note and not asked
        assert line == read_request(REQUEST).line()  # the rules' reading, shown at once
        served_line, served_note = plan_box(typed, reader)  # the box is left: asked
        assert served_line == "# steps: Ingest > Score > Alert" and len(asked) == 2
        assert plan_box(typed, reader, ask=False) == (served_line, served_note)  # read: shown, not asked again
        assert len(asked) == 2
        assert reader.known(typed).served and reader.known("never typed") is None
    provisional, note = plan_box(REQUEST, reader, ask=False)
    assert drawn_line(REQUEST, provisional, note, reader) == ""  # not the person's: the served reading is drawn
    assert drawn_line(REQUEST, "# layers 3-9-2", note, reader) == "# layers 3-9-2"  # edited: kept
    assert drawn_line(REQUEST, provisional, "Read as 3-4-2 (read by the rules)", reader) == provisional
    assert drawn_line(REQUEST, provisional, note, None) == provisional  # the rules alone: the line is the reading


def test_the_plan_box_never_waits_longer_than_the_timeout():
    from labeler.label_views import plan_box

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        reader = ServedReader(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", model="m", timeout=1)
        started = time.monotonic()
        line, note = plan_box(REQUEST, reader)
        assert time.monotonic() - started < 2.0
        assert line == read_request(REQUEST).line()
        assert "read by the rules: the served reader timed out after 1 s" in note


def test_coverage_counts_with_the_served_readings_already_made_and_never_asks():
    from labeler.coverage import request_kind

    reader = ServedReader(f"http://127.0.0.1:{free_port()}/v1", model="m", style="json_schema")
    answer = json.dumps(_value("chain", blocks=["Conv 3x3, 8", "Dense 2"]))
    assert request_kind("draw something nice", reader.peek) == "unread"  # not read yet: the rules'
    with _http_server(_served(answer)) as (url, asked):
        served = ServedReader(url, model="reader-7b", style="json_schema")
        served.read("draw something nice")
        assert request_kind("draw something nice", served.peek) == "cnn" and len(asked) == 1


def test_the_in_process_generator_draws_the_served_plan(default_checkpoint):
    pytest.importorskip("torch")
    from diagram import build_prompt
    from trainer.generation.sources import open_source

    request = "an assistant that answers from the handbook"  # the rules read no structure here
    answer = json.dumps(_value("steps", steps=["Question", "Retriever", "LLM", "Answer"]))
    with _http_server(_served(answer)) as (url, asked):
        reader = ServedReader(url, timeout=10)
        generator = open_source(default_checkpoint, device="cpu", reader=reader)
        cands = generator.generate(build_prompt(request), k=2, seed=0)
        assert all(c.text.startswith("# steps: Question > Retriever > LLM > Answer\n") for c in cands)
        assert sum(path.endswith("/chat/completions") for path, _ in asked) == 1
    rules = open_source(default_checkpoint, device="cpu")
    assert rules.reader is read_request


def _cli(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    import os

    from conftest import REPO_ROOT

    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "diagramlab", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_eval_reads_with_the_served_reader(tmp_path, default_checkpoint):
    prompts = tmp_path / "requests.txt"
    prompts.write_text("an assistant that answers from the handbook\nsort the mail\n")
    answer = json.dumps(_value("steps", steps=["Question", "Retriever", "LLM", "Answer"]))
    with _http_server(_served(answer)) as (url, asked):
        report = tmp_path / "eval.json"
        done = _cli(["eval", "--checkpoint", str(default_checkpoint), "--prompts-file", str(prompts), "-k", "2",
                     "--reader-url", url, "--reader-timeout", "20", "--json", str(report)])
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(report.read_text())["reader"] == f"reader-7b at {url}"
        chats = [body for path, body in asked if path.endswith("/chat/completions")]
        assert [b["messages"][-1]["content"] for b in chats] == ["an assistant that answers from the handbook",
                                                                "sort the mail"]


# ---- against a real llama-cpp-python server -------------------------------------------------------

@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on tiny-sft's GGUF export (chatml: the tiny
    tokenizer has no chat template): its URL."""
    yield from llama_cpp_server(tmp_path_factory.mktemp("reader-server"), "--chat_format", "chatml",
                                "--n_ctx", "2048")


REAL_REQUESTS = ["MLP with 3 inputs, hidden layers of 5 and 4, and 2 outputs",
                 "ETL: extract from Postgres, transform with Spark, load into BigQuery"]


def test_a_real_server_is_asked_with_the_schema_and_answers_to_it(llama_server):
    import urllib.request

    reader = ServedReader(llama_server, timeout=120)
    for request in REAL_REQUESTS:
        reading = reader.read(request)
        assert reader.model == "tiny-sft" and reader.style == "json_object"  # llama-cpp-python: its own form
        # a Plan from the served model, or a clean fallback to the rules that says why
        assert reading.served or (reading.by == RULES and reading.why), reading
        if reading.served:
            assert reading.plan is not None
        else:
            assert reading.plan == read_request(request)
    # the server constrains the answer: what it writes (greedy, to its end) is JSON of the schema
    body = reader.request_body(REAL_REQUESTS[0])
    request = urllib.request.Request(llama_server + "/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        answer = json.loads(response.read())
    choice = answer["choices"][0]
    assert choice["finish_reason"] == "stop", choice
    value = json.loads(choice["message"]["content"], strict=False)  # (raw newlines in strings: see plan_from_text)
    assert set(value) == set(PLAN_SCHEMA["required"]) and value["kind"] in PLAN_SCHEMA["properties"]["kind"]["enum"]
    for field in ("layers", "blocks", "steps", "edges"):
        assert isinstance(value[field], list) and len(value[field]) <= PLAN_SCHEMA["properties"][field]["maxItems"]
    assert all(isinstance(n, int) for n in value["layers"])
    assert all(isinstance(s, str) and len(s) <= LABEL_MAX_CHARS for s in value["blocks"] + value["steps"])
    try:  # conforming JSON; its plan may still be refused (llama-cpp-python's grammar ignores "minimum")
        plan_from_json(value)
    except PlanJsonError as exc:
        assert reader.read(REAL_REQUESTS[0]).why == f"the served model's answer was unusable: {exc}"


@pytest.mark.slow
def test_eval_reads_with_a_real_served_reader(llama_server, tmp_path, default_checkpoint):
    prompts = tmp_path / "requests.txt"
    prompts.write_text(REAL_REQUESTS[0] + "\n")
    report = tmp_path / "eval.json"
    done = _cli(["eval", "--checkpoint", str(default_checkpoint), "--prompts-file", str(prompts), "-k", "2",
                 "--reader-url", llama_server, "--reader-timeout", "120", "--json", str(report)])
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["reader"] == f"tiny-sft at {llama_server}" and data["n_candidates"] == 2


def test_with_a_served_reader_both_request_boxes_ask_on_leaving_and_without_one_never(tmp_path):
    """The wiring of the two plan boxes (Label tab, Playground): typing (change) reads without asking;
    a blur event, only with --reader-url, asks."""
    from labeler.app import build_app
    from testing.fakes import make_context

    def triggers(ctx) -> dict[str, set[str]]:
        demo = build_app(ctx, prefetch=False)
        ids = {block._id: getattr(block, "elem_id", None) for block in demo.blocks.values()}
        found: dict[str, set[str]] = {}
        for fn in demo.fns.values():
            for block_id, event in fn.targets:
                found.setdefault(ids.get(block_id) or "", set()).add(event)
        return found

    ctx = make_context(tmp_path / "rules")
    try:
        plain = triggers(ctx)
    finally:
        ctx.close()
    ctx = make_context(tmp_path / "served")
    ctx.reader = ServedReader(f"http://127.0.0.1:{free_port()}/v1", model="m")
    try:
        served = triggers(ctx)
    finally:
        ctx.close()
    boxes = sorted(elem for elem, events in served.items() if "blur" in events)
    assert boxes == ["custom-prompt", "pg-request"] and all("change" in served[elem] for elem in boxes)
    assert not any("blur" in plain.get(elem, set()) for elem in boxes)


def test_card_badges_compare_with_the_served_reading_the_candidates_were_drawn_to():
    """With --reader-url the candidates are drawn to the served plan; the card badge ("asks N steps")
    compares with that plan too (the reading already made: the badge never asks the server)."""
    from labeler import label_page as P
    from labeler import labeling as L

    typed = "watch the logs and page someone when it looks bad"
    assert read_request(typed) is None  # the rules read nothing: the badge would ask for nothing
    answer = json.dumps(_value("steps", steps=["Ingest", "Score", "Alert"]))
    with _http_server(_served(answer)) as (url, asked):
        reader = ServedReader(url, timeout=5)
        reader.read(typed)
        text = "\n".join(f"[{i}, {100 + 300 * i}, 300, 'rectangle', 120, 60, 'solid arrow', (0, 0, 255), "
                         f"(0, 0, 0), [{i + 1}], '{name}']".replace("[3]", "[]")
                         for i, name in enumerate(("Ingest", "Score", "Alert")))
        cand = L.ShownCandidate(candidate_id="g-0", index=0, text=text, ok=True, problems=(), stopped_on_eos=True)
        state = L.LabelState(session="s", request=typed, plan_line="", candidates=(cand,))
        served_caption = P.CardTexts(read=reader.peek).get(state, 0)[0]
        rules_caption = P.CardTexts().get(state, 0)[0]
        assert len(asked) == 2  # /models and the one chat: the badges asked nothing
    assert "asks 3 steps" in served_caption and "draws 3 steps" in served_caption and "✓" in served_caption
    assert "asks" not in rules_caption
