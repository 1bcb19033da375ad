"""The synthetic generator: deterministic, well-defined references, valid rows, the data command."""

import ast
import itertools
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from diagram import build_prompt, extract_request, parse
from diagram.engine import LayoutEngine
from diagram.metrics import flow_direction, original_score, readability, tidy
from diagram.style import parse_style_line
from trainer.core.datasets_io import load_prompt_pool, load_sft_csv
from diagram.layouts import STEP_LABELS
from trainer.data import phrasing, structures
from trainer.data.synth import (MAX_ANSWER_CHARS, SFT_COLUMNS, iter_examples, make_example,
                           make_prompt_pool, make_sft_rows, normalize_request, plan_from_info)

DATA = Path(__file__).resolve().parent.parent / "data"


def diagramlab() -> list[str]:
    """The `diagramlab` command as a child process (the dispatcher its console script calls)."""
    return [sys.executable, "-m", "diagramlab"]


def assert_valid(answer: str, info_text: str) -> None:
    """A reference parses cleanly, scores 1.0 against itself and is laid out readably."""
    info = json.loads(info_text)
    assert ast.literal_eval(info_text) == info  # also a Python literal, like the original's
    result = parse(answer)
    assert result.problems == () and result.ok
    d = result.diagram
    assert original_score(d, d, dl_model=info["task_name"] == "dl_model") == 1.0
    r = readability(d)
    assert (r.overlaps, r.off_canvas) == (0, 0)
    assert tidy(d).ok
    style = parse_style_line(answer.splitlines()[0])  # the style line comes first, as stated
    assert style is not None and style.to_dict() == info["style"]
    assert flow_direction(d) == info["style"]["direction"]
    assert len(answer) <= MAX_ANSWER_CHARS


def test_rows_are_deterministic_per_seed():
    assert make_sft_rows(10, 15, seed=3) == make_sft_rows(10, 15, seed=3)
    assert make_sft_rows(10, 15, seed=3) != make_sft_rows(10, 15, seed=4)


def test_sft_rows_have_the_requested_mix_and_valid_answers():
    rows = make_sft_rows(40, 60, seed=5)
    assert len(rows) == 100 and all(tuple(r) == SFT_COLUMNS for r in rows)
    tasks = [json.loads(r["dest_shape_info"])["task_name"] for r in rows]
    assert tasks.count("dl_model") == 40 and tasks.count("flowchart") == 60
    assert len({r["input_data"] for r in rows}) == 100
    for row in rows:
        assert row["input_data"] == build_prompt(extract_request(row["input_data"]))
        assert_valid(row["output_data"], row["dest_shape_info"])


def _structure(info_text: str) -> dict:
    info = json.loads(info_text)
    info.pop("style")
    return info


@pytest.mark.slow  # over 4 s on an idle 2-core machine
def test_a_request_always_means_the_same_structure():
    # Styles vary freely, but the numbers/steps in a request must fix the reference's structure.
    by_request: dict[str, dict] = {}
    for ex in itertools.islice(iter_examples(seed=11, dl_fraction=0.5), 4000):
        seen = by_request.setdefault(ex.request, _structure(ex.dest_shape_info))
        assert _structure(ex.dest_shape_info) == seen, ex.request
    assert len(by_request) < 4000  # the check above really compared repeated requests


def test_dense_requests_name_every_layer_size():
    rng = random.Random(2)
    checked = 0
    for _ in range(300):
        ex = make_example(rng, "dl_model")
        info = json.loads(ex.dest_shape_info)
        if "hidden" not in info["shape_types"]:
            continue  # a CNN: its sizes are derived feature-map sides
        words = {w: str(i) for i, w in enumerate(phrasing.NUMBER_WORDS)}
        text = re.sub(r"[a-z]+", lambda m: words.get(m.group(), m.group()), ex.request.lower())
        numbers = iter(int(n) for n in re.findall(r"\d+", text))
        sizes = info["shape_sizes"]
        runs = [s for i, s in enumerate(sizes) if i in (0, len(sizes) - 1) or s != sizes[i - 1]]
        # in order; equal hidden layers may be named once ("three hidden layers with 6 nodes each")
        assert all(size in numbers for size in runs), ex.request
        checked += 1
    assert checked > 100


def test_a_merge_reads_like_picture_and_text_to_a_model_to_a_db():
    # the original templates: "process that reads a picture and text, passes them to a model and
    # stores it in a DB"
    rng = random.Random(0)
    for _ in range(20000):
        chart = structures.sample_flowchart(rng)
        if chart.steps == ("picture", "text", "model", "db") and \
                [len(r) for r in chart.ranks] == [2, 1, 1]:
            request = structures.flow_request(chart, rng)
            assert "picture and text" in request or "picture + text" in request
            assert "model" in request and "DB" in request
            return
    pytest.fail("the generator never produced picture+text -> model -> DB")


