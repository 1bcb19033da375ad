"""How much annotators agree on the same candidates: raw agreement and Krippendorff's alpha.

Pure (no file access): judgments come in as plain records, so the preference CSV's rows today and
richer stored judgments later feed the same functions.

    records = records_from_rows(store.read().rows)       # one record per (task, annotator)
    records = records_from_judgments(judgments)          # trainer.core.judgments.Judgment objects
    result = agreement(records)
    result.chosen_agreement, result.chosen_n             # e.g. 0.75 of 4 annotator pairs
    result.order_agreement, result.order_n               # candidate pairs both ordered
    result.alpha, result.alpha_units                     # ordinal alpha over (task, candidate)

A record is `Ranked(task, annotator, ranking)`: `ranking` is a tuple of groups of candidate keys,
best group first; keys inside one group are tied or unordered, a key in no group was not judged.
Today's screen (one chosen, one rejected of K shown) is `((chosen,), (the other K-2), (rejected,))`.

- *task*: the candidates one or more annotators judged. The labeler names the generation in each
  candidate id (`<generation>-<index>`); with `--overlap N` every annotator of a prompt is shown
  the same generation (`labeler.tasks`), so the generation id is the task and the index the key.
- *chosen agreement*: over tasks judged by >= 2 annotators, the share of annotator pairs whose
  best groups are the same set.
- *order agreement*: the share of (annotator pair, candidate pair) where both annotators put the
  two candidates in different groups and in the same order.
- *alpha*: Krippendorff's alpha, ordinal (the `krippendorff` package): units are (task, candidate
  key), an annotator's value for a unit is the index of the candidate's group in the ranking (0 =
  best). Needs two or more distinct values; else None.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import krippendorff

AGREEMENT_SOURCES = ("human", "simulated")  # a human_edit's chosen is an edit, not a candidate

Key = Hashable


@dataclass(frozen=True)
class Ranked:
    """One annotator's judgment of one task (see the module docstring)."""

    task: str
    annotator: str
    ranking: tuple[tuple[Key, ...], ...]

    def ranks(self) -> dict[Key, int]:
        """{candidate key: group index}, 0 = best."""
        return {key: i for i, group in enumerate(self.ranking) for key in group}


@dataclass(frozen=True)
class Agreement:
    """Agreement over the tasks that >= 2 annotators judged; a share is None when its n is 0."""

    tasks: int  # tasks judged by >= 2 annotators
    annotators: int  # distinct annotators on those tasks
    chosen_agreement: float | None
    chosen_n: int  # annotator pairs compared
    order_agreement: float | None
    order_n: int  # (annotator pair, candidate pair) comparisons
    alpha: float | None  # Krippendorff's alpha, ordinal
    alpha_units: int  # (task, candidate) units with >= 2 values
    alpha_note: str = ""  # why alpha is None


# ---------------------------------------------------------------- rows -> records


def _candidate_ref(candidate_id: str) -> tuple[str, int] | None:
    """("<generation>", index) of a labeler candidate id "<generation>-<index>", else None."""
    generation, sep, index = candidate_id.strip().rpartition("-")
    if not sep or not generation or not index.isdigit():
        return None
    return generation, int(index)


def _shown(row: Mapping[str, str]) -> list[int]:
    """Generation indices of every candidate on the screen (positions.shown_order), else []."""
    try:
        order = json.loads(row.get("positions") or "{}").get("shown_order") or []
        return [int(i) for i in order]
    except (ValueError, TypeError, AttributeError):
        return []


