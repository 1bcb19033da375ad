"""The Label tab: K candidates side by side, pick chosen/rejected (or rank them all by keys),
submit the screen as a judgment (its pairs, weighted to one screen, go to the CSV).

One screen per judgment: the request, the cards and the action bar (submit, skip, both bad, tie,
regenerate, undo, rank mode) fit a 1440x900 window (1366x768 with K <= 4) without scrolling; the
action bar sticks to the bottom of the window when the cards are taller (K = 5-6). Settings, progress, guidelines, typed
requests, compare and edit sit in collapsed accordions below. Card images are display copies whose
labels are at least `views.MIN_LABEL_PX` px at the card's size (`P.CARD_BOX`, matched to style.css).

The page (layout and state -> `{component: update}` dicts: `view`, `marks`) is
`labeler.label_page`; here is the wiring (`_wire`); the logic lives in `labeler.labeling`, the
text in `labeler.label_views`, review and export in `labeler.label_review`, the next screen made
ahead in `labeler.prefetch`. Keyboard shortcuts
(1-6 choose, Shift+1-6 reject, O rank mode, in which 1-6 give the order best to worst, Enter
submit, S skip, B both bad, T tie, R regenerate, U undo) are a small page script
(`assets/shortcuts.js`) that clicks the buttons by elem_id.

Each card has a Rank selector: the chosen card shows 1 and the rejected one K; the others may be
given 1..K (equal numbers = tie; all of them or none). *Your recent judgments* lists the
annotator's judgments: any one can be looked at, removed, or judged again; the data downloads
(pairs CSV, TRL view, judgments file) sit there too. The pair scheme (Settings) decides which
pairs a judgment gives (`trainer.core.judgments.derive_pairs`); the saved message says how many.

API (gradio_client): `/next(k, temperature, top_p, selection, annotator)` loads the next prompt and
its candidates, `/submit(chosen, rejected, annotator, ranks="", scheme="extremes")` saves the
judgment of the session's current candidates (positions 0-based as shown; `ranks` one rank per
card, comma-separated, blank for none, e.g. "1,3,,4"; empty: the ranks set on the page),
`/undo(annotator)` takes back the annotator's last judgment (all its pairs) or skip.

Every handler goes through one `labeling.SessionBook` (made in `_wire`): an action is applied to
the session's current state, and a generation or a reply whose session moved on meanwhile (an
undo, a skip) is dropped instead of written back. The annotator is the login name under --auth
(the name field is then hidden and the login shown), else the field.
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
import random
import time
from contextlib import nullcontext
from dataclasses import replace

import gradio as gr

from labeler import label_page as P
from labeler import label_review as R
from labeler import label_views as V
from labeler import labeling as L
from labeler.common import UserError
from labeler.prefetch import SETTLE_S, Prefetcher
from labeler.label_page import position as _pos
from labeler.views import cropped_file, cropped_files, preview, tag
from trainer.core.judgments import DEFAULT_SCHEME

# the export just written (a gr.File value) downloaded by the page, as a link click would
DOWNLOAD_JS = """(file) => {
  if (file && file.url) {
    const link = document.createElement("a");
    link.href = file.url;
    link.download = file.orig_name || "";
    document.body.appendChild(link);
    link.click();
    link.remove();
  }
  return [];
}"""
SAVES = {"concurrency_id": "label-save", "concurrency_limit": 1}  # marks, saves and undos, in order
log = logging.getLogger(__name__)


# ---------------------------------------------------------------- handlers and wiring
def _warn(message: str) -> str:
    gr.Warning(message)
    return f"{tag('warn', 'not done')} {message}"


def _user(annotator: str, request: gr.Request | None) -> str:
    """The annotator; a bad name (over 64 characters, control characters: `limits.check_annotator`)
    is the app's own message on the page and over HTTP (gr.Error), never a generic error."""
    try:
        return L.annotator_name(annotator, getattr(request, "username", None))
    except UserError as exc:
        raise gr.Error(str(exc), title="Not saved") from exc


def _who(annotator: str | None, request: gr.Request | None) -> str | None:
    """The annotator a new prompt is picked for (overlap: never one they judged); None when the
    name field is unusable (the submit says why)."""
    try:
        return L.annotator_name(annotator, getattr(request, "username", None))
    except UserError:
        return None


