"""Grammar-constrained decoding: the answer grammar accepts every canonical answer, rejects malformed
lines, and constrained sampling only writes parseable candidates."""

import re

import pandas as pd
import pytest

from diagram import Diagram, Node, build_prompt, dumps, parse
from diagram.grammar import ANSWER_REGEX, LABEL_MAX_CHARS
from trainer.generation.generate import Generator
from trainer.generation.grammar import AnswerGrammar
from trainer.generation.modeling import load_model

from conftest import micro_pairs

LINE = "[0, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]"
LINE2 = "[1, 500, 300, 'circle', 30, 30, 'solid line', (0, 0, 255), (0, 0, 0), []]"


def fullmatch(text: str) -> bool:
    return re.fullmatch(ANSWER_REGEX, text) is not None


@pytest.mark.parametrize("text", [
    LINE,
    LINE + "\n" + LINE2,
    LINE + "\n" + LINE2 + "\n",  # one trailing newline
    LINE2[:-1] + ", 'Vector DB'" + "]",  # 11th field: a label
    LINE2[:-1] + ", 'Ü (LLM) \"x\" 1-2'" + "]",
    LINE2[:-1] + ", '" + "a" * LABEL_MAX_CHARS + "'" + "]",
    "# layers 3-5-2\n" + LINE,
    "# steps: loader, splitter, embedder\n" + LINE + "\n" + LINE2,
    "[999, 1000, 600, 'rectangle', 1000, 600, 'dashed line', (255, 255, 255), (0, 0, 0), [0, 1, 999]]",
    "[0, 0, 0, 'circle', 1, 1, 'solid line', (0, 0, 0), (0, 0, 0), []]",
])
def test_grammar_accepts(text):
    assert fullmatch(text)
    assert parse(text).ok


@pytest.mark.parametrize("text, why", [
    ("", "no node"),
    ("# layers 3-5-2", "a plan line alone"),
    ("# plan\n# plan\n" + LINE, "two plan lines"),
    (LINE + "\n# plan", "a plan line after the nodes"),
    (LINE.replace("62", "1001"), "x over 1000"),
    (LINE.replace("300,", "601,", 1), "y over 600"),
    (LINE.replace("[0,", "[-1,"), "negative id"),
    (LINE.replace("[0,", "[01,"), "leading zero"),
    (LINE.replace("62", "62.5"), "a float"),
    (LINE.replace("224, 224, 240", "224, 256, 240"), "channel over 255"),
    (LINE.replace("224, 224, 240", "224, 224"), "two channels"),
    (LINE.replace("round rectangle", "hexagon"), "unknown shape"),
    (LINE.replace("solid arrow", "dotted line"), "unknown line shape"),
    (LINE.replace("'round rectangle'", '"round rectangle"'), "double quotes"),
    (LINE.replace(", [1]]", "]"), "nine fields"),
    (LINE.replace("[1]]", "[1, ]]"), "dangling comma in targets"),
    (LINE.replace(", 40, 40,", ",40, 40,"), "non-canonical spacing"),
    (LINE.replace(", 40, 40,", ", 0, 40,"), "zero width"),
    (LINE[:-1] + ", '']", "empty label"),
    (LINE[:-1] + ", '" + "a" * (LABEL_MAX_CHARS + 1) + "']", "label over 40 characters"),
    (LINE[:-1] + ", 'it\\'s']", "escaped quote in a label"),
    (LINE[:-1] + ", 'a', 'b']", "twelve fields"),
    (LINE + "\n\n" + LINE2, "blank line between nodes"),
    (LINE[:-1], "unclosed line"),
    ("Here is the diagram:\n" + LINE, "prose before the nodes"),
])
def test_grammar_rejects(text, why):
    assert not fullmatch(text), why


def test_grammar_accepts_every_training_answer_and_labelled_dumps():
    answers = list(pd.read_csv("data/sft_dataset_llm.csv")["output_data"])
    assert all(fullmatch(a) for a in answers)
    labelled = Diagram((Node(0, 100, 200, "circle", 40, 40, "solid arrow", (1, 2, 3), (4, 5, 6), (1,), "Input 1"),
                        Node(1, 300.0, 200, "rectangle", 80, 40, "dashed line", (9, 9, 9), (0, 0, 0), (), "Vector DB")))
    assert fullmatch(dumps(labelled))


