"""The Train tab's logic: when training is allowed, starting a job on a snapshot, showing results.

`start(ctx, settings, trainer="orpo")` (or "dpo", "simpo", "kto") snapshots the preference CSV (`PreferenceStore.export_csv`;
with `annotator="ana"`, "train on my labels", only ana's rows: `trainer.core.annotators`) for the run, picks the next free `checkpoints/<trainer>-N` name and hands the run's config (the
registered trainer's own dataclass, `trainer.core.preference_trainers`: ORPOArgs; `TrainSettings` are
just the page's four optional fields over its defaults, plus the Launch choice: one process or
a shipped `configs/accelerate` config) to the shared `TrainingRunner`, which passes it to the
subprocess as flags. The gate counts pairs that are new since the active
checkpoint was trained (its `preferences.csv` snapshot). `verdict_markdown` shows a finished checkpoint's verdict
(`trainer.training.verdict`): the previous and the new model on the same held-out pairs and prompts.

    ok, reason = gate(ctx)
    status = start(ctx, TrainSettings(max_steps=2, eval_n=2))

Auto-retrain (iterative rounds, `trainer.loop.rounds`): `configure_auto(ctx, True, every=25)` switches
it on for the app (`ctx.auto`, an `AutoRetrain`; `diagramlab app --retrain-every 25` at start).
The Train tab's poll calls `auto_retrain(ctx)`: when `every` new judgments (not trained on by the
active checkpoint's lineage, not held out) exist and no job runs, it starts a round job
(`start_round`: `python -m trainer.loop.rounds` into the next `checkpoints/round-N`); when that job
ends, it reads the round's verdict from the manifest and, if `activate` is true, makes the new
checkpoint the active model in a background thread (loading it must not hold up a request);
otherwise the active model stays and the message says why (accuracy on the held-out pairs
before and after). A rejected or failed round is retried only after `every` more judgments.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from labeler.common import UserError
from labeler.limits import MAX_BETA, MAX_EPOCHS, MAX_EVAL_N, MAX_STEPS, bounded_number, whole_number
from labeler.runner import JobBusyError, JobStatus
from trainer.core.annotators import ALL_ANNOTATORS, annotator_names, export_pairs, only_annotator
from trainer.core.checkpoint import CheckpointError, next_free_dir, read_manifest
from trainer.core.fileio import utc_stamp
from trainer.core.launch import shipped_configs
from trainer.core.preference_trainers import DEFAULT_TRAINER, TRAINERS
from trainer.core.preferences import PreferenceError
from trainer.loop.round_config import RoundArgs, round_args
from trainer.loop.round_data import select_round
from trainer.core.schema import PROMPTS_FILE

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
        return args.with_fields(**chosen) if isinstance(args, RoundArgs) else replace(args, **chosen)


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


def new_pair_count(ctx, annotator: str = ALL_ANNOTATORS) -> tuple[int, int]:
    """(pairs new since the active checkpoint was trained, all pairs), of one annotator or all.
    A checkpoint trained on pairs ships them (`preferences.csv`); an SFT checkpoint has none, so
    every pair is new."""
    rows = only_annotator(ctx.store.read().rows, annotator)
    seen = ctx.models.trained_pair_ids(ctx.models.active())
    return sum(row["pair_id"] not in seen for row in rows), len(rows)


TRAIN_ON_ALL = "all annotators"  # the "Train on" choice that keeps every annotator's pairs


def train_on_choices(ctx) -> list[str]:
    """The Train tab's "Train on" choices: all annotators, then each annotator in the store."""
    try:
        return [TRAIN_ON_ALL, *annotator_names(ctx.store.read().rows)]
    except PreferenceError:
        return [TRAIN_ON_ALL]


def check_train_on(ctx, value) -> str:
    """ALL_ANNOTATORS for "all annotators" (or blank), else an annotator with pairs in the store."""
    if value in (None, "", TRAIN_ON_ALL):
        return ALL_ANNOTATORS
    if value not in train_on_choices(ctx):
        raise UserError(f"There are no pairs by annotator {value!r}.")
    return str(value)


def gate(ctx, annotator: str = ALL_ANNOTATORS) -> tuple[bool, str]:
    """(may start, reason shown beside the button); counts `annotator`'s pairs when one is given."""
    status = ctx.runner.status()
    if status.running:
        return False, f"A training job is running (step {status.step}/{status.total or '?'})."
    try:
        new, total = new_pair_count(ctx, annotator)
    except PreferenceError as exc:
        return False, f"The preferences file is unreadable: {exc}"
    active = ctx.models.name(ctx.models.active())
    whose = f" by {annotator}" if annotator else ""
    if new < MIN_PAIRS:
        return False, (f"Training needs at least {MIN_PAIRS} pairs{whose} that `{active}` was not "
                       f"trained on; there are {new} (of {total}). Label more first.")
    return True, f"Ready: {new} new pairs{whose} ({total} in all), starting from `{active}`."


