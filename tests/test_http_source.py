"""Candidates from a real OpenAI-compatible server: llama-cpp-python's server on a GGUF export of tiny-sft.

The test starts `python -m llama_cpp.server` (the `server` extra) as a subprocess on a free
loopback port, on `trainer.generation.gguf_export` of checkpoints/tiny-sft, and talks to it through
`HttpCandidateSource`, `diagramlab eval --generator-url` and `diagramlab bootstrap
--generator-url`: no hand-written fake of the protocol. Skipped when llama_cpp or gguf is missing.
The GBNF translation and the GGUF layout are also checked without a server.
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEFAULT_CHECKPOINT, REPO_ROOT, llama_cpp_server
from diagram import build_prompt
from diagram.grammar import ANSWER_REGEX
from trainer.generation.gbnf import answer_gbnf, regex_to_gbnf
from trainer.generation.http_source import GRAMMAR_STYLES, grammar_fields
from testing.ports import free_port

REQUESTS = ["DL model with 3 input nodes, 4 hidden nodes and 2 outputs",
            "flowchart: load data -> clean -> train -> report"]


@pytest.mark.parametrize("regex, gbnf", [
    (r"ab", 'root ::= "ab"'),
    (r"ab?", 'root ::= "a" "b"?'),  # a regex quantifier binds one character, GBNF's a whole string
    (r"\[(0|[1-9][0-9]{0,2})\]", 'root ::= "[" ("0" | [1-9] [0-9]{0,2}) "]"'),
    (r"'[^'\\\x00-\x1f]{1,4}'", r"""root ::= "'" [^'\\\x00-\x1f]{1,4} "'" """.strip()),
    (r"x\n?", r'root ::= "x" "\n"?'),
    (r'say "hi"', r'root ::= "say \"hi\""'),
])
def test_regex_to_gbnf(regex, gbnf):
    assert regex_to_gbnf(regex) == gbnf


@pytest.mark.parametrize("regex", [r"a.b", r"^ab$", r"\d+"])
def test_regex_to_gbnf_refuses_what_it_cannot_translate(regex):
    with pytest.raises(ValueError, match="unsupported"):
        regex_to_gbnf(regex)


def test_grammar_fields_per_server_kind():
    assert grammar_fields("structured_outputs") == {"structured_outputs": {"regex": ANSWER_REGEX}}
    assert grammar_fields("guided_regex") == {"guided_regex": ANSWER_REGEX}
    assert grammar_fields("regex") == {"regex": ANSWER_REGEX}
    assert grammar_fields("gbnf") == {"grammar": answer_gbnf()}
    assert grammar_fields("none") == {} and "auto" in GRAMMAR_STYLES


def test_gguf_export_maps_and_permutes_the_llama_tensors(tmp_path, default_checkpoint):
    gguf = pytest.importorskip("gguf")
    from safetensors.numpy import load_file

    from trainer.generation.gguf_export import export_gguf, permute

    out = export_gguf(default_checkpoint, tmp_path / "tiny.gguf")
    reader = gguf.GGUFReader(str(out))
    tensors = {t.name: t for t in reader.tensors}
    config = json.loads((default_checkpoint / "config.json").read_text())
    layers = config["num_hidden_layers"]
    assert len(tensors) == 2 + 9 * layers  # tied output: token_embd serves as output
    hf = load_file(str(default_checkpoint / "model.safetensors"))
    q = hf["model.layers.0.self_attn.q_proj.weight"]
    got = np.asarray(tensors["blk.0.attn_q.weight"].data).reshape(q.shape)
    assert np.array_equal(got, permute(q, config["num_attention_heads"])) and not np.array_equal(got, q)
    assert np.array_equal(np.asarray(tensors["blk.0.attn_v.weight"].data).reshape(q.shape),
                          hf["model.layers.0.self_attn.v_proj.weight"])
    field = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(field.parts[i]).decode() for i in field.data]
    assert tokens[config["eos_token_id"]] == "<|EOT|>" and "### Question: " in tokens


# ---- against the real server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server on tiny-sft's GGUF export: its URL."""
    yield from llama_cpp_server(tmp_path_factory.mktemp("server"), "--n_ctx", "1024")


def test_server_candidates_follow_the_gbnf_grammar(server):
    from trainer.core.candidates import CandidateSource
    from trainer.generation.http_source import HttpCandidateSource

    from trainer.generation.gguf_export import long_tokens

    # llama-cpp-python drops the text of tokens over 32 bytes (trainer/generation/gguf_export.py): with the
    # checkpoint's tokenizer at hand the source bans them, so every text is what was sampled.
    source = HttpCandidateSource(server, checkpoint=DEFAULT_CHECKPOINT)
    assert len([t for t in long_tokens(DEFAULT_CHECKPOINT).values() if t.startswith(", (")]) == 4
    assert set(source.extra["logit_bias"]) == {str(i) for i in long_tokens(DEFAULT_CHECKPOINT)}
    assert isinstance(source, CandidateSource)
    assert (source.model, source.server, source.grammar_style) == ("tiny-sft", "llama-cpp-python", "gbnf")
    assert source.provenance == f"llama-cpp-python tiny-sft @ {server}"
    for request in REQUESTS:
        cands = source.generate(build_prompt(request), k=3, seed=0, max_new_tokens=400)
        assert [c.index for c in cands] == [0, 1, 2]  # the server ignores n: asked 3 times
        for cand in cands:
            assert cand.n_tokens > 0 and cand.seconds > 0
            if cand.stopped_on_eos:  # the grammar lets EOS through only after a whole line
                assert re.fullmatch(ANSWER_REGEX, cand.text + "\n") or re.fullmatch(ANSWER_REGEX, cand.text)
                assert cand.parse.ok, cand.parse.problems
    seeded = [c.text for c in source.generate(build_prompt(REQUESTS[0]), k=2, seed=7, max_new_tokens=400)]
    assert seeded == [c.text for c in source.generate(build_prompt(REQUESTS[0]), k=2, seed=7, max_new_tokens=400)]
    greedy = source.generate(build_prompt(REQUESTS[1]), k=2, temperature=0, max_new_tokens=400)
    assert greedy[0].text == greedy[1].text and greedy[0].text


