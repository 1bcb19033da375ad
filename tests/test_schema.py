"""The one vocabulary: the category rule, and the labeler and the store agreeing on it."""

from __future__ import annotations

import random

import pytest

from diagram import build_prompt
from labeler.labeling import LabelState, custom_prompt
from trainer.core.csv_store import PreferenceStore
from trainer.core.schema import CATEGORIES, PREFERENCE_COLUMNS, PREFERENCE_REQUIRED, request_category

CHOSEN = "[0, 100, 100, 'circle', 50, 50, 'solid arrow', (1, 2, 3), (4, 5, 6), []]"
REJECTED = CHOSEN.replace("circle", "rectangle")


@pytest.mark.parametrize("request_text, expected", [
    ("pipeline with an input node and an output node", "other"),  # the two old rules disagreed
    ("DL model with 4 input nodes, 6 and 10 hidden nodes, 1 output", "dl_model"),
    ("8-3-3-2 deep learning model", "dl_model"),
    ("NN 4/6/6/2", "dl_model"),
    ("CNN for MNIST: conv 3x3 -> maxpool -> conv 3x3 -> maxpool -> flatten -> dense 10", "dl_model"),
    ("Flow (Screenshots, CNN, Resize, Whisper)", "other"),  # a flowchart step named CNN
    ("(User events, Microphone) -> Shadow deployment -> CNN", "other"),
    ("System with these steps: - Client - sampler - Fusion layer - Chat UI", "other"),
    ("Draw this network:\n- input: 4\n- output: 1", "dl_model"),
    ("login page, then dashboard", "other"),
])
def test_request_category(request_text, expected):
    assert request_category(request_text) == expected
    assert request_category(build_prompt(request_text)) == expected  # wrapped prompts too


@pytest.mark.parametrize("request_text", [
    "pipeline with an input node and an output node",
    "MLP 4-8-8-3",
    "a network of services: api, queue, worker",
])
def test_labeler_and_store_file_a_request_in_the_same_category(tmp_path, request_text):
    typed = custom_prompt(LabelState(session="s"), request_text, category="auto")
    store = PreferenceStore(tmp_path / "pairs.csv")
    store.append(prompt=build_prompt(request_text), chosen=CHOSEN, rejected=REJECTED)
    assert store.load()["category"][0] == typed.category == request_category(request_text)


def test_category_of_generated_requests_matches_their_structure():
    from trainer.data.synth import make_example

    rng = random.Random(7)
    misfiled = [ex.request for category in CATEGORIES for ex in (make_example(rng, category) for _ in range(60))
                if request_category(ex.request) != ex.category]
    assert misfiled == []


def test_preference_columns_start_with_trls_names():
    assert PREFERENCE_COLUMNS[:3] == PREFERENCE_REQUIRED == ("prompt", "chosen", "rejected")
    assert len(set(PREFERENCE_COLUMNS)) == len(PREFERENCE_COLUMNS)