def identity(c: dict):
    """The page-load handler for who is labeling: under --auth the login (the name field hidden,
    "Labeling as ana (login)" shown), else the name this browser last typed."""
    def load(name, request: gr.Request = None):
        login = getattr(request, "username", None)
        if login:
            return {c["annotator"]: gr.Textbox(value=login, visible=False, interactive=False),
                    c["who"]: f"Labeling as **{html.escape(login)}** (your login)"}
        return {c["annotator"]: name or gr.skip()}
    return load


def _advance(ctx, c, book: L.SessionBook, state: L.LabelState, sampling: L.Sampling,
             rng: random.Random, custom: tuple[str, str] | None = None,
             same_prompt: bool = False, annotator: str | None = None, keep_notice: bool = False):
    """`_step`, with no prefetch starting while it runs (`Prefetcher.busy`): a foreground
    request's generation and the drawing of its cards go first."""
    pre: Prefetcher | None = c.get("prefetch")
    with pre.busy() if pre is not None else nullcontext():
        yield from _step(ctx, c, book, state, sampling, rng, custom, same_prompt, annotator,
                         keep_notice)


def _step(ctx, c, book: L.SessionBook, state: L.LabelState, sampling: L.Sampling,
          rng: random.Random, custom: tuple[str, str] | None = None,
          same_prompt: bool = False, annotator: str | None = None, keep_notice: bool = False):
    """Generator: (new prompt,) progress message, then the candidates (or a clear message).
    The candidates are shown only if the session did not move on while they were generated.
    A next pool prompt comes from the session's prefetch when one is ready for these settings
    (`labeler.prefetch`); every shown screen starts the next one.
    `keep_notice`: the step follows an action whose result the status line still reports
    (a submit, a skip, an undo); else that line is cleared."""
    before = book.current(state)
    pre: Prefetcher | None = c.get("prefetch")
    try:
        sampling = sampling.checked()
    except UserError as exc:
        yield P.view(ctx, c, before, _warn(str(exc)))
        return

    def start(current: L.LabelState):
        if not keep_notice:
            current = replace(current, notice="")
        if custom is not None:
            current = L.custom_prompt(current, *custom, read=getattr(ctx, "reader", None))
        elif not same_prompt or not current.prompt:
            current = L.next_prompt(ctx, current, rng, annotator, cover=sampling.selection != "plain")
        return replace(current, candidates=(), chosen=None, rejected=None, confirm=None, order=()), None

    if custom is None and not same_prompt and pre is not None:  # the next screen may be ready
        if pre.waiting(before, sampling, annotator):  # on its way: say so while it finishes
            note = f"{V.notice(before)}{tag('busy', 'generating')} the next screen ..."
            yield P.view(ctx, c, replace(before, candidates=()), note, pending=int(sampling.k))
        swapped = _swap(ctx, c, book, before, sampling, annotator, keep_notice)
        if swapped is not None:
            yield swapped
            return
    try:
        waiting, _ = book.apply(state, start)
    except UserError as exc:
        yield P.view(ctx, c, before, _warn(str(exc)))
        return
    reset = waiting.prompt_key != before.prompt_key
    model = ctx.models.name(ctx.models.active())
    count = f"{sampling.k} candidates" if sampling.m == int(sampling.k) else \
        f"{sampling.m} candidates (to show the {sampling.k} most informative)"
    message = f"{V.notice(waiting)}{tag('busy', 'generating')} {count} with `{model}` ..."
    yield P.view(ctx, c, waiting, message, pending=int(sampling.k), reset_editor=reset)
    try:
        new = pre.generate(waiting, sampling, annotator) if pre is not None else \
            L.generate(ctx, waiting, sampling, annotator)
    except Exception as exc:  # the UI boundary: a model failure is shown, not a stack trace
        if not isinstance(exc, UserError):
            log.exception("generation failed")
        if book.current(waiting).version == waiting.version:
            yield P.view(ctx, c, waiting, _warn(f"Generation failed: {exc}"))
        return
    stored = book.finish(waiting, new)
    if stored is None:  # superseded (an undo, a skip, another prompt): drop, never write back
        yield gr.skip()
        return
    yield P.view(ctx, c, stored)
    if pre is not None:
        pre.start(stored, sampling, annotator)  # the next screen, while this one is judged


