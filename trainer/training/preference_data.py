"""The data side of every preference trainer (ORPO, DPO, SimPO, KTO): preference rows in TRL's
layout, the split, lengths and the no-cut checks.

    rows = load_pairs(Path("data/orpo_dataset_llm.csv"))        # prompt = template.model_input(...), weight
    rows = load_pairs(path, annotator="ana")                     # one annotator's pairs (--annotator)
    train, val = split_pairs(rows, val_fraction=0.05, seed=0)   # whole prompts on one side
    train, val, max_length, dropped = fit_rows(tokenizer, model, train, val, cap=2048)
    check_not_cut(trainer.train_dataset, tokenizer)             # ORPO / SimPO, after TRL tokenized them
    check_ids_not_cut(trainer.train_dataset, tokenizer, max_length, ("chosen", "rejected"))  # DPO
    unpair(rows)                                                # KTO: desirable / undesirable rows
    weighting(dataset)                                          # the manifest's record of the row weights

Every row carries its `weight` (the store's column, 1 for rows without one: a screen's pairs
share 1) and `judgment_id`; the trainers draw rows in proportion to the weight
(`preference_parts.WeightedRows`), so one labeled screen counts once however many pairs it gave.

TRL truncates the answer when prompt + answer > max_length and its EOS goes with it, so
`fit_rows` measures every row (prompt with BOS + longer answer + EOS), drops those over the cap,
and sizes max_length to the longest kept row; `check_not_cut` (the `*_input_ids`/`*_labels` layout
of TRL's ORPO and CPO) and `check_ids_not_cut` (the `prompt_ids`/`<side>_ids` layout of TRL's DPO
and KTO, which truncate later, in the collator, at max_length) verify the tokenization.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

from trainer.core.annotators import ALL_ANNOTATORS, annotator_names
from trainer.core.datasets_io import load_prompt_pool
from trainer.core.preferences import open_store
from trainer.core.template import model_input


def load_pairs(path: Path, annotator: str = ALL_ANNOTATORS) -> list[dict[str, Any]]:
    """The stored pairs as TRL rows: prompt = template.model_input(prompt), chosen, rejected,
    weight (1 for rows without one) and judgment_id ("" for pairs of no judgment); with
    `annotator`, only that annotator's pairs (ValueError when they have none)."""
    view = open_store(path).read()
    kept = [(row, weight) for row, weight in zip(view.rows, view.weights())
            if annotator == ALL_ANNOTATORS or row.get("annotator", "") == annotator]
    if annotator and not kept:
        raise ValueError(f"{path}: no pairs by annotator {annotator!r} (annotators: "
                         f"{', '.join(annotator_names(view.rows)) or 'none'})")
    return [{"prompt": model_input(row["prompt"]), "chosen": row["chosen"], "rejected": row["rejected"],
             "weight": weight, "judgment_id": row.get("judgment_id", "")}
            for row, weight in kept]


def row_weights(dataset: Any) -> list[float] | None:
    """The `weight` column of a dataset (a datasets.Dataset or a list of dicts) when the weights
    differ, else None (no column, or all equal: uniform sampling is the same draw). ValueError when
    they are all zero or one is negative."""
    if isinstance(dataset, list):
        weights = [float(row.get("weight", 1.0)) for row in dataset]
    elif "weight" in (getattr(dataset, "column_names", None) or []):
        weights = [float(w) for w in dataset["weight"]]
    else:
        return None
    if any(w < 0 for w in weights) or (weights and not any(weights)):
        raise ValueError("row weights must be >= 0 and not all zero")
    return weights if len(set(weights)) > 1 else None


def weighting(dataset: Any) -> dict[str, Any]:
    """What the manifest records about the row weights of the training data."""
    weights = row_weights(dataset)
    rows = len(dataset)
    if weights is None:
        return {"sampler": "uniform (all rows weigh the same)", "rows": rows}
    return {"sampler": "weighted (rows drawn with replacement in proportion to weight, rows per epoch)",
            "rows": rows, "weight_sum": round(sum(weights), 6), "min": min(weights), "max": max(weights)}


