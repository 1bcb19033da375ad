"""Which kind of prompt to label next: the kinds of request that are thin in the labeled data.

`next_prompt` first picks a category by the quotas (`labeler.quotas`); within it, this module picks
a *kind* of request, read by `diagram.reader.read_request` as the generator reads it:

- `dense`: a dense net with a plan (layer sizes),
- `pipeline`: named steps, one after another or in ranks,
- `pipeline_loop`: steps with a loop (a back edge),
- `cnn`: a chain of labelled layers (a CNN's blocks),
- `unread`: nothing the reader can plan (or a structure too big to plan).

A taste learned only on pipelines may not carry over to dense nets or loops, and the pool is
lopsided (data/orpo_prompts.csv, label split: 392 pipelines, 47 with a loop, 41 unread among
"other"; 208 dense and 112 unread among "dl_model"). Each kind present in a category gets a target
share half way between uniform and its share of the pool (`kind_targets`), and the kind furthest
below its target among the labeled prompts (human, human_edit, simulated pairs; distinct prompts)
is offered next (`pick_kind`), so rare kinds come up about twice as often as in plain random
choice without exhausting them in the first screens.

Pure (no files, no gradio). Reading a request costs ~2.5 ms, so the pool's kinds are read once
(`with_kinds` when the app's context is created, by the rules) and labeled prompts outside the pool
(typed ones) are read when counted (with `--reader-url`, as the served reader read them when they
were typed, `ServedReader.peek`: counting never waits on a server).

    pool = with_kinds(pool)                                 # adds the "kind" column
    kind = pick_kind(labeled, pool_counts, available, rng)  # dicts {kind: count}
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping

from diagram.plan import CHAIN, DENSE
from diagram.prompt import extract_request
from diagram.reader import read_request
from trainer.core.schema import LABELED_SOURCES

KINDS = ("dense", "cnn", "pipeline", "pipeline_loop", "unread")
KIND_COLUMN = "kind"


def request_kind(request: str, read=None) -> str:
    """One of KINDS for a request (the user's words, not the wrapped prompt); `read`: what reads it
    (default `read_request`)."""
    plan = (read or read_request)(str(request))
    if plan is None:
        return "unread"
    if plan.kind == DENSE:
        return "dense"
    if plan.kind == CHAIN:
        return "cnn"
    return "pipeline_loop" if plan.loops else "pipeline"


def with_kinds(pool):
    """The pool DataFrame with a `kind` column (read from each row's `request`); a copy."""
    pool = pool.copy()
    pool[KIND_COLUMN] = [request_kind(r) for r in pool["request"].astype(str)] if len(pool) else []
    return pool


def kinds_of(rows) -> list[str]:
    """The `kind` column of pool rows, read from the requests when the column is missing."""
    if KIND_COLUMN in rows.columns:
        return rows[KIND_COLUMN].astype(str).tolist()
    return [request_kind(r) for r in rows["request"].astype(str)]


def kind_targets(pool_counts: Mapping[str, int]) -> dict[str, float]:
    """Target share of each kind with prompts: (1 / n_kinds + pool share) / 2 (sums to 1)."""
    present = {k: n for k, n in pool_counts.items() if n > 0}
    total = sum(present.values())
    return {k: (1 / len(present) + n / total) / 2 for k, n in present.items()}


def pick_kind(labeled: Mapping[str, int], pool_counts: Mapping[str, int],
              available: Mapping[str, int], rng: random.Random) -> str:
    """The kind furthest below its target share (`kind_targets` of the category's whole pool)
    among those with fresh prompts (`available`); ties broken by `rng`."""
    targets = kind_targets(pool_counts)
    open_kinds = sorted(k for k, n in available.items() if n > 0)
    if not open_kinds:
        raise ValueError("no kind has prompts left")
    done = sum(labeled.get(k, 0) for k in targets)
    # how far each kind is below its target after one more prompt of it (lower = thinner)
    excess = {k: labeled.get(k, 0) - targets.get(k, 1 / len(open_kinds)) * (done + 1) for k in open_kinds}
    lowest = min(excess.values())
    return rng.choice([k for k in open_kinds if excess[k] <= lowest + 1e-9])


def labeled_kind_counts(rows: Iterable[Mapping[str, str]], category: str,
                        kind_of_prompt: Mapping[str, str], read=None) -> Counter:
    """{kind: distinct labeled prompts} among store rows of `category` from a labeled source;
    a prompt not in `kind_of_prompt` (the pool's prompts) is read from its request (`read`: the
    app's reader's `peek`, the served reading already made or the rules: counting never asks a
    server)."""
    prompts = {row["prompt"] for row in rows
               if row.get("category") == category and row.get("source") in LABELED_SOURCES}
    return Counter(kind_of_prompt.get(p) or request_kind(extract_request(p), read) for p in prompts)
