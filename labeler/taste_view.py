"""The taste the app has learned, in words, for the Stats and Train tabs; and the training verdict
on it. Thin over `trainer.core.taste` (no torch).

    cache = TasteCache()                      # one per tab, made when the tab is built
    taste = cache.taste(ctx)                  # refit only when the judgments file changed
    taste_markdown(taste)                     # "**Your taste** ... You prefer left-to-right (strong, ...)"
    taste_verdict_markdown(ctx, checkpoint, cache)   # the new checkpoint against its parent, on it

The verdict reads what training stored in the checkpoint's manifest (`verdict.previous/new.sampling.
styles`: the style of every candidate both models sampled on the same held-out prompts, and
`prefers_chosen` on the held-out pairs) and scores it against the taste fit now, on the judgments of
whoever the run trained on (`training_args.annotator`, else everyone).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from trainer.core.checkpoint import CheckpointError, read_manifest
from trainer.core.taste import Taste, fit_taste
from trainer.core.taste_verdict import manifest_verdict

MAX_CACHED_TEXTS = 50_000


class TasteCache:
    """The fitted taste per annotator, refit when the judgments file's size or mtime changes; the
    style of every text seen, so a refit parses only the new screens. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fits: dict[str, tuple[tuple, Taste]] = {}
        self._styles: dict[str, Any] = {}

    def taste(self, ctx, annotator: str = "") -> Taste | None:
        """The taste of `annotator`'s judgments ("" = everyone's); None without a judgments file."""
        store = getattr(ctx, "judgments", None)
        if store is None:
            return None
        try:
            stat = Path(store.path).stat()
            key = (str(store.path), stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            key = (str(store.path), 0, 0)
        with self._lock:
            cached = self._fits.get(annotator)
            if cached is not None and cached[0] == key:
                return cached[1]
            judgments = store.read().judgments
            if annotator:
                judgments = tuple(j for j in judgments if j.annotator == annotator)
            if len(self._styles) > MAX_CACHED_TEXTS:
                self._styles.clear()
            taste = fit_taste(judgments, style_of=self._styles)
            self._fits[annotator] = (key, taste)
            return taste


def taste_markdown(taste: Taste | None, who: str = "") -> str:
    """The taste in words and a small table (one row per style group), or why there is none."""
    if taste is None:
        return ""
    title = f"**Taste learned from {who or 'your'} judgments**" if who else "**Your taste, as the app learned it**"
    head = (f"{title} (a Bradley-Terry model over the drawings' style: direction, palette, shapes, "
            f"lines, density; refit on every new judgment): {taste.summary()}")
    if not taste.screens:
        return head
    rows = "".join(
        f"\n| {p.group} | {p.words} | {p.strength or '-'} (z {p.z:.1f}) | {p.agree} of {p.differed} |"
        for p in taste.preferences)
    return (head + "\n\n| style | leaning | strength | screens agreeing where it differed |"
            "\n|---|---|---|---|" + rows)


def taste_verdict_markdown(ctx, checkpoint: Path, cache: TasteCache | None = None) -> str:
    """The new checkpoint against the one it started from, on the learned taste, then on the
    held-out pairs, with a recommendation; "" when the manifest has no verdict to read."""
    try:
        manifest = read_manifest(Path(checkpoint))
    except CheckpointError:
        return ""
    verdict = manifest.get("verdict") or {}
    round_ = manifest.get("round") or {}
    if not verdict and not round_:
        return ""
    annotator = (manifest.get("training_args") or {}).get("annotator") or ""
    taste = (cache or TasteCache()).taste(ctx, annotator)
    if taste is None:
        return ""
    new_name = ctx.models.name(Path(checkpoint))
    parent = round_.get("parent") or verdict.get("previous_checkpoint") or manifest.get("parent_checkpoint") or "previous"
    old_name = ctx.models.name(Path(parent))
    result = manifest_verdict(taste, manifest, old_name=old_name, new_name=new_name)
    who = f" (taste of {annotator}'s judgments)" if annotator else ""
    return f"**On your taste{who}:** {result.text}"

