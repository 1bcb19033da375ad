"""Shared fixtures: an offline HF environment, a micro Llama built on the spot, a micro SFT checkpoint.

- `micro_model_dir` (session): a random 2-layer, 32-wide Llama + BPE tokenizer trained on a few
  synthetic diagrams; an HF model dir with manifest kind=base. Built in about a second.
- `micro_sft_checkpoint` (session): that model after a few seconds of full-weight SFT on
  `MICRO_PAIRS` (short diagrams), so greedy decoding reproduces them and stops on EOS.
- `micro_sft_csv` (session): the CSV it was trained on (data/sft_dataset_llm.csv columns).
- `default_checkpoint`: checkpoints/tiny-sft, skipped with a reason while it is not committed.

No test touches the network or the user's HF cache: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE are set
and HF_HOME points into a temp dir.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent


def env_with_test_modules(env: dict[str, str] | None = None) -> dict[str, str]:
    """`env` (default os.environ) with the repository root on PYTHONPATH, for child processes that
    import `testing.fakes` (pytest puts the root on the path of its own process only)."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env
DEFAULT_CHECKPOINT = REPO_ROOT / "checkpoints" / "tiny-sft"
TEST_THREADS = 1  # micro models: more threads only add OpenMP sync under contention

# Short requests whose answers the micro SFT model memorises (one to three nodes each).
MICRO_REQUESTS = (
    ("flowchart: start -> end", [
        "[0, 300, 300, 'round rectangle', 90, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [1]]",
        "[1, 700, 300, 'round rectangle', 90, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), []]",
    ]),
    ("DL model with 1 input node, 1 output", [
        "[0, 200, 300, 'circle', 40, 40, 'solid line', (240, 240, 240), (71, 71, 71), [1]]",
        "[1, 800, 300, 'circle', 40, 40, 'solid line', (189, 189, 189), (71, 71, 71), []]",
    ]),
    ("a single step: load data", [
        "[0, 500, 300, 'rectangle', 120, 50, 'dashed line', (250, 219, 189), (114, 71, 29), []]",
    ]),
    ("pipeline: read -> clean -> plot", [
        "[0, 200, 300, 'rectangle', 90, 40, 'solid arrow', (193, 219, 246), (29, 71, 114), [1]]",
        "[1, 500, 300, 'rectangle', 90, 40, 'solid arrow', (193, 219, 246), (29, 71, 114), [2]]",
        "[2, 800, 300, 'rectangle', 90, 40, 'solid arrow', (193, 219, 246), (29, 71, 114), []]",
    ]),
)
MICRO_CONFIG = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
}


def micro_pairs() -> list[tuple[str, str]]:
    """(wrapped prompt, answer) for MICRO_REQUESTS."""
    from diagram import build_prompt

    return [(build_prompt(request), "\n".join(lines)) for request, lines in MICRO_REQUESTS]


def write_sft_csv(path: Path, pairs: list[tuple[str, str]]) -> Path:
    """A CSV in the data/sft_dataset_llm.csv layout."""
    info = json.dumps({"task_name": "flowchart", "shape_types": [], "shape_sizes": []})
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["input_data", "output_data", "dest_shape_info"])
        writer.writerows([prompt, answer, info] for prompt, answer in pairs)
    return path


def pytest_configure(config: pytest.Config) -> None:
    # Before torch is imported anywhere: keep BLAS/OpenMP from grabbing every shared core.
    os.environ.setdefault("OMP_NUM_THREADS", str(TEST_THREADS))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def hf_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hf_home")


@pytest.fixture(autouse=True)
def offline_hf(monkeypatch: pytest.MonkeyPatch, hf_home: Path) -> None:
    """No test may reach the hub or the user's cache; torch stays on few threads."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.setenv("WANDB_DISABLED", "true")
    if "torch" in sys.modules:  # don't make diagram-only tests pay for importing torch
        sys.modules["torch"].set_num_threads(TEST_THREADS)


@pytest.fixture(scope="session")
def micro_corpus() -> list[str]:
    """Training texts for the micro tokenizer: the micro pairs plus a few synthetic examples."""
    import itertools

    from trainer.data.synth import iter_examples
    from trainer.core.template import model_input

    pairs = micro_pairs() + [(ex.prompt, ex.answer) for ex in itertools.islice(iter_examples(seed=7), 40)]
    return [model_input(prompt) + answer for prompt, answer in pairs]


@pytest.fixture(scope="session")
def micro_model_dir(tmp_path_factory: pytest.TempPathFactory, micro_corpus: list[str]) -> Path:
    """A random micro Llama + tokenizer (HF model dir, manifest kind=base)."""
    from trainer.generation.modeling import build_tiny

    out = tmp_path_factory.mktemp("micro") / "base"
    return build_tiny(out, micro_corpus, vocab_size=400, seed=0, **MICRO_CONFIG)


@pytest.fixture(scope="session")
def micro_sft_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sft_csv(tmp_path_factory.mktemp("micro_data") / "sft.csv", micro_pairs())


@pytest.fixture(scope="session")
def micro_sft_checkpoint(tmp_path_factory: pytest.TempPathFactory, micro_model_dir: Path,
                         micro_sft_csv: Path) -> Path:
    """The micro model fully fine-tuned on MICRO_REQUESTS until it reproduces them and stops on EOS.

    200 steps: at 100 (and 150) one answer came out with other colours once the synthetic examples
    that train the micro tokenizer changed with the layout engine (the tokenizer, not the code, moved).
    """
    from trainer.training.sft import SFTArgs, train_sft

    out = tmp_path_factory.mktemp("micro_ckpt") / "sft"
    args = SFTArgs(out=str(out), base=str(micro_model_dir), full_finetune=True, data=str(micro_sft_csv),
                   max_steps=200, lr=1e-2, batch_size=4, val_fraction=0.0, warmup=0.0,
                   logging_steps=1000, exclude_prompts="", threads=TEST_THREADS)
    return train_sft(args)


@pytest.fixture(scope="session")
def default_checkpoint() -> Path:
    if not (DEFAULT_CHECKPOINT / "manifest.json").is_file():
        pytest.skip(f"{DEFAULT_CHECKPOINT} is not there yet (train it: see checkpoints/README.md)")
    return DEFAULT_CHECKPOINT


def llama_cpp_server(root: Path, *args: str):
    """llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`, the server extra)
    on tiny-sft's GGUF export, started in `root` with extra server `args`: a generator for a
    module fixture (yields the /v1 URL once /models answers, stops the server after). Skips without
    llama_cpp, gguf or the checkpoint; fails with the server's log when it does not start in 120 s."""
    import socket
    import subprocess
    import time
    import urllib.request

    pytest.importorskip("llama_cpp.server.app", reason="needs the server extra (llama-cpp-python[server])")
    pytest.importorskip("gguf")
    if not (DEFAULT_CHECKPOINT / "manifest.json").is_file():
        pytest.skip("checkpoints/tiny-sft is missing")
    from trainer.generation.gguf_export import export_gguf

    model = export_gguf(DEFAULT_CHECKPOINT, root / "tiny-sft.gguf")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(root / "server.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny-sft",
         "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1", "--n_batch", "512", *args],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start: {(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
