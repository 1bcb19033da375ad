"""Light stand-ins for tests and benchmarks of the labeler: no torch, no model weights.

In `testing/` (not shipped in the installed packages): tests and benchmarks import it as
`testing.fakes` from the repository root (`python -m benchmarks.bench_labeler`).

`FakeGenerator` is a `trainer.core.candidates.CandidateSource` (the same `generate` signature, real
`Candidate`s) with distinct, seeded diagrams; `invalid_every=n` makes every n-th candidate unparseable.
`write_pool` writes a small prompt pool with the project's own synthesiser, `fake_checkpoint` a
directory with a manifest, and `seed_pairs` n stored pairs, so an app can start in a temp dir.
The labeler's context and the synthesiser are imported when used, so the fake trainers that run
as child processes and import `fake_checkpoint` start quickly.

    ctx = AppContext.create(data_dir=tmp, checkpoints_dir=tmp / "ckpt",
                            checkpoint=fake_checkpoint(tmp / "ckpt" / "sft"),
                            generator_factory=FakeGenerator)
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer, models

from diagram import build_prompt, parse
from trainer.core.candidates import Candidate
from trainer.core.checkpoint import write_manifest
from trainer.core.schema import POOL_COLUMNS

if TYPE_CHECKING:
    from labeler.context import AppContext


def fake_diagram(rng: random.Random, nodes: int = 3) -> str:
    """A valid left-to-right chain of `nodes` nodes at seeded positions."""
    lines = []
    for i in range(nodes):
        x, y = 120 + i * (760 // max(1, nodes - 1)), rng.randrange(120, 480)
        targets = f"[{i + 1}]" if i + 1 < nodes else "[]"
        shape = rng.choice(["circle", "rectangle", "round rectangle"])
        fill = tuple(rng.randrange(120, 250) for _ in range(3))
        lines.append(f"[{i}, {x}, {y}, '{shape}', 60, 50, 'solid arrow', {fill}, (40, 40, 90), "
                     f"{targets}]")
    return "\n".join(lines)


class FakeGenerator:
    """Seeded candidates; thread-safe because it keeps no mutable state."""

    def __init__(self, checkpoint: Path | str = "fake", invalid_every: int = 0,
                 delay_s: float = 0.0):
        self.checkpoint = str(checkpoint)
        self.invalid_every = invalid_every
        self.delay_s = delay_s

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None) -> list[Candidate]:
        if k < 1:
            raise ValueError("k must be at least 1")
        rng = random.Random(f"{self.checkpoint}|{prompt}|{seed}")
        time.sleep(self.delay_s)
        out = []
        for i in range(k):
            bad = self.invalid_every and (i + 1) % self.invalid_every == 0
            text = "[0, 10, 'circle'" if bad else fake_diagram(rng, rng.randrange(2, 6))
            out.append(Candidate(i, text, parse(text), not bad, len(text) // 4, self.delay_s))
        return out


class ScriptedGenerator:
    """Returns the first k of fixed `texts` (any prompt, any seed) and records each k asked for;
    with `logprobs` ({text: (log-prob sum, tokens)}) it also has `score(prompt, answers)` like
    trainer.generation.generate.Generator.score; `score_error` makes score raise it."""

    def __init__(self, texts: list[str], logprobs: dict[str, tuple[float, int]] | None = None,
                 score_error: Exception | None = None):
        self.checkpoint = "scripted"
        self.texts = list(texts)
        self.asked: list[int] = []
        self.scored: list[list[str]] = []
        if logprobs is not None or score_error is not None:
            self.logprobs = dict(logprobs or {})
            self.score_error = score_error
            self.score = self._score

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None) -> list[Candidate]:
        self.asked.append(k)
        return [Candidate(i, text, parse(text), True, len(text) // 4, 0.0)
                for i, text in enumerate(self.texts[:k])]

    def _score(self, prompt: str, answers: list[str]) -> list[tuple[float, int]]:
        self.scored.append(list(answers))
        if self.score_error is not None:
            raise self.score_error
        return [self.logprobs[a] for a in answers]


def styled(dx: int, dy: int, y: int = 100, shape: str = "rectangle", fill: str = "(200, 200, 200)",
           line_shape: str = "solid arrow") -> str:
    """A two-node drawing: node 0 at (100, y), node 1 at (100 + dx, y + dy), in one style."""
    return "\n".join(f"[{i}, {100 + i * dx}, {y + i * dy}, '{shape}', 60, 40, '{line_shape}', {fill}, "
                     f"(0, 0, 0), [{'1' if i == 0 else ''}]]" for i in range(2))


def write_pool(path: Path, n_dl: int = 6, n_other: int = 9, seed: int = 1) -> Path:
    """A small orpo_prompts.csv (label split plus two held-out prompts)."""
    from trainer.data.synth import make_prompt_pool, write_csv  # the layout engine: only when used

    rows = make_prompt_pool(seed=seed, n_dl=n_dl, n_other=n_other, n_heldout_dl=1,
                            n_heldout_other=1)
    write_csv(rows, path, POOL_COLUMNS)
    return Path(path)


def fake_checkpoint(path: Path, kind: str = "sft", **fields) -> Path:
    """A directory that passes validate_checkpoint: config, a word-level tokenizer and one small
    weight tensor (no model loads them: only for a FakeGenerator), then the manifest."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text('{"model_type": "fake"}\n', encoding="utf-8")
    Tokenizer(models.WordLevel({"[UNK]": 0, "[": 1, "]": 2}, unk_token="[UNK]")).save(
        str(path / "tokenizer.json"))
    save_file({"weight": np.zeros((2, 2), dtype=np.float32)}, str(path / "model.safetensors"))
    write_manifest(path, kind=kind, base_model="fake", **fields)
    return path


def seed_pairs(store, n: int, category: str = "other", seed: int = 0) -> list[str]:
    """Append n distinct human pairs (e.g. so the Train tab is enabled)."""
    rng = random.Random(seed)
    ids = []
    for i in range(n):
        request = f"Flowchart {seed}-{i}: read a table, clean it, train a model, chart the result"
        ids.append(store.append(prompt=build_prompt(request), chosen=fake_diagram(rng),
                                rejected=fake_diagram(rng, 2), category=category,
                                source="human", annotator="seed"))
    return ids


def make_context(root: Path, *, pairs: int = 0, generator_factory=None, runner=None,
                 n_dl: int = 6, n_other: int = 9, overlap: int = 1, kind: str = "sft") -> AppContext:
    """An AppContext over a fresh data dir and a fake checkpoint (manifest `kind`) under `root`."""
    from labeler.context import AppContext  # pandas and the store: not for a fake trainer's import
    data, ckpts = Path(root) / "data", Path(root) / "checkpoints"
    write_pool(data / "orpo_prompts.csv", n_dl=n_dl, n_other=n_other)
    checkpoint = fake_checkpoint(ckpts / "tiny-sft", kind=kind, metrics={"validity": 0.5})
    ctx = AppContext.create(data_dir=data, checkpoints_dir=ckpts, checkpoint=checkpoint,
                            generator_factory=generator_factory or FakeGenerator, runner=runner,
                            overlap=overlap)
    if pairs:
        seed_pairs(ctx.store, pairs)
    return ctx
