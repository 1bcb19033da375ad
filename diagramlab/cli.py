"""The `diagramlab` command: one dispatcher that imports only the module of the command being run.

It sits above the packages it dispatches to (`diagramlab/`, not `trainer/`), so no module of
`trainer` names `labeler` (the arrows point one way). Each command lives in a module exposing
`add_<name>_arguments(parser)` and `run_<name>(args) -> int`, so `diagramlab check` never pays for
importing torch.

    diagramlab --help
    diagramlab check diagram.txt --json
    python -m diagramlab check diagram.txt      # the same
"""

from __future__ import annotations

import argparse
import importlib
import sys

from trainer.core.args import exit_fast_when_cancelled
from trainer.core.preference_trainers import TRAINERS

# name -> (module, one-line help). Function names are derived: add_<name>_arguments / run_<name>.
COMMANDS: dict[str, tuple[str, str]] = {
    "data": ("trainer.data.synth", "write the synthetic SFT dataset or the labeling prompt pool"),
    "check": ("trainer.data.diagram_cmds", "print parse problems and metrics of a diagram text file"),
    "render": ("trainer.data.diagram_cmds", "render a diagram text file to PNG or SVG"),
    "gallery": ("trainer.data.diagram_cmds", "render dataset rows into a contact-sheet PNG"),
    "sft": ("trainer.training.sft", "supervised fine-tuning (LoRA, or full for the tiny preset)"),
    "generate": ("trainer.generation.generate", "sample K candidate diagrams for a request"),
    "eval": ("trainer.generation.evaluate", "evaluate a checkpoint on held-out prompts"),
    "bootstrap": ("trainer.loop.bootstrap", "write auto preference pairs from reference layouts"),
    "export-pairs": ("trainer.core.judgment_store", "rebuild the training pairs from the labeled judgments (a pair scheme)"),
    **{name: (trainer.module, trainer.help) for name, trainer in TRAINERS.items()},  # orpo, ...
    "round": ("trainer.loop.rounds", "one round: train on the pairs new since a checkpoint, judge it on "
                                "held-out pairs"),
    "app": ("labeler.app", "start the labeler web app"),
}


def _function_name(name: str) -> str:
    return name.replace("-", "_")


def build_parser(command: str) -> argparse.ArgumentParser:
    module_name, help_text = COMMANDS[command]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"diagramlab {command}", description=help_text)
    getattr(module, f"add_{_function_name(command)}_arguments")(parser)
    parser.set_defaults(_run=getattr(module, f"run_{_function_name(command)}"))
    return parser


def usage() -> str:
    width = max(len(n) for n in COMMANDS)
    lines = ["usage: diagramlab COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_text}" for name, (_, help_text) in COMMANDS.items()]
    lines += ["", "Run `diagramlab COMMAND --help` for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"diagramlab: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        return 2
    args = build_parser(command).parse_args(rest)
    return int(args._run(args) or 0)


def run() -> None:
    """The console script: `main()`, then exit (fast after a cancelled training run)."""
    exit_code = main()
    exit_fast_when_cancelled(exit_code)
    raise SystemExit(exit_code)


if __name__ == "__main__":
    run()