def row_relation(row: Mapping[str, str]) -> tuple[str, Key, Key, list]:
    """(task, chosen key, rejected key, other keys shown) of one stored pair."""
    ids = (row.get("candidate_ids") or "").split(";")
    refs = [_candidate_ref(i) for i in ids] if len(ids) == 2 else [None, None]
    if refs[0] and refs[1] and refs[0][0] == refs[1][0]:
        chosen, rejected = refs[0][1], refs[1][1]
        others = [i for i in _shown(row) if i not in (chosen, rejected)]
        return refs[0][0], chosen, rejected, sorted(set(others))
    # No labeler ids (an imported row): the prompt is the task, the texts are the candidates.
    return "prompt:" + row.get("prompt", ""), row.get("chosen", ""), row.get("rejected", ""), []


def ranking_from_pairs(pairs: Iterable[tuple[Key, Key]],
                       others: Iterable[Key] = ()) -> tuple[tuple[Key, ...], ...] | None:
    """Groups (best first) from "a over b" relations: a candidate's group is the length of the
    longest chain above it. One relation with `others` is today's screen (best, others, worst);
    with several relations `others` not named in any stay unjudged. None when they contradict."""
    pairs = list(dict.fromkeys(pairs))
    if len(pairs) == 1:
        (best, worst), middle = pairs[0], tuple(k for k in others if k not in pairs[0])
        return ((best,), middle, (worst,)) if middle else ((best,), (worst,))
    above: dict[Key, set] = {}
    for better, worse in pairs:
        above.setdefault(better, set())
        above.setdefault(worse, set()).add(better)
    depth: dict[Key, int] = {}

    def level(key: Key, path: frozenset) -> int | None:
        if key in path:
            return None  # a cycle: a > b > ... > a
        if key not in depth:
            levels = [level(k, path | {key}) for k in above[key]]
            if any(v is None for v in levels):
                return None
            depth[key] = 1 + max(levels, default=-1)
        return depth[key]

    if any(level(key, frozenset()) is None for key in above):
        return None
    groups: dict[int, list] = {}
    for key in sorted(depth, key=repr):
        groups.setdefault(depth[key], []).append(key)
    return tuple(tuple(groups[i]) for i in sorted(groups))


def records_from_rows(rows: Iterable[Mapping[str, str]],
                      sources: tuple[str, ...] = AGREEMENT_SOURCES) -> list[Ranked]:
    """One `Ranked` per (task, annotator) from preference CSV rows (`prompt, chosen, rejected,
    annotator, candidate_ids`, optional `positions`, `source`, `judgment_id`). Rows sharing a
    `judgment_id` are one judgment (their pairs are merged into groups); an annotator's later
    judgment of the same task replaces an earlier one; contradictory judgments are left out."""
    judgments: dict[tuple[str, str], dict] = {}
    for n, row in enumerate(rows):
        if (row.get("source") or "human") not in sources:
            continue
        task, chosen, rejected, others = row_relation(row)
        annotator = row.get("annotator") or "anonymous"
        judgment = row.get("judgment_id") or f"row-{n}"
        entry = judgments.get((task, annotator))
        if entry is None or entry["id"] != judgment:
            entry = judgments[(task, annotator)] = {"id": judgment, "pairs": [], "others": []}
        entry["pairs"].append((chosen, rejected))
        entry["others"].extend(others)
    records = []
    for (task, annotator), entry in judgments.items():
        ranking = ranking_from_pairs(entry["pairs"], dict.fromkeys(entry["others"]))
        if ranking is not None:
            records.append(Ranked(task, annotator, ranking))
    return records


def records_from_judgments(judgments: Iterable[Any],
                           sources: tuple[str, ...] = AGREEMENT_SOURCES) -> list[Ranked]:
    """One `Ranked` per judgment from objects shaped like `trainer.core.judgments.Judgment` (`prompt`,
    `candidates` in display order, `ranking` of display positions, `annotator`, `source`,
    `extra`). Display orders differ between annotators, so candidates are keyed by their text and
    the task is `extra["task_id"]` when given, else the prompt with its set of candidate texts.
    Judgments without a ranking (e.g. "both bad" alone) are left out."""
    records = []
    for judgment in judgments:
        if (getattr(judgment, "source", "") or "human") not in sources or not judgment.ranking:
            continue
        texts = list(judgment.candidates)
        task = (getattr(judgment, "extra", None) or {}).get("task_id") or "screen:" + hashlib.sha256(
            json.dumps([judgment.prompt, sorted(texts)]).encode("utf-8")).hexdigest()[:16]
        ranking = tuple(tuple(texts[pos] for pos in group) for group in judgment.ranking)
        records.append(Ranked(str(task), judgment.annotator or "anonymous", ranking))
    return records


