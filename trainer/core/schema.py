"""The project's vocabulary, declared once: categories, splits, sources, column tuples, default paths,
and the one function that tells a request's category from its words.

Everything else imports these names; nothing re-declares them (STYLE.md, "one concept, one place").
Pure: stdlib and `diagram` only, no file access.

    from trainer.core.schema import CATEGORIES, PREFERENCE_COLUMNS, request_category
    request_category("pipeline with an input node and an output node")   # "other"
"""

from __future__ import annotations

import re
from pathlib import Path

from diagram.prompt import extract_request

# ---- vocabulary ------------------------------------------------------------------------------

CATEGORIES = ("dl_model", "other")  # `other` = flowcharts and pipelines
SPLITS = ("label", "heldout")  # the prompt pool: labeled in the app / kept apart for evaluation
SOURCES = ("auto", "human", "human_edit", "simulated")  # who made a preference pair
LABELED_SOURCES = ("human", "human_edit", "simulated")  # every source but `auto`

# ---- column tuples (file formats: docs/internals.md, "data/") --------------------------------

SFT_COLUMNS = ("input_data", "output_data", "dest_shape_info")
POOL_COLUMNS = ("prompt_id", "category", "split", "request", "prompt", "reference", "dest_shape_info")
PREFERENCE_REQUIRED = ("prompt", "chosen", "rejected")  # TRL's names, always first
PREFERENCE_METADATA = ("category", "source", "annotator", "model", "candidate_ids", "created_at", "pair_id")
# The labeler's extras; `judgment_id` names the screen a pair was derived from (the judgments file,
# JUDGMENTS_FILE) and `weight` its share of that screen (weights of one judgment sum to 1; empty: 1).
PREFERENCE_OPTIONAL = ("positions", "sampling", "decision_seconds", "judgment_id", "weight")
PREFERENCE_COLUMNS = PREFERENCE_REQUIRED + PREFERENCE_METADATA + PREFERENCE_OPTIONAL

# ---- default paths (relative to the repository root / the app's --data-dir) -------------------

DATA_DIR = Path("data")
CHECKPOINTS_DIR = Path("checkpoints")
SFT_FILE = "sft_dataset_llm.csv"
PROMPTS_FILE = "orpo_prompts.csv"
PREFERENCES_FILE = "orpo_dataset_llm.csv"
LABEL_EVENTS_FILE = "label_events.jsonl"
LABEL_TASKS_FILE = "label_tasks.jsonl"  # the labeler's shared candidates (app --overlap N)
JUDGMENTS_FILE = "label_judgments.jsonl"  # beside the preference CSV: every screen's judgment
VOTES_FILE = "ab_votes.csv"
DEFAULT_CHECKPOINT_NAME = "tiny-sft"
TRAINED_PAIRS_FILE = "preferences.csv"  # in a preference-trained checkpoint: the pairs it saw
DEFAULT_SFT_DATA = str(DATA_DIR / SFT_FILE)
DEFAULT_PROMPTS = str(DATA_DIR / PROMPTS_FILE)
DEFAULT_PREFERENCES = str(DATA_DIR / PREFERENCES_FILE)
DEFAULT_CHECKPOINT = str(CHECKPOINTS_DIR / DEFAULT_CHECKPOINT_NAME)

# ---- the category of a request ----------------------------------------------------------------
# Three tiers, first match wins. Flowchart requests often name DL components as steps ("CNN",
# "fusion layer", "value network"), and DL requests often use arrows ("28x28 -> conv 3x3"), so
# neither words nor arrows alone decide:
# 1. words only a network request uses: its kind (DL model, DNN, MLP, perceptron, ...), hidden
#    layers, layer sizes ("8-3-3-2", "3/3/6"), image sizes ("28x28"), conv layers;
# 2. words of a flow: pipeline, process, steps, "feeds", "then", arrows, ... -> other;
# 3. generic network words (net, network, CNN, layer) -> dl_model; anything else -> other.
# `python -m benchmarks.bench_category` counts what it misfiles (figures: docs/internals.md).
# "input node" / "output node" are not DL words: a pipeline has input and output nodes too.
_NETWORK_ONLY = re.compile(
    r"\bDL model|deep learning|neural|\b[DA]?NN\b|ConvNet|\bMLP\b|perceptron|\bhidden\b"
    r"|\b\d+(?:\s*[-/>\u2192]+\s*\d+){2,}\b|\d+\s*x\s*\d+|\bconv(?:olution\w*)?\b|\bconv\d",
    re.IGNORECASE)
_FLOW_WORDS = re.compile(
    r"pipeline|\bflow\b|\bprocess\b|workflow|\bsystem\b|\bsteps?\b|\bfeeds?\b|sends data|passed to"
    r"|goes to|outputs to|flows into|\bthen\b|\bfirst\b|\(in parallel\)|\bfusion layer|value network"
    r"|\u2192|->|=>",
    re.IGNORECASE)
_NETWORK_WORDS = re.compile(r"\bnet\b|\bnetwork\b|\bCNN\b|\blayers?\b|\bneurons?\b", re.IGNORECASE)


def request_category(text: str) -> str:
    """`dl_model` or `other` for a request, or a prompt wrapped by `build_prompt` (either wording).

    The one category rule: the labeler (typed requests), the preference store (rows without a
    category) and the reference-CSV loader all call it.
    """
    request = extract_request(text)
    if _NETWORK_ONLY.search(request):
        return "dl_model"
    if _FLOW_WORDS.search(request):
        return "other"
    return "dl_model" if _NETWORK_WORDS.search(request) else "other"

