"""The Train tab's logic: when training is allowed, starting a job on a snapshot, showing results.

`start(ctx, settings, trainer="orpo")` (or "dpo", "simpo", "kto") snapshots the preference CSV (`PreferenceStore.export_csv`)
for the run, picks the next free `checkpoints/<trainer>-N` name and hands the run's config (the
registered trainer's own dataclass, `trainer.preference_trainers`: ORPOArgs; `TrainSettings` are
just the page's four optional fields over its defaults, plus the Launch choice: one process or
a shipped `configs/accelerate` config) to the shared `TrainingRunner`, which passes it to the
subprocess as flags. The gate counts pairs that are new since the active
checkpoint was trained (its `preferences.csv` snapshot). `verdict_markdown` shows a finished checkpoint's verdict
(`trainer.verdict`): the previous and the new model on the same held-out pairs and prompts.

    ok, reason = gate(ctx)
    status = start(ctx, TrainSettings(max_steps=2, eval_n=2))
"""

from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from labeler.common import UserError
from labeler.limits import MAX_BETA, MAX_EPOCHS, MAX_EVAL_N, MAX_STEPS, bounded_number, whole_number
from labeler.runner import JobBusyError, JobStatus
from trainer.checkpoint import CheckpointError, read_manifest
from trainer.fileio import utc_stamp
from trainer.launch import shipped_configs
from trainer.preference_trainers import DEFAULT_TRAINER, TRAINERS
from trainer.preferences import PreferenceError
from trainer.schema import PROMPTS_FILE

MIN_PAIRS = 20  # new pairs since the active checkpoint was trained


SETTINGS_FIELDS = ("max_steps", "epochs", "beta", "eval_n")  # the page's advanced fields


def check_trainer(name: str | None) -> str:
    """A registered trainer's name (None or blank: the default); UserError otherwise."""
    name = name or DEFAULT_TRAINER
    if name not in TRAINERS:
        raise UserError(f"Unknown trainer {name!r}; choose one of {', '.join(TRAINERS)}.")
    return name


def field_defaults(trainer: str = DEFAULT_TRAINER) -> dict[str, tuple[object, str]]:
    """(default, help) of the exposed options of the trainer's config dataclass (ORPOArgs)."""
    return {f.name: (f.default, f.metadata["help"]) for f in fields(TRAINERS[trainer].config)
            if f.name in SETTINGS_FIELDS}


@dataclass(frozen=True)
class TrainSettings:
    """The advanced fields; None leaves the trainer's default (names are its config's fields)."""

    max_steps: int | None = None
    epochs: float | None = None
    beta: float | None = None
    eval_n: int | None = None
    launcher: str | None = None  # how to run it, not a config field: a shipped accelerate config name

    def apply(self, args: Any) -> Any:
        """`args` with the config fields set here replaced (the launcher is the runner's)."""
        chosen = {k: v for k, v in asdict(self).items() if v is not None and k != "launcher"}
        return replace(args, **chosen)


SINGLE_PROCESS = "one process"


def launcher_choices() -> list[str]:
    """The Train tab's launch choices: one process, or a shipped configs/accelerate config."""
    return [SINGLE_PROCESS, *shipped_configs()]


def check_launcher(value) -> str | None:
    """None for one process, else the name of a shipped accelerate config (UserError otherwise)."""
    if value in (None, "", SINGLE_PROCESS):
        return None
    if value not in launcher_choices():
        raise UserError(f"Unknown launcher {value!r}; choose one of {', '.join(launcher_choices())}.")
    return str(value)


def new_pair_count(ctx) -> tuple[int, int]:
    """(pairs new since the active checkpoint was trained, all pairs). A checkpoint trained on
    pairs ships them (`preferences.csv`); an SFT checkpoint has none, so every pair is new."""
    stored = ctx.store.read()
    seen = ctx.models.trained_pair_ids(ctx.models.active())
    return sum(row["pair_id"] not in seen for row in stored.rows), len(stored)


def gate(ctx) -> tuple[bool, str]:
    """(may start, reason shown beside the button)."""
    status = ctx.runner.status()
    if status.running:
        return False, f"A training job is running (step {status.step}/{status.total or '?'})."
    try:
        new, total = new_pair_count(ctx)
    except PreferenceError as exc:
        return False, f"The preferences file is unreadable: {exc}"
    active = ctx.models.name(ctx.models.active())
    if new < MIN_PAIRS:
        return False, (f"Training needs at least {MIN_PAIRS} pairs that `{active}` was not trained "
                       f"on; there are {new} (of {total}). Label more first.")
    return True, f"Ready: {new} new pairs ({total} in all), starting from `{active}`."