def _swap(ctx, c, book: L.SessionBook, before: L.LabelState, sampling: L.Sampling,
          annotator: str | None, keep_notice: bool = True):
    """The session's prefetched next screen shown (its view; `gr.skip()` when the session moved
    on meanwhile), the one after it started; None when no usable prefetch is there (`take`)."""
    pre: Prefetcher | None = c.get("prefetch")
    ready = pre.take(before, sampling, annotator) if pre is not None else None
    if ready is None:
        return None
    swapped = book.finish(before, ready if keep_notice else replace(ready, notice=""))
    if swapped is None:  # the session moved on meanwhile (an undo): nothing to show
        return gr.skip()
    out = P.view(ctx, c, swapped, reset_editor=True)
    pre.start(swapped, sampling, annotator, delay=SETTLE_S)  # the one after it, once this is shown
    return out


def _apply_marks(c, book: L.SessionBook, state: L.LabelState, change) -> dict:
    """Apply `change(current) -> new state` to the session and show the marks (or why not)."""
    try:
        state, _ = book.apply(state, lambda cur: (change(cur), None))
    except UserError as exc:
        return P.marks(c, book.current(state), _warn(str(exc)))
    return P.marks(c, state, f"{V.notice(state)}{V.status(state)}")


def _sampled(ctx):
    """Decorator: `handler(state, ..., sampling: L.Sampling, ...)` is wired as `(state, ...,
    k, temperature, top_p, selection, ...)`: the Label tab's controls (`L.Sampling.CONTROLS`, in
    that order: the components of `c["knobs"]` and the HTTP API's parameters, defaults `ctx`'s)
    reach the handler as one `L.Sampling` (checked where it is used: `_advance`). A new knob is a
    field of `Sampling` and its control; no handler names it. Generators stay generators (Gradio
    streams them)."""
    base = L.Sampling(selection=ctx.selection, oversample=ctx.oversample)

    def wrap(handler):
        signature = inspect.signature(handler)
        params = list(signature.parameters.values())
        at = [p.name for p in params].index("sampling")
        knobs = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                   default=getattr(base, name)) for name in L.Sampling.CONTROLS]
        exposed = signature.replace(parameters=[*params[:at], *knobs, *params[at + 1:]])

        def arguments(args, kwargs) -> dict:
            bound = exposed.bind(*args, **kwargs)
            bound.apply_defaults()
            values = dict(bound.arguments)
            knob_values = [values.pop(name) for name in L.Sampling.CONTROLS]
            return {**values, "sampling": base.with_controls(*knob_values)}

        if inspect.isgeneratorfunction(handler):
            def wired(*args, **kwargs):
                yield from handler(**arguments(args, kwargs))
        else:
            def wired(*args, **kwargs):
                return handler(**arguments(args, kwargs))
        functools.update_wrapper(wired, handler)
        wired.__signature__ = exposed
        return wired
    return wrap


def _wire(ctx, c: dict, prefetch: bool = True) -> None:
    book = L.SessionBook()
    c["card_texts"] = P.CardTexts(read=getattr(getattr(ctx, "reader", None), "peek", None))

    def warm(state: L.LabelState) -> None:  # a prefetched screen's images and card texts, ahead
        box = P.CARD_BOX.get(len(state.candidates), P.CARD_BOX[P.MAX_K])
        cropped_files(ctx.render_dir, [cand.text for cand in state.candidates], box=box)
        P.compare_view(ctx, state, 0, 1)
        c["card_texts"].warm(state)
    c["prefetch"] = Prefetcher(ctx, warm=warm, enabled=prefetch)
    marks, view = P.outputs(c)
    c["view_outputs"], c["mark_outputs"] = view, marks
    # the sampling controls (`Sampling.CONTROLS`, one value in the handlers: `_sampled`), and the
    # annotator riding along with them: a new prompt is picked for them (overlap)
    c["knobs"] = [c[name] for name in L.Sampling.CONTROLS]
    sampling = c["sampling"] = [*c["knobs"], c["annotator"]]
    # generations wait in one queue; its place in it shows on the status line, not on every card
    gen = {"concurrency_id": "generate", "concurrency_limit": ctx.generate_concurrency,
           "show_progress_on": [c["progress"]]}
    after_pair = _wire_generation(ctx, book, c, view, sampling, gen)
    _wire_picks(ctx, book, c, marks, view, after_pair, sampling, gen)
    _wire_edit(ctx, book, c, marks, after_pair)
    c["header_outputs"] = [c["header"], c["progress_table"], c["recent"]]
    _wire_review(ctx, book, c, view, sampling)

    def compare(state, a, b):
        return P.compare_view(ctx, book.current(state), a, b)
    for dropdown in (c["cmp_a"], c["cmp_b"]):
        dropdown.change(compare, [c["state"], c["cmp_a"], c["cmp_b"]],
                        [c["cmp_left"], c["cmp_right"]], api_visibility="private",
                        show_progress="hidden")
    c["header_fn"] = lambda: {c[key]: value for key, value in P.header(ctx).items()}
    c["identity_fn"] = identity(c)


