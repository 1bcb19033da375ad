"""Whose pairs a training run uses: every annotator's (the default) or one annotator's.

The preference CSV's `annotator` column says who made each pair (the login name or the labeler's
name field; `bootstrap` for `diagramlab bootstrap`'s automatic pairs). "Train on my labels" keeps
only that annotator's rows, in the snapshot the trainer reads and ships in the checkpoint
(`preferences.csv`), so the checkpoint's pairs are exactly the pairs it was trained on.

    annotator_names(store.read().rows)                   # ["ana", "bo", "bootstrap"]
    export_pairs(store, run_dir / "pairs.csv", "ana")    # the snapshot, ana's rows only
    only_annotator(rows, "ana")                          # rows whose annotator is ana
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from trainer.core.csv_records import encode_rows
from trainer.core.fileio import atomic_write, os_error_message
from trainer.core.preferences import PreferenceBackend, PreferenceError, open_store

ALL_ANNOTATORS = ""  # the default: every annotator's pairs


def annotator_names(rows: Iterable[Mapping[str, str]]) -> list[str]:
    """The distinct non-empty annotator names of these rows, sorted."""
    return sorted({row.get("annotator", "") for row in rows} - {""})


def only_annotator(rows: Iterable[Mapping[str, str]], annotator: str = ALL_ANNOTATORS) -> list:
    """The rows made by `annotator` (all rows for ALL_ANNOTATORS)."""
    rows = list(rows)
    if annotator == ALL_ANNOTATORS:
        return rows
    return [row for row in rows if row.get("annotator", "") == annotator]


def export_pairs(store: PreferenceBackend, dest: str | os.PathLike[str],
                 annotator: str = ALL_ANNOTATORS) -> Path:
    """`store.export_csv(dest)` (a copy under the store's lock), then, for one annotator, that
    copy rewritten (atomically) with only their rows. PreferenceError when they have none."""
    dest = store.export_csv(dest)
    if annotator == ALL_ANNOTATORS:
        return dest
    view = open_store(dest).read()
    kept = only_annotator(view.rows, annotator)
    if not kept:
        names = ", ".join(annotator_names(view.rows)) or "none"
        dest.unlink(missing_ok=True)
        raise PreferenceError(f"no pairs by annotator {annotator!r} (annotators: {names})")
    data = encode_rows(view.columns, kept)
    try:
        atomic_write(dest, data)
    except OSError as exc:
        raise PreferenceError(os_error_message(exc, f"write {dest.name}")) from exc
    return dest
