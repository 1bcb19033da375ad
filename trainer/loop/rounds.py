"""One round of iterative preference training: train on what is new, keep the result only if it is better.

    diagramlab round --checkpoint checkpoints/tiny-sft --out checkpoints/round-1 [--trainer orpo]
    diagramlab round --checkpoint checkpoints/round-1                    # next: round-2, new rows only
    python -m trainer.loop.rounds ...   (same flags; the labeler's auto-retrain runs this)

A round, from the start checkpoint `--checkpoint`:

1. reads the preference store and splits it (`trainer.loop.round_data.select_round`): the user's
   held-out pairs (about 1 labeled judgment in `--heldout-every`, `trainer.core.judgments.is_heldout`
   over `judgment_id` when the store has it, else `pair_id`), and the new pairs: not held out and
   not trained on by the start checkpoint or its parents. `--annotator NAME` keeps that
   annotator's rows only. Fewer than `--min-new` new judgments: refused, nothing written;
2. trains `--trainer` (orpo, dpo, simpo, kto; `trainer.training.preference_run`) from the start checkpoint
   on the new pairs only (no validation split: the held-out pairs judge the round). DPO and KTO
   use the start checkpoint as their reference; the manifest's `parent_checkpoint` names it, and
   the checkpoint's `preferences.csv` holds this round's pairs;
3. scores the start and the new checkpoint on every held-out pair (`trainer.generation.scoring.
   preference_accuracy`: the chosen answer's mean per-token log-probability beats the rejected one's);
4. writes the verdict into the new checkpoint's manifest, `round`: {parent, trainer, new_pairs,
   new_judgments, heldout_pairs, accuracy_before, accuracy_after, margin_before, margin_after,
   activate, reason, ...}. `activate` is true when the new model's margin (chosen minus rejected)
   grew, on average over each held-out judgment's pairs, for more than half of the held-out
   judgments (`judge`: paired, screen by screen; exactly half: when the mean margin grew); with fewer
   than MIN_HELDOUT_TO_JUDGE held-out judgments it is true and the reason says "too few held-out
   judgments to judge". Two laid-out answers are compared on their style lines
   (`trainer.core.choices`). The checkpoint is written either way; the labeler switches
   its active model only when `activate` is true.

Progress goes to `--events` (`trainer.core.events`): the round's phases, the trainer's steps, then one
final event (`done` with `checkpoint` and `metrics` = the verdict; `failed`; `cancelled`). SIGTERM
cancels at any stage and removes the new checkpoint if this round already published it.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainer.core import args as config_args
from trainer.core.checkpoint import next_free_dir, read_manifest, work_dir, write_manifest
from trainer.core.csv_records import encode_rows
from trainer.core.events import EventWriter
from trainer.core.fileio import os_error_message
from trainer.core.preference_trainers import TRAINERS
from trainer.core.preferences import PreferenceError, open_store
from trainer.loop.round_config import (ALL_ANNOTATORS, MIN_HELDOUT_TO_JUDGE, RoundArgs, add_round_arguments,
                                  round_from_namespace, round_to_argv)
from trainer.loop.round_data import RoundPlan, judgment_key, lineage_pair_ids, select_round

PROGRAM = "diagramlab round"
TOO_FEW = "too few held-out judgments to judge"


class RoundRefused(ValueError):
    """Nothing to do yet (too few new judgments); nothing was written."""


class TrainingEvents(EventWriter):
    """The trainer's events inside a round: its final status becomes a phase line, because the
    round's own final event comes after its evaluation (the runner takes the first final event
    as the end of the job)."""

    def final(self, status: str, **fields: Any) -> dict[str, Any]:
        detail = fields.get("checkpoint") or fields.get("error") or ""
        return self.write(phase=f"training {status}" + (f": {detail}" if detail else ""))


def judge(before: dict[str, Any], after: dict[str, Any],
          judgments: Sequence[str] | None = None) -> tuple[bool, str]:
    """(activate, reason) from the start's and the new model's `preference_accuracy` reports on the
    same held-out pairs; `judgments`: the judgment (screen) of each held-out pair, in order (None:
    every pair its own).

    Paired: a held-out judgment counts for the new model when its pairs' margins (chosen minus
    rejected, mean per-token log-probability) grew on average, i.e. the new model moved toward the
    user's choice on that screen; the round is better when that holds for more than half of the
    held-out judgments (exactly half: when the mean margin grew). Comparing the two accuracies
    instead throws the pairing away: each model's own margins are mostly noise (bench_taste: that
    rule rejected rounds 2-4 of a blue taste, the served model staying at 26% matches until round 5
    reached 92%), while the change of a margin on the same text cancels that noise. A screen
    counts once, however many pairs its ranking gave (as in training, `preference_data`): counted
    by pairs, two held-out screens of 3 pairs each judged a round (bench_taste, blue, round 1).
    Fewer than MIN_HELDOUT_TO_JUDGE held-out judgments: activated, untested.
    """
    n = after["n"]
    margins = list(zip(before.get("margins") or [], after.get("margins") or []))
    keys = list(judgments) if judgments is not None and len(judgments) == n else [str(i) for i in range(n)]
    screens = len(set(keys))
    if screens < MIN_HELDOUT_TO_JUDGE:
        return True, (f"{TOO_FEW} ({screens} held-out judgments, {n} pairs; at least {MIN_HELDOUT_TO_JUDGE} "
                      f"judgments needed): activated without a judgment")
    acc0, acc1, m0, m1 = before["accuracy"], after["accuracy"], before["mean_margin"], after["mean_margin"]
    grew = None
    if len(margins) == n:
        change: dict[str, list[float]] = {}
        for key, (a, b) in zip(keys, margins):
            change.setdefault(key, []).append(b - a)
        grew = sum(sum(c) > 0 for c in change.values())
    unit = "held-out pairs" if screens == n else f"held-out judgments ({n} pairs)"
    words = (f"moved toward your choice on {grew} of {screens} {unit}; " if grew is not None else "") + \
        f"accuracy {100 * acc0:.0f}% -> {100 * acc1:.0f}%, mean margin {m0:+.3f} -> {m1:+.3f}"
    if grew is None:  # reports without per-pair margins: compare the accuracies, then the margins
        better = acc1 > acc0 or (acc1 == acc0 and m1 > m0)
        return better, f"{'better' if better else 'not better'}: {words}"
    if 2 * grew > screens or (2 * grew == screens and m1 > m0):
        return True, f"better: {words}"
    return False, f"not better: {words}"


def plan_round(args: RoundArgs) -> RoundPlan:
    """The new and held-out pairs for a round from `args.checkpoint` (reads the store)."""
    view = open_store(args.data).read()
    return select_round(view.rows, lineage_pair_ids(Path(args.checkpoint)), args.annotator, args.heldout_every)


def write_pairs(path: Path, rows: tuple) -> Path:
    """The round's training pairs as a store CSV (every column the rows have, store order first)."""
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    data = encode_rows(columns, rows)
    path.write_bytes(data)
    return path


