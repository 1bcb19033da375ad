"""The Train tab's logic: when training is allowed, starting a job on a snapshot, showing results.

`start(ctx, settings)` copies the preference CSV (under the store's lock) into the run directory,
picks the next free `checkpoints/orpo-N` name and hands an `OrpoJob` to the shared
`TrainingRunner`. `metrics_table` puts a finished checkpoint's eval metrics beside its parent's.

    ok, reason = gate(ctx)
    status = start(ctx, TrainSettings(max_steps=2, eval_n=2))
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from labeler.labeling import UserError
from labeler.runner import JobBusyError, JobStatus, OrpoJob
from trainer.checkpoint import CheckpointError, read_manifest
from trainer.preferences import PreferenceError

MIN_PAIRS = 20
_ORPO_NAME = re.compile(r"^orpo-(\d+)$")


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


def snapshot(store_path: Path, dest_dir: Path) -> Path:
    """Copy the preference CSV under its lock, so training reads a fixed set of pairs."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="pairs-", suffix=".csv", dir=dest_dir)
    Path(tmp).unlink()
    with FileLock(str(store_path) + ".lock", timeout=60):  # the PreferenceStore's lock file
        shutil.copyfile(store_path, tmp)
    return Path(tmp)


def _number(value, name: str, kind: type, minimum: float):
    """A blank field is None (the trainer's default); anything else must be a valid number."""
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, got {value!r}.") from None
    if number < minimum or (kind is int and number != float(value)):
        raise UserError(f"{name} must be a {'whole ' * (kind is int)}number >= {minimum}.")
    return number


def check_settings(settings: TrainSettings) -> TrainSettings:
    return TrainSettings(max_steps=_number(settings.max_steps, "Max steps", int, 1),
                         epochs=_number(settings.epochs, "Epochs", float, 0.01),
                         beta=_number(settings.beta, "Beta", float, 1e-6),
                         eval_n=_number(settings.eval_n, "Eval prompts", int, 0))


def start(ctx, settings: TrainSettings) -> JobStatus:
    """Start ORPO from the active checkpoint on a snapshot of the pairs (UserError if refused)."""
    settings = check_settings(settings)
    allowed, reason = gate(ctx)
    if not allowed:
        raise UserError(reason)
    data = snapshot(ctx.store.path, ctx.runner.runs_dir / "snapshots")
    job = OrpoJob(checkpoint=ctx.active_checkpoint(), data=data,
                  out=next_out_dir(ctx.checkpoints_dir), max_steps=settings.max_steps,
                  epochs=settings.epochs, beta=settings.beta, eval_n=settings.eval_n)
    try:
        return ctx.runner.start(job)
    except JobBusyError as exc:
        raise UserError(f"A training job is already running: {exc}") from None


def loss_rows(status: JobStatus) -> list[dict]:
    """Rows for the live plot: one per logged step and series."""
    rows = [{"step": s, "value": v, "series": "loss"} for s, v in status.losses]
    rows += [{"step": s, "value": v, "series": "reward margin"} for s, v in status.margins]
    return rows


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
    new_m, old_m = new.get("metrics") or {}, parent.get("metrics") or {}
    keys = [k for k in dict.fromkeys([*old_m, *new_m])
            if isinstance(new_m.get(k, old_m.get(k)), (int, float))]
    if not keys:
        return f"`{ctx.model_name(checkpoint)}` has no eval metrics in its manifest."
    head = (f"| metric | `{ctx.model_name(Path(parent_name))}` (previous) | "
            f"`{ctx.model_name(checkpoint)}` (new) |\n|---|---|---|")
    return head + "".join(f"\n| {k} | {_fmt(old_m.get(k))} | {_fmt(new_m.get(k))} |" for k in keys)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "-" if value is None else str(value)
