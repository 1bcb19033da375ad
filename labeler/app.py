"""The labeler web app: Label, Playground, Train and Stats tabs over one shared `AppContext`.

    diagramlab app                                   # http://127.0.0.1:7860, checkpoints/tiny-sft
    diagramlab app --checkpoint checkpoints/orpo-1 --port 7861
    diagramlab app --host 0.0.0.0 --auth ana:secret  # any non-loopback host needs --auth/--no-auth
    diagramlab app --auth ana:pw1 --auth bo:pw2 --overlap 2   # two logins, each prompt judged by both
    python -m labeler.app --help

The generator is loaded once at start-up and shared (queue concurrency limits generation so
sessions never pile onto the CPU); per-session data lives in `gr.State`. Never `share=True`.
Tests call `build_app(ctx)` and `launch(ctx, port=...)` directly.

SIGTERM shuts the app down like Ctrl-C: a running training job is stopped as the Stop button
does (the trainer discards its output and work dir) and the app's temp dirs are removed; after a
SIGKILL, the next start sweeps what was left (temp dirs named with a dead process's pid).
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from functools import partial
from pathlib import Path

import gradio as gr

from labeler.context import AppContext
from labeler.label_tab import create_label_tab
from labeler.labeling import OVERSAMPLE_RANGE, SELECTIONS
from labeler.login import LoginLimiter
from labeler.playground import win_rate_markdown
from labeler.playground_tab import checkpoint_list_updates, create_playground_tab
from labeler.stats_tab import create_stats_tab
from labeler.tasks import MAX_OVERLAP
from labeler.train_tab import create_train_tab
from labeler.training import configure_auto
from trainer.core.checkpoint import CheckpointError, validate_checkpoint
from trainer.core.schema import DEFAULT_CHECKPOINT_NAME, PROMPTS_FILE
from trainer.core.selection import MAX_M
from trainer.generation.sources import add_source_arguments, reader_from_args, source_from_args

ASSETS = Path(__file__).parent / "assets"
QUEUE_CONCURRENCY = 16  # cheap events (picks, submits, polls); generation has its own limit
AUTH_ENV = "DIAGRAMLAB_AUTH"  # user:pass, an alternative to --auth that keeps it out of `ps`
# Gradio checks that the started server answers (one HEAD of the page, 3 s timeout) and gives up
# at the first timeout ("When localhost is not accessible, ..."): on a loaded machine the first
# page render took longer (seen in a browser test run at load average 5-11). The app tries again.
LAUNCH_TRIES = 3
log = logging.getLogger(__name__)


def add_app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, default=None,
                        help="model for labeling (default: checkpoints-dir/active.json, else "
                             "checkpoints/tiny-sft)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"),
                        help="orpo_prompts.csv, orpo_dataset_llm.csv and the app's logs")
    parser.add_argument("--checkpoints-dir", type=Path, default=Path("checkpoints"),
                        help="where checkpoints are listed and new ORPO checkpoints are written")
    parser.add_argument("--host", default="127.0.0.1",
                        help="bind address; a non-loopback one needs --auth or --no-auth")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    parser.add_argument("--auth", default=None, metavar="USER:PASS", action="append",
                        help=f"require this login; repeat it for several annotators, each "
                             f"labeling under their login name (or set {AUTH_ENV} to one)")
    parser.add_argument("--no-auth", action="store_true",
                        help="explicitly allow a non-loopback host without a login")
    parser.add_argument("--generate-concurrency", type=int, default=1,
                        help="generation requests run at once (others queue)")
    parser.add_argument("--selection", choices=SELECTIONS, default="active",
                        help="the Label tab's default for candidates: active = sample --oversample x K "
                             "and show the K most informative, prompts of thin kinds first; plain = "
                             "the first K samples of any prompt (each session can switch)")
    parser.add_argument("--oversample", type=float, default=2.0,
                        help=f"active selection samples M = ceil(OVERSAMPLE x K) candidates, at most "
                             f"{MAX_M} (from {OVERSAMPLE_RANGE[0]:g} to {OVERSAMPLE_RANGE[1]:g}; default 2)")
    parser.add_argument("--retrain-every", type=int, default=0, metavar="N",
                        help="auto-retrain: a round in the background every N new judgments, "
                             "activated only if better on the held-out pairs (0: off; the Train "
                             "tab can switch it)")
    parser.add_argument("--overlap", type=int, default=1, metavar="N",
                        help="annotators per pool prompt: with N > 1 each prompt is shown to N "
                             "distinct annotators on the same candidates (data/label_tasks.jsonl) "
                             "and the Stats tab measures their agreement (default 1)")
    parser.add_argument("--no-prefetch", action="store_true",
                        help="do not generate each session's next screen while the current one "
                             "is judged (prefetch is off anyway with --overlap > 1)")
    add_source_arguments(parser, grammar_help="sample freely instead of constraining tokens to the "
                         "answer format (the Playground's checkbox still decides for its requests)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        raise ValueError("--auth must look like USER:PASS")
    return user, password


def build_app(ctx: AppContext, prefetch: bool = True) -> gr.Blocks:
    """The whole UI over `ctx`; no module-level state, so tests can build several. `prefetch`:
    the Label tab generates each session's next screen while the current one is judged."""
    # analytics off: a local labeling tool has no reason to call home (and may have no network)
    # delete_cache: Gradio's copies of served images older than 10 min go every minute (and
    # all of them at the next start), so distinct previews cannot fill /tmp.
    with gr.Blocks(title="diagramlab labeler", analytics_enabled=False,
                   delete_cache=(60, 600)) as demo:
        gr.Markdown("**diagramlab labeler** · pick the diagram you like better; "
                    "the model learns your taste.", elem_id="title")
        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Label", id="label", elem_id="tab-label"):
                label = create_label_tab(ctx, prefetch=prefetch)
            with gr.Tab("Playground", id="playground", elem_id="tab-playground"):
                play = create_playground_tab(ctx, annotator=label["annotator"])
            with gr.Tab("Train", id="train", elem_id="tab-train"):
                train = create_train_tab(ctx)
            create_stats_tab(ctx)  # its own gr.Tab: judgments, overlap, agreement
        store = gr.BrowserState("", storage_key="diagramlab-annotator")
        label["annotator"].change(lambda name: name, label["annotator"], store,
                                  api_visibility="private", show_progress="hidden")
        # who labels: the login under --auth (the name field hidden), else the name typed before
        restored = demo.load(label["identity_fn"], store, [label["annotator"], label["who"]],
                             api_visibility="private")
        # the first prompt once the name is back: with --overlap it is picked for that annotator
        restored.then(label["next_fn"], [label["state"], *label["sampling"]], label["view_outputs"],
                      api_name="next", concurrency_id="generate",
                      concurrency_limit=ctx.generate_concurrency,
                      show_progress_on=[label["progress"]])  # its place in the queue shows there
        demo.load(play["render_fn"], play["editor"], play["render_outputs"], api_visibility="private")
        demo.load(lambda: win_rate_markdown(ctx), None, play["win_rate"], api_visibility="private")
        demo.load(train["view_fn"], None, train["outputs"], api_visibility="private")
        demo.load(train["train_on_fn"], None, train["train_on"], api_visibility="private")
        _wire_checkpoint_lists(ctx, demo, label, play, train)
    demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY)
    return demo