# ---------------------------------------------------------------- agreement


def shared_tasks(records: Iterable[Ranked]) -> dict[str, dict[str, Ranked]]:
    """{task: {annotator: record}} for tasks judged by >= 2 annotators (last record wins)."""
    by_task: dict[str, dict[str, Ranked]] = {}
    for record in records:
        by_task.setdefault(record.task, {})[record.annotator] = record
    return {task: judged for task, judged in by_task.items() if len(judged) >= 2}


def _share(agree: int, n: int) -> float | None:
    return agree / n if n else None


def agreement(records: Iterable[Ranked]) -> Agreement:
    """Raw agreement and ordinal Krippendorff's alpha over tasks judged by >= 2 annotators."""
    tasks = shared_tasks(records)
    chosen = [0, 0]
    order = [0, 0]
    for judged in tasks.values():
        for a, b in combinations(sorted(judged), 2):
            ra, rb = judged[a], judged[b]
            chosen[0] += set(ra.ranking[0]) == set(rb.ranking[0])
            chosen[1] += 1
            ranks_a, ranks_b = ra.ranks(), rb.ranks()
            both = sorted(set(ranks_a) & set(ranks_b), key=repr)
            for x, y in combinations(both, 2):
                da, db = ranks_a[x] - ranks_a[y], ranks_b[x] - ranks_b[y]
                if da and db:
                    order[0] += (da > 0) == (db > 0)
                    order[1] += 1
    alpha, units, note = ordinal_alpha(tasks)
    annotators = {a for judged in tasks.values() for a in judged}
    return Agreement(tasks=len(tasks), annotators=len(annotators),
                     chosen_agreement=_share(*chosen), chosen_n=chosen[1],
                     order_agreement=_share(*order), order_n=order[1],
                     alpha=alpha, alpha_units=units, alpha_note=note)


def reliability_matrix(tasks: Mapping[str, Mapping[str, Ranked]]) -> tuple[list[str], list, list[list[float]]]:
    """(annotators, units, matrix): matrix[annotator][unit] = group index or NaN (not judged);
    units are (task, key) pairs with values from >= 2 annotators."""
    annotators = sorted({a for judged in tasks.values() for a in judged})
    units, columns = [], []
    for task in sorted(tasks):
        ranks = {a: record.ranks() for a, record in tasks[task].items()}
        keys = sorted({k for r in ranks.values() for k in r}, key=repr)
        for key in keys:
            column = [float(ranks[a][key]) if a in ranks and key in ranks[a] else math.nan
                      for a in annotators]
            if sum(not math.isnan(v) for v in column) >= 2:
                units.append((task, key))
                columns.append(column)
    matrix = [[column[i] for column in columns] for i in range(len(annotators))]
    return annotators, units, matrix


def ordinal_alpha(tasks: Mapping[str, Mapping[str, Ranked]]) -> tuple[float | None, int, str]:
    """(alpha, units, note) with the `krippendorff` package; None and why when undefined."""
    _annotators, units, matrix = reliability_matrix(tasks)
    if not units:
        return None, 0, "no candidate was ranked by two annotators"
    values = {v for row in matrix for v in row if not math.isnan(v)}
    if len(values) < 2:
        return None, len(units), "every rank is the same value"
    alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal"))
    if math.isnan(alpha):
        return None, len(units), "undefined (no variation between units)"
    return alpha, len(units), ""