def trainer_config(args: RoundArgs, data: Path) -> Any:
    """The trainer's config for this round: `args.train` on this round's pairs (already selected,
    so no annotator filter), no validation split, sampling only when --eval-n asks."""
    return replace(args.train, data=str(data), annotator="", val_fraction=0.0,
                   no_eval=args.train.no_eval or args.train.eval_n <= 0)


def _validate(args: RoundArgs) -> RoundArgs:
    if args.min_new < 1:
        raise ValueError("--min-new must be at least 1")
    if not (Path(args.checkpoint) / "manifest.json").is_file():
        raise ValueError(f"{args.checkpoint} is not a checkpoint directory (no manifest.json)")
    out = args.out or str(next_free_dir(Path(args.checkpoint).parent, "round"))
    if Path(out).exists() and not args.train.overwrite:
        raise ValueError(f"{out} already exists; choose another --out or pass --overwrite")
    return args.with_fields(out=out)


def _score(checkpoint: str | Path, pairs: tuple) -> dict[str, Any]:
    from trainer.generation.modeling import load_model
    from trainer.generation.scoring import preference_accuracy

    model, tokenizer = load_model(checkpoint)
    return preference_accuracy(model, tokenizer, pairs)


def _train_and_judge(args: RoundArgs, plan: RoundPlan, cancel: threading.Event, say,
                     events: str) -> tuple[Path, dict[str, Any]]:
    import torch

    from trainer.training.preference_parts import Cancelled
    from trainer.training.preference_run import train_preference

    if args.train.threads:
        torch.set_num_threads(args.train.threads)
    recipe = importlib.import_module(TRAINERS[args.trainer].module).RECIPE
    with work_dir("round") as work:
        data = write_pairs(Path(work) / "round-pairs.csv", plan.new)
        config = trainer_config(args, data)
        writer = TrainingEvents(events) if events else None
        out = train_preference(config, recipe, cancel, writer=writer)
    if cancel.is_set():
        raise Cancelled("training was cancelled")
    say(f"scoring {len(plan.heldout)} held-out pairs with the start checkpoint {Path(args.checkpoint).name}")
    before = _score(args.checkpoint, plan.heldout)
    if cancel.is_set():
        raise Cancelled("training was cancelled")
    say(f"scoring {len(plan.heldout)} held-out pairs with the new checkpoint {out.name}")
    after = _score(out, plan.heldout)
    keys = [judgment_key(row) for row in plan.heldout]
    activate, reason = judge(before, after, keys)
    return out, {"parent": args.checkpoint, "trainer": args.trainer, "annotator": args.annotator,
            "new_pairs": len(plan.new), "new_judgments": plan.new_judgments,
            "heldout_pairs": after["n"], "heldout_judgments": len(set(keys)), "heldout_every": args.heldout_every,
            "accuracy_before": before["accuracy"], "accuracy_after": after["accuracy"],
            "margin_before": before["mean_margin"], "margin_after": after["mean_margin"],
            "activate": activate, "reason": reason, "data_file": args.data,
            "command": shlex.join(PROGRAM.split() + round_to_argv(args))}