def _wire_checkpoint_lists(ctx: AppContext, demo: gr.Blocks, label: dict, play: dict,
                           train: dict) -> None:
    """Every checkpoint dropdown and the Label header follow the checkpoints on disk: on page
    load, when a training job starts or ends, and after every activation."""
    lists = [play["ckpt"], play["ckpt_a"], play["ckpt_b"], train["ckpt"], *label["header_outputs"]]

    def refresh():
        return dict(zip(lists, checkpoint_list_updates(ctx))) | label["header_fn"]()

    quiet = {"api_visibility": "private", "show_progress": "hidden"}
    demo.load(refresh, None, lists, **quiet)
    train["job"].change(refresh, None, lists, **quiet)
    for event in train["activated"]:
        event.then(refresh, None, lists, **quiet)


def launch_options() -> dict:
    """Theme, CSS and the shortcut script: launch() arguments in Gradio 6."""
    script = (ASSETS / "shortcuts.js").read_text(encoding="utf-8")
    return {"theme": gr.themes.Soft(), "css_paths": [ASSETS / "style.css"],
            "head": f"<script>{script}</script>", "footer_links": ["api"]}


def launch(ctx: AppContext, *, host: str = "127.0.0.1", port: int = 7860,
           auth: tuple[str, str] | list[tuple[str, str]] | None = None,
           block: bool = False, prefetch: bool = True) -> tuple[gr.Blocks, str]:
    """Build and start the app; returns (demo, local url). `block=False` returns at once."""
    demo = build_app(ctx, prefetch=prefetch)
    extra: dict = {}
    if auth is not None:  # a failure budget per user and per address (labeler/login.py)
        limiter = LoginLimiter()
        extra = {"auth": limiter.checker([auth] if isinstance(auth, tuple) else auth),
                 "app_kwargs": limiter.app_kwargs()}
    for attempt in range(1, LAUNCH_TRIES + 1):
        try:
            _app, url, _share = demo.launch(server_name=host, server_port=port, share=False,
                                            prevent_thread_lock=not block, quiet=not block,
                                            **extra, **launch_options())
            return demo, url
        except ValueError as exc:  # gradio's reachability check timed out; the server runs
            if "localhost is not accessible" not in str(exc) or attempt == LAUNCH_TRIES:
                raise
            log.warning("the app did not answer its start-up check in time (try %d of %d); "
                        "starting it again", attempt, LAUNCH_TRIES)
            demo.close()
    raise AssertionError("unreachable")  # the loop returns or raises


