"""Training on several processes: two real gloo processes (SFT, then ORPO) and the helpers' single-process behaviour.

The slow test launches `accelerate launch` with the shipped configs/accelerate/ddp.yaml, cut down
to 2 CPU processes (torchrun; on a machine without GPUs accelerate sets up gloo), and checks what
the issue asked: the world size in the manifest, each process trained on its own shard (the ids
each rank's data loader collated, `--shard-log`), only the main process wrote, and the result loads.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, write_sft_csv
from trainer.training import distributed
from trainer.core.checkpoint import CheckpointError
from trainer.core.launch import CONFIG_DIR, accelerate_command, flags_of, resolve_config, shipped_configs
from testing.ports import free_port


def _two_process_config(tmp_path: Path) -> Path:
    """configs/accelerate/ddp.yaml with 2 processes, no mixed precision and a free port."""
    config = yaml.safe_load((CONFIG_DIR / "ddp.yaml").read_text())
    config.update(num_processes=2, mixed_precision="no", main_process_port=free_port())
    path = tmp_path / "ddp-2cpu.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(REPO_ROOT), OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    return env


def _run(cmd: list[str], log: Path) -> None:
    with open(log, "w") as handle:
        done = subprocess.run(cmd, cwd=REPO_ROOT, env=_env(), stdout=handle, stderr=subprocess.STDOUT,
                              timeout=600)
    assert done.returncode == 0, log.read_text()[-4000:]


def _shards(directory: Path) -> list[set[str]]:
    files = sorted(directory.glob("rank-*.txt"))
    assert [f.name for f in files] == ["rank-0.txt", "rank-1.txt"]
    return [set(f.read_text().split()) for f in files]


def _tiny_sft_flags(data: Path, out: Path, shards: Path) -> list[str]:
    return ["--preset", "tiny", "--data", str(data), "--out", str(out), "--max-steps", "4",
            "--batch-size", "4", "--val-fraction", "0", "--exclude-prompts", "", "--vocab-size", "400",
            "--tiny-hidden", "32", "--tiny-layers", "2", "--tiny-heads", "2", "--tiny-intermediate", "64",
            "--logging-steps", "1", "--shard-log", str(shards)]


def _write_pairs(path: Path, n: int) -> Path:
    from diagram import build_prompt
    from trainer.core.csv_store import PreferenceStore

    store = PreferenceStore(path)
    for i in range(n):
        line = "[0, {x}, 300, '{s}', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), []]"
        store.append(prompt=build_prompt(f"DL model with {i + 1} input nodes, 2 outputs"),
                     chosen=line.format(x=100 + i, s="circle"), rejected=line.format(x=100 + i, s="rectangle"),
                     category="dl_model", source="simulated")
    return path


@pytest.mark.slow
def test_sft_and_orpo_train_on_two_processes_each_on_its_own_shard(tmp_path):
    import torch
    from safetensors.torch import load_file

    from trainer.core.events import read_events
    from trainer.generation.modeling import load_model
    from trainer.data.synth import iter_examples

    config = _two_process_config(tmp_path)
    data = write_sft_csv(tmp_path / "sft.csv",
                         [(ex.prompt, ex.answer) for ex in itertools.islice(iter_examples(seed=5), 32)])

    # SFT, as the README says: accelerate launch ... -m trainer.training.sft
    sft_out = tmp_path / "ckpts" / "sft"
    _run(accelerate_command(str(config), "trainer.training.sft", _tiny_sft_flags(data, sft_out, tmp_path / "sft-shards")),
         tmp_path / "sft.log")
    manifest = json.loads((sft_out / "manifest.json").read_text())
    assert manifest["world_size"] == 2 and manifest["effective_batch"] == 8
    rank0, rank1 = _shards(tmp_path / "sft-shards")
    assert rank0 and rank1 and not rank0 & rank1  # each process its own examples
    assert len(rank0 | rank1) >= 4 * 8  # 4 steps of 4 examples on each of 2 processes
    model, tokenizer = load_model(sft_out)  # the checkpoint loads
    assert tokenizer.eos_token_id is not None and model.config.num_hidden_layers == 2

    # ORPO, through `diagramlab orpo --accelerate-config` (which becomes the launcher). Its parent
    # is the committed tiny-sft: 4 SFT steps leave a model that scores known answers like a random
    # one, which training refuses as a parent (trainer/data/sanity.py)
    orpo_out = tmp_path / "ckpts" / "orpo-1"
    events = tmp_path / "events.jsonl"
    cmd = [sys.executable, "-m", "diagramlab", "orpo", "--accelerate-config", str(config),
           "--checkpoint", str(REPO_ROOT / "checkpoints" / "tiny-sft"), "--data", str(_write_pairs(tmp_path / "prefs.csv", 20)),
           "--out", str(orpo_out), "--events", str(events), "--max-steps", "2", "--batch-size", "2",
           "--val-fraction", "0.2", "--no-eval", "--lr", "1e-2", "--shard-log", str(tmp_path / "orpo-shards")]
    _run(cmd, tmp_path / "orpo.log")
    manifest = json.loads((orpo_out / "manifest.json").read_text())
    assert manifest["world_size"] == 2 and manifest["effective_batch"] == 4
    assert manifest["verdict"]["new"]["prefers_chosen"] is not None
    # 16 training pairs: 2 steps x 2 pairs x 2 processes, plus the batch each loader reads ahead,
    # fit in one epoch (past its end accelerate repeats pairs to even out the shards)
    rank0, rank1 = _shards(tmp_path / "orpo-shards")
    assert rank0 and rank1 and not rank0 & rank1
    finals = [e for e in read_events(events) if "status" in e]
    assert [e["status"] for e in finals] == ["done"]  # one writer: the main process
    load_model(orpo_out)
    before, after = load_file(sft_out / "model.safetensors"), load_file(orpo_out / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert not list((tmp_path / "ckpts").glob(".*"))  # no temp dir left beside the checkpoints


@pytest.mark.slow
def test_kto_trains_on_two_processes_each_on_its_own_shard(tmp_path):
    """Every preference trainer runs through trainer.training.preference_run; KTO is the one whose rows
    (unpaired, TRL's `*_ids` layout) and sampler (sequential) differ most from ORPO's."""
    from trainer.core.events import read_events

    out, events, shards = tmp_path / "ckpts" / "kto-1", tmp_path / "events.jsonl", tmp_path / "kto-shards"
    cmd = [sys.executable, "-m", "diagramlab", "kto", "--accelerate-config", str(_two_process_config(tmp_path)),
           "--checkpoint", str(REPO_ROOT / "checkpoints" / "tiny-sft"),
           "--data", str(_write_pairs(tmp_path / "prefs.csv", 20)), "--out", str(out), "--events", str(events),
           "--max-steps", "2", "--batch-size", "2", "--val-fraction", "0.2", "--no-eval", "--shard-log", str(shards)]
    _run(cmd, tmp_path / "kto.log")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "kto" and manifest["world_size"] == 2 and manifest["effective_batch"] == 4
    assert manifest["verdict"]["new"]["prefers_chosen"] is not None
    rank0, rank1 = _shards(shards)
    assert rank0 and rank1 and not rank0 & rank1
    assert [e["status"] for e in read_events(events) if "status" in e] == ["done"]
    assert not list((tmp_path / "ckpts").glob(".*"))


# ---- single process: the helpers are the plain operations -----------------------------------


def test_single_process_helpers_are_plain(tmp_path, monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.world_size() == 1 and distributed.is_main() and not distributed.launched()
    assert distributed.share({"a": 1}) == {"a": 1}
    assert distributed.run_facts(4, 2) == {"world_size": 1, "per_device_batch": 4, "grad_accum": 2,
                                           "effective_batch": 8}
    with distributed.shared_work_dir("test") as work:
        assert work.is_dir()
    assert not work.exists()  # a temp work dir is removed
    with distributed.shared_work_dir("test", tmp_path / "kept") as work:
        pass
    assert work.is_dir()  # a given one is kept (resumable SFT)
    with distributed.checkpoint_dir(tmp_path / "ck") as tmp:
        (tmp / "x").write_text("1")
    assert (tmp_path / "ck" / "x").read_text() == "1"
    with pytest.raises(CheckpointError, match="already exists"):
        with distributed.checkpoint_dir(tmp_path / "ck"):
            pass


def test_run_main_tears_down_after_success_failure_and_exit(monkeypatch):
    """Every trainer's `main` (sft, the preference trainers) ends through `run_main`: `finish`
    runs once, ok only for exit code 0 (an exception or argparse's exit is not ok)."""
    from trainer.training import orpo, sft

    calls = []
    monkeypatch.setattr(distributed, "finish", lambda ok=True: calls.append(ok))
    assert distributed.run_main(lambda: 0) == 0 and distributed.run_main(lambda: 3) == 3
    with pytest.raises(SystemExit):
        distributed.run_main(lambda: sys.exit(2))
    with pytest.raises(RuntimeError):
        distributed.run_main(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert calls == [True, False, False, False]
    for main in (sft.main, orpo.main):  # a bad flag: argparse exits, the group is still torn down
        with pytest.raises(SystemExit):
            main(["--no-such-flag"])
    assert calls[4:] == [False, False]


def test_world_size_comes_from_the_launcher_environment(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "8")
    assert distributed.world_size() == 8 and distributed.effective_batch(4, 2) == 64
    monkeypatch.setenv("WORLD_SIZE", "junk")
    assert distributed.world_size() == 1


def test_example_ids_tell_examples_apart():
    a = {"input_ids": [1, 2, 3], "labels": [-100, 2, 3]}
    assert distributed.example_id(a) == distributed.example_id(dict(a, labels=[0, 0, 0]))
    assert distributed.example_id(a) != distributed.example_id({"input_ids": [1, 2, 4]})
    pair = {"prompt_input_ids": [1], "chosen_input_ids": [2], "rejected_input_ids": [3]}
    assert distributed.example_id(pair) != distributed.example_id(dict(pair, chosen_input_ids=[3]))
    # DPO's and KTO's rows (TRL's `*_ids` layout): the answer tells two rows of one prompt apart
    dpo = {"prompt_ids": [1], "chosen_ids": [2], "rejected_ids": [3]}
    assert distributed.example_id(dpo) != distributed.example_id(dict(dpo, rejected_ids=[4]))
    kto = {"prompt_ids": [1], "completion_ids": [2], "label": True}
    assert distributed.example_id(kto) != distributed.example_id(dict(kto, completion_ids=[3]))


def test_recording_collator_logs_then_collates(tmp_path):
    log = tmp_path / "rank-0.txt"
    collate = distributed.RecordingCollator(lambda rows: len(rows), log)
    assert collate([{"input_ids": [1]}, {"input_ids": [2]}]) == 2
    assert log.read_text().split() == [distributed.example_id({"input_ids": [1]}),
                                       distributed.example_id({"input_ids": [2]})]


# ---- the shipped configs and the launch command -----------------------------------------------


def test_shipped_configs_are_valid_accelerate_configs():
    from accelerate.commands.config.config_args import load_config_from_file

    assert set(shipped_configs()) == {"ddp", "deepspeed_zero2", "deepspeed_zero3", "fsdp"}
    kinds = {}
    for name, path in shipped_configs().items():
        config = load_config_from_file(str(path))
        kinds[name] = config.distributed_type.name
        assert config.num_processes == 8 and config.mixed_precision == "bf16"
    assert kinds == {"ddp": "MULTI_GPU", "deepspeed_zero2": "DEEPSPEED", "deepspeed_zero3": "DEEPSPEED",
                     "fsdp": "FSDP"}
    zero3 = yaml.safe_load((CONFIG_DIR / "deepspeed_zero3.yaml").read_text())
    assert zero3["deepspeed_config"]["zero_stage"] == 3 and zero3["deepspeed_config"]["zero3_save_16bit_model"]
    fsdp = yaml.safe_load((CONFIG_DIR / "fsdp.yaml").read_text())
    assert fsdp["fsdp_config"]["fsdp_state_dict_type"] == "FULL_STATE_DICT"  # one loadable file


@pytest.mark.parametrize("name", ["orpo", "dpo", "simpo", "kto"])
def test_accelerate_config_flag_builds_the_launch_command(tmp_path, name):
    import importlib

    from trainer.training.preference_run import to_command
    from trainer.core.preference_trainers import TRAINERS

    spec = TRAINERS[name]
    args = spec.config(out=str(tmp_path / "o"), max_steps=5)
    recipe = importlib.import_module(spec.module).RECIPE
    cmd = accelerate_command("deepspeed_zero3", spec.module, flags_of(to_command(args, recipe)), python="py")
    assert cmd == ["py", "-m", "accelerate.commands.launch", "--config_file",
                   str(CONFIG_DIR / "deepspeed_zero3.yaml"), "-m", spec.module,
                   "--out", str(tmp_path / "o"), "--max-steps", "5"]
    assert resolve_config(str(CONFIG_DIR / "fsdp.yaml")) == CONFIG_DIR / "fsdp.yaml"
    with pytest.raises(ValueError, match="neither a file nor a shipped config"):
        resolve_config("zero9")


@pytest.mark.parametrize("name", ["orpo", "dpo", "simpo", "kto"])
def test_every_preference_trainer_refuses_an_unknown_accelerate_config(tmp_path, capsys, name):
    from diagramlab.cli import main

    assert main([name, "--accelerate-config", "zero9", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert f"diagramlab {name}: error" in err and "neither a file nor a shipped config" in err