def _follows(book: L.SessionBook, state: L.LabelState) -> bool:
    """A chained step runs only if the session is still where the step before left it."""
    return book.current(state).version == state.version


def _wire_generation(ctx, book, c: dict, view: list, sampling: list, gen: dict):
    """Next / regenerate / typed prompt / skips; returns the handler run after a pair is saved."""
    rng = random.Random()

    @_sampled(ctx)
    def next_prompt(state, sampling: L.Sampling, annotator=None, req: gr.Request = None):
        yield from _advance(ctx, c, book, state, sampling, rng, annotator=_who(annotator, req))

    @_sampled(ctx)
    def after_pair(state, sampling: L.Sampling, annotator=None, req: gr.Request = None):
        current = book.current(state)
        if not _follows(book, state) or current.candidates or not current.notice:
            yield gr.skip()  # refused, or the session moved on (e.g. an undo)
            return
        yield from _advance(ctx, c, book, state, sampling, rng, annotator=_who(annotator, req),
                            keep_notice=True)

    @_sampled(ctx)
    def replay(state, sampling: L.Sampling, annotator=None, req: gr.Request = None):
        """After an undo: candidates for the restored prompt (same seed as before)."""
        if not _follows(book, state) or state.candidates or not state.prompt:
            yield gr.skip()
            return
        yield from _advance(ctx, c, book, state, sampling, rng, same_prompt=True,
                            annotator=_who(annotator, req), keep_notice=True)

    @_sampled(ctx)
    def regenerate(state, sampling: L.Sampling, annotator=None, req: gr.Request = None):
        yield from _advance(ctx, c, book, state, sampling, rng, same_prompt=True,
                            annotator=_who(annotator, req))

    @_sampled(ctx)
    def use_custom(state, request, category, sampling: L.Sampling, annotator=None, plan="", plan_note="",
                   req: gr.Request = None):
        """A typed request, drawn to the plan beside it (as read, or as the person edited it);
        nothing is drawn when no structure was read and no plan was typed."""
        read, _ = V.plan_box(request, getattr(ctx, "reader", None))
        line = V.drawn_line(request, plan, plan_note, getattr(ctx, "reader", None)) or read
        if (request or "").strip() and not line:
            yield P.view(ctx, c, book.current(state), _warn(
                f"No structure was read from this request, so nothing is drawn. Write it like "
                f"{V.PLAN_EXAMPLES}, or type a plan line under the request."))
            return
        edited = line if line != read else ""
        yield from _advance(ctx, c, book, state, sampling, rng, custom=(request, category, edited),
                            annotator=_who(annotator, req))

    def swap_ready(state, sampling: L.Sampling, annotator=None, req: gr.Request = None):
        """Right after a save: the next screen if its prefetch is made already (the submit shows
        it in its own reply, one round trip), else None (after_pair brings it)."""
        who = _who(annotator, req)
        pre: Prefetcher | None = c.get("prefetch")
        try:
            sampling = sampling.checked()  # as _advance keys the prefetch
            if pre is None or not pre.ready(state, sampling, who):
                return None
            return _swap(ctx, c, book, book.current(state), sampling, who)
        except UserError:  # e.g. a bad setting: after_pair says so
            return None

    c["swap_fn"] = swap_ready
    c["next_fn"] = next_prompt  # build_app runs it on page load
    c["replay_fn"] = replay
    c["regenerate"].click(regenerate, [c["state"], *sampling], view, api_name="regenerate", **gen)
    custom_inputs = [c["state"], c["custom"], c["custom_cat"], *sampling, c["plan"], c["plan_note"]]
    reader = getattr(ctx, "reader", None)
    c["custom"].change(lambda request: V.plan_box(request, reader, ask=False), c["custom"],
                       [c["plan"], c["plan_note"]], trigger_mode="always_last",
                       api_visibility="private", show_progress="hidden")
    if reader is not None:  # the served reader reads once the person leaves the box, not per pause
        c["custom"].blur(lambda request: V.plan_box(request, reader), c["custom"], [c["plan"], c["plan_note"]],
                         trigger_mode="always_last", api_visibility="private", show_progress="hidden")
    c["use_custom"].click(use_custom, custom_inputs, view, api_name="custom", **gen)
    c["custom"].submit(use_custom, custom_inputs, view, api_visibility="private", **gen)
    for reason in L.SKIP_REASONS:
        @_sampled(ctx)
        def skip(state, annotator, sampling: L.Sampling, request: gr.Request = None, reason=reason):
            """Log it (a judgment for both bad / tie); the next screen follows (after_pair). The
            knobs are the API's (/skip(annotator, k, temperature, top_p, selection)), kept as they
            were; the next screen takes them from the page."""
            name = _user(annotator, request)
            try:
                state, _ = book.apply(state, lambda cur: (L.skip(ctx, cur, reason, name), None))
            except UserError as exc:  # with overlap: a second tie / both bad of one prompt
                return P.view(ctx, c, book.current(state), _warn(str(exc)))
            return P.view(ctx, c, state, f"{V.notice(state)}{tag('busy', 'generating')} the next screen ...",
                          pending=0)
        c[reason].click(skip, [c["state"], c["annotator"], *c["knobs"]], view, api_name=reason,
                        **SAVES).then(
            after_pair, [c["state"], *sampling], view, api_visibility="private", **gen)
    return after_pair