def _check_inputs(args: argparse.Namespace) -> str | None:
    """A message for a setup problem the user can fix, or None."""
    if not 1 <= args.overlap <= MAX_OVERLAP:
        return f"--overlap must be 1 to {MAX_OVERLAP} (annotators per prompt), not {args.overlap}"
    if not (args.data_dir / PROMPTS_FILE).is_file():
        return (f"{args.data_dir / PROMPTS_FILE} is missing; create it with "
                f"`diagramlab data prompts` or pass --data-dir")
    if args.checkpoint is not None:
        try:
            validate_checkpoint(args.checkpoint)
        except CheckpointError as exc:
            return f"--checkpoint: {exc}"
    if not OVERSAMPLE_RANGE[0] <= args.oversample <= OVERSAMPLE_RANGE[1]:  # NaN fails too
        return f"--oversample must be from {OVERSAMPLE_RANGE[0]:g} to {OVERSAMPLE_RANGE[1]:g}, not {args.oversample}"
    return None


def _load_active(ctx: AppContext, explicit: bool) -> str | None:
    """Load the model for labeling before serving; a restored (active.json) choice that fails
    falls back to the default checkpoint with a warning. A message when nothing usable loads."""
    for attempt in range(2):
        checkpoint = ctx.models.active()
        try:
            validate_checkpoint(checkpoint)
            print(f"loading {checkpoint} ...", flush=True)
            # Load before serving (the first page does not wait), sample one answer, check the
            # loss on known answers: a checkpoint that cannot label is never served.
            ctx.models.usable(checkpoint)
            return None
        except Exception as exc:  # any load failure is reported, never a traceback
            default = ctx.checkpoints_dir / DEFAULT_CHECKPOINT_NAME
            if explicit or attempt or checkpoint == default:
                return (f"the model for labeling ({checkpoint}) is unusable: {exc}; "
                        "pass --checkpoint")
            print(f"diagramlab app: warning: the active checkpoint {checkpoint} is unusable "
                  f"({exc}); using {default}", file=sys.stderr)
            ctx.models.fall_back(default)
    return None


def _interrupt(_signum: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C: the server closes and run_app's `finally` stops a running training job
    (as the Stop button does: the trainer discards its output) and removes the app's temp dirs."""
    raise KeyboardInterrupt


def logins(texts: list[str] | None) -> tuple[str, str] | list[tuple[str, str]] | None:
    """Gradio's `auth` from the --auth values (repeat --auth for several annotators, each
    labeling under their login name) or DIAGRAMLAB_AUTH; ValueError for a malformed one."""
    texts = list(texts or []) or [os.environ.get(AUTH_ENV) or ""]
    parsed = [login for text in texts if (login := parse_auth(text))]
    if len({user for user, _ in parsed}) != len(parsed):
        raise ValueError("--auth names one user twice")
    return parsed[0] if len(parsed) == 1 else parsed or None


def run_app(args: argparse.Namespace) -> int:
    try:
        auth = logins(args.auth)
    except ValueError as exc:
        print(f"diagramlab app: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(args.host) and auth is None and not args.no_auth:
        print(f"diagramlab app: --host {args.host} is reachable from other machines; pass "
              f"--auth USER:PASS (or {AUTH_ENV}) or, deliberately, --no-auth", file=sys.stderr)
        return 2
    problem = _check_inputs(args)
    if args.retrain_every < 0:
        problem = "--retrain-every must be 0 (off) or a positive number of judgments"
    if problem:
        print(f"diagramlab app: {problem}", file=sys.stderr)
        return 2
    try:
        reader = reader_from_args(args)  # one served reader (--reader-url) for the plan box and every source
    except ValueError as exc:
        print(f"diagramlab app: {exc}", file=sys.stderr)
        return 2
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    ctx = None
    try:
        ctx = AppContext.create(data_dir=args.data_dir, checkpoints_dir=args.checkpoints_dir,
                                checkpoint=args.checkpoint,
                                generator_factory=partial(source_from_args, args, reader=reader),
                                reader=reader,
                                generate_concurrency=max(1, args.generate_concurrency),
                                overlap=args.overlap, selection=args.selection,
                                oversample=args.oversample)
        if args.retrain_every:
            configure_auto(ctx, True, args.retrain_every)
        problem = _load_active(ctx, explicit=args.checkpoint is not None)
        if problem:
            print(f"diagramlab app: {problem}", file=sys.stderr)
            return 2
        launch(ctx, host=args.host, port=args.port, auth=auth, block=True,
               prefetch=not getattr(args, "no_prefetch", False))
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # e.g. the port is taken, or the data dir is not writable
        print(f"diagramlab app: {exc}", file=sys.stderr)
        return 1
    finally:
        if ctx is not None:
            ctx.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labeler.app",
                                     description=__doc__.split("\n")[0])
    add_app_arguments(parser)
    return run_app(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