def split_pairs(rows: list[dict[str, str]], val_fraction: float, seed: int) -> tuple[list, list]:
    """(train, val): whole prompts go to validation (seeded), about `val_fraction` of the rows."""
    if len(rows) < 2:
        raise ValueError(f"Preference training needs at least 2 preference pairs; the file has {len(rows)}. "
                         "Label more pairs or run `diagramlab bootstrap`.")
    if not 0 <= val_fraction < 1:
        raise ValueError("--val-fraction must be in [0, 1)")
    want = min(max(1, round(len(rows) * val_fraction)), len(rows) - 1) if val_fraction > 0 else 0
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["prompt"]] = counts.get(row["prompt"], 0) + 1
    # Order prompts by a seeded hash: stable under appends, and a prompt never straddles the split.
    order = sorted(counts, key=lambda p: hashlib.sha256(f"{seed}:{p}".encode()).hexdigest())
    val_prompts, taken = set(), 0
    for prompt in order:
        if taken >= want or taken + counts[prompt] >= len(rows):
            break
        val_prompts.add(prompt)
        taken += counts[prompt]
    train = [r for r in rows if r["prompt"] not in val_prompts]
    val = [r for r in rows if r["prompt"] in val_prompts]
    if not train:
        raise ValueError(f"{len(rows)} pairs leave no training rows with --val-fraction {val_fraction}")
    return train, val


def token_lengths(tokenizer: Any, rows: list[dict[str, str]]) -> list[int]:
    """Tokens each row needs: prompt (with BOS) + the longer answer + EOS."""
    needs = []
    for row in rows:
        prompt = len(tokenizer(row["prompt"])["input_ids"])
        answer = max(len(tokenizer(row[s], add_special_tokens=False)["input_ids"]) for s in ("chosen", "rejected"))
        needs.append(prompt + answer + 1)
    return needs


def check_not_cut(dataset: Any, tokenizer: Any, max_length: int | None = None) -> None:
    """Raise unless every tokenized pair starts with the generation prompt ids and ends in EOS.
    (`max_length` is unused: TRL's ORPO and CPO cut while tokenizing, so the rows show it.)"""
    eos = tokenizer.eos_token_id
    for i, row in enumerate(dataset):
        prompt_ids = list(tokenizer(row["prompt"])["input_ids"])
        for side in ("chosen", "rejected"):
            ids = row[f"{side}_input_ids"]
            if ids[: len(prompt_ids)] != prompt_ids:
                raise RuntimeError(f"pair {i}: {side} prompt tokens differ from generation's prompt tokens")
            if ids[-1] != eos or row[f"{side}_labels"][-1] != eos:
                raise RuntimeError(f"pair {i}: {side} was cut before its EOS (max_length too small)")


def check_ids_not_cut(dataset: Any, tokenizer: Any, max_length: int, sides: tuple[str, ...]) -> None:
    """Raise unless every row's `prompt_ids` are generation's prompt ids and each `<side>_ids`
    ends in EOS and fits `max_length` with the prompt (TRL's collators cut beyond it)."""
    eos = tokenizer.eos_token_id
    for i, row in enumerate(dataset):
        if row["prompt_ids"] != list(tokenizer(row["prompt"])["input_ids"]):
            raise RuntimeError(f"row {i}: prompt tokens differ from generation's prompt tokens")
        for side in sides:
            ids = row[f"{side}_ids"]
            if not ids or ids[-1] != eos or len(row["prompt_ids"]) + len(ids) > max_length:
                raise RuntimeError(f"row {i}: {side} was cut before its EOS (max_length too small)")


def unpair(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """KTO's unpaired rows from pairs: the chosen answer desirable, the rejected one undesirable,
    each with half the pair's weight (when the rows have one), so a pair counts once. Both-bad
    screens add undesirable rows from the judgments file (`trainer.training.kto.kto_rows`)."""
    out: list[dict[str, Any]] = []
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in ("chosen", "rejected")}
        if "weight" in row:
            extra["weight"] = float(row["weight"]) / 2
        out.append({**extra, "completion": row["chosen"], "label": True})
        out.append({**extra, "completion": row["rejected"], "label": False})
    return out


def fit_rows(tokenizer: Any, model: Any, train: list, val: list, cap: int) -> tuple[list, list, int, int]:
    """(train, val, max_length, dropped): rows that fit `cap` and the model's context, uncut."""
    context = getattr(model.config, "max_position_embeddings", None) or cap
    limit = min(cap, context)
    kept, needs, dropped = ([], []), [], 0
    for part, rows in enumerate((train, val)):
        for row, need in zip(rows, token_lengths(tokenizer, rows)):
            if need > limit:
                dropped += 1
                continue
            kept[part].append({**row, "length": need})  # for group_by_length batching
            needs.append(need)
    if not kept[0]:
        raise ValueError(f"every training pair is longer than {limit} tokens; raise --max-length")
    return kept[0], kept[1], max(needs), dropped


def heldout_rows(pool: str, n: int, seed: int) -> list[dict[str, Any]]:
    """n held-out prompts of the pool, both categories in proportion, in a seeded order."""
    frame = load_prompt_pool(pool, split="heldout")
    records = frame.to_dict("records")
    random.Random(seed).shuffle(records)
    return records[:n]
