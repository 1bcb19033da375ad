"""Both wordings of the original project's prompt template are recognised wherever a prompt is read.

The fixtures in tests/fixtures/ were written by hand in the original project's CSV layout (unnamed
index column; the data's wording in the SFT file, the README's wording with other line breaks and
CRLF in the preference file).
"""

import argparse
import json
from pathlib import Path

import pytest

from diagram import build_prompt, canonical_prompt, extract_request
from diagram.prompt import ORIGINAL_DATA_SUFFIX, PROMPT_PREFIX, PROMPT_SUFFIX
from trainer.core.csv_store import PreferenceStore
from trainer.core.datasets_io import DataFileError, load_reference_csv, task_category
from trainer.generation.evaluate import add_eval_arguments, load_rows, run_eval
from trainer.core.preferences import pair_id_for
from trainer.core.schema import request_category
from trainer.core.template import encode_prompt, model_input

FIXTURES = Path(__file__).parent / "fixtures"
REQUEST = "DL model with 4 input nodes, 6 and 10 hidden nodes, 1 output"
ORIGINAL = f"{PROMPT_PREFIX}{REQUEST}\n{ORIGINAL_DATA_SUFFIX}"


def test_the_two_wordings_differ_only_in_the_line_shape_sentence():
    assert "(solid or dashed), background color,\nconnection line color, list of" in ORIGINAL_DATA_SUFFIX
    assert "(solid arrow, solid line or dashed line),\nbackground color, connection line color, list of" in PROMPT_SUFFIX
    assert ORIGINAL_DATA_SUFFIX != PROMPT_SUFFIX


@pytest.mark.parametrize("prompt", [
    build_prompt(REQUEST),
    ORIGINAL,
    " ".join(ORIGINAL.split()),  # every line break turned into a space
    ORIGINAL.replace("\n", "\r\n"),
    "\n" + PROMPT_PREFIX.replace(" ", "  ") + REQUEST + "\n\n" + PROMPT_SUFFIX.replace(" ", " \t") + "\n",
])
def test_extract_request_recognises_either_wording_and_any_whitespace(prompt):
    assert extract_request(prompt) == REQUEST
    assert canonical_prompt(prompt) == build_prompt(REQUEST)


def test_build_prompt_writes_the_readme_wording_and_round_trips():
    prompt = build_prompt(REQUEST)
    assert prompt.endswith(PROMPT_SUFFIX) and "solid arrow, solid line or dashed line" in prompt
    assert canonical_prompt(prompt) == prompt


def test_unwrapped_text_is_left_alone():
    assert extract_request("  just a request  ") == "just a request"
    assert canonical_prompt("just a request") == "just a request"


def test_the_model_sees_the_canonical_wording_whatever_the_file_says(default_checkpoint):
    from trainer.generation.modeling import load_model

    _, tokenizer = load_model(default_checkpoint)
    assert model_input(ORIGINAL) == model_input(build_prompt(REQUEST))
    ids = encode_prompt(tokenizer, ORIGINAL)
    assert ids == encode_prompt(tokenizer, build_prompt(REQUEST))
    # the canonical suffix is one added token of the tiny tokenizer: a few tokens in all
    assert len(ids) < 60


def test_reference_csv_in_the_original_data_wording_with_an_index_column():
    frame = load_reference_csv(FIXTURES / "original_sft_small.csv")
    assert list(frame["category"]) == ["other", "dl_model"]  # from dest_shape_info's task_name
    assert frame["request"][1] == "DL model with 2 input elements, 3 hidden nodes and output size 1"
    assert all(p == build_prompt(r) for p, r in zip(frame["prompt"], frame["request"]))
    assert frame["reference"][1].count("\n") == 5


def test_reference_csv_from_preference_columns_in_the_readme_wording_with_crlf():
    frame = load_reference_csv(FIXTURES / "original_orpo_small.csv")
    assert len(frame) == 1
    assert frame["request"][0].split() == "* camera images * OCR * Kafka topic as output".split()
    assert frame["category"][0] == "other"  # no category, no dest_shape_info: guessed from words
    assert frame["reference"][0].startswith("[0, 200, 300, 'rectangle'")


def test_reference_csv_without_answer_columns_names_what_it_needs(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("request,answer\na,b\n")
    with pytest.raises(DataFileError, match="input_data and output_data, or prompt and chosen"):
        load_reference_csv(path)


@pytest.mark.parametrize("info, expected", [
    ('{"task_name": "dl_model"}', "dl_model"),
    ("{'task_name': 'flowchart', 'shape_sizes': [3]}", "other"),
    ("not a dict", None),
    ("", None),
])
def test_task_category(info, expected):
    assert task_category(info) == expected


def test_preference_store_treats_both_wordings_as_one_prompt(tmp_path):
    chosen = "[0, 1, 2, 'circle', 3, 4, 'solid line', (1, 2, 3), (4, 5, 6), []]"
    rejected = chosen.replace("circle", "rectangle")
    assert pair_id_for(ORIGINAL, chosen, rejected) == pair_id_for(build_prompt(REQUEST), chosen, rejected)
    assert request_category(ORIGINAL) == "dl_model"
    store = PreferenceStore(tmp_path / "prefs.csv")
    store.append(prompt=ORIGINAL, chosen=chosen, rejected=rejected, source="human")
    assert store.load()["category"][0] == "dl_model"


def test_bootstrap_skips_pool_prompts_the_store_has_in_the_other_wording():
    import pandas as pd

    from trainer.loop.bootstrap import unused_prompts

    pool = pd.DataFrame([{"split": "label", "category": "dl_model", "prompt": build_prompt(REQUEST)},
                         {"split": "label", "category": "dl_model", "prompt": build_prompt("MLP 2-3-1")}])
    left = unused_prompts(pool, {ORIGINAL}, seed=0)["dl_model"]
    assert [extract_request(r["prompt"]) for r in left] == ["MLP 2-3-1"]


def test_eval_rows_from_a_reference_csv():
    rows = load_rows(None, None, "", None, csv_file=str(FIXTURES / "original_sft_small.csv"))
    assert [r["category"] for r in rows] == ["other", "dl_model"]
    assert all(r["reference"] for r in rows)


def test_eval_csv_command_scores_an_original_format_file(micro_sft_checkpoint, tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_eval_arguments(parser)
    out = tmp_path / "report.json"
    args = parser.parse_args(["--checkpoint", str(micro_sft_checkpoint), "--csv",
                              str(FIXTURES / "original_sft_small.csv"), "-k", "2", "--json", str(out)])
    assert run_eval(args) == 0
    report = json.loads(out.read_text())
    assert report["n_prompts"] == 2 and report["n_candidates"] == 4
    assert report["seed_score"] is not None and 0.0 <= report["seed_score"] <= 1.0
    assert report["grammar"] is True and report["split"] is None
    assert "| seed_score |" in capsys.readouterr().out
