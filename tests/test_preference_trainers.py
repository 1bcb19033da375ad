"""DPO, SimPO and KTO beside ORPO: each trains a micro model for two steps, the checkpoint loads,
its manifest names the algorithm and settings; tokenization keeps generation's prompt and EOS."""

from __future__ import annotations

import importlib
from dataclasses import fields
from pathlib import Path

import pytest
import torch

from test_orpo import _answer, _write_pairs
from diagram import build_prompt
from trainer.training.preference_data import token_lengths, unpair
from trainer.core.preference_trainers import DEFAULT_TRAINER, TRAINERS, trainer_of
from trainer.core.template import model_input

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

NEW = ("dpo", "simpo", "kto")


def _args(name: str, parent: Path, tmp_path: Path, **overrides):
    spec = TRAINERS[name]
    defaults = dict(checkpoint=str(parent), data=str(_write_pairs(tmp_path / "prefs.csv", 6)),
                    out=str(tmp_path / "ckpts" / f"{name}-1"), events=str(tmp_path / "events.jsonl"),
                    max_steps=2, batch_size=2, val_fraction=0.2, no_eval=True, lr=1e-3)
    return spec.config(**{**defaults, **overrides})


def test_registry_has_every_trainer_with_orpo_the_default():
    assert list(TRAINERS) == ["orpo", "dpo", "simpo", "kto"] and DEFAULT_TRAINER == "orpo"
    for name, spec in TRAINERS.items():
        config = spec.config()
        assert trainer_of(config) is spec and spec.name == name
        assert {"checkpoint", "data", "out", "events", "prompts", "max_steps", "epochs", "beta", "eval_n"} \
            <= {f.name for f in fields(config)}


@pytest.mark.parametrize("name, settings", [
    ("orpo", {"beta": 0.1}),
    ("dpo", {"beta": 0.1}),
    ("simpo", {"beta": 2.0, "gamma": 1.0}),
    ("kto", {"beta": 0.1, "desirable_weight": 1.0, "undesirable_weight": 1.0}),
])
def test_each_config_reports_its_own_loss_settings(name, settings):
    assert TRAINERS[name].config().settings() == settings


def test_unpair_makes_chosen_desirable_and_rejected_undesirable():
    rows = unpair([{"prompt": "p", "chosen": "a", "rejected": "b", "length": 9}])
    assert rows == [{"prompt": "p", "completion": "a", "label": True, "length": 9},
                    {"prompt": "p", "completion": "b", "label": False, "length": 9}]


@pytest.mark.parametrize("name", NEW)
def test_tokenized_rows_keep_generation_prompt_and_eos_and_the_guard_catches_a_cut(name, micro_sft_checkpoint,
                                                                                   tmp_path):
    from trainer.generation.modeling import load_model
    from trainer.training.preference_parts import TrainerParts

    module = importlib.import_module(TRAINERS[name].module)
    model, tokenizer = load_model(micro_sft_checkpoint, for_training=True)
    rows = [{"prompt": model_input(build_prompt("DL model with 3 input nodes")), "chosen": _answer(i, "circle"),
             "rejected": _answer(i, "rectangle") + "\n" + _answer(i, "circle")} for i in range(2)]
    need = max(token_lengths(tokenizer, rows))
    args = _args(name, micro_sft_checkpoint, tmp_path)
    def parts(max_length):
        return TrainerParts(model, tokenizer, None, rows, [], max_length, [], tmp_path)

    trainer = module.build_trainer(args, parts(need))
    module.RECIPE.check(trainer.train_dataset, tokenizer, need)
    with pytest.raises(RuntimeError, match="cut before its EOS"):
        if name == "simpo":  # TRL's CPO truncates when tokenizing: build it too short
            short = module.build_trainer(args, parts(need - 3))
            module.RECIPE.check(short.train_dataset, tokenizer, need - 3)
        else:  # DPO and KTO truncate in the collator, at max_length
            module.RECIPE.check(trainer.train_dataset, tokenizer, need - 3)


@pytest.mark.slow  # trains a model to the end
@pytest.mark.parametrize("name", NEW)
def test_two_steps_move_the_weights_and_the_manifest_names_the_algorithm(name, micro_sft_checkpoint, tmp_path):
    from trainer.core.checkpoint import read_manifest
    from trainer.core.events import final_event, read_events
    from trainer.generation.modeling import load_model

    args = _args(name, micro_sft_checkpoint, tmp_path)
    module = importlib.import_module(TRAINERS[name].module)
    out = getattr(module, f"train_{name}")(args)
    assert out.name == f"{name}-1"
    before, _ = load_model(micro_sft_checkpoint)
    after, _ = load_model(out)
    assert any(not torch.equal(p, q) for p, q in zip(before.parameters(), after.parameters()))
    manifest = read_manifest(out)
    assert manifest["kind"] == name and manifest["algorithm"].startswith(TRAINERS[name].label)
    assert manifest["settings"] == args.settings() and manifest["metrics"]["steps"] == 2
    assert manifest["command"].startswith(f"diagramlab {name} ")
    assert 0 <= manifest["verdict"]["new"]["prefers_chosen"] <= 1
    assert final_event(read_events(args.events))["status"] == "done"


@pytest.mark.slow
@pytest.mark.parametrize("name", ("dpo", "kto"))
def test_lora_parent_trains_against_the_adapter_disabled_reference(name, micro_model_dir, tmp_path):
    from trainer.core.checkpoint import read_manifest

    args = _args(name, micro_model_dir, tmp_path, adapter="lora", lora_r=4, lora_alpha=8, lr=1e-2)
    module = importlib.import_module(TRAINERS[name].module)
    out = getattr(module, f"train_{name}")(args)
    manifest = read_manifest(out)
    assert manifest["adapter"] and manifest["kind"] == name and (out / "adapter_config.json").is_file()


@pytest.mark.parametrize("name", NEW)
def test_cli_parses_the_trainers_own_flags(name):
    from diagramlab.cli import build_parser

    parser = build_parser(name)
    extra = {"simpo": ["--gamma", "0.7"], "kto": ["--undesirable-weight", "1.5"]}.get(name, [])
    namespace = parser.parse_args(["--out", "x", "--beta", "0.3", *extra])
    assert namespace.beta == 0.3 and namespace.out == "x"
    if extra:
        assert getattr(namespace, extra[0][2:].replace("-", "_")) == float(extra[1])


@pytest.mark.slow
def test_python_m_runs_a_new_trainer_to_the_end(micro_sft_checkpoint, tmp_path):
    import os
    import subprocess
    import sys

    args = _args("kto", micro_sft_checkpoint, tmp_path, max_steps=1)
    proc = subprocess.run([sys.executable, "-m", "trainer.training.kto", "--checkpoint", args.checkpoint, "--data", args.data,
                           "--out", args.out, "--max-steps", "1", "--batch-size", "2", "--no-eval"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"wrote {args.out}" in proc.stdout and (Path(args.out) / "manifest.json").is_file()
