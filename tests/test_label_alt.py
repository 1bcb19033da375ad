"""A card's alt text names the candidate, its badge and every label in full (on a dense card the
drawing shortens or leaves out labels so none overlap: `diagram.render.fit_labels`)."""

from __future__ import annotations

from labeler import label_views as V
from labeler import labeling as L

TEXT = """[0, 100, 100, 'circle', 20, 20, 'solid arrow', (0, 0, 255), (0, 0, 0), [1], 'input layer unit']
[1, 110, 120, 'circle', 20, 20, 'solid arrow', (0, 0, 255), (0, 0, 0), [], 'output layer unit']"""


def test_alt_text_lists_every_label_in_full():
    cand = L.ShownCandidate(candidate_id="g-0", index=0, text=TEXT, ok=True, problems=(),
                            stopped_on_eos=True)
    state = L.LabelState(session="s", candidates=(cand,))
    alt = V.alt_text(state, 0)
    assert alt.startswith("Candidate #1: valid")
    assert alt.endswith("labels: input layer unit, output layer unit")


def test_alt_text_without_labels_has_no_label_list():
    text = "[0, 100, 100, 'circle', 20, 20, 'solid arrow', (0, 0, 255), (0, 0, 0), []]"
    cand = L.ShownCandidate(candidate_id="g-0", index=0, text=text, ok=True, problems=())
    alt = V.alt_text(L.LabelState(session="s", candidates=(cand,)), 0)
    assert "labels" not in alt and "draws 1 node" in alt
