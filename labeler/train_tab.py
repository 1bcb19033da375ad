"""The Train tab: one click trains the chosen preference trainer (ORPO by default; DPO, SimPO,
KTO: `trainer.core.preference_trainers`) on the collected pairs; follow it; promote the result.

Layout first, then wiring; logic in `labeler.training`, the subprocess in `labeler.runner`.
A `gr.Timer` polls the shared runner, so every open session sees the same job (progress bar with
ETA, live loss plot, readable progress lines) and the Train button is disabled while a job runs
or with fewer than 20 pairs new since the active checkpoint. A finished job shows its verdict
(`labeler.taste_view`: the previous and the new model on the taste learned from the judgments,
i.e. the share of their candidates on the same held-out prompts drawn the person's way, then the
held-out pairs, and a recommendation) and one click makes it the active model for labeling. The
taste itself is shown in words under the result. A 1-step run's loss plot says its one point in its title. "Auto-retrain every N judgments" (`training.auto_retrain`, run by
the same poll) starts a round in the background every N new judgments and activates its result
only when the round's verdict says it is better on the user's held-out pairs. "Train on" picks
every annotator's pairs (the default) or one annotator's ("train on my labels":
`training.start(annotator=...)`).
"""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr

from labeler import training as T
from labeler.common import UserError, checkpoint_choices
from labeler.runner import JobStatus, readable_log
from labeler.taste_view import TasteCache, taste_markdown, taste_verdict_markdown
from labeler.views import tag
from trainer.core.checkpoint import CheckpointError
from trainer.core.preference_trainers import DEFAULT_TRAINER, TRAINERS

POLL_SECONDS = 1.5
PLOT_TITLE = "Training loss"


def _layout(ctx) -> dict:
    # "seen": what the page shows (job and plot points); "job": the job key, which changes when
    # a job starts or ends, so the app refreshes every checkpoint list then (see app.py)
    c: dict = {"seen": gr.State(""), "job": gr.State("")}
    c["gate"] = gr.Markdown(elem_id="train-gate")
    with gr.Row():
        c["trainer"] = gr.Dropdown([(spec.label, name) for name, spec in TRAINERS.items()],
                                   value=DEFAULT_TRAINER, label="Trainer", elem_id="trainer", scale=1)
        c["train"] = gr.Button("Train on current preferences", variant="primary",
                               elem_id="train", interactive=False, scale=2)
        c["stop"] = gr.Button("Stop", variant="stop", elem_id="stop-train", interactive=False)
        c["stop_ok"] = gr.Checkbox(True, visible="hidden", elem_id="stop-ok")
    # "train on my labels": choices refreshed on page load (app.py), see training.train_on_choices
    c["train_on"] = gr.Radio([T.TRAIN_ON_ALL], value=T.TRAIN_ON_ALL, label="Train on",
                             elem_id="train-on")
    defaults = T.field_defaults()
    with gr.Accordion("Advanced", open=False, elem_id="train-advanced"):
        with gr.Row():
            # No precision=0: it would round 2.5 steps to 2 before training.check_settings can
            # refuse the fraction.
            for name, label in (("max_steps", "Max steps"), ("epochs", "Epochs"),
                                ("beta", "Beta"), ("eval_n", "Eval prompts")):
                default, help_text = defaults[name]
                c[name] = gr.Number(default, label=label, info=help_text,
                                    elem_id=name.replace("_", "-"))
        c["launcher"] = gr.Dropdown(T.launcher_choices(), value=T.SINGLE_PROCESS, label="Launch",
                                    info="one process, or `accelerate launch` with a shipped config "
                                         "(configs/accelerate: several GPUs)", elem_id="launcher")
    with gr.Row(equal_height=True):
        c["auto"] = gr.Checkbox(ctx.auto.every > 0, label="Auto-retrain every N judgments",
                                info="in the background: a round from the active model on the new "
                                     "judgments, activated only if better on your held-out pairs",
                                elem_id="auto-retrain", scale=2)
        c["auto_every"] = gr.Number(ctx.auto.every or T.AUTO_EVERY_DEFAULT, label="N", precision=None,
                                    elem_id="auto-every", scale=1)
    c["auto_md"] = gr.Markdown(elem_id="auto-retrain-status")
    c["progress"] = gr.HTML(elem_id="train-progress")
    with gr.Row():
        c["plot"] = gr.LinePlot(x="step", y="value", color="series", title=PLOT_TITLE,
                                color_map={"loss": "#4c5fd5", "reward margin": "#e8890c"},
                                height=260, elem_id="loss-plot", scale=3)
        c["log"] = gr.Textbox(label="Progress", lines=12, max_lines=12, interactive=False,
                              elem_id="train-log", scale=2, autoscroll=True)
    c["result"] = gr.Markdown(elem_id="train-result")
    c["taste"] = gr.Markdown(elem_id="train-taste")
    c["activate_new"] = gr.Button("Make the new checkpoint the active model", visible=False,
                                  variant="primary", elem_id="activate-new")
    with gr.Accordion("Checkpoints", open=True):
        with gr.Row(equal_height=True):
            c["ckpt"] = gr.Dropdown(checkpoint_choices(ctx), label="Checkpoint",
                                    value=ctx.models.name(ctx.models.active()), scale=3,
                                    elem_id="train-checkpoint", allow_custom_value=True)
            c["activate"] = gr.Button("Make active", elem_id="activate", scale=1)
        c["active_md"] = gr.Markdown(elem_id="active-model")
    c["timer"] = gr.Timer(POLL_SECONDS)
    return c