def next_out_dir(checkpoints_dir: Path, prefix: str = DEFAULT_TRAINER) -> Path:
    """checkpoints/<prefix>-N (orpo-N) with N one above the highest existing (temp dirs included)."""
    return next_free_dir(checkpoints_dir, prefix)


def snapshot(store, dest_dir: Path, annotator: str = ALL_ANNOTATORS) -> Path:
    """A copy of the pairs taken under the store's lock (of one annotator's pairs when given):
    training reads a fixed set of pairs."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = f"pairs-{utc_stamp()}-{uuid.uuid4().hex[:6]}.csv"
    return export_pairs(store, dest_dir / name, annotator)


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


def start(ctx, settings: TrainSettings, trainer: str = DEFAULT_TRAINER,
          annotator: str = ALL_ANNOTATORS) -> JobStatus:
    """Start the preference trainer (ORPO by default) from the active checkpoint on a snapshot of
    the pairs, every annotator's or `annotator`'s (UserError if refused); the run's `annotator`
    field puts the choice in the manifest."""
    settings = check_settings(settings)
    annotator = check_train_on(ctx, annotator)
    allowed, reason = gate(ctx, annotator)
    if not allowed:
        raise UserError(reason)
    try:
        data = snapshot(ctx.store, ctx.runner.runs_dir / "snapshots", annotator)
    except PreferenceError as exc:
        raise UserError(str(exc)) from None
    spec = TRAINERS[trainer]
    # KTO also learns from the judgments file (both-bad screens); it is append-only, read as is.
    judged = ctx.judgments is not None and ctx.judgments.path.is_file() and "judgments" in spec.config.__dataclass_fields__
    job = settings.apply(spec.config(checkpoint=str(ctx.models.active()), data=str(data),
                                     annotator=annotator,
                                     out=str(next_out_dir(ctx.checkpoints_dir, spec.name)),
                                     prompts=str(ctx.data_dir / PROMPTS_FILE),
                                     **({"judgments": str(ctx.judgments.path)} if judged else {})))
    try:
        return ctx.runner.start(job, launcher=settings.launcher)
    except JobBusyError as exc:
        raise UserError(f"A training job is already running: {exc}") from None


# ---------------------------------------------------------------- auto-retrain (iterative rounds)

AUTO_EVERY_DEFAULT = 25  # new judgments between rounds
MAX_AUTO_EVERY = 100_000


@dataclass
class AutoRetrain:
    """The app's auto-retrain setting and what it did last: one per app (`ctx.auto`), shared by
    every session, changed under `lock`. `every` 0 is off."""

    every: int = 0
    trainer: str = DEFAULT_TRAINER
    settings: TrainSettings = TrainSettings()  # the page's max_steps / epochs / beta
    job_id: str = ""  # the round job it started last
    applied: str = ""  # the round job whose verdict it has applied
    baseline: tuple[str, int] = ("", 0)  # (active checkpoint, its new judgments) at the last start
    message: str = ""  # what it did last, for the Train tab
    activation: threading.Thread | None = None  # loading the new model in the background
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def wait(self, timeout: float = 60.0) -> None:
        """Wait for a background activation to finish (tests, shutdown)."""
        thread = self.activation
        if thread is not None:
            thread.join(timeout)


def configure_auto(ctx, enabled: bool, every=AUTO_EVERY_DEFAULT, trainer: str | None = None,
                   settings: TrainSettings | None = None) -> str:
    """Switch auto-retrain on (every `every` new judgments, with `trainer` and the page's
    settings) or off; UserError for a bad number. Returns the line the Train tab shows."""
    every = whole_number(every, "Auto-retrain every", 1, MAX_AUTO_EVERY) if enabled else 0
    trainer = check_trainer(trainer)
    settings = check_settings(settings or TrainSettings())
    with ctx.auto.lock:
        ctx.auto.every, ctx.auto.trainer = every, trainer
        ctx.auto.settings = TrainSettings(settings.max_steps, settings.epochs, settings.beta)
    return auto_retrain(ctx)


def round_count(ctx) -> int:
    """New judgments a round from the active checkpoint would train on (not trained on by it or
    its parents, not held out: `trainer.loop.round_data.select_round`)."""
    rows = ctx.store.read().rows
    return select_round(rows, ctx.models.trained_pair_ids(ctx.models.active())).new_judgments


def start_round(ctx, min_new: int, trainer: str = DEFAULT_TRAINER,
                settings: TrainSettings = TrainSettings()) -> JobStatus:
    """Start one round (`python -m trainer.loop.rounds`) from the active checkpoint on a snapshot of
    the pairs, into the next free checkpoints/round-N."""
    data = snapshot(ctx.store, ctx.runner.runs_dir / "snapshots")
    job = settings.apply(round_args(trainer, checkpoint=str(ctx.models.active()), data=str(data),
                                    out=str(next_out_dir(ctx.checkpoints_dir, "round")),
                                    prompts=str(ctx.data_dir / PROMPTS_FILE), min_new=min_new))
    return ctx.runner.start(job)


def auto_retrain(ctx) -> str:
    """The Train tab's poll: apply a finished auto round's verdict (switch the active model in
    the background when it says activate), then start the next round when `every` new
    judgments are there and nothing runs. Cheap: one incremental read of the store. Returns the
    markdown line for the page."""
    auto = ctx.auto
    status = ctx.runner.status()
    with auto.lock:
        if auto.job_id and status.job_id == auto.job_id and not status.running \
                and auto.applied != auto.job_id:
            auto.applied = auto.job_id
            auto.message = _apply_round(ctx, status)
        if auto.every <= 0:
            return auto.message
        busy = status.running or (auto.activation is not None and auto.activation.is_alive())
        try:
            new = round_count(ctx)
        except PreferenceError as exc:
            return _join(auto.message, f"Auto-retrain paused: the preferences file is unreadable: {exc}")
        active = ctx.models.name(ctx.models.active())
        since = new - (auto.baseline[1] if auto.baseline[0] == active else 0)
        waiting = (f"Auto-retrain every {auto.every} judgments: {max(0, since)} of {auto.every} "
                   f"new since the last round from `{active}`.")
        if busy or since < auto.every:
            return _join(auto.message, waiting)
        try:
            job = start_round(ctx, min_new=min(auto.every, new), trainer=auto.trainer,
                              settings=auto.settings)
        except (JobBusyError, PreferenceError) as exc:
            return _join(auto.message, f"Auto-retrain could not start a round: {exc}")
        auto.job_id, auto.baseline = job.job_id, (active, new)
        auto.message = (f"Auto-retrain: started `{ctx.models.name(Path(job.out))}` from `{active}` "
                        f"on {new} new judgments.")
        return auto.message


def _join(*lines: str) -> str:
    return "\n\n".join(line for line in lines if line)


def _apply_round(ctx, status: JobStatus) -> str:
    """What a finished auto round means for the active model (called with the lock held)."""
    name = ctx.models.name(Path(status.out)) if status.out else "the round"
    active = ctx.models.name(ctx.models.active())
    if status.state != "done" or not Path(status.out).is_dir():
        why = f": {status.error}" if status.error else ""
        return (f"Auto-retrain: round `{name}` {status.state}{why}. The active model stays `{active}`; "
                f"the next round starts after {ctx.auto.every} more judgments.")
    try:
        verdict = read_manifest(Path(status.out)).get("round") or {}
    except CheckpointError as exc:
        return f"Auto-retrain: `{name}` has no readable manifest ({exc}); the active model stays `{active}`."
    numbers = _round_numbers(verdict)
    if not verdict.get("activate"):
        return (f"Auto-retrain: `{name}` was **not** activated ({verdict.get('reason', 'no verdict')}; "
                f"{numbers}). The active model stays `{active}`.")
    thread = threading.Thread(target=_activate, args=(ctx, Path(status.out), name, verdict),
                              name="auto-activate", daemon=True)
    ctx.auto.activation = thread
    thread.start()
    return f"Auto-retrain: `{name}` is better ({numbers}); loading it as the active model ..."


def _activate(ctx, checkpoint: Path, name: str, verdict: dict) -> None:
    """Load and activate a round's checkpoint off the request thread; the message says how it went."""
    try:
        ctx.models.set_active(checkpoint)
        message = (f"Auto-retrain: `{name}` is now the active model ({verdict.get('reason', '')}; "
                   f"{_round_numbers(verdict)}).")
    except CheckpointError as exc:
        message = f"Auto-retrain: `{name}` could not be activated: {exc}"
    with ctx.auto.lock:
        ctx.auto.message = message


