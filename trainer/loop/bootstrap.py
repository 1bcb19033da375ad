"""Automatic preference pairs, the original project's method: reference layout vs a worse SFT sample.

    diagramlab bootstrap --checkpoint checkpoints/tiny-sft --n-dl 80 --n-other 120 [-k 4] [--seed 0]
        [--prompts data/orpo_prompts.csv] [--data data/orpo_dataset_llm.csv]

For each labeling-split prompt of the pool that the store does not use yet (seeded order), the
SFT model samples k candidates; each is scored against the prompt's reference with the original
project's `original_score`. The reference becomes `chosen` and the lowest-scoring candidate
(valid or not; the earliest on ties) becomes `rejected`, provided it scores below the
reference's 1.0. A prompt whose candidates all score 1.0 is skipped. Pairs are appended with
source=auto and model=the checkpoint (plus the server with `--generator-url`: `trainer.generation.sources.source_name`).
`--n-dl` / `--n-other` count the pairs *added by this run*.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from typing import Any

from tqdm import tqdm

from diagram import canonical_prompt, original_score, parse
from trainer.core.datasets_io import load_prompt_pool
from trainer.core.preferences import PreferenceError, open_store
from trainer.core.schema import CATEGORIES, DEFAULT_CHECKPOINT, DEFAULT_PREFERENCES, DEFAULT_PROMPTS
from trainer.generation.sources import add_source_arguments, source_from_args, source_name



@dataclass
class BootstrapStats:
    """What a bootstrap run did, per category."""

    written: dict[str, int] = field(default_factory=lambda: {"dl_model": 0, "other": 0})
    skipped_all_equal: int = 0
    skipped_duplicate: int = 0
    prompts_tried: int = 0


def pick_rejected(candidates: list[Any], reference: str, *, dl_model: bool) -> tuple[Any, float] | None:
    """(lowest-scoring candidate, its score) among those scoring below 1.0, or None.

    Candidates with empty text are never picked (a pair needs two answers).
    """
    ref = parse(reference).diagram
    scored = [(original_score(c.parse.diagram, ref, dl_model=dl_model), c.index, c)
              for c in candidates if c.text.strip() and c.text.strip() != reference.strip()]
    below = [item for item in scored if item[0] < 1.0]
    if not below:
        return None
    score, _index, candidate = min(below, key=lambda item: (item[0], item[1]))
    return candidate, score


def unused_prompts(pool: Any, used: set[str], seed: int) -> dict[str, list[dict[str, Any]]]:
    """Label-split rows whose prompt the store does not have yet, per category, in seeded order."""
    used = {canonical_prompt(p) for p in used}  # the store may hold the original data's wording
    rows = [r for r in pool.to_dict("records")
            if r["split"] == "label" and canonical_prompt(r["prompt"]) not in used]
    random.Random(seed).shuffle(rows)
    return {cat: [r for r in rows if r["category"] == cat] for cat in CATEGORIES}


def bootstrap_pairs(generator: Any, rows: list[dict[str, Any]], want: int, store: Any, *, k: int, seed: int,
                    stats: BootstrapStats, progress: Any = None, model_name: str = "") -> None:
    """Append up to `want` auto pairs from `rows` (one category) to `store`; updates `stats`."""
    for row in rows:
        category = row["category"]
        if stats.written[category] >= want:
            break
        stats.prompts_tried += 1
        prompt_seed = seed + int(stats.prompts_tried)
        candidates = generator.generate(row["prompt"], k=k, seed=prompt_seed)
        picked = pick_rejected(candidates, row["reference"], dl_model=category == "dl_model")
        if picked is None:
            stats.skipped_all_equal += 1
            continue
        candidate, _score = picked
        try:
            store.append(prompt=row["prompt"], chosen=row["reference"], rejected=candidate.text,
                         category=category, source="auto", annotator="bootstrap",
                         model=model_name or getattr(generator, "checkpoint", ""),
                         candidate_ids=[candidate.index], sampling={"k": k, "seed": prompt_seed})
        except PreferenceError as exc:
            if "already stored" not in str(exc):
                raise
            stats.skipped_duplicate += 1
            continue
        stats.written[category] += 1
        if progress is not None:
            progress.update(1)


def add_bootstrap_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="SFT checkpoint that samples the rejected side")
    parser.add_argument("--prompts", default=DEFAULT_PROMPTS, help="prompt pool (its 'label' split is used)")
    parser.add_argument("--data", default=DEFAULT_PREFERENCES, help="preference CSV to append to")
    parser.add_argument("--n-dl", type=int, default=80, help="dl_model pairs to add (default 80)")
    parser.add_argument("--n-other", type=int, default=120, help="other (flowchart) pairs to add (default 120)")
    parser.add_argument("-k", type=int, default=4, help="candidates sampled per prompt (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="prompt order and sampling seed (default 0)")
    add_source_arguments(parser)


def run_bootstrap(args: argparse.Namespace) -> int:
    """The `diagramlab bootstrap` command."""
    try:
        return _bootstrap(args)
    except PreferenceError as exc:  # a damaged file, a full disk: one message, no traceback
        print(f"diagramlab bootstrap: error: {exc}", file=sys.stderr)
        return 1


def _bootstrap(args: argparse.Namespace) -> int:
    store = open_store(args.data)
    used = store.read().labeled_prompts()
    by_category = unused_prompts(load_prompt_pool(args.prompts), used, args.seed)
    generator = source_from_args(args)
    stats = BootstrapStats()
    with tqdm(total=args.n_dl + args.n_other, desc="auto pairs", unit="pair") as bar:
        for category, want in (("dl_model", args.n_dl), ("other", args.n_other)):
            bootstrap_pairs(generator, by_category[category], want, store, k=args.k, seed=args.seed,
                            stats=stats, progress=bar, model_name=source_name(generator, args.checkpoint))
    for category, want in (("dl_model", args.n_dl), ("other", args.n_other)):
        if stats.written[category] < want:
            print(f"warning: only {stats.written[category]} of {want} {category} pairs: the pool ran out of "
                  "unused prompts whose samples score below the reference", file=sys.stderr)
    print(f"wrote {sum(stats.written.values())} auto pairs to {args.data} ({stats.written}); "
          f"{stats.skipped_all_equal} prompts skipped (all candidates as good as the reference)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m trainer.loop.bootstrap`."""
    parser = argparse.ArgumentParser(prog="trainer.loop.bootstrap", description=__doc__.splitlines()[0])
    add_bootstrap_arguments(parser)
    return run_bootstrap(parser.parse_args(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())