def test_flowchart_requests_name_every_step():
    nouns = {"numeric": "numeric", "text": "text", "picture": "picture", "db": "DB",
             "chart": "chart", "function": "function", "process": "process", "model": "model"}
    rng = random.Random(4)
    engine = LayoutEngine(method="grid")  # only the requests are checked: no graphviz needed
    for _ in range(400):
        ex = make_example(rng, "other", engine=engine)
        info = json.loads(ex.dest_shape_info)
        named = set(info["labels"]) - set(STEP_LABELS.values())
        for step, label in zip(info["shape_types"], info["labels"]):
            if not named:  # the original templates name step types
                assert nouns[step] in ex.request, (step, ex.request)
            else:
                spellings = (label, *phrasing.ALIASES.get(label, ()))
                assert any(s.lower() in ex.request.lower() for s in spellings), (label, ex.request)


def test_labels_are_on_by_default_and_fit_the_label_grammar():
    rng = random.Random(1)
    for category in ("other", "dl_model") * 100:
        ex = make_example(rng, category)
        nodes = parse(ex.answer).diagram.nodes
        assert all(n.label for n in nodes)
        assert all(1 <= len(n.label) <= 40 and not set("'\\\n") & set(n.label) for n in nodes)
        assert [n.label for n in nodes if n.label not in ("Input", "Output") and
                not n.label.startswith("Hidden")] or category == "dl_model"
    plain = make_example(random.Random(1), "other", labels=False)
    assert all(n.label is None for n in parse(plain.answer).diagram.nodes)


def test_dense_labels_name_layers():
    rng = random.Random(3)
    for _ in range(100):
        ex = make_example(rng, "dl_model")
        info = json.loads(ex.dest_shape_info)
        if "hidden" in info["shape_types"]:
            labels = [n.label for n in parse(ex.answer).diagram.nodes]
            expected = [lab for lab, size in zip(info["labels"], info["shape_sizes"]) for _ in range(size)]
            assert labels == expected and labels[0] == "Input" and labels[-1] == "Output"
            return
    pytest.fail("no dense net sampled")


def test_plan_line_summarises_the_structure_and_the_parser_skips_it():
    rng = random.Random(8)
    seen = set()
    engine = LayoutEngine(method="grid")  # plan lines and parsing are checked, not coordinates
    for category in ("dl_model", "other") * 150:
        ex = make_example(rng, category, engine=engine)
        info = json.loads(ex.dest_shape_info)
        plan = ex.plan
        assert plan.startswith("# ") and "\n" not in plan and "'" not in plan
        with_plan = parse(plan + "\n" + ex.answer)
        assert with_plan.problems == () and with_plan.diagram == parse(ex.answer).diagram
        if "hidden" in info["shape_types"]:
            assert plan == "# layers " + "-".join(map(str, info["shape_sizes"]))
            seen.add("dense")
        elif category == "other":
            assert plan.startswith("# steps: ") and all(lab in plan for lab in info["labels"])
            seen.add("loop" if "; loop " in plan else "flow")
    assert seen == {"dense", "flow", "loop"}
    assert plan_from_info(json.dumps({"task_name": "flowchart", "shape_types": ["db"],
                                      "shape_sizes": [1]})) == ""  # old rows without labels


@pytest.mark.slow  # over 4 s on an idle 2-core machine
def test_requests_cover_the_ways_people_ask():
    requests, long_chains, loops = [], 0, 0
    for ex in itertools.islice(iter_examples(seed=21, dl_fraction=0.4), 4000):
        requests.append(ex.request)
        info = json.loads(ex.dest_shape_info)
        if info["task_name"] == "flowchart":
            long_chains += len(info["labels"]) >= 8
            loops += any(a > b for a, b in info["edges"])
    text = "\n\n".join(requests)
    for needle in ("->", "\n- ", "\n* ", "\n1. ", "; ", "(", "feeds", "process that consists of first",
                   "as input", "as output", "input elements", "output size", "nodes each",
                   "hidden layers of", "Could you draw", "MLP", "CNN", "FC", "three", "FAISS",
                   "Kafka", "Retriever", "OCR", "LLM", "Feature store", "S3"):
        assert needle in text, needle
    assert re.search(r"\b\d+-\d+-\d+\b", text)
    assert long_chains > 50 and loops > 50
    vocabulary = {lab for ex in itertools.islice(iter_examples(seed=3, dl_fraction=0), 3000)
                  for lab in json.loads(ex.dest_shape_info)["labels"]}
    assert len(vocabulary) > 250  # flowcharts are built from named components, not a fixed list