def _wire_picks(ctx, book, c: dict, marks: list, view: list, after_pair, sampling: list,
                gen: dict) -> None:
    """Choose / reject / rank buttons, rank mode, submit (API `/submit`) and undo (API `/undo`).

    The marks take turns with the saves and undos (`SAVES`, one queue): run side by side, two
    quick keys (1, then Shift+2) could finish in the other order, and the page, which shows the
    last reply, lost the first mark while the session kept both (seen under load: the reject
    never showed, or Enter submitted without it)."""
    quiet = {"api_visibility": "private", "show_progress": "hidden", **SAVES}
    # Every press counts: Gradio's default for a click ("once") drops a click while that button's
    # previous event is still on its way, so U U undid one judgment and 1 1 left a mark toggled
    # on; in the one queue the presses run in order. Enter keeps "once" (a double Enter saves once).
    each = {"trigger_mode": "multiple"}

    def handler(change):
        return lambda state: _apply_marks(c, book, state, change)

    for i, card in enumerate(c["cards"]):
        card["choose"].click(handler(lambda cur, i=i: L.mark(cur, i, "chosen")), c["state"], marks,
                             **quiet, **each)
        card["reject"].click(handler(lambda cur, i=i: L.mark(cur, i, "rejected")), c["state"], marks,
                             **quiet, **each)
        c["order"][i].click(handler(lambda cur, i=i: L.press_order(cur, i)), c["state"], marks,
                            **quiet, **each)

        def rank(state, value, i=i):
            value = None if value in (None, "", P.NO_RANK) else value
            return _apply_marks(c, book, state, lambda cur: L.set_rank(cur, i, value))
        card["rank"].input(rank, [c["state"], card["rank"]], marks, **quiet)
    c["rank_mode"].click(handler(L.toggle_ordering), c["state"], marks, **quiet, **each)

    def save(state, chosen, rejected, annotator, ranks, scheme, request) -> tuple[dict, bool]:
        """(the marks to show, whether the screen was saved)."""
        name = _user(annotator, request)

        def action(current):
            try:
                return L.submit(ctx, current, _pos(chosen), _pos(rejected), name, ranks=ranks or None,
                                scheme=scheme)
            except L.NeedsConfirmation as exc:  # remembered: the same submit again confirms
                return exc.state, exc
        try:
            state, result = book.apply(state, action)
        except UserError as exc:
            return P.marks(c, book.current(state), _warn(str(exc))), False
        if isinstance(result, L.NeedsConfirmation):
            return P.marks(c, state, _warn(str(result))), False
        return P.marks(c, state, V.notice(state).removesuffix(" · ")), True

    def submit(state, chosen, rejected, annotator, ranks="", scheme=DEFAULT_SCHEME,
               request: gr.Request = None):
        return save(state, chosen, rejected, annotator, ranks, scheme, request)[0]

    @_sampled(ctx)
    def submit_page(state, chosen, rejected, annotator, ranks, scheme, sampling: L.Sampling,
                    request: gr.Request = None):
        """The page's Enter: the save (durable before anything is shown), then in the same reply
        the next screen when its prefetch is made (a swap: one round trip); else the marks, and
        after_pair brings the next screen from the generation queue."""
        out, saved = save(state, chosen, rejected, annotator, ranks, scheme, request)
        swapped = c["swap_fn"](out[c["state"]], sampling, annotator=annotator,
                               req=request) if saved else None
        if swapped is None and saved:  # the next screen follows (after_pair, on this change)
            current = out[c["state"]]
            out = P.marks(c, current, f"{V.notice(current)}{tag('busy', 'generating')} the next screen ...")
            out[c["after_save"]] = str(time.monotonic_ns())
        return out if swapped is None else swapped

    # Marks, saves and undos of every session take turns in one queue ("label-save", milliseconds each),
    # so a key pressed after Enter acts after the save (U never undoes an older judgment first);
    # the next screen comes in the save's reply when it was prefetched, else it follows in the
    # generation queue (after_pair), started by the reply's change of the hidden `after_save`
    # only then: a swap's reply is the last event of its Enter (no trailing no-op request whose
    # reply would compete with the page drawing the new screen).
    inputs = [c["state"], c["chosen"], c["rejected"], c["annotator"], c["ranks_api"], c["scheme"]]
    c["submit"].click(submit_page, [*inputs, *c["knobs"]], [*view, c["after_save"]],
                      api_name="submit_page", api_visibility="private",
                      show_progress_on=[c["progress"]], **SAVES)
    c["after_save"].change(after_pair, [c["state"], *sampling], view, api_visibility="private",
                           **gen)
    # the HTTP API's /submit saves only (its result says what was saved); /next moves on
    c["submit_api"].click(submit, inputs, marks, api_name="submit", **SAVES)

    def undo(state, annotator, request: gr.Request = None):
        name = _user(annotator, request)
        try:
            state, _ = book.apply(state, lambda cur: L.undo(ctx, cur, name))
        except UserError as exc:
            return P.view(ctx, c, book.current(state), _warn(str(exc)))
        return P.view(ctx, c, state, reset_editor=True)

    c["undo"].click(undo, [c["state"], c["annotator"]], view, api_name="undo", **SAVES, **each).then(
        c["replay_fn"], [c["state"], *sampling], view, api_visibility="private", **gen)