def test_server_candidates_draw_the_structure_the_request_states(server):
    from diagram.plan import structure_regex
    from diagram.reader import read_request
    from trainer.generation.gbnf import regex_to_gbnf
    from trainer.generation.http_source import HttpCandidateSource
    from trainer.core.template import model_input

    source = HttpCandidateSource(server, checkpoint=DEFAULT_CHECKPOINT)
    assert source.read is True
    request = "DL model with 3 input nodes, 2 hidden nodes and 1 output"
    plan = read_request(request)
    assert plan.line() == "# layers 3-2-1"
    body = source.request_body(build_prompt(request), 2, 0.8, 0.95, 400, 0, True, source.plan(build_prompt(request)))
    assert body["prompt"] == model_input(build_prompt(request)) + plan.line()  # the model goes on from it
    assert body["grammar"] == regex_to_gbnf(structure_regex(plan))  # exactly this structure
    cands = source.generate(build_prompt(request), k=2, seed=1, max_new_tokens=600)
    assert all(c.text.startswith(plan.line() + "\n") for c in cands)
    finished = [c for c in cands if c.stopped_on_eos]
    assert finished, [c.text for c in cands]
    for cand in finished:  # 6 nodes, each layer linked to the next
        assert cand.parse.ok, cand.parse.problems
        assert [(n.id, sorted(n.targets)) for n in cand.parse.diagram.nodes] == \
            [(n.id, sorted(n.targets)) for n in plan.nodes()]
    plain = HttpCandidateSource(server, checkpoint=DEFAULT_CHECKPOINT, read=False)
    assert plain.plan(build_prompt(request)) is None
    unread = plain.request_body(build_prompt(request), 1, 0.8, 0.95, 400, 0, True, None)
    assert unread["prompt"] == model_input(build_prompt(request)) and unread["grammar"] == answer_gbnf()


def test_server_refuses_an_unknown_model_clearly(server):
    from trainer.generation.http_source import HttpCandidateSource, ServerError

    with pytest.raises(ServerError, match="does not serve 'orpo-7'"):
        HttpCandidateSource(server, checkpoint="checkpoints/orpo-7")
    with pytest.raises(ServerError, match="HTTP|refused|Errno"):
        HttpCandidateSource(f"http://127.0.0.1:{free_port()}/v1", model="x")


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "diagramlab", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_eval_and_bootstrap_take_candidates_from_the_server(server, tmp_path):
    report = tmp_path / "eval.json"
    done = _cli(["eval", "--generator-url", server, "--checkpoint", str(DEFAULT_CHECKPOINT), "-n", "2",
                 "-k", "2", "--json", str(report)])
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(report.read_text())
    assert data["checkpoint"] == f"{DEFAULT_CHECKPOINT} via llama-cpp-python tiny-sft @ {server}"
    assert data["n_candidates"] == 4

    pairs = tmp_path / "pairs.csv"
    done = _cli(["bootstrap", "--generator-url", server, "--generator-model", "tiny-sft",
                 "--checkpoint", str(DEFAULT_CHECKPOINT), "--data", str(pairs), "--n-dl", "1",
                 "--n-other", "1", "-k", "2"])
    assert done.returncode == 0, done.stderr[-2000:]
    from trainer.core.csv_store import PreferenceStore

    rows = PreferenceStore(pairs).load()
    assert len(rows) >= 1
    assert set(rows["model"]) == {f"{DEFAULT_CHECKPOINT} via llama-cpp-python tiny-sft @ {server}"}


def test_labeler_pairs_name_the_server(server, tmp_path):
    import argparse

    from functools import partial

    from testing.fakes import make_context
    from labeler import labeling as L
    from trainer.generation.sources import source_from_args

    args = argparse.Namespace(generator_url=server, generator_model="tiny-sft", generator_grammar="auto",
                              grammar=True, batch_generate=False)
    ctx = make_context(tmp_path, generator_factory=partial(source_from_args, args))  # as the app's
    try:
        state = L.next_prompt(ctx, L.LabelState(), random.Random(0))
        state = L.generate(ctx, state, L.Sampling(k=2, temperature=0.8, top_p=0.95, seed=1))
        assert state.model == f"tiny-sft via llama-cpp-python tiny-sft @ {server}"
        assert len(state.candidates) == 2
    finally:
        ctx.close()
