"""Evaluation: report arithmetic on scripted candidates, a real micro checkpoint, and the command."""

import argparse
import json

import pytest

from diagram import parse
from trainer.generation.evaluate import add_eval_arguments, evaluate, is_dl_model, load_rows, percentile, run_eval
from trainer.generation.generate import Candidate, Generator

from conftest import micro_pairs

GOOD = "[0, 100, 100, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]\n" \
       "[1, 300, 100, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
OTHER = "[0, 100, 100, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
BROKEN = "[0, 100, 100, 'circle', 40"
REPORT_KEYS = {"validity", "eos_stop_rate", "seed_score", "readability", "tokens_per_second",
               "seconds_per_prompt_p50", "seconds_per_prompt_p95", "n_candidates", "peak_rss_mb"}


class ScriptedGenerator:
    """Returns fixed texts; each batch 'takes' the given seconds."""

    def __init__(self, texts, seconds):
        self.texts, self.seconds, self.calls = texts, list(seconds), []

    def generate(self, prompt, k=4, seed=None, **sampling):
        self.calls.append((prompt, k, seed))
        seconds = self.seconds.pop(0)
        return [Candidate(i, t, parse(t), t != BROKEN, 10, seconds) for i, t in enumerate(self.texts[:k])]


def test_report_arithmetic():
    rows = [{"prompt": "p0", "reference": GOOD, "category": "other"},
            {"prompt": "p1", "reference": GOOD, "category": "other"}]
    gen = ScriptedGenerator([GOOD, OTHER, BROKEN, GOOD], seconds=[1.0, 3.0])
    report = evaluate(gen, rows, k=4, seed=10, progress=False)
    assert REPORT_KEYS <= report.keys()
    assert report["n_candidates"] == 8 and report["n_prompts"] == 2
    assert report["validity"] == pytest.approx(6 / 8)
    assert report["eos_stop_rate"] == pytest.approx(6 / 8)
    # per prompt: GOOD scores 1, OTHER (one node, key ()) against GOOD's keys {(0,), ()} scores 1/2, BROKEN 0.
    assert report["seed_score"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert report["seconds_per_prompt_p50"] == pytest.approx(2.0)
    assert report["tokens_per_second"] == pytest.approx(80 / 4.0)
    assert [c[2] for c in gen.calls] == [10, 11]  # reproducible per-prompt seeds


def test_without_references_seed_score_is_null():
    gen = ScriptedGenerator([GOOD, BROKEN], seconds=[0.5])
    report = evaluate(gen, [{"prompt": "p", "reference": None, "category": None}], k=2, progress=False)
    assert report["seed_score"] is None and report["validity"] == 0.5


@pytest.mark.parametrize(
    "values, q, expected",
    [([], 50, None), ([3.0], 95, 3.0), ([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([1.0, 2.0, 3.0], 100, 3.0)],
)
def test_percentile(values, q, expected):
    assert percentile(values, q) == expected


@pytest.mark.parametrize(
    "row, expected",
    [
        ({"category": "dl_model"}, True),
        ({"category": "other"}, False),
        ({"category": None, "dest_shape_info": '{"task_name": "dl_model"}'}, True),
        ({"category": None, "dest_shape_info": "{'task_name': 'flowchart'}"}, False),
        ({}, False),
    ],
)
def test_is_dl_model(row, expected):
    assert is_dl_model(row) is expected


def test_micro_checkpoint_reproduces_its_training_answers(micro_sft_checkpoint):
    rows = [{"prompt": p, "reference": a, "category": "other"} for p, a in micro_pairs()]
    report = evaluate(Generator(micro_sft_checkpoint, free_layout=True), rows, k=2, progress=False,
                      temperature=0)
    assert report["validity"] == 1.0 and report["eos_stop_rate"] == 1.0
    assert report["seed_score"] == 1.0 and 0 < report["readability"] <= 1


def test_load_rows_from_pool_split_and_free_text(tmp_path):
    rows = load_rows("heldout", None, "data/orpo_prompts.csv", n=5)
    assert len(rows) == 5 and all(r["reference"] and r["prompt"].startswith("Represent") for r in rows)
    requests = tmp_path / "requests.txt"
    requests.write_text("flowchart: start -> end\n\n  DL model with 2 inputs  \n")
    rows = load_rows(None, str(requests), "unused.csv", n=None)
    assert [r["reference"] for r in rows] == [None, None]
    assert "DL model with 2 inputs\n" in rows[1]["prompt"]


def test_eval_command_writes_json_and_markdown(micro_sft_checkpoint, tmp_path, capsys):
    requests = tmp_path / "requests.txt"
    requests.write_text("flowchart: start -> end\npipeline: read -> clean -> plot\n")
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    args = parser.parse_args(["--checkpoint", str(micro_sft_checkpoint), "--prompts-file", str(requests),
                              "-k", "2", "--json", str(tmp_path / "r" / "report.json")])
    assert run_eval(args) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert REPORT_KEYS <= report.keys()
    assert report["n_candidates"] == 4 and report["seed_score"] is None and report["split"] is None
    assert "| validity |" in capsys.readouterr().out
