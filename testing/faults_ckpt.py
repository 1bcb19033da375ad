"""Damaged and edited parent checkpoints, for tests/test_trainsafe.py and bench_reliability.

    for name, damage in parent_variants().items():   # 29 ways a full-model checkpoint is not what it claims
        target = copy_checkpoint(good, tmp / name)
        damage(target)                                # then: training from it and activating it must refuse

Three families: files that are missing or damaged (validate_checkpoint refuses them), a config
edited so the weights would load into another model (model_type, sizes, layer count: the
recorded model_type and a strict load refuse them), and weights that are intact files with a
*fresh* checksum but not a trained model (NaN, inf, zeroed, random, shuffled: what a diverged or
broken run would publish; only a forward pass on known answers tells). No torch: numpy and
safetensors only. Test tooling, not shipped in the packages.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from trainer.core.checkpoint import weights_checksums

WEIGHTS = "model.safetensors"


def copy_checkpoint(source: Path, target: Path) -> Path:
    """A copy of a checkpoint dir (without any training snapshot of the user's pairs)."""
    shutil.copytree(source, target)
    return target


def _json(d: Path, name: str) -> dict:
    return json.loads((d / name).read_text(encoding="utf-8"))


def _write_json(d: Path, name: str, value: object) -> None:
    (d / name).write_text(json.dumps(value, indent=2), encoding="utf-8")


def _edit(name: str, **changes) -> Callable[[Path], None]:
    """Set fields of a JSON file (a callable value gets the old object)."""
    def edit(d: Path) -> None:
        obj = _json(d, name)
        obj.update({k: (v(obj) if callable(v) else v) for k, v in changes.items()})
        _write_json(d, name, obj)

    return edit


def _drop(name: str, field: str) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        obj = _json(d, name)
        obj.pop(field, None)
        _write_json(d, name, obj)

    return edit


def _bytes(how: str) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        path = d / WEIGHTS
        data = bytearray(path.read_bytes())
        if how == "flip":
            data[-5] ^= 0xFF  # inside the tensor data: the header still parses
        elif how == "truncate":
            del data[len(data) // 2:]
        elif how == "header":
            data[:8] = b"\xff" * 8
        else:  # empty
            data.clear()
        path.write_bytes(bytes(data))

    return damage


def refresh_checksum(d: Path) -> None:
    """Record the weights' current sha256 in the manifest, as a run that published them would."""
    manifest = _json(d, "manifest.json")
    manifest["weights_sha256"] = weights_checksums(d)
    _write_json(d, "manifest.json", manifest)


def _tensors(change: Callable[[dict[str, np.ndarray], random.Random], None], fresh: bool = True
             ) -> Callable[[Path], None]:
    """Rewrite the weight tensors with `change` (in place on the dict), then a fresh checksum."""
    def damage(d: Path) -> None:
        tensors = {k: np.array(v) for k, v in load_file(str(d / WEIGHTS)).items()}
        change(tensors, random.Random(0))
        save_file(tensors, str(d / WEIGHTS), metadata={"format": "pt"})
        if fresh:
            refresh_checksum(d)
        else:
            _drop("manifest.json", "weights_sha256")(d)

    return damage


def _nan(t: dict, _rng) -> None:
    for key in t:
        t[key] = np.full_like(t[key], np.nan)


def _inf_layer(t: dict, _rng) -> None:
    for key in t:
        if ".layers.0." in key and key.endswith("proj.weight"):
            t[key] = np.full_like(t[key], np.inf)


def _zero(t: dict, _rng) -> None:
    for key in t:
        t[key] = np.zeros_like(t[key])


def _random(t: dict, rng) -> None:
    gen = np.random.default_rng(rng.randrange(1 << 30))
    for key in t:
        if key.endswith("norm.weight"):
            t[key] = np.ones_like(t[key])
        else:
            t[key] = gen.normal(0.0, 0.02, size=t[key].shape).astype(t[key].dtype)


def _shuffle_embeddings(t: dict, rng) -> None:
    key = next(k for k in t if k.endswith("embed_tokens.weight"))
    order = list(range(t[key].shape[0]))
    rng.shuffle(order)
    t[key] = t[key][order]


def _drop_tensor(t: dict, _rng) -> None:
    del t[next(k for k in sorted(t) if k.endswith("mlp.down_proj.weight"))]


def _tokenizer_shuffled(d: Path) -> None:
    """A valid tokenizer.json whose ordinary tokens swapped ids (as if from another model)."""
    tok = _json(d, "tokenizer.json")
    vocab = tok["model"]["vocab"]
    special = {a["id"] for a in tok.get("added_tokens", [])}
    movable = sorted((i, t) for t, i in vocab.items() if i not in special)
    ids = [i for i, _ in movable]
    random.Random(0).shuffle(ids)
    for (_, token), new in zip(movable, ids):
        vocab[token] = new
    _write_json(d, "tokenizer.json", tok)


def parent_variants() -> dict[str, Callable[[Path], None]]:
    """name -> a function that damages or edits a full-model checkpoint dir (config.json,
    tokenizer.json, model.safetensors, manifest.json: a copy of checkpoints/tiny-sft or the
    tests' micro SFT model) in place. Each must be refused by training from it and by activation."""
    return {
        # files missing or damaged: validate_checkpoint
        "weights checksum mismatch (a byte flipped)": _bytes("flip"),
        "weights truncated": _bytes("truncate"),
        "weights header garbage": _bytes("header"),
        "weights empty file": _bytes("empty"),
        "weights missing": lambda d: (d / WEIGHTS).unlink(),
        "manifest missing": lambda d: (d / "manifest.json").unlink(),
        "manifest not JSON": lambda d: (d / "manifest.json").write_bytes(b"{not json"),
        "manifest kind unknown": _edit("manifest.json", kind="weird"),
        "manifest without base_model": _drop("manifest.json", "base_model"),
        "manifest weights_sha256 not an object": _edit("manifest.json", weights_sha256="abc"),
        "manifest names a missing weight file": _edit("manifest.json", weights_sha256={"other.safetensors": "0" * 64}),
        "config missing": lambda d: (d / "config.json").unlink(),
        "config not JSON": lambda d: (d / "config.json").write_bytes(b"\x00\x01garbage"),
        "tokenizer missing": lambda d: (d / "tokenizer.json").unlink(),
        "tokenizer garbage": lambda d: (d / "tokenizer.json").write_bytes(b'{"model": 3}'),
        # config edited: the recorded model_type, the strict load
        "config model_type gpt2 (the audit's edit)": _edit("config.json", model_type="gpt2"),
        "config model_type qwen2 (Llama-like names)": _edit("config.json", model_type="qwen2"),
        "config vocab_size changed": _edit("config.json", vocab_size=lambda c: int(c["vocab_size"]) + 64),
        "config hidden_size doubled": _edit("config.json", hidden_size=lambda c: int(c["hidden_size"]) * 2),
        "config fewer layers": _edit("config.json", num_hidden_layers=lambda c: max(1, int(c["num_hidden_layers"]) - 1)),
        "config more layers": _edit("config.json", num_hidden_layers=lambda c: int(c["num_hidden_layers"]) + 2),
        # intact files, fresh checksum, not a trained model: the forward pass on known answers
        "tokenizer ids shuffled (another model's)": _tokenizer_shuffled,
        "NaN weights": _tensors(_nan),
        "inf in one layer": _tensors(_inf_layer),
        "zeroed weights": _tensors(_zero),
        "random weights": _tensors(_random),
        "embedding rows shuffled": _tensors(_shuffle_embeddings),
        "a weight tensor removed": _tensors(_drop_tensor),
        "zeroed weights, no checksum (old-style manifest)": _tensors(_zero, fresh=False),
    }