def _round_numbers(verdict: dict) -> str:
    n = verdict.get("heldout_pairs", 0)
    return (f"held-out pairs: {n}, chosen preferred before {_pct(verdict.get('accuracy_before'))}, "
            f"after {_pct(verdict.get('accuracy_after'))}")


def round_markdown(ctx, checkpoint: Path, verdict: dict) -> str:
    """A round's verdict (manifest `round`) in words."""
    new_name, old_name = ctx.models.name(Path(checkpoint)), ctx.models.name(Path(verdict.get("parent") or "?"))
    head = (f"**Round `{new_name}` from `{old_name}` ({verdict.get('trainer')}, "
            f"{verdict.get('new_pairs')} new pairs): {'activate' if verdict.get('activate') else 'keep the start'}** "
            f"({verdict.get('reason', '')}).")
    n = verdict.get("heldout_pairs", 0)
    if not n:
        return head
    margin = lambda v: "-" if v is None else f"{v:+.3f}"  # noqa: E731
    return (head + f"\n\n| on {n} held-out pairs | `{old_name}` (start) | `{new_name}` (new) |\n|---|---|---|"
            f"\n| prefers your chosen diagram | {_pct(verdict.get('accuracy_before'))} | "
            f"{_pct(verdict.get('accuracy_after'))} |"
            f"\n| mean log-prob margin per token | {margin(verdict.get('margin_before'))} | "
            f"{margin(verdict.get('margin_after'))} |")


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
    if manifest.get("round"):
        return round_markdown(ctx, checkpoint, manifest["round"])
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
