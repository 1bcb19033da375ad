"""The labeling plan: how many pairs of each category and kind the labeler aims for.

The store only counts (`PreferenceView.counts()`); what those counts are measured against is the
labeler's business: `next_prompt` offers the category furthest below its labeled target, and the
Label tab's header shows `progress(counts)`.

    progress(ctx.store.read().counts())["categories"]["dl_model"]["labeled"]
"""

from __future__ import annotations

from types import MappingProxyType

from trainer.core.schema import LABELED_SOURCES

# The 800-pair plan: per category, auto pairs (reference vs SFT sample) + labeled pairs.
TARGETS = MappingProxyType({
    "dl_model": MappingProxyType({"auto": 80, "labeled": 240}),
    "other": MappingProxyType({"auto": 120, "labeled": 360}),
})


def labeled_counts(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Labeled pairs (human, human_edit, simulated; not auto) per category."""
    return {category: sum(by_source.get(s, 0) for s in LABELED_SOURCES) for category, by_source in counts.items()}


def progress(counts: dict[str, dict[str, int]]) -> dict:
    """Counts per category and source against TARGETS ("labeled" = human + human_edit + simulated):
    {"total", "target", "categories": {category: {"auto", "labeled", "by_source", "target_auto",
    "target_labeled", "total", "target"}}}."""
    categories = {}
    for category, target in TARGETS.items():
        by_source = dict(counts.get(category, {}))
        categories[category] = {
            "auto": by_source.get("auto", 0),
            "labeled": labeled_counts({category: by_source})[category],
            "by_source": by_source,
            "target_auto": target["auto"],
            "target_labeled": target["labeled"],
            "total": sum(by_source.values()),
            "target": target["auto"] + target["labeled"],
        }
    return {"total": sum(sum(c.values()) for c in counts.values()),
            "target": sum(c["target"] for c in categories.values()), "categories": categories}
