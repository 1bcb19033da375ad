"""The Train tab's logic: when training is allowed, starting a job on a snapshot, showing results.

`start(ctx, settings)` snapshots the preference CSV (`PreferenceStore.snapshot`) for the run,
picks the next free `checkpoints/orpo-N` name and hands an `OrpoJob` to the shared
`TrainingRunner`. `metrics_table` puts a finished checkpoint's eval metrics beside its parent's.

    ok, reason = gate(ctx)
    status = start(ctx, TrainSettings(max_steps=2, eval_n=2))
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from labeler.context import PROMPTS_FILE
from labeler.labeling import UserError
from labeler.limits import MAX_BETA, MAX_EPOCHS, MAX_EVAL_N, MAX_STEPS, bounded_number, whole_number
from labeler.runner import JobBusyError, JobStatus, OrpoJob
from trainer.checkpoint import CheckpointError, read_manifest
from trainer.orpo import ORPOArgs  # light: trainer.orpo imports torch only inside training
from trainer.preferences import PreferenceError

MIN_PAIRS = 20
# What the result table shows first: held-out sampling quality, then ORPO's own eval numbers.
HEADLINE_METRICS = ("heldout.validity", "heldout.eos_stop_rate", "heldout.seed_score",
                    "heldout.readability", "heldout.seconds_per_prompt_p50", "validity",
                    "eos_stop_rate", "seed_score", "readability", "eval_loss",
                    "eval_rewards/accuracies", "eval_rewards/margins", "train_loss")
_ORPO_NAME = re.compile(r"^orpo-(\d+)$")


def field_defaults() -> dict[str, tuple[object, str]]:
    """(default, help) of the exposed `diagramlab orpo` options, from its ORPOArgs dataclass."""
    wanted = ("max_steps", "epochs", "beta", "eval_n")
    return {f.name: (f.default, f.metadata["help"]) for f in fields(ORPOArgs) if f.name in wanted}


@dataclass(frozen=True)
class TrainSettings:
    """The advanced fields; None leaves `diagramlab orpo`'s default."""

    max_steps: int | None = None
    epochs: float | None = None
    beta: float | None = None
    eval_n: int | None = None


def pair_count(ctx) -> int:
    return len(ctx.store.load())


def gate(ctx) -> tuple[bool, str]:
    """(may start, reason shown beside the button)."""
    status = ctx.runner.status()
    if status.running:
        return False, f"A training job is running (step {status.step}/{status.total or '?'})."
    try:
        n = pair_count(ctx)
    except PreferenceError as exc:
        return False, f"The preferences file is unreadable: {exc}"
    if n < MIN_PAIRS:
        return False, f"Training needs at least {MIN_PAIRS} pairs; there are {n}. Label more first."
    return True, (f"Ready: {n} pairs, starting from `{ctx.model_name(ctx.active_checkpoint())}`.")


def next_out_dir(checkpoints_dir: Path) -> Path:
    """checkpoints/orpo-N with N one above the highest existing (temp dirs included)."""
    numbers = [int(m.group(1)) for p in Path(checkpoints_dir).glob("*orpo-*")
               if (m := _ORPO_NAME.match(p.name.lstrip(".").split(".tmp")[0]))]
    return Path(checkpoints_dir) / f"orpo-{max(numbers, default=0) + 1}"


def snapshot(store, dest_dir: Path) -> Path:
    """A copy of the pairs taken under the store's lock: training reads a fixed set of pairs."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"pairs-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.csv"
    return store.snapshot(dest_dir / name)


def _number(value, name: str, kind: type, minimum: float, maximum: float):
    """A blank field is None (the trainer's default); anything else must be a number in range."""
    if value is None or value == "":
        return None
    if kind is int:
        return whole_number(value, name, int(minimum), int(maximum))
    return bounded_number(value, name, minimum, maximum)


def check_settings(settings: TrainSettings) -> TrainSettings:
    max_steps = _number(settings.max_steps, "Max steps", int, -1, MAX_STEPS)
    return TrainSettings(max_steps=max_steps if max_steps and max_steps > 0 else None,
                         epochs=_number(settings.epochs, "Epochs", float, 0.01, MAX_EPOCHS),
                         beta=_number(settings.beta, "Beta", float, 1e-6, MAX_BETA),
                         eval_n=_number(settings.eval_n, "Eval prompts", int, 0, MAX_EVAL_N))


def start(ctx, settings: TrainSettings) -> JobStatus:
    """Start ORPO from the active checkpoint on a snapshot of the pairs (UserError if refused)."""
    settings = check_settings(settings)
    allowed, reason = gate(ctx)
    if not allowed:
        raise UserError(reason)
    try:
        data = snapshot(ctx.store, ctx.runner.runs_dir / "snapshots")
    except PreferenceError as exc:
        raise UserError(str(exc)) from None
    job = OrpoJob(checkpoint=ctx.active_checkpoint(), data=data,
                  out=next_out_dir(ctx.checkpoints_dir), max_steps=settings.max_steps,
                  epochs=settings.epochs, beta=settings.beta, eval_n=settings.eval_n,
                  prompts=ctx.data_dir / PROMPTS_FILE)
    try:
        return ctx.runner.start(job)
    except JobBusyError as exc:
        raise UserError(f"A training job is already running: {exc}") from None


def loss_frame(status: JobStatus):
    """The live plot's data: one row per logged step and series; None before the first step
    (Gradio fixes a plot's series from the first data it gets, so an empty frame would leave
    the plot without lines for good)."""
    import pandas as pd

    if not status.losses and not status.margins:
        return None
    rows = [(s, v, "loss") for s, v in status.losses]
    rows += [(s, v, "reward margin") for s, v in status.margins]
    frame = pd.DataFrame(rows, columns=["step", "value", "series"])
    return frame.astype({"step": "int64", "value": "float64", "series": "str"})


def metrics_table(ctx, checkpoint: Path) -> str:
    """Markdown: the eval metrics of `checkpoint` beside its parent's."""
    try:
        new = read_manifest(checkpoint)
    except CheckpointError as exc:
        return str(exc)
    parent_name = new.get("parent_checkpoint") or ""
    try:
        parent = read_manifest(ctx.resolve_checkpoint(str(parent_name))) if parent_name else {}
    except CheckpointError:
        parent = {}
    new_m, old_m = flat_metrics(new.get("metrics")), flat_metrics(parent.get("metrics"))
    found = list(dict.fromkeys([*old_m, *new_m]))
    keys = [k for k in HEADLINE_METRICS if k in found] or found
    if not keys:
        return f"`{ctx.model_name(checkpoint)}` has no eval metrics in its manifest."
    head = (f"| metric | `{ctx.model_name(Path(parent_name))}` (previous) | "
            f"`{ctx.model_name(checkpoint)}` (new) |\n|---|---|---|")
    table = "".join(f"\n| {k} | {_fmt(old_m.get(k))} | {_fmt(new_m.get(k))} |" for k in keys)
    more = len(found) - len(keys)
    where = f"\n\n{more} more metrics in `{ctx.model_name(checkpoint)}/manifest.json`."
    return head + table + (where if more else "")


def flat_metrics(metrics, prefix: str = "") -> dict:
    """{"heldout": {"validity": 0.9}} -> {"heldout.validity": 0.9}; numbers only."""
    out = {}
    for key, value in (metrics or {}).items():
        if isinstance(value, dict):
            out.update(flat_metrics(value, f"{prefix}{key}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = value
    return out


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "-" if value is None else str(value)
