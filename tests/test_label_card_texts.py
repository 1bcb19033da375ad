"""The Label tab's card texts (caption, alt text, problems) are worked out once per card and
kept (`label_page.CardTexts`): the swap that shows a prefetched screen only looks them up."""

from __future__ import annotations

from dataclasses import replace

from labeler import label_page as P
from labeler import label_views as V
from labeler import labeling as L
from labeler.views import problems_markdown

TEXT = "[0, 100, 100, 'circle', 20, 20, 'solid arrow', (0, 0, 255), (0, 0, 0), [1], 'in']\n" \
       "[1, 110, 120, 'circle', 20, 20, 'solid arrow', (0, 0, 255), (0, 0, 0), [], 'out']"


def state_of(text=TEXT, request="DL model with 1 input and 1 output", plan=""):
    cand = L.ShownCandidate(candidate_id="g-0", index=0, text=text, ok=True, problems=(),
                            stopped_on_eos=True)
    return L.LabelState(session="s", request=request, plan_line=plan, candidates=(cand, cand))


def test_card_texts_are_the_views_and_follow_what_they_depend_on(monkeypatch):
    texts = P.CardTexts(size=3)
    state = state_of()
    for i in (0, 1):
        assert texts.get(state, i) == (V.card_caption(state, i), V.alt_text(state, i),
                                       problems_markdown(()))
    calls = []
    monkeypatch.setattr(V, "card_caption", lambda s, i, read=None: calls.append(i) or "fresh")
    assert texts.get(state, 0)[0] != "fresh" and not calls  # kept: not worked out again
    other = state_of(request="DL model with 2 inputs and 1 output")
    assert texts.get(other, 0)[0] == "fresh"  # another request: asked and drawn differ
    edited = replace(state, plan_line="# layers 1-1")
    assert texts.get(edited, 1)[0] == "fresh"
    texts.get(state_of(text=TEXT.replace("'out'", "'o2'")), 0)
    assert len(texts._texts) == 3  # the oldest went
    assert texts.get(state, 0)[0] == "fresh"