def _progress_html(status: JobStatus) -> str:
    if status.state == "idle":
        return ""
    pct = round(100 * status.fraction)
    eta = f" · ETA {status.eta_s:.0f} s" if status.running and status.eta_s is not None else ""
    label = f"{status.state} · step {status.step}/{status.total or '?'}{eta}"
    return (f'<div class="train-bar"><div class="train-fill" style="width:{pct}%"></div>'
            f'<span>{html.escape(label)}</span></div>')


def _result_md(ctx, status: JobStatus, cache: TasteCache | None = None) -> tuple[str, bool]:
    """(markdown, whether the new checkpoint can be activated): the verdict on the learned taste
    first (with the recommendation), then the held-out pairs and sampling details."""
    active = ctx.models.name(ctx.models.active())
    if status.state == "done" and status.out and Path(status.out).is_dir():
        new = ctx.models.name(Path(status.out))
        ready = new != active
        tail = "" if ready else " It is the active model."
        on_taste = taste_verdict_markdown(ctx, Path(status.out), cache)
        details = T.verdict_markdown(ctx, Path(status.out))
        return (f"{tag('ok', 'done')} Training finished: `{new}`.{tail}\n\n"
                + (f"{on_taste}\n\nDetails: {details}" if on_taste else details)), ready
    stays = f"The active model stays `{active}`."
    if status.state == "done":
        return f"{tag('bad', 'failed')} Training reported done but `{status.out}` is missing. " \
               + stays, False
    if status.state in ("failed", "cancelled"):
        why = f": {html.escape(status.error)}" if status.error else "."
        return f"{tag('bad', status.state)} Training {status.state}{why}\n\n{stays}", False
    return "", False


def plot_value(status: JobStatus):
    """The loss plot's update: the frame, its title saying so when there is too little for a line
    (a 1-step run logs one point, which a line chart cannot draw) or, after a job, nothing at all."""
    frame = T.loss_frame(status)
    if frame is None:
        if status.state in ("done", "failed", "cancelled"):
            return gr.LinePlot(value=None, title=f"{PLOT_TITLE}: no step was logged")
        return None
    if frame["step"].nunique() == 1:
        step = int(frame["step"].iloc[0])
        values = ", ".join(f"{series} {value:.4f}" for series, value in zip(frame["series"], frame["value"]))
        return gr.LinePlot(value=frame, title=f"{PLOT_TITLE}: one step logged (step {step}): {values}")
    return gr.LinePlot(value=frame, title=PLOT_TITLE)


def job_view(ctx, seen: str, cache: TasteCache | None = None) -> list:
    """Every polled output from the runner's status; checkpoint lists refresh when a job ends."""
    auto = T.auto_retrain(ctx)  # may start a round or switch the active model: before the rest
    status = ctx.runner.status()
    allowed, reason = T.gate(ctx)
    result, ready = _result_md(ctx, status, cache)
    # Resend the checkpoint list only when a job starts or ends, and the plot only when it has new
    # points: a re-sent plot restarts its drawing animation and never shows its lines.
    job_key, points = f"{status.job_id}:{status.state}", len(status.losses) + len(status.margins)
    seen_job, _, seen_points = seen.partition("|")
    job = job_key if job_key != seen_job else gr.skip()
    plot = plot_value(status) if f"{job_key}:{points}" != f"{seen_job}:{seen_points}" \
        else gr.skip()
    taste = taste_markdown((cache or TasteCache()).taste(ctx))
    return [f"{job_key}|{points}", reason, gr.Button(interactive=allowed),
            gr.Button(interactive=status.running), _progress_html(status), plot,
            readable_log(status), result, gr.Button(visible=ready), job,
            f"**Active model:** `{ctx.models.name(ctx.models.active())}`", taste, auto]


