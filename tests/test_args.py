"""One settings shape: config dataclass <-> flags <-> argument list, and torch-free configs."""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import replace

import pytest

from trainer.core.args import add_dataclass_arguments, from_namespace, to_argv, to_command
from trainer.core.orpo_config import ORPOArgs
from trainer.core.sft_config import SFTArgs


@pytest.mark.parametrize("config", [
    SFTArgs(),
    SFTArgs(preset="tiny", out="o", synthetic_rows=5, lr=0.003, plan_line=True, overwrite=True),
    ORPOArgs(out="checkpoints/orpo 2", max_steps=3, beta=0.05, no_eval=True),
])
def test_a_config_survives_flags_and_back(config):
    parser = argparse.ArgumentParser()
    add_dataclass_arguments(parser, type(config))
    assert from_namespace(type(config), parser.parse_args(to_argv(config))) == config


def test_to_argv_passes_only_changed_fields_plus_the_kept_ones():
    args = replace(ORPOArgs(), max_steps=2)
    assert to_argv(args) == ["--max-steps", "2"]
    assert to_argv(args, keep=("checkpoint",)) == ["--checkpoint", ORPOArgs().checkpoint, "--max-steps", "2"]
    assert to_command(replace(args, out="a b"), "diagramlab orpo") == "diagramlab orpo --out 'a b' --max-steps 2"


def test_configs_and_the_labelers_training_path_import_no_torch():
    code = ("import sys, trainer.core.args, trainer.core.orpo_config, trainer.core.sft_config, trainer.core.schema, "
            "trainer.core.fileio, trainer.core.events, trainer.generation.sources, labeler.runner, labeler.training; "
            "print(sorted(m for m in ('torch', 'transformers', 'trl') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