def _wire_review(ctx, book, c: dict, view: list, sampling: list) -> None:
    """The recent-judgments list: look at any one, remove it, or judge it again; the exports."""
    quiet = {"api_visibility": "private", "show_progress": "hidden"}

    def listing(annotator, request: gr.Request = None, value=None):
        try:
            recent = R.recent_judgments(ctx, _user(annotator, request))
        except UserError as exc:
            return gr.Dropdown(choices=[], value=None, info=str(exc))
        choices = [(R.describe(j), j.judgment_id) for j in recent]
        ids = [j.judgment_id for j in recent]
        return gr.Dropdown(choices=choices, value=value if value in ids else (ids[0] if ids else None),
                           info=None if ids else "No judgments of yours yet.")

    def gallery(annotator, judgment_id, request: gr.Request = None):
        try:
            recent = {j.judgment_id: j for j in R.recent_judgments(ctx, _user(annotator, request))}
        except UserError:
            return []
        j = recent.get(judgment_id)
        if j is None:
            return []
        box = P.CARD_BOX.get(len(j.candidates), P.CARD_BOX[P.MAX_K])
        return [(str(cropped_file(ctx.render_dir, text, box=box)), f"#{i + 1} {role}".strip())
                for i, (text, role) in enumerate(zip(j.candidates, R.roles(j)))]

    c["review_box"].expand(listing, [c["annotator"]], c["review_pick"], **quiet)
    c["review_pick"].change(gallery, [c["annotator"], c["review_pick"]], c["review_gallery"], **quiet)

    def remove(state, annotator, judgment_id, request: gr.Request = None):
        name = _user(annotator, request)
        try:
            gone = R.remove_judgment(ctx, name, judgment_id, session=book.current(state).session)
        except UserError as exc:
            return {c["progress"]: _warn(str(exc))}
        out = {c[key]: value for key, value in P.header(ctx).items()}
        out[c["progress"]] = f"{tag('info', 'removed')} judgment `{gone.judgment_id}` ({R.describe(gone)})"
        out[c["review_pick"]] = listing(annotator, request)
        return out

    c["review_remove"].click(remove, [c["state"], c["annotator"], c["review_pick"]],
                             [c["progress"], c["review_pick"], *c["header_outputs"]], **quiet)

    def reopen(state, annotator, judgment_id, request: gr.Request = None):
        name = _user(annotator, request)
        try:
            state, _ = book.apply(state, lambda cur: (R.reopen_judgment(ctx, cur, name, judgment_id), None))
        except UserError as exc:
            return P.view(ctx, c, book.current(state), _warn(str(exc)))
        out = P.view(ctx, c, state, reset_editor=True)
        out[c["review_pick"]] = listing(annotator, request)
        return out

    c["review_reopen"].click(reopen, [c["state"], c["annotator"], c["review_pick"]],
                             [*view, c["review_pick"]], **quiet).then(
        None, js="() => window.scrollTo({top: 0})")

    for kind, button in (("csv", "export_csv"), ("trl", "export_trl"), ("judgments", "export_judgments")):
        def export(scheme, kind=kind):
            try:
                return gr.File(value=str(R.export_file(ctx, kind, scheme)), visible=True)
            except UserError as exc:
                gr.Warning(str(exc))
                return gr.File(value=None, visible=False)
        c[button].click(export, [c["scheme"]], c["export_file"], **quiet).then(
            None, [c["export_file"]], None, js=DOWNLOAD_JS)


