"""What the Label tab writes on the page, as plain functions of the session state and the stores:
the request line, the status line, the picks / order line, card captions and alt text, and the
progress in screens (judgments), never in pairs (pairs are the CSV's business).

    progress_line(screens_by_category(judgment_log, store_view), "tiny-sft")
    # '**11** / 600 screens (dl_model 7/240, other 4/360) · model `tiny-sft`'
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from labeler import labeling as L
from labeler.quotas import TARGETS
from diagram.reader import explain_request, read_request
from diagram.plan import Plan, parse_plan_line
from diagram import parse
from labeler.views import badge, card_badge, ending, tag

GUIDELINES_FILE = "guidelines.md"  # in the data dir; the project owner edits it
DEFAULT_GUIDELINES = Path(__file__).parent / "assets" / "guidelines.md"
NOTICE_TAGS = {"saved": "ok", "undone": "info", "skipped": "info", "marked": "info"}


def notice(state: L.LabelState) -> str:
    """The last action's result as a tagged line ("saved judgment `x` · ")."""
    if not state.notice:
        return ""
    word, _, rest = state.notice.partition(" ")
    return f"{tag(NOTICE_TAGS.get(word, 'info'), word)} {rest} · "


def status(state: L.LabelState) -> str:
    if not state.candidates:
        if state.prompt:
            return "Press **Regenerate (R)** for candidates."
        return ""
    if state.all_invalid:
        return (f"{tag('bad', 'all invalid')} Every candidate is invalid. Press "
                "**Regenerate (R)**, or fix one under *Edit to fix*.")
    how = f" <small>(shown: the most informative, {state.selected})</small>" \
        if state.selected.startswith("active") else ""
    if state.ordering:
        return ("**Rank mode**: press the cards' numbers from best to worst (the last one is "
                f"filled in), then **Submit** (Enter); **O** leaves rank mode.{how}")
    return ("Pick one **chosen** (1-6) and one **rejected** (Shift+1-6), or press **O** to rank "
            f"them all by keys, then **Submit** (Enter).{how}")


def prompt_md(state: L.LabelState) -> str:
    if not state.prompt:
        return "*No prompt yet.*"
    where = f"pool `{state.prompt_id}`" if state.prompt_id else "typed"
    asks = f" · *{state.asks}*" if state.asks else ""
    request = html.escape(" ".join(state.request.split()))  # one line: a list in it stays inline
    return f"**Request** ({state.category}, {where}): {request}{asks}"


def picks_md(state: L.LabelState) -> str:
    """Chosen / rejected, or in rank mode the order as entered ("#3 > #1 > …")."""
    order = L.order_of(state)
    if state.ordering or order:
        k = len(state.candidates)
        entered = " > ".join(f"#{p + 1}" for p in order) or "press 1-6, best first"
        rest = "" if len(order) == k or not k else f" > … ({k - len(order)} to go)"
        return f"Order: **{entered}**{rest}"

    def show(pos):
        return "-" if pos is None else f"**#{pos + 1}**"
    ranks = L.ranks_of(state)
    ranked = " · Ranked: " + ", ".join(f"#{p + 1}={r}" for p, r in sorted(ranks.items())) if ranks else ""
    return f"Chosen: {show(state.chosen)} · Rejected: {show(state.rejected)}{ranked}"


def card_caption(state: L.LabelState, pos: int, read=None) -> str:
    """#N, valid / N problems, complete / cut off, and what it draws beside what was asked (`read`:
    as `asked_plan`'s)."""
    cand = state.candidates[pos]
    return (f"**#{pos + 1}** {badge(cand.ok, cand.problems)} · {ending(cand.stopped_on_eos)}"
            f"<br><small>{card_badge(cand.text, asked_plan(state, read))}</small>")


def asked_plan(state: L.LabelState, read=None) -> Plan | None:
    """The structure this screen asks for: the plan the person edited, else the request as read.
    `read`: how the candidates' source read it, never asking a server (`ServedReader.peek` with
    --reader-url: the served reading the generation made); None: the rules."""
    if state.plan_line:
        return parse_plan_line(state.plan_line)
    return (read or read_request)(state.request) if state.request else None


MAX_ALT_LABELS = 600  # characters of labels in a card's alt text


def alt_text(state: L.LabelState, pos: int) -> str:
    """The card image's alt text: the candidate and its badge in words."""
    cand = state.candidates[pos]
    words = re.sub(r"<[^>]+>", "", badge(cand.ok, cand.problems))
    done = "complete" if cand.stopped_on_eos else "cut off"
    text = f"Candidate #{pos + 1}: {html.unescape(words)}, {done}; {L.describes_drawing(cand.text)}"
    # every label in full (on a dense card some are shortened or left out so none overlap)
    labels = list(dict.fromkeys(n.label.strip() for n in parse(cand.text).diagram.nodes
                                if n.label and n.label.strip()))
    if labels:
        listed = ", ".join(labels)
        text += f"; labels: {listed if len(listed) <= MAX_ALT_LABELS else listed[:MAX_ALT_LABELS] + '…'}"
    return text