def _discard(path: Path | None) -> None:
    """Remove the checkpoint this round published (only a dir that did not exist before it)."""
    if path is not None and path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def train_round(args: RoundArgs, cancel: threading.Event | None = None) -> tuple[Path, dict[str, Any]]:
    """Run one round (see the module docstring); returns (new checkpoint, verdict).

    Raises RoundRefused (too few new judgments), Cancelled (SIGTERM / `cancel`), ValueError."""
    from trainer.core.lifetime import watch_app
    from trainer.training.preference_parts import Cancelled, sigterm_sets

    watch_app()  # started by the app: end with it, judging included (trainer.core.lifetime)
    cancel = cancel or threading.Event()
    writer = EventWriter(args.events) if args.events else None

    def say(text: str) -> None:
        if writer:
            writer.write(phase=text)

    started = time.monotonic()
    ours: Path | None = None  # the new checkpoint's dir, once we know it is not someone else's
    with sigterm_sets(cancel):
        try:
            args = _validate(args)
            ours = Path(args.out) if not Path(args.out).exists() else None
            plan = plan_round(args)
            who = "" if args.annotator == ALL_ANNOTATORS else f" of {args.annotator}"
            if plan.new_judgments < args.min_new or len(plan.new) < 2:
                raise RoundRefused(
                    f"only {plan.new_judgments} new judgment(s){who} ({len(plan.new)} pairs) that "
                    f"{Path(args.checkpoint).name} was not trained on and that are not held out; a round needs "
                    f"at least {max(args.min_new, 1)} (and 2 pairs). Label more first.")
            say(f"round from {Path(args.checkpoint).name} with {args.trainer}: {len(plan.new)} new pairs "
                f"({plan.new_judgments} judgments){who} to train on, {len(plan.heldout)} held-out pairs to judge")
            out, verdict = _train_and_judge(args, plan, cancel, say, args.events)
            verdict["wall_seconds"] = round(time.monotonic() - started, 1)
            write_manifest(out, **{**read_manifest(out), "round": verdict})
        except (Cancelled, KeyboardInterrupt):
            _discard(ours)
            if writer:
                writer.final("cancelled")
            raise Cancelled("the round was cancelled; no checkpoint was kept") from None
        except Exception as exc:
            _discard(ours)  # a checkpoint without its verdict is not a finished round
            if writer:
                writer.final("failed", error=str(exc) if isinstance(exc, RoundRefused)
                             else f"{type(exc).__name__}: {exc}")
            raise
    say(f"{'activate' if verdict['activate'] else 'keep the start checkpoint'}: {verdict['reason']}")
    if writer:
        writer.final("done", checkpoint=str(out), metrics={"round": verdict})
    return out, verdict


# ---------------------------------------------------------------- command line


def run_round(namespace: argparse.Namespace) -> int:
    """`diagramlab round`: 0 done (either verdict), 1 refused or failed, 143 cancelled."""
    from trainer.training.preference_parts import Cancelled

    try:
        out, verdict = train_round(round_from_namespace(namespace))
    except RoundRefused as exc:
        print(f"{PROGRAM}: nothing to train yet: {exc}", file=sys.stderr)
        return 1
    except Cancelled as exc:
        print(f"{PROGRAM}: {exc}", file=sys.stderr)
        return config_args.EXIT_CANCELLED
    except OSError as exc:
        print(f"{PROGRAM}: error: {os_error_message(exc, 'run the round')}", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError, PreferenceError) as exc:
        print(f"{PROGRAM}: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}")
    print(f"{'activate' if verdict['activate'] else 'do not activate'}: {verdict['reason']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trainer.loop.rounds", description=__doc__.splitlines()[0])
    add_round_arguments(parser)
    return run_round(parser.parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    code = main()
    config_args.exit_fast_when_cancelled(code)
    raise SystemExit(code)
