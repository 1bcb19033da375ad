"""`diagramlab round`'s options: `RoundArgs` = the round's own fields + the trainer's config, nested.

A round trains the chosen preference trainer (`--trainer`, ORPO by default) from `--checkpoint`
on the pairs it has not trained on yet and that are not held out, then compares the start and
the new checkpoint on the user's held-out pairs (`trainer.loop.rounds`). The trainer's settings are
its own config dataclass (`ORPOArgs`, `DPOArgs`, ...: `trainer.core.preference_trainers`), nested as
`RoundArgs.train`, never re-declared here: a round differs from a plain run only by
`ROUND_TRAINING` (no validation split, the held-out judgments judge the round; no sampling check
unless `--eval-n` asks). The labeler's auto-retrain builds a `RoundArgs` and the runner passes it
to `python -m trainer.loop.rounds` as flags (`round_to_argv`, parsed back by `round_from_namespace`).
Torch-free.

    args = round_args("dpo", checkpoint="checkpoints/orpo-1", out="checkpoints/round-1", min_new=25)
    args.train          # DPOArgs(checkpoint="checkpoints/orpo-1", ..., val_fraction=0.0, eval_n=0)
    args.trainer        # "dpo" (the registry name of type(args.train))
    args.with_fields(events="ev.jsonl", max_steps=3)   # a copy, each field where it lives
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, fields, replace
from typing import Any

from trainer.core.args import flag_of, to_argv
from trainer.core.judgments import HELDOUT_EVERY
from trainer.core.preference_config import PreferenceArgs
from trainer.core.preference_trainers import DEFAULT_TRAINER, TRAINERS, trainer_of

ALL_ANNOTATORS = "all"
MIN_HELDOUT_TO_JUDGE = 5  # fewer held-out judgments (screens): the round activates without a judgment
# what a round's training differs in from a plain run of the same trainer
ROUND_TRAINING = {"val_fraction": 0.0, "eval_n": 0}


def round_training(trainer: str = DEFAULT_TRAINER, **settings: Any) -> PreferenceArgs:
    """The trainer's config with a round's defaults (`ROUND_TRAINING`), then `settings`.
    ValueError for an unknown trainer or a setting that trainer does not have."""
    if trainer not in TRAINERS:
        raise ValueError(f"--trainer must be one of {', '.join(TRAINERS)}, not {trainer!r}")
    config = TRAINERS[trainer].config
    unknown = sorted(set(settings) - {f.name for f in fields(config)})
    if unknown:
        raise ValueError(f"{', '.join(flag_of(n) for n in unknown)}: not a setting of {trainer}")
    return config(**{**ROUND_TRAINING, **settings})


@dataclass
class RoundArgs:
    """Options of `diagramlab round`: its own fields, one CLI flag each, and `train`, the chosen
    trainer's config (its fields are the trainer's flags: --checkpoint, --data, --out, --events,
    --annotator, --max-steps, --beta, ...)."""

    train: PreferenceArgs = field(default_factory=round_training, metadata={
        "help": "the trainer's config (its class picks --trainer)"})
    min_new: int = field(default=2, metadata={
        "help": "refuse the round when fewer new judgments (not trained on, not held out) exist"})
    heldout_every: int = field(default=HELDOUT_EVERY, metadata={
        "help": "about 1 judgment in this many is held out for the evaluation (trainer.core.judgments.is_heldout)"})

    @property
    def trainer(self) -> str:
        return trainer_of(self.train).name

    @property
    def checkpoint(self) -> str:
        return self.train.checkpoint

    @property
    def data(self) -> str:
        return self.train.data

    @property
    def out(self) -> str:
        return self.train.out

    @property
    def events(self) -> str:
        return self.train.events

    @property
    def annotator(self) -> str:
        """The annotator whose rows the round selects; ALL_ANNOTATORS for everyone's."""
        return self.train.annotator or ALL_ANNOTATORS

    def with_fields(self, **changes: Any) -> RoundArgs:
        """A copy with `changes` applied where each field lives (the round's or the trainer's)."""
        own = {name: changes.pop(name) for name in OWN_FIELDS if name in changes}
        train = replace(self.train, **changes) if changes else self.train
        return replace(self, train=train, **own)


OWN_FIELDS = tuple(f.name for f in fields(RoundArgs) if f.name != "train")


def round_args(trainer: str = DEFAULT_TRAINER, **values: Any) -> RoundArgs:
    """A `RoundArgs` from flat keywords: the round's own fields and the trainer's settings."""
    own = {name: values.pop(name) for name in OWN_FIELDS if name in values}
    return RoundArgs(train=round_training(trainer, **values), **own)


# ---------------------------------------------------------------- flags


def add_round_arguments(parser: argparse.ArgumentParser) -> None:
    """`--trainer`, the round's own flags, and every registered trainer's flags (a flag the chosen
    trainer does not have is refused by `round_from_namespace`)."""
    parser.add_argument("--trainer", default=DEFAULT_TRAINER, choices=list(TRAINERS),
                        help=f"the preference trainer (default: {DEFAULT_TRAINER!r})")
    for f in fields(RoundArgs):
        if f.name in OWN_FIELDS:
            parser.add_argument(flag_of(f.name), type=type(f.default), default=f.default,
                                help=f"{f.metadata['help']} (default: {f.default!r})")
    seen: set[str] = set()
    for spec in TRAINERS.values():
        for f in fields(spec.config):
            if f.name in seen:
                continue
            seen.add(f.name)
            default = ROUND_TRAINING.get(f.name, f.default)
            owner = "" if all(f.name in {g.name for g in fields(s.config)} for s in TRAINERS.values()) \
                else f" ({spec.name} only)"
            if isinstance(f.default, bool):
                parser.add_argument(flag_of(f.name), action="store_true", default=argparse.SUPPRESS,
                                    help=f.metadata["help"] + owner)
            else:
                parser.add_argument(flag_of(f.name), type=type(f.default), default=argparse.SUPPRESS,
                                    help=f"{f.metadata['help']}{owner} (default: the trainer's, {default!r} "
                                         f"for {spec.name})")


def round_from_namespace(namespace: argparse.Namespace) -> RoundArgs:
    """The `RoundArgs` of parsed flags (`add_round_arguments`); ValueError for a trainer flag the
    chosen trainer does not have."""
    values = {k: v for k, v in vars(namespace).items() if k in OWN_FIELDS or k in _TRAINER_FIELDS}
    return round_args(getattr(namespace, "trainer", DEFAULT_TRAINER), **values)


def round_to_argv(args: RoundArgs, keep: tuple[str, ...] = ()) -> list[str]:
    """The flags that reproduce `args`: --trainer, the round's fields that differ from their
    defaults, the trainer's fields that differ from its defaults, plus the trainer fields in `keep`."""
    argv = ["--trainer", args.trainer]
    for f in fields(RoundArgs):
        if f.name in OWN_FIELDS and getattr(args, f.name) != f.default:
            argv += [flag_of(f.name), str(getattr(args, f.name))]
    return argv + to_argv(args.train, keep=keep)


_TRAINER_FIELDS = frozenset(f.name for spec in TRAINERS.values() for f in fields(spec.config))
