"""The Stats tab's numbers: who judged how much, how far the overlap is, how well annotators agree.

Pure over plain data (`stats(...)`); `stats_for(ctx)` reads the store, the event log and the pool
once. The tab (`labeler.stats_tab`) only shows what this returns.

    view = stats_for(ctx)
    view.summary          # markdown: totals, overlap progress, agreement with its n
    view.annotators       # DataFrame: one row per annotator (screens judged per category, shares)
    view.progress         # DataFrame: pool prompts by number of annotators (0..N)
    view.disagreements    # the shared tasks where annotators disagree most (`disagreements`)

One vocabulary (issue 22 item 4): what a person reads is counted in *screens*: a screen judged is
one judgment (a ranking, a tie or a "both bad" that was not undone), a skipped screen is counted
apart. Pairs appear in one column only, "pairs in the CSV": the rows a ranking wrote to the
preference CSV (human, human_edit or simulated). Agreement (`trainer.core.agreement`) is over the tasks
two or more annotators judged with pairs: with `--overlap N` every annotator of a prompt saw the
same candidates (labeler.tasks); without it no two annotators share a task.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from labeler.tasks import JUDGING_EVENTS, judged_by, overlap_progress
from trainer.core.agreement import Agreement, agreement, records_from_rows, row_relation, shared_tasks
from trainer.core.schema import CATEGORIES, LABELED_SOURCES

SCREENS = "screens judged"
PAIRS = "pairs in the CSV"
CATEGORY_COLUMNS = {category: f"{category} screens" for category in CATEGORIES}
KIND_COLUMNS = {"tie": "tie screens", "both bad": "both bad screens", "skip": "skipped screens"}
SHARE_COLUMNS = {"tie": "tie %", "both bad": "both bad %", "skip": "skipped %"}
COUNT_COLUMNS = (SCREENS, *CATEGORY_COLUMNS.values(), *KIND_COLUMNS.values(), PAIRS)
ANNOTATOR_COLUMNS = ("annotator", *COUNT_COLUMNS, *SHARE_COLUMNS.values())
DISAGREEMENTS_SHOWN = 5


@dataclass(frozen=True)
class Disagreement:
    """One task two or more annotators judged differently: its request, how much they disagree
    (`score`: the share of the candidate pairs both ranked that they put in opposite order, of `n`;
    `chosen_differ`: annotator pairs whose best candidates differ) and each annotator's best
    candidate: (annotator, its text, its place in every other annotator's ranking)."""

    task: str
    prompt: str
    score: float
    n: int
    chosen_differ: int
    picks: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class StatsView:
    summary: str
    annotators: pd.DataFrame
    progress: pd.DataFrame
    agreement: Agreement
    disagreements: tuple[Disagreement, ...] = ()


def _placed(annotator: str, ranking: tuple, group: int | None) -> str:
    """Where `annotator` put a candidate: "bo ranked it last", "... 2nd", "... did not rank it"."""
    if group is None:
        return f"{annotator} did not rank it"
    if group == len(ranking) - 1:
        return f"{annotator} ranked it last"
    n = group + 1
    return f"{annotator} ranked it {n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def disagreements(rows: Iterable[Mapping[str, str]], limit: int = DISAGREEMENTS_SHOWN) -> list[Disagreement]:
    """The `limit` shared tasks (judged by >= 2 annotators, `trainer.core.agreement`) where the
    annotators disagree most: most candidate pairs in opposite order, then most different best
    candidates; tasks where they agree entirely are left out."""
    rows = list(rows)
    texts: dict[tuple[str, Any], str] = {}
    prompts: dict[str, str] = {}
    for row in rows:
        task, chosen, rejected, _ = row_relation(row)
        texts[(task, chosen)], texts[(task, rejected)] = row.get("chosen", ""), row.get("rejected", "")
        prompts.setdefault(task, row.get("prompt", ""))
    out = []
    for task, judged in shared_tasks(records_from_rows(rows)).items():
        ranks = {a: judged[a].ranks() for a in sorted(judged)}
        opposite = compared = differ = 0
        names = list(ranks)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                differ += set(judged[a].ranking[0]) != set(judged[b].ranking[0])
                both = sorted(set(ranks[a]) & set(ranks[b]), key=repr)
                for j, x in enumerate(both):
                    for y in both[j + 1:]:
                        da, db = ranks[a][x] - ranks[a][y], ranks[b][x] - ranks[b][y]
                        if da and db:
                            compared += 1
                            opposite += (da > 0) != (db > 0)
        if not opposite and not differ:
            continue
        picks = []
        for a in names:
            best = judged[a].ranking[0][0]
            others = ", ".join(_placed(b, judged[b].ranking, ranks[b].get(best)) for b in names if b != a)
            picks.append((a, texts.get((task, best), ""), others))
        out.append(Disagreement(task, prompts.get(task, ""), opposite / compared if compared else 0.0,
                                compared, differ, tuple(picks)))
    out.sort(key=lambda d: (-d.score, -d.chosen_differ, d.task))
    return out[:limit]


def _live_events(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Tie, both-bad and skip events that no undo took back."""
    events = list(events)
    undone = {e.get("target") for e in events if e.get("event") == "undo"}
    return [e for e in events if e.get("event") in (*JUDGING_EVENTS, "skip")
            and e.get("id") not in undone]


def annotator_table(rows: Iterable[Mapping[str, str]],
                    events: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per annotator: screens judged (in all and per category), tie / both bad / skipped
    screens, the pairs their rankings wrote to the CSV, and the shares of tie / both bad / skipped
    among all the screens they answered (judged + skipped)."""
    counts: dict[str, dict[str, int]] = {}

    def add(annotator: str, category: str, kind: str, judgment: bool = True) -> None:
        entry = counts.setdefault(annotator or "anonymous", dict.fromkeys(COUNT_COLUMNS, 0))
        entry[PAIRS if kind == "pair" else KIND_COLUMNS[kind]] += 1
        if kind != "skip" and judgment:
            entry[SCREENS] += 1
            if category in CATEGORY_COLUMNS:
                entry[CATEGORY_COLUMNS[category]] += 1

    seen: set[str] = set()  # the pairs of one judgment (a ranked screen) count as one screen
    for row in rows:
        if row.get("source") in LABELED_SOURCES:
            key = row.get("judgment_id") or row.get("pair_id") or ""
            add(row.get("annotator", ""), row.get("category", ""), "pair", judgment=not key or key not in seen)
            seen.add(key)
    for event in _live_events(events):
        kind = {"both_bad": "both bad"}.get(event["event"], event["event"])
        add(str(event.get("annotator") or ""), str(event.get("category") or ""), kind)
    table = []
    for name in sorted(counts):
        entry = counts[name]
        answered = entry[SCREENS] + entry[KIND_COLUMNS["skip"]]
        shares = [round(100 * entry[KIND_COLUMNS[k]] / answered) if answered else 0 for k in SHARE_COLUMNS]
        table.append([name, *(entry[c] for c in COUNT_COLUMNS), *shares])
    return pd.DataFrame(table, columns=list(ANNOTATOR_COLUMNS))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def agreement_markdown(result: Agreement) -> str:
    """The agreement numbers, each with its n, or why there are none."""
    if not result.tasks:
        return ("**Agreement:** no task has been judged by two annotators yet (start the app "
                "with `--overlap 2` or more so annotators judge the same candidates).")
    alpha = (f"{result.alpha:.2f} (n = {result.alpha_units} candidates)" if result.alpha is not None
             else f"- ({result.alpha_note})")
    return (f"**Agreement** on {result.tasks} task(s) judged by two or more of "
            f"{result.annotators} annotators:\n\n"
            f"| measure | value | n |\n|---|---|---|\n"
            f"| same chosen candidate | {_pct(result.chosen_agreement)} | {result.chosen_n} annotator pairs |\n"
            f"| same order of a candidate pair both ranked | {_pct(result.order_agreement)} | "
            f"{result.order_n} comparisons |\n"
            f"| Krippendorff's alpha (ordinal, rank of each candidate) | {alpha} | "
            f"{result.alpha_units} (task, candidate) units |")


def stats(rows: Iterable[Mapping[str, str]], events: Iterable[Mapping[str, Any]],
          pool_ids: Mapping[str, str], overlap: int) -> StatsView:
    """Everything the Stats tab shows. `pool_ids`: {prompt text: pool prompt id} of the labeling
    pool; `overlap`: the app's annotators per prompt."""
    rows, events = list(rows), list(events)
    table = annotator_table(rows, events)
    judged = judged_by(rows, events, pool_ids)
    progress = overlap_progress(pool_ids.values(), judged, overlap)
    frame = pd.DataFrame([[f"{n}" + (" (done)" if n == overlap else ""), progress[n]]
                          for n in sorted(progress)], columns=["annotators", "pool prompts"])
    result = agreement(records_from_rows(rows))
    done = progress[overlap]
    summary = (f"**{int(table[SCREENS].sum())} screens judged** by {len(table)} annotator(s), "
               f"whose rankings wrote {int(table[PAIRS].sum())} pairs in the CSV; "
               f"overlap {overlap}: {done} of {len(pool_ids)} pool prompts have {overlap} "
               f"annotator{'s' * (overlap != 1)}.\n\n" + agreement_markdown(result))
    return StatsView(summary, table, frame, result, tuple(disagreements(rows)))


def stats_for(ctx) -> StatsView:
    """`stats` over the app's store, event log and labeling pool (one read of each)."""
    pool_ids = dict(zip(ctx.pool["prompt"].astype(str), ctx.pool["prompt_id"].astype(str)))
    return stats(ctx.store.read().rows, ctx.events.read(), pool_ids, ctx.overlap)