def test_noise_is_only_added_when_asked_and_keeps_every_number():
    noisy_changed = 0
    for seed in range(300):  # the grid engine (no graphviz): each answer laid out afresh, quickly
        category = "dl_model" if seed % 2 else "other"
        clean = make_example(random.Random(seed), category, engine=LayoutEngine(method="grid"))
        noisy = make_example(random.Random(seed), category, noise=1.0, engine=LayoutEngine(method="grid"))
        assert clean.answer == noisy.answer
        assert re.findall(r"\d+", clean.request) == re.findall(r"\d+", noisy.request)
        noisy_changed += clean.request != noisy.request
    assert noisy_changed > 100
    rows = make_sft_rows(5, 5, seed=2)
    assert rows == make_sft_rows(5, 5, seed=2)  # files are clean and deterministic


def test_vocabulary_names_are_unique_labels():
    assert len(phrasing.ROLE_OF) >= 300
    for name, role in phrasing.ROLE_OF.items():
        assert role in STEP_LABELS and 1 <= len(name) <= 40 and not set("'\\\n,>;") & set(name)


def test_iter_examples_skips_excluded_requests():
    # the same seed gives the same stream: the excluded ones are its first 10, the rest follow
    first = [ex.request for ex in itertools.islice(iter_examples(seed=7), 50)]
    excluded = set(first[:10])
    rest = [ex.request for ex in itertools.islice(iter_examples(seed=7, exclude=excluded), 40)]
    assert not excluded & set(rest)
    gone = {normalize_request(r) for r in excluded}
    assert rest[:30] == [r for r in first if normalize_request(r) not in gone][:30]
    # case and whitespace do not matter
    shouted = {"  " + r.upper().replace(" ", "   ") for r in first[:10]}
    rest = [ex.request for ex in itertools.islice(iter_examples(seed=7, exclude=shouted), 40)]
    assert not excluded & set(rest)
    assert normalize_request(" A  b\nC ") == "a b c"


def test_prompt_pool_splits_are_disjoint_from_each_other_and_from_sft():
    sft = {extract_request(r["input_data"]) for r in make_sft_rows(20, 30, seed=0)}
    rows = make_prompt_pool(seed=1, n_dl=30, n_other=40, n_heldout_dl=5, n_heldout_other=6,
                            exclude=sft)
    assert [r["split"] for r in rows].count("heldout") == 11
    requests = [r["request"] for r in rows]
    assert len(set(requests)) == len(rows) and not sft & set(requests)
    assert len({r["prompt_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["prompt"] == build_prompt(r["request"])
        assert_valid(r["reference"], r["dest_shape_info"])


@pytest.mark.slow  # over 4 s on an idle 2-core machine
def test_data_command_writes_loadable_files(tmp_path):
    sft, pool = tmp_path / "sft.csv", tmp_path / "pool.csv"
    cmd = [*diagramlab(), "data", "sft", "--out", str(sft), "--n-dl", "4", "--n-other", "6"]
    subprocess.run(cmd, check=True, capture_output=True)
    df = load_sft_csv(sft)
    assert len(df) == 10 and list(df.columns) == list(SFT_COLUMNS)
    subprocess.run([*diagramlab(), "data", "prompts", "--out", str(pool), "--sft", str(sft)],
                   check=True, capture_output=True)
    pool_df = load_prompt_pool(pool)
    assert len(pool_df) == 900
    assert not set(pool_df["prompt"]) & set(df["input_data"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pool.csv", "sft.csv"]  # no temp files


@pytest.mark.slow
def test_committed_data_files_match_the_generator_and_are_valid():
    sft = load_sft_csv(DATA / "sft_dataset_llm.csv")
    assert sft.to_dict("records") == make_sft_rows(seed=0)  # regenerate: diagramlab data sft
    pool = load_prompt_pool(DATA / "orpo_prompts.csv")
    counts = pool.groupby(["split", "category"]).size().to_dict()
    assert counts == {("label", "dl_model"): 320, ("label", "other"): 480,
                      ("heldout", "dl_model"): 40, ("heldout", "other"): 60}
    sft_requests = {extract_request(p) for p in sft["input_data"]}
    assert not sft_requests & set(pool["request"])
    for answer, info in itertools.chain(zip(sft["output_data"], sft["dest_shape_info"]),
                                        zip(pool["reference"], pool["dest_shape_info"])):
        assert_valid(answer, info)