def _wire_edit(ctx, book, c: dict, marks: list, after_pair) -> None:
    def open_editor(state, source):
        state, pos = book.current(state), _pos(source)
        if not state.candidates or pos is None or not 0 <= pos < len(state.candidates):
            return gr.skip(), gr.skip(), _warn("There is no such candidate to edit.")
        return state.candidates[pos].text, state.prompt_key, f"Editing candidate #{pos + 1}."

    c["edit_open"].click(open_editor, [c["state"], c["edit_source"]],
                         [c["editor"], c["edit_for"], c["progress"]], api_visibility="private")
    c["editor"].change(lambda text: preview(ctx.render_dir, text), c["editor"],
                       [c["edit_image"], c["edit_problems"]], trigger_mode="always_last",
                       show_progress="hidden", api_visibility="private")

    def submit_edit(state, text, source, rejected, annotator, edit_for,
                    request: gr.Request = None):
        name = _user(annotator, request)

        def action(current):
            try:
                return L.submit_edit(ctx, current, text, _pos(source), _pos(rejected), name,
                                     for_prompt=edit_for)
            except L.NeedsConfirmation as exc:  # warnings: the same edit again confirms
                return exc.state, exc
        try:
            state, result = book.apply(state, action)
        except UserError as exc:
            return P.marks(c, book.current(state), _warn(str(exc)))
        if isinstance(result, L.NeedsConfirmation):
            return P.marks(c, state, _warn(str(result)))
        return P.marks(c, state, V.notice(state).removesuffix(" · "))

    sampling = c["sampling"]
    c["edit_submit"].click(submit_edit, [c["state"], c["editor"], c["edit_source"],
                                         c["rejected"], c["annotator"], c["edit_for"]], marks,
                           api_name="submit_edit").then(
        after_pair, [c["state"], *sampling], c["view_outputs"], api_visibility="private",
        concurrency_id="generate", concurrency_limit=ctx.generate_concurrency,
        show_progress_on=[c["progress"]]).then(
        None, js="() => window.scrollTo({top: 0})")  # back to the cards, not left at the editor


def create_label_tab(ctx, prefetch: bool = True) -> dict:
    """Lay out and wire the tab; returns its components (and `next_fn` for the page load).
    `prefetch`: generate each session's next screen while the current one is judged."""
    c = P.layout(ctx)
    _wire(ctx, c, prefetch)
    return c