def screens_by_category(judgments, stored) -> dict[str, int]:
    """Judged screens per category: every live judgment (ties and both bad included) plus every
    hand edit (a screen saved as one pair)."""
    counts = dict.fromkeys(TARGETS, 0)
    for j in judgments.judgments if judgments is not None else ():
        counts[j.category] = counts.get(j.category, 0) + 1
    for row in stored.rows:
        if row.get("source") == "human_edit":
            counts[row["category"]] = counts.get(row["category"], 0) + 1
    return counts


def progress_line(screens: dict[str, int], model: str) -> str:
    total = sum(screens.values())
    target = sum(t["labeled"] for t in TARGETS.values())
    per = ", ".join(f"{c} {screens.get(c, 0)}/{t['labeled']}" for c, t in TARGETS.items())
    return f"**{total}** / {target} screens ({per}) · model `{model}`"


def recent_judgments_md(judgments, n: int) -> str:
    """The last `n` judged screens, newest first, one line each (each judgment once)."""
    if judgments is None or not judgments.judgments:
        return "*No judgments yet.*"
    lines = []
    for j in reversed(judgments.judgments[-n:]):
        what = ("both bad" if j.both_bad else "a tie" if len(j.ranking) == 1
                else f"#{j.best[0] + 1} over #{j.worst[0] + 1}" if j.best and j.worst else "judged")
        when = str(j.created_at)[11:19]
        lines.append(f"- {html.escape(j.category)} by {html.escape(j.annotator or '?')}: "
                     f"{what} of {len(j.candidates)} ({when})")
    return "**Last judgments**\n\n" + "\n".join(lines)


def guidelines_md(data_dir: Path) -> str:
    """The labeling guidelines: data_dir/guidelines.md if the project owner wrote one, else the
    packaged default."""
    for path in (Path(data_dir) / GUIDELINES_FILE, DEFAULT_GUIDELINES):
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return "*No guidelines.*"


PLAN_EXAMPLES = ("`DL model with 3 inputs, 5 and 4 hidden nodes, 2 outputs` (a dense net), or "
                 "`Pipeline: Load data > Clean > Train > Report` (named steps)")


WHILE_TYPING = "read by the rules while you type; the served reader reads it when you leave the box"


def plan_box(request: str, reader=None, ask: bool = True) -> tuple[str, str]:
    """(the plan line read from a typed request, a note for the person): what will be drawn, or
    plainly that nothing was read, with how to write it (`diagram.reader.explain_request`'s words).
    The Label tab and the Playground both show it beside a typed request. `reader`: the app's
    served reader (`ctx.reader`, `--reader-url`) or None (the rules); with one, the note says who
    read it ("read by tiny-sft at http://...", "read by the rules: the served reader timed out
    after 5 s"); a slow server holds the box at most the reader's timeout. `ask=False` (while the
    person types: every pause is a change) never asks the server: a reading it made already, else
    the rules' with a note saying so (WHILE_TYPING); the box asks when the person leaves it or
    draws (`drawn_line`)."""
    request = (request or "").strip()
    if not request:
        return "", ""
    if reader is not None and not ask and reader.known(request) is None:
        plan, message = explain_request(request, None)
        who = f" <small>({WHILE_TYPING})</small>"
    else:
        who = f" <small>({html.escape(reader.read(request).note())})</small>" if reader is not None else ""
        plan, message = explain_request(request, reader)  # (the reading is cached: not asked twice)
    if plan is None:
        return "", (f"{tag('warn', 'nothing read')} {html.escape(message)} Nothing is drawn for it "
                    f"until it is, or until you type a plan line.{who}")
    return plan.line(), f"{tag('ok', 'read')} {html.escape(message)}{who}"


def drawn_line(request: str, line: str, note: str, reader=None) -> str:
    """The plan line a Draw should take as the person's own (edited) line: "" when it is the one
    read, or when it is only the rules' reading the box showed while the person typed (its note
    says WHILE_TYPING) and the served reader has read the request since (a click on Draw leaves the
    box: its blur and the click race, so the box may still show the provisional reading)."""
    line = " ".join((line or "").split())
    if not line or reader is None or WHILE_TYPING not in (note or ""):
        return line
    provisional = read_request((request or "").strip())
    return "" if provisional is not None and line == provisional.line() else line
