"""The committed default model checkpoints/tiny-sft: small, documented, loads, draws a valid diagram."""

import json

import pytest

from diagram import build_prompt
from trainer.generation.generate import Generator
from trainer.generation.modeling import load_model

from conftest import REPO_ROOT

SIZE_LIMIT_BYTES = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def generator(request):
    checkpoint = request.getfixturevalue("default_checkpoint")
    return Generator(checkpoint)


def test_checkpoint_is_small_and_complete(default_checkpoint):
    files = {p.name: p.stat().st_size for p in default_checkpoint.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "manifest.json"} <= files.keys()
    assert sum(files.values()) < SIZE_LIMIT_BYTES
    assert "training_args.bin" not in files


def test_manifest_documents_how_it_was_made(default_checkpoint):
    manifest = json.loads((default_checkpoint / "manifest.json").read_text())
    assert manifest["kind"] == "sft" and manifest["base_model"] == "tiny-llama-preset"
    assert manifest["data_file"] == "data/sft_dataset_llm.csv" and len(manifest["data_sha256"]) == 64
    assert manifest["synthetic_rows"] > 0 and manifest["max_answer_tokens"] > 0
    assert manifest["command"].startswith("diagramlab sft ") and "--preset tiny" in manifest["command"]
    readme = (REPO_ROOT / "checkpoints" / "README.md").read_text()
    assert manifest["command"] in readme


def test_tokenizer_has_real_eos_and_separate_pad(default_checkpoint):
    model, tokenizer = load_model(default_checkpoint)
    assert tokenizer.eos_token == "<|EOT|>" and tokenizer.pad_token_id != tokenizer.eos_token_id
    assert model.generation_config.eos_token_id == tokenizer.eos_token_id


@pytest.mark.parametrize(
    "request_text, min_nodes",
    [
        ("DL model with 3 input nodes, 4 hidden nodes, 2 outputs", 9),
        ("A pipeline which reads a picture, then sends the result to a function, then turns it into a chart", 3),
    ],
)
def test_generates_a_valid_diagram_that_stops_on_eos(generator, request_text, min_nodes):
    (cand,) = generator.generate(build_prompt(request_text), k=1, temperature=0)
    assert cand.stopped_on_eos
    assert cand.parse.ok, cand.parse.problems
    assert len(cand.parse.diagram.nodes) >= min_nodes


def test_sampled_candidates_are_mostly_valid(generator):
    cands = generator.generate(build_prompt("Fully connected network with layer sizes 3-5-2"), k=4, seed=0)
    assert sum(c.parse.ok and c.stopped_on_eos for c in cands) >= 3