@pytest.fixture(scope="module")
def tiny(default_checkpoint):
    model, tokenizer = load_model(default_checkpoint)
    return AnswerGrammar(tokenizer, vocab_size=model.config.vocab_size), tokenizer


def test_tokens_of_every_training_answer_pass_the_compiled_grammar(tiny):
    grammar, tokenizer = tiny
    answers = list(pd.read_csv("data/sft_dataset_llm.csv")["output_data"])
    rejected = [a for a in answers if not grammar.accepts(a, tokenizer)]
    assert rejected == []
    assert grammar.accepts("# layers 3-5-2\n" + LINE + "\n" + LINE2[:-1] + ", 'Hidden 1']", tokenizer)


@pytest.mark.parametrize("text", [LINE[:-1], LINE.replace("62", "1001"), "# plan only"])
def test_compiled_grammar_refuses_eos_or_tokens_outside_the_format(tiny, text):
    grammar, tokenizer = tiny
    assert not grammar.accepts(text, tokenizer)


def test_constrained_sampling_from_an_untrained_model_only_writes_the_format(micro_model_dir):
    """A random model writes garbage freely; with the grammar every finished candidate parses."""
    gen = Generator(micro_model_dir, free_layout=True)
    prompt = build_prompt("DL model with 2 inputs and 1 output")
    free = gen.generate(prompt, k=4, temperature=1.0, seed=0, max_new_tokens=200, grammar=False, read=False)
    assert not any(c.parse.ok for c in free)
    cands = gen.generate(prompt, k=4, temperature=1.0, seed=0, max_new_tokens=200, read=False)
    for cand in cands:
        if cand.stopped_on_eos:
            assert fullmatch(cand.text) and not parse(cand.text).errors, cand.text
        else:  # cut at the token cap: still a prefix of the format
            assert re.fullmatch(ANSWER_REGEX, cand.text) or _is_prefix(cand.text), cand.text


def _is_prefix(text: str) -> bool:
    """Crude prefix check: every complete line matches, the last one is a beginning of a node line."""
    *complete, last = text.split("\n")
    return all(fullmatch(line) for line in complete if not line.startswith("# ")) and last[:1] in ("[", "#", "")


def test_grammar_keeps_micro_checkpoint_answers(micro_sft_checkpoint):
    gen = Generator(micro_sft_checkpoint, free_layout=True)
    for prompt, answer in micro_pairs()[:2]:
        (cand,) = gen.generate(prompt, k=1, temperature=0, read=False)
        assert cand.text == answer and cand.stopped_on_eos


@pytest.mark.slow
def test_every_candidate_of_the_default_checkpoint_parses_with_grammar_on(default_checkpoint):
    gen = Generator(default_checkpoint)
    requests = ["Could you draw a RAG pipeline: loader -> splitter -> embedder -> FAISS -> LLM?",
                "MLP 2-4-4-2 please", "ocr; then kafka; then a feature store"]
    cands = [c for i, r in enumerate(requests) for c in gen.generate(build_prompt(r), k=4, seed=i)]
    finished = [c for c in cands if c.stopped_on_eos]
    assert len(finished) >= len(cands) // 2  # stopping is the model's job, not the grammar's
    assert all(c.parse.ok and not c.parse.errors for c in finished), [c.text for c in finished]
    for cand in cands:  # a candidate cut at the token cap is a prefix: only its last line is broken
        assert all(p.line == cand.text.count("\n") + 1 for p in cand.parse.errors), cand.text


def test_a_plan_structure_from_an_untrained_model_ends_with_eos_after_its_last_node(micro_model_dir):
    """The plan's grammar is complete after the last node: the row may only write EOS then."""
    gen = Generator(micro_model_dir, free_layout=True)
    cands = gen.generate(build_prompt("DL model with 2 inputs and 1 output"), k=4, temperature=1.0, seed=0)
    for cand in cands:
        assert cand.text.startswith("# layers 2-1\n")
        if cand.stopped_on_eos:
            assert cand.parse.ok and len(cand.parse.diagram.nodes) == 3, cand.text
            assert cand.text.count("\n") <= 4  # plan line, an optional style line, 3 nodes