def next_out_dir(checkpoints_dir: Path, prefix: str = DEFAULT_TRAINER) -> Path:
    """checkpoints/<prefix>-N (orpo-N) with N one above the highest existing (temp dirs included)."""
    name = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    numbers = [int(m.group(1)) for p in Path(checkpoints_dir).glob(f"*{prefix}-*")
               if (m := name.match(p.name.lstrip(".").split(".tmp")[0]))]
    return Path(checkpoints_dir) / f"{prefix}-{max(numbers, default=0) + 1}"


def snapshot(store, dest_dir: Path) -> Path:
    """A copy of the pairs taken under the store's lock: training reads a fixed set of pairs."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"pairs-{utc_stamp()}-{uuid.uuid4().hex[:6]}.csv"
    return store.export_csv(dest_dir / name)


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
                         eval_n=_number(settings.eval_n, "Eval prompts", int, 0, MAX_EVAL_N),
                         launcher=check_launcher(settings.launcher))


def start(ctx, settings: TrainSettings, trainer: str = DEFAULT_TRAINER) -> JobStatus:
    """Start the preference trainer (ORPO by default) from the active checkpoint on a snapshot of
    the pairs (UserError if refused)."""
    settings = check_settings(settings)
    allowed, reason = gate(ctx)
    if not allowed:
        raise UserError(reason)
    try:
        data = snapshot(ctx.store, ctx.runner.runs_dir / "snapshots")
    except PreferenceError as exc:
        raise UserError(str(exc)) from None
    spec = TRAINERS[trainer]
    # KTO also learns from the judgments file (both-bad screens); it is append-only, read as is.
    judged = ctx.judgments is not None and ctx.judgments.path.is_file() and "judgments" in spec.config.__dataclass_fields__
    job = settings.apply(spec.config(checkpoint=str(ctx.models.active()), data=str(data),
                                     out=str(next_out_dir(ctx.checkpoints_dir, spec.name)),
                                     prompts=str(ctx.data_dir / PROMPTS_FILE),
                                     **({"judgments": str(ctx.judgments.path)} if judged else {})))
    try:
        return ctx.runner.start(job, launcher=settings.launcher)
    except JobBusyError as exc:
        raise UserError(f"A training job is already running: {exc}") from None


def loss_frame(status: JobStatus):
    """The live plot's data: one row per logged step and series; None before the first step
    (Gradio fixes a plot's series from the first data it gets, so an empty frame would leave
    the plot without lines for good)."""
    if not status.losses and not status.margins:
        return None
    rows = [(s, v, "loss") for s, v in status.losses]
    rows += [(s, v, "reward margin") for s, v in status.margins]
    frame = pd.DataFrame(rows, columns=["step", "value", "series"])
    return frame.astype({"step": "int64", "value": "float64", "series": "str"})


def verdict_markdown(ctx, checkpoint: Path) -> str:
    """The new checkpoint against its parent, in words and one table, from its manifest."""
    try:
        manifest = read_manifest(checkpoint)
    except CheckpointError as exc:
        return str(exc)
    verdict = manifest.get("verdict")
    new_name = ctx.models.name(Path(checkpoint))
    if not verdict:
        return f"`{new_name}` has no verdict in its manifest (trained by an older version)."
    old_name = ctx.models.name(Path(verdict.get("previous_checkpoint") or "previous"))
    new, old, n = verdict.get("new") or {}, verdict.get("previous") or {}, verdict["heldout_pairs"]
    if n and new.get("prefers_chosen") is not None:
        head = (f"**`{new_name}` prefers your chosen diagram in {_pct(new['prefers_chosen'])} of "
                f"{n} held-out pairs; `{old_name}`: {_pct(old.get('prefers_chosen'))}.** "
                "(Pairs of prompts set aside before training; higher is better, 50% is a coin.)")
    else:
        head = "Too few pairs to hold any out: no preference verdict."
    rows = [("valid diagrams", "validity"), ("stopped on their own (EOS)", "eos_stop_rate"),
            ("original-project score", "seed_score")]
    new_s, old_s = new.get("sampling") or {}, old.get("sampling") or {}
    if not new_s:
        return head
    where = (f"sampled on the same {new_s.get('n_prompts')} held-out pool prompts, "
             f"{new_s.get('k')} each")
    table = (f"\n\n| {where} | `{old_name}` (previous) | `{new_name}` (new) |\n|---|---|---|"
             + "".join(f"\n| {label} | {_fmt(old_s.get(key), key)} | {_fmt(new_s.get(key), key)} |"
                       for label, key in rows))
    return head + table


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _fmt(value, key: str) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if key == "seed_score" else _pct(value)