def _wire(ctx, c: dict) -> None:
    outs = [c["seen"], c["gate"], c["train"], c["stop"], c["progress"], c["plot"], c["log"],
            c["result"], c["activate_new"], c["job"], c["active_md"], c["taste"], c["auto_md"]]
    poll = {"show_progress": "hidden", "api_visibility": "private"}
    cache = TasteCache()  # this tab's fitted taste, refit when the judgments file changes
    c["timer"].tick(lambda seen: job_view(ctx, seen, cache), c["seen"], outs, **poll)
    c["view_fn"] = lambda: job_view(ctx, "", cache)
    c["train_on_fn"] = lambda: gr.Radio(choices=T.train_on_choices(ctx))
    c["outputs"] = outs

    def train(max_steps, epochs, beta, eval_n, trainer=DEFAULT_TRAINER, launcher=T.SINGLE_PROCESS,
              train_on=T.TRAIN_ON_ALL):
        try:
            T.start(ctx, T.TrainSettings(max_steps, epochs, beta, eval_n, launcher),
                    trainer=T.check_trainer(trainer), annotator=train_on)
        except UserError as exc:
            gr.Warning(str(exc))
        return job_view(ctx, "", cache)

    c["train"].click(train, [c["max_steps"], c["epochs"], c["beta"], c["eval_n"], c["trainer"],
                             c["launcher"], c["train_on"]], outs,
                     api_name="train", concurrency_limit=1)

    # The advanced fields show the chosen trainer's defaults (SimPO's beta is not DPO's).
    numbers = [c[name] for name in T.SETTINGS_FIELDS]
    def show_defaults(name):
        defaults = T.field_defaults(T.check_trainer(name))
        return [gr.Number(value=defaults[n][0], info=defaults[n][1]) for n in T.SETTINGS_FIELDS]

    c["trainer"].change(show_defaults, c["trainer"], numbers, api_visibility="private")

    def set_auto(enabled, every, trainer, max_steps, epochs, beta):
        try:
            return T.configure_auto(ctx, bool(enabled), every, trainer,
                                    T.TrainSettings(max_steps, epochs, beta))
        except UserError as exc:
            gr.Warning(str(exc))
            return gr.skip()

    auto_inputs = [c["auto"], c["auto_every"], c["trainer"], c["max_steps"], c["epochs"], c["beta"]]
    for component in auto_inputs:
        component.change(set_auto, auto_inputs, c["auto_md"], api_visibility="private",
                         show_progress="hidden")

    def stop(confirmed=True):
        if not confirmed:
            return job_view(ctx, "", cache)
        if ctx.runner.stop():
            gr.Info("Asked the training job to stop (SIGTERM); it saves nothing.")
        else:
            gr.Warning("No training job is running.")
        return job_view(ctx, "", cache)

    # The browser asks first (the job's steps so far are lost); the API stops at once.
    c["stop"].click(stop, c["stop_ok"], outs, api_name="stop_training",
                    js="(ok) => confirm('Stop the training job? Nothing it did so far is kept.')")

    def activate(name):
        if not name:
            gr.Warning("Pick a checkpoint first.")
            return job_view(ctx, "", cache)
        known = {ctx.models.name(path) for path, _ in ctx.models.list()}
        if name not in known:
            gr.Warning(f"There is no finished checkpoint {name!r} (known: {sorted(known)}).")
            return job_view(ctx, "", cache)
        try:
            ctx.models.set_active(ctx.models.resolve(name))
            gr.Info(f"{name} is now the active model for labeling.")
        except CheckpointError as exc:
            gr.Warning(f"Cannot activate {name}: {exc}")
        return job_view(ctx, "", cache)

    c["activated"] = [
        c["activate"].click(activate, c["ckpt"], outs, api_name="activate"),
        c["activate_new"].click(lambda: activate(ctx.models.name(Path(ctx.runner.status().out))),
                                None, outs, api_visibility="private")]


def create_train_tab(ctx) -> dict:
    """Lay out and wire the tab; `c["view_fn"]` fills it on page load."""
    c = _layout(ctx)
    _wire(ctx, c)
    return c
